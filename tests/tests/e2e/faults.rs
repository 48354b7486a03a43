//! When DynamoDB goes away or throttles: readers get the 503 page with `Retry-After` well
//! within API Gateway's 30 s, writers get a 503 problem and nothing half-written, and both
//! recover when it comes back. The real DynamoDB-compatible server stays up behind a link the
//! test breaks and mends, so its data survives the outage as DynamoDB's would.

use std::sync::Arc;
use std::time::{Duration, Instant};

use blog_shared::model::Listing;
use blog_shared::store::{DynamoStore, create_table};
use blog_shared::{Slug, Store};
use blog_tests::{Fault, FaultyLink, MARKDOWN, TOKEN, TestSite, dynamo_client, post_with_body};
use reqwest::{Method, StatusCode};

/// API Gateway gives up on a function after 30 s; an answer must come well before.
const GATEWAY_LIMIT: Duration = Duration::from_secs(29);

struct Given {
    link: FaultyLink,
    store: Arc<dyn Store>,
    site: TestSite,
}

async fn a_blog_behind_a_faulty_link() -> Given {
    let link = FaultyLink::start().await;
    let table = format!(
        "blog-faults-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    create_table(&dynamo_client(None), &table).await.unwrap();
    let store: Arc<dyn Store> = Arc::new(DynamoStore::new(link.client(), table));
    let site = TestSite::start_with_ingest(store.clone(), TOKEN).await;
    Given { link, store, site }
}

async fn send(
    site: &TestSite,
    method: Method,
    path: &str,
    body: &str,
    if_match: Option<&str>,
) -> reqwest::Response {
    let mut request = site
        .http
        .request(method, site.url(path))
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", MARKDOWN)
        .body(body.to_owned());
    if let Some(version) = if_match {
        request = request.header("if-match", version);
    }
    request.send().await.unwrap()
}

async fn the_blog_rides_out(fault: Fault) {
    let given = a_blog_behind_a_faulty_link().await;
    let first = post_with_body("Before", "2020-01-01", &["Ops"], "Written before.");
    assert_eq!(
        send(&given.site, Method::POST, "/posts", &first, None)
            .await
            .status(),
        StatusCode::CREATED
    );

    given.link.set(fault);

    for path in ["/posts/before", "/", "/category/ops", "/feed.xml"] {
        let started = Instant::now();
        let response = given.site.get(path).await;
        let took = started.elapsed();
        assert_eq!(
            response.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "{fault:?} {path}"
        );
        assert!(response.headers().contains_key("retry-after"), "{path}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
        assert!(took < GATEWAY_LIMIT, "{fault:?} {path} took {took:?}");
    }
    let second = post_with_body("During", "2020-01-02", &["Ops"], "Written during.");
    let refused = send(&given.site, Method::POST, "/posts", &second, None).await;
    assert_eq!(
        refused.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "{fault:?}"
    );
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    let edit = first.replace("Written before.", "Edited during.");
    let refused = send(
        &given.site,
        Method::PUT,
        "/posts/before",
        &edit,
        Some("\"v1\""),
    )
    .await;
    assert_eq!(
        refused.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "{fault:?}"
    );

    given.link.set(Fault::None);

    // Nothing of the refused writes is there, half or whole.
    assert_eq!(
        given
            .store
            .post(&Slug::parse("during").unwrap())
            .await
            .unwrap(),
        None
    );
    let stored = given
        .store
        .post(&Slug::parse("before").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.version, 1);
    assert!(stored.body_html.contains("Written before."));
    let ops = Listing::Category(Slug::parse("ops").unwrap());
    let rows = blog_shared::store::listing_page(
        given.store.as_ref(),
        &ops,
        &blog_shared::model::PageRequest::First,
        10,
        time::OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    assert_eq!(rows.entries.len(), 1, "only the post written before");

    // And both sides recover.
    assert_eq!(
        given.site.get("/posts/before").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        send(&given.site, Method::POST, "/posts", &second, None)
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        send(
            &given.site,
            Method::PUT,
            "/posts/before",
            &edit,
            Some("\"v1\"")
        )
        .await
        .status(),
        StatusCode::OK
    );
    assert_eq!(
        given.site.get("/posts/during").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn readers_and_writers_ride_out_dynamodb_going_away() {
    the_blog_rides_out(Fault::Down).await;
}

#[tokio::test]
async fn readers_and_writers_ride_out_throttling() {
    the_blog_rides_out(Fault::Throttling).await;
}
