//! The `list-posts` Lambda function: the blog's listing pages: `/` and `/category/{category}`.
//!
//! Only wiring lives here; the route itself is `blog_shared::web::list_posts`, which `blog serve`
//! mounts too.

use blog_shared::{AppState, SiteConfig, StoreConfig, web};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    // Honours AWS_LAMBDA_LOG_LEVEL and AWS_LAMBDA_LOG_FORMAT=JSON.
    lambda_http::tracing::init_default_subscriber();
    let site = SiteConfig::from_env()?;
    let store = StoreConfig::from_env()?.open().await?;
    lambda_http::run(web::list_posts(AppState::new(store, site))).await
}
