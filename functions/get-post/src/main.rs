//! The `get-post` Lambda function: the blog's post pages, `/posts/{slug}`, and every other GET
//! (API Gateway's `$default` route), where old addresses redirect.
//!
//! Only wiring lives here; the route itself is `blog_shared::http::get_post`, which `blog serve`
//! mounts too.

// One thread: a function serves one event at a time, and a cold start then spawns no worker
// threads (benches/cold_start.py: about 0.7 ms less init).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    blog_shared::http::run_function(blog_shared::http::get_post).await
}
