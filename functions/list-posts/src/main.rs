//! The `list-posts` Lambda function: the blog's listing pages: `/`, `/category/{category}`,
//! `/author/{author}` and `/categories`.
//!
//! Only wiring lives here; the route itself is `blog_shared::http::list_posts`, which `blog serve`
//! mounts too.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    blog_shared::http::run_function(blog_shared::http::list_posts).await
}
