//! What a CDN does for the deployed blog, `blog serve` does for itself: it keeps the answers
//! that say a shared cache may keep them (`public` with an `s-maxage`), for that long at most,
//! and drops every one of them the moment the database changes, whoever changed it (a publish
//! through this server, `cargo lambda watch`'s ingest, another `blog serve` on the same file):
//! SQLite's `data_version` tells, read before each answer.
//!
//! Only plain reads are kept: GET or HEAD without credentials or a conditional header (those
//! go to the site, which answers 304 itself), keyed by the URI and the encoding the site's
//! compression picks for the request's `Accept-Encoding` (identity, gzip or br: three answers a
//! URL at most, however the header is spelt, as a CDN normalises it). Nothing else changes an
//! answer: the site's routes vary on nothing else. Everything an entry holds, its key and
//! headers included, counts against the budget.

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
    encoding: Encoding,
}

/// What a kept entry costs beyond the bytes it counts: its slot in the map, the `Arc`, its
/// times, its header map's tables.
const ENTRY_OVERHEAD: usize = 256;
/// What a header costs beyond its name and value.
const HEADER_OVERHEAD: usize = 64;

impl Key {
    /// What keeping an answer under this key costs: the key, the headers and the body.
    fn bytes(&self, entry: &Entry) -> usize {
        let headers: usize = entry
            .headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + HEADER_OVERHEAD)
            .sum();
        self.uri.len() + headers + entry.body.len() + ENTRY_OVERHEAD
    }
}

/// The encodings the site's compression layer answers in (tower-http's, with gzip and br on).
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, PartialOrd, Ord)]
enum Encoding {
    Identity,
    Gzip,
    Br,
}

impl Encoding {
    /// The encoding the compression layer picks for a request with these headers, by its rule:
    /// of the codings the client accepts (`q` above 0), the highest `q`, ties going to br, then
    /// gzip, then identity; an entry whose `q` is no valid qvalue is ignored, and identity
    /// when none is left. The test `the_key_is_the_encoding_the_compression_layer_picks` holds
    /// this to the layer itself.
    fn chosen_for(headers: &HeaderMap) -> Self {
        headers
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|coding| {
                let mut parts = coding.splitn(2, ';');
                let name = parts.next().unwrap_or_default().trim();
                let encoding = if name.eq_ignore_ascii_case("br") {
                    Self::Br
                } else if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
                    Self::Gzip
                } else if name.eq_ignore_ascii_case("identity") {
                    Self::Identity
                } else {
                    return None;
                };
                let q = match parts.next() {
                    Some(q) => qvalue(q.trim())?,
                    None => 1000,
                };
                Some((q, encoding))
            })
            .filter(|(q, _)| *q > 0)
            .max()
            .map_or(Self::Identity, |(_, encoding)| encoding)
    }

    /// The encoding an answer was sent in, if it is one of the layer's.
    fn of_answer(headers: &HeaderMap) -> Option<Self> {
        match headers
            .get(header::CONTENT_ENCODING)
            .map(HeaderValue::as_bytes)
        {
            None => Some(Self::Identity),
            Some(b"gzip") => Some(Self::Gzip),
            Some(b"br") => Some(Self::Br),
            Some(_) => None,
        }
    }
}

/// A `q=` weight in thousandths, as RFC 9110 spells it (`0`, `0.5`, `1.000`; at most three
/// decimals, at most 1); None for anything else.
fn qvalue(weight: &str) -> Option<u16> {
    let value = weight
        .strip_prefix("q=")
        .or_else(|| weight.strip_prefix("Q="))?;
    let (whole, decimals) = value.split_once('.').unwrap_or((value, ""));
    let whole: u16 = match whole {
        "0" => 0,
        "1" => 1000,
        _ => return None,
    };
    if decimals.len() > 3 || !decimals.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = decimals
        .bytes()
        .zip([100, 10, 1])
        .map(|(digit, scale)| u16::from(digit - b'0') * scale)
        .sum::<u16>();
    Some(whole + thousandths).filter(|q| *q <= 1000)
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
        encoding: Encoding::chosen_for(headers),
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
    // Kept only under the encoding it came in: an answer the layer left uncompressed (too
    // small, an image) is the same for every request of its URL, so it is kept too.
    let answered = Encoding::of_answer(&parts.headers);
    let fits_key = answered.is_some_and(|e| e == key.encoding || e == Encoding::Identity);
    if body.len() > MAX_BODY_BYTES || !fits_key {
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tower::ServiceExt;

    /// A small deterministic generator: the same headers every run.
    struct Lcg(u64);

    impl Lcg {
        fn pick<'a>(&mut self, of: &[&'a str]) -> &'a str {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            of[(self.0 >> 33) as usize % of.len()]
        }
    }

    /// `Accept-Encoding` values as clients (and attackers) write them.
    fn accept_encodings() -> Vec<String> {
        let mut fixed: Vec<String> = [
            "",
            "gzip",
            "br",
            "gzip, deflate, br, zstd",
            "gzip;q=0, xxxx",
            "br;q=0, gzip;q=0",
            "identity;q=0",
            "*",
            "BR;Q=0.5, GZIP;q=0.5",
            "gzip;q=1.0, br;q=0.999",
            "br;q=1.5, gzip",
            "gzip;level=1;q=0, br;q=0.1",
            "x-gzip",
            "br ; q=0.8 , gzip ; q=0.9",
        ]
        .map(str::to_owned)
        .to_vec();
        let mut random = Lcg(7);
        let codings = [
            "br", "gzip", "x-gzip", "identity", "deflate", "zstd", "*", "Br", "GZip", "xxxx", "",
        ];
        let weights = [
            "",
            ";q=0",
            ";q=1",
            ";q=0.5",
            ";q=0.50",
            ";q=0.001",
            ";q=1.000",
            ";q=1.001",
            ";q=0.1234",
            ";Q=0.7",
            ";q=.5",
            "; q=0.3",
            ";q=1.",
            ";q=2",
        ];
        for _ in 0..400 {
            let count = random.pick(&["1", "2", "3", "4"]).parse().unwrap();
            let header: Vec<String> = (0..count)
                .map(|_| format!("{}{}", random.pick(&codings), random.pick(&weights)))
                .collect();
            fixed.push(header.join(random.pick(&[",", ", ", " ,"])));
        }
        fixed
    }

    /// The rule the key follows is the compression layer's own: asked of tower-http itself,
    /// for every header above, it answers in the encoding the key names.
    #[tokio::test]
    async fn the_key_is_the_encoding_the_compression_layer_picks() {
        let site = axum::Router::new()
            .route(
                "/",
                get(|| async { "a page of text, long enough to be compressed. ".repeat(20) }),
            )
            .layer(
                tower_http::compression::CompressionLayer::new()
                    .gzip(true)
                    .br(true),
            );
        for value in accept_encodings() {
            let mut request = Request::get("/").body(Body::empty()).unwrap();
            if !value.is_empty() {
                request.headers_mut().insert(
                    header::ACCEPT_ENCODING,
                    HeaderValue::from_str(&value).unwrap(),
                );
            }
            let predicted = Encoding::chosen_for(request.headers());
            let answer = site.clone().oneshot(request).await.unwrap();
            assert_eq!(
                Encoding::of_answer(answer.headers()),
                Some(predicted),
                "Accept-Encoding: {value:?}"
            );
        }
    }

    /// An empty cache over a new database, and the version it holds answers at.
    async fn empty_cache() -> (tempfile::TempDir, PageCache, i64) {
        let dir = tempfile::TempDir::new().unwrap();
        let store = blog_shared::store::SqliteStore::open(&dir.path().join("blog.sqlite3"))
            .await
            .unwrap();
        let probe = store.change_probe().await.unwrap();
        let version = probe.version().unwrap();
        let cache = PageCache::new(probe);
        let nothing = Key {
            uri: "/".to_owned(),
            encoding: Encoding::Br,
        };
        // The first read takes the database's version: what is kept is kept at it.
        assert!(cache.get(&nothing, version).is_none());
        (dir, cache, version)
    }

    /// However long the header, a URL is kept under three keys at most, and what the cache
    /// counts is everything it holds: the key and the headers too, not only the body.
    #[tokio::test]
    async fn entries_cost_what_they_hold_and_keys_stay_small() {
        let (_dir, cache, version) = empty_cache().await;
        let hostile = format!("gzip;q=0, {}", "x".repeat(200_000));
        let request = Request::get("/robots.txt?n=1")
            .header(header::ACCEPT_ENCODING, &hostile)
            .body(Body::empty())
            .unwrap();
        let key = key_of(&request).unwrap();
        assert_eq!(key.encoding, Encoding::Identity);
        assert_eq!(key.uri, "/robots.txt?n=1");

        let mut headers = HeaderMap::new();
        headers.insert(
            "x-long",
            HeaderValue::from_str(&"h".repeat(10_000)).unwrap(),
        );
        let entry = Entry {
            headers,
            body: Bytes::from_static(b"User-agent: *"),
            kept: Instant::now(),
            until: Instant::now() + Duration::from_secs(60),
        };
        let cost = key.bytes(&entry);
        assert!(cost >= 10_000 + 13 + "/robots.txt?n=1".len(), "{cost}");
        cache.put(key, entry, version);
        let pages = cache.0.pages.lock().unwrap();
        assert_eq!(pages.bytes, cost);
        assert_eq!(pages.entries.len(), 1);
    }

    /// Past the budget, the cache starts again: it never holds more than the budget.
    #[tokio::test]
    async fn the_budget_is_never_exceeded() {
        let (_dir, cache, version) = empty_cache().await;
        let mut most = 0;
        let body = Bytes::from(vec![b'x'; 512 * 1024]);
        for n in 0..300 {
            let mut headers = HeaderMap::new();
            headers.insert(
                "x-long",
                HeaderValue::from_str(&"h".repeat(60_000)).unwrap(),
            );
            let key = Key {
                uri: format!("/page?n={n}&{}", "q".repeat(60_000)),
                encoding: Encoding::Gzip,
            };
            let entry = Entry {
                headers,
                body: body.clone(),
                kept: Instant::now(),
                until: Instant::now() + Duration::from_secs(60),
            };
            cache.put(key, entry, version);
            let pages = cache.0.pages.lock().unwrap();
            let held: usize = pages.entries.iter().map(|(k, e)| k.bytes(e)).sum();
            assert_eq!(pages.bytes, held);
            assert!(held <= MAX_BYTES, "{held} bytes held after {n} entries");
            most = most.max(pages.entries.len());
        }
        assert!(most > 50, "entries are kept up to the budget: {most}");
    }
}
