//! The embedded store: one SQLite file holding the same items as the DynamoDB table.
//!
//! `cargo lambda watch` runs each function as its own process over one file, so the file is in
//! WAL mode (readers never block the writer), every connection waits for a busy lock rather
//! than failing, and a publish is one `BEGIN IMMEDIATE` transaction.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{ListingQuery, PublishOutcome, Store, StoreError};
use crate::model::{ListingEntry, Post, Slug};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS posts (
    slug TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    item TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS listings (
    listing TEXT NOT NULL,
    sort_key TEXT NOT NULL,
    slug TEXT NOT NULL,
    entry TEXT NOT NULL,
    PRIMARY KEY (listing, sort_key)
) STRICT, WITHOUT ROWID;
";

/// A store in one SQLite file, safe to share between processes.
#[derive(Clone)]
pub struct SqliteStore {
    connection: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let path = path.to_owned();
        let connection = tokio::task::spawn_blocking(move || -> rusqlite::Result<Connection> {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                // A missing folder is reported by SQLite itself below, with the path.
                let _ = std::fs::create_dir_all(parent);
            }
            let connection = Connection::open(&path)?;
            connection.busy_timeout(Duration::from_secs(10))?;
            connection.pragma_update(None, "journal_mode", "WAL")?;
            connection.pragma_update(None, "synchronous", "NORMAL")?;
            connection.execute_batch(SCHEMA)?;
            Ok(connection)
        })
        .await
        .map_err(|e| StoreError::Failed("opening the database", Box::new(e)))?
        .map_err(|e| StoreError::Failed("opening the database", Box::new(e)))?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
        })
    }

    /// Runs `work` on the connection off the async threads.
    async fn with<T, F>(&self, what: &'static str, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let connection = Arc::clone(&self.connection);
        tokio::task::spawn_blocking(move || {
            let mut guard = connection
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            work(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Failed(what, Box::new(e)))?
    }
}

fn sql_error(what: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |error| match error {
        rusqlite::Error::SqliteFailure(code, _)
            if matches!(
                code.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            StoreError::Unavailable(Box::new(error))
        }
        other => StoreError::Failed(what, Box::new(other)),
    }
}

fn json_error(what: &'static str) -> impl Fn(serde_json::Error) -> StoreError {
    move |error| StoreError::Failed(what, Box::new(error))
}

#[async_trait]
impl Store for SqliteStore {
    async fn post(&self, slug: &Slug) -> Result<Option<Post>, StoreError> {
        let slug = slug.clone();
        self.with("reading a post", move |db| {
            let item: Option<String> = db
                .query_row(
                    "SELECT item FROM posts WHERE slug = ?1",
                    [slug.as_str()],
                    |row| row.get(0),
                )
                .optional()
                .map_err(sql_error("reading a post"))?;
            item.map(|json| serde_json::from_str(&json).map_err(json_error("decoding a post")))
                .transpose()
        })
        .await
    }

    async fn listing(&self, query: &ListingQuery) -> Result<Vec<ListingEntry>, StoreError> {
        let query = query.clone();
        self.with("reading a listing", move |db| {
            let sql = match (query.newest_first, query.exclusive_start.is_some()) {
                (true, false) => "SELECT entry FROM listings WHERE listing = ?1 AND sort_key <= ?2 ORDER BY sort_key DESC LIMIT ?3",
                (true, true) => "SELECT entry FROM listings WHERE listing = ?1 AND sort_key <= ?2 AND sort_key < ?4 ORDER BY sort_key DESC LIMIT ?3",
                (false, false) => "SELECT entry FROM listings WHERE listing = ?1 AND sort_key <= ?2 ORDER BY sort_key ASC LIMIT ?3",
                (false, true) => "SELECT entry FROM listings WHERE listing = ?1 AND sort_key <= ?2 AND sort_key > ?4 ORDER BY sort_key ASC LIMIT ?3",
            };
            let mut statement = db.prepare_cached(sql).map_err(sql_error("reading a listing"))?;
            let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
            let start = query.exclusive_start.unwrap_or_default();
            let binds = params![query.listing.key(), query.visible_until, limit, start];
            let binds = if sql.contains("?4") { binds } else { &binds[..3] };
            let rows = statement
                .query_map(binds, |row| row.get::<_, String>(0))
                .map_err(sql_error("reading a listing"))?;
            rows.map(|row| {
                let json = row.map_err(sql_error("reading a listing"))?;
                serde_json::from_str(&json).map_err(json_error("decoding a listing entry"))
            })
            .collect()
        })
        .await
    }

    async fn publish(&self, post: &Post) -> Result<PublishOutcome, StoreError> {
        let mut post = post.clone();
        self.with("publishing a post", move |db| {
            let tx = db
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql_error("publishing a post"))?;
            let existing: Option<(i64, String)> = tx
                .query_row("SELECT version, content_hash FROM posts WHERE slug = ?1", [post.slug.as_str()], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .optional()
                .map_err(sql_error("publishing a post"))?;
            if let Some((version, hash)) = existing {
                let version = u64::try_from(version).unwrap_or_default();
                return Ok(if hash == post.content_hash {
                    PublishOutcome::Unchanged { version }
                } else {
                    PublishOutcome::SlugTaken { version }
                });
            }
            post.version = 1;
            let item = serde_json::to_string(&post).map_err(json_error("encoding a post"))?;
            tx.execute(
                "INSERT INTO posts (slug, version, content_hash, item) VALUES (?1, ?2, ?3, ?4)",
                params![post.slug.as_str(), 1i64, post.content_hash, item],
            )
            .map_err(sql_error("publishing a post"))?;
            if !post.draft {
                let entry = post.listing_entry();
                let sort_key = entry.sort_key();
                let json = serde_json::to_string(&entry).map_err(json_error("encoding a listing entry"))?;
                for listing in post.listings() {
                    tx.execute(
                        "INSERT INTO listings (listing, sort_key, slug, entry) VALUES (?1, ?2, ?3, ?4)",
                        params![listing.key(), sort_key, post.slug.as_str(), json],
                    )
                    .map_err(sql_error("publishing a post"))?;
                }
            }
            tx.commit().map_err(sql_error("publishing a post"))?;
            Ok(PublishOutcome::Created { version: 1 })
        })
        .await
    }
}
