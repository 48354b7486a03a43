//! Where a source file came from, when that tells what its front matter does not: what the
//! steps of [`super::read_post`] and the reading of its name and old addresses take besides
//! the text.

use super::permalinks::Generator;
use crate::model::{MediaRef, Slug};

/// Where a source file came from, when that tells what its front matter does not.
#[derive(Debug, Clone, Copy, Default)]
pub struct Origin<'a> {
    /// Its file name (`2018-09-19-my-post.md` gives a date and a slug).
    pub file_name: Option<&'a str>,
    /// Its path within the folder it was published from (`_posts/2015-05-15-Release-2.0.md`):
    /// with an `id:` in its front matter, what makes it the same post on every upload.
    pub source_path: Option<&'a str>,
    /// The category of a post that names none.
    pub default_category: Option<&'a str>,
    /// The generator of the site it is imported from: its categories and authors are read as
    /// that site read them, a slug not in canonical form is made canonical (its old form
    /// redirects), and a Jekyll file with no `old_paths` gets Jekyll's default permalink.
    pub import: Option<Generator>,
    /// The slug the importer gave it, over any other (a collision resolved: `survey-2019`).
    pub assigned_slug: Option<&'a Slug>,
    /// Every address it had on its old site, as the importer worked them out: when given,
    /// these are its old paths, its `aliases` among them (the importer decides which of two
    /// files declaring one alias keeps it).
    pub old_paths: Option<&'a [String]>,
    /// Where the post already lives (an update): its slug unless the front matter renames it.
    pub slug: Option<&'a Slug>,
    /// The files it references, as the publisher stored them: references to them become their
    /// URLs.
    pub media: &'a [MediaRef],
}
