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

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::MediaBlobs;
use super::respond::{NO_STORE, RETRY_AFTER};
use crate::model::MAX_SERVED_MEDIA_BYTES;
use crate::model::media::{is_media_name, is_sha256};
use crate::paths;
use crate::store::StoreError;
use crate::store::blobs::IMMUTABLE;

/// The policy of a stored SVG: nothing it references loads, no script runs (`sandbox`), inline
/// styles (which diagrams use) apply. The CDN sends the same for `/media/*.svg`.
pub const SVG_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/// Serves one stored file; a file too large for a Lambda response redirects to a short-lived
/// URL of the bucket (the CDN, which reads the bucket itself, is the way for large files).
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
        if meta.size > MAX_SERVED_MEDIA_BYTES
            && let Some(url) = blobs.read_url(&key).await?
        {
            return Ok(Some(Err(url)));
        }
        Ok(blobs.get(&key).await?.map(Ok))
    }
    .await;
    match outcome {
        Ok(None) => not_found(),
        Ok(Some(Err(url))) => {
            let mut response = StatusCode::FOUND.into_response();
            let headers = response.headers_mut();
            if let Ok(location) = HeaderValue::from_str(&url) {
                headers.insert(header::LOCATION, location);
            }
            headers.insert(header::CACHE_CONTROL, NO_STORE);
            response
        }
        Ok(Some(Ok(blob))) => {
            let media_type = blob
                .meta
                .media_type
                .as_deref()
                .and_then(|t| HeaderValue::from_str(t).ok())
                .unwrap_or(HeaderValue::from_static("application/octet-stream"));
            let mut response = blob.bytes.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, media_type);
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
            if let Ok(etag) = HeaderValue::from_str(&format!("\"{sha256}\"")) {
                headers.insert(header::ETAG, etag);
            }
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            // An SVG opened on its own is a document that could run script; nothing else stored
            // is (and a PDF under `sandbox` would not open in the browser's viewer).
            if blob.meta.media_type.as_deref() == Some("image/svg+xml") {
                headers.insert(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(SVG_CSP),
                );
            }
            response
        }
        Err(error) => {
            tracing::error!(error = %crate::report::report(&error), key, "reading a file failed");
            let mut response = (
                StatusCode::SERVICE_UNAVAILABLE,
                "the file cannot be read right now; try again shortly",
            )
                .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, RETRY_AFTER);
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, NO_STORE);
            response
        }
    }
}
