//! Posts through the API: the post a file makes, parsed here as the server will parse it; a
//! create, and on a 409 for the very same post (its `id` or source file), an update with the
//! version the 409 named; never another post that holds the slug.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use blog_shared::content::{Origin, ReadPost, read_post};
use blog_shared::http::ingest::{
    DEFAULT_CATEGORY_HEADER, HolderDocument, IMPORT_FORMAT_HEADER, OLD_PATHS_HEADER, PostUpload,
    ProblemDocument, SLUG_HEADER, SOURCE_HEADER, Written, encode_source_path,
};
use blog_shared::model::{Identity, Slug};
use blog_shared::paths;

use super::{MissingFiles, Uploader, refusal};
use crate::prepare::{MARKDOWN_EXTENSIONS, MissingFile, PostMedia, Roots, prepare_post};

/// One file to publish, and what the publisher decided about it beforehand.
#[derive(Debug, Clone, Default)]
pub struct Upload {
    /// The file.
    pub path: PathBuf,
    /// Its path within the folder published (`_posts/2015-05-15-Release-2.0.md`): with an
    /// `id:`, what makes it the same post on every run.
    pub source_path: String,
    /// The slug the importer gave it, resolving a collision.
    pub slug: Option<Slug>,
    /// Every address it had on its old site, its aliases among them (an import's), which then
    /// stand for its front matter's `aliases`.
    pub old_paths: Option<Vec<String>>,
    /// The folder it was published from (the site's root, on import): where its files are
    /// looked for, and what their paths are relative to.
    pub root: PathBuf,
    /// Its address on the old site (import), for files referenced relative to it.
    pub old_url: Option<String>,
    /// Why it is not published, if it is not.
    pub skip: Option<String>,
    /// Why it is refused before it is sent (an import's file with no date anywhere): it
    /// counts as failed.
    pub refused: Option<String>,
    /// What the importer made of it that the author should know (a renaming, split authors).
    pub notes: Vec<String>,
    /// The Markdown to send, when the importer translated the file into the blog's own
    /// (front matter filled, shortcodes and links rewritten); else the file is sent as it is.
    pub text: Option<String>,
}

impl Upload {
    /// What is sent: the translated Markdown, or the file's bytes as they are.
    pub fn bytes(&self) -> Result<Vec<u8>> {
        match &self.text {
            Some(text) => Ok(text.clone().into_bytes()),
            None => std::fs::read(&self.path)
                .with_context(|| format!("reading {}", self.path.display())),
        }
    }
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new post, at this URL.
    Created(String),
    /// An existing post, changed, at this URL.
    Updated(String),
    /// Already there with this content.
    Unchanged(String),
    /// Not a post of the blog; left alone, for this reason.
    Skipped(String),
    /// Refused or failed, for this reason.
    Failed(String),
}

/// The URL of the post a write stored, saying so when the CDN could not be told of it.
async fn written_url(response: reqwest::Response) -> reqwest::Result<String> {
    let written = response.json::<Written>().await?;
    if let Some(warning) = written.cdn_warning {
        eprintln!("warning: {}: {warning}", written.url);
    }
    Ok(written.url)
}

impl Uploader {
    /// The post `upload` makes, parsed here as the server will parse it.
    pub fn local_post(&self, upload: &Upload, text: &str) -> Result<ReadPost> {
        let name = upload_name(&upload.path);
        let origin = Origin {
            file_name: Some(&name),
            source_path: Some(&upload.source_path),
            default_category: self.default_category.as_deref(),
            import: self.import,
            assigned_slug: upload.slug.as_ref(),
            old_paths: upload.old_paths.as_deref(),
            slug: None,
            media: &[],
        };
        read_post(text, &origin).map_err(anyhow::Error::from)
    }

    /// Where the files of the post in `upload` are looked for.
    pub fn roots(&self, upload: &Upload) -> Roots {
        Roots {
            site: upload.root.clone(),
            statics: self
                .static_dirs
                .iter()
                .map(|d| upload.root.join(d))
                .collect(),
            base: self.base_path.clone(),
            served: self.served_dirs.clone(),
        }
    }

    /// Creates the post in `upload`, or updates it if it is stored with other content; with
    /// the files it references that the folder does not hold, if it was published all the same.
    pub async fn upload(&self, upload: &Upload) -> (Outcome, Vec<MissingFile>) {
        let mut missing = Vec::new();
        match self.try_upload(upload, &mut missing).await {
            Ok(outcome) => (outcome, missing),
            Err(error) => (
                Outcome::Failed(blog_shared::report::report(error.as_ref())),
                Vec::new(),
            ),
        }
    }

    async fn try_upload(&self, upload: &Upload, missing: &mut Vec<MissingFile>) -> Result<Outcome> {
        let file = upload.bytes()?;
        // A file that is not UTF-8 is sent as it is: the server refuses it, saying where.
        let mut media = match std::str::from_utf8(&file) {
            Ok(text) => {
                let roots = self.roots(upload);
                let path = upload.path.clone();
                let (text, old_url) = (text.to_owned(), upload.old_url.clone());
                tokio::task::spawn_blocking(move || {
                    prepare_post(&path, &text, old_url.as_deref(), &roots)
                })
                .await
                .context("preparing the post's files")??
            }
            Err(_) => PostMedia::default(),
        };
        if let MissingFiles::Refuse(anyway) = self.missing_files
            && !media.missing.is_empty()
        {
            let all: Vec<String> = media.missing.iter().map(ToString::to_string).collect();
            anyhow::bail!("{} ({anyway})", all.join("; "));
        }
        *missing = std::mem::take(&mut media.missing);
        self.store_files(&media).await?;
        let json = !media.refs.is_empty();
        let body = if !json {
            file
        } else {
            serde_json::to_vec(&PostUpload {
                markdown: String::from_utf8(file).context("the post is not UTF-8")?,
                media: media.refs,
            })
            .context("describing the post")?
        };
        let response = self
            .send(http::Method::POST, paths::POSTS, &body, json, upload, None)
            .await?;
        match response.status().as_u16() {
            201 => Ok(Outcome::Created(written_url(response).await?)),
            200 => Ok(Outcome::Unchanged(written_url(response).await?)),
            409 => {
                let etag = response.headers().get(http::header::ETAG).cloned();
                let problem: ProblemDocument =
                    response.json().await.context("reading the conflict")?;
                let (Some(etag), Some(slug), Some(holder)) = (etag, problem.slug, problem.holder)
                else {
                    anyhow::bail!("{}", problem.detail);
                };
                // The slug is held: update it only if it is this very post.
                let text = String::from_utf8(upload.bytes()?).context("the post is not UTF-8")?;
                let mine = self.local_post(upload, &text)?;
                if !is_same_post(&mine, &holder) {
                    anyhow::bail!(
                        "the slug `{slug}` belongs to another post, \"{}\" ({}), published from {}; give this file a `slug:` of its own in its front matter (or the same `id:` as that post, if it is that post moved)",
                        holder.title,
                        holder.published.get(..10).unwrap_or(&holder.published),
                        Identity {
                            id: holder.id.clone(),
                            source_path: holder.source_path.clone()
                        }
                        .describe()
                    );
                }
                if !self.replace && replaces(&mine, &holder) {
                    anyhow::bail!(
                        "{} would replace the post `{slug}`, \"{}\" ({}{}), published from {}, with another title, date and authors; publish with --replace if that is meant, or give this file a `slug:` of its own",
                        upload.source_path,
                        holder.title,
                        holder.published.get(..10).unwrap_or(&holder.published),
                        if holder.authors.is_empty() {
                            String::new()
                        } else {
                            format!(", by {}", holder.authors.join(", "))
                        },
                        Identity {
                            id: holder.id.clone(),
                            source_path: holder.source_path.clone()
                        }
                        .describe()
                    );
                }
                let etag = etag.to_str().context("an unreadable ETag")?.to_owned();
                let response = self
                    .send(
                        http::Method::PUT,
                        &paths::post(&Slug::parse(&slug).with_context(|| {
                            format!("the blog named a slug it cannot have: {slug:?}")
                        })?),
                        &body,
                        json,
                        upload,
                        Some(&etag),
                    )
                    .await?;
                match response.status().as_u16() {
                    200 => Ok(Outcome::Updated(written_url(response).await?)),
                    412 => anyhow::bail!(
                        "someone else changed the post while it was uploading; run publish again"
                    ),
                    _ => Err(refusal(response).await),
                }
            }
            _ => Err(refusal(response).await),
        }
    }

    async fn send(
        &self,
        method: http::Method,
        path: &str,
        body: &[u8],
        json: bool,
        upload: &Upload,
        if_match: Option<&str>,
    ) -> Result<reqwest::Response> {
        // A post that uses files goes as JSON: its Markdown, and the files as stored.
        let content_type = if json {
            "application/json"
        } else {
            "text/markdown; charset=utf-8"
        };
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.endpoint))
            .header(http::header::CONTENT_TYPE, content_type)
            .header(
                http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", upload_name(&upload.path)),
            )
            .header(SOURCE_HEADER, encode_source_path(&upload.source_path));
        if let Some(etag) = if_match {
            request = request.header(http::header::IF_MATCH, etag);
        }
        if let Some(category) = &self.default_category {
            request = request.header(DEFAULT_CATEGORY_HEADER, category);
        }
        if let Some(generator) = self.import {
            request = request.header(IMPORT_FORMAT_HEADER, generator.name());
        }
        if let Some(slug) = &upload.slug {
            request = request.header(SLUG_HEADER, slug.as_str());
        }
        if let Some(old_paths) = &upload.old_paths {
            request = request.header(OLD_PATHS_HEADER, old_paths.join(" "));
        }
        let request = request
            .body(body.to_vec())
            .context("building the request")?;
        self.execute(request).await
    }
}

/// Whether the post a file makes is the one holding its slug: the same `id`, the same source
/// file; for a post stored before sources were recorded, the same title and date.
fn is_same_post(mine: &ReadPost, holder: &HolderDocument) -> bool {
    let theirs = Identity {
        id: holder.id.clone(),
        source_path: holder.source_path.clone(),
    };
    match mine.identity().same_post(&theirs) {
        Some(same) => same,
        None => {
            theirs.is_unknown()
                && holder.title == mine.title
                && holder.published == blog_shared::dates::rfc3339(mine.published)
        }
    }
}

/// Whether the post a file makes changes the stored one's title, date and authors all at once:
/// another post that merely shares a file's path (`hello-world.md` in two authors' folders),
/// not an edit. Authors that one side does not name do not make the two the same post.
fn replaces(mine: &ReadPost, holder: &HolderDocument) -> bool {
    let authors_differ =
        holder.authors.is_empty() || mine.authors.is_empty() || holder.authors != mine.authors;
    holder.title != mine.title
        && holder.published != blog_shared::dates::rfc3339(mine.published)
        && authors_differ
}

/// The file name the server sees: a Hugo page bundle (`my-post/index.md`, `index.fr.md`,
/// `index.markdown`) is named for its folder.
pub fn upload_name(path: &Path) -> String {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("post.md");
    if name
        .strip_prefix("index.")
        .and_then(|rest| rest.rsplit('.').next())
        .is_some_and(|extension| MARKDOWN_EXTENSIONS.contains(&extension))
        && let Some(folder) = path
            .parent()
            .and_then(Path::file_name)
            .and_then(|n| n.to_str())
    {
        return format!("{folder}.md");
    }
    name.replace('"', "")
}
