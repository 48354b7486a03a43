//! The Lambda binaries themselves, started as Lambda starts them: each process talks to a small
//! fake Lambda Runtime API on loopback, takes one API Gateway event, and posts its response.
//! This covers what a router test cannot: `main.rs`'s wiring, configuration from the
//! environment, and the DynamoDB endpoint override.

use std::process::Stdio;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use blog_tests::{Backend, TestStore, dynamo_endpoint, fixture, texts};
use serde_json::Value;
use tokio::sync::mpsc;

#[derive(Clone)]
struct Runtime {
    event: String,
    handed_out: std::sync::Arc<std::sync::atomic::AtomicBool>,
    outcomes: mpsc::UnboundedSender<Result<Value, String>>,
}

async fn next_invocation(State(runtime): State<Runtime>) -> axum::response::Response {
    use axum::response::IntoResponse;
    if runtime
        .handed_out
        .swap(true, std::sync::atomic::Ordering::SeqCst)
    {
        // One event per test: later polls wait until the process is stopped.
        std::future::pending::<()>().await;
    }
    let deadline = (std::time::SystemTime::now() + Duration::from_secs(30))
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        .to_string();
    (
        [
            ("lambda-runtime-aws-request-id", "request-1".to_owned()),
            ("lambda-runtime-deadline-ms", deadline),
            (
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:eu-west-1:123456789012:function:blog".to_owned(),
            ),
            (
                "lambda-runtime-trace-id",
                "Root=1-00000000-000000000000000000000000".to_owned(),
            ),
            ("content-type", "application/json".to_owned()),
        ],
        runtime.event,
    )
        .into_response()
}

async fn invocation_response(
    State(runtime): State<Runtime>,
    Path(_id): Path<String>,
    body: String,
) {
    let _ = runtime
        .outcomes
        .send(serde_json::from_str(&body).map_err(|e| format!("{e}: {body}")));
}

async fn invocation_error(State(runtime): State<Runtime>, body: String) {
    let _ = runtime.outcomes.send(Err(body));
}

/// Runs `binary` with `env` against the event in `event_file`, returning the API Gateway
/// response it posted.
async fn invoke_binary(binary: &str, env: &[(&str, String)], event_file: &str) -> Value {
    invoke_binary_with(
        binary,
        env,
        std::fs::read_to_string(fixture(event_file)).unwrap(),
    )
    .await
}

/// Runs `binary` with `env` against one `event`, returning the API Gateway response it posted.
pub(crate) async fn invoke_binary_with(
    binary: &str,
    env: &[(&str, String)],
    event: String,
) -> Value {
    invoke_binary_outcome(binary, env, event)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `binary` with `env` against one `event`: the response it posted, or the error it
/// reported (the body it posted to the Runtime API's error route), or why it gave neither.
pub(crate) async fn invoke_binary_outcome(
    binary: &str,
    env: &[(&str, String)],
    event: String,
) -> Result<Value, String> {
    let (outcomes, mut received) = mpsc::unbounded_channel();
    let runtime = Runtime {
        event,
        handed_out: Default::default(),
        outcomes,
    };
    let api = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next_invocation))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(invocation_response),
        )
        .route(
            "/2018-06-01/runtime/invocation/{id}/error",
            post(invocation_error),
        )
        .route("/2018-06-01/runtime/init/error", post(invocation_error))
        .with_state(runtime);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, api).await.unwrap() });

    let mut child = tokio::process::Command::new(blog_tests::workspace_binary(binary))
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", binary)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let outcome = tokio::select! {
        outcome = received.recv() => outcome.expect("the runtime API is up"),
        status = child.wait() => {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                tokio::io::AsyncReadExt::read_to_string(&mut pipe, &mut stderr).await.unwrap();
            }
            Err(format!("{binary} exited with {:?} before answering: {stderr}", status.unwrap()))
        }
        _ = tokio::time::sleep(Duration::from_secs(60)) => Err(format!("{binary} did not answer within 60 s")),
    };
    child.kill().await.ok();
    server.abort();
    outcome
}

pub(crate) async fn seeded_sqlite() -> (tempfile::TempDir, String) {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("blog.sqlite3");
    let store = blog_shared::store::SqliteStore::open(&path).await.unwrap();
    blog_shared::seed::seed(&store, &blog_tests::examples_dir())
        .await
        .unwrap();
    (dir, path.display().to_string())
}

fn sqlite_env(db: &str) -> Vec<(&'static str, String)> {
    vec![
        ("BLOG_DB", db.to_owned()),
        ("BLOG_BASE_URL", "https://blog.example.com".to_owned()),
    ]
}

#[tokio::test]
async fn the_list_posts_binary_answers_a_category_event() {
    let (_dir, db) = seeded_sqlite().await;

    let response = invoke_binary("list-posts", &sqlite_env(&db), "apigw-v2-category.json").await;

    assert_eq!(response["statusCode"], 200, "{response}");
    assert!(response["headers"]["etag"].is_string(), "{response}");
    // The event accepts gzip and br: the page goes back compressed, so base64-encoded, and
    // API Gateway hands the client the compressed bytes with their Content-Encoding.
    assert_eq!(response["isBase64Encoded"], true, "{response}");
    let encoding = response["headers"]["content-encoding"].as_str();
    assert!(matches!(encoding, Some("gzip" | "br")), "{response}");
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(response["body"].as_str().unwrap())
        .unwrap();
    let page = scraper::Html::parse_document(&blog_tests::decode_body(&bytes, encoding));
    assert_eq!(
        texts(&page, ".browsing"),
        ["You're browsing posts of the category Microservices"]
    );
}

#[tokio::test]
async fn the_get_post_binary_answers_a_post_event() {
    let (_dir, db) = seeded_sqlite().await;

    let response = invoke_binary("get-post", &sqlite_env(&db), "apigw-v2-post.json").await;

    assert_eq!(response["statusCode"], 200, "{response}");
    let page = scraper::Html::parse_document(response["body"].as_str().unwrap());
    assert_eq!(texts(&page, "h1"), ["Inside a SoundCloud Microservice"]);
}

#[tokio::test]
async fn the_feed_binary_answers_a_feed_event_as_text() {
    let (_dir, db) = seeded_sqlite().await;

    let response = invoke_binary("feed", &sqlite_env(&db), "apigw-v2-category-feed.json").await;

    assert_eq!(response["statusCode"], 200, "{response}");
    assert_eq!(
        response["headers"]["content-type"],
        "application/rss+xml; charset=utf-8"
    );
    assert_eq!(
        response["isBase64Encoded"], false,
        "a feed goes out as text"
    );
    let channel = rss::Channel::read_from(response["body"].as_str().unwrap().as_bytes()).unwrap();
    assert!(
        channel
            .items()
            .iter()
            .all(|i| i.link().unwrap().starts_with("https://blog.example.com/"))
    );
}

#[tokio::test]
async fn a_function_reaches_dynamodb_through_the_standard_endpoint_override() {
    let given = TestStore::new(Backend::Dynamo).await;
    given.seed_examples().await;
    let env = vec![
        ("BLOG_TABLE", given.table.clone().unwrap()),
        ("BLOG_BASE_URL", "https://blog.example.com".to_owned()),
        ("AWS_ENDPOINT_URL_DYNAMODB", dynamo_endpoint()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
    ];

    let response = invoke_binary("get-post", &env, "apigw-v2-post.json").await;

    assert_eq!(response["statusCode"], 200, "{response}");
    let page = scraper::Html::parse_document(response["body"].as_str().unwrap());
    assert_eq!(texts(&page, "h1"), ["Inside a SoundCloud Microservice"]);
}

#[tokio::test]
async fn a_function_without_a_store_configured_stops_naming_the_variables() {
    let output = tokio::process::Command::new(blog_tests::workspace_binary("list-posts"))
        .env_clear()
        .env("BLOG_BASE_URL", "https://blog.example.com")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("BLOG_TABLE") && stderr.contains("BLOG_DB"),
        "{stderr}"
    );
}

#[tokio::test]
async fn without_a_configured_url_links_use_the_api_gateway_domain_never_the_host() {
    let (_dir, db) = seeded_sqlite().await;
    let env = vec![("BLOG_DB", db)];

    let response = invoke_binary("feed", &env, "apigw-v2-category-feed.json").await;

    assert_eq!(response["statusCode"], 200, "{response}");
    let body = response["body"].as_str().unwrap();
    assert!(!body.contains("evil.example"), "the forged Host is ignored");
    let channel = rss::Channel::read_from(body.as_bytes()).unwrap();
    let origin = "https://abc123.execute-api.eu-west-1.amazonaws.com/";
    assert!(
        channel
            .items()
            .iter()
            .all(|i| i.link().unwrap().starts_with(origin)),
        "{body}"
    );
}

/// An API Gateway v2 event for `GET path`, as the `media` route receives it.
fn media_event(path: &str) -> String {
    let mut event: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("apigw-v2-category.json")).unwrap())
            .unwrap();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    event["rawPath"] = path.into();
    event["routeKey"] = "GET /media/{sha256}/{name}".into();
    event["requestContext"]["http"]["path"] = path.into();
    event["requestContext"]["routeKey"] = "GET /media/{sha256}/{name}".into();
    event["pathParameters"] = serde_json::json!({ "sha256": parts[1], "name": parts[2] });
    event.to_string()
}

#[tokio::test]
async fn the_media_binary_serves_a_file_from_the_bucket_and_redirects_a_large_one() {
    use base64::Engine as _;
    use blog_shared::store::blobs::sha256_hex;
    let bucket = blog_tests::TestBlobs::new(Backend::Dynamo, "unused").await;
    let records = TestStore::new(Backend::Dynamo).await;
    let small = blog_tests::media_sites::png(64, 48);
    let small_path = format!("/media/{}/chart.png", sha256_hex(&small));
    // Larger than a Lambda response may carry: a PDF of 5 MB.
    let mut large = b"%PDF-1.4\n".to_vec();
    large.resize(5_000_000, b' ');
    large.extend_from_slice(b"\n%%EOF\n");
    let large_path = format!("/media/{}/handbook.pdf", sha256_hex(&large));
    // Uploaded and checked, as a publish leaves them.
    for (name, bytes) in [("chart.png", &small), ("handbook.pdf", &large)] {
        let media_type = blog_shared::store::blobs::sniff(bytes).unwrap();
        let size = blog_shared::store::blobs::dimensions(name, media_type, bytes).unwrap();
        let file = blog_shared::model::MediaFile {
            sha256: sha256_hex(bytes),
            name: name.to_owned(),
            media_type: media_type.to_owned(),
            size: bytes.len() as u64,
            width: size.map(|s| s.0),
            height: size.map(|s| s.1),
        };
        bucket
            .blobs
            .put(
                &blog_shared::paths::media_staging_key(&file),
                bytes.clone().into(),
                media_type,
            )
            .await
            .unwrap();
        blog_shared::store::blobs::ensure_stored(&bucket.blobs, &records.store, &[file])
            .await
            .unwrap();
    }
    let env = vec![
        ("BLOG_MEDIA_BUCKET", bucket.bucket.clone().unwrap()),
        ("BLOG_TABLE", records.table.clone().unwrap()),
        ("BLOG_BASE_URL", "https://blog.example.com".to_owned()),
        ("AWS_ENDPOINT_URL_S3", dynamo_endpoint()),
        ("AWS_ENDPOINT_URL_DYNAMODB", dynamo_endpoint()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
    ];

    let response = invoke_binary_with("media", &env, media_event(&small_path)).await;
    assert_eq!(response["statusCode"], 200, "{response}");
    assert_eq!(response["headers"]["content-type"], "image/png");
    assert_eq!(
        response["headers"]["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(response["headers"]["x-content-type-options"], "nosniff");
    assert_eq!(
        response["isBase64Encoded"], true,
        "binary goes base64-encoded"
    );
    let body = base64::engine::general_purpose::STANDARD
        .decode(response["body"].as_str().unwrap())
        .unwrap();
    assert_eq!(body, small);

    let response = invoke_binary_with("media", &env, media_event(&large_path)).await;
    assert_eq!(response["statusCode"], 302, "{response}");
    let location = response["headers"]["location"].as_str().unwrap();
    assert!(location.contains("X-Amz-Signature="), "{location}");
    let fetched = reqwest::get(location).await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.unwrap().len(), large.len());

    let missing = media_event(&format!("/media/{}/gone.png", "0".repeat(64)));
    let response = invoke_binary_with("media", &env, missing).await;
    assert_eq!(response["statusCode"], 404, "{response}");
}
