//! A Hugo site's addresses as Hugo 0.111 works them out: its configuration read where Hugo
//! reads it (`hugo.*` or `config.*` at the top, TOML, YAML or JSON, merged with the files of
//! `config/_default/`, one per top-level key or a whole `hugo.*`/`config.*`; keys in any case),
//! and each page's address from its language, section and front matter.
//!
//! - `url:` is the address as written (no language prefix, never ugly);
//! - else the section's pattern from `[permalinks]`, else `/{folders}/{slug or file name}/`
//!   (a page bundle is named by its folder), under `/{language}` for a language other than the
//!   default (and for the default too with `defaultContentLanguageInSubdir`);
//! - `uglyURLs` (for the whole site, or per section) makes `/a/` into `/a.html`;
//! - lower case unless `disablePathToLower`;
//! - a language's content is its `contentDir`, or a file named `name.{language}.md`;
//! - an alias without a leading `/` is relative to the folder of the page's address; an alias
//!   is a folder (`/a/`, written as `/a/index.html`) unless it ends in `.html` or the whole
//!   site has `uglyURLs` (then `/a.html`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use blog_shared::content::file_names::file_stem;
use blog_shared::content::frontmatter::FrontMatter;
use blog_shared::content::permalinks::{collapse_slashes, expand};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::read;

/// What a Hugo site's configuration says about its addresses.
#[derive(Debug, Clone, Default)]
pub struct Site {
    /// `[permalinks]`: a section's name (lower case) to its pattern.
    permalinks: BTreeMap<String, String>,
    /// `uglyURLs = true` for the whole site.
    ugly_everywhere: bool,
    /// `[uglyURLs]`: a section's name (lower case) to whether its pages are ugly.
    ugly_sections: BTreeMap<String, bool>,
    /// `disablePathToLower`.
    keep_case: bool,
    /// `defaultContentLanguage`, `en` unless set.
    default_language: String,
    /// `defaultContentLanguageInSubdir`.
    default_in_subdir: bool,
    /// The languages of `[languages]`, each with its `contentDir` if it has one.
    languages: Vec<(String, Option<PathBuf>)>,
    /// The site's `contentDir`, `content` unless set.
    content_dir: PathBuf,
    /// The path of `baseURL` (`/blog` for `https://example.org/blog/`), empty at the root:
    /// every address, `url:` and aliases among them, is below it.
    base_path: String,
}

/// Where a content file is, as Hugo sees it.
pub struct Located {
    /// Its path within its language's content folder, without a language suffix.
    pub path: String,
    /// Its language.
    pub language: String,
    /// Its sections, outermost first.
    pub sections: Vec<String>,
}

/// A content file as Hugo sees it.
pub struct Page<'a> {
    /// Its path within its language's content folder, `/`-separated, without a language
    /// suffix in its name (`post/a.md`, `post/bundle/index.md`).
    pub path: String,
    /// Its language.
    pub language: String,
    /// Its sections, outermost first: the top folder, and each folder below it that has an
    /// `_index.md` (a folder without one is no section in Hugo).
    pub sections: Vec<String>,
    /// Its front matter.
    pub meta: &'a FrontMatter,
    /// Its title.
    pub title: &'a str,
    /// Its date, in the offset it was written with.
    pub date: OffsetDateTime,
}

impl Site {
    /// The configuration of the Hugo site in `dir`.
    pub fn read(dir: &Path) -> Result<Self> {
        let config = config(dir)?;
        let text = |key: &str| config.get(key).and_then(Value::as_str).map(str::to_owned);
        let flag = |key: &str| config.get(key).and_then(Value::as_bool).unwrap_or(false);
        let mut site = Self {
            keep_case: flag("disablepathtolower"),
            default_language: text("defaultcontentlanguage").unwrap_or_else(|| "en".to_owned()),
            default_in_subdir: flag("defaultcontentlanguageinsubdir"),
            content_dir: dir.join(text("contentdir").unwrap_or_else(|| "content".to_owned())),
            base_path: text("baseurl")
                .and_then(|url| {
                    let after_scheme = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
                    after_scheme.find('/').map(|i| after_scheme[i..].to_owned())
                })
                .map(|path| path.trim_end_matches('/').to_owned())
                .unwrap_or_default(),
            ..Self::default()
        };
        if let Some(Value::Object(permalinks)) = config.get("permalinks") {
            for (section, pattern) in permalinks {
                if let Some(pattern) = pattern.as_str() {
                    site.permalinks.insert(section.clone(), pattern.to_owned());
                }
            }
        }
        match config.get("uglyurls") {
            Some(Value::Bool(all)) => site.ugly_everywhere = *all,
            Some(Value::Object(sections)) => {
                for (section, ugly) in sections {
                    site.ugly_sections
                        .insert(section.clone(), ugly.as_bool().unwrap_or(false));
                }
            }
            _ => {}
        }
        if let Some(Value::Object(languages)) = config.get("languages") {
            for (code, language) in languages {
                let content_dir = language
                    .get("contentdir")
                    .and_then(Value::as_str)
                    .map(|d| dir.join(d));
                site.languages.push((code.clone(), content_dir));
            }
        }
        Ok(site)
    }

    /// The folders Hugo reads content from: each language's `contentDir`, and the site's
    /// (for the languages with none of their own), most specific first.
    pub fn content_roots(&self) -> Vec<PathBuf> {
        let mut roots: Vec<PathBuf> = self
            .languages
            .iter()
            .filter_map(|(_, d)| d.clone())
            .filter(|d| d.is_dir())
            .collect();
        let shared = self.languages.is_empty() || self.languages.iter().any(|(_, d)| d.is_none());
        if shared && self.content_dir.is_dir() {
            roots.push(self.content_dir.clone());
        }
        roots.dedup();
        roots
    }

    /// The content folder `file` is in, its path within it (without a language suffix), and its
    /// language.
    fn language_of(&self, file: &Path) -> (PathBuf, String, String) {
        let own = self
            .languages
            .iter()
            .filter_map(|(code, d)| Some((code, d.as_ref()?)))
            .filter(|(_, d)| file.starts_with(d))
            .max_by_key(|(_, d)| d.components().count());
        let (root, language) = match own {
            Some((code, dir)) => (dir.clone(), Some(code.clone())),
            None => (self.content_dir.clone(), None),
        };
        let mut path = crate::publish::relative(file, &root);
        let mut language = language;
        if language.is_none() {
            // `name.fr.md`: a translation, when `fr` is one of the site's languages.
            let (folder, name) = path.rsplit_once('/').unwrap_or(("", &path));
            let mut parts: Vec<&str> = name.split('.').collect();
            if parts.len() >= 3
                && let Some(code) = parts.get(parts.len() - 2).map(|c| c.to_lowercase())
                && self.languages.iter().any(|(c, _)| *c == code)
            {
                parts.remove(parts.len() - 2);
                let renamed = parts.join(".");
                path = if folder.is_empty() {
                    renamed
                } else {
                    format!("{folder}/{renamed}")
                };
                language = Some(code);
            }
        }
        let language = language.unwrap_or_else(|| self.default_language.clone());
        (root, path, language)
    }

    /// The file at `file` (within the site) as Hugo sees it: its path within its language's
    /// content folder, its language, and its sections.
    pub fn locate(&self, file: &Path) -> Located {
        let (root, path, language) = self.language_of(file);

        // The top folder is a section; a folder below it is one only with an `_index` page of
        // the same language (`_index.md`, `_index.fr.md`).
        let mut folders: Vec<&str> = path.split('/').collect();
        let name = folders.pop().unwrap_or_default();
        if file_stem(name) == "index" {
            folders.pop();
        }
        let mut sections: Vec<String> = Vec::new();
        for (depth, folder) in folders.iter().enumerate() {
            let place: PathBuf = folders[..=depth].iter().collect();
            if depth > 0 && !self.has_index(&root.join(place), &language) {
                break;
            }
            sections.push((*folder).to_owned());
        }
        Located {
            language,
            path,
            sections,
        }
    }

    /// Whether `folder` is a section in `language`: it has an `_index` page in that language.
    fn has_index(&self, folder: &Path, language: &str) -> bool {
        std::fs::read_dir(folder).is_ok_and(|entries| {
            entries.flatten().any(|e| {
                e.file_name().to_string_lossy().starts_with("_index.")
                    && self.language_of(&e.path()).2 == language
            })
        })
    }

    /// The address Hugo wrote `page` at.
    pub fn address(&self, page: &Page<'_>) -> String {
        if let Some(url) = &page.meta.url {
            let url = url.trim();
            // A URL with no extension is a folder, written as its `index.html`.
            let last = url.rsplit('/').next().unwrap_or_default();
            let url = if url.ends_with('/') || last.contains('.') {
                url.to_owned()
            } else {
                format!("{url}/")
            };
            return blog_shared::paths::old_address(&format!(
                "{}/{}",
                self.base_path,
                url.trim_start_matches('/')
            ));
        }
        let mut folders: Vec<&str> = page.path.split('/').filter(|p| !p.is_empty()).collect();
        let name = folders.pop().unwrap_or_default();
        let mut file_name = file_stem(name);
        if matches!(file_name, "index" | "_index")
            && let Some(folder) = folders.pop()
        {
            file_name = folder;
        }
        let section = folders.first().copied().unwrap_or_default().to_lowercase();
        let slug = page.meta.slug.as_deref().map(urlize);
        let path = match self.permalinks.get(&section) {
            Some(pattern) => {
                let date = page.date;
                let title = urlize(page.title);
                let tokens: [(&str, String); 13] = [
                    (":yearday", date.ordinal().to_string()),
                    (":year", format!("{:04}", date.year())),
                    (":monthname", date.month().to_string()),
                    (":month", format!("{:02}", u8::from(date.month()))),
                    (":day", format!("{:02}", date.day())),
                    (":weekdayname", date.weekday().to_string()),
                    (
                        ":weekday",
                        date.weekday().number_days_from_sunday().to_string(),
                    ),
                    (":sections", page.sections.join("/")),
                    (
                        ":section",
                        folders.first().copied().unwrap_or_default().to_owned(),
                    ),
                    (":title", title.clone()),
                    (
                        ":slugorfilename",
                        slug.clone().unwrap_or_else(|| file_name.to_owned()),
                    ),
                    (":slug", slug.clone().unwrap_or(title)),
                    (":filename", file_name.to_owned()),
                ];
                expand(pattern, &tokens)
            }
            None => {
                let last = slug.unwrap_or_else(|| file_name.to_owned());
                format!("/{}/{last}/", folders.join("/"))
            }
        };
        let ugly = self
            .ugly_sections
            .get(&section)
            .copied()
            .unwrap_or(self.ugly_everywhere);
        let path = if ugly && path.ends_with('/') && path.len() > 1 {
            format!("{}.html", path.trim_end_matches('/'))
        } else {
            path
        };
        let path = format!(
            "{}{}/{}",
            self.base_path,
            self.prefix(&page.language),
            path.trim_start_matches('/')
        );
        let path = collapse_slashes(&path);
        let path = if self.keep_case {
            path
        } else {
            path.to_lowercase()
        };
        blog_shared::paths::old_address(&path)
    }

    /// Where Hugo wrote the redirect page of `alias`, an alias of the page at `page` (whose
    /// front matter is `meta`).
    pub fn alias(&self, page: &str, meta: &FrontMatter, alias: &str) -> String {
        let alias = alias.trim();
        // Hugo resolves a relative alias against the folder above the page's own files' folder:
        // `/a/b/` and `/a/b.html` keep theirs in `/a/b/`, a page whose `url:` names a file
        // (`/a/b.html`) in `/a/`.
        let files = match &meta.url {
            Some(url) if !url.trim().ends_with('/') && url.contains('.') => {
                page.rsplit_once('/').map_or("", |(folder, _)| folder)
            }
            _ => page.trim_end_matches('/'),
        };
        let absolute = if alias.starts_with('/') {
            format!("{}{alias}", self.base_path)
        } else {
            super::super::resolve(files, alias)
        };
        let path = if absolute.ends_with(".html") {
            absolute
        } else if self.ugly_everywhere {
            format!("{}.html", absolute.trim_end_matches('/'))
        } else {
            format!("{}/", absolute.trim_end_matches('/'))
        };
        blog_shared::paths::old_address(&path)
    }

    /// Whether the site has `[languages]`.
    pub fn has_languages(&self) -> bool {
        !self.languages.is_empty()
    }

    /// The path of `baseURL`, empty at the root.
    pub fn base_path(&self) -> &str {
        &self.base_path
    }

    /// `/fr` for a language served in a folder of its own, empty for one at the root (and for
    /// every page of a site with no `[languages]`, `defaultContentLanguageInSubdir` or not).
    fn prefix(&self, language: &str) -> String {
        if self.languages.is_empty() {
            return String::new();
        }
        if language == self.default_language && !self.default_in_subdir {
            String::new()
        } else {
            format!("/{language}")
        }
    }
}

/// Hugo's configuration as one JSON object with lower-case keys: the top file (`hugo.*`, else
/// `config.*`) merged with `config/_default/` (a `hugo.*`/`config.*` there is the whole of it,
/// any other file the key its name says: `permalinks.toml` is `[permalinks]`).
pub fn config(dir: &Path) -> Result<Map<String, Value>> {
    let mut merged = Map::new();
    let top = ["hugo", "config"]
        .iter()
        .flat_map(|stem| {
            ["toml", "yaml", "yml", "json"].map(|ext| dir.join(format!("{stem}.{ext}")))
        })
        .find(|p| p.is_file());
    if let Some(path) = top {
        merge(&mut merged, parse(&path)?);
    }
    let folder = dir.join("config").join("_default");
    if folder.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .with_context(|| format!("reading {}", folder.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for path in files {
            let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            let extension = path
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or_default();
            if !matches!(extension, "toml" | "yaml" | "yml" | "json") {
                continue;
            }
            let value = parse(&path)?;
            let key = stem.to_lowercase();
            if matches!(key.as_str(), "hugo" | "config") {
                merge(&mut merged, value);
            } else if !key.contains('.') {
                // `menus.en.toml` and such say nothing about addresses.
                let mut one = Map::new();
                one.insert(key, Value::Object(value));
                merge(&mut merged, one);
            }
        }
    }
    Ok(merged)
}

/// A configuration file as a JSON object with lower-case keys.
fn parse(path: &Path) -> Result<Map<String, Value>> {
    let text = read(path)?;
    let value: Value = match path.extension().and_then(|e| e.to_str()) {
        Some("toml") => {
            let table: toml::Table =
                toml::from_str(&text).with_context(|| format!("{} is not TOML", path.display()))?;
            serde_json::to_value(table).context("reading Hugo's configuration")?
        }
        Some("json") => serde_json::from_str(&text)
            .with_context(|| format!("{} is not JSON", path.display()))?,
        _ => serde_saphyr::from_str(&text)
            .with_context(|| format!("{} is not YAML", path.display()))?,
    };
    match lower_keys(value) {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        _ => anyhow::bail!("{} is not a table of settings", path.display()),
    }
}

fn lower_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k.to_lowercase(), lower_keys(v)))
                .collect(),
        ),
        other => other,
    }
}

/// `more` merged into `into`, tables key by key, what is set already kept.
fn merge(into: &mut Map<String, Value>, more: Map<String, Value>) {
    for (key, value) in more {
        match (into.get_mut(&key), value) {
            (Some(Value::Object(held)), Value::Object(value)) => merge(held, value),
            (Some(_), _) => {}
            (None, value) => {
                into.insert(key, value);
            }
        }
    }
}

/// Hugo's `urlize` for a path part: letters, digits and `._-~+#` kept, spaces become hyphens,
/// the rest dropped.
fn urlize(text: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn address(site: &Site, path: &str, yaml: &str, title: &str) -> String {
        let source = format!("---\n{yaml}\n---\n");
        let document = blog_shared::content::frontmatter::split(&source).unwrap();
        let meta = blog_shared::content::frontmatter::parse(&document).unwrap();
        site.address(&Page {
            path: path.to_owned(),
            language: "en".to_owned(),
            sections: path.split('/').take(1).map(str::to_owned).collect(),
            meta: &meta,
            title,
            date: datetime!(2015-05-15 10:00 +2),
        })
    }

    #[test]
    fn sections_permalinks_url_and_slug() {
        let site = Site {
            default_language: "en".to_owned(),
            ..Site::default()
        };
        assert_eq!(
            address(&site, "posts/My-Post.md", "title: x", "x"),
            "/posts/my-post/"
        );
        assert_eq!(
            address(&site, "posts/bundle/index.md", "title: x", "x"),
            "/posts/bundle/"
        );
        let patterned = Site {
            permalinks: BTreeMap::from([("posts".into(), "/:year/:month/:title/".into())]),
            ..site.clone()
        };
        assert_eq!(
            address(&patterned, "posts/a.md", "title: x", "Why We Moved"),
            "/2015/05/why-we-moved/"
        );
        assert_eq!(
            address(&site, "posts/a.md", "slug: Other Name", "x"),
            "/posts/other-name/"
        );
        assert_eq!(
            address(&site, "posts/a.md", "url: /exact/Path.html", "x"),
            "/exact/Path.html"
        );
        let ugly = Site {
            ugly_sections: BTreeMap::from([("posts".into(), true)]),
            ..site.clone()
        };
        assert_eq!(
            address(&ugly, "posts/a.md", "title: x", "x"),
            "/posts/a.html"
        );
        let none = FrontMatter::default();
        assert_eq!(ugly.alias("/posts/a.html", &none, "b"), "/posts/b/");
    }

    #[test]
    fn the_configuration_directory_merges_with_split_files_and_any_case() {
        let dir = tempfile::TempDir::new().unwrap();
        let folder = dir.path().join("config/_default");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("hugo.toml"), "uglyURLs = true\n").unwrap();
        std::fs::write(folder.join("permalinks.yaml"), "Post: /:year/:slug/\n").unwrap();
        std::fs::write(
            folder.join("languages.json"),
            r#"{"fr": {"contentDir": "content/fr"}}"#,
        )
        .unwrap();
        let site = Site::read(dir.path()).unwrap();
        assert!(site.ugly_everywhere);
        assert_eq!(site.permalinks["post"], "/:year/:slug/");
        assert_eq!(site.languages[0].0, "fr");
    }
}
