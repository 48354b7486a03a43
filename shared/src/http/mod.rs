//! The HTTP edge: the one route table, and the routers every Lambda function and `blog serve`
//! mount from it.
//!
//! Each Lambda function mounts only its own routes ([`list_posts`], [`get_post`], [`feed()`],
//! [`ingest()`]); the local site mounts them all ([`site_with_ingest`]). Routers are built from
//! an [`AppState`]; each handler sees it as a `Ctx`, the site's configuration as that request
//! sees it. Handlers live in `pages.rs` (listings, posts, old addresses), `feeds.rs` (feeds),
//! `sitemaps.rs` (crawler files), `favicon.rs` (the site's icon) and [`mod@ingest`] (authors'
//! writes); statuses, validators, caching headers and
//! error pages are decided in `respond.rs`, compression here.

mod favicon;
mod feeds;
pub mod ingest;
mod media;
mod pages;
mod respond;
mod search_files;
mod sitemaps;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::middleware;
use axum::routing::get;
use lambda_http::RequestExt;
use lambda_http::request::RequestContext;

pub use ingest::IngestAuth;
pub use respond::CACHE_CONTROL;

use crate::cdn::Cdn;
use crate::config::SiteConfig;
use crate::model::{FeedFormat, Listing};
use crate::paths;
use crate::store::blobs::Blobs;
use crate::store::{Store, StoreConfig};
use respond::WebError;

/// What the routers are built with: the store, the posts' files (where this function or site
/// handles them), and the site's configuration. Built once per process.
#[derive(Clone)]
pub struct AppState {
    store: Arc<dyn Store>,
    media: MediaBlobs,
    site: Arc<SiteConfig>,
    cdn: Option<Arc<Cdn>>,
}

impl AppState {
    /// The state of a site over `store`, with no files.
    pub fn new(store: Arc<dyn Store>, site: SiteConfig) -> Self {
        Self {
            store,
            media: MediaBlobs(None),
            site: Arc::new(site),
            cdn: None,
        }
    }

    /// The same site behind `cdn`, which every write tells what changed.
    pub fn with_cdn(mut self, cdn: Cdn) -> Self {
        self.cdn = Some(Arc::new(cdn));
        self
    }

    /// The same site, storing and serving posts' files in `blobs`.
    pub fn with_media(mut self, blobs: Arc<dyn Blobs>) -> Self {
        self.media = MediaBlobs(Some(blobs));
        self
    }
}

/// The posts' files, if this function or site has them: the whole state of the `media`
/// function, and a part of the site's.
#[derive(Clone, Default)]
pub struct MediaBlobs(pub Option<Arc<dyn Blobs>>);

impl axum::extract::FromRef<AppState> for MediaBlobs {
    fn from_ref(state: &AppState) -> Self {
        state.media.clone()
    }
}

/// What a handler works with: the store, the files, and the site as this request sees it.
pub(crate) struct Ctx {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) media: Option<Arc<dyn Blobs>>,
    pub(crate) site: Arc<SiteConfig>,
    pub(crate) cdn: Option<Arc<Cdn>>,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let site = if state.site.origin_from_gateway() {
            let domain = match parts.extensions.request_context_ref() {
                Some(RequestContext::ApiGatewayV2(context)) => context.domain_name.clone(),
                _ => None,
            };
            let domain = domain
                .ok_or_else(|| WebError::NoOrigin("no API Gateway domain in the request".into()))?;
            let site = state
                .site
                .at_gateway_domain(&domain)
                .map_err(|e| WebError::NoOrigin(e.to_string()))?;
            Arc::new(site)
        } else {
            Arc::clone(&state.site)
        };
        Ok(Self {
            store: Arc::clone(&state.store),
            media: state.media.0.clone(),
            site,
            cdn: state.cdn.clone(),
        })
    }
}

/// Runs a Lambda function readers reach (`list-posts`, `get-post`, `feed`) serving `routes`,
/// with the store and site the environment names:
/// tracing (honouring `AWS_LAMBDA_LOG_LEVEL` and `AWS_LAMBDA_LOG_FORMAT=JSON`), configuration
/// and the store built once, before the first request.
pub async fn run_function(
    routes: impl FnOnce(AppState) -> Router,
) -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let site = SiteConfig::readers_from_env()?;
    let store = StoreConfig::from_env()?.open().await?;
    lambda_http::run(routes(AppState::new(store, site))).await
}

/// Runs the `ingest` Lambda function: [`run_function`] with the CDN to invalidate
/// (`BLOG_CDN_DISTRIBUTION_ID`), authenticated as the environment says. It never touches the
/// posts' files: it reads which are checked from the table.
pub async fn run_ingest_function() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let site = SiteConfig::from_env()?;
    let store = StoreConfig::from_env()?.open().await?;
    let mut state = AppState::new(store, site);
    if let Some(cdn) = Cdn::from_env().await? {
        state = state.with_cdn(cdn);
    }
    let auth = IngestAuth::from_env();
    tracing::info!(?auth, cdn = state.cdn.is_some(), "ingest ready");
    lambda_http::run(ingest(state, auth)).await
}

/// Runs the `media` Lambda function: stored files from `BLOG_MEDIA_BUCKET`, for readers who
/// reach the API without the CDN, and authors' upload slots and checks (`POST /media`), which
/// record each checked file in the table; authenticated as the ingest function is.
pub async fn run_media_function() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let site = SiteConfig::from_env()?;
    let store = StoreConfig::from_env()?.open().await?;
    let blobs = crate::store::blobs::from_env()
        .await?
        .ok_or("set BLOG_MEDIA_BUCKET to the bucket of the posts' files")?;
    let auth = IngestAuth::from_env();
    tracing::info!(?auth, "media ready");
    lambda_http::run(media_function(
        AppState::new(store, site).with_media(blobs),
        auth,
    ))
    .await
}

/// The `media` function's routes: `GET /media/<sha256>/<name>` and the search index's files
/// (`GET /search/…`), with 304 for a fresh copy, and the authors' `POST /media` (with, locally,
/// the upload slots themselves).
pub fn media_function(state: AppState, auth: IngestAuth) -> Router {
    Router::new()
        .route(paths::MEDIA_ROUTE, get(media::serve))
        .route(paths::SEARCH_FILES_ROUTE, get(search_files::serve))
        .merge(ingest::media_routes(auth))
        .with_state(state)
        .layer(middleware::from_fn(respond::not_modified))
}

/// The `list-posts` function's routes: the home page, category and author pages, the
/// categories index and the search page.
pub fn list_posts(state: AppState) -> Router {
    finish(listing_routes(), pages::not_found, state)
}

/// The `get-post` function's routes: `/posts/{slug}`, and every other GET (API Gateway's
/// `$default` route), where old addresses redirect.
pub fn get_post(state: AppState) -> Router {
    finish(post_routes(), pages::old_address, state)
}

/// The `feed` function's routes: every feed, the sitemap index, its sitemaps, `robots.txt` and
/// the site's icon.
pub fn feed(state: AppState) -> Router {
    finish(feed_routes(), pages::not_found, state)
}

/// The `ingest` function's routes: authors' writes, answered with JSON or problem documents.
pub fn ingest(state: AppState, auth: IngestAuth) -> Router {
    ingest::routes(auth).with_state(state)
}

/// Every read route in one router.
pub fn site(state: AppState) -> Router {
    finish(read_routes(), pages::old_address, state)
}

/// Every route, reads and writes, in one router, as `blog serve` runs them.
pub fn site_with_ingest(state: AppState, auth: IngestAuth) -> Router {
    finish(
        read_routes()
            .merge(ingest::routes(auth.clone()))
            .merge(ingest::media_routes(auth)),
        pages::old_address,
        state,
    )
}

/// The layers every reader's router has, outermost first: 304 for a fresh copy (outermost, so
/// that it carries the very `Vary` and `ETag` the 200 would), compression (gzip or brotli as
/// the client accepts; Lambda sends a compressed body base64-encoded and API Gateway decodes
/// it), and error pages in the site's frame.
fn finish<T: 'static>(
    routes: Router<AppState>,
    fallback: impl axum::handler::Handler<T, AppState>,
    state: AppState,
) -> Router {
    routes
        .fallback(fallback)
        .layer(middleware::map_response_with_state(
            state.clone(),
            respond::error_pages,
        ))
        .with_state(state)
        .layer(
            tower_http::compression::CompressionLayer::new()
                .gzip(true)
                .br(true),
        )
        .layer(middleware::from_fn(respond::not_modified))
}

fn read_routes() -> Router<AppState> {
    listing_routes()
        .merge(post_routes())
        .merge(feed_routes())
        .route(paths::MEDIA_ROUTE, get(media::serve))
        .route(paths::SEARCH_FILES_ROUTE, get(search_files::serve))
}

fn listing_routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route(
            paths::CATEGORY_ROUTE,
            get(|ctx: Ctx, slug: Path<String>, query: pages::Page| {
                pages::listing(ctx, slug, Listing::Category, query)
            }),
        )
        .route(
            paths::AUTHOR_ROUTE,
            get(|ctx: Ctx, slug: Path<String>, query: pages::Page| {
                pages::listing(ctx, slug, Listing::Author, query)
            }),
        )
        .route(paths::CATEGORIES, get(pages::categories))
        .route(paths::SEARCH, get(pages::search))
}

fn post_routes() -> Router<AppState> {
    Router::new().route(paths::POST_ROUTE, get(pages::post))
}

fn feed_routes() -> Router<AppState> {
    let crawler_routes = Router::new()
        .route(paths::SITEMAP, get(sitemaps::index))
        .route(paths::SITEMAP_ROUTE, get(sitemaps::sitemap))
        .route(paths::ROBOTS, get(sitemaps::robots))
        .route(paths::FAVICON_ICO, get(favicon::ico))
        .route(paths::FAVICON_SVG, get(favicon::svg))
        .route(paths::NEGOTIATED_FEED, get(feeds::negotiated));
    FeedFormat::ALL
        .into_iter()
        .fold(crawler_routes, |router, format| {
            router
                .route(
                    &paths::feed(&Listing::All, format),
                    get(move |ctx: Ctx| feeds::feed(ctx, Listing::All, format)),
                )
                .route(
                    &paths::feed_route(paths::CATEGORY_ROUTE, format),
                    get(move |ctx: Ctx, slug: Path<String>| {
                        feeds::listing_feed(ctx, slug, Listing::Category, format)
                    }),
                )
                .route(
                    &paths::feed_route(paths::AUTHOR_ROUTE, format),
                    get(move |ctx: Ctx, slug: Path<String>| {
                        feeds::listing_feed(ctx, slug, Listing::Author, format)
                    }),
                )
        })
}
