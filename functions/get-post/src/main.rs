//! The `get-post` Lambda function: the blog's post pages, `/posts/{slug}`, and every other GET
//! (API Gateway's `$default` route), where old addresses redirect.
//!
//! Only wiring lives here; the route itself is `blog_shared::http::get_post`, which `blog serve`
//! mounts too.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    blog_shared::http::run_function(blog_shared::http::get_post).await
}
