//! The `get-post` Lambda function: the blog's post pages: `/posts/{slug}`.
//!
//! Only wiring lives here; the route itself is `blog_shared::web::get_post`, which `blog serve`
//! mounts too.

use blog_shared::{AppState, SiteConfig, StoreConfig, web};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    // Honours AWS_LAMBDA_LOG_LEVEL and AWS_LAMBDA_LOG_FORMAT=JSON.
    lambda_http::tracing::init_default_subscriber();
    let site = SiteConfig::from_env()?;
    let store = StoreConfig::from_env()?.open().await?;
    lambda_http::run(web::get_post(AppState::new(store, site))).await
}
