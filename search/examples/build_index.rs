//! One build of the search index from an embedded database, alone in its process, for
//! benches/search.py: it prints how long the build took, as one JSON line, and the bench reads
//! the process's peak memory from the kernel when it ends (`wait4`'s rusage), so the figure is
//! the build's and not that of a server which also seeded or served the posts.
//!
//!     cargo run --release -p blog-search --example build_index -- DB
//!
//! The index is written into the database's file store, as `blog serve` writes it, every time
//! (a build equal to the current one included), so each run does the whole work.

use std::path::PathBuf;
use std::time::Instant;

use blog_search::Write;
use blog_shared::store::SqliteStore;
use blog_shared::store::blobs::SqliteBlobs;
use time::OffsetDateTime;

#[tokio::main]
async fn main() {
    let Some(db) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: build_index DB (an embedded database written by `blog serve`)");
        std::process::exit(2);
    };
    if !db.is_file() {
        eprintln!("{}: no such database file", db.display());
        std::process::exit(2);
    }
    let store = match SqliteStore::open(&db).await {
        Ok(store) => store,
        Err(error) => fail(&db, &error),
    };
    // The secret signs upload slots, which a build never hands out.
    let blobs = match SqliteBlobs::open(&db, b"build_index").await {
        Ok(blobs) => blobs,
        Err(error) => fail(&db, &error),
    };
    let started = Instant::now();
    let built =
        blog_search::rebuild(&store, &blobs, OffsetDateTime::now_utc(), Write::Always).await;
    let seconds = started.elapsed().as_secs_f64();
    match built {
        Ok(built) => println!(
            "{}",
            serde_json::json!({
                "seconds": seconds,
                "posts": built.posts,
                "files": built.files,
                "bytes": built.bytes,
                "build": built.build,
            })
        ),
        Err(error) => fail(&db, &error),
    }
}

fn fail(db: &std::path::Path, error: &dyn std::error::Error) -> ! {
    eprintln!(
        "building the search index of {} failed: {error}",
        db.display()
    );
    std::process::exit(1);
}
