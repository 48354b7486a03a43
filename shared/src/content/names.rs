//! What a file's name and origin tell about a post: the date and slug of a Jekyll-style name
//! (`2018-09-19-my-post.md`, read by [`super::file_names`]), the post's identity across
//! uploads, and the old paths that keep answering with a redirect (its `aliases`, and on import
//! the addresses of [`super::permalinks`]).

use time::OffsetDateTime;

use super::PostError;
use super::frontmatter::FrontMatter;
use super::origin::Origin;
use super::permalinks::{Generator, OldFile, OldSite, old_urls};
use crate::model::{MAX_PATH_LEN, Slug};
use crate::paths;

/// The old paths that redirect to this post, each in its one stored form: its `aliases` and its
/// `permalink` (or, for a file uploaded as Jekyll's, the address Jekyll's defaults gave it);
/// none when the importer gave its addresses (`origin.old_paths`, see [`imported_paths`]),
/// which hold its aliases already.
pub fn old_paths(
    meta: &FrontMatter,
    origin: &Origin<'_>,
    title: &str,
    published: OffsetDateTime,
    slug: &Slug,
) -> Result<Vec<String>, PostError> {
    let mut paths = Vec::new();
    if origin.old_paths.is_some() {
        return Ok(paths);
    }
    for alias in meta.aliases.iter().flatten() {
        paths.push(check_path("aliases", alias)?);
    }
    if origin.import == Some(Generator::Jekyll) {
        let name = origin
            .file_name
            .map_or_else(|| format!("{slug}.md"), str::to_owned);
        let file = OldFile {
            path: &format!("_posts/{name}"),
            meta,
            title,
            date: published,
        };
        for old in old_urls(&OldSite::new(Generator::Jekyll), &file) {
            paths.push(check_path("permalink", &old)?);
        }
    } else if let Some(permalink) = &meta.permalink
        && origin.import.is_none()
    {
        paths.push(check_path("permalink", permalink)?);
    }
    paths.sort();
    paths.dedup();
    Ok(paths)
}

/// The addresses the importer gave (its aliases among them), checked, in their stored form.
pub fn imported_paths(origin: &Origin<'_>) -> Result<Option<Vec<String>>, PostError> {
    origin
        .old_paths
        .map(|given| {
            let mut paths = given
                .iter()
                .map(|old| check_path("old paths", old))
                .collect::<Result<Vec<_>, _>>()?;
            paths.sort();
            paths.dedup();
            Ok(paths)
        })
        .transpose()
}

/// An old path must be a plain absolute path: it becomes a store key and a `Location`; in its
/// stored form, or refused naming `field`.
pub fn check_path(field: &'static str, path: &str) -> Result<String, PostError> {
    let bad = || PostError::BadPath {
        field,
        value: path.to_owned(),
    };
    let path = path.trim();
    if !path.starts_with('/')
        || path == "/"
        || path.starts_with("//")
        || path
            .chars()
            .any(|c| c.is_control() || matches!(c, '?' | '#' | '\\'))
    {
        return Err(bad());
    }
    let stored = paths::old_address(path);
    if stored.len() > MAX_PATH_LEN {
        return Err(bad());
    }
    Ok(stored)
}
