//! An upload, checked before anything else happens: its media type, size and encoding, what
//! its headers say of its origin, then the post it makes and whether that fits the store.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};

use super::problem::Problem;
use crate::content::{Origin, parse_post_from};
use crate::model::{MAX_ITEM_BYTES, MAX_UPLOAD_BYTES, Post, Slug};
use crate::store::post_item_size;

/// The request header naming the category of posts that name none (`blog import --category`).
pub const DEFAULT_CATEGORY_HEADER: &str = "blog-default-category";
/// The request header saying where an imported file comes from (`jekyll`, `hugo`, `zola`).
pub const IMPORT_FORMAT_HEADER: &str = "blog-import-format";

/// Checks the media type, size and encoding of an upload, then parses, validates and renders it.
pub(super) fn read_upload(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    url_slug: Option<&Slug>,
) -> Result<Post, Problem> {
    check_media_type(headers)?;
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the upload is larger than {MAX_UPLOAD_BYTES} bytes"),
        )
        .limit(MAX_UPLOAD_BYTES),
        status => Problem::new(status, rejection.body_text()),
    })?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "the body is empty: send the Markdown file, front matter included",
        ));
    }
    let text = std::str::from_utf8(&body).map_err(|e| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            format!("the body is not valid UTF-8 (at byte {})", e.valid_up_to()),
        )
    })?;
    let file_name = upload_file_name(headers);
    let default_category = headers
        .get(DEFAULT_CATEGORY_HEADER)
        .and_then(|v| v.to_str().ok());
    let jekyll = headers
        .get(IMPORT_FORMAT_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("jekyll"));
    let origin = Origin {
        file_name: file_name.as_deref(),
        default_category,
        jekyll,
        slug: url_slug,
    };
    let post = parse_post_from(text, &origin)?;
    let size = post_item_size(&post);
    if size > MAX_ITEM_BYTES {
        return Err(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the stored post would be {size} bytes, over DynamoDB's item limit of {MAX_ITEM_BYTES} bytes (400 KB); shorten it or split it"
            ),
        )
        .limit(MAX_ITEM_BYTES));
    }
    Ok(post)
}

fn check_media_type(headers: &HeaderMap) -> Result<(), Problem> {
    let unsupported = |what: &str| {
        Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("{what}: send the post as `Content-Type: text/markdown; charset=utf-8`"),
        )
    };
    let media_type: mime::Mime = headers
        .get(header::CONTENT_TYPE)
        .ok_or_else(|| unsupported("no Content-Type"))?
        .to_str()
        .ok()
        .and_then(|value| value.parse().ok())
        .ok_or_else(|| unsupported("an unreadable Content-Type"))?;
    let essence = media_type.essence_str();
    if !matches!(essence, "text/markdown" | "text/x-markdown" | "text/plain") {
        return Err(unsupported(&format!("`{essence}` is not Markdown")));
    }
    match media_type.get_param(mime::CHARSET) {
        Some(charset) if charset != mime::UTF_8 => {
            Err(unsupported(&format!("charset `{charset}` is not UTF-8")))
        }
        _ => Ok(()),
    }
}

/// `Content-Disposition: attachment; filename="2018-09-19-my-post.md"` names the uploaded file,
/// which can give the post its date and slug, as in Jekyll.
fn upload_file_name(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_DISPOSITION)?.to_str().ok()?;
    let name = value
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("filename="))?;
    let name = name.trim_matches('"');
    let base = name.rsplit(['/', '\\']).next()?;
    (!base.is_empty() && base.len() <= 200).then(|| base.to_owned())
}
