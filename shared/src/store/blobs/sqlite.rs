//! Files in the embedded database, beside the posts: one row per file. Upload slots are URLs of
//! the local site itself (`PUT /media/<sha256>/<name>`, landing at the staging key), signed with
//! HMAC-SHA256 over the staging key, type, length and expiry under a key derived from the
//! ingest token, so a slot is good for those bytes only, as a presigned S3 URL is.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use axum::body::Bytes;
use hmac::{KeyInit, Mac};
use rusqlite::{Connection, OptionalExtension, params};

use super::{Blob, BlobMeta, Blobs, SLOT_LIFETIME, Slot, SlotQuery, checksum_sha256};
use crate::model::MediaFile;
use crate::paths;
use crate::store::StoreError;
use crate::store::sqlite::connection::{open_shared, sql_error};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS blobs (
    key TEXT PRIMARY KEY,
    media_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    verified TEXT,
    bytes BLOB NOT NULL
) STRICT;
";

/// Files in one SQLite file, safe to share between processes.
#[derive(Clone)]
pub struct SqliteBlobs {
    connection: Arc<Mutex<Connection>>,
    secret: Arc<[u8]>,
}

impl SqliteBlobs {
    /// Opens (creating if needed) the files' table in the database at `path`; slots are signed
    /// with `secret` (the local ingest token; a random one when empty, valid for this process).
    pub async fn open(path: &Path, secret: &[u8]) -> Result<Self, StoreError> {
        let path = path.to_owned();
        let connection = tokio::task::spawn_blocking(move || -> rusqlite::Result<Connection> {
            // Usually the posts' own database (`BLOG_DB`), so opened as the posts' store opens it.
            let connection = open_shared(&path)?;
            connection.execute_batch(SCHEMA)?;
            Ok(connection)
        })
        .await
        .map_err(|e| StoreError::Failed("opening the files' table", Box::new(e)))?
        .map_err(|e| StoreError::Failed("opening the files' table", Box::new(e)))?;
        // A key of its own, derived from the secret: a slot's signature says nothing of the token.
        let secret: Arc<[u8]> = if secret.is_empty() {
            let mut random = [0u8; 32];
            getrandom::fill(&mut random)
                .map_err(|e| StoreError::Failed("making a slot key", e.to_string().into()))?;
            Arc::from(&random[..])
        } else {
            let mut derive = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
            derive.update(b"blog upload slots v1");
            Arc::from(&derive.finalize().into_bytes()[..])
        };
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
            secret,
        })
    }

    async fn with<T: Send + 'static>(
        &self,
        what: &'static str,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let connection = Arc::clone(&self.connection);
        tokio::task::spawn_blocking(move || {
            let guard = connection
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            work(&guard)
        })
        .await
        .map_err(|e| StoreError::Failed(what, Box::new(e)))?
        .map_err(sql_error(what))
    }

    fn signature(&self, key: &str, media_type: &str, size: u64, expires: u64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.secret).expect("HMAC takes any key length");
        mac.update(format!("PUT\n{key}\n{media_type}\n{size}\n{expires}").as_bytes());
        mac
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[async_trait]
impl Blobs for SqliteBlobs {
    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, StoreError> {
        let key = key.to_owned();
        self.with("reading a file's metadata", move |c| {
            c.query_row(
                "SELECT size, media_type, verified FROM blobs WHERE key = ?1",
                [key],
                |row| {
                    Ok(BlobMeta {
                        size: row.get::<_, i64>(0)?.max(0) as u64,
                        media_type: row.get(1)?,
                        verified: row.get(2)?,
                    })
                },
            )
            .optional()
        })
        .await
    }

    async fn get(&self, key: &str) -> Result<Option<Blob>, StoreError> {
        let key = key.to_owned();
        self.with("reading a file", move |c| {
            c.query_row(
                "SELECT size, media_type, verified, bytes FROM blobs WHERE key = ?1",
                [key],
                |row| {
                    Ok(Blob {
                        meta: BlobMeta {
                            size: row.get::<_, i64>(0)?.max(0) as u64,
                            media_type: row.get(1)?,
                            verified: row.get(2)?,
                        },
                        bytes: Bytes::from(row.get::<_, Vec<u8>>(3)?),
                    })
                },
            )
            .optional()
        })
        .await
    }

    async fn read_part(
        &self,
        key: &str,
        offset: u64,
        len: usize,
    ) -> Result<Option<Bytes>, StoreError> {
        let key = key.to_owned();
        self.with("reading a part of a file", move |c| {
            let Some(row) = c
                .query_row("SELECT rowid FROM blobs WHERE key = ?1", [key], |row| {
                    row.get::<_, i64>(0)
                })
                .optional()?
            else {
                return Ok(None);
            };
            // SQLite's incremental I/O reads only the pages of the part, where a `substr` of
            // the column would load the whole file for every part.
            let blob = c.blob_open(rusqlite::MAIN_DB, "blobs", "bytes", row, true)?;
            let start = usize::try_from(offset)
                .unwrap_or(usize::MAX)
                .min(blob.len());
            let mut part = vec![0; len.min(blob.len() - start)];
            blob.read_at_exact(&mut part, start)?;
            Ok(Some(Bytes::from(part)))
        })
        .await
    }

    async fn put(&self, key: &str, bytes: Bytes, media_type: &str) -> Result<(), StoreError> {
        let (key, media_type) = (key.to_owned(), media_type.to_owned());
        self.with("storing a file", move |c| {
            c.execute(
                "INSERT OR REPLACE INTO blobs (key, media_type, size, verified, bytes) VALUES (?1, ?2, ?3, NULL, ?4)",
                params![key, media_type, bytes.len() as i64, &bytes[..]],
            )
            .map(drop)
        })
        .await
    }

    async fn copy(
        &self,
        from: &str,
        to: &str,
        media_type: &str,
        mark: &str,
    ) -> Result<(), StoreError> {
        let (from, to, media_type, mark) = (
            from.to_owned(),
            to.to_owned(),
            media_type.to_owned(),
            mark.to_owned(),
        );
        self.with("copying a checked file", move |c| {
            c.execute(
                "INSERT OR REPLACE INTO blobs (key, media_type, size, verified, bytes)
                 SELECT ?2, ?3, size, ?4, bytes FROM blobs WHERE key = ?1",
                params![from, to, media_type, mark],
            )
            .map(drop)
        })
        .await
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let key = key.to_owned();
        self.with("removing a file", move |c| {
            c.execute("DELETE FROM blobs WHERE key = ?1", [key])
                .map(drop)
        })
        .await
    }

    async fn slot(&self, file: &MediaFile, origin: &str) -> Result<Slot, StoreError> {
        let expires = now() + SLOT_LIFETIME.as_secs();
        let signature = self.signature(
            &paths::media_staging_key(file),
            &file.media_type,
            file.size,
            expires,
        );
        let signature = hex::encode(signature.finalize().into_bytes());
        let checksum = checksum_sha256(&file.sha256)?;
        // `PUT /media/<sha256>/<name>` on the site: the upload lands at the staging key.
        Ok(Slot {
            method: "PUT".to_owned(),
            url: format!(
                "{origin}{}?expires={expires}&signature={signature}",
                paths::media_file(file)
            ),
            headers: BTreeMap::from([
                ("content-length".to_owned(), file.size.to_string()),
                ("content-type".to_owned(), file.media_type.clone()),
                ("x-amz-checksum-sha256".to_owned(), checksum),
            ]),
        })
    }

    async fn read_url(&self, _key: &str) -> Result<Option<String>, StoreError> {
        Ok(None)
    }

    fn check_slot(&self, key: &str, query: &SlotQuery, file: &MediaFile) -> Result<(), String> {
        let (Some(expires), Some(signature)) = (query.expires, query.signature.as_deref()) else {
            return Err("the URL is no upload slot: ask for one with POST /media".to_owned());
        };
        let given =
            hex::decode(signature).map_err(|_| "the slot's signature is not hexadecimal")?;
        self.signature(key, &file.media_type, file.size, expires)
            .verify_slice(&given)
            .map_err(|_| {
                "the slot was signed for other bytes: send exactly the type and length it names"
                    .to_owned()
            })?;
        if expires < now() {
            return Err("the slot has expired: ask for a new one".to_owned());
        }
        Ok(())
    }
}
