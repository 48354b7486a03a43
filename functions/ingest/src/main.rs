//! The `ingest` Lambda function: authors create, update and delete posts (`POST /posts`,
//! `PUT /posts/{slug}`, `DELETE /posts/{slug}`). A post's files are the media function's
//! (`POST /media`); this function only reads, from the table, which were checked, and links no
//! S3 client.
//!
//! Only wiring lives here; the routes are `blog_shared::http::ingest`, which `blog serve` mounts
//! too. Writers are authenticated by API Gateway's IAM authoriser, and this function refuses any
//! request without an IAM identity; `BLOG_INGEST_TOKEN` switches to a bearer token, for local
//! use only.

// One thread: a function serves one event at a time, and a cold start then spawns no worker
// threads (benches/cold_start.py: about 0.7 ms less init).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    blog_shared::http::run_ingest_function().await
}
