//! Storage behind one trait, with two real backends: DynamoDB in AWS and an embedded SQLite
//! file locally. Both hold the same single-table layout: a post item, and one listing entry per
//! listing the post is in, written together. What a write changes, and how a listing is paged,
//! is decided once for both, in [`rules`]; how the sitemaps read the whole archive, year by
//! year, in [`archive`].

pub mod archive;
pub mod blobs;
mod dynamo;
pub mod rules;
#[cfg(feature = "embedded")]
mod sqlite;

use std::collections::HashMap;
use std::env;
use std::error::Error as StdError;
use std::sync::Arc;

use async_trait::async_trait;

pub use dynamo::{
    DynamoStore, create_table, item_size, listing_item_size, post_item_size, write_size,
};
pub use rules::listing_page;
#[cfg(feature = "embedded")]
pub use sqlite::{ChangeProbe, SqliteStore};

use time::OffsetDateTime;

use crate::config::ConfigError;
use crate::model::{Category, Identity, Listing, ListingEntry, Post, Slug};

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
}

/// The post that holds a slug, as an author needs to know it to resolve a conflict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// Its version.
    pub version: u64,
    /// What it was published from.
    pub identity: Identity,
    /// Its title.
    pub title: String,
    /// When it appears.
    pub published: OffsetDateTime,
    /// Who wrote it.
    pub authors: Vec<String>,
}

impl Holder {
    /// What an author is told of `post`.
    pub fn of(post: &Post) -> Box<Self> {
        Box::new(Self {
            version: post.version,
            identity: post.identity(),
            title: post.title.clone(),
            published: post.published,
            authors: post.authors.clone(),
        })
    }
}

/// Where an old address leads, and from when it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The post it belongs to and leads to.
    pub to: Slug,
    /// From when it answers: when its post appears; None while the post is a draft. A redirect
    /// must not reveal a post that is not public.
    pub public_from: Option<OffsetDateTime>,
}

impl Redirect {
    /// A redirect as stored: its post's slug, whether that is a draft, and when it appears
    /// (sortable UTC). One stored before redirects knew (no `published`) answers as it did.
    pub fn as_stored(to: Slug, draft: bool, published: Option<&str>) -> Self {
        let public_from = match (draft, published) {
            (true, _) => None,
            (false, None) => Some(OffsetDateTime::UNIX_EPOCH),
            (false, Some(when)) => crate::dates::parse_sortable(when),
        };
        Self { to, public_from }
    }

    /// Whether it answers at `now`.
    pub fn is_public_at(&self, now: OffsetDateTime) -> bool {
        self.public_from.is_some_and(|from| from <= now)
    }
}

/// A post's body as a full-text feed and the search index read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    /// The post's slug.
    pub slug: Slug,
    /// The body: sanitised HTML.
    pub html: String,
    /// The post's tags (a listing row does not carry them).
    pub tags: Vec<String>,
}

/// One page of every stored post, drafts and scheduled ones included, in the store's order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PostsPage {
    /// The posts.
    pub posts: Vec<Post>,
    /// Where the next page starts, if there is one (opaque to callers).
    pub next: Option<String>,
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

/// What replacing a stored post did.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteOutcome {
    /// Written; the post is now at this version.
    Written {
        /// The new version.
        version: u64,
        /// The post as it was before: what a reader could see until now (a CDN is told which
        /// of its pages changed from this and the new post).
        previous: Box<Post>,
        /// The post as it is stored now (with the slugs it moved from).
        current: Box<Post>,
    },
    /// The stored post already had this content: nothing was written.
    Unchanged {
        /// The stored version.
        version: u64,
    },
}

/// Why a write was refused or failed. Nothing was written in any case.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// There is no such post.
    #[error("there is no such post")]
    NotFound,
    /// Someone else changed the post first.
    #[error("the post changed since that version (it is at version {current} now)")]
    Stale {
        /// The version stored now.
        current: u64,
    },
    /// The slug belongs to another post.
    #[error("the slug belongs to another post (at version {})", .0.version)]
    SlugTaken(Box<Holder>),
    /// The upload comes from another source than the post it would replace.
    #[error("the post was published from {}, not from this file", .0.identity.describe())]
    OtherSource(Box<Holder>),
    /// An old address the post declares is another post's redirect.
    #[error("the old address `{path}` redirects to post `{owner}`")]
    RedirectTaken {
        /// The old address.
        path: String,
        /// The post it belongs to.
        owner: Slug,
    },
    /// An alias names another post's address: its page, or its former slug's, in some spelling.
    #[error("the old address `{path}` is the address of post `{owner}`")]
    AddressTaken {
        /// The alias.
        path: String,
        /// The post whose address it is.
        owner: Slug,
    },
    /// The post's own aliases and the old site's addresses it keeps are more than it may have.
    #[error("the post would have {count} old addresses, over the limit of {MAX_REDIRECTS}", MAX_REDIRECTS = crate::model::MAX_REDIRECTS)]
    TooManyRedirects {
        /// How many.
        count: usize,
    },
    /// The store could not answer.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A category and how many listed posts it has (scheduled ones included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryCount {
    /// The category.
    pub category: Category,
    /// Its posts.
    pub posts: u64,
}

/// The blog's storage. A reader's request makes one call, or two at once (a listing's first page
/// and a feed also ask when their next scheduled post appears; a full-text feed then reads its
/// entries' bodies).
///
/// Readers' calls are eventually consistent (half the read cost on DynamoDB): right after a
/// write a reader may see the previous content for a moment, typically under a second. Writes
/// read what they check strongly consistently.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The post with this slug, drafts and scheduled posts included (one `GetItem`).
    async fn post(&self, slug: &Slug) -> Result<Option<Post>, StoreError>;

    /// The post with this slug as its page shows it: every field but `source`, which is left
    /// empty. A post's Markdown is about a quarter of what it stores and no page shows it, so
    /// the read the post page makes on every request leaves it behind (one `GetItem` projected
    /// past it: fewer bytes to transfer and decode, the same read units). What it answers is
    /// for showing only: written back or exported, it would lose the post's Markdown.
    async fn post_without_source(&self, slug: &Slug) -> Result<Option<Post>, StoreError>;

    /// Entries of one listing, in the query's order (one `Query`).
    async fn listing(&self, query: &ListingQuery) -> Result<ListingRows, StoreError>;

    /// When the next post of `listing` hidden at `visible_until` (a listing's sort-key bound,
    /// [`crate::model::visible_until`]) appears: the earliest scheduled post (one `Query` of
    /// one key).
    async fn next_appearing(
        &self,
        listing: &Listing,
        visible_until: &str,
    ) -> Result<Option<OffsetDateTime>, StoreError>;

    /// The bodies (sanitised HTML) and tags of these posts, for a full-text feed and the search
    /// index; a slug with no post is left out (one `BatchGetItem` per 100 posts).
    async fn bodies(&self, slugs: &[Slug]) -> Result<Vec<Body>, StoreError>;

    /// Every category with its number of listed posts, by slug (one `Query`).
    async fn categories(&self) -> Result<Vec<CategoryCount>, StoreError>;

    /// Where an old path now leads (one `GetItem`).
    async fn redirect(&self, path: &str) -> Result<Option<Redirect>, StoreError>;

    /// A page of every stored post, for an export: the one read that walks the whole store,
    /// made only by an authenticated operator, never by a reader's request.
    async fn posts(&self, from: Option<&str>) -> Result<PostsPage, StoreError>;

    /// Stores a new post with its listing rows and redirects, all or nothing, unless its slug
    /// is taken. Identical content already stored is left alone.
    async fn publish(&self, post: &Post) -> Result<PublishOutcome, WriteError>;

    /// Replaces the post stored at `slug`, if it is still at `expected` version, with `post`
    /// (which may carry a new slug: a rename, leaving a redirect behind). All or nothing.
    async fn replace(
        &self,
        slug: &Slug,
        post: &Post,
        expected: u64,
    ) -> Result<WriteOutcome, WriteError>;

    /// Deletes the post at `slug` with its listing rows and redirects, if it is still at
    /// `expected` version. All or nothing. Answers the post that was deleted.
    async fn delete(&self, slug: &Slug, expected: u64) -> Result<Post, WriteError>;

    /// What the server found when it checked each of the stored files at `keys`
    /// ([`blobs::mark`]), by key; a file never checked is left out (one strongly consistent
    /// `BatchGetItem` of at most 100 keys). A post may use only files recorded here.
    async fn checked_files(&self, keys: &[String]) -> Result<HashMap<String, String>, StoreError>;

    /// Records that the file at `key` is stored, checked, and found to be `mark` (one
    /// `PutItem`). Only the server writes this, after reading the file's bytes.
    async fn record_checked(&self, key: &str, mark: &str) -> Result<(), StoreError>;
}

/// Sorts an AWS SDK failure into "try again shortly" (a timeout, a dropped connection, or a
/// service error whose code is one of `transient`) and "broken", keeping the cause.
pub(crate) fn sdk_error<E, R>(
    what: &'static str,
    transient: &'static [&'static str],
) -> impl Fn(aws_sdk_dynamodb::error::SdkError<E, R>) -> StoreError
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    use aws_sdk_dynamodb::error::SdkError;
    move |error| {
        let retry = match &error {
            SdkError::TimeoutError(_)
            | SdkError::DispatchFailure(_)
            | SdkError::ResponseError(_) => true,
            SdkError::ServiceError(service) => service
                .err()
                .code()
                .is_some_and(|code| transient.contains(&code)),
            _ => false,
        };
        let boxed: BoxError = Box::new(error);
        if retry {
            StoreError::Unavailable(boxed)
        } else {
            StoreError::Failed(what, boxed)
        }
    }
}

/// How long a DynamoDB call may take: a page must answer well inside API Gateway's 30 s, so
/// the store gives up after a few seconds (retries included) and the reader gets the 503 page
/// rather than a hang.
pub fn dynamo_timeouts() -> aws_smithy_types::timeout::TimeoutConfig {
    aws_smithy_types::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_secs(1))
        .operation_attempt_timeout(std::time::Duration::from_secs(2))
        .operation_timeout(std::time::Duration::from_secs(5))
        .build()
}

/// Why `BLOG_DB` cannot be used: this build has no embedded store.
pub(crate) const NO_EMBEDDED_STORE: &str = "this build has no embedded store (the deployed \
    functions are built without the `embedded` feature): set BLOG_TABLE to a DynamoDB table";

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
            (None, Some(path)) if cfg!(feature = "embedded") => {
                Ok(Self::Sqlite { path: path.into() })
            }
            (None, Some(_)) => Err(ConfigError::Invalid {
                name: "BLOG_DB",
                problem: NO_EMBEDDED_STORE.to_owned(),
            }),
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

    /// Opens the store. For DynamoDB this loads the AWS configuration ([`crate::aws::load`]).
    pub async fn open(&self) -> Result<Arc<dyn Store>, StoreError> {
        match self {
            Self::Dynamo { table } => {
                let sdk = crate::aws::load(dynamo_timeouts())
                    .await
                    .map_err(|e| StoreError::Failed("reading the AWS configuration", e.into()))?;
                Ok(Arc::new(DynamoStore::new(
                    aws_sdk_dynamodb::Client::new(&sdk),
                    table.clone(),
                )))
            }
            #[cfg(feature = "embedded")]
            Self::Sqlite { path } => Ok(Arc::new(SqliteStore::open(path).await?)),
            #[cfg(not(feature = "embedded"))]
            Self::Sqlite { .. } => Err(StoreError::Failed(
                "opening the embedded store",
                NO_EMBEDDED_STORE.into(),
            )),
        }
    }
}
