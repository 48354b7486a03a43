//! The crawler files (the Sitemaps 0.9 protocol, written with quick-xml, and `robots.txt`), so
//! that crawlers find every public post and listing from the configured origin: `robots.txt`
//! names the sitemap index, which lists the home page's sitemap and one sitemap per year of
//! posts, each within the protocol's 50,000 URLs and 50 MB.

use std::collections::BTreeSet;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use time::OffsetDateTime;

use crate::config::SiteConfig;
use crate::dates;
use crate::model::{Listing, ListingEntry, SITEMAP_MAX_BYTES, SITEMAP_MAX_URLS};
use crate::paths;

/// The sitemaps' media type.
pub static MEDIA_TYPE: std::sync::LazyLock<mime::Mime> = std::sync::LazyLock::new(|| {
    "application/xml; charset=utf-8"
        .parse()
        .expect("a well-formed media type")
});

/// The Sitemaps protocol's namespace, of a sitemap and of an index alike.
const NAMESPACE: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";

/// One entry of a sitemap (a page) or of the index (a sitemap): its root-relative path and
/// when it last changed, when that is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The path, made absolute on the configured origin when written.
    pub path: String,
    /// When it last changed.
    pub modified: Option<OffsetDateTime>,
}

/// The sitemap index: the sitemaps in `sitemaps`, in that order.
pub fn index(site: &SiteConfig, sitemaps: &[Entry]) -> String {
    let mut document = Document::new("sitemapindex");
    for sitemap in sitemaps {
        document.entry(site, "sitemap", sitemap);
    }
    document.finish()
}

/// A sitemap written whole, or as much of it as the protocol's bounds let one hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Urlset {
    /// The document.
    pub text: String,
    /// How many of the URLs asked for it holds: the first ones, up to [`SITEMAP_MAX_URLS`] and
    /// [`SITEMAP_MAX_BYTES`].
    pub listed: usize,
}

/// A sitemap of `urls`, in that order, within the protocol's bounds.
pub fn urlset(site: &SiteConfig, urls: &[Entry]) -> Urlset {
    let mut document = Document::new("urlset");
    let closing = "</urlset>".len();
    let mut listed = 0;
    for url in urls.iter().take(SITEMAP_MAX_URLS) {
        let before = document.len();
        document.entry(site, "url", url);
        if document.len() + closing > SITEMAP_MAX_BYTES {
            document.truncate(before);
            break;
        }
        listed += 1;
    }
    Urlset {
        text: document.finish(),
        listed,
    }
}

/// What the home page's sitemap lists: the home page and the categories index, both changed
/// when the newest post (published at `newest`, if there is one) appeared.
pub fn home_urls(newest: Option<OffsetDateTime>) -> Vec<Entry> {
    [paths::listing(&Listing::All), paths::CATEGORIES.to_owned()]
        .into_iter()
        .map(|path| Entry {
            path,
            modified: newest,
        })
        .collect()
}

/// What a year's sitemap lists: each of its posts (`entries`) on the day it appeared, then the
/// page of each category and author they are in, each once. A listing page changed when its
/// newest post appeared, which may be in a later year: no date is given for it.
pub fn year_urls(entries: &[ListingEntry]) -> Vec<Entry> {
    let listings: BTreeSet<Listing> = entries
        .iter()
        .flat_map(ListingEntry::listings)
        .filter(|listing| *listing != Listing::All)
        .collect();
    let posts = entries.iter().map(|entry| Entry {
        path: paths::post(&entry.slug),
        modified: Some(entry.published),
    });
    let pages = listings.iter().map(|listing| Entry {
        path: paths::listing(listing),
        modified: None,
    });
    posts.chain(pages).collect()
}

/// A Sitemaps document being written into memory.
struct Document {
    writer: Writer<Vec<u8>>,
    root: &'static str,
}

impl Document {
    fn new(root: &'static str) -> Self {
        let mut document = Self {
            writer: Writer::new(Vec::new()),
            root,
        };
        document.write(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
        document.write(Event::Start(
            BytesStart::new(root).with_attributes([("xmlns", NAMESPACE)]),
        ));
        document
    }

    fn write(&mut self, event: Event<'_>) {
        self.writer.write_event(event).expect("writing to memory");
    }

    /// `<name><loc>…</loc><lastmod>…</lastmod></name>`, the date (UTC) only when known.
    fn entry(&mut self, site: &SiteConfig, name: &str, entry: &Entry) {
        self.write(Event::Start(BytesStart::new(name)));
        self.element("loc", &site.absolute(&entry.path));
        if let Some(modified) = entry.modified {
            self.element("lastmod", &dates::sortable(modified)[..10]);
        }
        self.write(Event::End(BytesEnd::new(name)));
    }

    fn element(&mut self, name: &str, text: &str) {
        self.write(Event::Start(BytesStart::new(name)));
        self.write(Event::Text(BytesText::new(text)));
        self.write(Event::End(BytesEnd::new(name)));
    }

    fn len(&self) -> usize {
        self.writer.get_ref().len()
    }

    fn truncate(&mut self, len: usize) {
        self.writer.get_mut().truncate(len);
    }

    fn finish(mut self) -> String {
        self.write(Event::End(BytesEnd::new(self.root)));
        String::from_utf8(self.writer.into_inner()).expect("quick-xml writes UTF-8")
    }
}

/// `robots.txt`: everything may be crawled, and the sitemap index is here.
pub fn robots(site: &SiteConfig) -> String {
    format!(
        "User-agent: *\nAllow: /\n\nSitemap: {}\n",
        site.absolute(paths::SITEMAP)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Category, Slug};
    use time::macros::datetime;

    fn entry(slug: &str, categories: &[&str], authors: &[&str]) -> ListingEntry {
        ListingEntry {
            slug: Slug::parse(slug).unwrap(),
            title: "T".into(),
            authors: authors.iter().map(|a| (*a).to_owned()).collect(),
            published: datetime!(2024-03-01 23:30 -02:00),
            categories: categories
                .iter()
                .map(|c| Category::from_name(c).unwrap())
                .collect(),
            excerpt_html: String::new(),
        }
    }

    #[test]
    fn a_year_lists_its_posts_then_each_of_their_listings_once() {
        let urls = year_urls(&[
            entry("a", &["Data"], &["Ann Lee"]),
            entry("b", &["Data", "Ops"], &["Ann Lee", "Bo"]),
        ]);
        let paths: Vec<&str> = urls.iter().map(|u| u.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/posts/a",
                "/posts/b",
                "/category/data",
                "/category/ops",
                "/author/ann-lee",
                "/author/bo"
            ]
        );
        let site = SiteConfig::new("https://blog.example.com").unwrap();
        let text = urlset(&site, &urls).text;
        // The day in UTC, as the post's year is.
        assert!(
            text.contains("<url><loc>https://blog.example.com/posts/a</loc><lastmod>2024-03-02</lastmod></url>"),
            "{text}"
        );
        assert!(
            text.contains("<url><loc>https://blog.example.com/author/bo</loc></url>"),
            "{text}"
        );
    }

    #[test]
    fn no_sitemap_exceeds_the_protocol_s_urls_or_bytes() {
        // The longest host a URL may have (253 characters), and the longest slugs.
        let host = format!("{}.{}", vec!["a".repeat(63); 3].join("."), "b".repeat(61));
        let site = SiteConfig::new(&format!("https://{host}:65535")).unwrap();
        let slug = "s".repeat(crate::model::MAX_SLUG_LEN - 6);
        let urls: Vec<Entry> = (0..SITEMAP_MAX_URLS + 10)
            .map(|n| Entry {
                path: paths::post(&Slug::parse(&format!("{slug}-{n:05}")).unwrap()),
                modified: Some(datetime!(2024-03-01 12:00 UTC)),
            })
            .collect();
        let written = urlset(&site, &urls);
        assert_eq!(written.listed, SITEMAP_MAX_URLS);
        assert_eq!(written.text.matches("<url>").count(), SITEMAP_MAX_URLS);
        assert!(
            written.text.len() < SITEMAP_MAX_BYTES / 2,
            "{} bytes",
            written.text.len()
        );
        assert!(written.text.ends_with("</urlset>"));
    }

    #[test]
    fn the_bytes_bound_cuts_between_urls() {
        let site = SiteConfig::new("https://blog.example.com").unwrap();
        // Paths far longer than any the blog makes, to reach the bytes bound first.
        let urls: Vec<Entry> = (0..60)
            .map(|n| Entry {
                path: format!("/{n}/{}", "x".repeat(1_000_000)),
                modified: None,
            })
            .collect();
        let written = urlset(&site, &urls);
        assert_eq!(written.listed, 52);
        assert!(written.text.len() <= SITEMAP_MAX_BYTES);
        assert!(written.text.ends_with("</url></urlset>"));
    }

    #[test]
    fn the_index_lists_each_sitemap_with_its_date() {
        let site = SiteConfig::new("https://blog.example.com").unwrap();
        let text = index(
            &site,
            &[
                Entry {
                    path: "/sitemaps/home.xml".into(),
                    modified: Some(datetime!(2024-03-01 12:00 UTC)),
                },
                Entry {
                    path: "/sitemaps/2024.xml".into(),
                    modified: None,
                },
            ],
        );
        assert_eq!(
            text,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\
             <sitemap><loc>https://blog.example.com/sitemaps/home.xml</loc><lastmod>2024-03-01</lastmod></sitemap>\
             <sitemap><loc>https://blog.example.com/sitemaps/2024.xml</loc></sitemap></sitemapindex>"
        );
    }
}
