//! Authors' files: `POST /media` hands out an upload slot for each file a post declares (by
//! SHA-256, name, type and size) that is not stored yet, refusing what is over the limits; the
//! bytes then go straight to the blob store, never through this function. Locally, the slot is
//! `PUT /media/<sha256>/<name>` on the site itself ([`receive`]), checked as S3 checks its own.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::auth::Author;
use super::problem::Problem;
use crate::http::Ctx;
use crate::http::respond::NO_STORE;
use crate::model::media::{MediaError, sniff};
use crate::model::{MAX_MEDIA_BYTES, MAX_POST_MEDIA_FILES, MediaFile};
use crate::store::blobs::{Blobs, Slot, SlotQuery, sha256_hex};

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
            "this blog stores no files: its ingest function has no BLOG_MEDIA_BUCKET",
        )
        .field("media")
    })
}

/// `POST /media`: an upload slot for every file not stored yet.
pub(super) async fn slots(
    ctx: Ctx,
    Extension(author): Extension<Author>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let body = body.map_err(|rejection| Problem::new(rejection.status(), rejection.body_text()))?;
    let mut json = serde_json::Deserializer::from_slice(&body);
    let request: SlotRequest = serde_path_to_error::deserialize(&mut json).map_err(|e| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            format!("the request's JSON at `{}`: {}", e.path(), e.inner()),
        )
    })?;
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
    let blobs = blobs(&ctx)?;
    let origin = ctx.site.absolute("");
    let mut answers = Vec::with_capacity(request.files.len());
    let mut uploads = 0;
    for file in &request.files {
        let stored = blobs
            .head(&file.key())
            .await?
            .is_some_and(|meta| meta.verified.as_deref() == Some(file.sha256.as_str()));
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
    let json = serde_json::to_string(&SlotAnswer { files: answers }).unwrap_or_default();
    let mut response = (
        [(header::CONTENT_TYPE, mime::APPLICATION_JSON.as_ref())],
        json,
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, NO_STORE);
    Ok(response)
}

/// `PUT /media/<sha256>/<name>?expires=…&signature=…`: a local upload slot, refusing what S3
/// would refuse: an unsigned or expired slot, another type or length than signed, bytes that
/// do not hash to the name.
pub(super) async fn receive(
    ctx: Ctx,
    Path((sha256, name)): Path<(String, String)>,
    Query(query): Query<SlotQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, Problem> {
    let blobs = blobs(&ctx)?;
    let body = body.map_err(|rejection| {
        Problem::new(rejection.status(), rejection.body_text()).limit(MAX_MEDIA_BYTES as usize)
    })?;
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let file = MediaFile {
        sha256,
        name,
        media_type,
        size: body.len() as u64,
        width: None,
        height: None,
    };
    let key = file.key();
    blobs
        .check_slot(&key, &query, &file)
        .map_err(|problem| Problem::new(StatusCode::FORBIDDEN, problem))?;
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
    if let Err(found) = sniff(&body) {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            MediaError::Type {
                name: file.name,
                found,
            }
            .to_string(),
        ));
    }
    blobs.put(&key, body, &file.media_type).await?;
    Ok(StatusCode::OK)
}
