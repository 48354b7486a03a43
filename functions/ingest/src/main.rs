//! The `ingest` Lambda function: authors create, update and delete posts (`POST /posts`,
//! `PUT /posts/{slug}`, `DELETE /posts/{slug}`).
//!
//! Only wiring lives here; the routes are `blog_shared::ingest`, which `blog serve` mounts too.
//! Writers are authenticated by API Gateway's IAM authoriser, and this function refuses any
//! request without an IAM identity; `BLOG_INGEST_TOKEN` switches to a bearer token, for local
//! use only.

use blog_shared::ingest::{self, IngestAuth};
use blog_shared::{AppState, SiteConfig, StoreConfig};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    // Honours AWS_LAMBDA_LOG_LEVEL and AWS_LAMBDA_LOG_FORMAT=JSON.
    lambda_http::tracing::init_default_subscriber();
    let site = SiteConfig::from_env()?;
    let store = StoreConfig::from_env()?.open().await?;
    let auth = IngestAuth::from_env();
    lambda_http::tracing::info!(?auth, "ingest ready");
    lambda_http::run(ingest::ingest(AppState::new(store, site), auth)).await
}
