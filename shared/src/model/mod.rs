//! The blog's vocabulary: posts, slugs, categories, listings and their pages (`listing.rs`), the
//! sitemaps (`sitemap.rs`), the feed formats, and every limit the blog keeps (`limits.rs`, each
//! with its reason).

mod limits;
mod listing;
pub mod media;
mod sitemap;

pub use limits::*;
use listing::listings_of;
pub use listing::{
    Cursor, CursorError, Listing, ListingEntry, ListingPage, PageRequest, sort_key, sort_key_time,
    visible_until,
};
pub use media::{MediaFile, MediaRef};
pub use sitemap::{Sitemap, year_bounds, year_of};

use std::fmt;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A URL-safe name: lowercase ASCII letters, digits and single hyphens, `[a-z0-9]+(-[a-z0-9]+)*`.
///
/// Slugs appear in paths and in store keys, so anything else is refused rather than escaped:
/// API Gateway decodes `%2F` before routing, and a key must never be built from raw input.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

/// Why a string is not a [`Slug`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    /// Nothing to make a slug of.
    #[error("a slug cannot be empty")]
    Empty,
    /// Longer than [`MAX_SLUG_LEN`].
    #[error("a slug is at most {MAX_SLUG_LEN} characters, this one has {0}")]
    TooLong(usize),
    /// A character outside `[a-z0-9-]`, or a leading, trailing or doubled hyphen.
    #[error(
        "a slug is lowercase letters, digits and single hyphens (like `my-first-post`), not `{0}`"
    )]
    Invalid(String),
}

impl Slug {
    /// Accepts `s` only if it already is a slug.
    pub fn parse(s: &str) -> Result<Self, SlugError> {
        Self::check(s)?;
        Ok(Self(s.to_owned()))
    }

    /// Why `s` is no slug, if it is not: lowercase ASCII letters and digits in words joined by
    /// single hyphens. One pass over the bytes with no branch in it (every stored slug is
    /// checked again as it is read: a listing page reads some fifty).
    fn check(s: &str) -> Result<(), SlugError> {
        if s.is_empty() {
            return Err(SlugError::Empty);
        }
        if s.len() > MAX_SLUG_LEN {
            return Err(SlugError::TooLong(s.len()));
        }
        let mut after_hyphen = true; // a slug cannot start with one
        let mut valid = true;
        for &b in s.as_bytes() {
            let hyphen = b == b'-';
            valid &= b.is_ascii_lowercase() | b.is_ascii_digit() | (hyphen & !after_hyphen);
            after_hyphen = hyphen;
        }
        if valid && !after_hyphen {
            Ok(())
        } else {
            Err(SlugError::Invalid(s.to_owned()))
        }
    }

    /// Makes a slug from free text such as a title or a category name (`Käppler` → `kappler`).
    pub fn from_text(text: &str) -> Result<Self, SlugError> {
        let mut made = slug::slugify(text);
        if made.len() > MAX_SLUG_LEN {
            made.truncate(MAX_SLUG_LEN);
            while made.ends_with('-') {
                made.pop();
            }
        }
        Self::parse(&made)
    }

    /// Makes a slug from a category's or an author's name, where `+` and `#` mean something:
    /// `C`, `C++` and `C#` are three categories (`c`, `c-plus-plus`, `c-sharp`).
    pub fn from_name(name: &str) -> Result<Self, SlugError> {
        let mut spelled = String::with_capacity(name.len() + 16);
        for c in name.chars() {
            match c {
                '+' => spelled.push_str(" plus "),
                '#' => spelled.push_str(" sharp "),
                other => spelled.push(other),
            }
        }
        Self::from_text(&spelled)
    }

    /// The slug as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Slug {
    type Error = SlugError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::check(&s)?;
        Ok(Self(s))
    }
}

impl From<Slug> for String {
    fn from(slug: Slug) -> Self {
        slug.0
    }
}

/// A category as authors name it ("Microservices") and as URLs name it (`microservices`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// The name shown to readers.
    pub name: String,
    /// The name in `/category/{slug}`.
    pub slug: Slug,
}

impl Category {
    /// A category from the name an author wrote.
    pub fn from_name(name: &str) -> Result<Self, SlugError> {
        Ok(Self {
            name: name.trim().to_owned(),
            slug: Slug::from_name(name)?,
        })
    }
}

/// A published (or scheduled) post, as stored: Markdown rendered once, at ingest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Post {
    /// Its name in `/posts/{slug}`.
    pub slug: Slug,
    /// The title, plain text.
    pub title: String,
    /// Who wrote it, in the order to credit them.
    pub authors: Vec<String>,
    /// When it appears; a post dated in the future appears from that moment on.
    #[serde(with = "time::serde::rfc3339")]
    pub published: OffsetDateTime,
    /// When its content last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated: OffsetDateTime,
    /// The categories it is listed under, at least none.
    pub categories: Vec<Category>,
    /// Free-form tags.
    pub tags: Vec<String>,
    /// The teaser shown in listings and feeds: sanitised HTML.
    pub excerpt_html: String,
    /// The teaser as plain text, for `<meta name="description">` and link previews.
    #[serde(default)]
    pub description: String,
    /// The source, front matter included, exactly as the author wrote it (empty when read
    /// for a page: `Store::post_without_source`).
    pub source: String,
    /// The body: sanitised HTML.
    pub body_html: String,
    /// The body's headings, for a table of contents.
    #[serde(default)]
    pub toc: Vec<TocEntry>,
    /// How long it takes to read, in minutes.
    #[serde(default)]
    pub reading_minutes: u32,
    /// A hash of `source`: uploading the same file twice changes nothing.
    pub content_hash: String,
    /// Stored but shown nowhere public.
    pub draft: bool,
    /// Old paths (`/2018/09/19/old-name.html`) that answer 301 to this post.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Its addresses on the site it was imported from (its aliases there among them), as the
    /// importer gave them; kept when a later upload does not say (a plain `blog publish`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_paths: Option<Vec<String>>,
    /// Slugs this post had before it was renamed: `/posts/{old}` answers 301 to it.
    #[serde(default)]
    pub moved_from: Vec<Slug>,
    /// The path of its source within the folder it was published from
    /// (`_posts/2015-05-15-Release-2.0.md`), when the upload said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_path: Option<String>,
    /// The `id` its front matter gives it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The files it references (diagrams, screenshots, PDFs), as stored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media: Vec<MediaRef>,
    /// Bumped by every write; updates are conditional on it (optimistic locking).
    pub version: u64,
}

impl Post {
    /// The row this post contributes to each of its listings.
    pub fn listing_entry(&self) -> ListingEntry {
        ListingEntry {
            slug: self.slug.clone(),
            title: self.title.clone(),
            authors: self.authors.clone(),
            published: self.published,
            categories: self.categories.clone(),
            excerpt_html: self.excerpt_html.clone(),
        }
    }

    /// Every listing this post appears in: the whole blog, each of its categories and each of
    /// its authors; none for a draft.
    pub fn listings(&self) -> Vec<Listing> {
        if self.draft {
            return Vec::new();
        }
        listings_of(&self.categories, &self.authors)
    }

    /// What this post is, across uploads: its `id`, else its source's path.
    pub fn identity(&self) -> Identity {
        Identity {
            id: self.id.clone(),
            source_path: self.source_path.clone(),
        }
    }

    /// The listing rows this post needs: (listing, sort key).
    pub fn listing_rows(&self) -> Vec<(Listing, String)> {
        let sort_key = sort_key(self.published, &self.slug);
        self.listings()
            .into_iter()
            .map(|listing| (listing, sort_key.clone()))
            .collect()
    }
}

/// What makes a post the same post on every upload, whatever its slug: the `id` its front
/// matter gives it, else the path of its source within the folder it was published from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The front matter's `id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The source's path (`_posts/2015-05-15-Release-2.0.md`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_path: Option<String>,
}

impl Identity {
    /// Whether nothing is known of it (a post stored before identities were kept).
    pub fn is_unknown(&self) -> bool {
        self.id.is_none() && self.source_path.is_none()
    }

    /// Whether two identities are known to name the same post (None when either says too
    /// little to tell): the same `id`, or source paths naming the same file (one may be the
    /// other seen from a folder further up, `2020/x.md` published alone as `x.md`).
    pub fn same_post(&self, other: &Self) -> Option<bool> {
        if let (Some(a), Some(b)) = (&self.id, &other.id) {
            return Some(a == b);
        }
        match (&self.source_path, &other.source_path) {
            (Some(a), Some(b)) => Some(same_source(a, b)),
            _ => None,
        }
    }

    /// How a reader of an error message knows it: `id 42` or its path.
    pub fn describe(&self) -> String {
        match (&self.id, &self.source_path) {
            (Some(id), _) => format!("id `{id}`"),
            (None, Some(path)) => format!("`{path}`"),
            (None, None) => "a source not recorded".to_owned(),
        }
    }
}

/// Whether two uploads' source paths name the same file: the same path, or one is the other
/// seen from a folder further up (`2020/x.md` published alone as `x.md`).
pub fn same_source(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    long == short
        || long
            .strip_suffix(short)
            .is_some_and(|head| head.ends_with('/'))
}

/// A heading of a post, for its table of contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TocEntry {
    /// 1 to 6.
    pub level: u8,
    /// The heading's id, the target of `#id`.
    pub id: String,
    /// Its text.
    pub title: String,
}

/// The syndication formats every listing is offered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedFormat {
    /// RSS 2.0, `feed.xml`.
    Rss,
    /// Atom 1.0, `atom.xml`.
    Atom,
    /// JSON Feed 1.1, `feed.json`.
    Json,
}

static RSS: LazyLock<mime::Mime> = LazyLock::new(|| media_type("application/rss+xml"));
static ATOM: LazyLock<mime::Mime> = LazyLock::new(|| media_type("application/atom+xml"));
static JSON_FEED: LazyLock<mime::Mime> = LazyLock::new(|| media_type("application/feed+json"));

fn media_type(essence: &str) -> mime::Mime {
    format!("{essence}; charset=utf-8")
        .parse()
        .expect("a well-formed media type")
}

impl FeedFormat {
    /// Every format, RSS first (the one the RSS icon links, and `/feed`'s default).
    pub const ALL: [Self; 3] = [Self::Rss, Self::Atom, Self::Json];

    /// The feed's file name under its listing's path.
    pub fn file(self) -> &'static str {
        match self {
            Self::Rss => "feed.xml",
            Self::Atom => "atom.xml",
            Self::Json => "feed.json",
        }
    }

    /// Its media type with its charset, for `Content-Type`; `essence_str()` is the bare type
    /// that autodiscovery links and `Accept` name.
    pub fn media_type(self) -> &'static mime::Mime {
        match self {
            Self::Rss => &RSS,
            Self::Atom => &ATOM,
            Self::Json => &JSON_FEED,
        }
    }

    /// Its name, for readers.
    pub fn name(self) -> &'static str {
        match self {
            Self::Rss => "RSS",
            Self::Atom => "Atom",
            Self::Json => "JSON Feed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_plain_lowercase_words_joined_by_hyphens() {
        for good in [
            "inside-a-soundcloud-microservice",
            "a",
            "2018",
            "c-plus-plus-17",
        ] {
            assert!(Slug::parse(good).is_ok(), "{good:?} was refused");
            let read: Slug = serde_json::from_str(&format!("{good:?}")).unwrap();
            assert_eq!(read.as_str(), good);
        }
        for bad in [
            "", "-", "Upper", "a--b", "-a", "a-", "a-b-", "a/b", "a%2Fb", "ä", "a b", "a_b",
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad:?} was accepted");
            let read: Result<Slug, _> = serde_json::from_str(&format!("{bad:?}"));
            assert!(read.is_err(), "{bad:?} was read back as a slug");
        }
        assert!(Slug::parse(&"a".repeat(MAX_SLUG_LEN + 1)).is_err());
    }

    #[test]
    fn the_slug_check_agrees_with_its_definition_on_every_short_string() {
        // Words of lowercase letters and digits joined by single hyphens, as the docs say it.
        let by_definition = |s: &str| {
            s.split('-').all(|word| {
                !word.is_empty()
                    && word
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
        };
        let alphabet = ["a", "z", "0", "9", "-", "A", "_", "/", "é", "{", "`"];
        let mut strings = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = strings
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            strings.extend(longer);
        }
        strings.sort();
        strings.dedup();
        for s in &strings {
            assert_eq!(Slug::parse(s).is_ok(), by_definition(s), "{s:?}");
        }
    }

    #[test]
    fn a_path_is_the_same_source_seen_from_further_up() {
        assert!(same_source("_posts/2020/x.md", "x.md"));
        assert!(same_source("2020/x.md", "_posts/2020/x.md"));
        assert!(same_source("x.md", "x.md"));
        assert!(!same_source("posts/a.md", "notes/a.md"));
        assert!(!same_source("ba.md", "a.md"));
    }

    #[test]
    fn names_with_plus_and_sharp_are_told_apart() {
        let slug = |name: &str| Slug::from_name(name).unwrap().to_string();
        assert_eq!(slug("C"), "c");
        assert_eq!(slug("C++"), "c-plus-plus");
        assert_eq!(slug("C#"), "c-sharp");
        assert_eq!(slug("F# and .NET"), "f-sharp-and-net");
    }

    #[test]
    fn slugs_from_titles_fold_accents_and_punctuation() {
        let slug =
            Slug::from_text("Synchronous communication for microservices: current status").unwrap();
        assert_eq!(
            slug.as_str(),
            "synchronous-communication-for-microservices-current-status"
        );
        assert_eq!(
            Slug::from_text("Matthias Käppler").unwrap().as_str(),
            "matthias-kappler"
        );
        assert!(Slug::from_text("!!!").is_err());
        assert!(Slug::from_text(&"word ".repeat(60)).unwrap().as_str().len() <= MAX_SLUG_LEN);
    }
}
