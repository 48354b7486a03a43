//! `blog import`: reads an existing blog as Jekyll, Hugo or Zola lay it out and plans every
//! Markdown file before anything is uploaded:
//!
//! - what is not a post (a page, a section index, a draft with no date) is listed with the
//!   reason, never silently dropped;
//! - every post is parsed here as the server will parse it, so its slug is known: files that
//!   share one get distinct slugs by a fixed rule (the earliest keeps it, later ones take their
//!   year, then their date), so that the same site always maps each file to the same post;
//! - the addresses each post had on the old site are worked out from the site's configuration
//!   and the file's place, and sent along, so each answers 301 to the post's new page.
//!
//! `--dry-run` prints the plan and writes nothing.

mod authors;
mod dates;
mod links;
mod plan;
mod print;
mod shortcodes;
mod site;
mod slugs;
mod translate;

use std::path::{Path, PathBuf};

use anyhow::Result;
use blog_shared::content::permalinks::Generator;

use crate::api::{Upload, Uploader};

pub use authors::AuthorMap;
pub use plan::Plan;

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
    /// The generator, as the shared crate names it.
    pub fn generator(self) -> Generator {
        match self {
            Self::Jekyll => Generator::Jekyll,
            Self::Hugo => Generator::Hugo,
            Self::Zola => Generator::Zola,
        }
    }

    /// Where the site keeps files served at its root (`/images/x.png`), within its folder:
    /// Hugo's and Zola's `static/`, and their content folders (a file beside the posts is
    /// served at its path within them: Zola's sections and page bundles serve their files at
    /// their own addresses); Jekyll serves its root itself.
    pub fn static_dirs(self, dir: &Path) -> Result<Vec<String>> {
        Ok(match self {
            Self::Jekyll => Vec::new(),
            Self::Zola => vec!["static".to_owned(), "content".to_owned()],
            Self::Hugo => {
                let site = site::hugo::Site::read(dir)?;
                std::iter::once("static".to_owned())
                    .chain(
                        site.content_roots()
                            .iter()
                            .map(|root| crate::publish::relative(root, dir)),
                    )
                    .collect()
            }
        })
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        self.generator().name()
    }

    /// Guesses from the files a generator leaves at the top of a site.
    pub fn detect(dir: &Path) -> Self {
        let has = |name: &str| dir.join(name).exists();
        if has("_posts") || has("_config.yml") || dir.file_name().is_some_and(|n| n == "_posts") {
            return Self::Jekyll;
        }
        let hugo_files = [
            "hugo.toml",
            "hugo.yaml",
            "hugo.yml",
            "hugo.json",
            "config.yaml",
        ];
        if hugo_files.iter().any(|f| has(f)) || has("config/_default") || has("archetypes") {
            return Self::Hugo;
        }
        let zola_config = std::fs::read_to_string(dir.join("config.toml")).unwrap_or_default();
        if zola_config.contains("base_url") || has("zola.toml") {
            return Self::Zola;
        }
        Self::Hugo
    }
}

/// `blog import DIR`: the site in `dir` (of the layout `from` says, or the one its files
/// show) planned and, unless `dry_run`, published with the uploader `uploader` resolves to;
/// posts that name no category get `category`. Whether none failed.
pub async fn import(
    dir: &Path,
    from: Option<Layout>,
    category: Option<String>,
    authors: Option<&Path>,
    dry_run: bool,
    uploader: impl Future<Output = Result<Uploader>>,
) -> Result<bool> {
    let authors = authors
        .map(AuthorMap::read)
        .transpose()?
        .unwrap_or_default();
    anyhow::ensure!(dir.is_dir(), "{} is not a folder", dir.display());
    let layout = from.unwrap_or_else(|| Layout::detect(dir));
    let mut uploader = uploader.await?;
    uploader.default_category = category;
    uploader.import = Some(layout.generator());
    uploader.static_dirs = layout.static_dirs(dir)?;
    uploader.base_path = match layout {
        Layout::Jekyll => site::jekyll::Site::read(dir)?.baseurl().to_owned(),
        Layout::Hugo => site::hugo::Site::read(dir)?.base_path().to_owned(),
        Layout::Zola => String::new(),
    };
    let plan = plan::plan(dir, layout, &uploader, &authors)?;
    uploader.served_dirs = served_bundles(&plan.uploads, layout);
    anyhow::ensure!(
        !plan.uploads.is_empty(),
        "no Markdown files in {}",
        dir.display()
    );
    println!(
        "Importing {} as a {} site ({} files).",
        dir.display(),
        layout.name(),
        plan.uploads.len()
    );
    if dry_run {
        print::print_plan(&plan, &uploader);
        return Ok(true);
    }
    print!("{}", print::notices(&plan));
    Ok(crate::publish::run(&uploader, plan.uploads).await)
}

/// Zola serves a page bundle's files at its page's address, wherever `path` puts it:
/// (that address, the bundle's folder) for each bundle of a Zola site.
fn served_bundles(uploads: &[Upload], layout: Layout) -> Vec<(String, PathBuf)> {
    if layout != Layout::Zola {
        return Vec::new();
    }
    uploads
        .iter()
        .filter(|u| u.skip.is_none())
        .filter(|u| {
            u.path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("index."))
        })
        .filter_map(|u| {
            let address = u.old_url.clone().filter(|a| a.ends_with('/'))?;
            Some((address, u.path.parent()?.to_owned()))
        })
        .collect()
}

/// `relative` resolved against the page at `base` as a browser would (`./`, `../` followed).
fn resolve(base: &str, relative: &str) -> String {
    let mut segments: Vec<&str> = base.split('/').filter(|s| !s.is_empty()).collect();
    if !base.ends_with('/') {
        segments.pop();
    }
    for part in relative.split('/') {
        match part {
            "." | "" => {}
            ".." => {
                segments.pop();
            }
            name => segments.push(name),
        }
    }
    let trailing = if relative.ends_with('/') { "/" } else { "" };
    format!("/{}{trailing}", segments.join("/"))
}

/// Why the file at `path` is not a post, if it is not; `post_folders` are the folders whose
/// files are Jekyll's posts (`_posts`, collections with output).
fn skip_reason(path: &Path, layout: Layout, post_folders: &[String]) -> Option<String> {
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
        Layout::Jekyll if !post_folders.iter().any(|f| in_folder(f)) => Some(format!(
            "a page, not a post (Jekyll posts live in {})",
            post_folders.join(", ")
        )),
        // `_index.fr.md` is a translation's section page.
        Layout::Hugo | Layout::Zola if name.starts_with("_index.") => {
            Some("a section's index page, not a post".to_owned())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::resolve;

    #[test]
    fn relative_aliases_resolve_against_the_page() {
        assert_eq!(resolve("/posts/a/", "b"), "/posts/a/b");
        assert_eq!(resolve("/posts/a/", "../b/"), "/posts/b/");
        assert_eq!(resolve("/posts/a.html", "./b.html"), "/posts/b.html");
    }
}
