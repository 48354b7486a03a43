//! The blog's full-text search: an index of every public post, built with Pagefind as a library
//! from what the store holds (never from a crawl), and written as static files to the blob
//! store, where the CDN (or `blog serve`) serves them and the reader's browser searches them.
//!
//! Each build goes under a folder of its own, `search/<build>/`, named by a digest of its files
//! (Pagefind names the files within). The pointer `search/current.json`, which names the
//! current build, is written last: a reader loads either the old build or the new one whole,
//! never half of one. An unchanged index is not written again.
//!
//! Only what readers may see is indexed: a draft never, a scheduled post from its time on
//! ([`Built::next_rebuild`] says when the next one appears).

mod record;

use std::collections::BTreeMap;

use blog_shared::model::{Listing, ListingEntry, Slug, visible_until};
use blog_shared::paths;
use blog_shared::store::blobs::Blobs;
use blog_shared::store::{Body, ListingQuery, Store, StoreError};
use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use pagefind::api::PagefindIndex;
use pagefind::options::PagefindServiceConfig;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// How many listing rows one read asks for (DynamoDB may end a page sooner, at 1 MB).
const LISTING_PAGE: usize = 1000;
/// How many posts' bodies one read asks for (DynamoDB's `BatchGetItem` takes 100).
const BODIES_PAGE: usize = 100;
/// How many files are written at once.
const CONCURRENT_WRITES: usize = 16;
/// Pagefind's files a reader never loads: its ready-made interfaces and playground. The
/// search page draws results itself.
const UNUSED: [&str; 5] = [
    "pagefind-ui.",
    "pagefind-modular-ui.",
    "pagefind-component-ui.",
    "pagefind-highlight.",
    "playground/",
];
/// The list of a build's files, beside them: what a later build removes when the store keeps
/// no lifecycle rule of its own (the embedded one).
const MANIFEST: &str = "files.json";

/// Why a build failed. Nothing was replaced: the pointer still names the previous build.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The store or the blob store could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Pagefind could not index a post or build the index.
    #[error("building the search index failed: {0}")]
    Index(String),
    /// A post's record could not be written for Pagefind.
    #[error("writing the search record of `{slug}` failed: {message}")]
    Record {
        /// The post.
        slug: Slug,
        /// What went wrong.
        message: String,
    },
}

/// What the pointer, `search/current.json`, says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pointer {
    /// The current build's folder under `search/`.
    pub build: String,
    /// When it was built, RFC 3339.
    pub built: String,
    /// How many posts it holds.
    pub posts: usize,
}

/// What one build did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The build readers now load.
    pub build: String,
    /// How many posts it holds.
    pub posts: usize,
    /// How many files it has.
    pub files: usize,
    /// Their bytes in all (as stored: Pagefind compresses its index files itself).
    pub bytes: u64,
    /// Whether anything was written: an index identical to the current one is left alone.
    pub written: bool,
    /// When the next scheduled post appears: the index must be built again then.
    pub next_rebuild: Option<OffsetDateTime>,
    /// The build this one replaced, if it did.
    pub replaced: Option<String>,
}

/// When a build writes its files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// Only when the index differs from the current one.
    IfChanged,
    /// Always, the same files again included: in a bucket whose lifecycle rule expires old
    /// builds by age, a current build written again is young again.
    Always,
}

/// One post as the index holds it.
#[derive(Debug, Clone)]
struct Record {
    entry: ListingEntry,
    body: Body,
}

/// Builds the index of every post public at `now` and, unless it is the current one already
/// (and `write` is [`Write::IfChanged`]), writes it to `blobs` and points readers at it.
pub async fn rebuild(
    store: &dyn Store,
    blobs: &dyn Blobs,
    now: OffsetDateTime,
    write: Write,
) -> Result<Built, SearchError> {
    let records = public_posts(store, now).await?;
    let next_rebuild = store
        .next_appearing(&Listing::All, &visible_until(now))
        .await?;
    let posts = records.len();
    let files = index(records).await?;
    let build = build_name(&files);
    let bytes = files.iter().map(|(_, b)| b.len() as u64).sum();
    let current = current(blobs).await?;
    let mut built = Built {
        build: build.clone(),
        posts,
        files: files.len(),
        bytes,
        written: false,
        next_rebuild,
        replaced: None,
    };
    let unchanged = current.as_ref().is_some_and(|c| c.build == build);
    if unchanged && write == Write::IfChanged {
        return Ok(built);
    }
    let names: Vec<String> = files.iter().map(|(name, _)| name.clone()).collect();
    let manifest = serde_json::to_vec(&names).map_err(|e| SearchError::Index(e.to_string()))?;
    futures_util::stream::iter(
        files
            .into_iter()
            .chain([(MANIFEST.to_owned(), manifest)])
            .map(|(name, bytes)| put(blobs, &build, name, bytes)),
    )
    .buffer_unordered(CONCURRENT_WRITES)
    .try_collect::<()>()
    .await?;
    let pointer = Pointer {
        build: build.clone(),
        built: blog_shared::dates::sortable(now),
        posts,
    };
    let pointer = serde_json::to_vec(&pointer).map_err(|e| SearchError::Index(e.to_string()))?;
    blobs
        .put(
            &paths::search_key(paths::SEARCH_POINTER),
            Bytes::from(pointer),
            "application/json",
        )
        .await?;
    built.written = true;
    built.replaced = current.map(|c| c.build).filter(|c| *c != build);
    Ok(built)
}

/// The build the pointer names now, if there is one.
pub async fn current(blobs: &dyn Blobs) -> Result<Option<Pointer>, StoreError> {
    let Some(blob) = blobs.get(&paths::search_key(paths::SEARCH_POINTER)).await? else {
        return Ok(None);
    };
    // A pointer this code cannot read is replaced by the next build.
    Ok(serde_json::from_slice(&blob.bytes).ok())
}

/// Removes a build's files (for a store with no lifecycle rule of its own; never the current
/// build's). A build with no list of its files is left alone.
pub async fn remove(blobs: &dyn Blobs, build: &str) -> Result<(), StoreError> {
    let manifest = build_key(build, MANIFEST);
    let Some(blob) = blobs.get(&manifest).await? else {
        return Ok(());
    };
    let names: Vec<String> = serde_json::from_slice(&blob.bytes).unwrap_or_default();
    let keys: Vec<String> = names.iter().map(|name| build_key(build, name)).collect();
    futures_util::stream::iter(keys)
        .map(|key: String| async move { blobs.delete(&key).await })
        .buffer_unordered(CONCURRENT_WRITES)
        .try_collect::<()>()
        .await?;
    blobs.delete(&manifest).await
}

/// Every post public at `now`, newest first: its listing row and its body and tags. One run of
/// `Query` pages of the all-posts listing, then a `BatchGetItem` per hundred posts; never a scan.
async fn public_posts(store: &dyn Store, now: OffsetDateTime) -> Result<Vec<Record>, StoreError> {
    let mut entries: Vec<ListingEntry> = Vec::new();
    let visible = visible_until(now);
    loop {
        let rows = store
            .listing(&ListingQuery {
                listing: Listing::All,
                newest_first: true,
                exclusive_start: entries.last().map(ListingEntry::sort_key),
                visible_until: visible.clone(),
                limit: LISTING_PAGE,
            })
            .await?;
        let more = rows.cut_short || rows.entries.len() == LISTING_PAGE;
        entries.extend(rows.entries);
        if !more {
            break;
        }
    }
    let mut records = Vec::with_capacity(entries.len());
    for chunk in entries.chunks(BODIES_PAGE) {
        let slugs: Vec<Slug> = chunk.iter().map(|e| e.slug.clone()).collect();
        let mut bodies: BTreeMap<Slug, Body> = store
            .bodies(&slugs)
            .await?
            .into_iter()
            .map(|b| (b.slug.clone(), b))
            .collect();
        // A post deleted between the two reads is left out.
        records.extend(chunk.iter().filter_map(|entry| {
            bodies.remove(&entry.slug).map(|body| Record {
                entry: entry.clone(),
                body,
            })
        }));
    }
    Ok(records)
}

/// Pagefind's files for `records`: each file's path within the build, and its bytes.
async fn index(records: Vec<Record>) -> Result<Vec<(String, Vec<u8>)>, SearchError> {
    let options = PagefindServiceConfig::builder()
        .force_language("en".to_owned())
        // A heading's `#` link is no word of the post.
        .exclude_selectors(vec![".anchor".to_owned()])
        .build();
    let mut index =
        PagefindIndex::new(Some(options)).map_err(|e| SearchError::Index(e.to_string()))?;
    for record in records {
        let html =
            record::document(&record.entry, &record.body).map_err(|e| SearchError::Record {
                slug: record.entry.slug.clone(),
                message: e.to_string(),
            })?;
        index
            .add_html_file(None, Some(paths::post(&record.entry.slug)), html)
            .await
            .map_err(|e| SearchError::Record {
                slug: record.entry.slug.clone(),
                message: e.to_string(),
            })?;
    }
    let files = index
        .get_files()
        .await
        .map_err(|e| SearchError::Index(e.to_string()))?;
    let mut files: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .map(|f| (f.filename.to_string_lossy().replace('\\', "/"), f.contents))
        .filter(|(name, _)| !UNUSED.iter().any(|unused| name.starts_with(unused)))
        .collect();
    files.sort();
    Ok(files)
}

/// A build's name: a digest of its files, so that the same index is the same build.
fn build_name(files: &[(String, Vec<u8>)]) -> String {
    let mut digest = Sha256::new();
    for (name, bytes) in files {
        digest.update((name.len() as u64).to_be_bytes());
        digest.update(name.as_bytes());
        digest.update((bytes.len() as u64).to_be_bytes());
        digest.update(bytes);
    }
    hex::encode(&digest.finalize()[..8])
}

/// The key of a build's file.
fn build_key(build: &str, name: &str) -> String {
    paths::search_key(&format!("{}/{build}/{name}", paths::SEARCH))
}

async fn put(
    blobs: &dyn Blobs,
    build: &str,
    name: String,
    bytes: Vec<u8>,
) -> Result<(), StoreError> {
    let media_type = mime_guess::from_path(&name)
        .first_raw()
        .unwrap_or("application/octet-stream");
    blobs
        .put(&build_key(build, &name), Bytes::from(bytes), media_type)
        .await
}
