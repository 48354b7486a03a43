//! Where posts' files live: S3 in AWS, the embedded database locally, behind one trait. Keys
//! are the files' paths without the leading `/` (`media/<sha256>/<name>`,
//! [`crate::paths::media_key`]).
//!
//! Bytes never travel through a function on the way in: the media function hands out upload
//! slots (a presigned S3 `PUT` that signs the length, type and SHA-256, so S3 refuses other
//! bytes; locally the same protocol onto the embedded store), which write to a staging key
//! (`media/incoming/<sha256>/<name>`) that nothing serves. Asked again, it reads each upload
//! there once ([`ensure_stored`]): its bytes must hash to its name, be the type and size
//! declared, and an image the size in pixels declared (the type and the pixels read from the
//! bytes alone: [`sniff`], [`dimensions`]); then it is copied to its own key, marked with what
//! was checked, and recorded in the table ([`crate::store::Store::record_checked`]).
//! Only checked bytes ever sit where readers fetch files, and a post may use only recorded
//! files ([`ensure_checked`]: the ingest function reads the records, never the bucket).

#[cfg(feature = "s3")]
mod s3;
mod sniff;
#[cfg(feature = "embedded")]
mod sqlite;

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use axum::body::Bytes;
use sha2::{Digest, Sha256};

#[cfg(feature = "s3")]
pub use s3::S3Blobs;
pub use sniff::{dimensions, sniff};
#[cfg(feature = "embedded")]
pub use sqlite::SqliteBlobs;

use super::{Store, StoreError};
use crate::model::MediaFile;
use crate::model::media::MediaError;
use crate::paths;

/// What a blob store knows of a file without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobMeta {
    /// Its length in bytes.
    pub size: u64,
    /// Its media type, as stored.
    pub media_type: Option<String>,
    /// What the server found when it checked the file ([`mark`]); only checked files have one.
    pub verified: Option<String>,
}

/// A file and its bytes.
#[derive(Debug, Clone)]
pub struct Blob {
    /// What is known of it.
    pub meta: BlobMeta,
    /// Its bytes.
    pub bytes: Bytes,
}

/// Where and how a client uploads one file: `PUT` the file's exact bytes to `url` with
/// `headers`; anything else is refused (by S3's signature check, or by the embedded store).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Slot {
    /// Always `PUT`.
    pub method: String,
    /// Where to.
    pub url: String,
    /// The headers to send, each as signed.
    pub headers: BTreeMap<String, String>,
}

/// How long an upload slot stays valid.
pub const SLOT_LIFETIME: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The `Cache-Control` of every stored file: its URL names its bytes, so it never changes.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The `Cache-Control` of the search index's pointer to its current build, the one search file
/// that changes: how long a rebuilt index may take to reach readers.
pub const SEARCH_POINTER_CACHE: &str = "public, max-age=60";

/// Storage of posts' files.
#[async_trait]
pub trait Blobs: Send + Sync + 'static {
    /// What is stored at `key`, without its bytes (`HeadObject`).
    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, StoreError>;

    /// What is stored at `key`, with its bytes (`GetObject`).
    async fn get(&self, key: &str) -> Result<Option<Blob>, StoreError>;

    /// Up to `len` bytes of the file at `key` from byte `offset` (a ranged `GetObject`), for
    /// a large file sent in parts rather than held whole; None if there is no such file. Past
    /// the end, it answers the bytes there are (none at or after the end).
    async fn read_part(
        &self,
        key: &str,
        offset: u64,
        len: usize,
    ) -> Result<Option<Bytes>, StoreError>;

    /// Stores `bytes` at `key` as the given type, replacing what is there.
    async fn put(&self, key: &str, bytes: Bytes, media_type: &str) -> Result<(), StoreError>;

    /// Copies the file at `from` to `to`, served as `media_type` and marked with what was
    /// checked of it (`mark`).
    async fn copy(
        &self,
        from: &str,
        to: &str,
        media_type: &str,
        mark: &str,
    ) -> Result<(), StoreError>;

    /// Removes what is stored at `key`.
    async fn delete(&self, key: &str) -> Result<(), StoreError>;

    /// An upload slot for `file`, writing to its staging key, on a site whose public origin is
    /// `origin` (the embedded store's slots are URLs of the site itself).
    async fn slot(&self, file: &MediaFile, origin: &str) -> Result<Slot, StoreError>;

    /// A short-lived URL readers may fetch `key` from directly, for files too large for a
    /// Lambda response; None where the store serves every file itself.
    async fn read_url(&self, key: &str) -> Result<Option<String>, StoreError>;

    /// Checks a local upload slot's `PUT`: its signature and expiry (the embedded store only;
    /// S3 checks its own).
    fn check_slot(&self, _key: &str, _query: &SlotQuery, _file: &MediaFile) -> Result<(), String> {
        Err("this store's upload slots are not on this site".to_owned())
    }
}

/// The query of a local upload slot's URL.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct SlotQuery {
    /// When it expires, in seconds since the Unix epoch.
    pub expires: Option<u64>,
    /// Its signature.
    pub signature: Option<String>,
}

/// Which blob store the environment names: `BLOG_MEDIA_BUCKET` (S3; its endpoint may be
/// overridden by `AWS_ENDPOINT_URL_S3`), else the embedded database `BLOG_DB` with the upload
/// slots signed by `BLOG_INGEST_TOKEN`. None when neither is set: posts then cannot use files.
pub async fn from_env() -> Result<Option<Arc<dyn Blobs>>, StoreError> {
    let set = |name| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    #[cfg(feature = "s3")]
    if let Some(bucket) = set("BLOG_MEDIA_BUCKET") {
        let blobs = S3Blobs::from_env(bucket)
            .await
            .map_err(|e| StoreError::Failed("reading the AWS configuration", e.into()))?;
        return Ok(Some(Arc::new(blobs)));
    }
    #[cfg(not(feature = "embedded"))]
    if set("BLOG_DB").is_some() {
        let problem = super::NO_EMBEDDED_STORE.into();
        return Err(StoreError::Failed("opening the embedded store", problem));
    }
    #[cfg(feature = "embedded")]
    if let Some(db) = set("BLOG_DB") {
        let secret = set("BLOG_INGEST_TOKEN").unwrap_or_default();
        return Ok(Some(Arc::new(
            SqliteBlobs::open(std::path::Path::new(&db), secret.as_bytes()).await?,
        )));
    }
    Ok(None)
}

/// A SHA-256 in hexadecimal as S3's `x-amz-checksum-sha256` carries it: base64 of its bytes.
pub fn checksum_sha256(sha256: &str) -> Result<String, StoreError> {
    use base64::Engine;
    let bytes = hex::decode(sha256)
        .map_err(|e| StoreError::Failed("reading a file's SHA-256", Box::new(e)))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// The SHA-256 of `bytes`, in lower-case hexadecimal.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Why a post's files are not all ready.
#[derive(Debug, thiserror::Error)]
pub enum NotStored {
    /// Some were never uploaded (or were removed).
    #[error("{} of the post's files are not stored and checked: {}", .0.len(), names(.0))]
    Missing(Vec<MediaFile>),
    /// One was uploaded with other bytes than it names: it was removed.
    #[error(transparent)]
    Refused(#[from] MediaError),
    /// The blob store could not answer.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn names(files: &[MediaFile]) -> String {
    files
        .iter()
        .map(paths::media_file)
        .collect::<Vec<_>>()
        .join(", ")
}

/// How many files are checked at once: each is read whole (up to 25 MiB), so this bounds the
/// media function's memory at about 100 MiB of bodies.
const CONCURRENCY: usize = 4;

/// `files` once each, by key.
fn distinct(files: &[MediaFile]) -> Vec<MediaFile> {
    let mut files = files.to_vec();
    files.sort_by_key(paths::media_key);
    files.dedup_by_key(|f| paths::media_key(f));
    files
}

/// Whether what was found when `file` was checked (`found`, its [`mark`]) is what a post says
/// of it; a post describing a stored file otherwise (other bytes, size or pixels) is refused,
/// and the checked bytes stay.
fn agrees(file: &MediaFile, found: &str) -> Result<(), NotStored> {
    if found == mark(file) {
        Ok(())
    } else {
        Err(NotStored::Refused(MediaError::Malformed {
            name: file.name.clone(),
            problem: format!("the post describes it otherwise than it was stored ({found})"),
        }))
    }
}

/// Ok if nothing is missing, else the missing files, in a stable order.
fn missing_or_ok(mut missing: Vec<MediaFile>) -> Result<(), NotStored> {
    if missing.is_empty() {
        Ok(())
    } else {
        missing.sort_by(|a, b| a.name.cmp(&b.name).then(a.sha256.cmp(&b.sha256)));
        Err(NotStored::Missing(missing))
    }
}

/// Whether every file in `files` is recorded as checked, as `files` describes it: what the
/// ingest function asks before a post is written. One read of the table; the function never
/// reads the files (nor links an S3 client): the media function checked them (`POST /media`,
/// [`ensure_stored`]).
pub async fn ensure_checked(store: &dyn Store, files: &[MediaFile]) -> Result<(), NotStored> {
    missing_or_ok(unrecorded(store, files).await?)
}

/// `files`, once each, that `store` holds no record of; an error if a record disagrees with
/// what `files` says of its file.
async fn unrecorded(store: &dyn Store, files: &[MediaFile]) -> Result<Vec<MediaFile>, NotStored> {
    let files = distinct(files);
    let keys: Vec<String> = files.iter().map(paths::media_key).collect();
    let checked = store.checked_files(&keys).await?;
    let mut unrecorded = Vec::new();
    for file in files {
        match checked.get(&paths::media_key(&file)) {
            Some(found) => agrees(&file, found)?,
            None => unrecorded.push(file),
        }
    }
    Ok(unrecorded)
}

/// Makes sure every file is stored with the bytes its name says, and recorded so in `store`:
/// a recorded file costs nothing more than the one read of the records; an unrecorded file
/// already at its own key (checked before records were kept) costs one `HeadObject`; a new
/// one is read once from its staging key and checked (its SHA-256, its type by its bytes, its
/// size, an image's pixels), then copied to its own key, marked and recorded; one that fails
/// is removed and refused. The files never uploaded are answered as missing.
pub async fn ensure_stored(
    blobs: &Arc<dyn Blobs>,
    store: &Arc<dyn Store>,
    files: &[MediaFile],
) -> Result<(), NotStored> {
    let mut queue = unrecorded(store.as_ref(), files).await?;
    let mut tasks = tokio::task::JoinSet::new();
    let mut results = Vec::with_capacity(queue.len());
    while !queue.is_empty() || !tasks.is_empty() {
        while tasks.len() < CONCURRENCY
            && let Some(file) = queue.pop()
        {
            let (blobs, store) = (Arc::clone(blobs), Arc::clone(store));
            tasks.spawn(async move {
                let outcome = match check_one(blobs.as_ref(), &file).await {
                    // Recorded only once the checked bytes are at their own key.
                    Ok(true) => store
                        .record_checked(&paths::media_key(&file), &mark(&file))
                        .await
                        .map(|()| true)
                        .map_err(NotStored::from),
                    other => other,
                };
                (file, outcome)
            });
        }
        if let Some(joined) = tasks.join_next().await {
            results.push(
                joined.map_err(|e| StoreError::Failed("checking a stored file", Box::new(e)))?,
            );
        }
    }
    let mut missing = Vec::new();
    for (file, outcome) in results {
        if !outcome? {
            missing.push(file);
        }
    }
    missing_or_ok(missing)
}

/// What a checked file is marked with: its SHA-256 and, for an image, its size in pixels, so
/// that a later post declaring other pixels (or another size) for the same file is refused.
pub fn mark(file: &MediaFile) -> String {
    match (file.width, file.height) {
        (Some(width), Some(height)) => format!("{} {}x{width}x{height}", file.sha256, file.size),
        _ => format!("{} {}", file.sha256, file.size),
    }
}

/// Whether `file` is stored and right; an error if what was uploaded for it is wrong (the
/// upload is then removed; a checked file never is).
async fn check_one(blobs: &dyn Blobs, file: &MediaFile) -> Result<bool, NotStored> {
    let (key, staged) = (paths::media_key(file), paths::media_staging_key(file));
    if let Some(meta) = blobs.head(&key).await? {
        // Only checked bytes are ever copied here; what the post says of them must agree.
        return agrees(file, meta.verified.as_deref().unwrap_or("unmarked")).map(|()| true);
    }
    let Some(meta) = blobs.head(&staged).await? else {
        return Ok(false);
    };
    // The size first, before reading anything: a staged file is read whole.
    let checked = if meta.size == file.size {
        match blobs.get(&staged).await? {
            // Another publish of the same file checked and moved it meanwhile.
            None => {
                let moved = blobs.head(&key).await?;
                return Ok(
                    moved.is_some_and(|m| m.verified.as_deref() == Some(mark(file).as_str()))
                );
            }
            Some(blob) => {
                let file = file.clone();
                tokio::task::spawn_blocking(move || verify(&file, &blob.bytes))
                    .await
                    .map_err(|e| StoreError::Failed("checking a stored file", Box::new(e)))?
            }
        }
    } else {
        Err(MediaError::Malformed {
            name: file.name.clone(),
            problem: format!("declared as {} bytes, uploaded as {}", file.size, meta.size),
        })
    };
    match checked {
        Ok(()) => {
            blobs
                .copy(&staged, &key, &file.media_type, &mark(file))
                .await?;
            blobs.delete(&staged).await?;
            Ok(true)
        }
        Err(error) => {
            tracing::warn!(key = staged, error = %error, "an upload does not match its name: removed");
            blobs.delete(&staged).await?;
            Err(NotStored::Refused(error))
        }
    }
}

/// Checks `bytes` against what `file` says of them.
pub fn verify(file: &MediaFile, bytes: &[u8]) -> Result<(), MediaError> {
    let actual = sha256_hex(bytes);
    if actual != file.sha256 {
        return Err(MediaError::HashMismatch {
            name: file.name.clone(),
            expected: file.sha256.clone(),
            actual,
        });
    }
    if bytes.len() as u64 != file.size {
        return Err(MediaError::Malformed {
            name: file.name.clone(),
            problem: format!("declared as {} bytes, stored as {}", file.size, bytes.len()),
        });
    }
    let found = sniff(bytes).map_err(|found| MediaError::Type {
        name: file.name.clone(),
        found,
    })?;
    if found != file.media_type {
        return Err(MediaError::Mismatch {
            name: file.name.clone(),
            declared: file.media_type.clone(),
            found: found.to_owned(),
        });
    }
    let measured = dimensions(&file.name, found, bytes)?;
    let declared = file.width.zip(file.height);
    if measured.is_some() && measured != declared {
        return Err(MediaError::Malformed {
            name: file.name.clone(),
            problem: format!(
                "declared as {} pixels, but its header says {}",
                declared.map_or("no size".to_owned(), |(w, h)| format!("{w} × {h}")),
                measured.map_or("nothing".to_owned(), |(w, h)| format!("{w} × {h}"))
            ),
        });
    }
    Ok(())
}
