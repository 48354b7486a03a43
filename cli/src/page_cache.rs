//! What a CDN does for the deployed blog, `blog serve` does for itself: it keeps the answers
//! that say a shared cache may keep them (`public` with an `s-maxage`), for that long at most,
//! and drops every one of them the moment the database changes, whoever changed it (a publish
//! through this server, `cargo lambda watch`'s ingest, another `blog serve` on the same file):
//! SQLite's `data_version` tells, read before each answer.
//!
//! Only plain reads are kept: GET or HEAD without credentials or a conditional header (those
//! go to the site, which answers 304 itself), keyed by the URI and the `Accept-Encoding` the
//! compression chose by. Nothing else changes an answer: the site's routes vary on nothing else.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use blog_shared::store::ChangeProbe;
use headers::{CacheControl, HeaderMapExt};

/// At most this many bytes of answers are kept (however many URLs a client makes up, `?x=1`,
/// `?x=2`…); past it the cache starts again empty.
const MAX_BYTES: usize = 64 * 1024 * 1024;
/// Answers larger than this are not kept (feeds of long posts, stored files).
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The answers kept, and what tells that they went stale.
#[derive(Clone)]
pub struct PageCache(Arc<Inner>);

struct Inner {
    probe: ChangeProbe,
    pages: Mutex<Pages>,
}

#[derive(Default)]
struct Pages {
    /// The database's version the answers were read at.
    version: i64,
    entries: HashMap<Key, Arc<Entry>>,
    /// The bytes of the bodies kept.
    bytes: usize,
}

#[derive(Hash, PartialEq, Eq)]
struct Key {
    uri: String,
    accept_encoding: Option<Bytes>,
}

impl Key {
    /// What keeping an answer under this key costs, key included.
    fn bytes(&self, entry: &Entry) -> usize {
        self.uri.len() + entry.body.len()
    }
}

struct Entry {
    headers: HeaderMap,
    body: Bytes,
    kept: Instant,
    until: Instant,
}

impl PageCache {
    /// An empty cache of a site over the database `probe` watches.
    pub fn new(probe: ChangeProbe) -> Self {
        Self(Arc::new(Inner {
            probe,
            pages: Mutex::new(Pages::default()),
        }))
    }

    /// The kept answer to `key`, if the database is still as it was read.
    fn get(&self, key: &Key, version: i64) -> Option<Arc<Entry>> {
        let mut pages = self.0.pages.lock().unwrap_or_else(|p| p.into_inner());
        if pages.version != version {
            pages.entries.clear();
            pages.bytes = 0;
            pages.version = version;
            return None;
        }
        pages
            .entries
            .get(key)
            .filter(|entry| entry.until > Instant::now())
            .cloned()
    }

    fn put(&self, key: Key, entry: Entry, version: i64) {
        let mut pages = self.0.pages.lock().unwrap_or_else(|p| p.into_inner());
        // Read at another version than the cache holds: keeping it could serve old content.
        if pages.version != version {
            return;
        }
        let bytes = key.bytes(&entry);
        if pages.bytes + bytes > MAX_BYTES {
            pages.entries.clear();
            pages.bytes = 0;
        }
        pages.bytes += bytes;
        let replaced = pages.entries.remove(&key).map(|old| key.bytes(&old));
        pages.bytes -= replaced.unwrap_or(0);
        pages.entries.insert(key, Arc::new(entry));
    }
}

/// The key of a request whose answer may be kept, or None.
fn key_of(request: &Request) -> Option<Key> {
    // A HEAD's answer is the GET's, body included: the server drops the body on the way out.
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return None;
    }
    let headers = request.headers();
    let personal = [
        header::AUTHORIZATION,
        header::COOKIE,
        header::IF_NONE_MATCH,
        header::IF_MODIFIED_SINCE,
        header::RANGE,
    ];
    if personal.iter().any(|name| headers.contains_key(name)) {
        return None;
    }
    Some(Key {
        uri: request.uri().to_string(),
        accept_encoding: headers
            .get(header::ACCEPT_ENCODING)
            .map(|v| Bytes::copy_from_slice(v.as_bytes())),
    })
}

/// How long a shared cache may keep `response`, if it may.
fn shared_lifetime(response: &Response) -> Option<Duration> {
    if response.status() != StatusCode::OK || response.headers().contains_key(header::SET_COOKIE) {
        return None;
    }
    let cache_control = response.headers().typed_get::<CacheControl>()?;
    if cache_control.no_store() || cache_control.private() || !cache_control.public() {
        return None;
    }
    cache_control.s_max_age().filter(|age| !age.is_zero())
}

/// The layer: answers from the cache, or asks the site and keeps what it may.
pub async fn layer(State(cache): State<PageCache>, request: Request, next: Next) -> Response {
    let Some(key) = key_of(&request) else {
        return next.run(request).await;
    };
    // Read before the site reads: a write in between makes the version differ, never the
    // content older than the version says.
    let Ok(version) = cache.0.probe.version() else {
        return next.run(request).await;
    };
    if let Some(entry) = cache.get(&key, version) {
        let mut response = Response::new(Body::from(entry.body.clone()));
        *response.headers_mut() = entry.headers.clone();
        // How long it has been kept, as a shared cache says (RFC 9111 §5.1).
        response.headers_mut().insert(
            header::AGE,
            HeaderValue::from(entry.kept.elapsed().as_secs()),
        );
        return response;
    }
    let response = next.run(request).await;
    let Some(lifetime) = shared_lifetime(&response) else {
        return response;
    };
    // A page, feed or sitemap: rendered whole in memory already (stored files are never
    // `s-maxage`), so collecting it costs a copy at most.
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(body) => body,
        Err(error) => {
            tracing::error!(%error, "reading an answer to keep failed");
            return Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .header(header::CACHE_CONTROL, "no-store")
                .body(Body::empty())
                .unwrap_or_default();
        }
    };
    if body.len() > MAX_BODY_BYTES {
        return Response::from_parts(parts, Body::from(body));
    }
    cache.put(
        key,
        Entry {
            headers: parts.headers.clone(),
            body: body.clone(),
            kept: Instant::now(),
            until: Instant::now() + lifetime,
        },
        version,
    );
    Response::from_parts(parts, Body::from(body))
}
