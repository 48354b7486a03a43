//! What a file's name and the old site's addresses tell about a post: Jekyll's
//! `YYYY-MM-DD-slug.md` names and permalink patterns, and the old paths (`aliases`) that keep
//! answering with a redirect.

use time::macros::format_description;
use time::{Date, OffsetDateTime};

use super::frontmatter::{FrontMatter, OneOrMany};
use super::{Origin, PostError};
use crate::model::{MAX_PATH_LEN, Slug};

/// The file name without folders and extension.
pub fn file_stem(name: &str) -> &str {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.rsplit_once('.').map_or(base, |(stem, _)| stem)
}

/// `2018-09-19-my-post` → (2018-09-19, `my-post`); a plain `my-post` gives only the slug.
pub fn split_jekyll_name(stem: &str) -> (Option<Date>, Option<&str>) {
    let format = format_description!("[year]-[month]-[day]");
    // Byte 10 being an ASCII '-' makes 10 and 11 character boundaries.
    if stem.len() > 11
        && stem.as_bytes()[10] == b'-'
        && let Ok(date) = Date::parse(&stem[..10], format)
    {
        return (Some(date), Some(&stem[11..]));
    }
    (None, Some(stem))
}

/// The old paths that redirect to this post: `aliases`, and for a Jekyll import its permalink.
pub fn old_paths(
    meta: &FrontMatter,
    origin: &Origin<'_>,
    published: OffsetDateTime,
    slug: &Slug,
) -> Result<Vec<String>, PostError> {
    let mut paths = Vec::new();
    for alias in meta.aliases.iter().flatten() {
        paths.push(check_path("aliases", alias)?);
    }
    if origin.jekyll {
        let permalink = match &meta.permalink {
            Some(pattern) => expand_permalink(pattern, published, slug, meta),
            None => format!(
                "/{:04}/{:02}/{:02}/{slug}.html",
                published.year(),
                u8::from(published.month()),
                published.day()
            ),
        };
        paths.push(check_path("permalink", &permalink)?);
    }
    paths.sort();
    paths.dedup();
    Ok(paths)
}

/// Jekyll's permalink placeholders, as its docs define them for posts.
fn expand_permalink(
    pattern: &str,
    published: OffsetDateTime,
    slug: &Slug,
    meta: &FrontMatter,
) -> String {
    let categories = meta
        .categories
        .clone()
        .map(OneOrMany::into_vec)
        .or_else(|| meta.category.clone().map(|c| vec![c]))
        .unwrap_or_default()
        .iter()
        .map(slug::slugify)
        .collect::<Vec<_>>()
        .join("/");
    let expanded = pattern
        .replace(":categories", &categories)
        .replace(":year", &format!("{:04}", published.year()))
        .replace(":i_month", &u8::from(published.month()).to_string())
        .replace(":month", &format!("{:02}", u8::from(published.month())))
        .replace(":i_day", &published.day().to_string())
        .replace(":day", &format!("{:02}", published.day()))
        .replace(":title", slug.as_str())
        .replace(":slug", slug.as_str())
        .replace(":output_ext", ".html");
    // An empty `:categories` leaves a doubled slash, which Jekyll collapses too.
    let mut path = String::with_capacity(expanded.len());
    for c in expanded.chars() {
        if !(c == '/' && path.ends_with('/')) {
            path.push(c);
        }
    }
    if path.starts_with('/') {
        path
    } else {
        format!("/{path}")
    }
}

/// An old path must be a plain absolute path: it becomes a store key and a `Location`.
fn check_path(field: &'static str, path: &str) -> Result<String, PostError> {
    let bad = || PostError::BadPath {
        field,
        value: path.to_owned(),
    };
    let path = path.trim();
    if !path.starts_with('/')
        || path == "/"
        || path.starts_with("//")
        || path.len() > MAX_PATH_LEN
        || path
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '\\'))
    {
        return Err(bad());
    }
    Ok(path.to_owned())
}
