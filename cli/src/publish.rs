//! `blog publish` and the upload half of `blog import`: send Markdown files through the ingest
//! API, creating new posts, updating the ones they are (never another post that holds the same
//! slug), leaving unchanged ones alone, then say what happened to every file.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use blog_shared::content::permalinks::Generator;
use blog_shared::content::{Origin, parse_post_from};
use blog_shared::http::ingest::{
    DEFAULT_CATEGORY_HEADER, HolderDocument, IMPORT_FORMAT_HEADER, OLD_PATHS_HEADER, PostUpload,
    ProblemDocument, SLUG_HEADER, SOURCE_HEADER, SlotAnswer, SlotRequest, Written,
    encode_source_path,
};
use blog_shared::model::{Identity, Post, Slug};
use blog_shared::paths;
use indicatif::{ProgressBar, ProgressStyle};

use crate::auth::Credentials;
use crate::prepare::{PostMedia, Roots, prepare_post};

/// Where and how to upload.
pub struct Uploader {
    http: reqwest::Client,
    endpoint: String,
    credentials: Credentials,
    /// Given to posts that name no category (`blog import --category`).
    pub default_category: Option<String>,
    /// The generator the files were written for, on import.
    pub import: Option<Generator>,
    /// Where site-root paths (`/images/x.png`) are looked for, within each upload's root:
    /// `static/` (Hugo, Zola, and a plain folder), or the root alone (Jekyll).
    pub static_dirs: Vec<&'static str>,
    /// What the files' uploads came to: (files uploaded, their bytes, files already stored).
    transferred: std::sync::Mutex<(usize, u64, usize)>,
}

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
    /// What the importer made of it that the author should know (a renaming, split authors).
    pub notes: Vec<String>,
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
    /// An uploader to the blog at `endpoint` (its base URL, like `https://….execute-api….amazonaws.com`).
    pub fn new(endpoint: &str, credentials: Credentials) -> Result<Self> {
        let endpoint = endpoint.trim_end_matches('/').to_owned();
        anyhow::ensure!(
            endpoint.starts_with("http://") || endpoint.starts_with("https://"),
            "--endpoint must be the blog's URL, like https://abc123.execute-api.eu-west-1.amazonaws.com"
        );
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("blog-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the HTTP client")?;
        Ok(Self {
            http,
            endpoint,
            credentials,
            default_category: None,
            import: None,
            static_dirs: vec!["static"],
            transferred: std::sync::Mutex::default(),
        })
    }

    /// What the files' uploads came to so far: (files uploaded, their bytes, files that were
    /// already stored).
    pub fn transferred(&self) -> (usize, u64, usize) {
        *self
            .transferred
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `POST /media` for every file `media` holds: the blog checks and records the files
    /// uploaded since it was last asked, and answers, in order, which are stored and where to
    /// upload the others.
    async fn ask_about_files(&self, media: &PostMedia) -> Result<SlotAnswer> {
        let request = SlotRequest {
            files: media.files.iter().map(|p| p.file.clone()).collect(),
        };
        let body = serde_json::to_vec(&request).context("describing the files")?;
        let request = http::Request::builder()
            .method(http::Method::POST)
            .uri(format!("{}{}", self.endpoint, paths::MEDIA))
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(body)
            .context("building the request")?;
        let response = self.execute(request).await?;
        if !response.status().is_success() {
            return Err(refusal(response).await);
        }
        let answer: SlotAnswer = response.json().await.context("reading the answer")?;
        // Zipping would silently skip the files a short answer leaves out.
        anyhow::ensure!(
            answer.files.len() == media.files.len(),
            "the blog answered for {} files, but {} were asked about",
            answer.files.len(),
            media.files.len()
        );
        for (prepared, slot) in media.files.iter().zip(&answer.files) {
            anyhow::ensure!(
                slot.sha256 == prepared.file.sha256 && slot.name == prepared.file.name,
                "the blog answered for other files than were asked about"
            );
        }
        Ok(answer)
    }

    /// Stores every file `media` holds that the blog does not have yet: asks for upload slots
    /// (`POST /media`), sends each file's bytes to its slot, as the slot says, then asks again,
    /// so that the blog checks what arrived: every file must then be stored.
    async fn store_files(&self, media: &PostMedia) -> Result<()> {
        if media.files.is_empty() {
            return Ok(());
        }
        let answer = self
            .ask_about_files(media)
            .await
            .context("asking for upload slots")?;
        let (mut uploaded, mut bytes, mut stored) = (0, 0, 0);
        for (prepared, slot) in media.files.iter().zip(&answer.files) {
            let Some(upload) = &slot.upload else {
                stored += 1;
                continue;
            };
            let method = http::Method::from_bytes(upload.method.as_bytes())
                .context("an upload slot with no method")?;
            // A slot carries its own authorisation (a presigned URL): sent as it is, unsigned.
            let mut request = self.http.request(method, &upload.url);
            for (name, value) in &upload.headers {
                request = request.header(name, value);
            }
            let response = request
                .body(prepared.bytes.clone())
                .send()
                .await
                .with_context(|| format!("uploading {}", prepared.file.name))?;
            if !response.status().is_success() {
                return Err(refusal(response)
                    .await
                    .context(format!("uploading {}", prepared.file.name)));
            }
            uploaded += 1;
            bytes += prepared.bytes.len() as u64;
        }
        if uploaded > 0 {
            let answer = self
                .ask_about_files(media)
                .await
                .context("having the uploaded files checked")?;
            let unchecked: Vec<&str> = answer
                .files
                .iter()
                .filter(|f| !f.stored)
                .map(|f| f.name.as_str())
                .collect();
            anyhow::ensure!(
                unchecked.is_empty(),
                "the blog did not find the uploads of {}",
                unchecked.join(", ")
            );
        }
        let mut total = self
            .transferred
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        total.0 += uploaded;
        total.1 += bytes;
        total.2 += stored;
        Ok(())
    }

    /// The blog's base URL.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The plain HTTP client: requests sent through it are neither signed nor carry the
    /// token, and it follows redirects (reqwest's default policy, at most 10).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The post `upload` makes, parsed here as the server will parse it.
    pub fn local_post(&self, upload: &Upload, text: &str) -> Result<Post> {
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
        parse_post_from(text, &origin).map_err(anyhow::Error::from)
    }

    /// Creates the post in `upload`, or updates it if it is stored with other content.
    pub async fn upload(&self, upload: &Upload) -> Outcome {
        match self.try_upload(upload).await {
            Ok(outcome) => outcome,
            Err(error) => Outcome::Failed(blog_shared::report::report(error.as_ref())),
        }
    }

    async fn try_upload(&self, upload: &Upload) -> Result<Outcome> {
        let file = std::fs::read(&upload.path)
            .with_context(|| format!("reading {}", upload.path.display()))?;
        // A file that is not UTF-8 is sent as it is: the server refuses it, saying where.
        let media = match std::str::from_utf8(&file) {
            Ok(text) => {
                let roots = Roots {
                    site: upload.root.clone(),
                    statics: self
                        .static_dirs
                        .iter()
                        .map(|d| upload.root.join(d))
                        .collect(),
                };
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
                let text = std::fs::read_to_string(&upload.path)
                    .with_context(|| format!("reading {}", upload.path.display()))?;
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

    /// Sends `request`, signed or with the token.
    pub async fn execute(&self, mut request: http::Request<Vec<u8>>) -> Result<reqwest::Response> {
        self.credentials.apply(&mut request)?;
        let request = reqwest::Request::try_from(request).context("building the request")?;
        self.http
            .execute(request)
            .await
            .with_context(|| format!("cannot reach {}", self.endpoint))
    }
}

/// Whether the post a file makes is the one holding its slug: the same `id`, the same source
/// file; for a post stored before sources were recorded, the same title and date.
fn is_same_post(mine: &Post, holder: &HolderDocument) -> bool {
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

/// The file name the server sees: a Hugo page bundle (`my-post/index.md`) is named for its folder.
pub fn upload_name(path: &Path) -> String {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("post.md");
    if (name == "index.md" || name == "index.markdown")
        && let Some(folder) = path
            .parent()
            .and_then(Path::file_name)
            .and_then(|n| n.to_str())
    {
        return format!("{folder}.md");
    }
    name.replace('"', "")
}

/// Turns a refused request into an error saying why.
pub async fn refusal(response: reqwest::Response) -> anyhow::Error {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let reason = serde_json::from_str::<ProblemDocument>(&text)
        .map(|p| p.detail)
        .unwrap_or(text);
    anyhow::anyhow!(
        "{} {}: {reason}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )
}

/// Every Markdown file under `paths` (files as given, folders walked), in a stable order, each
/// with its path within what was given: a folder's files relative to it, a file by its name
/// (a page bundle's `index.md` with its folder's).
pub fn markdown_files(paths: &[PathBuf]) -> Result<Vec<Upload>> {
    let mut uploads = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files)?;
            for (file, skip) in files {
                let source_path = relative(&file, path);
                uploads.push(Upload {
                    path: file,
                    source_path,
                    root: path.clone(),
                    skip,
                    ..Upload::default()
                });
            }
        } else if path.is_file() {
            let name = upload_name(path);
            let source_path = if name == file_name(path) {
                name
            } else {
                format!("{}/{}", file_stem(&name), file_name(path))
            };
            uploads.push(Upload {
                path: path.clone(),
                source_path,
                root: path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .map_or_else(|| PathBuf::from("."), Path::to_owned),
                ..Upload::default()
            });
        } else {
            anyhow::bail!("{} is neither a file nor a folder", path.display());
        }
    }
    Ok(uploads)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned()
}

fn file_stem(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}

/// `file`'s path below `root`, `/`-separated.
pub fn relative(file: &Path, root: &Path) -> String {
    let within = file.strip_prefix(root).unwrap_or(file);
    within
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Why a file or folder found in a walk is not read.
pub type SkipReason = Option<String>;

/// Every Markdown file below `dir`, hidden ones left out, in name order, each with the reason
/// it is skipped, if it is. A folder is walked only where it really is below `dir`: a symbolic
/// link to a folder is not followed (it could lead out of the folder, or back into it for
/// ever), and a symbolic link to a file is read only when the file is inside `dir`; each link
/// left is listed with why, so that the summary accounts for it.
pub fn walk(dir: &Path, files: &mut Vec<(PathBuf, SkipReason)>) -> Result<()> {
    let inside = std::fs::canonicalize(dir)
        .with_context(|| format!("resolving the folder {}", dir.display()))?;
    walk_inside(dir, &inside, files)
}

fn walk_inside(dir: &Path, inside: &Path, files: &mut Vec<(PathBuf, SkipReason)>) -> Result<()> {
    let mut entries = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("reading {}", dir.display()))?;
    entries.sort();
    for path in entries {
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        let link = std::fs::symlink_metadata(&path)
            .with_context(|| format!("reading {}", path.display()))?
            .file_type()
            .is_symlink();
        let markdown = path
            .extension()
            .is_some_and(|e| e == "md" || e == "markdown");
        if link {
            let target = std::fs::canonicalize(&path);
            let skip = match &target {
                Err(_) if markdown => Some("symbolic link that leads nowhere".to_owned()),
                Err(_) => None,
                Ok(real) if real.is_dir() => Some(format!(
                    "symbolic link to a folder, not followed (to {})",
                    real.display()
                )),
                Ok(_) if !markdown => None,
                Ok(real) if !real.starts_with(inside) => Some(format!(
                    "symbolic link out of the folder (to {})",
                    real.display()
                )),
                Ok(_) => {
                    files.push((path, None));
                    continue;
                }
            };
            if let Some(reason) = skip {
                files.push((path, Some(reason)));
            }
        } else if path.is_dir() {
            walk_inside(&path, inside, files)?;
        } else if markdown {
            files.push((path, None));
        }
    }
    Ok(())
}

/// Uploads every file one by one with a progress bar when there are several, and prints what
/// happened to each and a summary that accounts for every file. Returns whether none failed.
pub async fn run(uploader: &Uploader, uploads: Vec<Upload>) -> bool {
    let started = Instant::now();
    let bar = if uploads.len() > 1 {
        let bar = ProgressBar::new(uploads.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut results = Vec::with_capacity(uploads.len());
    for upload in uploads {
        bar.set_message(upload.path.display().to_string());
        let outcome = match &upload.skip {
            Some(reason) => Outcome::Skipped(reason.clone()),
            None => uploader.upload(&upload).await,
        };
        bar.inc(1);
        results.push((upload, outcome));
    }
    bar.finish_and_clear();
    let (uploaded, bytes, stored) = uploader.transferred();
    if uploaded + stored > 0 {
        println!("files: {uploaded} uploaded ({bytes} bytes), {stored} already stored");
    }
    print_summary(&results, started.elapsed());
    !results.iter().any(|(_, o)| matches!(o, Outcome::Failed(_)))
}

fn print_summary(results: &[(Upload, Outcome)], elapsed: Duration) {
    for (upload, outcome) in results {
        let path = upload.path.display();
        match outcome {
            Outcome::Created(url) => println!("created    {path} → {url}"),
            Outcome::Updated(url) => println!("updated    {path} → {url}"),
            Outcome::Unchanged(url) => println!("unchanged  {path} → {url}"),
            Outcome::Skipped(reason) => println!("skipped    {path}: {reason}"),
            Outcome::Failed(reason) => println!("FAILED     {path}: {reason}"),
        }
        if !matches!(outcome, Outcome::Skipped(_)) {
            for note in &upload.notes {
                println!("           {note}");
            }
        }
    }
    let outcomes: Vec<&Outcome> = results.iter().map(|(_, o)| o).collect();
    println!("{}", summary_line(&outcomes, elapsed));
}

/// `N files: C created, U updated, S unchanged, K skipped (reasons), F failed (files)`: every
/// file counted once.
fn summary_line(outcomes: &[&Outcome], elapsed: Duration) -> String {
    let count = |f: fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    let (created, updated, unchanged, skipped, failed) = (
        count(|o| matches!(o, Outcome::Created(_))),
        count(|o| matches!(o, Outcome::Updated(_))),
        count(|o| matches!(o, Outcome::Unchanged(_))),
        count(|o| matches!(o, Outcome::Skipped(_))),
        count(|o| matches!(o, Outcome::Failed(_))),
    );
    // The invariant the summary states: no file is lost between the plan and the report.
    assert_eq!(
        created + updated + unchanged + skipped + failed,
        outcomes.len(),
        "every file has one outcome"
    );
    let mut reasons: Vec<(String, usize)> = Vec::new();
    for outcome in outcomes {
        if let Outcome::Skipped(reason) = outcome {
            let kind = reason.split([':', '(']).next().unwrap_or(reason).trim();
            match reasons.iter_mut().find(|(r, _)| r == kind) {
                Some((_, n)) => *n += 1,
                None => reasons.push((kind.to_owned(), 1)),
            }
        }
    }
    let skipped_reasons = if reasons.is_empty() {
        String::new()
    } else {
        let listed: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
        format!(" ({})", listed.join("; "))
    };
    let failed_reasons = if failed == 0 {
        String::new()
    } else {
        " (reasons above)".to_owned()
    };
    format!(
        "{} file{}: {created} created, {updated} updated, {unchanged} unchanged, {skipped} skipped{skipped_reasons}, {failed} failed{failed_reasons} in {:.3} s",
        outcomes.len(),
        if outcomes.len() == 1 { "" } else { "s" },
        elapsed.as_secs_f64(),
    )
}
