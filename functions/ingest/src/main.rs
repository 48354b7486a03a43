//! The `ingest` Lambda function: authors create, update and delete posts (`POST /posts`,
//! `PUT /posts/{slug}`, `DELETE /posts/{slug}`).
//!
//! Only wiring lives here; the routes are `blog_shared::http::ingest`, which `blog serve` mounts
//! too. Writers are authenticated by API Gateway's IAM authoriser, and this function refuses any
//! request without an IAM identity; `BLOG_INGEST_TOKEN` switches to a bearer token, for local
//! use only.

use blog_shared::http::{self, IngestAuth};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    http::run_function(|state| {
        let auth = IngestAuth::from_env();
        lambda_http::tracing::info!(?auth, "ingest ready");
        http::ingest(state, auth)
    })
    .await
}
