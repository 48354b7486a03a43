//! The `feed` Lambda function: the blog's feeds (RSS, Atom and JSON Feed, site-wide and per
//! category and author, and `/feed` by `Accept`), the sitemap index `/sitemap.xml` with its
//! sitemaps `/sitemaps/{sitemap}`, and `/robots.txt`.
//!
//! Only wiring lives here; the route itself is `blog_shared::http::feed`, which `blog serve`
//! mounts too.

// One thread: a function serves one event at a time, and a cold start then spawns no worker
// threads (benches/cold_start.py: about 0.7 ms less init).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    blog_shared::http::run_function(blog_shared::http::feed).await
}
