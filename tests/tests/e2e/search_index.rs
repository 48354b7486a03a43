//! The `search-index` function's binary, started as Lambda starts it (a fake Runtime API on
//! loopback) with a DynamoDB Streams batch, against the DynamoDB-, S3- and EventBridge
//! Scheduler-compatible server: the index it writes to the bucket (a build whose files are all
//! there, the pointer to it last, each with its caching header), what it leaves out (drafts,
//! scheduled and deleted posts), the one-time schedule it sets for the next scheduled post, and
//! the media function's binary serving what it wrote.

use std::io::Read;

use blog_shared::{Slug, parse_post};
use blog_tests::{
    Backend, TestBlobs, TestStore, dynamo_endpoint, fixture, post_with_body, s3_client,
    scheduler_client,
};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::functions::{invoke_binary_outcome, invoke_binary_with};

/// The ARN the fake Runtime API says the function was invoked as.
const FUNCTION_ARN: &str = "arn:aws:lambda:eu-west-1:123456789012:function:blog";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/blog-search-schedule";
const QUEUE_ARN: &str = "arn:aws:sqs:us-east-1:123456789012:blog-search-dead-letters";

/// Words each of one post only: what a reader could search for.
const PUBLIC_WORD: &str = "zyzzogeton";
const UPDATED_WORD: &str = "hoverquill";
const DRAFT_WORD: &str = "quokkafrost";
const SCHEDULED_WORD: &str = "brontowhistle";
const DELETED_WORD: &str = "obsoletewombat";

/// A table holding the posts the stream batch (tests/fixtures/dynamodb-stream-posts.json)
/// speaks of, as the writes it records left them: one public post, created then changed; a
/// draft; a post scheduled a month from now; a post created and then deleted. And an empty
/// bucket, and a schedule name of this test's own.
struct Given {
    store: TestStore,
    bucket: TestBlobs,
    schedule: String,
    scheduled_at: OffsetDateTime,
}

async fn given() -> Given {
    let store = TestStore::new(Backend::Dynamo).await;
    let public = |body: &str| {
        post_with_body(
            "Finding the Zyzzogeton",
            "2024-05-02",
            &["Microservices"],
            body,
        )
    };
    let first = parse_post(
        &public(&format!("The {PUBLIC_WORD} lives in our mesh.")),
        None,
    )
    .unwrap();
    store.store.publish(&first).await.unwrap();
    let changed = parse_post(
        &public(&format!(
            "The {PUBLIC_WORD} lives in our mesh, next to the {UPDATED_WORD}."
        )),
        None,
    )
    .unwrap();
    let slug = Slug::parse("finding-the-zyzzogeton").unwrap();
    let version = store.store.post(&slug).await.unwrap().unwrap().version;
    store.store.replace(&slug, &changed, version).await.unwrap();

    store
        .publish_source(&format!(
            "---\ntitle: A draft about quokkafrost\ndate: 2024-06-01\nauthors: [\"Test Author\"]\ndraft: true\n---\nThe {DRAFT_WORD} is not ready.\n"
        ))
        .await;

    let scheduled_at = (OffsetDateTime::now_utc() + Duration::days(30))
        .replace_nanosecond(0)
        .unwrap();
    store
        .publish_source(&post_with_body(
            "Brontowhistle next month",
            &blog_shared::dates::sortable(scheduled_at),
            &["Microservices"],
            &format!("The {SCHEDULED_WORD} ships next month."),
        ))
        .await;

    let retired = store
        .publish_source(&post_with_body(
            "The obsoletewombat, retired",
            "2023-01-10",
            &["Microservices"],
            &format!("We retired the {DELETED_WORD}."),
        ))
        .await;
    assert_eq!(retired.slug.as_str(), "the-obsoletewombat-retired");
    let version = store
        .store
        .post(&retired.slug)
        .await
        .unwrap()
        .unwrap()
        .version;
    store.store.delete(&retired.slug, version).await.unwrap();

    let bucket = TestBlobs::new(Backend::Dynamo, "unused").await;
    // As unique as the bucket's name (the server is shared by every test).
    let schedule = format!("search-{}", bucket.bucket.as_deref().unwrap());
    Given {
        store,
        bucket,
        schedule,
        scheduled_at,
    }
}

/// The search-index function's environment, as the template sets it, on the test server.
fn env(given: &Given) -> Vec<(&'static str, String)> {
    vec![
        ("BLOG_TABLE", given.store.table.clone().unwrap()),
        ("BLOG_MEDIA_BUCKET", given.bucket.bucket.clone().unwrap()),
        ("BLOG_SEARCH_SCHEDULE", given.schedule.clone()),
        ("BLOG_SEARCH_SCHEDULE_ROLE", ROLE_ARN.to_owned()),
        ("BLOG_SEARCH_DEAD_LETTERS", QUEUE_ARN.to_owned()),
        ("AWS_ENDPOINT_URL_DYNAMODB", dynamo_endpoint()),
        ("AWS_ENDPOINT_URL_S3", dynamo_endpoint()),
        ("AWS_ENDPOINT_URL_SCHEDULER", dynamo_endpoint()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
    ]
}

fn stream_batch() -> String {
    std::fs::read_to_string(fixture("dynamodb-stream-posts.json")).unwrap()
}

/// An object of the bucket: its bytes, `Cache-Control` and `Content-Type`.
async fn object(bucket: &str, key: &str) -> (Vec<u8>, String, String) {
    let object = s3_client()
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{key}: {e:?}"));
    let cache = object.cache_control().unwrap_or_default().to_owned();
    let media_type = object.content_type().unwrap_or_default().to_owned();
    let bytes = object.body.collect().await.unwrap().into_bytes().to_vec();
    (bytes, cache, media_type)
}

/// Every key of the bucket under `prefix`.
async fn keys(bucket: &str, prefix: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut pages = s3_client()
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        keys.extend(
            page.unwrap()
                .contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
    }
    keys
}

/// A file's bytes as Pagefind reads them: its index files are gzip-compressed.
fn inflated(bytes: &[u8]) -> Vec<u8> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        bytes.to_vec()
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// An API Gateway v2 event for `GET path` on the media function's `/search/{file+}` route.
fn search_file_event(path: &str) -> String {
    let mut event: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("apigw-v2-category.json")).unwrap())
            .unwrap();
    let file = path.strip_prefix("/search/").unwrap();
    event["rawPath"] = path.into();
    event["routeKey"] = "GET /search/{file+}".into();
    event["requestContext"]["http"]["path"] = path.into();
    event["requestContext"]["routeKey"] = "GET /search/{file+}".into();
    event["pathParameters"] = json!({ "file": file });
    event.to_string()
}

#[tokio::test]
async fn a_stream_batch_rebuilds_the_index_of_public_posts_and_schedules_the_next_one() {
    let given = given().await;
    let bucket = given.bucket.bucket.clone().unwrap();

    let answer = invoke_binary_with("search-index", &env(&given), stream_batch()).await;

    assert_eq!(answer["posts"], 1, "only the public post: {answer}");
    assert_eq!(answer["written"], true, "{answer}");
    assert_eq!(
        answer["next_rebuild"],
        blog_shared::dates::sortable(given.scheduled_at),
        "{answer}"
    );

    // The pointer, short-lived, names a build whose every file is there, each immutable.
    let (pointer, cache, media_type) = object(&bucket, "search/current.json").await;
    assert_eq!(cache, "public, max-age=60");
    assert_eq!(media_type, "application/json");
    let pointer: Value = serde_json::from_slice(&pointer).unwrap();
    let build = pointer["build"].as_str().unwrap().to_owned();
    assert_eq!(answer["build"], build.as_str());
    assert_eq!(pointer["posts"], 1);
    let (manifest, _, _) = object(&bucket, &format!("search/{build}/files.json")).await;
    let names: Vec<String> = serde_json::from_slice(&manifest).unwrap();
    assert!(
        names.iter().any(|n| n == "pagefind-entry.json") && names.len() >= 5,
        "{names:?}"
    );
    let stored = keys(&bucket, &format!("search/{build}/")).await;
    assert_eq!(stored.len(), names.len() + 1, "the files and their list");
    assert_eq!(answer["files"], names.len());

    let mut index = Vec::new();
    for name in &names {
        let key = format!("search/{build}/{name}");
        assert!(stored.contains(&key), "{key} is listed but not stored");
        let (bytes, cache, _) = object(&bucket, &key).await;
        assert_eq!(cache, "public, max-age=31536000, immutable", "{key}");
        index.extend(inflated(&bytes));
    }
    // What a reader can find, and what they cannot.
    for word in [PUBLIC_WORD, UPDATED_WORD] {
        assert!(
            contains(&index, word),
            "the public post's {word} is indexed"
        );
    }
    for word in [DRAFT_WORD, SCHEDULED_WORD, DELETED_WORD] {
        assert!(!contains(&index, word), "{word} is in the public index");
    }

    // The rebuild when the scheduled post appears: at its time, as this function, once.
    let schedule = scheduler_client()
        .get_schedule()
        .name(&given.schedule)
        .send()
        .await
        .unwrap();
    let at = given.scheduled_at.to_offset(time::UtcOffset::UTC);
    assert_eq!(
        schedule.schedule_expression(),
        Some(format!("at({})", &blog_shared::dates::sortable(at)[..19]).as_str())
    );
    assert_eq!(schedule.schedule_expression_timezone(), Some("UTC"));
    assert_eq!(
        schedule.action_after_completion().map(|a| a.as_str()),
        Some("DELETE")
    );
    let target = schedule.target().unwrap();
    assert_eq!(target.arn(), FUNCTION_ARN);
    assert_eq!(target.role_arn(), ROLE_ARN);
    assert_eq!(
        target.dead_letter_config().and_then(|d| d.arn()),
        Some(QUEUE_ARN)
    );
    let input: Value = serde_json::from_str(target.input().unwrap()).unwrap();
    assert_eq!(
        input,
        json!({ "appearing": blog_shared::dates::sortable(given.scheduled_at) })
    );

    // Without the CDN, the media function serves the files with the same headers.
    let media_env = vec![
        ("BLOG_MEDIA_BUCKET", bucket.clone()),
        ("BLOG_TABLE", given.store.table.clone().unwrap()),
        ("BLOG_BASE_URL", "https://blog.example.com".to_owned()),
        ("AWS_ENDPOINT_URL_S3", dynamo_endpoint()),
        ("AWS_ENDPOINT_URL_DYNAMODB", dynamo_endpoint()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
    ];
    let fragment = names
        .iter()
        .find(|n| n.ends_with(".pf_fragment"))
        .expect("a fragment");
    for (path, cache, media_type) in [
        (
            "/search/current.json".to_owned(),
            "public, max-age=60",
            "application/json",
        ),
        (
            format!("/search/{build}/pagefind-entry.json"),
            "public, max-age=31536000, immutable",
            "application/json",
        ),
        (
            format!("/search/{build}/{fragment}"),
            "public, max-age=31536000, immutable",
            "application/octet-stream",
        ),
    ] {
        let response = invoke_binary_with("media", &media_env, search_file_event(&path)).await;
        assert_eq!(response["statusCode"], 200, "{path}: {response}");
        assert_eq!(response["headers"]["cache-control"], cache, "{path}");
        assert_eq!(response["headers"]["content-type"], media_type, "{path}");
        assert_eq!(
            response["headers"]["x-content-type-options"], "nosniff",
            "{path}"
        );
    }
    let response = invoke_binary_with(
        "media",
        &media_env,
        search_file_event(&format!("/search/{build}/missing.pf_fragment")),
    )
    .await;
    assert_eq!(response["statusCode"], 404, "{response}");
}

#[tokio::test]
async fn an_unchanged_index_is_left_alone_but_the_daily_refresh_writes_it_again() {
    let given = given().await;
    let first = invoke_binary_with("search-index", &env(&given), stream_batch()).await;
    assert_eq!(first["written"], true, "{first}");

    let by_hand = invoke_binary_with("search-index", &env(&given), "{}".to_owned()).await;
    assert_eq!(by_hand["written"], false, "{by_hand}");
    assert_eq!(by_hand["build"], first["build"]);

    let refresh = invoke_binary_with(
        "search-index",
        &env(&given),
        json!({ "refresh": true }).to_string(),
    )
    .await;
    assert_eq!(
        refresh["written"], true,
        "written again, young again under the lifecycle rule: {refresh}"
    );
    assert_eq!(refresh["build"], first["build"]);
}

#[tokio::test]
async fn with_no_post_scheduled_the_schedule_is_removed() {
    let given = given().await;
    invoke_binary_with("search-index", &env(&given), stream_batch()).await;
    let scheduler = scheduler_client();
    assert!(
        scheduler
            .get_schedule()
            .name(&given.schedule)
            .send()
            .await
            .is_ok()
    );

    // The scheduled post is withdrawn.
    let slug = Slug::parse("brontowhistle-next-month").unwrap();
    let version = given
        .store
        .store
        .post(&slug)
        .await
        .unwrap()
        .unwrap()
        .version;
    given.store.store.delete(&slug, version).await.unwrap();
    let answer = invoke_binary_with("search-index", &env(&given), stream_batch()).await;

    assert_eq!(answer["next_rebuild"], Value::Null, "{answer}");
    let error = scheduler
        .get_schedule()
        .name(&given.schedule)
        .send()
        .await
        .expect_err("the schedule is gone");
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception()),
        "{error:?}"
    );
}

/// A build that cannot be written fails the invocation (so that the stream retries it, then
/// sends it to the dead-letter queue), naming what failed; nothing half-written is pointed at.
#[tokio::test]
async fn a_build_that_cannot_be_written_fails_the_invocation_naming_why() {
    let given = given().await;
    let mut env = env(&given);
    env.retain(|(name, _)| *name != "BLOG_MEDIA_BUCKET");
    env.push((
        "BLOG_MEDIA_BUCKET",
        "no-such-bucket-for-the-index".to_owned(),
    ));

    let outcome = invoke_binary_outcome("search-index", &env, stream_batch()).await;

    let error = outcome.expect_err("the invocation fails");
    let error: Value = serde_json::from_str(&error)
        .unwrap_or_else(|_| panic!("the function reported an error, not {error}"));
    assert_eq!(error["errorType"], "SearchIndexBuildFailed", "{error}");
    let message = error["errorMessage"].as_str().unwrap();
    assert!(
        message.starts_with("rebuilding the search index failed: "),
        "{message}"
    );
    assert!(message.contains("NoSuchBucket"), "{message}");
}
