//! Helpers for the end-to-end tests: real stores (an embedded file, and DynamoDB on a
//! DynamoDB-compatible server on loopback), a real HTTP server running the site, and a counter
//! of the requests the site makes to DynamoDB.

pub mod media_sites;
pub mod oracle;
pub mod random_hugo;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use blog_shared::model::{Listing, ListingPage, PageRequest, Slug, visible_until};
use blog_shared::store::{DynamoStore, ListingQuery, SqliteStore, create_table, listing_page};
use blog_shared::{AppState, Post, SiteConfig, Store, http, parse_post};
use reqwest::Method;
use tempfile::TempDir;
use time::OffsetDateTime;

/// The folder of example posts that seeds the local site.
pub fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/posts")
}

/// A file under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Which real backend a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file in a temporary folder.
    Sqlite,
    /// A fresh table on the DynamoDB-compatible server.
    Dynamo,
}

/// A store and whatever must live as long as it does.
pub struct TestStore {
    /// The store.
    pub store: Arc<dyn Store>,
    /// Every DynamoDB request the store made, by operation (empty for SQLite).
    pub requests: RequestLog,
    /// The DynamoDB table's name (None for SQLite).
    pub table: Option<String>,
    _dir: Option<TempDir>,
}

impl TestStore {
    /// A new, empty store on `backend`.
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = TempDir::new().expect("a temporary folder");
                let store = SqliteStore::open(&dir.path().join("blog.sqlite3"))
                    .await
                    .expect("open SQLite");
                Self {
                    store: Arc::new(store),
                    requests: RequestLog::default(),
                    table: None,
                    _dir: Some(dir),
                }
            }
            Backend::Dynamo => {
                let requests = RequestLog::default();
                let client = dynamo_client(Some(requests.clone()));
                let table = unique_table_name();
                create_table(&client, &table)
                    .await
                    .expect("create the table on the DynamoDB-compatible server");
                requests.clear();
                Self {
                    store: Arc::new(DynamoStore::new(client, table.clone())),
                    requests,
                    table: Some(table),
                    _dir: None,
                }
            }
        }
    }

    /// Publishes a post from source text, expecting it to be created.
    pub async fn publish_source(&self, source: &str) -> Post {
        let post = parse_post(source, None).expect("a valid post");
        self.store.publish(&post).await.expect("publish");
        post
    }

    /// Stores `posts`, none of them stored yet, fast: on DynamoDB written as publishing each
    /// would leave them, in batches ([`DynamoStore::load`]: the DynamoDB-compatible server
    /// copies the whole table for each transaction); on the embedded store published one by one.
    pub async fn load(&self, posts: &[Post]) {
        match &self.table {
            Some(table) => DynamoStore::new(dynamo_client(None), table.clone())
                .load(posts)
                .await
                .expect("load the posts"),
            None => {
                for post in posts {
                    self.store.publish(post).await.expect("publish");
                }
            }
        }
    }

    /// The first page of `listing`, as a reader sees it now.
    pub async fn first_page(&self, listing: &Listing) -> ListingPage {
        self.page(listing, &PageRequest::First).await
    }

    /// The page of `listing` that `request` asks for, ten posts to a page, as a reader sees it
    /// now.
    pub async fn page(&self, listing: &Listing, request: &PageRequest) -> ListingPage {
        listing_page(
            self.store.as_ref(),
            listing,
            request,
            10,
            OffsetDateTime::now_utc(),
        )
        .await
        .expect("a listing page")
    }

    /// Publishes every example post.
    pub async fn seed_examples(&self) {
        let report = blog_shared::seed::seed(self.store.as_ref(), &examples_dir())
            .await
            .expect("seed");
        assert!(
            report.created > 0 && report.conflicts.is_empty(),
            "{report:?}"
        );
        self.requests.clear();
    }
}

/// Runs each scenario (an `async fn(Backend)`) as a test on each backend: `sqlite::NAME` on the
/// embedded store and `dynamo::NAME` on the DynamoDB-compatible server.
#[macro_export]
macro_rules! on_every_backend {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $scenario() { super::$scenario($crate::Backend::Sqlite).await })*
        }
        mod dynamo {
            $(#[tokio::test] async fn $scenario() { super::$scenario($crate::Backend::Dynamo).await })*
        }
    };
}

/// A blob store for posts' files on `backend`: the embedded database's table, or a fresh
/// bucket on the S3-compatible server (the same loopback server as DynamoDB), with whatever
/// must live as long as it does.
pub struct TestBlobs {
    /// The store.
    pub blobs: Arc<dyn blog_shared::store::blobs::Blobs>,
    /// The bucket (None for SQLite).
    pub bucket: Option<String>,
    _dir: Option<TempDir>,
}

impl TestBlobs {
    /// A new, empty blob store on `backend`; local upload slots are signed with `secret`.
    pub async fn new(backend: Backend, secret: &str) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = TempDir::new().expect("a temporary folder");
                let blobs = blog_shared::store::blobs::SqliteBlobs::open(
                    &dir.path().join("blog.sqlite3"),
                    secret.as_bytes(),
                )
                .await
                .expect("open the files' table");
                Self {
                    blobs: Arc::new(blobs),
                    bucket: None,
                    _dir: Some(dir),
                }
            }
            Backend::Dynamo => {
                let client = s3_client();
                let bucket = unique_table_name().replace('_', "-").to_lowercase();
                let bucket: String = bucket.chars().take(63).collect();
                client
                    .create_bucket()
                    .bucket(&bucket)
                    .send()
                    .await
                    .expect("create a bucket on the S3-compatible server");
                Self {
                    blobs: Arc::new(blog_shared::store::blobs::S3Blobs::new(
                        client,
                        bucket.clone(),
                    )),
                    bucket: Some(bucket),
                    _dir: None,
                }
            }
        }
    }
}

/// An S3 client for the S3-compatible server the tests start (path-style, as it needs).
pub fn s3_client() -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(blog_shared::aws::http_client())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .endpoint_url(dynamo_endpoint())
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// A CloudFront client for the compatible server the tests start.
pub fn cloudfront_client() -> aws_sdk_cloudfront::Client {
    let config = aws_sdk_cloudfront::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(blog_shared::aws::http_client())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .endpoint_url(dynamo_endpoint())
        .build();
    aws_sdk_cloudfront::Client::from_conf(config)
}

/// An EventBridge Scheduler client for the compatible server the tests start.
pub fn scheduler_client() -> aws_sdk_scheduler::Client {
    let config = aws_sdk_scheduler::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(blog_shared::aws::http_client())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .endpoint_url(dynamo_endpoint())
        .build();
    aws_sdk_scheduler::Client::from_conf(config)
}

/// A new distribution on the CloudFront-compatible server, in front of `origin`: its id.
pub async fn cloudfront_distribution(origin: &str) -> String {
    use aws_sdk_cloudfront::types::{
        CustomOriginConfig, DefaultCacheBehavior, DistributionConfig, Origin, OriginProtocolPolicy,
        Origins, ViewerProtocolPolicy,
    };
    let origin = Origin::builder()
        .id("api")
        .domain_name(origin)
        .custom_origin_config(
            CustomOriginConfig::builder()
                .http_port(80)
                .https_port(443)
                .origin_protocol_policy(OriginProtocolPolicy::HttpsOnly)
                .build()
                .expect("origin config"),
        )
        .build()
        .expect("origin");
    let config = DistributionConfig::builder()
        .caller_reference(unique_table_name())
        .comment("blog tests")
        .enabled(true)
        .origins(
            Origins::builder()
                .quantity(1)
                .items(origin)
                .build()
                .expect("origins"),
        )
        .default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id("api")
                .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                .cache_policy_id("658327ea-f89d-4fab-a63d-7e88639e58f6")
                .build()
                .expect("cache behaviour"),
        )
        .build()
        .expect("distribution config");
    let created = cloudfront_client()
        .create_distribution()
        .distribution_config(config)
        .send()
        .await
        .expect("create a distribution on the CloudFront-compatible server");
    created.distribution.expect("a distribution").id
}

/// The DynamoDB-compatible server's URL. Tests that need it fail, never skip, without it.
pub fn dynamo_endpoint() -> String {
    std::env::var("BLOG_TEST_DYNAMODB_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "BLOG_TEST_DYNAMODB_ENDPOINT is not set: run the tests with scripts/test, which starts a \
             DynamoDB-compatible server on loopback, or point it at one"
        )
    })
}

/// A DynamoDB client for the test server, optionally logging every request it sends.
pub fn dynamo_client(log: Option<RequestLog>) -> aws_sdk_dynamodb::Client {
    let mut config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(blog_shared::aws::http_client())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .endpoint_url(dynamo_endpoint());
    if let Some(log) = log {
        config = config.interceptor(log);
    }
    aws_sdk_dynamodb::Client::from_conf(config.build())
}

fn unique_table_name() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "blog-test-{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Records each request the SDK sends, by its DynamoDB operation (`Query`, `GetItem`, …),
/// counted at the wire: retries and pagination would show up here. A request that asked for a
/// strongly consistent read is recorded with ` (consistent)` after its operation.
#[derive(Debug, Clone, Default)]
pub struct RequestLog(Arc<Mutex<Vec<String>>>);

impl RequestLog {
    /// The operations sent since the last clear, in order.
    pub fn operations(&self) -> Vec<String> {
        self.0.lock().expect("log lock").clone()
    }

    /// The operations sent since the last clear, sorted: requests sent at once have no order.
    pub fn sorted_operations(&self) -> Vec<String> {
        let mut operations = self.operations();
        operations.sort();
        operations
    }

    /// Forgets what was sent so far.
    pub fn clear(&self) {
        self.0.lock().expect("log lock").clear();
    }
}

impl Intercept for RequestLog {
    fn name(&self) -> &'static str {
        "RequestLog"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let target = context
            .request()
            .headers()
            .get("x-amz-target")
            .unwrap_or("?");
        let mut operation = target.rsplit('.').next().unwrap_or(target).to_owned();
        let consistent = context
            .request()
            .body()
            .bytes()
            .and_then(|body| serde_json::from_slice::<serde_json::Value>(body).ok())
            .is_some_and(|body| {
                body["ConsistentRead"] == true
                    || body["RequestItems"]
                        .as_object()
                        .is_some_and(|tables| tables.values().any(|t| t["ConsistentRead"] == true))
            });
        if consistent {
            operation.push_str(" (consistent)");
        }
        self.0.lock().expect("log lock").push(operation);
        Ok(())
    }
}

/// The local ingest token every authoring test writes with.
pub const TOKEN: &str = "s3cret-token-for-tests";
/// The media type posts are uploaded as.
pub const MARKDOWN: &str = "text/markdown; charset=utf-8";

/// An author's view of a site with the ingest routes: a store, the site over HTTP, and a
/// client that writes with the token.
pub struct Authoring {
    /// The store behind the site.
    pub store: TestStore,
    /// The site, reads and writes.
    pub site: TestSite,
}

impl Authoring {
    /// A new, empty site on `backend`.
    pub async fn new(backend: Backend) -> Self {
        let store = TestStore::new(backend).await;
        let site = TestSite::start_with_ingest(store.store.clone(), TOKEN).await;
        Self { store, site }
    }

    /// Sends a write (or any request) with the token and a Markdown body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: &str,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self
            .site
            .http
            .request(method, self.site.url(path))
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("content-type", MARKDOWN)
            .body(body.to_owned());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.unwrap()
    }

    /// `POST /posts`.
    pub async fn create(&self, body: &str) -> reqwest::Response {
        self.send(Method::POST, "/posts", body, &[]).await
    }

    /// Everything a reader could see, plus every stored post with these slugs.
    pub async fn snapshot(&self, slugs: &[&str]) -> String {
        let query = ListingQuery {
            listing: Listing::All,
            newest_first: true,
            exclusive_start: None,
            visible_until: visible_until(
                OffsetDateTime::now_utc() + time::Duration::days(365 * 1000),
            ),
            limit: 1000,
        };
        let entries = self.store.store.listing(&query).await.unwrap().entries;
        let mut posts = Vec::new();
        for slug in slugs {
            posts.push(
                self.store
                    .store
                    .post(&Slug::parse(slug).unwrap())
                    .await
                    .unwrap(),
            );
        }
        format!("{entries:?}\n{posts:?}")
    }
}

/// A store on `backend` seeded with the example posts, and the site serving it.
pub async fn seeded_site(backend: Backend) -> (TestStore, TestSite) {
    let given = TestStore::new(backend).await;
    given.seed_examples().await;
    let site = TestSite::start(given.store.clone()).await;
    (given, site)
}

/// The whole site served over real HTTP on a loopback port.
pub struct TestSite {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The site's configuration.
    pub config: SiteConfig,
    /// An HTTP client.
    pub http: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
}

impl TestSite {
    /// Serves `store` with the given page size.
    pub async fn start(store: Arc<dyn Store>) -> Self {
        Self::start_with(store, |_| {}).await
    }

    /// Serves `store`, letting the test adjust the configuration.
    pub async fn start_with(
        store: Arc<dyn Store>,
        configure: impl FnOnce(&mut SiteConfig),
    ) -> Self {
        Self::serve(store, configure, http::site).await
    }

    /// Serves `store` and the posts' files in `blobs`, with the ingest routes, writable with
    /// `token`.
    pub async fn start_with_media(
        store: Arc<dyn Store>,
        blobs: Arc<dyn blog_shared::store::blobs::Blobs>,
        token: &str,
    ) -> Self {
        let auth = blog_shared::http::IngestAuth::Token(token.into());
        Self::serve(
            store,
            |_| {},
            move |state| http::site_with_ingest(state.with_media(blobs), auth),
        )
        .await
    }

    /// Serves `store` with the ingest routes, writable with `token`, behind the CDN `cdn`.
    pub async fn start_with_cdn(
        store: Arc<dyn Store>,
        token: &str,
        cdn: blog_shared::cdn::Cdn,
    ) -> Self {
        let auth = blog_shared::http::IngestAuth::Token(token.into());
        Self::serve(
            store,
            |_| {},
            move |state| http::site_with_ingest(state.with_cdn(cdn), auth),
        )
        .await
    }

    /// Serves `store` with the ingest routes too, writable with `token`.
    pub async fn start_with_ingest(store: Arc<dyn Store>, token: &str) -> Self {
        let auth = blog_shared::http::IngestAuth::Token(token.into());
        Self::serve(
            store,
            |_| {},
            move |state| http::site_with_ingest(state, auth),
        )
        .await
    }

    async fn serve(
        store: Arc<dyn Store>,
        configure: impl FnOnce(&mut SiteConfig),
        router: impl FnOnce(AppState) -> axum::Router,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("address"));
        let mut config = SiteConfig::new(&base_url).expect("config");
        configure(&mut config);
        let app = router(AppState::new(store, config.clone()));
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self {
            base_url,
            config,
            http,
            server,
        }
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// GETs `path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.expect("request")
    }

    /// GETs `path`, expecting 200, and parses it as HTML.
    pub async fn page(&self, path: &str) -> scraper::Html {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        scraper::Html::parse_document(&response.text().await.expect("body"))
    }
}

impl Drop for TestSite {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The text of every element matching `selector`, whitespace collapsed.
pub fn texts(html: &scraper::Html, selector: &str) -> Vec<String> {
    let selector = scraper::Selector::parse(selector).expect("selector");
    html.select(&selector)
        .map(|e| {
            e.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// The `attr` of every element matching `selector`.
pub fn attrs(html: &scraper::Html, selector: &str, attr: &str) -> Vec<String> {
    let selector = scraper::Selector::parse(selector).expect("selector");
    html.select(&selector)
        .filter_map(|e| e.value().attr(attr).map(str::to_owned))
        .collect()
}

/// A post's source, for tests that need many.
pub fn post_source(title: &str, date: &str, categories: &[&str]) -> String {
    post_with_body(title, date, categories, &format!("About {title}.\n\nMore."))
}

/// A post's source with the given Markdown body.
pub fn post_with_body(title: &str, date: &str, categories: &[&str], body: &str) -> String {
    let categories = categories
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "---\ntitle: \"{title}\"\ndate: {date}\nauthors: [\"Test Author\"]\ncategories: [{categories}]\n---\n{body}\n"
    )
}

/// A binary of the workspace, next to the test binary (`scripts/test` builds them first).
pub fn workspace_binary(name: &str) -> PathBuf {
    let deps = std::env::current_exe().expect("the test binary's path");
    let path = deps
        .parent()
        .and_then(Path::parent)
        .expect("target/debug")
        .join(name);
    assert!(
        path.exists(),
        "{} is not built: run the tests with scripts/test (it builds the binaries)",
        path.display()
    );
    path
}

/// `blog serve` running as its own process on a free loopback port.
pub struct ServeProcess {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// What it printed before it was ready.
    pub printed: Vec<String>,
    child: tokio::process::Child,
    lines: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
}

impl ServeProcess {
    /// Starts `blog serve` with `token` on an empty database in `dir` (nothing to seed).
    pub async fn start(token: &str, dir: &Path) -> Self {
        let no_seed = dir.join("no-seed").display().to_string();
        Self::start_with(dir, &["--token", token, "--seed", &no_seed]).await
    }

    /// Starts `blog serve --db DIR/blog.sqlite3` with `args`, and waits until it says it is
    /// running.
    pub async fn start_with(dir: &Path, args: &[&str]) -> Self {
        use tokio::io::AsyncBufReadExt;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let addr = format!("127.0.0.1:{port}");
        let mut child = tokio::process::Command::new(workspace_binary("blog"))
            .args(["serve", "--addr", &addr, "--db"])
            .arg(dir.join("blog.sqlite3"))
            .args(args)
            .env_remove("BLOG_BASE_URL")
            .env_remove("BLOG_DB")
            .env_remove("BLOG_INGEST_TOKEN")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start blog serve");
        let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut printed = Vec::new();
        while let Ok(Ok(Some(line))) =
            tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line()).await
        {
            let ready = line.contains("running at");
            printed.push(line);
            if ready {
                break;
            }
        }
        assert!(
            printed.last().is_some_and(|l| l.contains("running at")),
            "blog serve did not start: {printed:?}"
        );
        Self {
            url: format!("http://{addr}"),
            printed,
            child,
            lines,
        }
    }

    /// Its resident memory now, in KiB (`VmRSS`).
    pub fn resident_kib(&self) -> u64 {
        let pid = self.child.id().expect("still running");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("its status");
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in its status")
    }

    /// How many file descriptors it holds open now.
    pub fn open_files(&self) -> usize {
        let pid = self.child.id().expect("still running");
        std::fs::read_dir(format!("/proc/{pid}/fd"))
            .expect("its descriptors")
            .count()
    }

    /// Presses Ctrl-C (SIGINT) and waits for the process to stop: whether it exited cleanly,
    /// and what it printed on the way out.
    pub async fn interrupt(mut self) -> (bool, Vec<String>) {
        let pid = self.child.id().expect("still running").to_string();
        let sent = std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill");
        assert!(sent.success());
        let status = tokio::time::timeout(std::time::Duration::from_secs(10), self.child.wait())
            .await
            .expect("stops within 10 s")
            .expect("exit status");
        let mut rest = Vec::new();
        while let Ok(Some(line)) = self.lines.next_line().await {
            rest.push(line);
        }
        (status.success(), rest)
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// What a run of the `blog` command line did.
#[derive(Debug)]
pub struct CliRun {
    /// Whether it exited 0.
    pub success: bool,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

impl CliRun {
    /// The output line about `file` (a path suffix).
    pub fn line_for(&self, file: &str) -> &str {
        self.stdout
            .lines()
            .find(|l| l.contains(file))
            .unwrap_or_else(|| panic!("no line for {file} in:\n{}", self.stdout))
    }

    /// The closing summary line.
    pub fn summary(&self) -> &str {
        self.stdout.lines().last().unwrap_or_default()
    }
}

/// Runs `blog` with `args`, without the caller's BLOG_* settings.
pub async fn run_blog(args: &[&str]) -> CliRun {
    run_blog_with_env(args, &[]).await
}

/// Runs `blog` with `args` and `env`, without the caller's BLOG_* settings.
pub async fn run_blog_with_env(args: &[&str], env: &[(&str, &str)]) -> CliRun {
    let output = tokio::process::Command::new(workspace_binary("blog"))
        .args(args)
        .env_remove("BLOG_INGEST_TOKEN")
        .env_remove("BLOG_ENDPOINT")
        .envs(env.iter().copied())
        .output()
        .await
        .expect("run blog");
    CliRun {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A body as the client reads it, undoing its `Content-Encoding` (gzip, br, or none).
pub fn decode_body(bytes: &[u8], encoding: Option<&str>) -> String {
    let mut decoded = Vec::new();
    match encoding {
        Some("gzip") => {
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(bytes), &mut decoded)
                .expect("gzip");
        }
        Some("br") => {
            brotli_decompressor::BrotliDecompress(&mut &bytes[..], &mut decoded).expect("brotli")
        }
        None | Some("identity") => decoded.extend_from_slice(bytes),
        Some(other) => panic!("unexpected content-encoding {other}"),
    }
    String::from_utf8(decoded).expect("UTF-8")
}

/// GETs an absolute URL: its status and its body parsed as HTML.
pub async fn get_page(url: &str) -> (u16, scraper::Html) {
    let response = reqwest::get(url).await.unwrap();
    (
        response.status().as_u16(),
        scraper::Html::parse_document(&response.text().await.unwrap()),
    )
}

/// GETs an absolute URL without following redirects: its status and `Location`.
pub async fn redirect(url: &str) -> (u16, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client.get(url).send().await.unwrap();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (response.status().as_u16(), location)
}

/// Copies a folder, recursively.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// What the [`FaultyLink`] does with the next connections to the DynamoDB-compatible server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Passes every byte on: the server is there.
    None,
    /// Closes each connection at once: the server is down.
    Down,
    /// Answers every request `400 ProvisionedThroughputExceededException`: the table is
    /// throttling.
    Throttling,
}

/// A TCP link between a store and the DynamoDB-compatible server that the test can break and
/// mend: the server (and its data) stays up, while the store sees it go away, throttle, and
/// come back. A change of fault also cuts the connections open through it.
pub struct FaultyLink {
    /// `http://127.0.0.1:PORT`, to give the store as its endpoint.
    pub endpoint: String,
    fault: tokio::sync::watch::Sender<Fault>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultyLink {
    /// A link to the test server, passing everything on.
    pub async fn start() -> Self {
        let upstream = dynamo_endpoint().trim_start_matches("http://").to_owned();
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let (fault, watching) = tokio::sync::watch::channel(Fault::None);
        let task = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let mut changes = watching.clone();
                let now = *changes.borrow_and_update();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    match now {
                        Fault::None => {
                            if let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await
                            {
                                tokio::select! {
                                    _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                                    _ = changes.changed() => {}
                                }
                            }
                        }
                        Fault::Down => drop(client),
                        Fault::Throttling => throttle(client).await,
                    }
                });
            }
        });
        Self {
            endpoint,
            fault,
            task,
        }
    }

    /// From now on, connections meet `fault`; those open are cut.
    pub fn set(&self, fault: Fault) {
        self.fault.send_replace(fault);
    }

    /// A DynamoDB client through this link, with the production store's timeouts.
    pub fn client(&self) -> aws_sdk_dynamodb::Client {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(blog_shared::aws::http_client())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
            .endpoint_url(&self.endpoint)
            .timeout_config(blog_shared::store::dynamo_timeouts())
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
    }
}

impl Drop for FaultyLink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one HTTP request from `client` and answers it as a throttled DynamoDB does.
async fn throttle(mut client: tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut request = Vec::new();
    let mut buffer = [0u8; 4096];
    // The headers, then as many body bytes as they announce.
    loop {
        let Ok(n) = client.read(&mut buffer).await else {
            return;
        };
        if n == 0 {
            return;
        }
        request.extend_from_slice(&buffer[..n]);
        let text = String::from_utf8_lossy(&request);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())
                        .flatten()
                })
                .unwrap_or(0);
            if request.len() >= end + 4 + length {
                break;
            }
        }
    }
    let body = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}"#;
    let response = format!(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: application/x-amz-json-1.0\r\nx-amzn-requestid: throttled\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = client.write_all(response.as_bytes()).await;
}
