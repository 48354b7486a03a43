//! Feeds: a listing's feed in each format, and `/feed` in the format the reader asks for. A feed
//! reads its listing's first page, then, when it carries full text, its entries' bodies.

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Ctx;
use super::pages::{listing_at, read_page};
use super::respond::{PRIVATE, Representation, WebError};
use crate::config::FeedContent;
use crate::model::{FeedFormat, Listing, PageRequest, Slug};
use crate::paths;
use crate::render::feeds::{self, FeedInfo};

/// A category's or an author's feed; a path that is no slug cannot be one (404).
pub(super) async fn listing_feed(
    ctx: Ctx,
    Path(slug): Path<String>,
    to_listing: fn(Slug) -> Listing,
    format: FeedFormat,
) -> Result<Representation, WebError> {
    feed(ctx, listing_at(&slug, to_listing)?, format).await
}

/// The newest posts of `listing`, as a feed in `format`.
pub(super) async fn feed(
    ctx: Ctx,
    listing: Listing,
    format: FeedFormat,
) -> Result<Representation, WebError> {
    let page = read_page(&ctx, &listing, &PageRequest::First).await?;
    let title = match (&listing, page.entries.first()) {
        (Listing::All, _) => ctx.site.title.clone(),
        (_, Some(entry)) => format!(
            "{}: {}",
            ctx.site.title,
            listing.name_in(entry).ok_or(WebError::NotFound)?
        ),
        (_, None) => return Err(WebError::NotFound),
    };
    let page_path = paths::listing(&listing);
    let feed_path = paths::feed(&listing, format);
    let info = FeedInfo {
        title,
        page_path: &page_path,
        feed_path: &feed_path,
    };
    // A full-text feed reads its entries' bodies from their posts: listing rows stay small.
    let bodies = match ctx.site.feed_content {
        FeedContent::Full if !page.entries.is_empty() => {
            let slugs: Vec<Slug> = page.entries.iter().map(|e| e.slug.clone()).collect();
            ctx.store
                .bodies(&slugs)
                .await?
                .into_iter()
                .map(|body| (body.slug, body.html))
                .collect()
        }
        _ => feeds::Bodies::new(),
    };
    let text = feeds::document(format, &ctx.site, &info, &page.entries, &bodies);
    Ok(Representation::new(format.media_type(), text).until(page.changes_at))
}

/// `/feed`: a redirect to the whole blog's feed in the format the client's `Accept` prefers
/// (RSS when it names none of them). A redirect, not the feed itself: a CDN keys its cache on
/// the path and not on `Accept`, so the answer that varies is kept private and tiny, and each
/// format is cached once at its own URL.
pub(super) async fn negotiated(ctx: Ctx, headers: HeaderMap) -> Response {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let location = ctx
        .site
        .absolute(&paths::feed(&Listing::All, preferred_format(accept)));
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(&location) {
        headers.insert(header::LOCATION, location);
    }
    headers.insert(header::VARY, HeaderValue::from_static("accept"));
    headers.insert(header::CACHE_CONTROL, PRIVATE);
    response
}

/// The feed format with the highest `q` in an `Accept` header; RSS wins ties and unknowns.
fn preferred_format(accept: &str) -> FeedFormat {
    let mut best = (FeedFormat::Rss, 0.0_f32);
    for range in accept.split(',') {
        let Ok(media) = range.trim().parse::<mime::Mime>() else {
            continue;
        };
        let q = media
            .get_param("q")
            .and_then(|q| q.as_str().parse::<f32>().ok())
            .unwrap_or(1.0);
        let Some(format) = FeedFormat::ALL.into_iter().find(|f| {
            f.media_type().essence_str() == media.essence_str()
                || (*f == FeedFormat::Json && media.essence_str() == "application/json")
        }) else {
            continue;
        };
        if q > best.1 {
            best = (format, q);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_feed_format_follows_accept() {
        assert_eq!(preferred_format(""), FeedFormat::Rss);
        assert_eq!(preferred_format("text/html, */*"), FeedFormat::Rss);
        assert_eq!(preferred_format("application/atom+xml"), FeedFormat::Atom);
        assert_eq!(preferred_format("application/feed+json"), FeedFormat::Json);
        assert_eq!(
            preferred_format("application/rss+xml;q=0.5, application/atom+xml;q=0.9"),
            FeedFormat::Atom
        );
        assert_eq!(
            preferred_format("application/json;q=0.1, application/rss+xml"),
            FeedFormat::Rss
        );
    }
}
