//! The blog's common library: everything the Lambda functions and `blog serve` share.
//!
//! Data flows one way: a Markdown source is parsed ([`source`]), rendered ([`markdown`]) and
//! stored once ([`store`]); a read request only looks one thing up and fills a template
//! ([`views`], [`feed`]) through the routes in [`web`].

pub mod config;
pub mod dates;
pub mod feed;
pub mod frontmatter;
pub mod ingest;
pub mod markdown;
pub mod model;
pub mod seed;
pub mod sitemap;
pub mod source;
pub mod store;
pub mod views;
pub mod web;

pub use config::{ConfigError, FeedContent, SiteConfig};
pub use model::{Category, Cursor, Listing, ListingEntry, ListingPage, Post, Slug};
pub use source::{PostError, parse_post};
pub use store::{PublishOutcome, Store, StoreConfig, StoreError};
pub use web::AppState;
