//! The HTTP edge: the routes of every function, shared by the Lambda binaries and `blog serve`.
//!
//! Each Lambda function mounts only its own routes ([`list_posts`], [`get_post`], [`feed()`], and
//! the ingest routes of [`crate::ingest`]); the local site mounts them all
//! ([`site_with_ingest`]). Routers are built from an [`AppState`]; each handler sees it as a
//! `Ctx`, the site's configuration as that request sees it. Statuses, caching headers,
//! compression and error pages are decided here and nowhere else.

use std::error::Error as StdError;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use lambda_http::RequestExt;
use lambda_http::request::RequestContext;
use serde::Deserialize;
use time::OffsetDateTime;
use xxhash_rust::xxh3::xxh3_128;

use crate::config::SiteConfig;
use crate::feed::{self, FeedInfo};
use crate::model::{Cursor, CursorError, Listing, ListingPage, PageRequest, Slug};
use crate::store::{self, Store, StoreError};
use crate::views::{
    self, CategoriesView, CategorySummary, ErrorView, FeedFormat, Layout, ListingView, PostView,
    Row, feed_path,
};

/// How long browsers and the CDN may keep a page or a feed.
pub const CACHE_CONTROL: &str = "public, max-age=60, s-maxage=300";
/// How long a 404 may be kept: short, since the post may be published any minute.
const NOT_FOUND_CACHE_CONTROL: &str = "public, max-age=60";
/// Seconds a client should wait before retrying when the store is unavailable.
const RETRY_AFTER_SECONDS: &str = "5";

const HTML: &str = "text/html; charset=utf-8";

/// What the routers are built with: the store, and the site's configuration. Built once per
/// process.
#[derive(Clone)]
pub struct AppState {
    store: Arc<dyn Store>,
    site: Arc<SiteConfig>,
}

impl AppState {
    /// The state of a site over `store`.
    pub fn new(store: Arc<dyn Store>, site: SiteConfig) -> Self {
        Self {
            store,
            site: Arc::new(site),
        }
    }
}

/// What a handler works with: the store, and the site as this request sees it.
pub(crate) struct Ctx {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) site: Arc<SiteConfig>,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let site = if state.site.origin_from_gateway() {
            let domain = match parts.extensions.request_context_ref() {
                Some(RequestContext::ApiGatewayV2(context)) => context.domain_name.clone(),
                _ => None,
            };
            let resolved = domain
                .ok_or_else(|| "no API Gateway domain in the request".to_owned())
                .and_then(|d| state.site.at_gateway_domain(&d).map_err(|e| e.to_string()));
            match resolved {
                Ok(site) => Arc::new(site),
                Err(problem) => {
                    tracing::error!(%problem, "BLOG_BASE_URL is unset and the origin cannot be derived");
                    return Err((
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "the blog's public URL is not configured",
                    )
                        .into_response());
                }
            }
        } else {
            Arc::clone(&state.site)
        };
        Ok(Self {
            store: Arc::clone(&state.store),
            site,
        })
    }
}

/// The `list-posts` function's routes: `/` and `/category/{category}`.
pub fn list_posts(state: AppState) -> Router {
    listing_routes()
        .fallback(not_found)
        .with_state(state)
        .layer(compression())
}

/// The `get-post` function's routes: `/posts/{slug}`, and every other GET (API Gateway's
/// `$default` route), where old addresses redirect.
pub fn get_post(state: AppState) -> Router {
    post_routes()
        .fallback(old_address)
        .with_state(state)
        .layer(compression())
}

/// The `feed` function's routes: `/feed.xml` and `/category/{category}/feed.xml`.
pub fn feed(state: AppState) -> Router {
    feed_routes()
        .fallback(not_found)
        .with_state(state)
        .layer(compression())
}

/// Every read route in one router.
pub fn site(state: AppState) -> Router {
    read_routes()
        .fallback(old_address)
        .with_state(state)
        .layer(compression())
}

/// Every route, reads and writes, in one router, as `blog serve` runs them.
pub fn site_with_ingest(state: AppState, auth: crate::ingest::IngestAuth) -> Router {
    read_routes()
        .merge(crate::ingest::ingest_routes(auth))
        .fallback(old_address)
        .with_state(state)
        .layer(compression())
}

/// gzip or brotli, as the client accepts (`Vary: Accept-Encoding` follows). Lambda sends a
/// compressed body base64-encoded, and API Gateway decodes it for the client.
fn compression() -> tower_http::compression::CompressionLayer {
    tower_http::compression::CompressionLayer::new()
        .gzip(true)
        .br(true)
}

fn read_routes() -> Router<AppState> {
    listing_routes().merge(post_routes()).merge(feed_routes())
}

fn listing_routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/category/{category}", get(category))
        .route("/author/{author}", get(author))
        .route("/categories", get(categories))
}

fn post_routes() -> Router<AppState> {
    Router::new().route("/posts/{slug}", get(post))
}

fn feed_routes() -> Router<AppState> {
    let crawler_routes = Router::new()
        .route("/sitemap.xml", get(sitemap))
        .route("/robots.txt", get(robots))
        .route("/feed", get(negotiated_feed));
    FeedFormat::ALL
        .into_iter()
        .fold(crawler_routes, |router, format| {
            let file = format.file();
            router
                .route(
                    &feed_path(&Listing::All, format),
                    get(move |state: Ctx, headers: HeaderMap| site_feed(state, headers, format)),
                )
                .route(
                    &format!("/category/{{category}}/{file}"),
                    get(
                        move |state: Ctx, Path(slug): Path<String>, headers: HeaderMap| {
                            listing_feed(state, slug, Listing::Category, headers, format)
                        },
                    ),
                )
                .route(
                    &format!("/author/{{author}}/{file}"),
                    get(
                        move |state: Ctx, Path(slug): Path<String>, headers: HeaderMap| {
                            listing_feed(state, slug, Listing::Author, headers, format)
                        },
                    ),
                )
        })
}

/// Why a request got no page.
#[derive(Debug, thiserror::Error)]
enum WebError {
    #[error("not found")]
    NotFound,
    #[error("moved to {0}")]
    Moved(Slug),
    #[error(transparent)]
    BadCursor(#[from] CursorError),
    #[error("both `after` and `before` were given")]
    TwoCursors,
    #[error("the query string does not parse")]
    BadQuery,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("rendering a page failed")]
    Render(#[from] askama::Error),
}

/// A representation ready to send with validators.
struct Body {
    content_type: &'static str,
    text: String,
}

impl Body {
    fn html(view: &impl Template) -> Result<Self, WebError> {
        Ok(Self {
            content_type: HTML,
            text: view.render()?,
        })
    }
}

/// The query string of a listing page.
#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    after: Option<String>,
    before: Option<String>,
}

impl PageQuery {
    fn request(&self) -> Result<PageRequest, WebError> {
        match (&self.after, &self.before) {
            (None, None) => Ok(PageRequest::First),
            (Some(after), None) => Ok(PageRequest::After(Cursor::decode(after)?)),
            (None, Some(before)) => Ok(PageRequest::Before(Cursor::decode(before)?)),
            (Some(_), Some(_)) => Err(WebError::TwoCursors),
        }
    }
}

async fn home(
    state: Ctx,
    query: Result<Query<PageQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let result = listing_page(&state, Listing::All, query.map(|q| q.0)).await;
    respond(&state, &headers, result)
}

async fn category(
    state: Ctx,
    Path(slug): Path<String>,
    query: Result<Query<PageQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    listing_by_slug(state, &slug, Listing::Category, query, headers).await
}

async fn author(
    state: Ctx,
    Path(slug): Path<String>,
    query: Result<Query<PageQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    listing_by_slug(state, &slug, Listing::Author, query, headers).await
}

/// A category's or an author's page; a path that is no slug cannot be one (404).
async fn listing_by_slug(
    state: Ctx,
    slug: &str,
    to_listing: fn(Slug) -> Listing,
    query: Result<Query<PageQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let result = match Slug::parse(slug) {
        Ok(slug) => listing_page(&state, to_listing(slug), query.map(|q| q.0)).await,
        Err(_) => Err(WebError::NotFound),
    };
    respond(&state, &headers, result)
}

async fn categories(state: Ctx, headers: HeaderMap) -> Response {
    let result = async {
        let mut listed: Vec<CategorySummary> = state
            .store
            .categories()
            .await?
            .into_iter()
            .filter(|c| c.posts > 0)
            .map(|c| CategorySummary {
                url: c.category.path(),
                name: c.category.name,
                posts: c.posts,
            })
            .collect();
        listed.sort_by_key(|c| c.name.to_lowercase());
        Body::html(&CategoriesView {
            layout: Layout::new(
                &state.site,
                Some("Categories"),
                &Listing::All,
                Some("/categories"),
            ),
            categories: listed,
        })
    }
    .await;
    respond(&state, &headers, result)
}

async fn listing_page(
    state: &Ctx,
    listing: Listing,
    query: Result<PageQuery, QueryRejection>,
) -> Result<Body, WebError> {
    let request = query.map_err(|_| WebError::BadQuery)?.request()?;
    let page = read_page(state, &listing, &request).await?;
    // A category or an author exists while they have a visible post; the name comes with it.
    let name = match (&listing, page.entries.first()) {
        (Listing::All, _) if page.entries.is_empty() && request != PageRequest::First => {
            return Err(WebError::NotFound);
        }
        (Listing::All, _) => None,
        (_, Some(entry)) => Some(listing.name_in(entry).ok_or(WebError::NotFound)?),
        (_, None) => return Err(WebError::NotFound),
    };
    let browsing = name.as_ref().map(|name| match listing {
        Listing::Author(_) => format!("You're browsing posts by {name}"),
        _ => format!("You're browsing posts of the category {name}"),
    });
    let base_path = listing.path();
    let canonical = (request == PageRequest::First).then_some(base_path.as_str());
    let view = ListingView {
        layout: Layout::new(&state.site, name.as_deref(), &listing, canonical),
        browsing,
        rows: page.entries.iter().map(Row::from).collect(),
        older_url: page
            .older
            .map(|c| format!("{base_path}?after={}", c.encode())),
        newer_url: page
            .newer
            .map(|c| format!("{base_path}?before={}", c.encode())),
    };
    Body::html(&view)
}

async fn read_page(
    state: &Ctx,
    listing: &Listing,
    request: &PageRequest,
) -> Result<ListingPage, WebError> {
    let now = OffsetDateTime::now_utc();
    Ok(store::listing_page(
        state.store.as_ref(),
        listing,
        request,
        state.site.page_size,
        now,
    )
    .await?)
}

async fn post(state: Ctx, Path(slug): Path<String>, headers: HeaderMap) -> Response {
    let result = post_page(&state, &slug).await;
    respond(&state, &headers, result)
}

async fn post_page(state: &Ctx, slug: &str) -> Result<Body, WebError> {
    let slug = Slug::parse(slug).map_err(|_| WebError::NotFound)?;
    let Some(post) = state.store.post(&slug).await? else {
        // A renamed post leaves its old address behind; only a miss pays for the lookup.
        return Err(moved_or_missing(state, &views::post_path(slug.as_str())).await);
    };
    // Drafts are never public; a scheduled post appears at its time, with no job to run.
    if post.draft || post.published > OffsetDateTime::now_utc() {
        return Err(WebError::NotFound);
    }
    Body::html(&PostView::new(&state.site, &post))
}

async fn site_feed(state: Ctx, headers: HeaderMap, format: FeedFormat) -> Response {
    let result = feed_document(&state, Listing::All, format).await;
    respond(&state, &headers, result)
}

/// `/feed`: the whole blog's feed in the format the client's `Accept` prefers (RSS when it
/// names none of them). The answer varies on `Accept`, so caches keep one per format.
async fn negotiated_feed(state: Ctx, headers: HeaderMap) -> Response {
    let format = preferred_format(
        headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or(""),
    );
    let mut response = site_feed(state, headers, format).await;
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept"));
    response
}

/// The feed format with the highest `q` in an `Accept` header; RSS wins ties and unknowns.
fn preferred_format(accept: &str) -> FeedFormat {
    let mut best = (FeedFormat::Rss, 0.0_f32);
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let q = parts
            .find_map(|p| p.strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let format = match media.as_str() {
            "application/atom+xml" => FeedFormat::Atom,
            "application/feed+json" | "application/json" => FeedFormat::Json,
            "application/rss+xml" => FeedFormat::Rss,
            _ => continue,
        };
        if q > best.1 {
            best = (format, q);
        }
    }
    best.0
}

async fn listing_feed(
    state: Ctx,
    slug: String,
    to_listing: fn(Slug) -> Listing,
    headers: HeaderMap,
    format: FeedFormat,
) -> Response {
    let result = match Slug::parse(&slug) {
        Ok(slug) => feed_document(&state, to_listing(slug), format).await,
        Err(_) => Err(WebError::NotFound),
    };
    respond(&state, &headers, result)
}

async fn feed_document(
    state: &Ctx,
    listing: Listing,
    format: FeedFormat,
) -> Result<Body, WebError> {
    let page = read_page(state, &listing, &PageRequest::First).await?;
    let title = match (&listing, page.entries.first()) {
        (Listing::All, _) => state.site.title.clone(),
        (_, Some(entry)) => format!(
            "{}: {}",
            state.site.title,
            listing.name_in(entry).ok_or(WebError::NotFound)?
        ),
        (_, None) => return Err(WebError::NotFound),
    };
    let page_path = listing.path();
    let feed_path = feed_path(&listing, format);
    let info = FeedInfo {
        title,
        page_path: &page_path,
        feed_path: &feed_path,
    };
    let (content_type, text) = match format {
        FeedFormat::Rss => (
            "application/rss+xml; charset=utf-8",
            feed::rss(&state.site, &info, &page.entries),
        ),
        FeedFormat::Atom => (
            "application/atom+xml; charset=utf-8",
            feed::atom(&state.site, &info, &page.entries),
        ),
        FeedFormat::Json => (
            "application/feed+json; charset=utf-8",
            feed::json_feed(&state.site, &info, &page.entries),
        ),
    };
    Ok(Body { content_type, text })
}

async fn sitemap(state: Ctx, headers: HeaderMap) -> Response {
    let page = store::listing_page(
        state.store.as_ref(),
        &Listing::All,
        &PageRequest::First,
        crate::sitemap::SITEMAP_POSTS,
        OffsetDateTime::now_utc(),
    )
    .await;
    let result = page.map_err(WebError::from).map(|page| Body {
        content_type: "application/xml; charset=utf-8",
        text: crate::sitemap::sitemap(&state.site, &page.entries),
    });
    respond(&state, &headers, result)
}

async fn robots(state: Ctx, headers: HeaderMap) -> Response {
    let body = Body {
        content_type: "text/plain; charset=utf-8",
        text: crate::sitemap::robots(&state.site),
    };
    respond(&state, &headers, Ok(body))
}

/// A path no route of this function serves.
async fn not_found(state: Ctx) -> Response {
    error_response(&state, WebError::NotFound)
}

/// Any other path: an old address (a Jekyll permalink, an alias) redirects, the rest is 404.
async fn old_address(state: Ctx, method: Method, uri: Uri) -> Response {
    let error = if method == Method::GET || method == Method::HEAD {
        moved_or_missing(&state, uri.path()).await
    } else {
        WebError::NotFound
    };
    error_response(&state, error)
}

async fn moved_or_missing(state: &Ctx, path: &str) -> WebError {
    if path.len() > crate::source::MAX_PATH_LEN {
        return WebError::NotFound;
    }
    match state.store.redirect(path).await {
        Ok(Some(slug)) => WebError::Moved(slug),
        Ok(None) => WebError::NotFound,
        Err(error) => WebError::Store(error),
    }
}

/// Turns a handler's result into the response: validators and 304 for a body, a page for an
/// error. The one place statuses are decided.
fn respond(state: &Ctx, headers: &HeaderMap, result: Result<Body, WebError>) -> Response {
    match result {
        Ok(body) => cached(headers, body),
        Err(error) => error_response(state, error),
    }
}

fn cached(request_headers: &HeaderMap, body: Body) -> Response {
    // Weak: the same page gzipped, brotli-compressed or plain is one representation to a cache
    // revalidating it, and a strong validator would have to differ between them (RFC 9110).
    let etag = format!("W/\"{:032x}\"", xxh3_128(body.text.as_bytes()));
    let fresh = request_headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| etag_matches(v, &etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, body.content_type)], body.text).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    response
}

/// Weak comparison (RFC 9110 §8.8.3.2): CloudFront weakens a strong ETag to `W/"…"` when it
/// compresses, and the revalidation must still match.
fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    if_none_match.trim() == "*"
        || if_none_match
            .split(',')
            .any(|candidate| opaque(candidate) == opaque(etag))
}

fn error_response(state: &Ctx, error: WebError) -> Response {
    if let WebError::Moved(slug) = &error {
        let location = state.site.absolute(&views::post_path(slug.as_str()));
        let mut response = StatusCode::MOVED_PERMANENTLY.into_response();
        if let Ok(value) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, value);
        }
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(CACHE_CONTROL),
        );
        return response;
    }
    let (status, heading, message) = match &error {
        // `Moved` was answered above.
        WebError::NotFound | WebError::Moved(_) => (
            StatusCode::NOT_FOUND,
            "Page not found",
            "There is no page at this address. The post may have moved, or the link may be mistyped.",
        ),
        WebError::BadCursor(_) | WebError::TwoCursors | WebError::BadQuery => (
            StatusCode::BAD_REQUEST,
            "This page link is not valid",
            "The link to this page of posts is damaged. Start again from the newest posts.",
        ),
        WebError::Store(StoreError::Unavailable(_)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Temporarily unavailable",
            "The blog cannot reach its storage right now. Please try again in a few seconds.",
        ),
        WebError::Store(StoreError::Failed(..)) | WebError::Render(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "This page could not be shown. The team has been told.",
        ),
    };
    if status.is_server_error() {
        tracing::error!(status = status.as_u16(), error = %chain(&error), "request failed");
    }
    let page = ErrorView::new(&state.site, heading, message)
        .render()
        .unwrap_or_else(|_| heading.to_owned());
    let mut response = (status, [(header::CONTENT_TYPE, HTML)], page).into_response();
    let headers = response.headers_mut();
    match status {
        StatusCode::NOT_FOUND => {
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static(NOT_FOUND_CACHE_CONTROL),
            );
        }
        StatusCode::SERVICE_UNAVAILABLE => {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        _ => {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
    response
}

/// An error and its causes on one line, for the log.
pub(crate) fn chain(error: &dyn StdError) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
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

    #[test]
    fn etags_compare_weakly_as_cloudfront_needs() {
        let etag = "W/\"abc\"";
        assert!(etag_matches("\"abc\"", etag));
        assert!(etag_matches("W/\"abc\"", etag));
        assert!(etag_matches("\"x\", W/\"abc\"", etag));
        assert!(etag_matches("*", etag));
        assert!(!etag_matches("\"abcd\"", etag));
        assert!(!etag_matches("abc", etag));
    }
}
