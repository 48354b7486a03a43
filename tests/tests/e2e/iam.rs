//! Writes in AWS: API Gateway's IAM authoriser puts the caller in the request context, and the
//! ingest function (and the media function's `POST /media`) refuses any request without one, so
//! a route deployed without the authoriser fails closed. Replayed as API Gateway v2 events, through the router and through the binary.

use axum::body::to_bytes;
use blog_shared::http::{self, IngestAuth};
use blog_shared::{AppState, SiteConfig, Slug};
use blog_tests::{Backend, TestStore, fixture};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::functions::{invoke_binary_with, seeded_sqlite};

fn signed_event() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("apigw-v2-ingest-iam.json")).unwrap())
        .unwrap()
}

/// The same request, from a route deployed without the IAM authoriser.
fn unsigned_event() -> Value {
    let mut event = signed_event();
    event["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("authorizer");
    event
}

async fn invoke(store: &TestStore, event: &Value) -> (u16, Value) {
    let router = http::ingest(
        AppState::new(
            store.store.clone(),
            SiteConfig::new("https://blog.example.com").unwrap(),
        ),
        IngestAuth::Iam,
    );
    let request =
        lambda_http::request::from_str(&event.to_string()).expect("a valid API Gateway v2 event");
    let response = router.oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

async fn stored(store: &TestStore) -> bool {
    store
        .store
        .post(&Slug::parse("signed-in-with-iam").unwrap())
        .await
        .unwrap()
        .is_some()
}

#[tokio::test]
async fn a_caller_with_an_iam_identity_may_publish() {
    let store = TestStore::new(Backend::Sqlite).await;
    let (status, body) = invoke(&store, &signed_event()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["url"],
        "https://blog.example.com/posts/signed-in-with-iam"
    );
    assert!(stored(&store).await);
}

#[tokio::test]
async fn without_an_iam_identity_nothing_is_written_even_with_a_token() {
    let store = TestStore::new(Backend::Sqlite).await;
    let mut with_token = unsigned_event();
    with_token["headers"]["authorization"] = json!("Bearer anything");
    let mut jwt_only = unsigned_event();
    jwt_only["requestContext"]["authorizer"] =
        json!({"jwt": {"claims": {"sub": "x"}, "scopes": null}});
    let mut empty_iam = unsigned_event();
    empty_iam["requestContext"]["authorizer"] = json!({"iam": {"userArn": "", "callerId": null}});

    for (what, event) in [
        ("no authoriser", unsigned_event()),
        ("a bearer token", with_token),
        ("a JWT authoriser", jwt_only),
        ("an empty IAM identity", empty_iam),
    ] {
        let (status, body) = invoke(&store, &event).await;
        assert_eq!(status, 403, "{what}: {body}");
        assert!(
            body["detail"].as_str().unwrap().contains("IAM"),
            "{what}: {body}"
        );
        assert!(!stored(&store).await, "{what} wrote nothing");
    }
}

#[tokio::test]
async fn a_body_that_arrives_base64_encoded_is_read() {
    // API Gateway base64-encodes bodies of types it does not treat as text.
    use base64::Engine as _;
    let store = TestStore::new(Backend::Sqlite).await;
    let mut event = signed_event();
    let body = event["body"].as_str().unwrap().to_owned();
    event["body"] = json!(base64::engine::general_purpose::STANDARD.encode(body));
    event["isBase64Encoded"] = json!(true);

    let (status, body) = invoke(&store, &event).await;

    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn the_ingest_binary_fails_closed_without_a_token_configured() {
    let (_dir, db) = seeded_sqlite().await;
    let env = vec![
        ("BLOG_DB", db.clone()),
        ("BLOG_BASE_URL", "https://blog.example.com".to_owned()),
    ];

    let refused = invoke_binary_with("ingest", &env, unsigned_event().to_string()).await;
    assert_eq!(refused["statusCode"], 403, "{refused}");

    let accepted = invoke_binary_with("ingest", &env, signed_event().to_string()).await;
    assert_eq!(accepted["statusCode"], 201, "{accepted}");
}

/// The same signed request, as `POST /media` asking about one PNG.
fn media_event(signed: bool) -> Value {
    let mut event = if signed {
        signed_event()
    } else {
        unsigned_event()
    };
    let png = blog_tests::media_sites::png(16, 8);
    let file = json!({
        "sha256": blog_shared::store::blobs::sha256_hex(&png),
        "name": "chart.png",
        "type": "image/png",
        "size": png.len(),
        "width": 16,
        "height": 8,
    });
    event["routeKey"] = json!("POST /media");
    event["rawPath"] = json!("/media");
    event["requestContext"]["routeKey"] = json!("POST /media");
    event["requestContext"]["http"]["path"] = json!("/media");
    event["headers"]["content-type"] = json!("application/json");
    event["body"] = json!(json!({ "files": [file] }).to_string());
    event
}

#[tokio::test]
async fn the_media_binary_hands_out_upload_slots_to_iam_callers_only() {
    let (_dir, db) = seeded_sqlite().await;
    let env = vec![
        ("BLOG_DB", db.clone()),
        ("BLOG_BASE_URL", "https://blog.example.com".to_owned()),
    ];

    let refused = invoke_binary_with("media", &env, media_event(false).to_string()).await;
    assert_eq!(refused["statusCode"], 403, "{refused}");

    let accepted = invoke_binary_with("media", &env, media_event(true).to_string()).await;
    assert_eq!(accepted["statusCode"], 200, "{accepted}");
    let answer: Value = serde_json::from_str(accepted["body"].as_str().unwrap()).unwrap();
    let file = &answer["files"][0];
    assert_eq!(file["name"], "chart.png", "{answer}");
    assert_eq!(file["stored"], false, "{answer}");
    assert_eq!(file["upload"]["method"], "PUT", "{answer}");
}
