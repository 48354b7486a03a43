//! The embedded store: one SQLite file holding the same items as the DynamoDB table.
//!
//! `cargo lambda watch` runs each function as its own process over one file, so the file is in
//! WAL mode (readers never block the writer), every connection waits for a busy lock rather
//! than failing ([`connection`]), and a publish is one `BEGIN IMMEDIATE` transaction. The
//! tables and their migrations are in [`schema`], the readers' connections and the change probe
//! in [`readers`], the rows a post is stored as in [`rows`].

pub(super) mod connection;
mod readers;
mod rows;
mod schema;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::rules::{Changes, Replacement, check_delete, prepare_replace, publish_onto};
use super::{
    Body, CategoryCount, Holder, ListingQuery, ListingRows, PostsPage, PublishOutcome, Redirect,
    Store, StoreError, WriteError, WriteOutcome,
};
use crate::model::{Category, Listing, Post, Slug};
use connection::{open_shared, plan_once, sql_error};
pub use readers::ChangeProbe;
use readers::Readers;
use rows::{
    apply, claim, json_error, listing_entry, post_columns, post_from_columns, read_post, write_post,
};
use schema::{SCHEMA, migrate};
use time::OffsetDateTime;

/// How many posts an export reads at a time.
const POSTS_PAGE: usize = 25;

/// A store in one SQLite file, safe to share between processes.
///
/// Writes go through one connection, off the async threads. Readers' reads run where they are
/// asked, on connections of their own (WAL: a reader never waits for the writer): a page's read
/// takes microseconds, less than handing it to another thread would.
#[derive(Clone)]
pub struct SqliteStore {
    connection: Arc<Mutex<Connection>>,
    readers: Readers,
    path: std::path::PathBuf,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        // Every connection to `:memory:` is a database of its own: readers would see none of it.
        if path
            .to_str()
            .is_some_and(|p| p == ":memory:" || p.starts_with("file::memory:"))
        {
            return Err(StoreError::Failed(
                "opening the database",
                "the embedded store must be a file (BLOG_DB), not an in-memory database".into(),
            ));
        }
        let path = path.to_owned();
        let opened = path.clone();
        let connection = tokio::task::spawn_blocking(move || -> rusqlite::Result<Connection> {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                // A missing folder is reported by SQLite itself below, with the path.
                let _ = std::fs::create_dir_all(parent);
            }
            let connection = open_shared(&path)?;
            plan_once(&connection)?;
            connection.pragma_update(None, "synchronous", "NORMAL")?;
            connection.execute_batch(SCHEMA)?;
            migrate(&connection)?;
            Ok(connection)
        })
        .await
        .map_err(|e| StoreError::Failed("opening the database", Box::new(e)))?
        .map_err(|e| StoreError::Failed("opening the database", Box::new(e)))?;
        let path = opened.clone();
        let readers = tokio::task::spawn_blocking(move || Readers::open(&path))
            .await
            .map_err(|e| StoreError::Failed("opening the database", Box::new(e)))?
            .map_err(|e| StoreError::Failed("opening the database", Box::new(e)))?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
            readers,
            path: opened,
        })
    }

    /// Runs a reader's `work` here, on a free reader connection (or, if none is free, on one
    /// as soon as it is).
    fn read<T>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.readers.read(work)
    }

    /// A probe that tells when the database changed, for a cache of what was read from it.
    pub async fn change_probe(&self) -> Result<ChangeProbe, StoreError> {
        ChangeProbe::open(self.path.clone()).await
    }

    /// Runs `work` on the connection off the async threads.
    async fn with<T, E, F>(&self, what: &'static str, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
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

#[async_trait]
impl Store for SqliteStore {
    async fn post(&self, slug: &Slug) -> Result<Option<Post>, StoreError> {
        let slug = slug.clone();
        self.read(move |db| read_post(db, &slug, true))
    }

    async fn post_without_source(&self, slug: &Slug) -> Result<Option<Post>, StoreError> {
        let slug = slug.clone();
        self.read(move |db| read_post(db, &slug, false))
    }

    async fn listing(&self, query: &ListingQuery) -> Result<ListingRows, StoreError> {
        let query = query.clone();
        self.read(move |db| {
            let sql = match (query.newest_first, query.exclusive_start.is_some()) {
                (true, false) => "SELECT entry, excerpt_html FROM listings WHERE listing = ?1 AND sort_key <= ?2 ORDER BY sort_key DESC LIMIT ?3",
                (true, true) => "SELECT entry, excerpt_html FROM listings WHERE listing = ?1 AND sort_key <= ?2 AND sort_key < ?4 ORDER BY sort_key DESC LIMIT ?3",
                (false, false) => "SELECT entry, excerpt_html FROM listings WHERE listing = ?1 AND sort_key <= ?2 ORDER BY sort_key ASC LIMIT ?3",
                (false, true) => "SELECT entry, excerpt_html FROM listings WHERE listing = ?1 AND sort_key <= ?2 AND sort_key > ?4 ORDER BY sort_key ASC LIMIT ?3",
            };
            let mut statement = db.prepare_cached(sql).map_err(sql_error("reading a listing"))?;
            let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
            let start = query.exclusive_start.unwrap_or_default();
            let binds = params![query.listing.key(), query.visible_until, limit, start];
            let binds = if sql.contains("?4") { binds } else { &binds[..3] };
            let mut rows = statement
                .query(binds)
                .map_err(sql_error("reading a listing"))?;
            let mut entries = Vec::with_capacity(query.limit.min(64));
            while let Some(row) = rows.next().map_err(sql_error("reading a listing"))? {
                entries.push(listing_entry(row)?);
            }
            // SQLite returns the whole LIMIT, however large the rows.
            Ok(ListingRows { entries, cut_short: false })
        })
    }

    async fn next_appearing(
        &self,
        listing: &Listing,
        visible_until: &str,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        let (listing, until) = (listing.key(), visible_until.to_owned());
        self.read(move |db| {
            let key: Option<String> = db
                .prepare_cached(
                    "SELECT sort_key FROM listings WHERE listing = ?1 AND sort_key > ?2 ORDER BY sort_key ASC LIMIT 1",
                )
                .and_then(|mut statement| {
                    statement
                        .query_row(params![listing, until], |row| row.get(0))
                        .optional()
                })
                .map_err(sql_error("reading a listing's schedule"))?;
            Ok(key.as_deref().and_then(crate::model::sort_key_time))
        })
    }

    async fn bodies(&self, slugs: &[Slug]) -> Result<Vec<Body>, StoreError> {
        let slugs: Vec<String> = slugs.iter().map(ToString::to_string).collect();
        self.read(move |db| {
            let mut statement = db
                .prepare_cached(
                    "SELECT slug, coalesce(body_html, json_extract(item, '$.body_html')), json_extract(item, '$.tags') FROM posts WHERE slug IN (SELECT value FROM json_each(?1))",
                )
                .map_err(sql_error("reading posts' bodies"))?;
            let wanted = serde_json::to_string(&slugs).map_err(json_error("encoding slugs"))?;
            let rows = statement
                .query_map([wanted], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, Option<String>>(1)?,
                        row.get::<_, Option<String>>(2)?,
                    ))
                })
                .map_err(sql_error("reading posts' bodies"))?;
            let mut bodies = Vec::with_capacity(slugs.len());
            for row in rows {
                let (slug, html, tags) = row.map_err(sql_error("reading posts' bodies"))?;
                let slug = Slug::parse(&slug)
                    .map_err(|e| StoreError::Failed("decoding a post's slug", Box::new(e)))?;
                let tags = match tags {
                    Some(tags) => serde_json::from_str(&tags).map_err(json_error("decoding tags"))?,
                    None => Vec::new(),
                };
                bodies.push(Body {
                    slug,
                    html: html.unwrap_or_default(),
                    tags,
                });
            }
            Ok(bodies)
        })
    }

    async fn categories(&self) -> Result<Vec<CategoryCount>, StoreError> {
        self.read(move |db| {
            let mut statement = db
                .prepare_cached("SELECT slug, name, posts FROM categories ORDER BY slug")
                .map_err(sql_error("reading the categories"))?;
            let rows = statement
                .query_map([], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, i64>(2)?,
                    ))
                })
                .map_err(sql_error("reading the categories"))?;
            rows.map(|row| {
                let (slug, name, posts) = row.map_err(sql_error("reading the categories"))?;
                let slug = Slug::parse(&slug)
                    .map_err(|e| StoreError::Failed("decoding a category", Box::new(e)))?;
                Ok(CategoryCount {
                    category: Category { name, slug },
                    posts: u64::try_from(posts).unwrap_or(0),
                })
            })
            .collect()
        })
    }

    async fn redirect(&self, path: &str) -> Result<Option<Redirect>, StoreError> {
        let path = path.to_owned();
        self.read(move |db| {
            let row: Option<(String, bool, Option<String>)> = db
                .query_row(
                    "SELECT slug, draft, published FROM redirects WHERE path = ?1",
                    [path],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()
                .map_err(sql_error("reading a redirect"))?;
            row.map(|(slug, draft, published)| {
                let to = Slug::parse(&slug)
                    .map_err(|e| StoreError::Failed("decoding a redirect", Box::new(e)))?;
                Ok(Redirect::as_stored(to, draft, published.as_deref()))
            })
            .transpose()
        })
    }

    async fn posts(&self, from: Option<&str>) -> Result<PostsPage, StoreError> {
        let after = from.unwrap_or_default().to_owned();
        self.with("listing every post", move |db| {
            let mut statement = db
                .prepare_cached(
                    "SELECT item, body_html, source FROM posts WHERE slug > ?1 ORDER BY slug LIMIT ?2",
                )
                .map_err(sql_error("listing every post"))?;
            let limit = i64::try_from(POSTS_PAGE + 1).unwrap_or(i64::MAX);
            let rows = statement
                .query_map(params![after, limit], post_columns)
                .map_err(sql_error("listing every post"))?;
            let mut posts: Vec<Post> = rows
                .map(|row| post_from_columns(row.map_err(sql_error("listing every post"))?))
                .collect::<Result<_, StoreError>>()?;
            let more = posts.len() > POSTS_PAGE;
            posts.truncate(POSTS_PAGE);
            let next = more
                .then(|| posts.last().map(|p| p.slug.to_string()))
                .flatten();
            Ok(PostsPage { posts, next })
        })
        .await
    }

    async fn publish(&self, post: &Post) -> Result<PublishOutcome, WriteError> {
        let mut post = post.clone();
        self.with("publishing a post", move |db| {
            let tx = db
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql_error("publishing a post"))?;
            if let Some(existing) = read_post(&tx, &post.slug, true)? {
                return publish_onto(&existing, &post);
            }
            post.version = 1;
            let changes = claim(&tx, Changes::between(None, Some(&post)), &[&post.slug])?;
            write_post(&tx, &post)?;
            apply(&tx, &post, &changes)?;
            tx.commit().map_err(sql_error("publishing a post"))?;
            Ok(PublishOutcome::Created { version: 1 })
        })
        .await
    }

    async fn replace(
        &self,
        slug: &Slug,
        post: &Post,
        expected: u64,
    ) -> Result<WriteOutcome, WriteError> {
        let (slug, post) = (slug.clone(), post.clone());
        self.with("replacing a post", move |db| {
            let tx = db
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql_error("replacing a post"))?;
            let stored = read_post(&tx, &slug, true)?;
            let next = match prepare_replace(stored.as_ref(), &slug, &post, expected)? {
                Replacement::Unchanged { version } => {
                    return Ok(WriteOutcome::Unchanged { version });
                }
                Replacement::Write(next) => next,
            };
            // A replacement is only prepared over a stored post.
            let stored = stored.ok_or(WriteError::NotFound)?;
            if next.slug != slug {
                if let Some(taken) = read_post(&tx, &next.slug, true)? {
                    return Err(WriteError::SlugTaken(Holder::of(&taken)));
                }
                tx.execute("DELETE FROM posts WHERE slug = ?1", [slug.as_str()])
                    .map_err(sql_error("replacing a post"))?;
            }
            let changes = Changes::between(Some(&stored), Some(&next));
            let changes = claim(&tx, changes, &[&slug, &next.slug])?;
            write_post(&tx, &next)?;
            apply(&tx, &next, &changes)?;
            tx.commit().map_err(sql_error("replacing a post"))?;
            Ok(WriteOutcome::Written {
                version: next.version,
                previous: Box::new(stored),
                current: next,
            })
        })
        .await
    }

    async fn delete(&self, slug: &Slug, expected: u64) -> Result<Post, WriteError> {
        let slug = slug.clone();
        self.with("deleting a post", move |db| {
            let tx = db
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql_error("deleting a post"))?;
            let stored = check_delete(read_post(&tx, &slug, true)?, expected)?;
            tx.execute("DELETE FROM posts WHERE slug = ?1", [slug.as_str()])
                .map_err(sql_error("deleting a post"))?;
            let changes = claim(&tx, Changes::between(Some(&stored), None), &[&slug])?;
            apply(&tx, &stored, &changes)?;
            tx.commit().map_err(sql_error("deleting a post"))?;
            Ok(stored)
        })
        .await
    }

    async fn checked_files(&self, keys: &[String]) -> Result<HashMap<String, String>, StoreError> {
        self.read(|db| {
            let mut statement = db
                .prepare_cached("SELECT mark FROM checked_files WHERE key = ?1")
                .map_err(sql_error("reading which files are checked"))?;
            let mut checked = HashMap::with_capacity(keys.len());
            for key in keys {
                let mark: Option<String> = statement
                    .query_row([key], |row| row.get(0))
                    .optional()
                    .map_err(sql_error("reading which files are checked"))?;
                if let Some(mark) = mark {
                    checked.insert(key.clone(), mark);
                }
            }
            Ok(checked)
        })
    }

    async fn record_checked(&self, key: &str, mark: &str) -> Result<(), StoreError> {
        let (key, mark) = (key.to_owned(), mark.to_owned());
        self.with("recording a checked file", move |db| {
            db.execute(
                "INSERT INTO checked_files (key, mark) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET mark = excluded.mark",
                [&key, &mark],
            )
            .map_err(sql_error("recording a checked file"))?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_reader_prepares_a_listing_query_once_whatever_is_bound() {
        let dir = tempfile::TempDir::new().unwrap();
        let store = SqliteStore::open(&dir.path().join("blog.sqlite3"))
            .await
            .unwrap();
        let reprepared = store
            .read(|db| {
                let sql = "SELECT entry FROM listings WHERE listing = ?1 AND sort_key <= ?2 \
                           ORDER BY sort_key DESC LIMIT ?3";
                for (until, limit) in [("2020-01-01", 11), ("2021-01-01", 13), ("~", 11)] {
                    let mut statement = db.prepare_cached(sql).map_err(sql_error("test"))?;
                    let mut rows = statement
                        .query(params!["LIST#_all", until, limit])
                        .map_err(sql_error("test"))?;
                    while rows.next().map_err(sql_error("test"))?.is_some() {}
                }
                let statement = db.prepare_cached(sql).map_err(sql_error("test"))?;
                Ok(statement.get_status(rusqlite::StatementStatus::RePrepare))
            })
            .unwrap();
        assert_eq!(
            reprepared, 0,
            "the statement was prepared again on a new binding"
        );
    }

    #[tokio::test]
    async fn listing_rows_from_before_excerpts_had_a_column_read_with_their_excerpts() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("old.sqlite3");
        let old = crate::content::parse_post(
            "---\ntitle: \"Old <&> \\\"quoted\\\"\"\ndate: 2020-01-01\n---\nThe *old* \"teaser\".\n",
            None,
        )
        .unwrap();
        let all = |until: &str| ListingQuery {
            listing: Listing::All,
            newest_first: true,
            exclusive_start: None,
            visible_until: until.to_owned(),
            limit: 10,
        };
        {
            // A listing row as the store wrote it before: the whole entry, excerpt and all, in
            // one JSON column.
            let db = Connection::open(&path).unwrap();
            db.execute_batch(
                "CREATE TABLE listings (listing TEXT NOT NULL, sort_key TEXT NOT NULL, slug TEXT NOT NULL, entry TEXT NOT NULL, PRIMARY KEY (listing, sort_key)) STRICT, WITHOUT ROWID;",
            )
            .unwrap();
            db.execute(
                "INSERT INTO listings VALUES ('_all', ?1, ?2, ?3)",
                params![
                    old.listing_entry().sort_key(),
                    old.slug.as_str(),
                    serde_json::to_string(&old.listing_entry()).unwrap()
                ],
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).await.unwrap();
        let rows = store.listing(&all("~")).await.unwrap().entries;
        assert_eq!(rows, [old.listing_entry()]);
        assert!(rows[0].excerpt_html.contains("teaser"), "{rows:?}");

        // A post written now keeps its excerpt in the new column, and reads back whole.
        let mut new = crate::content::parse_post(
            "---\ntitle: New\ndate: 2021-01-01\n---\nA <em>new</em> \"teaser\" & more.\n",
            None,
        )
        .unwrap();
        new.version = 1;
        assert!(matches!(
            store.publish(&new).await.unwrap(),
            PublishOutcome::Created { .. }
        ));
        let (entry, excerpt): (String, Option<String>) = store
            .read(|db| {
                db.query_row(
                    "SELECT entry, excerpt_html FROM listings WHERE slug = ?1",
                    [new.slug.as_str()],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .map_err(sql_error("test"))
            })
            .unwrap();
        assert!(!entry.contains("teaser"), "{entry}");
        assert_eq!(excerpt.as_deref(), Some(new.excerpt_html.as_str()));
        let rows = store.listing(&all("~")).await.unwrap().entries;
        assert_eq!(rows, [new.listing_entry(), old.listing_entry()]);
    }

    #[tokio::test]
    async fn a_database_from_before_bodies_had_columns_reads_whole_posts_and_bodies() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("old.sqlite3");
        let mut post = crate::content::parse_post(
            "---\ntitle: Old\ndate: 2020-01-01\ncategories: [Data]\n---\nThe *old* body.\n",
            None,
        )
        .unwrap();
        post.version = 1;
        {
            let db = Connection::open(&path).unwrap();
            db.execute_batch(
                "CREATE TABLE posts (slug TEXT PRIMARY KEY, version INTEGER NOT NULL, content_hash TEXT NOT NULL, item TEXT NOT NULL) STRICT;",
            )
            .unwrap();
            db.execute(
                "INSERT INTO posts VALUES (?1, 1, ?2, ?3)",
                params![
                    post.slug.as_str(),
                    post.content_hash,
                    serde_json::to_string(&post).unwrap()
                ],
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).await.unwrap();
        assert_eq!(store.post(&post.slug).await.unwrap().unwrap(), post);
        assert_eq!(
            store
                .post_without_source(&post.slug)
                .await
                .unwrap()
                .unwrap(),
            Post {
                source: String::new(),
                ..post.clone()
            }
        );
        assert_eq!(
            store
                .bodies(std::slice::from_ref(&post.slug))
                .await
                .unwrap(),
            [Body {
                slug: post.slug.clone(),
                html: post.body_html.clone(),
                tags: post.tags.clone(),
            }]
        );
        // Written again, the body and source move beside the item, and read back the same.
        let mut edited = post.clone();
        edited.title = "Old, edited".into();
        edited.content_hash = "another upload".into();
        let outcome = store.replace(&post.slug, &edited, 1).await.unwrap();
        assert!(matches!(outcome, WriteOutcome::Written { version: 2, .. }));
        let stored = store.post(&post.slug).await.unwrap().unwrap();
        assert_eq!(
            (stored.source, stored.body_html),
            (post.source, post.body_html)
        );
    }
}
