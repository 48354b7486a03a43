//! Why a source file is not a post: each error names the field or the rule.

use super::frontmatter::FrontMatterError;
use crate::model::SlugError;

/// Why a source file is not a post. Each names the field or the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    /// The front matter is missing or malformed.
    #[error(transparent)]
    FrontMatter(#[from] FrontMatterError),
    /// No `title`.
    #[error("front matter field `title` is required")]
    MissingTitle,
    /// No `date`, and the file name does not start with one.
    #[error(
        "front matter field `date` is required (or name the file like `2018-09-19-my-post.md`)"
    )]
    MissingDate,
    /// `date` or `updated` is not a date.
    #[error(
        "front matter field `{field}`: `{value}` is not a date; write `2018-09-19` or `2018-09-19T10:00:00+02:00`"
    )]
    BadDate {
        /// `date` or `updated`.
        field: &'static str,
        /// What was written.
        value: String,
    },
    /// A slug, category or tag that cannot be made into a URL name.
    #[error("front matter field `{field}`: {source}")]
    BadName {
        /// The field holding it.
        field: &'static str,
        /// Why.
        source: SlugError,
    },
    /// A text field that is empty.
    #[error("front matter field `{0}` cannot be empty")]
    Empty(&'static str),
    /// A list or a text longer than the blog stores.
    #[error("front matter field `{field}`: at most {limit} {unit}, this has {actual}")]
    TooMany {
        /// The field.
        field: &'static str,
        /// The most allowed.
        limit: usize,
        /// What was given.
        actual: usize,
        /// "entries" or "characters".
        unit: &'static str,
    },
    /// Elements nested deeper than the blog renders.
    #[error(
        "the {field} nests {depth} levels deep (block quotes, lists or HTML elements); at most {limit}"
    )]
    TooDeep {
        /// `body` or `summary`.
        field: &'static str,
        /// How deep it nests.
        depth: usize,
        /// The most allowed.
        limit: usize,
    },
    /// A name or title holding a control character, or an invisible or direction-changing one
    /// that would make it look like another.
    #[error(
        "front matter field `{field}`: `{value}` holds {what} (U+{code:04X}); write it without"
    )]
    Unprintable {
        /// The field.
        field: &'static str,
        /// What was written, with the character shown escaped.
        value: String,
        /// "a control character", "an invisible character", "a text direction override".
        what: &'static str,
        /// The character's code point.
        code: u32,
    },
    /// An alias or permalink that is not a plain path on this site.
    #[error(
        "front matter field `{field}`: `{value}` is not a path like `/2018/09/19/old-name.html`"
    )]
    BadPath {
        /// `aliases` or `permalink`.
        field: &'static str,
        /// What was written.
        value: String,
    },
    /// A file the post uses is refused.
    #[error(transparent)]
    Media(#[from] crate::model::media::MediaError),
}
