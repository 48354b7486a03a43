//! The `search-index` Lambda function: rebuilds the blog's full-text search index and writes it
//! to the media bucket (`BLOG_MEDIA_BUCKET`, under `search/`), from the posts in the table
//! (`BLOG_TABLE`). The table's DynamoDB Stream invokes it when posts change, EventBridge
//! Scheduler when a scheduled post appears and once a day; every invocation means "rebuild".
//!
//! Only wiring lives here: the build is `blog_search::rebuild`, which `blog serve` runs too;
//! what an invocation asks for is `invocation.rs`, the schedule of the next rebuild
//! `next_rebuild.rs`.

mod invocation;
mod next_rebuild;

use lambda_runtime::{LambdaEvent, service_fn};

use invocation::{Indexer, Invocation};
use next_rebuild::NextRebuild;

// One thread for the function's own work: an invocation is one build at a time. Pagefind
// parses and indexes on its own blocking threads.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let store = blog_shared::StoreConfig::from_env()?.open().await?;
    let blobs = blog_shared::store::blobs::from_env()
        .await?
        .ok_or("set BLOG_MEDIA_BUCKET to the bucket the search index is written to")?;
    let next_rebuild = NextRebuild::from_env().await?;
    tracing::info!(
        schedule = next_rebuild.as_ref().map(NextRebuild::name),
        "search-index ready"
    );
    let indexer = Indexer::new(store, blobs, next_rebuild);
    let indexer = &indexer;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Invocation>| {
        indexer.rebuild(event)
    }))
    .await
}
