//! The local site's search index, kept current as it would be in AWS: built again once the
//! database has been quiet for a moment after a write (an import of a hundred posts is one
//! build, not a hundred), and when a scheduled post appears. The files go into the database's
//! own file store, where `/search/…` serves them; the build before the previous one is removed
//! (a reader who opened the search page before the last build still finds its files).

use std::sync::Arc;
use std::time::Duration;

use blog_search::{Built, Write};
use blog_shared::store::blobs::Blobs;
use blog_shared::store::{ChangeProbe, Store};
use time::OffsetDateTime;

/// How often the database's version is read.
const POLL: Duration = Duration::from_millis(200);
/// How long the database must stay unchanged before a build starts.
const QUIET: Duration = Duration::from_millis(400);

/// Keeps the index current until the process ends.
pub fn keep_current(store: Arc<dyn Store>, blobs: Arc<dyn Blobs>, probe: ChangeProbe) {
    tokio::spawn(async move {
        let mut indexed: Option<i64> = None;
        let mut next_rebuild: Option<OffsetDateTime> = None;
        let mut previous: Option<String> = None;
        let mut first = true;
        loop {
            let version = match probe.version() {
                Ok(version) => version,
                Err(error) => {
                    eprintln!("Search index: cannot read the database's version: {error}");
                    tokio::time::sleep(QUIET).await;
                    continue;
                }
            };
            let due = next_rebuild.is_some_and(|at| at <= OffsetDateTime::now_utc());
            if indexed == Some(version) && !due {
                tokio::time::sleep(POLL).await;
                continue;
            }
            if indexed.is_some() && !due {
                // Wait for the writes to stop.
                tokio::time::sleep(QUIET).await;
                if probe.version().ok() != Some(version) {
                    continue;
                }
            }
            // What the build read is as of `version`; its own writes change the version again,
            // and the build that follows finds the same index and writes nothing.
            indexed = Some(version);
            let started = std::time::Instant::now();
            let now = OffsetDateTime::now_utc();
            match blog_search::rebuild(store.as_ref(), blobs.as_ref(), now, Write::IfChanged).await
            {
                Ok(built) => {
                    next_rebuild = built.next_rebuild;
                    report(&built, started.elapsed(), first && !built.written);
                    first = false;
                    let older = built.replaced.and_then(|r| previous.replace(r));
                    if let Some(older) = older
                        && let Err(error) = blog_search::remove(blobs.as_ref(), &older).await
                    {
                        eprintln!("Search index: removing build {older} failed: {error}");
                    }
                }
                Err(error) => {
                    eprintln!("Search index: the build failed, readers keep the last one: {error}");
                    next_rebuild = Some(OffsetDateTime::now_utc() + time::Duration::seconds(30));
                }
            }
        }
    });
}

/// Prints each build that was written; and, at start, that the stored index is current (so
/// that whoever waits for search to be ready, a person or a bench, knows it is).
fn report(built: &Built, took: Duration, current_at_start: bool) {
    if current_at_start {
        println!(
            "Search index: {} posts, current (build {}), checked in {:.1} s.",
            built.posts,
            built.build,
            took.as_secs_f64()
        );
    } else if built.written {
        println!(
            "Search index: {} posts, {} files, {} KB, built in {:.1} s (build {}).",
            built.posts,
            built.files,
            built.bytes.div_ceil(1024),
            took.as_secs_f64(),
            built.build
        );
    }
}
