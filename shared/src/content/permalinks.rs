//! The addresses an imported post had on its old site, worked out as that generator worked them
//! out, so that every old link keeps answering (with a 301 to the post's new page):
//!
//! - Jekyll: the site's `permalink` (a style, `date` by default, or a pattern), or the post's own
//!   `permalink:`; categories first (`/:categories/:year/:month/:day/:title:output_ext`), the
//!   folders above `_posts` counting as categories, `:title` as the file name has it.
//! - Hugo and Zola: worked out by the importer (`blog import`), which reads their configuration;
//!   a post uploaded as theirs has no address here.
//!
//! A directory-style address (ending in `/`) is answered with and without its slash, and as
//! `…/index.html`, as a static file server answers it.

use time::OffsetDateTime;

use super::file_names::{file_stem, split_jekyll_name};
use super::frontmatter::{FrontMatter, OneOrMany};

/// The generator an imported site was written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generator {
    /// Jekyll: `_posts/YYYY-MM-DD-title.md`.
    Jekyll,
    /// Hugo: `content/**`.
    Hugo,
    /// Zola: `content/**`.
    Zola,
}

impl Generator {
    /// Its name, as the `Blog-Import-Format` header and `blog import --from` say it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Jekyll => "jekyll",
            Self::Hugo => "hugo",
            Self::Zola => "zola",
        }
    }

    /// The generator a name stands for, in any case.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Jekyll, Self::Hugo, Self::Zola]
            .into_iter()
            .find(|g| g.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// What an old site's configuration says about its addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OldSite {
    /// Which generator.
    pub generator: Generator,
    /// Jekyll's `permalink`: a style (`date`, `pretty`, `ordinal`, `weekdate`, `none`) or a
    /// pattern. `date` when unset.
    pub jekyll_permalink: Option<String>,
}

impl OldSite {
    /// A site of `generator` with its defaults.
    pub fn new(generator: Generator) -> Self {
        Self {
            generator,
            jekyll_permalink: None,
        }
    }
}

/// One imported file, as its old site saw it.
#[derive(Debug, Clone, Copy)]
pub struct OldFile<'a> {
    /// Its path, `/`-separated: from the site's root for Jekyll (`_posts/2015-05-15-Name.md`,
    /// `blog/_posts/…`), from `content/` for Hugo and Zola (`posts/name.md`, `blog/x/index.md`).
    pub path: &'a str,
    /// Its front matter.
    pub meta: &'a FrontMatter,
    /// Its title.
    pub title: &'a str,
    /// Its date, in the offset it was written with.
    pub date: OffsetDateTime,
}

/// Every address `file` had on `site`, as paths: the generated one with its directory-style
/// variants (none for Hugo and Zola: the importer works theirs out). Aliases are not included (they are
/// the post's own, whatever its origin).
pub fn old_urls(site: &OldSite, file: &OldFile<'_>) -> Vec<String> {
    let path = match site.generator {
        Generator::Jekyll => jekyll(site, file),
        Generator::Hugo | Generator::Zola => return Vec::new(),
    };
    with_variants(&collapse_slashes(&path))
}

/// The path with its directory-style variants: `/a/` is also `/a` and `/a/index.html`.
pub fn with_variants(path: &str) -> Vec<String> {
    match path.strip_suffix('/') {
        Some(bare) if !bare.is_empty() => vec![
            path.to_owned(),
            bare.to_owned(),
            format!("{path}index.html"),
        ],
        _ => vec![path.to_owned()],
    }
}

/// Leading `/`, no empty segments (an empty `:categories` leaves `//`, which Jekyll collapses).
pub fn collapse_slashes(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 1);
    out.push('/');
    for c in path.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    out
}

/// The folders of a `/`-separated path, and its file name.
fn split_path(path: &str) -> (Vec<&str>, &str) {
    let mut parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let name = parts.pop().unwrap_or_default();
    (parts, name)
}

fn jekyll(site: &OldSite, file: &OldFile<'_>) -> String {
    let (folders, name) = split_path(file.path);
    let stem = file_stem(name);
    let title_as_written = split_jekyll_name(stem).1.unwrap_or(stem);
    // Folders above `_posts` are categories, before the front matter's.
    let mut categories: Vec<String> = folders
        .iter()
        .take_while(|f| **f != "_posts")
        .map(|f| (*f).to_owned())
        .collect();
    categories.extend(jekyll_categories(file.meta));
    let mut unique: Vec<String> = Vec::new();
    for category in categories.into_iter().map(|c| c.to_lowercase()) {
        if !unique.contains(&category) {
            unique.push(category);
        }
    }
    let pattern = match (&file.meta.permalink, &site.jekyll_permalink) {
        (Some(own), _) => own.clone(),
        (None, Some(style)) => jekyll_style(style),
        (None, None) => jekyll_style("date"),
    };
    let title = file.meta.slug.as_deref().unwrap_or(title_as_written);
    let date = file.date;
    let month = u8::from(date.month());
    let tokens: [(&str, String); 18] = [
        (":categories", unique.join("/")),
        (":short_year", format!("{:02}", date.year() % 100)),
        (":year", format!("{:04}", date.year())),
        (":i_month", month.to_string()),
        (":short_month", short_month(date)),
        (":long_month", date.month().to_string()),
        (":month", format!("{month:02}")),
        (":i_day", date.day().to_string()),
        (":y_day", format!("{:03}", date.ordinal())),
        (":short_day", short_weekday(date)),
        (":long_day", date.weekday().to_string()),
        (":day", format!("{:02}", date.day())),
        (":hour", format!("{:02}", date.hour())),
        (":minute", format!("{:02}", date.minute())),
        (":second", format!("{:02}", date.second())),
        (":week", format!("{:02}", date.iso_week())),
        (":title", title.to_owned()),
        (":output_ext", ".html".to_owned()),
    ];
    let slug = jekyll_slugify(title);
    let expanded = expand(&pattern.replace(":slug", &slug), &tokens);
    crate::paths::old_address(&expanded)
}

/// A Jekyll permalink style's pattern; anything else is a pattern already.
fn jekyll_style(style: &str) -> String {
    match style {
        "date" => "/:categories/:year/:month/:day/:title:output_ext",
        "pretty" => "/:categories/:year/:month/:day/:title/",
        "ordinal" => "/:categories/:year/:y_day/:title:output_ext",
        "weekdate" => "/:categories/:year/W:week/:short_day/:title:output_ext",
        "none" => "/:categories/:title:output_ext",
        pattern => pattern,
    }
    .to_owned()
}

/// The categories of a Jekyll post's front matter: `categories` (a list, or words separated by
/// spaces) or `category`.
pub fn jekyll_categories(meta: &FrontMatter) -> Vec<String> {
    match (&meta.categories, &meta.category) {
        (Some(OneOrMany::One(words)), _) => words.split_whitespace().map(str::to_owned).collect(),
        (Some(OneOrMany::Many(list)), _) => list.clone(),
        (None, Some(one)) => vec![one.clone()],
        (None, None) => Vec::new(),
    }
}

/// Jekyll's default slugify: every run of characters other than letters and digits becomes one
/// hyphen, none at either end, lowercase.
pub fn jekyll_slugify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

/// Replaces each token of a permalink pattern by its value, the first that matches (a token
/// list names longer tokens before the shorter ones they start with: `:yearday`, `:year`).
pub fn expand(pattern: &str, tokens: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(pattern.len() + 32);
    let mut rest = pattern;
    'scan: while !rest.is_empty() {
        if rest.starts_with(':') {
            for (token, value) in tokens {
                if let Some(after) = rest.strip_prefix(token) {
                    out.push_str(value);
                    rest = after;
                    continue 'scan;
                }
            }
        }
        let c = rest.chars().next().unwrap_or_default();
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn short_month(date: OffsetDateTime) -> String {
    date.month().to_string().chars().take(3).collect()
}

fn short_weekday(date: OffsetDateTime) -> String {
    date.weekday().to_string().chars().take(3).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn meta(yaml: &str) -> FrontMatter {
        let source = format!("---\n{yaml}\n---\n");
        super::super::frontmatter::parse(&super::super::frontmatter::split(&source).unwrap())
            .unwrap()
    }

    fn urls(site: &OldSite, path: &str, meta: &FrontMatter, title: &str) -> Vec<String> {
        let file = OldFile {
            path,
            meta,
            title,
            date: datetime!(2015-05-15 10:00 +2),
        };
        old_urls(site, &file)
    }

    #[test]
    fn jekyll_puts_categories_first_and_keeps_the_title_as_written() {
        let site = OldSite::new(Generator::Jekyll);
        let m = meta("title: x\ncategories: Release Notes");
        assert_eq!(
            urls(&site, "_posts/2015-05-15-Release-2.0.md", &m, "x"),
            ["/release/notes/2015/05/15/Release-2.0.html"]
        );
        let none = meta("title: x");
        assert_eq!(
            urls(&site, "blog/_posts/2015-05-15-Release-2.0.md", &none, "x"),
            ["/blog/2015/05/15/Release-2.0.html"],
            "a folder above _posts is a category"
        );
    }

    #[test]
    fn jekyll_styles_patterns_and_a_posts_own_permalink() {
        let m = meta("title: x");
        let with = |style: &str| OldSite {
            jekyll_permalink: Some(style.to_owned()),
            ..OldSite::new(Generator::Jekyll)
        };
        let path = "_posts/2015-05-15-Hello World.md";
        assert_eq!(
            urls(&with("pretty"), path, &m, "x"),
            [
                "/2015/05/15/Hello%20World/",
                "/2015/05/15/Hello%20World",
                "/2015/05/15/Hello%20World/index.html"
            ]
        );
        assert_eq!(
            urls(&with("ordinal"), path, &m, "x"),
            ["/2015/135/Hello%20World.html"]
        );
        assert_eq!(urls(&with("none"), path, &m, "x"), ["/Hello%20World.html"]);
        assert_eq!(
            urls(&with("/:year/:slug.html"), path, &m, "x"),
            ["/2015/hello-world.html"]
        );
        let own = meta("title: x\npermalink: /blog/:year/:title/");
        assert_eq!(
            urls(&with("date"), path, &own, "x")[0],
            "/blog/2015/Hello%20World/"
        );
    }
}
