//! API Gateway HTTP API (payload 2.0) events, as Lambda receives them, replayed through each
//! function's own router: the same path the deployed functions take, minus the network.

use axum::body::to_bytes;
use blog_shared::{AppState, SiteConfig, http};
use blog_tests::{Backend, TestStore, fixture, texts};
use tower::ServiceExt;

const PUBLIC_URL: &str = "https://blog.example.com";

async fn invoke(
    router: axum::Router,
    event_file: &str,
) -> (axum::http::StatusCode, axum::http::HeaderMap, String) {
    let event = std::fs::read_to_string(fixture(event_file)).unwrap();
    let request = lambda_http::request::from_str(&event).expect("a valid API Gateway v2 event");
    let response = router.oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = to_bytes(body, 10 << 20).await.unwrap();
    let encoding = parts
        .headers
        .get("content-encoding")
        .map(|e| e.to_str().unwrap().to_owned());
    let text = blog_tests::decode_body(&body, encoding.as_deref());
    (parts.status, parts.headers, text)
}

async fn state() -> (TestStore, AppState) {
    let given = TestStore::new(Backend::Sqlite).await;
    given.seed_examples().await;
    let state = AppState::new(given.store.clone(), SiteConfig::new(PUBLIC_URL).unwrap());
    (given, state)
}

#[tokio::test]
async fn list_posts_answers_a_category_event() {
    let (_store, state) = state().await;

    let (status, headers, body) = invoke(http::list_posts(state), "apigw-v2-category.json").await;

    assert_eq!(status, 200);
    assert!(headers.contains_key("etag") && headers.contains_key("cache-control"));
    let page = scraper::Html::parse_document(&body);
    assert_eq!(
        texts(&page, ".browsing"),
        ["You're browsing posts of the category Microservices"]
    );
    assert_eq!(
        blog_tests::attrs(&page, "link[rel=canonical]", "href"),
        [format!("{PUBLIC_URL}/category/microservices")],
        "the canonical URL is the configured one, not API Gateway's host"
    );
}

#[tokio::test]
async fn get_post_answers_a_post_event_behind_cloudfront() {
    let (_store, state) = state().await;

    let (status, _headers, body) = invoke(http::get_post(state), "apigw-v2-post.json").await;

    assert_eq!(status, 200);
    assert!(
        !body.contains("evil.example"),
        "X-Forwarded-Host is ignored"
    );
    let page = scraper::Html::parse_document(&body);
    assert_eq!(texts(&page, "h1"), ["Inside a SoundCloud Microservice"]);
}

#[tokio::test]
async fn feed_answers_a_category_feed_event_with_configured_urls() {
    let (_store, state) = state().await;

    let (status, headers, body) = invoke(http::feed(state), "apigw-v2-category-feed.json").await;

    assert_eq!(status, 200);
    assert_eq!(
        headers["content-type"],
        "application/rss+xml; charset=utf-8"
    );
    let channel = rss::Channel::read_from(body.as_bytes()).unwrap();
    assert!(
        channel
            .items()
            .iter()
            .all(|i| i.link().unwrap().starts_with(PUBLIC_URL))
    );
    assert!(!body.contains("evil.example"));
}

#[tokio::test]
async fn a_function_answers_only_its_own_routes() {
    let (_store, state) = state().await;

    let (status, _headers, body) = invoke(http::get_post(state), "apigw-v2-category.json").await;

    assert_eq!(status, 404, "get-post does not serve category pages");
    assert!(body.contains("Page not found"));
}
