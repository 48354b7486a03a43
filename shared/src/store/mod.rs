//! Storage behind one trait, with two real backends: DynamoDB in AWS and an embedded SQLite
//! file locally. Both hold the same single-table layout: a post item, and one listing entry per
//! listing the post is in, written together.

mod dynamo;
mod sqlite;

use std::env;
use std::error::Error as StdError;
use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;

pub use dynamo::{DynamoStore, create_table, post_item_size};
pub use sqlite::SqliteStore;

use crate::config::ConfigError;
use crate::model::{
    Category, Cursor, Listing, ListingEntry, ListingPage, PageRequest, Post, Slug, visible_until,
};

/// A boxed error from a backend, kept whole so its cause chain survives to the log.
pub type BoxError = Box<dyn StdError + Send + Sync>;

/// Why the store could not answer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store is down, throttling or too slow: worth retrying shortly (503).
    #[error("the store is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug, or an item this code cannot read (500).
    #[error("the store failed: {0}")]
    Failed(&'static str, #[source] BoxError),
}

/// What publishing a post did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishOutcome {
    /// A new post, stored at this version.
    Created {
        /// The stored version.
        version: u64,
    },
    /// The same content was already stored: nothing was written.
    Unchanged {
        /// The stored version.
        version: u64,
    },
    /// Another post already has this slug: nothing was written.
    SlugTaken {
        /// The stored post's version.
        version: u64,
    },
}

/// What one read of a listing found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListingRows {
    /// The entries, in the query's order.
    pub entries: Vec<ListingEntry>,
    /// The store stopped before the query's limit with more to read: DynamoDB ends a `Query`
    /// response at 1 MB whatever the limit.
    pub cut_short: bool,
}

/// One read of a listing: a contiguous run of entries in one direction from a start key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingQuery {
    /// Which listing.
    pub listing: Listing,
    /// Descending sort keys (newest first) or ascending.
    pub newest_first: bool,
    /// Start strictly after this sort key, in the query's direction.
    pub exclusive_start: Option<String>,
    /// Nothing above this sort key: posts scheduled for later stay hidden.
    pub visible_until: String,
    /// At most this many entries.
    pub limit: usize,
}

/// What replacing or deleting a stored post did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    /// Written; the post is now at this version (0 after a delete).
    Written {
        /// The new version.
        version: u64,
    },
    /// The stored post already had this content: nothing was written.
    Unchanged {
        /// The stored version.
        version: u64,
    },
    /// There is no such post.
    NotFound,
    /// Someone else changed the post first: nothing was written.
    Stale {
        /// The version stored now.
        current: u64,
    },
    /// A rename onto a slug another post has: nothing was written.
    SlugTaken {
        /// That post's version.
        version: u64,
    },
}

/// The rows a write adds and removes beside the post item, worked out once for both backends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Listing rows to write (or overwrite) with the new post's entry.
    pub put_listings: Vec<(Listing, String)>,
    /// Listing rows to remove.
    pub delete_listings: Vec<(Listing, String)>,
    /// Redirect paths to point at the new post.
    pub put_redirects: Vec<String>,
    /// Redirect paths to remove.
    pub delete_redirects: Vec<String>,
    /// How many listed posts each category gains or loses (never zero).
    pub category_counts: Vec<(Category, i64)>,
}

impl Changes {
    /// What turns the rows of `old` into the rows of `new` (either may be absent). Rows both
    /// need are rewritten (their entry may have changed), never deleted and written in one go:
    /// DynamoDB refuses two operations on one item in a transaction.
    pub fn between(old: Option<&Post>, new: Option<&Post>) -> Self {
        let old_rows = old.map(Post::listing_rows).unwrap_or_default();
        let new_rows = new.map(Post::listing_rows).unwrap_or_default();
        let old_paths = old.map(Post::redirect_paths).unwrap_or_default();
        let new_paths = new.map(Post::redirect_paths).unwrap_or_default();
        Self {
            delete_listings: old_rows
                .iter()
                .filter(|row| !new_rows.contains(row))
                .cloned()
                .collect(),
            put_listings: new_rows,
            delete_redirects: old_paths
                .iter()
                .filter(|p| !new_paths.contains(p))
                .cloned()
                .collect(),
            put_redirects: new_paths,
            category_counts: category_counts(old, new),
        }
    }
}

/// +1 for each category `new` is listed in, −1 for each `old` was; drafts are listed nowhere.
fn category_counts(old: Option<&Post>, new: Option<&Post>) -> Vec<(Category, i64)> {
    let listed = |post: Option<&Post>| {
        post.filter(|p| !p.draft)
            .map(|p| p.categories.clone())
            .unwrap_or_default()
    };
    let mut counts: Vec<(Category, i64)> = Vec::new();
    for (categories, delta) in [(listed(old), -1), (listed(new), 1)] {
        for category in categories {
            match counts.iter_mut().find(|(c, _)| c.slug == category.slug) {
                // The new name wins: a rename of the category's spelling shows at once.
                Some((existing, count)) => {
                    *count += delta;
                    *existing = category;
                }
                None => counts.push((category, delta)),
            }
        }
    }
    counts.retain(|(_, delta)| *delta != 0);
    counts
}

/// A category and how many listed posts it has (scheduled ones included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryCount {
    /// The category.
    pub category: Category,
    /// Its posts.
    pub posts: u64,
}

/// The most categories a post may have: each is a listing row and a counter written in the same
/// transaction, and a DynamoDB transaction holds at most 100 items.
pub const MAX_CATEGORIES: usize = 10;
/// The most authors a post may have: each has a listing row, like a category.
pub const MAX_AUTHORS: usize = 8;
/// The most old paths a post may redirect from, for the same reason. An update's transaction
/// touches at most 2 post items, the old and new rows of 1 + 10 + 8 listings (38), the old and
/// new redirects (20) and 20 category counters: 80 items, within DynamoDB's 100.
pub const MAX_REDIRECTS: usize = 10;
/// DynamoDB's limit on one item (400 KB, names and values counted), which every backend keeps
/// so that a post accepted locally is accepted in AWS. Counted as 400,000 bytes, not 409,600:
/// AWS's documentation says "400 KB", and DynamoDB-compatible servers differ on the kilobyte.
pub const MAX_ITEM_BYTES: usize = 400_000;

/// The blog's storage. A read request makes exactly one call.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The post with this slug, drafts and scheduled posts included (one `GetItem`).
    async fn post(&self, slug: &Slug) -> Result<Option<Post>, StoreError>;

    /// Entries of one listing, in the query's order (one `Query`).
    async fn listing(&self, query: &ListingQuery) -> Result<ListingRows, StoreError>;

    /// Every category with its number of listed posts, by slug (one `Query`).
    async fn categories(&self) -> Result<Vec<CategoryCount>, StoreError>;

    /// Where an old path now lives: the slug of the post it redirects to (one `GetItem`).
    async fn redirect(&self, path: &str) -> Result<Option<Slug>, StoreError>;

    /// Stores a new post with its listing rows and redirects, all or nothing, unless its slug
    /// is taken. Identical content already stored is left alone.
    async fn publish(&self, post: &Post) -> Result<PublishOutcome, StoreError>;

    /// Replaces the post stored at `slug`, if it is still at `expected` version, with `post`
    /// (which may carry a new slug: a rename, leaving a redirect behind). All or nothing.
    async fn replace(
        &self,
        slug: &Slug,
        post: &Post,
        expected: u64,
    ) -> Result<WriteOutcome, StoreError>;

    /// Deletes the post at `slug` with its listing rows and redirects, if it is still at
    /// `expected` version. All or nothing.
    async fn delete(&self, slug: &Slug, expected: u64) -> Result<WriteOutcome, StoreError>;
}

/// What publishing `post` means when its slug is already stored as `existing`: the same
/// content is a harmless retry, other content a conflict. Nothing is written either way.
pub fn publish_onto(existing: &Post, post: &Post) -> PublishOutcome {
    if existing.content_hash == post.content_hash {
        PublishOutcome::Unchanged {
            version: existing.version,
        }
    } else {
        PublishOutcome::SlugTaken {
            version: existing.version,
        }
    }
}

/// Checks a replacement against what is stored, the same way for every backend: returns the
/// outcome that needs no write, or the post to write (at the next version, with the slugs it
/// moved from).
pub fn prepare_replace(
    stored: Option<&Post>,
    slug: &Slug,
    post: &Post,
    expected: u64,
) -> Result<Post, WriteOutcome> {
    let stored = stored.ok_or(WriteOutcome::NotFound)?;
    // Identical content first: a repeated PUT (its response lost) is harmless, whatever the
    // version it still carries.
    if stored.content_hash == post.content_hash && &post.slug == slug {
        return Err(WriteOutcome::Unchanged {
            version: stored.version,
        });
    }
    if stored.version != expected {
        return Err(WriteOutcome::Stale {
            current: stored.version,
        });
    }
    let mut next = post.clone();
    next.version = expected + 1;
    // Oldest first; a slug renamed back to is no longer a redirect.
    let mut moved_from: Vec<Slug> = stored
        .moved_from
        .iter()
        .filter(|old| *old != slug)
        .cloned()
        .collect();
    if &post.slug != slug {
        moved_from.push(slug.clone());
    }
    moved_from.retain(|old| old != &next.slug);
    // Every redirect is a row in the write's transaction: past the limit, the oldest go.
    let room = MAX_REDIRECTS.saturating_sub(next.aliases.len());
    let excess = moved_from.len().saturating_sub(room);
    next.moved_from = moved_from.split_off(excess);
    Ok(next)
}

/// Reads one page of a listing with one store call: asks for one entry more than a page, so
/// the page knows whether there is a next one without a second request.
pub async fn listing_page(
    store: &dyn Store,
    listing: &Listing,
    request: &PageRequest,
    page_size: usize,
    now: OffsetDateTime,
) -> Result<ListingPage, StoreError> {
    let (newest_first, exclusive_start) = match request {
        PageRequest::First => (true, None),
        PageRequest::After(cursor) => (true, Some(cursor.sort_key().to_owned())),
        PageRequest::Before(cursor) => (false, Some(cursor.sort_key().to_owned())),
    };
    let query = ListingQuery {
        listing: listing.clone(),
        newest_first,
        exclusive_start,
        visible_until: visible_until(now),
        limit: page_size + 1,
    };
    let rows = store.listing(&query).await?;
    let mut entries = rows.entries;
    let more = entries.len() > page_size || rows.cut_short;
    entries.truncate(page_size);
    if !newest_first {
        entries.reverse();
    }
    let first = entries.first().map(|e| Cursor::at(e.sort_key()));
    let last = entries.last().map(|e| Cursor::at(e.sort_key()));
    let (older, newer) = match request {
        PageRequest::First => (last.filter(|_| more), None),
        // Came from a newer page, so there is one; older ones exist if the query found more.
        PageRequest::After(_) => (last.filter(|_| more), first),
        // Came from an older page, so there is one; newer ones exist if the query found more.
        PageRequest::Before(_) => (last, first.filter(|_| more)),
    };
    Ok(ListingPage {
        entries,
        older,
        newer,
    })
}

/// Which backend to use, as the environment says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// A DynamoDB table (its endpoint may be overridden by `AWS_ENDPOINT_URL_DYNAMODB`).
    Dynamo {
        /// The table name.
        table: String,
    },
    /// An embedded SQLite file.
    Sqlite {
        /// Its path.
        path: std::path::PathBuf,
    },
}

impl StoreConfig {
    /// `BLOG_TABLE` names a DynamoDB table; `BLOG_DB` names an embedded database file.
    /// Exactly one must be set.
    pub fn from_env() -> Result<Self, ConfigError> {
        let table = env::var("BLOG_TABLE").ok().filter(|v| !v.trim().is_empty());
        let db = env::var("BLOG_DB").ok().filter(|v| !v.trim().is_empty());
        match (table, db) {
            (Some(table), None) => Ok(Self::Dynamo { table }),
            (None, Some(path)) => Ok(Self::Sqlite { path: path.into() }),
            (Some(_), Some(_)) => Err(ConfigError::Invalid {
                name: "BLOG_TABLE",
                problem: "set BLOG_TABLE (DynamoDB) or BLOG_DB (embedded), not both".to_owned(),
            }),
            (None, None) => Err(ConfigError::Missing(
                "BLOG_TABLE",
                "set BLOG_TABLE to a DynamoDB table name, or BLOG_DB to an embedded database file",
            )),
        }
    }

    /// Opens the store. For DynamoDB this loads the AWS configuration from the standard chain.
    pub async fn open(&self) -> Result<Arc<dyn Store>, StoreError> {
        match self {
            Self::Dynamo { table } => {
                // A page must answer well inside API Gateway's 30 s: give up on DynamoDB after
                // a few seconds and show the 503 page rather than hang.
                let timeouts = aws_config::timeout::TimeoutConfig::builder()
                    .connect_timeout(std::time::Duration::from_secs(1))
                    .operation_attempt_timeout(std::time::Duration::from_secs(2))
                    .operation_timeout(std::time::Duration::from_secs(5))
                    .build();
                let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
                    .timeout_config(timeouts)
                    .load()
                    .await;
                Ok(Arc::new(DynamoStore::new(
                    aws_sdk_dynamodb::Client::new(&sdk),
                    table.clone(),
                )))
            }
            Self::Sqlite { path } => Ok(Arc::new(SqliteStore::open(path).await?)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::parse_post;

    fn post(slug: &str) -> Post {
        let mut post = parse_post(
            &format!("---\ntitle: T\nslug: {slug}\ndate: 2020-01-01\n---\nBody {slug}\n"),
            None,
        )
        .unwrap();
        post.version = 1;
        post
    }

    #[test]
    fn renames_leave_redirects_oldest_first_within_the_limit() {
        let mut stored = post("s0");
        for n in 1..=(MAX_REDIRECTS + 3) {
            let next = post(&format!("s{n}"));
            let slug = stored.slug.clone();
            stored = prepare_replace(Some(&stored), &slug, &next, stored.version).unwrap();
        }
        assert_eq!(stored.moved_from.len(), MAX_REDIRECTS);
        assert_eq!(
            stored.moved_from.last().unwrap().as_str(),
            format!("s{}", MAX_REDIRECTS + 2)
        );
        assert_eq!(
            stored.moved_from.first().unwrap().as_str(),
            "s3",
            "the oldest went first"
        );
    }

    #[test]
    fn renaming_back_drops_the_redirect_from_the_slug_itself() {
        let a = post("a");
        let b = prepare_replace(Some(&a), &a.slug, &post("b"), 1).unwrap();
        let back = prepare_replace(Some(&b), &b.slug, &post("a"), 2).unwrap();
        assert_eq!(back.moved_from, [Slug::parse("b").unwrap()]);
    }

    #[test]
    fn the_rows_of_an_update_are_computed_as_a_difference() {
        let mut old = post("x");
        old.categories = vec![
            crate::model::Category::from_name("Keep").unwrap(),
            crate::model::Category::from_name("Drop").unwrap(),
        ];
        let mut new = old.clone();
        new.categories = vec![
            crate::model::Category::from_name("Keep").unwrap(),
            crate::model::Category::from_name("Add").unwrap(),
        ];
        let changes = Changes::between(Some(&old), Some(&new));
        let keys = |rows: &[(Listing, String)]| {
            rows.iter()
                .map(|(l, _)| l.key().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&changes.delete_listings), ["drop"]);
        assert_eq!(keys(&changes.put_listings), ["_all", "keep", "add"]);
    }
}
