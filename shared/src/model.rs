//! The blog's vocabulary: posts, slugs, categories, listings and their pages, the feed formats,
//! and every limit the blog keeps (each one a reason, beside it).

use std::fmt;
use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The largest body a listing row carries for full-text feeds; longer posts appear in feeds by
/// their excerpt and a link.
pub const FEED_BODY_MAX_BYTES: usize = 48 * 1024;

/// The longest slug accepted, in bytes; keys stay short and URLs readable.
pub const MAX_SLUG_LEN: usize = 100;

/// The longest title accepted, in characters.
pub const MAX_TITLE_CHARS: usize = 300;

/// The longest old path accepted, in bytes: it becomes a store key and a `Location`.
pub const MAX_PATH_LEN: usize = 300;

/// The most categories a post may have: each is a listing row and a counter written in the same
/// transaction, and a DynamoDB transaction holds at most 100 items.
pub const MAX_CATEGORIES: usize = 10;

/// The most authors a post may have: each has a listing row, like a category.
pub const MAX_AUTHORS: usize = 8;

/// The most old paths a post may redirect from, for the same reason. An update's transaction
/// touches at most 2 post items, the old and new rows of 1 + 10 + 8 listings (38), the old and
/// new redirects (20) and 20 category counters: 80 items, within DynamoDB's 100.
pub const MAX_REDIRECTS: usize = 10;

/// DynamoDB's limit on one item (400 KB, names and values counted), which every backend keeps
/// so that a post accepted locally is accepted in AWS. Counted as 400,000 bytes, not 409,600:
/// AWS's documentation says "400 KB", and DynamoDB-compatible servers differ on the kilobyte.
pub const MAX_ITEM_BYTES: usize = 400_000;

/// The largest upload read at all; a post's stored item must also fit [`MAX_ITEM_BYTES`].
/// Well under Lambda's 6 MB synchronous payload.
pub const MAX_UPLOAD_BYTES: usize = 1024 * 1024;

/// The most posts one sitemap lists: the newest ones (the protocol allows 50,000 URLs; one
/// store request reads this many).
pub const SITEMAP_POSTS: usize = 1000;

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
        if s.is_empty() {
            return Err(SlugError::Empty);
        }
        if s.len() > MAX_SLUG_LEN {
            return Err(SlugError::TooLong(s.len()));
        }
        let well_formed = s.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
        if well_formed {
            Ok(Self(s.to_owned()))
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
        Self::parse(&s)
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
            slug: Slug::from_text(name)?,
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
    /// The source, front matter included, exactly as the author wrote it.
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
    /// Slugs this post had before it was renamed: `/posts/{old}` answers 301 to it.
    #[serde(default)]
    pub moved_from: Vec<Slug>,
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
            body_html: (self.body_html.len() <= FEED_BODY_MAX_BYTES)
                .then(|| self.body_html.clone()),
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

    /// The listing rows this post needs: (listing, sort key).
    pub fn listing_rows(&self) -> Vec<(Listing, String)> {
        let sort_key = sort_key(self.published, &self.slug);
        self.listings()
            .into_iter()
            .map(|listing| (listing, sort_key.clone()))
            .collect()
    }

}

/// What a listing row and a feed entry show of a post: stored with each listing, so a page of
/// a listing is one query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListingEntry {
    /// The post's slug.
    pub slug: Slug,
    /// The post's title.
    pub title: String,
    /// The post's authors.
    pub authors: Vec<String>,
    /// When the post appears.
    #[serde(with = "time::serde::rfc3339")]
    pub published: OffsetDateTime,
    /// All of the post's categories (a feed entry names them all).
    pub categories: Vec<Category>,
    /// The teaser, sanitised HTML.
    pub excerpt_html: String,
    /// The whole body, for full-text feeds, when it is at most [`FEED_BODY_MAX_BYTES`]: a page
    /// of a listing stays one `Query` well under DynamoDB's 1 MB response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_html: Option<String>,
}

impl ListingEntry {
    /// Every listing the post of this entry appears in (it is public: it has listing rows).
    pub fn listings(&self) -> Vec<Listing> {
        listings_of(&self.categories, &self.authors)
    }

    /// Where this entry sorts in a listing: newest first is descending order of this key.
    pub fn sort_key(&self) -> String {
        sort_key(self.published, &self.slug)
    }
}

/// The listings of a public post with these categories and authors: the whole blog, each
/// category, each author (whose names make a slug), each once.
fn listings_of(categories: &[Category], authors: &[String]) -> Vec<Listing> {
    let mut listings = Vec::with_capacity(1 + categories.len() + authors.len());
    let all = std::iter::once(Listing::All)
        .chain(categories.iter().map(|c| Listing::Category(c.slug.clone())))
        .chain(
            authors
                .iter()
                .filter_map(|a| Slug::from_text(a).ok())
                .map(Listing::Author),
        );
    // Two spellings of one name are one listing: a transaction may touch a row only once.
    for listing in all {
        if !listings.contains(&listing) {
            listings.push(listing);
        }
    }
    listings
}

/// Builds the key a listing is ordered by: the UTC publication time (fixed width, so text order
/// is time order) then the slug, which breaks ties between posts of the same second.
pub fn sort_key(published: OffsetDateTime, slug: &Slug) -> String {
    format!("{}#{}", crate::dates::sortable(published), slug)
}

/// The upper bound of the sort keys visible at `now`: posts scheduled later sort above it.
pub fn visible_until(now: OffsetDateTime) -> String {
    // '~' sorts after every slug character, so a post published exactly now is included.
    format!("{}#~", crate::dates::sortable(now))
}

/// A list of posts, newest first: the whole blog, one category, or one author's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Listing {
    /// Every post.
    All,
    /// The posts of one category.
    Category(Slug),
    /// The posts one author wrote or co-wrote.
    Author(Slug),
}

impl Listing {
    /// The listing's name in store keys: `_all`, a category's slug, or `@` and an author's
    /// slug. Slugs never start with `_` or `@`, so no two can collide.
    pub fn key(&self) -> String {
        match self {
            Self::All => "_all".to_owned(),
            Self::Category(slug) => slug.to_string(),
            Self::Author(slug) => format!("@{slug}"),
        }
    }

    /// What this listing is called in `entry`, which belongs to it: the category's or the
    /// author's name as written (None for the whole blog).
    pub fn name_in(&self, entry: &ListingEntry) -> Option<String> {
        match self {
            Self::All => None,
            Self::Category(slug) => entry
                .categories
                .iter()
                .find(|c| &c.slug == slug)
                .map(|c| c.name.clone()),
            Self::Author(slug) => entry
                .authors
                .iter()
                .find(|a| Slug::from_text(a).ok().as_ref() == Some(slug))
                .cloned(),
        }
    }
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

/// Where a page of a listing starts: an opaque token made from the last (or first) sort key
/// shown, safe in a query string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(String);

/// A cursor that this blog did not make.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this page link is not valid: {0}")]
pub struct CursorError(&'static str);

impl Cursor {
    /// The cursor at a sort key.
    pub fn at(sort_key: String) -> Self {
        Self(sort_key)
    }

    /// Reads a cursor from a link; anything that is not one of ours is refused.
    pub fn decode(token: &str) -> Result<Self, CursorError> {
        if token.len() > 256 {
            return Err(CursorError("too long"));
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| CursorError("not base64url"))?;
        let key = String::from_utf8(bytes).map_err(|_| CursorError("not UTF-8"))?;
        let (when, slug) = key.split_once('#').ok_or(CursorError("no position"))?;
        crate::dates::parse_sortable(when).ok_or(CursorError("no date"))?;
        Slug::parse(slug).map_err(|_| CursorError("no slug"))?;
        Ok(Self(key))
    }

    /// The token to put in a link.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.as_bytes())
    }

    /// The sort key this cursor stands at.
    pub fn sort_key(&self) -> &str {
        &self.0
    }
}

/// Which page of a listing to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageRequest {
    /// The newest posts.
    First,
    /// The posts older than the cursor ("Older posts").
    After(Cursor),
    /// The posts newer than the cursor ("Newer posts").
    Before(Cursor),
}

/// One page of a listing, newest first, with cursors to the pages beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingPage {
    /// The posts on this page, newest first.
    pub entries: Vec<ListingEntry>,
    /// The page of older posts, if there is one.
    pub older: Option<Cursor>,
    /// The page of newer posts, if there is one.
    pub newer: Option<Cursor>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_plain_lowercase_words_joined_by_hyphens() {
        assert!(Slug::parse("inside-a-soundcloud-microservice").is_ok());
        for bad in [
            "", "Upper", "a--b", "-a", "a-", "a/b", "a%2Fb", "ä", "a b", "a_b",
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(Slug::parse(&"a".repeat(MAX_SLUG_LEN + 1)).is_err());
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

    #[test]
    fn cursors_round_trip_and_refuse_forgeries() {
        let cursor = Cursor::at("2018-09-19T00:00:00Z#a-post".into());
        assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        for bad in ["", "!!!", "bm90LWEta2V5", &"A".repeat(300)] {
            assert!(Cursor::decode(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
