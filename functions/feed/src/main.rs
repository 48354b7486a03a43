//! The `feed` Lambda function: the blog's RSS feeds: `/feed.xml` and `/category/{category}/feed.xml`.
//!
//! Only wiring lives here; the route itself is `blog_shared::web::feed`, which `blog serve`
//! mounts too.

use blog_shared::{AppState, SiteConfig, StoreConfig, web};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    // Honours AWS_LAMBDA_LOG_LEVEL and AWS_LAMBDA_LOG_FORMAT=JSON.
    lambda_http::tracing::init_default_subscriber();
    let site = SiteConfig::from_env()?;
    let store = StoreConfig::from_env()?.open().await?;
    lambda_http::run(web::feed(AppState::new(store, site))).await
}
