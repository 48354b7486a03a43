//! The blog's common library: everything the Lambda functions and `blog serve` share.
//!
//! Two flows run through it, and arrows between its modules point one way, down this list:
//!
//! **An upload** (`POST /posts` with a Markdown file): [`http`] routes it to
//! `http/ingest/mod.rs`, where `ingest/auth.rs` lets the author in and `ingest/upload.rs`
//! checks the media type, size, encoding and DynamoDB's limits; [`content`] turns the file into
//! a [`Post`] (`content/frontmatter.rs` reads the front matter, `content/fields.rs` its names,
//! `content/names.rs` the identity and old paths with `permalinks.rs` for imports (both read the
//! file name with `file_names.rs`), `content/markdown.rs` renders the body with `highlight.rs`
//! and `media.rs` (sharing the parser's settings in `cmark.rs`), through `sanitize.rs`;
//! `content/error.rs` says why not); [`store`] writes it with its listing rows, counters,
//! redirects and index row in one transaction (`store/rules.rs` decides which rows change and
//! who owns an old address, `store/dynamo/` or `store/sqlite/` write them,
//! `store/dynamo/writes.rs` building the transaction); `ingest/problem.rs` words any refusal.
//!
//! **A read** (`GET /category/microservices`): [`http`] routes it to `http/pages.rs` (or
//! `http/feeds.rs`, `http/sitemaps.rs`), which reads one page of rows from [`store`]
//! (`store/rules.rs` pages the listing; `store/archive.rs` reads a year of it for a sitemap)
//! and fills a template in [`render`] (`render/pages.rs`, `render/feeds.rs`,
//! `render/sitemap.rs`); `http/respond.rs` adds the validators and caching headers, answers
//! 304, and turns an error into its status and page.
//!
//! Beneath both: [`model`] (the vocabulary and every limit), [`paths`] (every URL the site
//! makes), [`dates`], [`config`] and [`report`]. [`seed`] fills an empty store from a folder.

pub mod aws;
pub mod cdn;
pub mod config;
pub mod content;
pub mod dates;
pub mod http;
pub mod model;
pub mod paths;
pub mod render;
pub mod report;
pub mod seed;
pub mod store;

pub use config::{ConfigError, Favicon, FeedContent, SiteConfig};
pub use content::{PostError, parse_post};
pub use http::AppState;
pub use model::{Category, Cursor, Listing, ListingEntry, ListingPage, Post, Slug};
pub use store::{PublishOutcome, Store, StoreConfig, StoreError, WriteError, WriteOutcome};
