//! Crawler files: `robots.txt`, the sitemap index and the sitemaps it lists, which together
//! hold every public post and every listing page. Each answer reads a bounded number of
//! `Query` pages of the whole blog's listing, whatever the blog's size ([`archive`] says how
//! many); a write invalidates the ones it changed ([`crate::cdn`]).

use axum::extract::Path;
use time::OffsetDateTime;

use super::Ctx;
use super::respond::{Representation, WebError};
use crate::model::{Listing, PageRequest, SITEMAP_MAX_YEARS, Sitemap};
use crate::paths;
use crate::render::sitemap::{self, Entry};
use crate::store::{archive, listing_page};

/// `/sitemap.xml`: the home page's sitemap, then one per year that holds public posts, newest
/// first, each dated by its newest post.
pub(super) async fn index(ctx: Ctx) -> Result<Representation, WebError> {
    let found = archive::years(ctx.store.as_ref(), OffsetDateTime::now_utc()).await?;
    if found.left_out {
        tracing::warn!(
            years = SITEMAP_MAX_YEARS,
            "posts fall in more years than the sitemap index lists: the oldest are left out"
        );
    }
    let home = Entry {
        path: paths::sitemap(Sitemap::Home),
        modified: found.years.first().map(|(_, newest)| *newest),
    };
    let years = found.years.iter().map(|(year, newest)| Entry {
        path: paths::sitemap(Sitemap::Year(*year)),
        modified: Some(*newest),
    });
    let sitemaps: Vec<Entry> = std::iter::once(home).chain(years).collect();
    Ok(
        Representation::new(&sitemap::MEDIA_TYPE, sitemap::index(&ctx.site, &sitemaps))
            .until(found.changes_at),
    )
}

/// `/sitemaps/{sitemap}`: the home page's sitemap, or a year's; 404 for a year with no public
/// post, and for any other name.
pub(super) async fn sitemap(
    ctx: Ctx,
    Path(file): Path<String>,
) -> Result<Representation, WebError> {
    let now = OffsetDateTime::now_utc();
    let (urls, changes_at, cut) = match paths::sitemap_named(&file).ok_or(WebError::NotFound)? {
        Sitemap::Home => {
            let newest = listing_page(
                ctx.store.as_ref(),
                &Listing::All,
                &PageRequest::First,
                1,
                now,
            )
            .await?;
            let published = newest.entries.first().map(|entry| entry.published);
            (sitemap::home_urls(published), newest.changes_at, false)
        }
        Sitemap::Year(year) => {
            let found = archive::year(ctx.store.as_ref(), year, now).await?;
            if found.entries.is_empty() {
                return Err(WebError::NotFound);
            }
            (
                sitemap::year_urls(&found.entries),
                found.changes_at,
                found.cut,
            )
        }
    };
    let written = sitemap::urlset(&ctx.site, &urls);
    if cut || written.listed < urls.len() {
        tracing::warn!(
            sitemap = %file,
            listed = written.listed,
            "a sitemap holds more than the protocol's bounds let it list: its newest posts or \
             listing pages are left out"
        );
    }
    Ok(Representation::new(&sitemap::MEDIA_TYPE, written.text).until(changes_at))
}

/// `/robots.txt`.
pub(super) async fn robots(ctx: Ctx) -> Representation {
    Representation::new(&mime::TEXT_PLAIN_UTF_8, sitemap::robots(&ctx.site))
}
