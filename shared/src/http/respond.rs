//! What a reader's request gets back, decided in one place: a representation with its
//! validators and caching headers (and 304 when the reader's copy is fresh), or an error as a
//! status and a page. Handlers return `Result<Representation, WebError>` and use `?`.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use headers::{ETag, HeaderMapExt, IfNoneMatch};
use time::OffsetDateTime;
use xxhash_rust::xxh3::xxh3_128;

use super::AppState;
use crate::model::CursorError;
use crate::render::pages::ErrorView;
use crate::report::report;
use crate::store::StoreError;

/// How long a shared cache (the CDN) keeps a page or a feed: a day, since ingest invalidates what
/// a write changes ([`crate::cdn`]). Browsers keep it a minute, which no invalidation reaches.
pub const SHARED_MAX_AGE: u64 = 86_400;
/// How long browsers may keep a page or a feed.
const BROWSER_MAX_AGE: u64 = 60;
/// How long browsers and the CDN may keep a page or a feed: the CDN a day, serving it stale a
/// minute while it fetches a new one, and a day when the origin fails.
pub const CACHE_CONTROL: &str =
    "public, max-age=60, s-maxage=86400, stale-while-revalidate=60, stale-if-error=86400";
/// How long browsers and the CDN keep the site's own icon, which changes only with a deploy
/// (after which the CDN is invalidated whole, docs/deploying.md): a day in browsers, a week at
/// the CDN, served stale as pages are.
pub(crate) const ICON_CACHE_CONTROL: HeaderValue = HeaderValue::from_static(
    "public, max-age=86400, s-maxage=604800, stale-while-revalidate=86400, stale-if-error=604800",
);
/// How long a 404 may be kept: short, since the post may be published any minute.
const NOT_FOUND_CACHE_CONTROL: &str = "public, max-age=60";
/// Seconds a client should wait before retrying when the store is unavailable (503), for
/// readers and authors alike.
pub(crate) const RETRY_AFTER: HeaderValue = HeaderValue::from_static("5");
/// What must never be kept: errors, and every answer to a write.
pub(crate) const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
/// What only the reader's own browser may keep, never a shared cache: answers that depend on
/// what a CDN does not key on (`Accept`, how a query's names were spelt).
pub(crate) const PRIVATE: HeaderValue = HeaderValue::from_static("private, max-age=300");

/// A page, feed, crawler file or icon, ready to send with its validators.
pub(crate) struct Representation {
    content_type: HeaderValue,
    body: Bytes,
    /// Seconds until it changes with no write (a scheduled post appears), if that is sooner
    /// than [`SHARED_MAX_AGE`].
    changes_in: Option<u64>,
    /// Its own `Cache-Control`, for what no write changes (the icon).
    cache_control: Option<HeaderValue>,
}

impl Representation {
    /// `text` of the media type `content_type` (with its charset).
    pub(crate) fn new(content_type: &mime::Mime, text: String) -> Self {
        Self {
            content_type: HeaderValue::from_str(content_type.as_ref())
                .expect("a media type is a valid header value"),
            body: Bytes::from(text),
            changes_in: None,
            cache_control: None,
        }
    }

    /// Bytes compiled into the function, of the media type `content_type`, kept as
    /// `cache_control` says: no write changes them.
    pub(crate) fn fixed(
        content_type: &'static str,
        bytes: &'static [u8],
        cache_control: HeaderValue,
    ) -> Self {
        Self {
            content_type: HeaderValue::from_static(content_type),
            body: Bytes::from_static(bytes),
            changes_in: None,
            cache_control: Some(cache_control),
        }
    }

    /// The same, kept by caches no later than `when`, when it changes with no write to
    /// invalidate it: a scheduled post appears then.
    pub(crate) fn until(mut self, when: Option<OffsetDateTime>) -> Self {
        if let Some(when) = when {
            let seconds = (when - OffsetDateTime::now_utc()).as_seconds_f64().ceil();
            // Saturating: a time long past is 1 s, one far ahead is over a day anyway.
            let seconds = (seconds as u64).max(1);
            self.changes_in = (seconds < SHARED_MAX_AGE).then_some(seconds);
        }
        self
    }

    /// Its `Cache-Control`: a day at the CDN, a minute in browsers, both shorter when it changes
    /// sooner by itself.
    fn cache_control(&self) -> HeaderValue {
        if let Some(fixed) = &self.cache_control {
            return fixed.clone();
        }
        match self.changes_in {
            None => HeaderValue::from_static(CACHE_CONTROL),
            Some(seconds) => {
                let browser = seconds.min(BROWSER_MAX_AGE);
                HeaderValue::from_str(&format!(
                    "public, max-age={browser}, s-maxage={seconds}, stale-while-revalidate=60, stale-if-error=86400"
                ))
                .expect("digits and commas are a valid header value")
            }
        }
    }

    /// A page, rendered from its template into one buffer of at least `expected_len` bytes
    /// (growing a buffer page by page copies it over and again).
    pub(crate) fn html<T: Template>(view: &T, expected_len: usize) -> Result<Self, WebError> {
        let mut text = String::with_capacity(expected_len.max(T::SIZE_HINT));
        view.render_into(&mut text)?;
        Ok(Self::new(&mime::TEXT_HTML_UTF_8, text))
    }
}

impl IntoResponse for Representation {
    fn into_response(self) -> Response {
        // Weak: the same page gzipped, brotli-compressed or plain is one representation to a
        // cache revalidating it, and a strong validator would have to differ between them.
        let etag = format!("W/\"{:032x}\"", xxh3_128(&self.body));
        let cache_control = self.cache_control();
        let mut response = self.body.into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, self.content_type);
        headers.insert(header::CACHE_CONTROL, cache_control);
        if let Ok(value) = HeaderValue::from_str(&etag) {
            headers.insert(header::ETAG, value);
        }
        response
    }
}

/// Answers 304 instead of a 200 whose `ETag` the request's `If-None-Match` holds, keeping the
/// 200's caching headers. Compared weakly (RFC 9110 §13.1.2): CloudFront weakens a strong ETag
/// to `W/"…"` when it compresses, and the revalidation must still match.
pub(crate) async fn not_modified(request: Request, next: Next) -> Response {
    // Reads only: a write sent with `If-None-Match` is the write handlers' to answer.
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let if_none_match = request.headers().typed_get::<IfNoneMatch>();
    let response = next.run(request).await;
    let Some(if_none_match) = if_none_match else {
        return response;
    };
    if response.status() != StatusCode::OK || !is_fresh(&if_none_match, response.headers()) {
        return response;
    }
    let mut fresh = StatusCode::NOT_MODIFIED.into_response();
    for name in [header::ETAG, header::CACHE_CONTROL, header::VARY] {
        if let Some(value) = response.headers().get(&name) {
            fresh.headers_mut().insert(name, value.clone());
        }
    }
    fresh
}

fn is_fresh(if_none_match: &IfNoneMatch, response: &HeaderMap) -> bool {
    response
        .typed_get::<ETag>()
        .is_some_and(|etag| !if_none_match.precondition_passes(&etag))
}

/// Why a request got no page.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WebError {
    #[error("not found")]
    NotFound,
    /// The content lives at this absolute URL now.
    #[error("moved to {0}")]
    Moved(String),
    /// The same page, asked for in another spelling (`?%61fter=`): its one URL, not cached by
    /// a CDN, which may key the spelling otherwise than this function reads it.
    #[error("spelt otherwise; its URL is {0}")]
    Respelt(String),
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
    #[error("BLOG_BASE_URL is unset and the origin cannot be derived: {0}")]
    NoOrigin(String),
}

/// The page an error response shows, filled in by [`error_pages`] with the site's frame.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ErrorPage {
    heading: &'static str,
    message: &'static str,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, heading, message) = match &self {
            Self::Moved(location) | Self::Respelt(location) => {
                let mut response = StatusCode::MOVED_PERMANENTLY.into_response();
                let headers = response.headers_mut();
                if let Ok(value) = HeaderValue::from_str(location) {
                    headers.insert(header::LOCATION, value);
                }
                let cache = match self {
                    Self::Respelt(_) => PRIVATE,
                    _ => HeaderValue::from_static(CACHE_CONTROL),
                };
                headers.insert(header::CACHE_CONTROL, cache);
                return response;
            }
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "There is no page at this address. The post may have moved, or the link may be mistyped.",
            ),
            Self::BadCursor(_) | Self::TwoCursors | Self::BadQuery => (
                StatusCode::BAD_REQUEST,
                "This page link is not valid",
                "The link to this page of posts is damaged. Start again from the newest posts.",
            ),
            Self::Store(StoreError::Unavailable(_)) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Temporarily unavailable",
                "The blog cannot reach its storage right now. Please try again in a few seconds.",
            ),
            Self::Store(StoreError::Failed(..)) | Self::Render(_) | Self::NoOrigin(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "This page could not be shown. The team has been told.",
            ),
        };
        if status.is_server_error() {
            tracing::error!(status = status.as_u16(), error = %report(&self), "request failed");
        }
        let mut response = status.into_response();
        let headers = response.headers_mut();
        match status {
            StatusCode::NOT_FOUND => {
                headers.insert(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static(NOT_FOUND_CACHE_CONTROL),
                );
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                headers.insert(header::RETRY_AFTER, RETRY_AFTER);
                headers.insert(header::CACHE_CONTROL, NO_STORE);
            }
            _ => {
                headers.insert(header::CACHE_CONTROL, NO_STORE);
            }
        }
        response
            .extensions_mut()
            .insert(ErrorPage { heading, message });
        response
    }
}

/// Fills an error response's body with its page, in the site's frame.
pub(crate) async fn error_pages(State(state): State<AppState>, response: Response) -> Response {
    let Some(page) = response.extensions().get::<ErrorPage>().copied() else {
        return response;
    };
    let html = ErrorView::new(&state.site, page.heading, page.message)
        .render()
        .unwrap_or_else(|_| page.heading.to_owned());
    let (mut parts, _) = response.into_parts();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(mime::TEXT_HTML_UTF_8.as_ref()),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, html.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh(if_none_match: &str, etag: &str) -> bool {
        let mut request = HeaderMap::new();
        request.insert(header::IF_NONE_MATCH, if_none_match.parse().unwrap());
        let mut response = HeaderMap::new();
        response.insert(header::ETAG, etag.parse().unwrap());
        request
            .typed_get::<IfNoneMatch>()
            .is_some_and(|inm| is_fresh(&inm, &response))
    }

    #[test]
    fn etags_compare_weakly_as_cloudfront_needs() {
        let etag = "W/\"abc\"";
        assert!(fresh("\"abc\"", etag));
        assert!(fresh("W/\"abc\"", etag));
        assert!(fresh("\"x\", W/\"abc\"", etag));
        assert!(fresh("*", etag));
        assert!(!fresh("\"abcd\"", etag));
        assert!(!fresh("abc", etag));
    }
}
