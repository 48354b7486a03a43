//! A Zola site's addresses as Zola 0.22 works them out (`components/content/src/page.rs`), its
//! configuration read where Zola reads it (`zola.toml`, else `config.toml`):
//!
//! - `path` is the address as written (no language prefix);
//! - else the page's folders under `content/` as they are named (never slugified), then its
//!   slug, under `/{language}` for a translation (`name.fr.md`) in a language of `[languages]`
//!   other than `default_language`;
//! - the slug is `slug`, else the file's name (a page bundle's folder for `index.md`) less the
//!   date it leads with (unless `[slugify] paths_keep_dates`), made by `[slugify] paths`: `on`
//!   (lowercase words and hyphens), `safe` (as written, less what no file name may hold), `off`;
//! - an alias without a leading `/` is from the site's root.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use blog_shared::content::frontmatter::FrontMatter;

use super::read;

/// How Zola makes a name into an address: `[slugify] paths`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Slugify {
    /// `on`, the default.
    #[default]
    On,
    /// `safe`.
    Safe,
    /// `off`.
    Off,
}

impl Slugify {
    /// A name made into a path part.
    pub fn apply(self, name: &str) -> String {
        match self {
            Self::On => slug::slugify(name),
            Self::Safe => name
                .trim_end_matches([' ', '.'])
                .chars()
                .filter(|c| !r#"<>:"/\|?*"#.contains(*c))
                .collect(),
            Self::Off => name.to_owned(),
        }
    }
}

/// What a Zola site's configuration says about its addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// `[slugify] paths`.
    pub slugify: Slugify,
    /// `[slugify] paths_keep_dates`: a dated file name keeps its date in the address.
    pub keep_dates: bool,
    /// `default_language`.
    pub default_language: String,
    /// The codes of `[languages]` other than the default.
    pub languages: Vec<String>,
}

impl Default for Site {
    fn default() -> Self {
        Self {
            slugify: Slugify::default(),
            keep_dates: false,
            default_language: "en".to_owned(),
            languages: Vec::new(),
        }
    }
}

/// The site's configuration file, as Zola 0.22 looks for it: `zola.toml`, else `config.toml`.
pub fn config_path(dir: &Path) -> Option<PathBuf> {
    ["zola.toml", "config.toml"]
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
}

/// The site's configuration as TOML, empty if it has none.
pub fn config(dir: &Path) -> Result<toml::Table> {
    let Some(path) = config_path(dir) else {
        return Ok(toml::Table::new());
    };
    toml::from_str(&read(&path)?).with_context(|| format!("{} is not TOML", path.display()))
}

impl Site {
    /// The site in `dir`, as its configuration describes it; Zola's defaults if it has none.
    pub fn read(dir: &Path) -> Result<Self> {
        let table = config(dir)?;
        let mut site = Self::default();
        if let Some(slugify) = table.get("slugify").and_then(toml::Value::as_table) {
            site.slugify = match slugify.get("paths").and_then(toml::Value::as_str) {
                None | Some("on") => Slugify::On,
                Some("safe") => Slugify::Safe,
                Some("off") => Slugify::Off,
                Some(other) => bail!(
                    "{}: `[slugify] paths = \"{other}\"` is none of Zola's `on`, `safe`, `off`",
                    config_path(dir).unwrap_or_default().display()
                ),
            };
            site.keep_dates = slugify
                .get("paths_keep_dates")
                .and_then(toml::Value::as_bool)
                .unwrap_or(false);
        }
        if let Some(language) = table.get("default_language").and_then(toml::Value::as_str) {
            site.default_language = language.to_owned();
        }
        if let Some(languages) = table.get("languages").and_then(toml::Value::as_table) {
            site.languages = languages
                .keys()
                .filter(|code| **code != site.default_language)
                .cloned()
                .collect();
        }
        Ok(site)
    }

    /// The address of the page at `path` (`/`-separated, within `content/`) whose front matter
    /// is `meta`, percent-encoded as an old address is stored.
    pub fn address(&self, path: &str, meta: &FrontMatter) -> String {
        if let Some(own) = &meta.path {
            let own = own.trim().trim_matches('/');
            return blog_shared::paths::old_address(&format!("/{own}/"));
        }
        let mut folders: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        let file_name = folders.pop().unwrap_or_default();
        let stem = file_name
            .rsplit_once('.')
            .map_or(file_name, |(stem, _)| stem);
        // `name.fr.md` is in French when French is one of the site's languages; Zola refuses a
        // code it does not know, and reads a name with the default's code as a name (`notes.en`).
        let (name, language) = match stem.split_once('.') {
            Some((name, code)) if self.languages.iter().any(|l| l == code) => (name, Some(code)),
            _ => (stem, None),
        };
        // A page bundle (`x/index.md`) is named for its folder.
        let name = match folders.last() {
            Some(folder) if name == "index" => {
                let folder = *folder;
                folders.pop();
                folder
            }
            _ => name,
        };
        let undated = dated_name(name).and_then(|(_, rest)| rest);
        let slug = match (&meta.slug, undated) {
            (Some(slug), _) => self.slugify.apply(slug),
            (None, Some(rest)) if !self.keep_dates => self.slugify.apply(rest),
            _ => self.slugify.apply(name),
        };
        let mut parts: Vec<&str> = language.into_iter().collect();
        parts.extend(folders);
        parts.push(&slug);
        blog_shared::paths::old_address(&format!("/{}/", parts.join("/")))
    }

    /// The address of an alias: from the site's root, with or without a leading `/`.
    pub fn alias(&self, alias: &str) -> String {
        let alias = alias.trim();
        blog_shared::paths::old_address(&format!("/{}", alias.trim_start_matches('/')))
    }
}

/// The date (and time) a Zola page's name leads with, as Zola reads it, and what follows its
/// separator: `2021-08-09-name`, `2021-08-09_name`, `2021-08-09T10:00:00+02:00-name` (an
/// RFC 3339 date and time), a space allowed before the separator; `2021-08-09` alone is a date
/// with nothing after it. None when the name leads with no date.
pub fn dated_name(name: &str) -> Option<(&str, Option<&str>)> {
    let bytes = name.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|b| b.iter().all(u8::is_ascii_digit))
    };
    let two = |at: usize| name.get(at..at + 2).and_then(|d| d.parse::<u8>().ok());
    let date = digits(0..4)
        && bytes.get(4) == Some(&b'-')
        && matches!(two(5), Some(1..=12))
        && bytes.get(7) == Some(&b'-')
        && matches!(two(8), Some(1..=31))
        && digits(5..7)
        && digits(8..10);
    if !date {
        return None;
    }
    let rest = time_of_day(&name[10..]).unwrap_or(&name[10..]);
    let date = &name[..name.len() - rest.len()];
    let rest = rest.strip_prefix(char::is_whitespace).unwrap_or(rest);
    let slug = rest.strip_prefix(['-', '_']).filter(|r| !r.is_empty());
    Some((date, slug))
}

/// `text` after the `T10:00:00Z` or `T10:00:00.5+02:00` it starts with.
fn time_of_day(text: &str) -> Option<&str> {
    let is = |text: &str, pattern: &str| {
        text.len() >= pattern.len()
            && text.bytes().zip(pattern.bytes()).all(|(c, p)| {
                if p == b'9' {
                    c.is_ascii_digit()
                } else {
                    c == p
                }
            })
    };
    if !is(text, "T99:99:99") {
        return None;
    }
    let mut rest = &text[9..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &fraction[digits..];
    }
    if let Some(after) = rest.strip_prefix('Z') {
        return Some(after);
    }
    (is(rest, "+99:99") || is(rest, "-99:99")).then(|| &rest[6..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use blog_shared::content::frontmatter::{parse, split};

    fn meta(toml: &str) -> FrontMatter {
        parse(&split(&format!("+++\n{toml}\n+++\n")).unwrap()).unwrap()
    }

    #[test]
    fn folders_stay_as_named_and_the_page_name_is_slugified() {
        let site = Site::default();
        let m = meta("title = \"x\"");
        let at = |path: &str, meta: &FrontMatter| site.address(path, meta);
        assert_eq!(
            at("Team Notes/Hello There.md", &m),
            "/Team%20Notes/hello-there/"
        );
        assert_eq!(at("blog/2021-08-09_Dated Name.md", &m), "/blog/dated-name/");
        assert_eq!(at("blog/2024-04-02-bundle/index.md", &m), "/blog/bundle/");
        assert_eq!(at("blog/plans.fr.md", &m), "/blog/plans-fr/");
        let path = meta("title = \"x\"\npath = \"2024/03/21/some-post\"");
        assert_eq!(at("blog/a.md", &path), "/2024/03/21/some-post/");
        assert_eq!(site.alias("2019/named/"), "/2019/named/");
    }

    #[test]
    fn slugify_strategies_dates_kept_and_languages() {
        let site = Site {
            slugify: Slugify::Safe,
            keep_dates: true,
            default_language: "en".into(),
            languages: vec!["fr".into()],
        };
        let m = meta("title = \"x\"");
        assert_eq!(
            site.address("Notes/2022-05-01T08:30:00Z-timed.md", &m),
            "/Notes/2022-05-01T083000Z-timed/"
        );
        assert_eq!(
            site.address("Notes/Trip Report/index.md", &m),
            "/Notes/Trip%20Report/"
        );
        assert_eq!(site.address("Notes/plans.fr.md", &m), "/fr/Notes/plans/");
        assert_eq!(site.address("Notes/notes.en.md", &m), "/Notes/notes.en/");
        let off = Site {
            slugify: Slugify::Off,
            ..Site::default()
        };
        let slugged = meta("title = \"x\"\nslug = \"Why We Moved!\"");
        assert_eq!(
            off.address("posts/Why.We.Moved.md", &slugged),
            "/posts/Why%20We%20Moved!/"
        );
    }

    #[test]
    fn dated_names_as_zola_reads_them() {
        assert_eq!(
            dated_name("2021-08-09-name"),
            Some(("2021-08-09", Some("name")))
        );
        assert_eq!(
            dated_name("2021-08-09 _name"),
            Some(("2021-08-09", Some("name")))
        );
        assert_eq!(
            dated_name("2021-08-09T10:00:00.25+02:00-x"),
            Some(("2021-08-09T10:00:00.25+02:00", Some("x")))
        );
        assert_eq!(dated_name("2021-08-09"), Some(("2021-08-09", None)));
        assert_eq!(dated_name("2021-13-09-x"), None);
        assert_eq!(
            dated_name("2021-08-09T10:00-x"),
            Some(("2021-08-09", None)),
            "a time without seconds is no part of the date, nor a separator"
        );
    }

    #[test]
    fn reads_slugify_and_languages_and_refuses_an_unknown_strategy() {
        let dir = tempfile::TempDir::new().unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        assert_eq!(Site::read(dir.path()).unwrap(), Site::default());
        write(
            "config.toml",
            "base_url = \"x\"\ndefault_language = \"de\"\n[slugify]\npaths = \"safe\"\n\
             paths_keep_dates = true\n[languages.fr]\n[languages.de]\n",
        );
        let site = Site::read(dir.path()).unwrap();
        assert_eq!(site.slugify, Slugify::Safe);
        assert!(site.keep_dates);
        assert_eq!(site.default_language, "de");
        assert_eq!(site.languages, ["fr"]);
        write("zola.toml", "[slugify]\npaths = \"lower\"\n");
        let error = Site::read(dir.path()).unwrap_err().to_string();
        assert!(
            error.contains("zola.toml") && error.contains("\"lower\""),
            "zola.toml is read first: {error}"
        );
    }
}
