//! The pages, as compiled-in askama templates: values in, escaped HTML out. No I/O here.

use askama::Template;

use crate::config::SiteConfig;
use crate::dates;
use crate::model::{Category, ListingEntry, Post};

/// What every page shares: the site's name, the page's title and the feed it links to.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The site's title, at the top of every page.
    pub site_title: String,
    /// The `<title>`.
    pub page_title: String,
    /// The feed this page offers (`<link rel="alternate">` and the RSS icon).
    pub feed_url: String,
    /// The feed's name.
    pub feed_title: String,
    /// The page's absolute URL, from configuration.
    pub canonical_url: Option<String>,
}

impl Layout {
    /// The layout of a page about `subject` (None for the home page) offering `feed_path`.
    pub fn new(
        site: &SiteConfig,
        subject: Option<&str>,
        feed_path: &str,
        canonical_path: Option<&str>,
    ) -> Self {
        let page_title = match subject {
            Some(subject) => format!("{subject} – {}", site.title),
            None => site.title.clone(),
        };
        Self {
            site_title: site.title.clone(),
            page_title,
            feed_url: feed_path.to_owned(),
            // A category page offers its category's feed, and says so.
            feed_title: match subject {
                Some(subject) if feed_path != SITE_FEED_PATH => {
                    format!("{}: {subject} RSS feed", site.title)
                }
                _ => format!("{} RSS feed", site.title),
            },
            canonical_url: canonical_path.map(|p| site.absolute(p)),
        }
    }
}

/// The path of a post's page.
pub fn post_path(slug: &str) -> String {
    format!("/posts/{slug}")
}

/// The path of a category's page.
pub fn category_path(slug: &str) -> String {
    format!("/category/{slug}")
}

/// The path of a category's feed.
pub fn category_feed_path(slug: &str) -> String {
    format!("/category/{slug}/feed.xml")
}

/// The path of the whole blog's feed.
pub const SITE_FEED_PATH: &str = "/feed.xml";

/// One post in a listing.
#[derive(Debug, Clone)]
pub struct Row {
    /// The title.
    pub title: String,
    /// The post's page.
    pub url: String,
    /// `September 19th, 2018`.
    pub date: String,
    /// Machine-readable date for `<time>`.
    pub datetime: String,
    /// "A, B and C".
    pub authors: String,
    /// Sanitised at ingest.
    pub excerpt_html: String,
}

impl From<&ListingEntry> for Row {
    fn from(entry: &ListingEntry) -> Self {
        Self {
            title: entry.title.clone(),
            url: post_path(entry.slug.as_str()),
            date: dates::long_date(entry.published),
            datetime: dates::rfc3339(entry.published),
            authors: dates::author_list(&entry.authors),
            excerpt_html: entry.excerpt_html.clone(),
        }
    }
}

/// A page of a listing: the home page or a category page.
#[derive(Debug, Template)]
#[template(path = "listing.html")]
pub struct ListingView {
    /// The page frame.
    pub layout: Layout,
    /// The category's name, on a category page.
    pub category: Option<String>,
    /// The posts, newest first.
    pub rows: Vec<Row>,
    /// The "Older posts" link.
    pub older_url: Option<String>,
    /// The "Newer posts" link.
    pub newer_url: Option<String>,
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
            url: category_path(category.slug.as_str()),
        }
    }
}

/// A post's page.
#[derive(Debug, Template)]
#[template(path = "post.html")]
pub struct PostView {
    /// The page frame.
    pub layout: Layout,
    /// The title.
    pub title: String,
    /// `September 19th, 2018`.
    pub date: String,
    /// Machine-readable date.
    pub datetime: String,
    /// "A, B and C".
    pub authors: String,
    /// Its categories, linked.
    pub categories: Vec<CategoryLink>,
    /// Its tags.
    pub tags: Vec<String>,
    /// Sanitised at ingest.
    pub body_html: String,
}

impl PostView {
    /// The page of `post`.
    pub fn new(site: &SiteConfig, post: &Post) -> Self {
        let path = post_path(post.slug.as_str());
        Self {
            layout: Layout::new(site, Some(&post.title), SITE_FEED_PATH, Some(&path)),
            title: post.title.clone(),
            date: dates::long_date(post.published),
            datetime: dates::rfc3339(post.published),
            authors: dates::author_list(&post.authors),
            categories: post.categories.iter().map(CategoryLink::from).collect(),
            tags: post.tags.clone(),
            body_html: post.body_html.clone(),
        }
    }
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
            layout: Layout::new(site, Some(heading), SITE_FEED_PATH, None),
            heading: heading.to_owned(),
            message: message.to_owned(),
        }
    }
}
