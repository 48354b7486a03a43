//! Connections to the embedded database as every part of it opens them, the posts' store and
//! the files' table alike ([`crate::store::blobs`]): WAL, so that readers never block the
//! writer, and a wait for a busy lock rather than a failure; and SQLite's errors as the store's.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use crate::store::StoreError;

/// How long a writing connection waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens the database at `path` (creating the file if needed) for reads and writes, in WAL mode
/// and waiting for busy locks: `cargo lambda watch` runs each function as its own process over
/// one file.
pub(in crate::store) fn open_shared(path: &Path) -> rusqlite::Result<Connection> {
    let connection = Connection::open(path)?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    Ok(connection)
}

/// Makes a cached statement's plan independent of the values bound to it (SQLite's query
/// planner stability guarantee). Otherwise a range over a bound parameter (`sort_key <= ?2`) or
/// a bound `LIMIT` makes SQLite prepare the statement again whenever the value changes, which is
/// every read: about a tenth of a listing page's instructions. Every query here reads one primary
/// key, so no plan would differ.
pub(super) fn plan_once(connection: &Connection) -> rusqlite::Result<()> {
    connection
        .set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )
        .map(drop)
}

/// SQLite's error as the store's: a database busy or locked by another process is unavailable
/// for now (503, worth retrying); anything else failed at `what`.
pub(in crate::store) fn sql_error(what: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
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
