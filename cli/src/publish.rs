//! `blog publish` and `blog import`: upload Markdown files through the ingest API, creating new
//! posts, updating changed ones and leaving unchanged ones alone, then say what happened to each.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Deserialize;

use crate::auth::Credentials;

/// Where and how to upload.
pub struct Uploader {
    http: reqwest::Client,
    endpoint: String,
    credentials: Credentials,
    /// Given to posts that name no category (`blog import --category`).
    pub default_category: Option<String>,
    /// The blog the files come from, for its old permalinks (`jekyll`, `hugo`, `zola`).
    pub import_format: Option<&'static str>,
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

/// The ingest API's answer to a write.
#[derive(Debug, Deserialize)]
struct Written {
    url: String,
}

/// The ingest API's problem document.
#[derive(Debug, Deserialize)]
struct Problem {
    detail: String,
    slug: Option<String>,
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
            import_format: None,
        })
    }

    /// Creates the post in `path`, or updates it if it exists with other content.
    pub async fn upload(&self, path: &Path) -> Outcome {
        match self.try_upload(path).await {
            Ok(outcome) => outcome,
            Err(error) => Outcome::Failed(blog_shared::report::report(error.as_ref())),
        }
    }

    async fn try_upload(&self, path: &Path) -> Result<Outcome> {
        let body = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let file_name = upload_name(path);
        let response = self
            .send(http::Method::POST, "/posts", &body, &file_name, None)
            .await?;
        match response.status().as_u16() {
            201 => Ok(Outcome::Created(response.json::<Written>().await?.url)),
            200 => Ok(Outcome::Unchanged(response.json::<Written>().await?.url)),
            409 => {
                // Another version is stored: update it from the version the server named.
                let etag = response.headers().get(http::header::ETAG).cloned();
                let problem: Problem = response.json().await.context("reading the conflict")?;
                let (Some(etag), Some(slug)) = (etag, problem.slug) else {
                    anyhow::bail!("{}", problem.detail);
                };
                let etag = etag.to_str().context("an unreadable ETag")?.to_owned();
                let response = self
                    .send(
                        http::Method::PUT,
                        &format!("/posts/{slug}"),
                        &body,
                        &file_name,
                        Some(&etag),
                    )
                    .await?;
                match response.status().as_u16() {
                    200 => Ok(Outcome::Updated(response.json::<Written>().await?.url)),
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
        file_name: &str,
        if_match: Option<&str>,
    ) -> Result<reqwest::Response> {
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.endpoint))
            .header(http::header::CONTENT_TYPE, "text/markdown; charset=utf-8")
            .header(
                http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            );
        if let Some(etag) = if_match {
            request = request.header(http::header::IF_MATCH, etag);
        }
        if let Some(category) = &self.default_category {
            request = request.header(blog_shared::http::ingest::DEFAULT_CATEGORY_HEADER, category);
        }
        if let Some(format) = self.import_format {
            request = request.header(blog_shared::http::ingest::IMPORT_FORMAT_HEADER, format);
        }
        let mut request = request
            .body(body.to_vec())
            .context("building the request")?;
        self.credentials.apply(&mut request)?;
        let request = reqwest::Request::try_from(request).context("building the request")?;
        self.http
            .execute(request)
            .await
            .with_context(|| format!("cannot reach {}", self.endpoint))
    }
}

/// The file name the server sees: a Hugo page bundle (`my-post/index.md`) is named for its folder.
fn upload_name(path: &Path) -> String {
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

async fn refusal(response: reqwest::Response) -> anyhow::Error {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let reason = serde_json::from_str::<Problem>(&text)
        .map(|p| p.detail)
        .unwrap_or(text);
    anyhow::anyhow!(
        "{} {}: {reason}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )
}

/// Every Markdown file under `paths` (files as given, folders walked), in a stable order.
pub fn markdown_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut files)?;
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            anyhow::bail!("{} is neither a file nor a folder", path.display());
        }
    }
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
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
        if path.is_dir() {
            walk(&path, files)?;
        } else if path
            .extension()
            .is_some_and(|e| e == "md" || e == "markdown")
        {
            files.push(path);
        }
    }
    Ok(())
}

/// Uploads `files` one by one with a progress bar when there are several, and prints a summary.
/// Returns whether every file succeeded.
pub async fn run(uploader: &Uploader, files: Vec<(PathBuf, Option<String>)>) -> bool {
    let started = Instant::now();
    let bar = if files.len() > 1 {
        let bar = ProgressBar::new(files.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut results = Vec::with_capacity(files.len());
    for (path, skip_reason) in files {
        bar.set_message(path.display().to_string());
        let outcome = match skip_reason {
            Some(reason) => Outcome::Skipped(reason),
            None => uploader.upload(&path).await,
        };
        bar.inc(1);
        results.push((path, outcome));
    }
    bar.finish_and_clear();
    print_summary(&results, started.elapsed());
    !results.iter().any(|(_, o)| matches!(o, Outcome::Failed(_)))
}

fn print_summary(results: &[(PathBuf, Outcome)], elapsed: Duration) {
    let count = |f: fn(&Outcome) -> bool| results.iter().filter(|(_, o)| f(o)).count();
    for (path, outcome) in results {
        let path = path.display();
        match outcome {
            Outcome::Created(url) => println!("created    {path} → {url}"),
            Outcome::Updated(url) => println!("updated    {path} → {url}"),
            Outcome::Unchanged(url) => println!("unchanged  {path} → {url}"),
            Outcome::Skipped(reason) => println!("skipped    {path}: {reason}"),
            Outcome::Failed(reason) => println!("FAILED     {path}: {reason}"),
        }
    }
    println!(
        "{} created, {} updated, {} unchanged, {} skipped, {} failed ({} files in {:.3} s)",
        count(|o| matches!(o, Outcome::Created(_))),
        count(|o| matches!(o, Outcome::Updated(_))),
        count(|o| matches!(o, Outcome::Unchanged(_))),
        count(|o| matches!(o, Outcome::Skipped(_))),
        count(|o| matches!(o, Outcome::Failed(_))),
        results.len(),
        elapsed.as_secs_f64(),
    );
}
