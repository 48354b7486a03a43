//! What an old site's configuration says about its addresses, read where its generator reads
//! it: Hugo's in [`hugo`], Jekyll's in [`jekyll`], Zola's in [`zola`].

pub mod hugo;
pub mod jekyll;
pub mod zola;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use blog_shared::content::frontmatter::FrontMatter;
use blog_shared::content::permalinks::with_variants;
use time::OffsetDateTime;

use super::Layout;

/// An old site's addresses, as its generator works them out.
pub enum OldSite {
    /// A Hugo site.
    Hugo(hugo::Site),
    /// A Jekyll site.
    Jekyll(jekyll::Site),
    /// A Zola site.
    Zola(zola::Site),
}

/// One post of the old site.
pub struct OldPost<'a> {
    /// Its file, within the site's folder.
    pub file: &'a Path,
    /// The site's folder.
    pub site: &'a Path,
    /// Its front matter.
    pub meta: &'a FrontMatter,
    /// Its title.
    pub title: &'a str,
    /// Its date, in the offset it was written with.
    pub date: OffsetDateTime,
    /// Whether the date was written with an offset; else it is the site's local time.
    pub date_has_offset: bool,
}

impl OldSite {
    /// The configuration of the `layout` site in `dir`.
    pub fn read(dir: &Path, layout: Layout) -> Result<Self> {
        Ok(match layout {
            Layout::Hugo => Self::Hugo(hugo::Site::read(dir)?),
            Layout::Jekyll => Self::Jekyll(jekyll::Site::read(dir)?),
            Layout::Zola => Self::Zola(zola::Site::read(dir)?),
        })
    }

    /// The generator's layout.
    pub fn layout(&self) -> Layout {
        match self {
            Self::Hugo(_) => Layout::Hugo,
            Self::Jekyll(_) => Layout::Jekyll,
            Self::Zola(_) => Layout::Zola,
        }
    }

    /// The folders the generator reads posts from (Hugo's languages' `contentDir`s).
    pub fn content_roots(&self, dir: &Path) -> Vec<PathBuf> {
        match self {
            Self::Hugo(site) => site.content_roots(),
            Self::Zola(_) if dir.join("content").is_dir() => vec![dir.join("content")],
            _ => vec![dir.to_owned()],
        }
    }

    /// The folders whose Markdown files are Jekyll posts (`_posts`, collections with output).
    pub fn post_folders(&self) -> Vec<String> {
        match self {
            Self::Jekyll(site) => site.post_folders(),
            _ => Vec::new(),
        }
    }

    /// Every address the generator wrote `post`'s page at: the page's own first, with its
    /// directory-style variants.
    pub fn addresses(&self, post: &OldPost<'_>) -> Vec<String> {
        match self {
            Self::Hugo(site) => {
                let located = site.locate(post.file);
                with_variants(&site.address(&hugo::Page {
                    path: located.path,
                    language: located.language,
                    sections: located.sections,
                    meta: post.meta,
                    title: post.title,
                    date: post.date,
                }))
            }
            Self::Jekyll(site) => site.addresses(
                &crate::publish::relative(post.file, post.site),
                post.meta,
                post.title,
                post.date,
                post.date_has_offset,
            ),
            Self::Zola(site) => {
                let content = post.site.join("content");
                let root = if content.is_dir() {
                    content
                } else {
                    post.site.to_owned()
                };
                with_variants(&site.address(&crate::publish::relative(post.file, &root), post.meta))
            }
        }
    }

    /// The addresses of an alias of the page at `page` (whose front matter is `meta`), as the
    /// generator wrote its redirect.
    pub fn alias(&self, page: &str, meta: &FrontMatter, alias: &str) -> Vec<String> {
        let path = match self {
            Self::Hugo(site) => site.alias(page, meta, alias),
            Self::Jekyll(site) => blog_shared::paths::old_address(&site.under_base(alias)),
            Self::Zola(site) => site.alias(alias),
        };
        with_variants(&path)
    }

    /// For a Hugo site with languages, the language of the content file `file` and its path
    /// within its language's content folder, without a language suffix (`post/a.md`).
    pub fn language(&self, file: &Path) -> Option<(String, String)> {
        match self {
            Self::Hugo(site) if site.has_languages() => {
                let located = site.locate(file);
                Some((located.language, located.path))
            }
            _ => None,
        }
    }

    /// Of two posts declaring one alias, whether the later one's redirect page is the one the
    /// old site kept (Jekyll writes posts oldest first, the last redirect page written
    /// standing; Hugo writes newest first).
    pub fn later_keeps_alias(&self) -> bool {
        matches!(self, Self::Jekyll(_))
    }
}

pub fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// The site's configuration as JSON, read where its generator reads it: what shortcodes and
/// Liquid look values up in (`params`, `baseurl`), and where its base URL is.
pub fn config(dir: &Path, layout: Layout) -> Result<serde_json::Value> {
    match layout {
        Layout::Hugo => Ok(serde_json::Value::Object(hugo::config(dir)?)),
        Layout::Jekyll => {
            let path = dir.join("_config.yml");
            if !path.is_file() {
                return Ok(serde_json::Value::Null);
            }
            serde_saphyr::from_str(&read(&path)?)
                .with_context(|| format!("{} is not YAML", path.display()))
        }
        Layout::Zola => {
            serde_json::to_value(zola::config(dir)?).context("reading Zola's configuration")
        }
    }
}

/// The old site's own base URLs, as its configuration names them (Hugo's `baseURL`, Zola's
/// `base_url`, Jekyll's `url` with its `baseurl`): links that start with one lead within it.
pub fn base_urls(config: &serde_json::Value) -> Vec<String> {
    let text = |key: &str| {
        config
            .as_object()
            .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)))
            .and_then(|(_, v)| v.as_str())
            .map(|s| s.trim().trim_end_matches('/').to_owned())
            .filter(|s| s.starts_with("http://") || s.starts_with("https://"))
    };
    let mut bases: Vec<String> = ["baseURL", "base_url", "url"]
        .into_iter()
        .filter_map(text)
        .collect();
    // Jekyll's `baseurl` is a path below `url`; both spellings of the scheme lead within.
    let mut more = Vec::new();
    for base in &bases {
        if let Some(rest) = base.strip_prefix("https://") {
            more.push(format!("http://{rest}"));
        } else if let Some(rest) = base.strip_prefix("http://") {
            more.push(format!("https://{rest}"));
        }
    }
    bases.extend(more);
    bases
}
