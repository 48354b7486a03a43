//! The `media` Lambda function: stored files, `/media/<sha256>/<name>`, read from the bucket
//! (`BLOG_MEDIA_BUCKET`) for readers who reach the API without the CDN (behind CloudFront the
//! CDN reads the bucket itself); and authors' `POST /media`: upload slots, and the check of each
//! uploaded file's bytes against its name, recorded in the table (`BLOG_TABLE`) for the ingest
//! function. Writers are authenticated as the ingest function's are.
//!
//! Only wiring lives here; the routes are `blog_shared::http`'s, which `blog serve` mounts too.

// One thread: a function serves one event at a time, and a cold start then spawns no worker
// threads (benches/cold_start.py: about 0.7 ms less init).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    blog_shared::http::run_media_function().await
}
