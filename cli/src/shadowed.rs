//! `blog shadowed`: the stored old addresses (aliases, imported permalinks, former slugs' pages)
//! at paths the blog's own routes serve, such as `/search` or `/favicon.ico`. A request there
//! reaches the route, never the redirect: each is listed so that an operator can move or drop it.

use anyhow::Result;
use blog_shared::paths;

use crate::api::Uploader;
use crate::export::stored_posts;

/// Prints each shadowed address with its post and the route that serves it; how many there are.
pub async fn shadowed(uploader: &Uploader) -> Result<usize> {
    let mut found = 0;
    for post in stored_posts(uploader).await? {
        for path in &post.old_paths {
            if let Some(route) = paths::route_at(path) {
                found += 1;
                println!(
                    "{path} (an old address of post `{}`) is served by the route `{route}`",
                    post.slug
                );
            }
        }
    }
    Ok(found)
}
