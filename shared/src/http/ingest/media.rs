//! Authors' files: `POST /media` takes the files a post declares (by SHA-256, name, type and
//! size), refusing what is over the limits; checks and records each one uploaded since it was
//! last asked (its bytes against its name: [`crate::store::blobs::ensure_stored`]), and hands
//! out an upload slot for each one still missing. The bytes go straight to the blob store,
//! never through a function; the client asks again once they are sent, and every file is then
//! `stored`. The media function serves these routes (it holds the bucket); the ingest function
//! only reads the records. Locally, the slot is `PUT /media/<sha256>/<name>` on the site itself
//! ([`receive`]), checked as S3 checks its own.

use std::collections::HashSet;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::auth::Author;
use super::problem::Problem;
use crate::http::Ctx;
use crate::model::media::{MediaError, check_files};
use crate::model::{MAX_MEDIA_BYTES, MAX_POST_MEDIA_FILES, MediaFile};
use crate::paths;
use crate::store::blobs::{Blobs, NotStored, Slot, SlotQuery, sha256_hex, sniff};

/// What `POST /media` takes: the files a post is about to use.
#[derive(Debug, Serialize, Deserialize)]
pub struct SlotRequest {
    /// The files, variants included.
    pub files: Vec<MediaFile>,
}

/// What `POST /media` answers: for each file, whether it is stored, or where to upload it.
#[derive(Debug, Serialize, Deserialize)]
pub struct SlotAnswer {
    /// In the order asked.
    pub files: Vec<FileSlot>,
}

/// One file's answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct FileSlot {
    /// Its SHA-256.
    pub sha256: String,
    /// Its name.
    pub name: String,
    /// Stored and checked already: nothing to upload.
    pub stored: bool,
    /// Where to upload it, if it is not stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload: Option<Slot>,
}

/// The blob store, or the problem of a blog that has none.
pub(super) fn blobs(ctx: &Ctx) -> Result<&std::sync::Arc<dyn Blobs>, Problem> {
    ctx.media.as_ref().ok_or_else(|| {
        Problem::new(
            StatusCode::NOT_IMPLEMENTED,
            "this blog stores no files: its media function has no BLOG_MEDIA_BUCKET",
        )
        .field("media")
    })
}

/// `POST /media`: every uploaded file checked and recorded; an upload slot for every other.
pub(super) async fn slots(
    ctx: Ctx,
    Extension(author): Extension<Author>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let body = body.map_err(|rejection| Problem::new(rejection.status(), rejection.body_text()))?;
    let request: SlotRequest = super::read_json(&body, "the request")?;
    if request.files.len() > MAX_POST_MEDIA_FILES {
        return Err(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "{} files asked for at once, over the limit of {MAX_POST_MEDIA_FILES}",
                request.files.len()
            ),
        )
        .limit(MAX_POST_MEDIA_FILES));
    }
    for file in &request.files {
        file.check()
            .map_err(|e| Problem::from(crate::content::PostError::Media(e)))?;
    }
    check_files(&request.files.iter().collect::<Vec<_>>())
        .map_err(|e| Problem::from(crate::content::PostError::Media(e)))?;
    let blobs = blobs(&ctx)?;
    // Every file uploaded since the last ask is checked and recorded here; the rest are
    // missing, and get a slot.
    let missing: HashSet<String> =
        match crate::store::blobs::ensure_stored(blobs, &ctx.store, &request.files).await {
            Ok(()) => HashSet::new(),
            Err(NotStored::Missing(files)) => files.iter().map(paths::media_key).collect(),
            Err(error) => return Err(Problem::not_stored(error)),
        };
    let origin = ctx.site.absolute("");
    let mut answers = Vec::with_capacity(request.files.len());
    let mut uploads = 0;
    for file in &request.files {
        let stored = !missing.contains(&paths::media_key(file));
        let upload = if stored {
            None
        } else {
            uploads += 1;
            Some(blobs.slot(file, &origin).await?)
        };
        answers.push(FileSlot {
            sha256: file.sha256.clone(),
            name: file.name.clone(),
            stored,
            upload,
        });
    }
    tracing::info!(author = %author.0, files = answers.len(), uploads, "upload slots handed out");
    Ok(super::private_json(&SlotAnswer { files: answers }))
}

/// `PUT /media/<sha256>/<name>?expires=…&signature=…`: a local upload slot, landing at the
/// file's staging key. Refused before a byte is read: an unsigned or expired slot, another type
/// or length than signed (S3 checks the same signature); then bytes that do not hash to the
/// name (S3 checks the signed checksum) or are not the type signed.
pub(super) async fn receive(
    ctx: Ctx,
    Path((sha256, name)): Path<(String, String)>,
    Query(query): Query<SlotQuery>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<StatusCode, Problem> {
    let blobs = blobs(&ctx)?;
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &axum::http::HeaderValue| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let size: u64 = header(header::CONTENT_LENGTH).parse().map_err(|_| {
        Problem::new(
            StatusCode::LENGTH_REQUIRED,
            "send the file's length (`Content-Length`), as its slot signs it",
        )
    })?;
    let file = MediaFile {
        sha256,
        name,
        media_type: header(header::CONTENT_TYPE),
        size,
        width: None,
        height: None,
    };
    blobs
        .check_slot(&paths::media_staging_key(&file), &query, &file)
        .map_err(|problem| Problem::new(StatusCode::FORBIDDEN, problem))?;
    let limit = usize::try_from(size.min(MAX_MEDIA_BYTES)).unwrap_or(usize::MAX);
    let body = axum::body::to_bytes(body, limit).await.map_err(|_| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            format!("the body is not the {size} bytes the slot signs"),
        )
    })?;
    if body.len() as u64 != size {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            format!(
                "the body is {} bytes, not the {size} the slot signs",
                body.len()
            ),
        ));
    }
    let actual = sha256_hex(&body);
    if actual != file.sha256 {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            MediaError::HashMismatch {
                name: file.name,
                expected: file.sha256,
                actual,
            }
            .to_string(),
        ));
    }
    match sniff(&body) {
        Ok(found) if found == file.media_type => {}
        Ok(found) => {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                MediaError::Mismatch {
                    name: file.name,
                    declared: file.media_type,
                    found: found.to_owned(),
                }
                .to_string(),
            ));
        }
        Err(found) => {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                MediaError::Type {
                    name: file.name,
                    found,
                }
                .to_string(),
            ));
        }
    }
    blobs
        .put(&paths::media_staging_key(&file), body, &file.media_type)
        .await?;
    Ok(StatusCode::OK)
}
