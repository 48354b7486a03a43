//! The `ingest` Lambda function: authors create, update and delete posts (`POST /posts`,
//! `PUT /posts/{slug}`, `DELETE /posts/{slug}`) and get upload slots for their files
//! (`POST /media`).
//!
//! Only wiring lives here; the routes are `blog_shared::http::ingest`, which `blog serve` mounts
//! too. Writers are authenticated by API Gateway's IAM authoriser, and this function refuses any
//! request without an IAM identity; `BLOG_INGEST_TOKEN` switches to a bearer token, for local
//! use only.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    blog_shared::http::run_ingest_function().await
}
