//! An upload, checked before anything else happens: its media type, size and encoding, what
//! its headers say of its origin, then the post it makes and whether that fits the store.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};

use super::problem::Problem;
use crate::content::permalinks::Generator;
use crate::content::{Origin, parse_post_from};
use crate::model::{
    MAX_ITEM_BYTES, MAX_REDIRECTS, MAX_TRANSACTION_BYTES, MAX_UPLOAD_BYTES, MediaRef, Post, Slug,
};
use crate::store::{listing_item_size, post_item_size, write_size};
use serde::{Deserialize, Serialize};

/// The request header naming the category of posts that name none (`blog import --category`).
pub const DEFAULT_CATEGORY_HEADER: &str = "blog-default-category";
/// The request header saying where an imported file comes from (`jekyll`, `hugo`, `zola`).
pub const IMPORT_FORMAT_HEADER: &str = "blog-import-format";
/// The request header giving the file's path within the folder it is published from,
/// percent-encoded ([`encode_source_path`]): with an `id:`, what makes it the same post.
pub const SOURCE_HEADER: &str = "blog-source";
/// The request header giving the slug the importer chose (a collision resolved).
pub const SLUG_HEADER: &str = "blog-slug";
/// The request header listing every address the post had on its old site (its aliases among
/// them), space-separated, each in the form [`crate::paths::old_address`] gives. When sent,
/// it replaces the front matter's `aliases` as the post's old paths.
pub const OLD_PATHS_HEADER: &str = "blog-old-paths";

/// A source path as the [`SOURCE_HEADER`] carries it (a header holds visible ASCII only).
pub fn encode_source_path(path: &str) -> String {
    percent_encoding::utf8_percent_encode(path, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The longest source path kept, in bytes.
const MAX_SOURCE_PATH: usize = 500;

/// A post that uses files, as `blog publish` sends it (`Content-Type: application/json`): the
/// Markdown exactly as written, and the files it references as they were stored.
#[derive(Debug, Serialize, Deserialize)]
pub struct PostUpload {
    /// The Markdown file, front matter included.
    pub markdown: String,
    /// Every local file it references.
    #[serde(default)]
    pub media: Vec<MediaRef>,
}

/// Checks the media type, size and encoding of an upload, then parses, validates and renders it.
pub(super) fn read_upload(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    url_slug: Option<&Slug>,
) -> Result<Post, Problem> {
    let with_media = check_media_type(headers)?;
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
    let envelope = if with_media {
        Some(super::read_json::<PostUpload>(text.as_bytes(), "the post")?)
    } else {
        None
    };
    let (text, media) = match &envelope {
        Some(upload) => (upload.markdown.as_str(), upload.media.as_slice()),
        None => (text, &[][..]),
    };
    let file_name = upload_file_name(headers);
    let default_category = headers
        .get(DEFAULT_CATEGORY_HEADER)
        .and_then(|v| v.to_str().ok());
    let import = match header_text(headers, IMPORT_FORMAT_HEADER)? {
        None => None,
        Some(name) => Some(Generator::from_name(name).ok_or_else(|| {
            bad_header(IMPORT_FORMAT_HEADER, "is not `jekyll`, `hugo` or `zola`")
        })?),
    };
    let source_path = match header_text(headers, SOURCE_HEADER)? {
        None => None,
        Some(encoded) => {
            let path = percent_encoding::percent_decode_str(encoded)
                .decode_utf8()
                .map_err(|_| bad_header(SOURCE_HEADER, "is not percent-encoded UTF-8"))?
                .into_owned();
            if path.is_empty() || path.len() > MAX_SOURCE_PATH || path.chars().any(char::is_control)
            {
                return Err(bad_header(
                    SOURCE_HEADER,
                    &format!("must be a file's path of at most {MAX_SOURCE_PATH} bytes"),
                ));
            }
            Some(path)
        }
    };
    let assigned_slug = header_text(headers, SLUG_HEADER)?
        .map(Slug::parse)
        .transpose()
        .map_err(|e| bad_header(SLUG_HEADER, &e.to_string()))?;
    let old_paths: Option<Vec<String>> = header_text(headers, OLD_PATHS_HEADER)?
        .map(|v| v.split_ascii_whitespace().map(str::to_owned).collect());
    if old_paths.as_ref().is_some_and(|p| p.len() > MAX_REDIRECTS) {
        return Err(bad_header(
            OLD_PATHS_HEADER,
            &format!("names more than {MAX_REDIRECTS} addresses"),
        )
        .limit(MAX_REDIRECTS));
    }
    let origin = Origin {
        file_name: file_name.as_deref(),
        source_path: source_path.as_deref(),
        default_category,
        import,
        assigned_slug: assigned_slug.as_ref(),
        old_paths: old_paths.as_deref(),
        slug: url_slug,
        media,
    };
    let post = parse_post_from(text, &origin)?;
    fits_dynamodb(&post)?;
    Ok(post)
}

/// Checks the whole write against every limit DynamoDB keeps, before anything is written, so
/// that what the embedded store accepts AWS accepts too: each item 400 KB, the transaction 4 MB.
fn fits_dynamodb(post: &Post) -> Result<(), Problem> {
    let too_large = |detail: String, limit: usize| {
        Problem::new(StatusCode::PAYLOAD_TOO_LARGE, detail).limit(limit)
    };
    let size = post_item_size(post);
    if size > MAX_ITEM_BYTES {
        return Err(too_large(
            format!(
                "the stored post would be {size} bytes, over DynamoDB's item limit of {MAX_ITEM_BYTES} bytes (400 KB); shorten it or split it"
            ),
            MAX_ITEM_BYTES,
        ));
    }
    let row = listing_item_size(post);
    if row > MAX_ITEM_BYTES {
        return Err(too_large(
            format!(
                "each listing row of the post would be {row} bytes, over DynamoDB's item limit of {MAX_ITEM_BYTES} bytes (400 KB); shorten its summary"
            ),
            MAX_ITEM_BYTES,
        ));
    }
    let total = write_size(post);
    if total > MAX_TRANSACTION_BYTES {
        return Err(too_large(
            format!(
                "the post and its {} listing rows would be {total} bytes in one write, over DynamoDB's transaction limit of {MAX_TRANSACTION_BYTES} bytes (4 MB); shorten its summary or give it fewer categories and authors",
                post.listings().len()
            ),
            MAX_TRANSACTION_BYTES,
        ));
    }
    Ok(())
}

/// A header's value as text, if it was sent.
fn header_text<'h>(headers: &'h HeaderMap, name: &'static str) -> Result<Option<&'h str>, Problem> {
    headers
        .get(name)
        .map(|value| {
            value
                .to_str()
                .map(str::trim)
                .map_err(|_| bad_header(name, "is not ASCII text"))
        })
        .transpose()
}

fn bad_header(name: &str, problem: &str) -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        format!("header `{name}` {problem}"),
    )
    .field(name)
}

/// Checks the upload's media type: Markdown, or JSON carrying Markdown and its files
/// ([`PostUpload`]), which it says by returning true.
fn check_media_type(headers: &HeaderMap) -> Result<bool, Problem> {
    let unsupported = |what: &str| {
        Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "{what}: send the post as `Content-Type: text/markdown; charset=utf-8` (or as `application/json` with its files)"
            ),
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
    let json = essence == mime::APPLICATION_JSON.essence_str();
    if !json && !matches!(essence, "text/markdown" | "text/x-markdown" | "text/plain") {
        return Err(unsupported(&format!("`{essence}` is not Markdown")));
    }
    match media_type.get_param(mime::CHARSET) {
        Some(charset) if charset != mime::UTF_8 => {
            Err(unsupported(&format!("charset `{charset}` is not UTF-8")))
        }
        _ => Ok(json),
    }
}

/// `Content-Disposition: attachment; filename="2018-09-19-my-post.md"` names the uploaded file,
/// which can give the post its date and slug, as in Jekyll. The name is read as UTF-8, as
/// `blog publish` sends it (`über-uns.md`).
fn upload_file_name(headers: &HeaderMap) -> Option<String> {
    let value = std::str::from_utf8(headers.get(header::CONTENT_DISPOSITION)?.as_bytes()).ok()?;
    let name = value
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("filename="))?;
    let name = name.trim_matches('"');
    let base = name.rsplit(['/', '\\']).next()?;
    (!base.is_empty() && base.len() <= 200).then(|| base.to_owned())
}
