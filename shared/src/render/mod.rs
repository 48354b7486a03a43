//! Values to bytes, with no I/O: the pages (askama templates), the feeds in their three formats,
//! and the sitemap. Every read request ends here, with what one store call returned.

pub mod feeds;
pub mod pages;
pub mod search;
pub mod sitemap;
