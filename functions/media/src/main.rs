//! The `media` Lambda function: stored files, `/media/<sha256>/<name>`, read from the bucket
//! (`BLOG_MEDIA_BUCKET`) for readers who reach the API without the CDN. Behind CloudFront the
//! CDN reads the bucket itself and this function is never called for media.
//!
//! Only wiring lives here; the route is `blog_shared::http::media`, which `blog serve` mounts
//! too.

// One thread: a function serves one event at a time, and a cold start then spawns no worker
// threads (benches/cold_start.py: about 0.7 ms less init).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    blog_shared::http::run_media_function().await
}
