//! The embedded store's readers: a pool of read-only connections on which a read runs where it
//! is asked (WAL: a reader never waits for the writer), and the probe that tells a cache of
//! what was read when the database changed.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;

use super::connection::{plan_once, sql_error};
use crate::store::StoreError;

/// How long a reader waits for a lock (only WAL recovery takes one) before answering 503.
const READER_BUSY_TIMEOUT: Duration = Duration::from_secs(1);

/// Read-only connections to one database, one per core (two to eight).
#[derive(Clone)]
pub(super) struct Readers(Arc<[Mutex<Connection>]>);

impl Readers {
    /// Opens the readers of the database at `path`, which exists: off the async threads.
    pub(super) fn open(path: &Path) -> rusqlite::Result<Self> {
        let count = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
        let readers = (0..count)
            .map(|_| {
                let reader = Connection::open(path)?;
                plan_once(&reader)?;
                reader.busy_timeout(READER_BUSY_TIMEOUT)?;
                reader.pragma_update(None, "query_only", true)?;
                // Pages read from the mapped file, not copied in by a system call each.
                reader.pragma_update(None, "mmap_size", 256 * 1024 * 1024)?;
                Ok(Mutex::new(reader))
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Self(readers.into()))
    }

    /// Runs `work` here, on a free reader connection (or, if none is free, on one as soon as
    /// it is).
    pub(super) fn read<T>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let free = self.0.iter().find_map(|reader| reader.try_lock().ok());
        let guard = match free {
            Some(guard) => guard,
            None => {
                static NEXT: AtomicUsize = AtomicUsize::new(0);
                let at = NEXT.fetch_add(1, Ordering::Relaxed) % self.0.len();
                self.0[at].lock().unwrap_or_else(|p| p.into_inner())
            }
        };
        work(&guard)
    }
}

/// Tells whether the database changed: SQLite's `data_version`, read on a connection of the
/// probe's own, changes whenever another connection commits, in this process or in another
/// (`cargo lambda watch`'s functions, a second `blog serve`). Reading it takes a microsecond.
pub struct ChangeProbe(Mutex<Connection>);

impl ChangeProbe {
    /// A probe on the database at `path`.
    pub(super) async fn open(path: PathBuf) -> Result<Self, StoreError> {
        let connection = tokio::task::spawn_blocking(move || Connection::open(&path))
            .await
            .map_err(|e| StoreError::Failed("opening the database", Box::new(e)))?
            .map_err(sql_error("opening the database"))?;
        Ok(Self(Mutex::new(connection)))
    }

    /// A number that differs from the last one read if and only if someone wrote since.
    pub fn version(&self) -> Result<i64, StoreError> {
        let connection = self.0.lock().unwrap_or_else(|p| p.into_inner());
        connection
            .prepare_cached("PRAGMA data_version")
            .and_then(|mut statement| statement.query_row([], |row| row.get(0)))
            .map_err(sql_error("reading the database's version"))
    }
}
