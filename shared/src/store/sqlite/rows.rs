//! The rows a post is stored as, read and written: its row in `posts` (its item as JSON, its
//! body and source in columns of their own), a listing row (its entry as JSON, its excerpt
//! beside it), and what a write changes with it in one transaction (listing rows, redirects,
//! category counts), once the old addresses it claims are checked against their owners.

use rusqlite::{Connection, OptionalExtension, params};

use super::connection::sql_error;
use crate::model::{ListingEntry, Post, Slug};
use crate::store::rules::{Changes, Claims};
use crate::store::{StoreError, WriteError};

/// A listing row's entry: its JSON, read where SQLite holds it, and the excerpt beside it when
/// stored there (a row written before the excerpt had a column holds it in its entry).
pub(super) fn listing_entry(row: &rusqlite::Row<'_>) -> Result<ListingEntry, StoreError> {
    // Borrowed from SQLite's row as it is: the entry is only parsed, never kept.
    let json = row.get_ref(0).and_then(|v| v.as_str().map_err(Into::into));
    let json = json.map_err(sql_error("reading a listing"))?;
    let mut entry: ListingEntry =
        serde_json::from_str(json).map_err(json_error("decoding a listing entry"))?;
    if let Some(excerpt_html) = row.get(1).map_err(sql_error("reading a listing"))? {
        entry.excerpt_html = excerpt_html;
    }
    Ok(entry)
}

/// A post's columns: its item (JSON), and its body and source when stored beside it.
pub(super) type PostColumns = (String, Option<String>, Option<String>);

pub(super) fn post_columns(row: &rusqlite::Row<'_>) -> rusqlite::Result<PostColumns> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
}

pub(super) fn post_from_columns(
    (item, body_html, source): PostColumns,
) -> Result<Post, StoreError> {
    let mut post: Post = serde_json::from_str(&item).map_err(json_error("decoding a post"))?;
    if let Some(body_html) = body_html {
        post.body_html = body_html;
    }
    if let Some(source) = source {
        post.source = source;
    }
    Ok(post)
}

/// The post at `slug`, with its source or with an empty one. `source` is the row's last
/// column: a read that does not name it leaves its overflow pages unread.
pub(super) fn read_post(
    db: &Connection,
    slug: &Slug,
    with_source: bool,
) -> Result<Option<Post>, StoreError> {
    let sql = if with_source {
        "SELECT item, body_html, source FROM posts WHERE slug = ?1"
    } else {
        "SELECT item, body_html, NULL FROM posts WHERE slug = ?1"
    };
    let columns = db
        .prepare_cached(sql)
        .and_then(|mut statement| {
            statement
                .query_row([slug.as_str()], post_columns)
                .optional()
        })
        .map_err(sql_error("reading a post"))?;
    let mut post = columns.map(post_from_columns).transpose()?;
    if let (Some(post), false) = (&mut post, with_source) {
        // A row written before the source had a column of its own has it in its item.
        post.source = String::new();
    }
    Ok(post)
}

pub(super) fn write_post(tx: &rusqlite::Transaction<'_>, post: &Post) -> Result<(), StoreError> {
    let item = Post {
        body_html: String::new(),
        source: String::new(),
        ..post.clone()
    };
    let item = serde_json::to_string(&item).map_err(json_error("encoding a post"))?;
    let version = i64::try_from(post.version).unwrap_or(i64::MAX);
    tx.execute(
        "INSERT OR REPLACE INTO posts (slug, version, content_hash, item, body_html, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            post.slug.as_str(),
            version,
            post.content_hash,
            item,
            post.body_html,
            post.source
        ],
    )
    .map_err(sql_error("writing a post"))?;
    Ok(())
}

/// Writes the listing rows and redirects of `changes`, with `post`'s entry.
pub(super) fn apply(
    tx: &rusqlite::Transaction<'_>,
    post: &Post,
    changes: &Changes,
) -> Result<(), StoreError> {
    for (listing, sort_key) in &changes.delete_listings {
        tx.execute(
            "DELETE FROM listings WHERE listing = ?1 AND sort_key = ?2",
            params![listing.key(), sort_key],
        )
        .map_err(sql_error("removing a listing entry"))?;
    }
    let mut entry = post.listing_entry();
    let excerpt_html = std::mem::take(&mut entry.excerpt_html);
    let entry = serde_json::to_string(&entry).map_err(json_error("encoding a listing entry"))?;
    for (listing, sort_key) in &changes.put_listings {
        tx.execute(
            "INSERT OR REPLACE INTO listings (listing, sort_key, slug, entry, excerpt_html) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![listing.key(), sort_key, post.slug.as_str(), entry, excerpt_html],
        )
        .map_err(sql_error("writing a listing entry"))?;
    }
    for path in &changes.delete_redirects {
        tx.execute("DELETE FROM redirects WHERE path = ?1", [path])
            .map_err(sql_error("removing a redirect"))?;
    }
    for (category, delta) in &changes.category_counts {
        tx.execute(
            "INSERT INTO categories (slug, name, posts) VALUES (?1, ?2, ?3)
             ON CONFLICT (slug) DO UPDATE SET name = excluded.name, posts = posts + excluded.posts",
            params![category.slug.as_str(), category.name, delta],
        )
        .map_err(sql_error("counting a category's posts"))?;
    }
    let published = (!post.draft).then(|| crate::dates::sortable(post.published));
    for path in &changes.put_redirects {
        tx.execute(
            "INSERT OR REPLACE INTO redirects (path, slug, draft, published) VALUES (?1, ?2, ?3, ?4)",
            params![path, post.slug.as_str(), post.draft, published],
        )
        .map_err(sql_error("writing a redirect"))?;
    }
    Ok(())
}

/// `changes` with its redirects checked against their owners in the database now.
pub(super) fn claim(
    tx: &rusqlite::Transaction<'_>,
    changes: Changes,
    writer: &[&Slug],
) -> Result<Changes, WriteError> {
    let mut claims = Claims::default();
    let mut owner_of = tx
        .prepare_cached("SELECT slug FROM redirects WHERE path = ?1")
        .map_err(sql_error("reading a redirect"))?;
    for path in changes.claimed_paths(writer) {
        let owner: Option<String> = owner_of
            .query_row([&path], |row| row.get(0))
            .optional()
            .map_err(sql_error("reading a redirect"))?;
        if let Some(owner) = owner.and_then(|o| Slug::parse(&o).ok()) {
            claims.owners.insert(path, owner);
        }
    }
    let mut stored = tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM posts WHERE slug = ?1)")
        .map_err(sql_error("reading a post"))?;
    for named in changes.named_posts(writer) {
        let exists: bool = stored
            .query_row([named.as_str()], |row| row.get(0))
            .map_err(sql_error("reading a post"))?;
        if exists {
            claims.posts.push(named);
        }
    }
    for (path, holder) in changes.contested_former_pages(&claims.owners, writer) {
        let held_as_former_slug = read_post(tx, holder, false)?.is_some_and(|post| {
            post.moved_from
                .iter()
                .any(|m| &crate::paths::post(m) == path)
        });
        if !held_as_former_slug {
            claims.alias_held.push(path.clone());
        }
    }
    changes.claim_redirects(&claims, writer)
}

/// A JSON error as the store's: an item this code cannot read or write.
pub(super) fn json_error(what: &'static str) -> impl Fn(serde_json::Error) -> StoreError {
    move |error| StoreError::Failed(what, Box::new(error))
}
