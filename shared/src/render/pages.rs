//! The pages, as compiled-in askama templates: values in, escaped HTML out. No I/O here.

use askama::Template;
use askama::filters::HtmlSafe;

use crate::config::{Favicon, SiteConfig};
use crate::dates::{self, LongDate, Rfc3339Time};
use crate::model::{Category, FeedFormat, Listing, ListingEntry, Post, Slug, TocEntry};
use crate::paths::{self, FeedPath, ListingPath, PostPath};

/// What every page shares: the site's name, the page's title and the feed it links to.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The site's title, at the top of every page.
    pub site_title: String,
    /// The `<title>`.
    pub page_title: String,
    /// The listing whose feeds this page offers.
    pub feeds_of: Listing,
    /// What those feeds are called, before their format.
    pub feed_subject: String,
    /// The page's absolute URL, from configuration.
    pub canonical_url: Option<String>,
    /// What the page is, in a sentence or two: `<meta name="description">` and link previews.
    pub description: String,
    /// The title a link preview shows (OpenGraph): the post's or category's, or the site's.
    pub preview_title: String,
    /// OpenGraph's type: `article` for a post, `website` otherwise.
    pub preview_type: &'static str,
    /// A post's publication time, RFC 3339.
    pub published_time: Option<String>,
    /// Structured data (schema.org JSON-LD), already safe to put in a `<script>`.
    pub json_ld: Option<String>,
    /// The icon the operator chose (`BLOG_FAVICON`), or None for the blog's own
    /// ([`OWN_ICONS`]).
    pub chosen_icon: Option<String>,
}

impl Layout {
    /// The layout of a page about `subject` (None for the home page), offering the feeds of
    /// `feeds_of` (a category's, an author's, or the whole blog's).
    pub fn new(
        site: &SiteConfig,
        subject: Option<&str>,
        feeds_of: &Listing,
        canonical_path: Option<&str>,
    ) -> Self {
        let page_title = match subject {
            Some(subject) => format!("{subject} – {}", site.title),
            None => site.title.clone(),
        };
        // A category page offers its category's feeds, and says so.
        let feed_subject = match (feeds_of, subject) {
            (Listing::All, _) | (_, None) => site.title.clone(),
            (_, Some(subject)) => format!("{}: {subject}", site.title),
        };
        Self {
            site_title: site.title.clone(),
            page_title,
            feeds_of: feeds_of.clone(),
            feed_subject,
            canonical_url: canonical_path.map(|p| site.absolute(p)),
            description: match subject {
                Some(subject) => format!("{subject}: posts from {}.", site.title),
                None => site.description.clone(),
            },
            preview_title: subject.unwrap_or(&site.title).to_owned(),
            preview_type: "website",
            published_time: None,
            json_ld: None,
            chosen_icon: match &site.favicon {
                Favicon::Own => None,
                Favicon::At(href) => Some(href.clone()),
            },
        }
    }

    /// About how long the frame of a page with this layout is: `base.html`'s fixed part and
    /// what it writes of the layout (the description, the site's title and the feeds' subject
    /// three times each, the preview title twice, the page title and JSON-LD once), with room
    /// for escaping.
    pub fn expected_len(&self) -> usize {
        let text = 3 * self.description.len()
            + self.page_title.len()
            + 2 * self.preview_title.len()
            + 3 * self.feed_subject.len()
            + 3 * self.site_title.len();
        FRAME_LEN
            + text
            + text / 4
            + 2 * self.canonical_url.as_ref().map_or(0, String::len)
            + self.json_ld.as_ref().map_or(0, String::len)
            + self.chosen_icon.as_ref().map_or(0, String::len)
    }

    /// The blog's own icons, which a page names unless the operator chose one.
    pub fn own_icons(&self) -> &'static [IconLink] {
        &OWN_ICONS
    }

    /// The RSS feed this page offers (the RSS icon).
    pub fn feed_url(&self) -> FeedPath<'_> {
        FeedPath(&self.feeds_of, FeedFormat::Rss)
    }

    /// Every feed this page offers, one per format (`<link rel="alternate">`).
    pub fn feeds(&self) -> [FeedLink<'_>; 3] {
        FeedFormat::ALL.map(|format| FeedLink {
            name: format.name(),
            media_type: format.media_type().essence_str(),
            subject: &self.feed_subject,
            href: FeedPath(&self.feeds_of, format),
        })
    }
}

/// schema.org's `BlogPosting` for a post, as JSON that cannot end its `<script>` element: the
/// characters that could (`<`, `>`, `&`) only occur inside JSON strings, where `\u` escapes
/// mean the same.
fn blog_posting(site: &SiteConfig, post: &Post, url: &str) -> String {
    let json = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.title,
        "description": post.description,
        "datePublished": dates::rfc3339(post.published),
        "dateModified": dates::rfc3339(post.updated),
        "author": post.authors.iter().map(|name| serde_json::json!({ "@type": "Person", "name": name })).collect::<Vec<_>>(),
        "publisher": { "@type": "Organization", "name": site.title },
        "url": url,
        "mainEntityOfPage": url,
        "keywords": post.tags.join(", "),
        "articleSection": post.categories.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
    });
    json.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// A link to an author's page.
#[derive(Debug, Clone)]
pub struct AuthorLink<'a> {
    /// Their name.
    pub name: &'a str,
    /// Their listing, or None for a name that makes no slug (and so no page).
    pub listing: Option<Listing>,
}

impl AuthorLink<'_> {
    /// Their page.
    pub fn url(&self) -> Option<ListingPath<'_>> {
        self.listing.as_ref().map(ListingPath)
    }
}

/// The authors of a post, each linked to their page.
pub fn author_links(authors: &[String]) -> Vec<AuthorLink<'_>> {
    authors
        .iter()
        .map(|name| AuthorLink {
            name,
            listing: Slug::from_name(name).ok().map(Listing::Author),
        })
        .collect()
}

/// A feed a page offers (`<link rel="alternate">`).
#[derive(Debug, Clone)]
pub struct FeedLink<'a> {
    /// The format's name.
    pub name: &'static str,
    /// The feed's media type.
    pub media_type: &'static str,
    /// What it is the feed of: its title, for feed readers' subscribe dialogs, is this and
    /// the format's name.
    pub subject: &'a str,
    /// Its path.
    pub href: FeedPath<'a>,
}

/// An icon a page names (`<link rel="icon">`).
#[derive(Debug, Clone, Copy)]
pub struct IconLink {
    /// Its path.
    pub href: &'static str,
    /// Its media type, which is also what `/favicon.ico` and `/favicon.svg` answer with.
    pub media_type: &'static str,
    /// The sizes it offers, when it is no drawing that scales.
    pub sizes: Option<&'static str>,
}

/// The blog's own icon as an ICO (16, 32 and 48 pixels) for browsers that take no SVG.
/// `sizes="32x32"` rather than all three or `any`: with `any`, Chromium picks the ICO over the
/// SVG.
pub const OWN_ICO: IconLink = IconLink {
    href: paths::FAVICON_ICO,
    media_type: "image/x-icon",
    sizes: Some("32x32"),
};
/// The blog's own icon drawn as SVG, sharp at any size, for browsers that take it.
pub const OWN_SVG: IconLink = IconLink {
    href: paths::FAVICON_SVG,
    media_type: "image/svg+xml",
    sizes: None,
};
/// Every icon of the blog's own.
pub const OWN_ICONS: [IconLink; 2] = [OWN_ICO, OWN_SVG];

/// One post in a listing, borrowed from its listing row: a page of ten copies nothing.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    /// The title.
    pub title: &'a str,
    /// The post's page.
    pub url: PostPath<'a>,
    /// `September 19th, 2018`.
    pub date: LongDate,
    /// Machine-readable date for `<time>`.
    pub datetime: Rfc3339Time,
    /// Who wrote it ("A, B and C" on the page).
    pub authors: Vec<AuthorLink<'a>>,
    /// Sanitised at ingest.
    pub excerpt_html: &'a str,
}

/// About what a page's frame takes (`base.html`: its head, style, header and footer).
const FRAME_LEN: usize = 8 * 1024;
/// About what a listing row takes besides its title and excerpt (`listing.html`).
const ROW_LEN: usize = 600;
/// About what `post.html` writes around a post's fields.
const POST_FRAME_LEN: usize = 1024;
/// About what a link to an author or a category takes besides its name.
const LINK_LEN: usize = 120;
/// About what an entry of the table of contents takes besides its id and title.
const TOC_ENTRY_LEN: usize = 64;

impl<'a> From<&'a ListingEntry> for Row<'a> {
    fn from(entry: &'a ListingEntry) -> Self {
        Self {
            title: &entry.title,
            url: PostPath(&entry.slug),
            date: LongDate(entry.published),
            datetime: Rfc3339Time(entry.published),
            authors: author_links(&entry.authors),
            excerpt_html: &entry.excerpt_html,
        }
    }
}

// What these write is made of slugs (`[a-z0-9-]`), digits, month names and fixed punctuation:
// nothing HTML would read as markup, so templates write them without escaping each byte.
impl HtmlSafe for PostPath<'_> {}
impl HtmlSafe for ListingPath<'_> {}
impl HtmlSafe for FeedPath<'_> {}
impl HtmlSafe for LongDate {}
impl HtmlSafe for Rfc3339Time {}

/// A page of a listing: the home page or a category page.
#[derive(Debug, Template)]
#[template(path = "listing.html")]
pub struct ListingView<'a> {
    /// The page frame.
    pub layout: Layout,
    /// "You're browsing posts of the category X" on a category page, "… by X" on an author's.
    pub browsing: Option<String>,
    /// The posts, newest first.
    pub rows: Vec<Row<'a>>,
    /// The "Older posts" link.
    pub older_url: Option<String>,
    /// The "Newer posts" link.
    pub newer_url: Option<String>,
}

impl ListingView<'_> {
    /// About how long the page is: its rows and the frame around them, so that rendering it
    /// fills one buffer rather than growing one.
    pub fn expected_len(&self) -> usize {
        self.layout.expected_len()
            + 2 * self.browsing.as_ref().map_or(0, String::len)
            + self
                .rows
                .iter()
                .map(|row| ROW_LEN + row.excerpt_html.len() + 2 * row.title.len())
                .sum::<usize>()
    }
}

/// A link to a category.
#[derive(Debug, Clone)]
pub struct CategoryLink {
    /// Its name.
    pub name: String,
    /// Its page.
    pub url: String,
}

impl From<&Category> for CategoryLink {
    fn from(category: &Category) -> Self {
        Self {
            name: category.name.clone(),
            url: paths::category(category),
        }
    }
}

/// A post's page, borrowing the post's long strings (its body is most of the page).
#[derive(Debug, Template)]
#[template(path = "post.html")]
pub struct PostView<'a> {
    /// The page frame.
    pub layout: Layout,
    /// The title.
    pub title: &'a str,
    /// `September 19th, 2018`.
    pub date: LongDate,
    /// Machine-readable date.
    pub datetime: Rfc3339Time,
    /// Who wrote it ("A, B and C" on the page).
    pub authors: Vec<AuthorLink<'a>>,
    /// Its categories, linked.
    pub categories: Vec<CategoryLink>,
    /// Its tags.
    pub tags: &'a [String],
    /// Sanitised at ingest.
    pub body_html: &'a str,
    /// "5 min read".
    pub reading_minutes: u32,
    /// The sections of a long post, to jump to (empty for a short one).
    pub toc: Vec<&'a TocEntry>,
}

/// A post with at least this many sections gets a table of contents.
pub const TOC_MIN_SECTIONS: usize = 4;

impl<'a> PostView<'a> {
    /// The page of `post`.
    pub fn new(site: &SiteConfig, post: &'a Post) -> Self {
        let path = paths::post(&post.slug);
        let mut layout = Layout::new(site, Some(&post.title), &Listing::All, Some(&path));
        layout.description = post.description.clone();
        layout.preview_type = "article";
        layout.published_time = Some(dates::rfc3339(post.published));
        layout.json_ld = Some(blog_posting(site, post, &site.absolute(&path)));
        let mut toc: Vec<&TocEntry> = post
            .toc
            .iter()
            .filter(|h| (2..=3).contains(&h.level))
            .collect();
        if toc.len() < TOC_MIN_SECTIONS {
            toc.clear();
        }
        Self {
            layout,
            title: &post.title,
            date: LongDate(post.published),
            datetime: Rfc3339Time(post.published),
            authors: author_links(&post.authors),
            categories: post.categories.iter().map(CategoryLink::from).collect(),
            tags: &post.tags,
            body_html: &post.body_html,
            reading_minutes: post.reading_minutes.max(1),
            toc,
        }
    }

    /// About how long the page is: its body and the frame around it, so that rendering it
    /// fills one buffer rather than growing one.
    pub fn expected_len(&self) -> usize {
        let toc: usize = self
            .toc
            .iter()
            .map(|entry| TOC_ENTRY_LEN + entry.id.len() + 2 * entry.title.len())
            .sum();
        let links: usize = self
            .authors
            .iter()
            .map(|a| LINK_LEN + 2 * a.name.len())
            .sum::<usize>()
            + self
                .categories
                .iter()
                .map(|c| LINK_LEN + 2 * c.name.len())
                .sum::<usize>();
        let tags: usize = self.tags.iter().map(|tag| 2 + 2 * tag.len()).sum();
        self.layout.expected_len()
            + POST_FRAME_LEN
            + 2 * self.title.len()
            + links
            + toc
            + tags
            + self.body_html.len()
    }
}

/// A category in the index, with its number of posts.
#[derive(Debug, Clone)]
pub struct CategorySummary {
    /// Its name.
    pub name: String,
    /// Its page.
    pub url: String,
    /// How many posts it has.
    pub posts: u64,
}

/// Every category, by name.
#[derive(Debug, Template)]
#[template(path = "categories.html")]
pub struct CategoriesView {
    /// The page frame.
    pub layout: Layout,
    /// The categories with posts, by name.
    pub categories: Vec<CategorySummary>,
}

/// A page saying what went wrong: not found, a bad link, or the store being down.
#[derive(Debug, Template)]
#[template(path = "error.html")]
pub struct ErrorView {
    /// The page frame.
    pub layout: Layout,
    /// What happened, in a few words.
    pub heading: String,
    /// What the reader can do.
    pub message: String,
}

impl ErrorView {
    /// An error page.
    pub fn new(site: &SiteConfig, heading: &str, message: &str) -> Self {
        Self {
            layout: Layout::new(site, Some(heading), &Listing::All, None),
            heading: heading.to_owned(),
            message: message.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::parse_post;

    fn site() -> SiteConfig {
        SiteConfig::new("https://blog.example.com").unwrap()
    }

    /// The example posts, and a long one: forty sections (a table of contents of forty
    /// entries), code, a table, three authors, and text that escaping lengthens.
    fn posts() -> Vec<Post> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/posts");
        let mut posts: Vec<Post> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_str().unwrap().to_owned();
                parse_post(&std::fs::read_to_string(&path).unwrap(), Some(&name)).unwrap()
            })
            .collect();
        let mut long = String::from(
            "---\ntitle: \"When the <canary> & the \\\"bottleneck\\\" are one\"\ndate: 2018-09-19\nauthors: [Steve Conover, Matthias Käppler, Tom Stuart]\ncategories: [Microservices, Data & Analytics]\ntags: [\"c++\", \"a&b\", scala, kubernetes]\n---\n\"Quotes\" & <angle brackets> in the teaser, which the description repeats.\n\n<!--more-->\n",
        );
        for n in 0..40 {
            long.push_str(&format!(
                "## Step {n}: what \"&\" <means> here\n\n### Why it matters, part {n}\n\nSome prose with `code` & \"quotes\".\n\n```rust\nfn step_{n}() -> Result<(), &'static str> {{ Ok(()) }}\n```\n\n| a | b |\n|---|---|\n| {n} | <x> |\n\n"
            ));
        }
        posts.push(parse_post(&long, Some("long.md")).unwrap());
        posts
    }

    /// A page rendered into a buffer of its `expected_len` never outgrows it: growing it would
    /// copy the whole page again (a post page is mostly its body, ~90 KB at the median).
    #[test]
    fn every_page_fits_the_buffer_sized_for_it() {
        let site = site();
        let posts = posts();
        for post in &posts {
            let view = PostView::new(&site, post);
            let page = view.render().unwrap();
            assert!(
                page.len() <= view.expected_len(),
                "{}: {} bytes, {} expected",
                post.slug,
                page.len(),
                view.expected_len()
            );
            // And not by so much that the estimate is meaningless.
            assert!(
                view.expected_len() < page.len() + 16 * 1024,
                "{}",
                post.slug
            );
        }
        let entries: Vec<ListingEntry> = posts.iter().map(Post::listing_entry).collect();
        for (subject, listing) in [
            (None, Listing::All),
            (
                Some("Data & Analytics"),
                Listing::Category(Slug::parse("data-analytics").unwrap()),
            ),
        ] {
            let view = ListingView {
                layout: Layout::new(&site, subject, &listing, Some("/")),
                browsing: subject.map(|s| format!("You're browsing posts of the category {s}")),
                rows: entries.iter().take(10).map(Row::from).collect(),
                older_url: Some("/page/2".into()),
                newer_url: None,
            };
            let page = view.render().unwrap();
            assert!(
                page.len() <= view.expected_len(),
                "{listing:?}: {} bytes, {} expected",
                page.len(),
                view.expected_len()
            );
            assert!(view.expected_len() < page.len() + 16 * 1024, "{listing:?}");
        }
    }
}
