//! RSS feeds, read back by two real feed parsers: the `rss` crate and Python's feedparser.

use std::io::Write;
use std::process::{Command, Stdio};

use blog_tests::{Backend, TestSite, TestStore};

/// What Python's feedparser makes of a feed. The interpreter comes from `BLOG_TEST_PYTHON`
/// (scripts/test points it at the venv that has feedparser); without feedparser the test fails.
fn feedparser(feed: &str) -> serde_json::Value {
    let python = std::env::var("BLOG_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("check_feed.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}; run the tests with scripts/test"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(feed.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "feedparser failed (run the tests with scripts/test, which installs it): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

async fn seeded_site() -> (TestStore, TestSite) {
    let given = TestStore::new(Backend::Sqlite).await;
    given.seed_examples().await;
    let site = TestSite::start(given.store.clone()).await;
    (given, site)
}

async fn fetch_feed(site: &TestSite, path: &str) -> String {
    let response = site.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(
        response.headers()["content-type"],
        "application/rss+xml; charset=utf-8"
    );
    response.text().await.unwrap()
}

#[tokio::test]
async fn the_category_feed_is_rss_2_with_absolute_links_newest_first() {
    let (_store, site) = seeded_site().await;

    let xml = fetch_feed(&site, "/category/microservices/feed.xml").await;

    let channel = rss::Channel::read_from(xml.as_bytes()).expect("the rss crate reads it back");
    assert_eq!(channel.title(), "Backstage Blog: Microservices");
    assert_eq!(channel.link(), site.url("/category/microservices"));
    let first = &channel.items()[0];
    assert_eq!(
        first.title(),
        Some("Using Kubernetes Pod Metadata to Improve Zipkin Traces")
    );
    assert_eq!(
        first.link(),
        Some(
            site.url("/posts/using-kubernetes-pod-metadata-to-improve-zipkin-traces")
                .as_str()
        )
    );
    assert_eq!(first.pub_date(), Some("Wed, 19 Sep 2018 00:00:00 +0000"));

    let parsed = feedparser(&xml);
    assert_eq!(
        parsed["bozo"], 0,
        "feedparser: {}",
        parsed["bozo_exception"]
    );
    assert_eq!(parsed["version"], "rss20");
    let entries = parsed["entries"].as_array().unwrap();
    assert_eq!(
        entries.len(),
        7,
        "the six seed posts and the older one in two categories"
    );
    assert_eq!(entries[2]["author"], "Matthias Käppler");
    assert_eq!(entries[0]["tags"][0], "Microservices");
    for entry in entries {
        let link = entry["link"].as_str().unwrap();
        assert!(link.starts_with(&site.base_url), "{link} is absolute");
        assert_eq!(
            site.get(link.strip_prefix(&site.base_url).unwrap())
                .await
                .status(),
            200,
            "{link} opens"
        );
    }
}

#[tokio::test]
async fn the_site_feed_holds_the_newest_posts_of_every_category() {
    let (_store, site) = seeded_site().await;

    let parsed = feedparser(&fetch_feed(&site, "/feed.xml").await);

    assert_eq!(
        parsed["bozo"], 0,
        "feedparser: {}",
        parsed["bozo_exception"]
    );
    assert_eq!(parsed["title"], "Backstage Blog");
    let titles: Vec<&str> = parsed["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), site.config.page_size);
    assert_eq!(
        titles[0], "Writing Runbooks Engineers Actually Read",
        "the newest post leads"
    );
}

#[tokio::test]
async fn a_forged_host_header_does_not_change_the_feeds_urls() {
    let (_store, site) = seeded_site().await;

    let response = site
        .http
        .get(site.url("/feed.xml"))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    let xml = response.text().await.unwrap();

    assert!(!xml.contains("evil.example"));
    let channel = rss::Channel::read_from(xml.as_bytes()).unwrap();
    assert!(
        channel
            .items()
            .iter()
            .all(|i| i.link().unwrap().starts_with(&site.base_url))
    );
}

#[tokio::test]
async fn an_empty_blog_has_a_valid_empty_feed() {
    let given = TestStore::new(Backend::Sqlite).await;
    let site = TestSite::start(given.store.clone()).await;
    let parsed = feedparser(&fetch_feed(&site, "/feed.xml").await);
    assert_eq!(
        parsed["bozo"], 0,
        "feedparser: {}",
        parsed["bozo_exception"]
    );
    assert_eq!(parsed["entries"].as_array().unwrap().len(), 0);
}
