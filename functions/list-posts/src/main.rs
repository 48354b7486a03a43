//! The `list-posts` Lambda function: the blog's listing pages: `/`, `/category/{category}`,
//! `/author/{author}` and `/categories`.
//!
//! Only wiring lives here; the route itself is `blog_shared::http::list_posts`, which `blog serve`
//! mounts too.

// One thread: a function serves one event at a time, and a cold start then spawns no worker
// threads (benches/cold_start.py: about 0.7 ms less init).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    blog_shared::http::run_function(blog_shared::http::list_posts).await
}
