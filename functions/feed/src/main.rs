//! The `feed` Lambda function: the blog's feeds (RSS, Atom and JSON Feed, site-wide and per
//! category and author, and `/feed` by `Accept`), `/sitemap.xml` and `/robots.txt`.
//!
//! Only wiring lives here; the route itself is `blog_shared::http::feed`, which `blog serve`
//! mounts too.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    blog_shared::http::run_function(blog_shared::http::feed).await
}
