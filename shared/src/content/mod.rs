//! The write path's content: a Markdown file becomes a [`Post`], once, when it is published;
//! reads never render.
//!
//! - [`frontmatter`]: cut the file at `---`/`+++` and read the YAML or TOML into one shape.
//! - [`names`]: what the file's name and origin tell: date, slug, identity, old paths;
//!   [`permalinks`]: the addresses an imported post had on its Jekyll, Hugo or Zola site; both
//!   read the name itself with [`file_names`].
//! - [`markdown`]: the body to HTML (pulldown-cmark), with [`highlight`]ed code, an outline and
//!   the excerpt, references to stored files made their URLs ([`media`]); everything through
//!   [`sanitize`], because raw HTML in Markdown is an XSS vector. The parser's settings and
//!   the event helpers the three share are in `cmark.rs`.
//! - `post.rs`: the steps that make the post: read and check the fields within the limits of
//!   [`crate::model`] ([`read_post`]), then render ([`ReadPost::render`]).

mod cmark;
mod error;
mod fields;
pub mod file_names;
pub mod frontmatter;
pub mod highlight;
pub mod markdown;
pub mod media;
pub mod names;
mod origin;
pub mod permalinks;
mod post;
pub mod sanitize;

pub use error::PostError;
pub use fields::text_only;
pub use origin::Origin;
pub use post::{ReadPost, content_hash, parse_date, parse_post, parse_post_from, read_post};
