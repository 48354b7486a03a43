//! The embedded store's tables: the same items as the DynamoDB table, a table each (posts,
//! listing rows, category counts, redirects, checked files), and the columns added since the
//! first release, added to an older database as it is opened.

use rusqlite::Connection;

/// The tables, as a new database gets them.
pub(super) const SCHEMA: &str = "
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
CREATE TABLE IF NOT EXISTS categories (
    slug TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    posts INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS redirects (
    path TEXT PRIMARY KEY,
    slug TEXT NOT NULL,
    draft INTEGER NOT NULL DEFAULT 0,
    published TEXT
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checked_files (
    key TEXT PRIMARY KEY,
    mark TEXT NOT NULL
) STRICT, WITHOUT ROWID;
";

/// Columns added since the first release, for databases made before them: (table, column,
/// definition). A redirect of an older database has no `published` and answers as before.
const ADDED_COLUMNS: [(&str, &str, &str); 5] = [
    ("redirects", "draft", "INTEGER NOT NULL DEFAULT 0"),
    ("redirects", "published", "TEXT"),
    // A post's body and source beside its item rather than in it: the two long strings are
    // read as they are, not parsed out of JSON (a third of a post page's time), and a feed
    // reads bodies alone. A post written before has neither; its item holds them.
    ("posts", "body_html", "TEXT"),
    ("posts", "source", "TEXT"),
    // A listing row's excerpt beside its entry, for the same reason: HTML is mostly quotes and
    // tags, which JSON escapes, and unescaping ten excerpts was most of reading a page's rows.
    // A row written before has none; its entry holds it.
    ("listings", "excerpt_html", "TEXT"),
];

/// Brings an older database's tables up to [`SCHEMA`], in one transaction that holds the write
/// lock, so that two processes opening an old database at once do not both add a column.
pub(super) fn migrate(connection: &Connection) -> rusqlite::Result<()> {
    connection.execute_batch("BEGIN IMMEDIATE")?;
    let migrated = add_columns(connection);
    connection.execute_batch(if migrated.is_ok() {
        "COMMIT"
    } else {
        "ROLLBACK"
    })?;
    migrated
}

fn add_columns(connection: &Connection) -> rusqlite::Result<()> {
    for (table, column, definition) in ADDED_COLUMNS {
        let exists: bool = connection.query_row(
            "SELECT EXISTS (SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2)",
            [table, column],
            |row| row.get(0),
        )?;
        if !exists {
            connection.execute_batch(&format!(
                "ALTER TABLE {table} ADD COLUMN {column} {definition}"
            ))?;
        }
    }
    Ok(())
}
