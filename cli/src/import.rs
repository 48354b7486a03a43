//! `blog import`: reads an existing blog's content folder as Jekyll, Hugo or Zola lay it out,
//! and decides for every Markdown file whether it is a post to publish or something else
//! (a page, a section index, a draft without a date), which is listed, never silently dropped.

use std::path::{Path, PathBuf};

use anyhow::Result;

/// The static site generator a folder was written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Layout {
    /// `_posts/YYYY-MM-DD-slug.md`, YAML front matter.
    Jekyll,
    /// `content/**`, YAML or TOML front matter, `_index.md` for sections.
    Hugo,
    /// `content/**`, TOML front matter, `_index.md` for sections.
    Zola,
}

impl Layout {
    /// What the ingest API is told the files come from.
    pub fn name(self) -> &'static str {
        match self {
            Self::Jekyll => "jekyll",
            Self::Hugo => "hugo",
            Self::Zola => "zola",
        }
    }

    /// Guesses from the files a generator leaves at the top of a site.
    pub fn detect(dir: &Path) -> Self {
        let has = |name: &str| dir.join(name).exists();
        if has("_posts") || has("_config.yml") || dir.file_name().is_some_and(|n| n == "_posts") {
            return Self::Jekyll;
        }
        if has("hugo.toml") || has("hugo.yaml") || has("config.yaml") || has("archetypes") {
            return Self::Hugo;
        }
        let zola_config = std::fs::read_to_string(dir.join("config.toml")).unwrap_or_default();
        if zola_config.contains("base_url") {
            return Self::Zola;
        }
        if zola_config.contains("baseURL") {
            return Self::Hugo;
        }
        Self::Hugo
    }
}

/// Every Markdown file of the site, each with `None` to publish it or the reason it is not a post.
pub fn plan(dir: &Path, layout: Layout) -> Result<Vec<(PathBuf, Option<String>)>> {
    let root = match layout {
        Layout::Hugo | Layout::Zola if dir.join("content").is_dir() => dir.join("content"),
        _ => dir.to_owned(),
    };
    let files = crate::publish::markdown_files(&[root])?;
    Ok(files
        .into_iter()
        .map(|path| {
            let reason = skip_reason(&path, layout);
            (path, reason)
        })
        .collect())
}

fn skip_reason(path: &Path, layout: Layout) -> Option<String> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let in_folder = |folder: &str| path.components().any(|c| c.as_os_str() == folder);
    match layout {
        Layout::Jekyll if in_folder("_drafts") => Some(
            "a Jekyll draft (in _drafts, with no date yet): move it to _posts to import it"
                .to_owned(),
        ),
        Layout::Jekyll if !in_folder("_posts") => {
            Some("a page, not a post (Jekyll posts live in _posts)".to_owned())
        }
        Layout::Hugo | Layout::Zola if name == "_index.md" => {
            Some("a section's index page, not a post".to_owned())
        }
        _ => None,
    }
}
