//! The front matter's fields as the blog reads them: authors, categories and tags in the forms
//! real blogs write them, and the checks every name and text passes (limits, characters that
//! cannot be shown or would deceive).

use super::PostError;
use super::frontmatter::{FrontMatter, OneOrMany};
use crate::model::Category;

/// What a name may not hold: a control character, or one that is invisible or turns the text's
/// direction, which would let a name look like another.
pub(super) fn printable(field: &'static str, text: &str) -> Result<(), PostError> {
    for c in text.chars() {
        let what = match c {
            c if c.is_control() => "a control character",
            '\u{FFFE}' | '\u{FFFF}' => "a non-character",
            '\u{200E}'
            | '\u{200F}'
            | '\u{061C}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}' => "a text direction control",
            '\u{00AD}'
            | '\u{034F}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200D}'
            | '\u{2060}'..='\u{2064}'
            | '\u{FEFF}' => "an invisible character",
            _ => continue,
        };
        return Err(PostError::Unprintable {
            field,
            value: text.escape_default().to_string(),
            what,
            code: u32::from(c),
        });
    }
    Ok(())
}

/// Text with every character that XML 1.0 cannot carry (controls other than tab and line
/// breaks, U+FFFE, U+FFFF) replaced by U+FFFD, so that pages and feeds stay well-formed.
pub fn text_only(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

pub(super) fn limit(
    field: &'static str,
    actual: usize,
    limit: usize,
    unit: &'static str,
) -> Result<(), PostError> {
    if actual > limit {
        Err(PostError::TooMany {
            field,
            limit,
            actual,
            unit,
        })
    } else {
        Ok(())
    }
}

/// The authors, in order, each entry one person (`blog import` reads an old site's author
/// strings into such a list before it sends a post).
pub(super) fn authors(meta: &FrontMatter) -> Vec<String> {
    let mut authors: Vec<String> = Vec::new();
    let written = meta
        .authors
        .clone()
        .or_else(|| meta.author.clone())
        .map(OneOrMany::into_vec)
        .unwrap_or_default();
    for name in written {
        let name = name.trim().to_owned();
        if !name.is_empty() && !authors.contains(&name) {
            authors.push(name);
        }
    }
    authors
}

pub(super) fn categories(meta: &FrontMatter, jekyll: bool) -> Result<Vec<Category>, PostError> {
    let names = meta
        .categories
        .clone()
        .map(|categories| match categories {
            // Jekyll reads `categories: release notes` as two categories.
            OneOrMany::One(words) if jekyll => {
                words.split_whitespace().map(str::to_owned).collect()
            }
            other => other.into_vec(),
        })
        .or_else(|| meta.category.clone().map(|c| vec![c]))
        .or_else(|| {
            meta.taxonomies
                .as_ref()
                .and_then(|t| t.categories.clone())
                .map(OneOrMany::into_vec)
        })
        .unwrap_or_default();
    let mut categories: Vec<Category> = Vec::with_capacity(names.len());
    for name in names.iter().filter(|n| !n.trim().is_empty()) {
        let category = Category::from_name(name).map_err(|source| PostError::BadName {
            field: "categories",
            source,
        })?;
        // Two spellings of one category ("Micro services", "micro-services") are one listing.
        if !categories.iter().any(|c| c.slug == category.slug) {
            categories.push(category);
        }
    }
    Ok(categories)
}

pub(super) fn tags(meta: &FrontMatter) -> Vec<String> {
    let tags = meta
        .tags
        .clone()
        .or_else(|| meta.taxonomies.as_ref().and_then(|t| t.tags.clone()))
        .map(OneOrMany::into_vec)
        .unwrap_or_default();
    let mut unique: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags
        .into_iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
    {
        if !unique.contains(&tag) {
            unique.push(tag);
        }
    }
    unique
}
