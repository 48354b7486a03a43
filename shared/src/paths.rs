//! Every URL the site makes, root-relative: a post, a listing and its pages, feeds, stored
//! files (and their keys in the blob store, the same paths), the crawler files, the icon, and
//! the old addresses a renamed post leaves behind. Each route pattern stands beside the function
//! that fills it in, so the two cannot drift apart; the HTTP edge's route table mounts the
//! patterns.
//!
//! The configured origin is added by [`crate::SiteConfig::absolute`], never here.

use std::fmt;

use time::OffsetDateTime;

use crate::model::{Category, Cursor, FeedFormat, Listing, MediaFile, PageRequest, Sitemap, Slug};

/// The route of a post's page.
pub const POST_ROUTE: &str = "/posts/{slug}";
/// The route authors create posts on.
pub const POSTS: &str = "/posts";
/// The route of a category's page.
pub const CATEGORY_ROUTE: &str = "/category/{category}";
/// The route of an author's page.
pub const AUTHOR_ROUTE: &str = "/author/{author}";
/// Every category, with its number of posts.
pub const CATEGORIES: &str = "/categories";
/// The whole blog's feed in the format the reader's `Accept` prefers.
pub const NEGOTIATED_FEED: &str = "/feed";
/// The sitemap index, which `robots.txt` names: it lists every sitemap below.
pub const SITEMAP: &str = "/sitemap.xml";
/// The route of each sitemap the index lists: `/sitemaps/home.xml`, `/sitemaps/2024.xml`.
pub const SITEMAP_ROUTE: &str = "/sitemaps/{sitemap}";
/// The file name of the home page's sitemap under `/sitemaps/`.
const HOME_SITEMAP: &str = "home.xml";
/// The crawlers' rules.
pub const ROBOTS: &str = "/robots.txt";
/// The site's icon where browsers and feed readers look for it unasked, and pages name it.
pub const FAVICON_ICO: &str = "/favicon.ico";
/// The site's icon drawn as SVG, which pages name for browsers that take it.
pub const FAVICON_SVG: &str = "/favicon.svg";
/// Where authors ask for upload slots for a post's files.
pub const MEDIA: &str = "/media";
/// The route of a stored file: `/media/<sha256>/<name>`, the same path in the CDN, the bucket
/// (without its leading `/`) and the local site.
pub const MEDIA_ROUTE: &str = "/media/{sha256}/{name}";
/// The search page: the form, and the results drawn by the reader's browser.
pub const SEARCH: &str = "/search";
/// The route of the search index's files: `/search/<build>/<file>` (each build's files named by
/// Pagefind, never changed once written) and [`SEARCH_POINTER`].
pub const SEARCH_FILES_ROUTE: &str = "/search/{*file}";
/// The current build's name, rewritten after each build's files are all stored: the one search
/// file that changes, kept by caches a minute only
/// ([`crate::store::blobs::SEARCH_POINTER_CACHE`]).
pub const SEARCH_POINTER: &str = "/search/current.json";
/// The base Atom category schemes are named under (`/category/` + a category's slug).
pub const CATEGORY_SCHEME: &str = "/category/";

/// A post's page, `/posts/{slug}`; a former slug's page redirects to the post's new one.
pub fn post(slug: &Slug) -> String {
    PostPath(slug).to_string()
}

/// A post's page as [`post`] spells it, written where it is wanted (a page being rendered)
/// rather than into a string of its own: a listing page writes ten of them twice.
#[derive(Debug, Clone, Copy)]
pub struct PostPath<'a>(pub &'a Slug);

impl fmt::Display for PostPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("/posts/")?;
        f.write_str(self.0.as_str())
    }
}

/// The route that serves `path` (an old address as stored) among those with fixed paths, if one
/// does: an old address there would never be reached. A post's page (`/posts/…`) is not
/// among them: a renamed post's former page is one of its old addresses.
pub fn route_at(path: &str) -> Option<String> {
    const FIXED: [&str; 7] = [
        CATEGORIES,
        SEARCH,
        SITEMAP,
        ROBOTS,
        NEGOTIATED_FEED,
        FAVICON_ICO,
        FAVICON_SVG,
    ];
    let feeds = FeedFormat::ALL.map(|format| feed(&Listing::All, format));
    if let Some(route) = FIXED
        .iter()
        .copied()
        .chain(feeds.iter().map(String::as_str))
        .find(|route| *route == path)
    {
        return Some(route.to_owned());
    }
    let sitemaps = SITEMAP_ROUTE.trim_end_matches("/{sitemap}");
    [
        (SEARCH, SEARCH_FILES_ROUTE),
        (MEDIA, MEDIA_ROUTE),
        (sitemaps, SITEMAP_ROUTE),
    ]
    .into_iter()
    .find(|(base, _)| {
        path.strip_prefix(base)
            .is_some_and(|rest| rest.starts_with('/'))
    })
    .map(|(_, route)| route.to_owned())
}

/// The key in the blob store of a search file's path (`/search/…`): the path without its
/// leading `/`, as for posts' files.
pub fn search_key(path: &str) -> String {
    path.trim_start_matches('/').to_owned()
}

/// A stored file's URL path.
pub fn media(sha256: &str, name: &str) -> String {
    format!("/media/{sha256}/{name}")
}

/// A post's file's URL path, `/media/<sha256>/<name>`.
pub fn media_file(file: &MediaFile) -> String {
    media(&file.sha256, &file.name)
}

/// A file's key in a blob store: its path without the leading `/`, so that a CDN serving the
/// bucket at `/media/*` finds it under the same path readers use.
pub fn media_key(file: &MediaFile) -> String {
    media_file(file).trim_start_matches('/').to_owned()
}

/// Where a file's upload slot writes, until the server has checked the bytes: a key that no
/// reader's URL names (`media/incoming/…`; the CDN serves only `/media/<sha256>/<name>`).
pub fn media_staging_key(file: &MediaFile) -> String {
    format!("media/incoming/{}/{}", file.sha256, file.name)
}

/// A listing's first page: `/`, `/category/{slug}` or `/author/{slug}`; its feeds live under it.
pub fn listing(listing: &Listing) -> String {
    ListingPath(listing).to_string()
}

/// A listing's first page as [`listing`] spells it, written where it is wanted.
#[derive(Debug, Clone, Copy)]
pub struct ListingPath<'a>(pub &'a Listing);

impl fmt::Display for ListingPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (base, slug) = match self.0 {
            Listing::All => return f.write_str("/"),
            Listing::Category(slug) => ("/category/", slug),
            Listing::Author(slug) => ("/author/", slug),
        };
        f.write_str(base)?;
        f.write_str(slug.as_str())
    }
}

/// A category's page.
pub fn category(category: &Category) -> String {
    listing(&Listing::Category(category.slug.clone()))
}

/// The page of `listing` that `request` asks for: older posts after a cursor, newer before it.
pub fn listing_page(of: &Listing, request: &PageRequest) -> String {
    let base = listing(of);
    match request {
        PageRequest::First => base,
        PageRequest::After(cursor) => format!("{base}?after={}", Cursor::encode(cursor)),
        PageRequest::Before(cursor) => format!("{base}?before={}", Cursor::encode(cursor)),
    }
}

/// A listing's feed: `/feed.xml` for the whole blog, `/category/{slug}/feed.xml`,
/// `/author/{slug}/atom.xml`…
pub fn feed(of: &Listing, format: FeedFormat) -> String {
    FeedPath(of, format).to_string()
}

/// A listing's feed as [`feed`] spells it, written where it is wanted.
#[derive(Debug, Clone, Copy)]
pub struct FeedPath<'a>(pub &'a Listing, pub FeedFormat);

impl fmt::Display for FeedPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self.0 != Listing::All {
            ListingPath(self.0).fmt(f)?;
        }
        f.write_str("/")?;
        f.write_str(self.1.file())
    }
}

/// A sitemap's path: `/sitemaps/home.xml`, or `/sitemaps/<year>.xml`.
pub fn sitemap(which: Sitemap) -> String {
    match which {
        Sitemap::Home => format!("/sitemaps/{HOME_SITEMAP}"),
        Sitemap::Year(year) => format!("/sitemaps/{year:04}.xml"),
    }
}

/// The sitemap a file name under `/sitemaps/` names, as [`sitemap`] spells it; None for any
/// other name.
pub fn sitemap_named(file: &str) -> Option<Sitemap> {
    if file == HOME_SITEMAP {
        return Some(Sitemap::Home);
    }
    let year = file.strip_suffix(".xml")?;
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    year.parse().ok().map(Sitemap::Year)
}

/// The sitemaps that show a public post published at `when`: the index (each year's newest
/// date), the home page's (the newest date of all) and its year's.
pub fn sitemaps_showing(when: OffsetDateTime) -> [String; 3] {
    [
        SITEMAP.to_owned(),
        sitemap(Sitemap::Home),
        sitemap(Sitemap::of_post_at(when)),
    ]
}

/// The characters an old address keeps percent-encoded: controls, space, non-ASCII (always),
/// and those a URL path cannot hold as they are.
const ENCODED_IN_OLD_ADDRESSES: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// An old address in the one form it is stored and looked up in: percent-decoded, then encoded
/// again with upper-case hex where a URL needs it. Case and punctuation stay as written, since
/// the old server matched them so; `/Caf%c3%a9.html`, `/Café.html` and `/Caf%C3%A9.html` are
/// one address.
pub fn old_address(path: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    percent_encoding::utf8_percent_encode(&decoded, ENCODED_IN_OLD_ADDRESSES).to_string()
}

/// The post whose page `path` names in some spelling, whatever an old server or a reader's
/// browser makes of it: `/posts/<slug>` with any case, doubled or trailing slashes, `.`
/// segments, an encoded slash (`%2f`) or a trailing `index.html`. None if it names no post's
/// page.
pub fn post_named_by(path: &str) -> Option<Slug> {
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()?;
    let lower = decoded.to_lowercase();
    // As a server that merges slashes and drops `.` segments reads it: `//posts/./x//`.
    let mut segments = lower.split('/').filter(|s| !s.is_empty() && *s != ".");
    if segments.next() != Some("posts") {
        return None;
    }
    let rest: Vec<&str> = segments.collect();
    let slug = match rest.as_slice() {
        [slug] | [slug, "index.html" | "index.htm"] => slug,
        _ => return None,
    };
    Slug::parse(slug).ok()
}

/// The route of a category's or an author's feed in `format`, under the page's own route.
pub fn feed_route(page_route: &str, format: FeedFormat) -> String {
    format!("{page_route}/{}", format.file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_addresses_at_the_blogs_own_routes_are_named() {
        for (path, route) in [
            ("/search", SEARCH),
            ("/search/", SEARCH_FILES_ROUTE),
            ("/search/current.json", SEARCH_FILES_ROUTE),
            ("/categories", CATEGORIES),
            ("/feed.xml", "/feed.xml"),
            ("/media/x", MEDIA_ROUTE),
            ("/favicon.ico", FAVICON_ICO),
            ("/sitemaps/posts-2018.xml", SITEMAP_ROUTE),
        ] {
            assert_eq!(route_at(path).as_deref(), Some(route), "{path}");
        }
        for free in [
            "/searching",
            "/Search",
            "/posts/old-name",
            "/2018/09/19/x.html",
            "/media",
        ] {
            assert_eq!(route_at(free), None, "{free}");
        }
    }

    #[test]
    fn each_route_pattern_matches_the_paths_it_stands_for() {
        let slug = Slug::parse("a-b").unwrap();
        let fill = |route: &str, name: &str| route.replace(name, "a-b");
        assert_eq!(fill(POST_ROUTE, "{slug}"), post(&slug));
        assert_eq!(
            fill(CATEGORY_ROUTE, "{category}"),
            listing(&Listing::Category(slug.clone()))
        );
        assert_eq!(
            fill(AUTHOR_ROUTE, "{author}"),
            listing(&Listing::Author(slug.clone()))
        );
        assert_eq!(
            fill(&feed_route(CATEGORY_ROUTE, FeedFormat::Atom), "{category}"),
            feed(&Listing::Category(slug.clone()), FeedFormat::Atom)
        );
        assert_eq!(
            format!("{CATEGORY_SCHEME}a-b"),
            listing(&Listing::Category(slug))
        );
        assert_eq!(feed(&Listing::All, FeedFormat::Json), "/feed.json");
        for which in [Sitemap::Home, Sitemap::Year(2024), Sitemap::Year(987)] {
            let path = sitemap(which);
            let file = path.strip_prefix("/sitemaps/").unwrap();
            assert_eq!(SITEMAP_ROUTE.replace("{sitemap}", file), path);
            assert_eq!(sitemap_named(file), Some(which), "{path}");
        }
        assert_eq!(
            MEDIA_ROUTE
                .replace("{sha256}", "ab")
                .replace("{name}", "x.png"),
            media("ab", "x.png")
        );
    }

    #[test]
    fn only_the_sitemaps_the_index_lists_have_names() {
        for file in [
            "2024",
            "2024.XML",
            "24.xml",
            "02024.xml",
            "+024.xml",
            "-024.xml",
            "home",
            "",
            "sitemap.xml",
            "2024.xml.gz",
        ] {
            assert_eq!(sitemap_named(file), None, "{file}");
        }
        assert_eq!(sitemap_named("0987.xml"), Some(Sitemap::Year(987)));
    }

    #[test]
    fn a_post_s_page_is_named_in_every_spelling_a_server_would_answer() {
        let named = |path: &str| post_named_by(path).map(|s| s.to_string());
        for path in [
            "/posts/victim-post",
            "/posts/victim-post/",
            "/posts/victim-post%2f",
            "/posts/victim-post%2F%2F",
            "/Posts/Victim-Post",
            "/posts/victim-post/index.html",
            "/posts/Victim-Post/INDEX.HTML/",
            "/posts/victim%2Dpost",
            "//posts/victim-post",
            "/posts//victim-post",
            "/posts/./victim-post/",
            "/./posts/victim-post%2f%2findex.html",
        ] {
            assert_eq!(named(path).as_deref(), Some("victim-post"), "{path}");
        }
        for path in [
            "/posts/",
            "/posts/a/b",
            "/blog/victim-post",
            "/posts/victim_post",
            "/posts/victim-post.html",
            "/posts/%ff",
        ] {
            assert_eq!(named(path), None, "{path}");
        }
    }

    #[test]
    fn old_addresses_have_one_form_and_keep_their_case() {
        assert_eq!(
            old_address("/2015/05/15/Release-2.0.html"),
            "/2015/05/15/Release-2.0.html"
        );
        assert_eq!(old_address("/Café au lait/"), "/Caf%C3%A9%20au%20lait/");
        assert_eq!(
            old_address("/Caf%c3%a9%20au%20lait/"),
            "/Caf%C3%A9%20au%20lait/"
        );
        assert_ne!(old_address("/A.html"), old_address("/a.html"));
    }
}
