//! The plan of an import, made in two passes over the site's Markdown files. The first reads
//! each file's front matter as the old site did (its date, authors, excerpt), parses the post
//! as the server will and works out every address the old site served it at; then slugs and
//! old addresses are shared out between files. The second, knowing every post's new URL,
//! translates each body: template syntax replaced, links between posts rewritten.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{Context, Result};
use blog_shared::content::ReadPost;
use blog_shared::content::frontmatter;
use blog_shared::paths;

use super::authors::AuthorMap;
use super::dates::DateSource;
use super::links::Targets;
use super::site::{OldPost, OldSite};
use super::translate::{self, Front};
use super::{Layout, shortcodes, site, skip_reason, slugs};
use crate::api::{Upload, Uploader};
use crate::publish::{markdown_files_within, relative};

/// What the importer decided for every file of a site.
pub struct Plan {
    /// Every Markdown file, in order, with what will be done with it.
    pub uploads: Vec<Upload>,
    /// What was read of each, in the same order.
    pub reports: Vec<Report>,
}

/// What the importer read of one file, for the dry run and the summary.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Where its date came from, when the importer wrote it in.
    pub date_from: Option<DateSource>,
    /// Each author string as written, and the names it was read as.
    pub authors: Vec<(String, Vec<String>)>,
    /// Shortcodes and tags replaced, and how often.
    pub replaced: BTreeMap<String, usize>,
    /// Shortcodes and tags not known, removed from the page, and how often.
    pub unknown: BTreeMap<String, usize>,
    /// How many links now lead to a post's new URL.
    pub links_rewritten: usize,
    /// Links to the old site's pages no imported post had, kept as written.
    pub links_kept: Vec<String>,
}

/// One file after the first pass.
struct Read {
    front: Front,
    post: ReadPost,
}

/// Plans the import of the site in `dir`: every Markdown file with its slug, old addresses,
/// translated text and notes, or the reason it is skipped or refused. `uploader` parses each
/// post as the server will; `authors` maps the site's author strings where the reading is wrong.
pub fn plan(dir: &Path, layout: Layout, uploader: &Uploader, authors: &AuthorMap) -> Result<Plan> {
    let site = OldSite::read(dir, layout)?;
    let content_roots = site.content_roots(dir);
    let config = site::config(dir, layout)?;
    let post_folders = site.post_folders();
    // Each folder walked once: a language's content folder may lie inside the site's.
    let walked: Vec<std::path::PathBuf> = content_roots
        .iter()
        .filter(|r| !content_roots.iter().any(|o| o != *r && r.starts_with(o)))
        .cloned()
        .collect();
    let mut uploads = markdown_files_within(&walked, Some(dir))?;
    let mut reports = vec![Report::default(); uploads.len()];
    let mut read: Vec<Option<Read>> = Vec::with_capacity(uploads.len());
    for (upload, report) in uploads.iter_mut().zip(&mut reports) {
        // The identity is the file's place in the site, whatever was given on the command line;
        // its files are looked for from the site's root too.
        upload.source_path = relative(&upload.path, dir);
        upload.root = dir.to_owned();
        upload.skip = upload
            .skip
            .take()
            .or_else(|| skip_reason(&upload.path, layout, &post_folders));
        if upload.skip.is_some() {
            read.push(None);
            continue;
        }
        let text = std::fs::read_to_string(&upload.path)
            .with_context(|| format!("reading {}", upload.path.display()))?;
        // A file whose front matter cannot be read, or that has no date anywhere, is refused
        // here, naming why: it is never sent untranslated.
        let front = match Front::read(&text, &upload.path, layout, &config, authors) {
            Ok(front) => front,
            Err(error) => {
                upload.refused = Some(blog_shared::report::report(error.as_ref()));
                read.push(None);
                continue;
            }
        };
        report.date_from = front.date_from.clone();
        report.authors = front.authors.clone();
        let translated = front.to_markdown(&front.body)?;
        // Its old addresses are worked out below, its aliases among them: parse without them.
        upload.old_paths = Some(Vec::new());
        upload.text = Some(translated.clone());
        let Ok(post) = uploader.local_post(upload, &translated) else {
            upload.old_paths = None;
            read.push(None);
            continue;
        };
        let meta = frontmatter::split(&translated)
            .ok()
            .and_then(|d| frontmatter::parse(&d).ok())
            .unwrap_or_default();
        let mut old = site.addresses(&OldPost {
            file: &upload.path,
            site: dir,
            meta: &meta,
            title: &post.title,
            date: post.published,
            date_has_offset: written_with_offset(&text),
        });
        let page = old.first().cloned().unwrap_or_default();
        upload.old_url = old.first().cloned();
        for alias in meta.aliases.iter().flatten() {
            old.extend(site.alias(&page, &meta, alias));
        }
        old.sort();
        old.dedup();
        upload.old_paths = Some(old);
        read.push(Some(Read { front, post }));
    }
    let posts: Vec<Option<ReadPost>> = read
        .iter()
        .map(|r| r.as_ref().map(|r| r.post.clone()))
        .collect();
    slugs::resolve_collisions(&mut uploads, &posts);
    slugs::share_old_addresses(&mut uploads, &posts, site.later_keeps_alias());
    slugs::avoid_old_addresses(&mut uploads, &posts);
    translate_bodies(
        &mut uploads,
        &mut reports,
        &read,
        &posts,
        &content_roots,
        &site,
        &config,
    )?;
    Ok(Plan { uploads, reports })
}

/// The second pass: every body translated, knowing every post's new URL.
fn translate_bodies(
    uploads: &mut [Upload],
    reports: &mut [Report],
    read: &[Option<Read>],
    posts: &[Option<ReadPost>],
    content_roots: &[std::path::PathBuf],
    site: &OldSite,
    config: &serde_json::Value,
) -> Result<()> {
    let layout = site.layout();
    let mut by_address: HashMap<String, String> = HashMap::new();
    let mut refs = RefNames::default();
    for i in 0..uploads.len() {
        let Some(slug) = slugs::slug_of(uploads, posts, i).filter(|_| read[i].is_some()) else {
            continue;
        };
        let url = paths::post(&slug);
        for old in uploads[i].old_paths.iter().flatten() {
            by_address.insert(old.clone(), url.clone());
        }
        refs.add(
            "",
            &relative(
                &uploads[i].path,
                content_root(content_roots, &uploads[i].path),
            ),
            &uploads[i].source_path,
            &url,
        );
        // Hugo's `ref` from a page names a translated page without its language, and leads
        // to the page of its own language.
        if let Some((language, path)) = site.language(&uploads[i].path) {
            refs.add(&scope(&language), &path, &path, &url);
        }
    }
    let by_source = refs.unambiguous();
    let bases = site::base_urls(config);
    for (i, file) in read.iter().enumerate() {
        let Some(Read { front, .. }) = file else {
            continue;
        };
        let lookup = |name: &str| translate::lookup(&front.meta, config, name);
        let language = site.language(&uploads[i].path).map(|(l, _)| scope(&l));
        let post_url = |target: &str| {
            let (path, fragment) = target.split_once('#').unwrap_or((target, ""));
            let path = path.trim().trim_start_matches('/');
            let url = language
                .as_ref()
                .and_then(|scope| by_source.get(&format!("{scope}{path}")))
                .or_else(|| by_source.get(path))?;
            Some(if fragment.is_empty() {
                url.clone()
            } else {
                format!("{url}#{fragment}")
            })
        };
        let context = shortcodes::Context {
            lookup: &lookup,
            post_url: &post_url,
        };
        let targets = Targets {
            by_address: &by_address,
            by_source: &by_source,
            page: uploads[i].old_url.as_deref(),
            bases: &bases,
        };
        let body = translate::body(&front.body, layout, &context, &targets);
        uploads[i].text = Some(front.to_markdown(&body.text)?);
        let report = &mut reports[i];
        report.replaced = body.replaced;
        report.unknown = body.unknown;
        report.links_rewritten = body.links_rewritten;
        report.links_kept = body.links_kept;
    }
    Ok(())
}

/// The names a post's source file goes by in the old site's own references: its path within
/// the content folder and within the site, each with and without its extension, its file
/// name's stem (what Jekyll's `post_url` names) and a page bundle's folder. A name two files
/// share names neither.
#[derive(Default)]
struct RefNames(HashMap<String, Option<String>>);

impl RefNames {
    /// The names of the post at `url`, each after `scope` (a language's, for names that lead
    /// within it; empty for names that lead from anywhere).
    fn add(&mut self, scope: &str, within_content: &str, within_site: &str, url: &str) {
        let mut names = Vec::new();
        for path in [within_content, within_site] {
            names.push(path.to_owned());
            if let Some((stem, _)) = path.rsplit_once('.') {
                names.push(stem.to_owned());
                let stem = stem
                    .strip_suffix("/index")
                    .or_else(|| stem.strip_suffix("/_index"))
                    .unwrap_or(stem);
                names.push(stem.to_owned());
                if let Some((_, last)) = stem.rsplit_once('/') {
                    names.push(last.to_owned());
                }
            }
        }
        if let Some(name) = within_content.rsplit('/').next() {
            names.push(name.to_owned());
        }
        names.sort();
        names.dedup();
        for name in names.into_iter().map(|n| format!("{scope}{n}")) {
            self.0
                .entry(name)
                .and_modify(|held| {
                    if held.as_deref() != Some(url) {
                        *held = None;
                    }
                })
                .or_insert_with(|| Some(url.to_owned()));
        }
    }

    fn unambiguous(self) -> HashMap<String, String> {
        self.0
            .into_iter()
            .filter_map(|(name, url)| url.map(|url| (name, url)))
            .collect()
    }
}

/// The content folder `file` is in (a Hugo language's own, or the site's).
fn content_root<'a>(roots: &'a [std::path::PathBuf], file: &'a Path) -> &'a Path {
    roots
        .iter()
        .filter(|r| file.starts_with(r))
        .max_by_key(|r| r.components().count())
        .or(roots.first())
        .map_or(file, |r| r.as_path())
}

/// Whether the front matter of `source` gives its date with an offset (`+0000`, `Z`): a date
/// without one (or taken from the file name) is the old site's local time already.
fn written_with_offset(source: &str) -> bool {
    let date = frontmatter::split(source)
        .ok()
        .and_then(|d| frontmatter::value(&d).ok())
        .and_then(|v| v.get("date").and_then(|d| d.as_str()).map(str::to_owned));
    date.is_some_and(|d| super::dates::has_offset(&d))
}

/// The scope of a language's names in [`RefNames`].
fn scope(language: &str) -> String {
    format!("{language}\u{0}")
}
