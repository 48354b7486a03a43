//! The whole archive, year by year, as the sitemaps read it: which years hold public posts, and
//! every public post of one year. Both read the whole blog's listing between two sort keys, in
//! a bounded number of `Query` pages whatever the blog's size, never a `Scan`:
//!
//! - [`years`]: the newest post (a first page of one row: one `Query`, three when more than two
//!   posts are scheduled), then one `Query` of one row per year that holds posts (the newest
//!   post before that year began), at most [`SITEMAP_MAX_YEARS`]: a blog with posts in ten
//!   years reads eleven rows in eleven `Query`s.
//! - [`year`]: the year's rows, oldest first, in `Query` pages of at most 1 MB each (DynamoDB's
//!   cut; about a thousand typical rows), at most [`SITEMAP_MAX_PAGES`] pages and
//!   [`SITEMAP_MAX_URLS`] rows; beside the first, for a year not over yet, one `Query` of one
//!   key for when its next scheduled post appears.

use time::OffsetDateTime;

use super::{ListingQuery, Store, StoreError, listing_page};
use crate::model::{
    Listing, ListingEntry, PageRequest, SITEMAP_MAX_PAGES, SITEMAP_MAX_URLS, SITEMAP_MAX_YEARS,
    visible_until, year_bounds, year_of,
};

/// The years that hold public posts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Years {
    /// Each year that holds a public post, newest first, with when its newest post appeared.
    pub years: Vec<(i32, OffsetDateTime)>,
    /// Posts of older years than these are left out: more years hold posts than
    /// [`SITEMAP_MAX_YEARS`].
    pub left_out: bool,
    /// When this changes with no write: the next scheduled post appears.
    pub changes_at: Option<OffsetDateTime>,
}

/// The years that hold posts public at `now`, newest first.
pub async fn years(store: &dyn Store, now: OffsetDateTime) -> Result<Years, StoreError> {
    let newest = listing_page(store, &Listing::All, &PageRequest::First, 1, now).await?;
    let until = visible_until(now);
    let mut found = Years {
        changes_at: newest.changes_at,
        ..Years::default()
    };
    let mut next = newest.entries.into_iter().next();
    while let Some(entry) = next {
        if found.years.len() == SITEMAP_MAX_YEARS {
            found.left_out = true;
            break;
        }
        let year = year_of(entry.published);
        found.years.push((year, entry.published));
        // The newest post before this year began: the newest of the next older year with posts.
        let (before, _) = year_bounds(year);
        let older = ListingQuery {
            listing: Listing::All,
            newest_first: true,
            exclusive_start: Some(before),
            visible_until: until.clone(),
            limit: 1,
        };
        next = store.listing(&older).await?.entries.into_iter().next();
    }
    Ok(found)
}

/// The public posts of one year.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Year {
    /// Its posts public at the time asked, oldest first, without their excerpts.
    pub entries: Vec<ListingEntry>,
    /// Its newest posts are left out: it holds more than one sitemap's bounds let it read.
    pub cut: bool,
    /// When it changes with no write: its next scheduled post appears.
    pub changes_at: Option<OffsetDateTime>,
}

/// The posts of `year` public at `now`.
pub async fn year(store: &dyn Store, year: i32, now: OffsetDateTime) -> Result<Year, StoreError> {
    let (after, end) = year_bounds(year);
    let until = visible_until(now);
    if after >= until {
        // It has not begun: nothing of it is public (and a `Query` may not start past its end).
        return Ok(Year::default());
    }
    let mut query = ListingQuery {
        listing: Listing::All,
        newest_first: false,
        exclusive_start: Some(after),
        visible_until: end.clone().min(until.clone()),
        limit: SITEMAP_MAX_URLS + 1,
    };
    let scheduled = async {
        if end <= until {
            return Ok(None);
        }
        let next = store.next_appearing(&Listing::All, &until).await?;
        Ok(next.filter(|when| year_of(*when) == year))
    };
    let (mut rows, changes_at) = tokio::try_join!(store.listing(&query), scheduled)?;
    let mut found = Year {
        changes_at,
        ..Year::default()
    };
    let mut pages = 1;
    loop {
        // A year's rows are held at once, and a sitemap shows no excerpt: up to 2 KB a row.
        for entry in &mut rows.entries {
            entry.excerpt_html = String::new();
        }
        found.entries.append(&mut rows.entries);
        let over = found.entries.len() > SITEMAP_MAX_URLS;
        if !rows.cut_short || over || pages == SITEMAP_MAX_PAGES {
            found.cut = over || rows.cut_short;
            break;
        }
        let Some(last) = found.entries.last() else {
            break;
        };
        query.exclusive_start = Some(last.sort_key());
        query.limit = SITEMAP_MAX_URLS + 1 - found.entries.len();
        rows = store.listing(&query).await?;
        pages += 1;
    }
    found.entries.truncate(SITEMAP_MAX_URLS);
    Ok(found)
}
