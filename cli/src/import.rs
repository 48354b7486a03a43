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

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{Context, Result};
use blog_shared::content::ReadPost;
use blog_shared::content::frontmatter;
use blog_shared::content::permalinks::{Generator, OldFile, OldSite, old_urls, with_variants};
use blog_shared::model::{MAX_SLUG_LEN, Slug};

use crate::api::{Upload, Uploader};
use crate::publish::{markdown_files_within, relative};

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
    /// Hugo's and Zola's `static/`; Jekyll serves its root itself.
    pub fn static_dirs(self) -> Vec<&'static str> {
        match self {
            Self::Jekyll => Vec::new(),
            Self::Hugo | Self::Zola => vec!["static"],
        }
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
        if has("hugo.toml") || has("hugo.yaml") || has("config.yaml") || has("archetypes") {
            return Self::Hugo;
        }
        let zola_config = std::fs::read_to_string(dir.join("config.toml")).unwrap_or_default();
        if zola_config.contains("base_url") || has("zola.toml") {
            return Self::Zola;
        }
        Self::Hugo
    }
}

/// What the importer decided for every file of a site.
pub struct Plan {
    /// Every Markdown file, in order, with what will be done with it.
    pub uploads: Vec<Upload>,
}

/// `blog import DIR`: the site in `dir` (of the layout `from` says, or the one its files
/// show) planned and, unless `dry_run`, published with the uploader `uploader` resolves to;
/// posts that name no category get `category`. Whether none failed.
pub async fn import(
    dir: &Path,
    from: Option<Layout>,
    category: Option<String>,
    dry_run: bool,
    uploader: impl Future<Output = Result<Uploader>>,
) -> Result<bool> {
    anyhow::ensure!(dir.is_dir(), "{} is not a folder", dir.display());
    let layout = from.unwrap_or_else(|| Layout::detect(dir));
    let mut uploader = uploader.await?;
    uploader.default_category = category;
    uploader.import = Some(layout.generator());
    uploader.static_dirs = layout.static_dirs();
    let plan = plan(dir, layout, &uploader)?;
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
        print_plan(&plan, &uploader);
        return Ok(true);
    }
    Ok(crate::publish::run(&uploader, plan.uploads).await)
}

/// Plans the import of the site in `dir`: every Markdown file with its slug, old addresses and
/// notes, or the reason it is skipped. `uploader` parses each post as the server will.
pub fn plan(dir: &Path, layout: Layout, uploader: &Uploader) -> Result<Plan> {
    let content_root = match layout {
        Layout::Hugo | Layout::Zola if dir.join("content").is_dir() => dir.join("content"),
        _ => dir.to_owned(),
    };
    let site = old_site(dir, layout)?;
    let mut uploads = markdown_files_within(std::slice::from_ref(&content_root), Some(dir))?;
    let mut posts: Vec<Option<ReadPost>> = Vec::with_capacity(uploads.len());
    for upload in &mut uploads {
        // The identity is the file's place in the site, whatever was given on the command line;
        // its files are looked for from the site's root too.
        upload.source_path = relative(&upload.path, dir);
        upload.root = dir.to_owned();
        upload.skip = upload
            .skip
            .take()
            .or_else(|| skip_reason(&upload.path, layout));
        if upload.skip.is_some() {
            posts.push(None);
            continue;
        }
        let text = std::fs::read_to_string(&upload.path)
            .with_context(|| format!("reading {}", upload.path.display()))?;
        // Its old addresses are worked out below, its aliases among them: parse without them.
        upload.old_paths = Some(Vec::new());
        // A file that does not parse is still uploaded: the server refuses it, by name.
        let Ok(post) = uploader.local_post(upload, &text) else {
            upload.old_paths = None;
            posts.push(None);
            continue;
        };
        if let Ok(document) = frontmatter::split(&text)
            && let Ok(meta) = frontmatter::parse(&document)
        {
            let within = relative(&upload.path, &content_root);
            let file = OldFile {
                path: &within,
                meta: &meta,
                title: &post.title,
                date: post.published,
            };
            let mut old = old_urls(&site, &file);
            let page = old.first().cloned().unwrap_or_default();
            upload.old_url = old.first().cloned();
            for alias in meta.aliases.iter().flatten() {
                let alias = alias.trim();
                // Hugo reads an alias without a leading `/` as relative to the page's URL.
                let absolute = if layout == Layout::Hugo && !alias.starts_with('/') {
                    resolve(&page, alias)
                } else {
                    alias.to_owned()
                };
                old.extend(with_variants(&blog_shared::paths::old_address(&absolute)));
            }
            old.sort();
            old.dedup();
            upload.old_paths = Some(old);
            let written = meta.authors.clone().or(meta.author.clone());
            if let Some(written) = written.map(frontmatter::OneOrMany::into_vec)
                && post.authors.len() > written.len()
            {
                upload.notes.push(format!(
                    "authors: {} read as {}",
                    written
                        .iter()
                        .map(|w| format!("\"{w}\""))
                        .collect::<Vec<_>>()
                        .join(", "),
                    post.authors.join("; ")
                ));
            }
        }
        posts.push(Some(post));
    }
    resolve_collisions(&mut uploads, &posts);
    share_old_addresses(&mut uploads, &posts);
    Ok(Plan { uploads })
}

/// Gives files that share a slug distinct ones: the earliest (by date, then path) keeps it,
/// each later one takes `{slug}-{year}`, or `{slug}-{yyyy-mm-dd}` if that is taken too, then a
/// number. Deterministic, so a second import maps every file to the same post.
fn resolve_collisions(uploads: &mut [Upload], posts: &[Option<ReadPost>]) {
    let mut by_slug: BTreeMap<&Slug, Vec<usize>> = BTreeMap::new();
    for (i, post) in posts.iter().enumerate() {
        if let Some(post) = post {
            by_slug.entry(&post.slug).or_default().push(i);
        }
    }
    let mut taken: Vec<String> = by_slug.keys().map(ToString::to_string).collect();
    let mut renamed: Vec<(usize, Slug, String)> = Vec::new();
    for (slug, mut files) in by_slug {
        if files.len() < 2 {
            continue;
        }
        files.sort_by_key(|&i| {
            let post = posts[i].as_ref().expect("only parsed posts are grouped");
            (post.published, uploads[i].source_path.clone())
        });
        let keeper = uploads[files[0]].source_path.clone();
        for &i in &files[1..] {
            let post = posts[i].as_ref().expect("only parsed posts are grouped");
            let date = post.published.date();
            // A long slug is shortened so that it and its suffix fit a slug's length.
            let with = |suffix: &str| {
                let room = MAX_SLUG_LEN.saturating_sub(suffix.len() + 1);
                let mut base: String = slug.as_str().chars().take(room).collect();
                while base.ends_with('-') {
                    base.pop();
                }
                format!("{base}-{suffix}")
            };
            let chosen = [date.year().to_string(), date.to_string()]
                .into_iter()
                .chain((2..).map(|n| format!("{date}-{n}")))
                .map(|suffix| with(&suffix))
                .find(|c| !taken.contains(c) && Slug::parse(c).is_ok())
                .expect("some numbered slug is free: the taken ones are finite");
            taken.push(chosen.clone());
            if let Ok(new) = Slug::parse(&chosen) {
                renamed.push((i, new, format!("`{slug}` is {keeper}'s")));
            }
        }
    }
    for (i, slug, why) in renamed {
        uploads[i]
            .notes
            .push(format!("renamed to `{slug}`: {why} (the earliest)"));
        uploads[i].slug = Some(slug);
    }
}

/// An old address two files claim (two posts declaring one alias; the old site served only
/// one of them) goes to the earliest by date; the later one is told, and keeps the rest.
fn share_old_addresses(uploads: &mut [Upload], posts: &[Option<ReadPost>]) {
    let mut order: Vec<usize> = (0..uploads.len()).filter(|&i| posts[i].is_some()).collect();
    order.sort_by_key(|&i| {
        let post = posts[i].as_ref().expect("filtered");
        (post.published, uploads[i].source_path.clone())
    });
    let mut owner: HashMap<String, String> = HashMap::new();
    for i in order {
        let source = uploads[i].source_path.clone();
        let mut kept = Vec::new();
        for path in uploads[i].old_paths.take().unwrap_or_default() {
            match owner.get(&path) {
                Some(first) => uploads[i]
                    .notes
                    .push(format!("old address {path} stays with {first}")),
                None => {
                    owner.insert(path.clone(), source.clone());
                    kept.push(path);
                }
            }
        }
        uploads[i].old_paths = Some(kept);
    }
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

/// What the site's configuration says about its addresses.
fn old_site(dir: &Path, layout: Layout) -> Result<OldSite> {
    let mut site = OldSite::new(layout.generator());
    match layout {
        Layout::Jekyll => {
            let config = dir.join("_config.yml");
            if config.is_file() {
                let text = read(&config)?;
                let value: serde_json::Value = serde_saphyr::from_str(&text)
                    .with_context(|| format!("{} is not YAML", config.display()))?;
                site.jekyll_permalink = value["permalink"].as_str().map(str::to_owned);
            }
        }
        Layout::Hugo => {
            let value = hugo_config(dir)?;
            if let Some(permalinks) = value.get("permalinks").and_then(|p| p.as_object()) {
                for (section, pattern) in permalinks {
                    if let Some(pattern) = pattern.as_str() {
                        site.hugo_permalinks
                            .insert(section.clone(), pattern.to_owned());
                    }
                }
            }
            let flag = |name: &str| {
                value
                    .as_object()
                    .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
                    .and_then(|(_, v)| v.as_bool())
                    .unwrap_or(false)
            };
            site.hugo_keep_case = flag("disablePathToLower");
            site.hugo_ugly_urls = flag("uglyURLs");
        }
        Layout::Zola => {}
    }
    Ok(site)
}

/// Hugo's configuration as JSON, from whichever file the site has.
fn hugo_config(dir: &Path) -> Result<serde_json::Value> {
    for name in ["hugo.toml", "config.toml"] {
        let path = dir.join(name);
        if path.is_file() {
            let table: toml::Table = toml::from_str(&read(&path)?)
                .with_context(|| format!("{} is not TOML", path.display()))?;
            return serde_json::to_value(table).context("reading Hugo's configuration");
        }
    }
    for name in ["hugo.yaml", "config.yaml", "hugo.yml", "config.yml"] {
        let path = dir.join(name);
        if path.is_file() {
            return serde_saphyr::from_str(&read(&path)?)
                .with_context(|| format!("{} is not YAML", path.display()));
        }
    }
    Ok(serde_json::Value::Null)
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
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

/// Prints the plan: every file with its slug, renamings, old addresses, or why it is skipped.
pub fn print_plan(plan: &Plan, uploader: &Uploader) {
    for upload in &plan.uploads {
        let path = upload.path.display();
        if let Some(reason) = &upload.skip {
            println!("skip       {path}: {reason}");
            continue;
        }
        let text = std::fs::read_to_string(&upload.path).unwrap_or_default();
        let post = match uploader.local_post(upload, &text) {
            Ok(post) => post,
            Err(error) => {
                let reason = blog_shared::report::report(error.as_ref());
                println!("would fail {path}: {reason}");
                continue;
            }
        };
        println!("publish    {path} → /posts/{}", post.slug);
        for note in &upload.notes {
            println!("           {note}");
        }
        for old in post.aliases.iter().chain(post.old_paths.iter().flatten()) {
            println!("           old address {old}");
        }
    }
    let skipped = plan.uploads.iter().filter(|u| u.skip.is_some()).count();
    println!(
        "{} files: {} to publish, {skipped} skipped; nothing was written (dry run)",
        plan.uploads.len(),
        plan.uploads.len() - skipped
    );
}

#[cfg(test)]
mod tests {
    use super::resolve;
    use crate::api::Upload;
    use blog_shared::content::{Origin, ReadPost, read_post};

    #[test]
    fn long_shared_slugs_are_shortened_to_take_their_date() {
        let title = "word ".repeat(30);
        let source = |date: &str| format!("---\ntitle: \"{title}\"\ndate: {date}\n---\nx\n");
        let posts: Vec<Option<ReadPost>> = ["2020-01-01", "2021-01-01", "2021-01-01"]
            .iter()
            .map(|d| Some(read_post(&source(d), &Origin::default()).unwrap()))
            .collect();
        let mut uploads: Vec<Upload> = (0..3)
            .map(|i| Upload {
                source_path: format!("p{i}.md"),
                ..Upload::default()
            })
            .collect();
        super::resolve_collisions(&mut uploads, &posts);
        let slugs: Vec<String> = uploads
            .iter()
            .map(|u| u.slug.as_ref().map(ToString::to_string).unwrap_or_default())
            .collect();
        assert_eq!(slugs[0], "", "the earliest keeps it");
        assert!(
            slugs[1].ends_with("-2021") && slugs[1].len() <= 100,
            "{slugs:?}"
        );
        assert!(
            slugs[2].ends_with("-2021-01-01") && slugs[2].len() <= 100,
            "{slugs:?}"
        );
    }

    #[test]
    fn relative_aliases_resolve_against_the_page() {
        assert_eq!(resolve("/posts/a/", "b"), "/posts/a/b");
        assert_eq!(resolve("/posts/a/", "../b/"), "/posts/b/");
        assert_eq!(resolve("/posts/a.html", "./b.html"), "/posts/b.html");
    }
}
