//! `GET /search/<build>/<file>` and `GET /search/current.json`: the search index's files, as
//! `blog serve` and (without the CDN) the `media` function serve them from the blob store, with
//! the headers the CDN sends: a build's files kept a year and never revalidated (a new build
//! has a new folder), the pointer to the current build kept a minute.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::MediaBlobs;
use super::respond::{NO_STORE, RETRY_AFTER};
use crate::paths;
use crate::store::blobs::{IMMUTABLE, SEARCH_POINTER_CACHE, sha256_hex};

/// The longest path under `/search/` an index has: Pagefind's names are short.
const MAX_FILE_PATH: usize = 200;

/// Serves one file of the search index, or 404.
pub(super) async fn serve(
    State(MediaBlobs(blobs)): State<MediaBlobs>,
    Path(file): Path<String>,
) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "no such file").into_response();
    let Some(blobs) = blobs else {
        return not_found();
    };
    if !is_index_path(&file) {
        return not_found();
    }
    let path = format!("{}/{file}", paths::SEARCH);
    let key = paths::search_key(&path);
    match blobs.get(&key).await {
        Ok(Some(blob)) => {
            let etag = format!("\"{}\"", sha256_hex(&blob.bytes));
            let media_type = blob.meta.media_type.clone();
            let mut response = blob.bytes.into_response();
            headers(response.headers_mut(), media_type.as_deref(), &etag, &path);
            response
        }
        Ok(None) => not_found(),
        Err(error) => {
            tracing::error!(error = %crate::report::report(&error), key, "reading a search file failed");
            let mut response = (
                StatusCode::SERVICE_UNAVAILABLE,
                "the search index cannot be read right now; try again shortly",
            )
                .into_response();
            let headers = response.headers_mut();
            headers.insert(header::RETRY_AFTER, RETRY_AFTER);
            headers.insert(header::CACHE_CONTROL, NO_STORE);
            response
        }
    }
}

/// Whether `file` is a path an index can have: `/`-separated names of letters, digits, `.`,
/// `_` and `-`, none empty or a dot alone.
fn is_index_path(file: &str) -> bool {
    !file.is_empty()
        && file.len() <= MAX_FILE_PATH
        && file.split('/').all(|name| {
            !name.is_empty()
                && name != "."
                && name != ".."
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        })
}

fn headers(headers: &mut HeaderMap, media_type: Option<&str>, etag: &str, path: &str) {
    let media_type = media_type
        .and_then(|t| HeaderValue::from_str(t).ok())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, media_type);
    let cache = if path == paths::SEARCH_POINTER {
        SEARCH_POINTER_CACHE
    } else {
        IMMUTABLE
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(etag) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, etag);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

#[cfg(test)]
mod tests {
    use super::is_index_path;

    #[test]
    fn only_paths_an_index_has_are_read() {
        for good in [
            "current.json",
            "0123abcd/pagefind.js",
            "0123abcd/index/en_1a2b.pf_index",
        ] {
            assert!(is_index_path(good), "{good}");
        }
        for bad in [
            "",
            "../media/x",
            "a/../b",
            "a//b",
            "a/./b",
            "a\\b",
            "a b",
            "%2e%2e/x",
        ] {
            assert!(!is_index_path(bad), "{bad}");
        }
    }
}
