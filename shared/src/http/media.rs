//! `GET /media/<sha256>/<name>`: a stored file, as `blog serve` and (without the CDN) the
//! `media` function serve it, with the headers the CDN adds to the bucket's: its type as stored
//! (decided from its bytes at upload), cached for a year and never revalidated (its URL names
//! its bytes), its SHA-256 as its ETag, `nosniff`, and a policy under which an SVG opened on
//! its own runs no script.
//!
//! The SVG policy: served as it was uploaded, under a `Content-Security-Policy` that forbids
//! scripts and every load (`default-src 'none'; sandbox`). In an `<img>` a browser never runs
//! an SVG's script; opened on its own, the policy stops `<script>`, `onload` and whatever a
//! `<foreignObject>` holds. Sanitising instead would rewrite authors' diagrams.

use std::sync::{Arc, LazyLock};

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::MediaBlobs;
use super::respond::{NO_STORE, RETRY_AFTER};
use crate::model::MAX_SERVED_MEDIA_BYTES;
use crate::model::media::{is_media_name, is_sha256};
use crate::paths;
use crate::store::StoreError;
use crate::store::blobs::{Blob, BlobMeta, Blobs, IMMUTABLE};

/// The policy of a stored SVG: nothing it references loads, no script runs (`sandbox`), inline
/// styles (which diagrams use) apply. The CDN sends the same for `/media/*.svg`.
pub const SVG_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/// The size of each part a large file is sent in.
const PART_BYTES: usize = 128 * 1024;
/// Files larger than one part are sent in parts by a store that serves every file itself (the
/// embedded one), never held whole: a reader who does not read holds one part, not a copy.
pub const STREAMED_ABOVE: u64 = PART_BYTES as u64;
/// How many files are sent in parts at once; a reader past it is asked to come back shortly
/// (503 with `Retry-After`), so slow readers cannot hold the site's memory or its store.
pub const MAX_STREAMED_DOWNLOADS: usize = 64;

/// The downloads sent in parts now, one permit each, held until the last part is sent or the
/// reader goes away.
static STREAMING: LazyLock<Arc<Semaphore>> =
    LazyLock::new(|| Arc::new(Semaphore::new(MAX_STREAMED_DOWNLOADS)));

/// How a stored file is answered.
enum Found {
    /// Its bytes, read whole.
    Whole(Blob),
    /// In parts, read as they are sent.
    Parts(BlobMeta),
    /// At a short-lived URL of the bucket.
    Elsewhere(String),
}

/// Serves one stored file: whole when small; in parts when large and the store serves every
/// file itself; a file too large for a Lambda response redirects to a short-lived URL of the
/// bucket (the CDN, which reads the bucket itself, is the way for large files).
pub(super) async fn serve(
    State(MediaBlobs(blobs)): State<MediaBlobs>,
    Path((sha256, name)): Path<(String, String)>,
) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "no such file").into_response();
    let Some(blobs) = blobs else {
        return not_found();
    };
    if !is_sha256(&sha256) || !is_media_name(&name) {
        return not_found();
    }
    let key = paths::media(&sha256, &name)
        .trim_start_matches('/')
        .to_owned();
    let outcome = async {
        // Only checked files sit at their own key; an unmarked one is not served all the same.
        let Some(meta) = blobs.head(&key).await?.filter(|m| m.verified.is_some()) else {
            return Ok::<_, StoreError>(None);
        };
        if meta.size > STREAMED_ABOVE {
            match blobs.read_url(&key).await? {
                Some(url) if meta.size > MAX_SERVED_MEDIA_BYTES => {
                    return Ok(Some(Found::Elsewhere(url)));
                }
                Some(_) => {}
                None => return Ok(Some(Found::Parts(meta))),
            }
        }
        Ok(blobs.get(&key).await?.map(Found::Whole))
    }
    .await;
    match outcome {
        Ok(None) => not_found(),
        Ok(Some(Found::Elsewhere(url))) => {
            let mut response = StatusCode::FOUND.into_response();
            let headers = response.headers_mut();
            if let Ok(location) = HeaderValue::from_str(&url) {
                headers.insert(header::LOCATION, location);
            }
            headers.insert(header::CACHE_CONTROL, NO_STORE);
            response
        }
        Ok(Some(Found::Whole(blob))) => {
            let mut response = blob.bytes.into_response();
            file_headers(response.headers_mut(), &blob.meta, &sha256);
            response
        }
        Ok(Some(Found::Parts(meta))) => {
            let Ok(permit) = Arc::clone(&STREAMING).try_acquire_owned() else {
                return unavailable("too many large files are being sent; try again shortly");
            };
            let mut response =
                Body::from_stream(parts(blobs, key, meta.size, permit)).into_response();
            let headers = response.headers_mut();
            file_headers(headers, &meta, &sha256);
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(meta.size));
            response
        }
        Err(error) => {
            tracing::error!(error = %crate::report::report(&error), key, "reading a file failed");
            unavailable("the file cannot be read right now; try again shortly")
        }
    }
}

/// The parts of the file at `key`, read one at a time as the reader takes them; `permit` is
/// held until the last is sent or the reader goes away.
fn parts(
    blobs: Arc<dyn Blobs>,
    key: String,
    size: u64,
    permit: OwnedSemaphorePermit,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::unfold(Some((0u64, permit)), move |state| {
        let (blobs, key) = (Arc::clone(&blobs), key.clone());
        async move {
            let (offset, permit) = state.filter(|(offset, _)| *offset < size)?;
            let part = match blobs.read_part(&key, offset, PART_BYTES).await {
                Ok(Some(part)) if !part.is_empty() => part,
                // Gone or cut short while it was sent: the reader gets an incomplete body, never
                // other bytes under this file's ETag.
                Ok(_) => {
                    return Some((Err(std::io::Error::other("the file went away")), None));
                }
                Err(error) => {
                    tracing::error!(error = %crate::report::report(&error), key, "reading a part of a file failed");
                    return Some((Err(std::io::Error::other(error)), None));
                }
            };
            let next = offset + part.len() as u64;
            Some((Ok(part), Some((next, permit))))
        }
    })
}

/// The headers of a stored file as the CDN sends them.
fn file_headers(headers: &mut HeaderMap, meta: &BlobMeta, sha256: &str) {
    let media_type = meta
        .media_type
        .as_deref()
        .and_then(|t| HeaderValue::from_str(t).ok())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, media_type);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{sha256}\"")) {
        headers.insert(header::ETAG, etag);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // An SVG opened on its own is a document that could run script; nothing else stored is
    // (and a PDF under `sandbox` would not open in the browser's viewer).
    if meta.media_type.as_deref() == Some("image/svg+xml") {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(SVG_CSP),
        );
    }
}

/// 503 with `Retry-After`, kept by no cache.
fn unavailable(message: &'static str) -> Response {
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, message).into_response();
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, RETRY_AFTER);
    headers.insert(header::CACHE_CONTROL, NO_STORE);
    response
}
