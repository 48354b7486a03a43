//! The `media` Lambda function: stored files, `/media/<sha256>/<name>`, read from the bucket
//! (`BLOG_MEDIA_BUCKET`) for readers who reach the API without the CDN. Behind CloudFront the
//! CDN reads the bucket itself and this function is never called for media.
//!
//! Only wiring lives here; the route is `blog_shared::http::media`, which `blog serve` mounts
//! too.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    blog_shared::http::run_media_function().await
}
