//! Listings: the whole blog, a category's or an author's posts, newest first, and the pages a
//! reader walks through them by cursor.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Category, Slug};

/// What a listing row shows of a post: stored with each listing, so a page of a listing is one
/// query, and only this, so that query reads about a kilobyte a post however long the post is.
/// A full-text feed reads its entries' bodies from their posts (`Store::bodies`). Rows stored
/// before bodies left them (a `body_html` attribute) still read: the field is ignored.
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
    /// The teaser, sanitised HTML. (The embedded store keeps it in a column beside the rest of
    /// the row, whose JSON then holds it empty.)
    pub excerpt_html: String,
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

    /// Whether the post appears only after `now`: its sort key is above [`visible_until`]`(now)`
    /// (both count whole seconds), told without formatting either.
    pub fn is_scheduled_after(&self, now: OffsetDateTime) -> bool {
        whole_seconds(self.published) > whole_seconds(now)
    }

    /// When the post appears, as its sort key says it: to the second.
    pub fn appears_at(&self) -> OffsetDateTime {
        whole_seconds(self.published)
    }
}

fn whole_seconds(when: OffsetDateTime) -> OffsetDateTime {
    when.replace_nanosecond(0).expect("0 is a valid nanosecond")
}

/// The listings of a public post with these categories and authors: the whole blog, each
/// category, each author (whose names make a slug), each once.
pub(super) fn listings_of(categories: &[Category], authors: &[String]) -> Vec<Listing> {
    let mut listings = Vec::with_capacity(1 + categories.len() + authors.len());
    let all = std::iter::once(Listing::All)
        .chain(categories.iter().map(|c| Listing::Category(c.slug.clone())))
        .chain(
            authors
                .iter()
                .filter_map(|a| Slug::from_name(a).ok())
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

/// When the post at a sort key appears: the time part of the key.
pub fn sort_key_time(sort_key: &str) -> Option<OffsetDateTime> {
    let (when, _) = sort_key.split_once('#')?;
    crate::dates::parse_sortable(when)
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
                .find(|a| Slug::from_name(a).ok().as_ref() == Some(slug))
                .cloned(),
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
    /// When this page changes by itself, with no write: a post scheduled for then appears at
    /// the top of its listing (asked only of pages that reach the top: a first page, or one of
    /// newer posts).
    pub changes_at: Option<OffsetDateTime>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduled_means_above_the_visible_bound_to_the_second_in_any_offset() {
        use time::macros::datetime;
        let entry = |published| ListingEntry {
            slug: Slug::parse("zz-last-slug").unwrap(),
            title: "T".into(),
            authors: vec![],
            published,
            categories: vec![],
            excerpt_html: String::new(),
        };
        let now = datetime!(2030-06-01 12:00:00.250 UTC);
        for published in [
            datetime!(2030-06-01 11:59:59.999 UTC),
            datetime!(2030-06-01 12:00:00 UTC),
            datetime!(2030-06-01 12:00:00.900 UTC),
            datetime!(2030-06-01 12:00:01 UTC),
            datetime!(2030-06-01 14:00:00.5 +02:00),
            datetime!(2030-06-01 14:00:01 +02:00),
            datetime!(2030-06-01 07:00:00 -05:00),
        ] {
            let entry = entry(published);
            assert_eq!(
                entry.is_scheduled_after(now),
                entry.sort_key() > visible_until(now),
                "{published}"
            );
            assert_eq!(
                Some(entry.appears_at()),
                sort_key_time(&entry.sort_key()),
                "{published}"
            );
        }
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
