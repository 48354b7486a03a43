//! The one client of the blog's HTTP API, as `blog publish`, `blog import` and `blog export`
//! use it: the endpoint and how requests prove who sends them ([`auth`]: the local token, or
//! SigV4 with the author's AWS credentials), posts ([`posts`]: create, and on a 409 for the
//! same post, update with `If-Match`), and files ([`files`]: upload slots and the uploads).
//! Every document it reads is the server's own declaration (`blog_shared::http::ingest`), and
//! every path it asks for comes from `blog_shared::paths`.

pub mod auth;
mod files;
mod posts;

use std::time::Duration;

use anyhow::{Context, Result};
use blog_shared::content::permalinks::Generator;
use blog_shared::http::ingest::ProblemDocument;

pub use posts::{Outcome, Upload, upload_name};

use auth::Credentials;

/// What becomes of a post that references a file the folder does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingFiles {
    /// The post is refused, naming each file, and saying how to publish it anyway.
    Refuse(&'static str),
    /// The post is published with each such reference as written, the files are listed, and
    /// the command ends in failure so that a script notices (`blog import`).
    Publish,
    /// As `Publish`, the files being expected (`--allow-missing`): the command succeeds.
    Allow,
}

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
    pub static_dirs: Vec<String>,
    /// The path an imported site was served under (Jekyll's `baseurl`, Hugo's `baseURL`'s),
    /// empty for its root.
    pub base_path: String,
    /// What becomes of a post that references a file the folder does not hold.
    pub missing_files: MissingFiles,
    /// Whether a file may replace a stored post whose title, date and authors all differ
    /// from its own (`--replace`).
    pub replace: bool,
    /// Folders served at an address of their own (a Zola page bundle's, at its page's).
    pub served_dirs: Vec<(String, std::path::PathBuf)>,
    /// What the files' uploads came to: (files uploaded, their bytes, files already stored).
    transferred: std::sync::Mutex<(usize, u64, usize)>,
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
            static_dirs: vec!["static".to_owned()],
            base_path: String::new(),
            missing_files: MissingFiles::Refuse(
                "`blog publish --allow-missing` publishes it with the reference as written",
            ),
            replace: false,
            served_dirs: Vec::new(),
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

    /// The blog's base URL.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The plain HTTP client: requests sent through it are neither signed nor carry the
    /// token, and it follows redirects (reqwest's default policy, at most 10).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
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
