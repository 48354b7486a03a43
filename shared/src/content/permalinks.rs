//! The addresses an imported post had on its old site, worked out as that generator worked them
//! out, so that every old link keeps answering (with a 301 to the post's new page):
//!
//! - Jekyll: the site's `permalink` (a style, `date` by default, or a pattern), or the post's own
//!   `permalink:`; categories first (`/:categories/:year/:month/:day/:title:output_ext`), the
//!   folders above `_posts` counting as categories, `:title` as the file name has it.
//! - Hugo: `url:` if the post has one, else its section's pattern from `[permalinks]`, else
//!   `/{folders}/{slug or file name}/`; lowercased unless `disablePathToLower`; `uglyURLs`.
//! - Zola: `path:` if the post has one, else `/{language}/{folders}/{slug}/`, as its
//!   `[slugify]` configuration makes the slug ([`zola`]).
//!
//! A directory-style address (ending in `/`) is answered with and without its slash, and as
//! `…/index.html`, as a static file server answers it.

use std::collections::BTreeMap;

use time::OffsetDateTime;

use super::file_names::{file_stem, split_jekyll_name};
use super::frontmatter::{FrontMatter, OneOrMany};

mod zola;

pub use zola::{ZolaSite, ZolaSlugify, dated_name as zola_dated_name};

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
    /// Hugo's `[permalinks]`: a section's name to its pattern.
    pub hugo_permalinks: BTreeMap<String, String>,
    /// Hugo's `disablePathToLower`.
    pub hugo_keep_case: bool,
    /// Hugo's `uglyURLs`: `/posts/name.html` rather than `/posts/name/`.
    pub hugo_ugly_urls: bool,
    /// What Zola's `config.toml` says about addresses.
    pub zola: ZolaSite,
}

impl OldSite {
    /// A site of `generator` with its defaults.
    pub fn new(generator: Generator) -> Self {
        Self {
            generator,
            jekyll_permalink: None,
            hugo_permalinks: BTreeMap::new(),
            hugo_keep_case: false,
            hugo_ugly_urls: false,
            zola: ZolaSite::default(),
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
/// variants. Aliases are not included (they are the post's own, whatever its origin).
pub fn old_urls(site: &OldSite, file: &OldFile<'_>) -> Vec<String> {
    let path = match site.generator {
        Generator::Jekyll => jekyll(site, file),
        Generator::Hugo => hugo(site, file),
        Generator::Zola => zola::address(&site.zola, file),
    };
    with_variants(&collapse_slashes(&path))
}

/// Every address Jekyll's defaults gave `file` (a post uploaded as Jekyll's): [`old_urls`] for a
/// Jekyll site with no configuration, without the other generators' code.
pub fn jekyll_default_urls(file: &OldFile<'_>) -> Vec<String> {
    with_variants(&collapse_slashes(&jekyll(
        &OldSite::new(Generator::Jekyll),
        file,
    )))
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
fn collapse_slashes(path: &str) -> String {
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

/// What names a page: the file's stem, or for a page bundle (`x/index.md`) its folder's name.
fn page_name<'a>(folders: &mut Vec<&'a str>, name: &'a str) -> &'a str {
    let stem = file_stem(name);
    if matches!(stem, "index" | "_index")
        && let Some(folder) = folders.pop()
    {
        return folder;
    }
    stem
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
fn jekyll_slugify(text: &str) -> String {
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

fn hugo(site: &OldSite, file: &OldFile<'_>) -> String {
    if let Some(url) = &file.meta.url {
        return crate::paths::old_address(url);
    }
    let (mut folders, name) = split_path(file.path);
    let file_name = page_name(&mut folders, name);
    let section = folders.first().copied().unwrap_or_default();
    let title = hugo_urlize(file.title);
    let slug = file.meta.slug.as_deref().map_or(title.clone(), hugo_urlize);
    let path = match site.hugo_permalinks.get(section) {
        Some(pattern) => {
            let date = file.date;
            let slug_or_file = file
                .meta
                .slug
                .as_deref()
                .map_or_else(|| file_name.to_owned(), hugo_urlize);
            let tokens: [(&str, String); 14] = [
                (":year", format!("{:04}", date.year())),
                (":monthname", date.month().to_string()),
                (":month", format!("{:02}", u8::from(date.month()))),
                (":day", format!("{:02}", date.day())),
                (":weekdayname", date.weekday().to_string()),
                (
                    ":weekday",
                    date.weekday().number_days_from_sunday().to_string(),
                ),
                (":yearday", date.ordinal().to_string()),
                (":sections", folders.join("/")),
                (":section", section.to_owned()),
                (":title", title),
                (":slugorfilename", slug_or_file),
                (":slug", slug),
                (":filename", file_name.to_owned()),
                (":contentbasename", file_name.to_owned()),
            ];
            expand(pattern, &tokens)
        }
        None => {
            let last = file
                .meta
                .slug
                .as_deref()
                .map_or_else(|| file_name.to_owned(), hugo_urlize);
            format!("/{}/{last}/", folders.join("/"))
        }
    };
    let path = if site.hugo_ugly_urls && path.ends_with('/') && path.len() > 1 {
        format!("{}.html", path.trim_end_matches('/'))
    } else {
        path
    };
    let path = if site.hugo_keep_case {
        path
    } else {
        path.to_lowercase()
    };
    crate::paths::old_address(&path)
}

/// Hugo's `urlize` for a path part: letters, digits and `._-~+#` kept, spaces become hyphens,
/// the rest dropped.
fn hugo_urlize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars() {
        if c.is_alphanumeric() || "._-~+#".contains(c) {
            out.push(c);
        } else if c.is_whitespace() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out
}

/// Replaces each token by its value, longest tokens first where one is a prefix of another
/// (the token lists above are ordered so).
fn expand(pattern: &str, tokens: &[(&str, String)]) -> String {
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

    #[test]
    fn hugo_sections_permalinks_url_and_slug() {
        let m = meta("title: x");
        let site = OldSite::new(Generator::Hugo);
        assert_eq!(
            urls(&site, "posts/My-Post.md", &m, "My Post")[0],
            "/posts/my-post/"
        );
        assert_eq!(
            urls(&site, "posts/bundle/index.md", &m, "x")[0],
            "/posts/bundle/"
        );
        let patterned = OldSite {
            hugo_permalinks: BTreeMap::from([("posts".into(), "/:year/:month/:title/".into())]),
            ..OldSite::new(Generator::Hugo)
        };
        assert_eq!(
            urls(&patterned, "posts/a.md", &m, "Why We Moved")[0],
            "/2015/05/why-we-moved/"
        );
        let slugged = meta("title: x\nslug: Other Name");
        assert_eq!(
            urls(&site, "posts/a.md", &slugged, "x")[0],
            "/posts/other-name/"
        );
        let url = meta("title: x\nurl: /exact/Path.html");
        assert_eq!(urls(&site, "posts/a.md", &url, "x"), ["/exact/Path.html"]);
    }

    #[test]
    fn zola_slugifies_and_drops_the_date() {
        let m = meta("title: x");
        let site = OldSite::new(Generator::Zola);
        assert_eq!(
            urls(&site, "blog/2021-08-09-Dated Name.md", &m, "x")[0],
            "/blog/dated-name/"
        );
        let path = meta("title: x\npath: custom/place");
        assert_eq!(urls(&site, "blog/a.md", &path, "x")[0], "/custom/place/");
    }
}
