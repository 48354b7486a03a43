//! `blog serve` as a user runs it: a process that seeds an empty database, prints its URL,
//! serves the site and stops cleanly on Ctrl-C.

use blog_shared::Store;
use blog_tests::{ServeProcess, examples_dir, texts};

#[tokio::test]
async fn blog_serve_seeds_prints_its_url_serves_and_stops_on_ctrl_c() {
    let dir = tempfile::TempDir::new().unwrap();
    let seed = examples_dir().display().to_string();

    let blog = ServeProcess::start_with(dir.path(), &["--seed", &seed]).await;

    assert!(
        blog.printed
            .iter()
            .any(|l| l.starts_with("Seeded 12 posts")),
        "{:?}",
        blog.printed
    );
    assert!(
        blog.printed
            .iter()
            .any(|l| l.starts_with("  export BLOG_INGEST_TOKEN=")),
        "a token to publish with: {:?}",
        blog.printed
    );
    assert!(
        blog.printed
            .last()
            .unwrap()
            .contains(&format!("{}/", blog.url)),
        "{:?} names {}",
        blog.printed,
        blog.url
    );
    let page = reqwest::get(format!("{}/category/microservices", blog.url))
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = scraper::Html::parse_document(&page.text().await.unwrap());
    assert_eq!(texts(&html, "article h2").len(), 7);

    let url = blog.url.clone();
    let (clean, printed) = blog.interrupt().await;
    assert!(clean, "a clean exit on Ctrl-C");
    assert_eq!(printed, ["Stopped."]);
    assert!(reqwest::get(&url).await.is_err(), "the port is closed");
}

#[tokio::test]
async fn a_second_start_does_not_seed_again() {
    let dir = tempfile::TempDir::new().unwrap();
    let store = blog_shared::store::SqliteStore::open(&dir.path().join("blog.sqlite3"))
        .await
        .unwrap();
    let given = blog_tests::post_source("Only post", "2020-01-01", &["Mine"]);
    store
        .publish(&blog_shared::parse_post(&given, None).unwrap())
        .await
        .unwrap();
    drop(store);
    let seed = examples_dir().display().to_string();

    let blog = ServeProcess::start_with(dir.path(), &["--seed", &seed]).await;

    assert!(
        !blog.printed.iter().any(|l| l.contains("Seeded")),
        "no seeding: {:?}",
        blog.printed
    );
    let page = reqwest::get(format!("{}/", blog.url)).await.unwrap();
    let html = scraper::Html::parse_document(&page.text().await.unwrap());
    assert_eq!(texts(&html, "article h2"), ["Only post"]);
}

#[tokio::test]
async fn blog_serve_compresses_what_it_sends() {
    let dir = tempfile::TempDir::new().unwrap();
    let seed = examples_dir().display().to_string();
    let blog = ServeProcess::start_with(dir.path(), &["--seed", &seed]).await;
    let client = reqwest::Client::new();
    let response = client
        .get(format!("{}/feed.xml", blog.url))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn blog_serve_keeps_pages_until_anyone_changes_the_database() {
    let dir = tempfile::TempDir::new().unwrap();
    let empty = dir.path().join("no-seed");
    let blog =
        ServeProcess::start_with(dir.path(), &["--seed", &empty.display().to_string()]).await;
    // Another writer on the same file, as `cargo lambda watch`'s ingest or a second server is.
    let other = blog_shared::store::SqliteStore::open(&dir.path().join("blog.sqlite3"))
        .await
        .unwrap();
    let publish = |title: &str, date: &str| {
        blog_shared::parse_post(&blog_tests::post_source(title, date, &["Data"]), None).unwrap()
    };
    let titles = |html: String| texts(&scraper::Html::parse_document(&html), "article h2");
    let home = || async {
        reqwest::get(format!("{}/category/data", blog.url))
            .await
            .unwrap()
    };

    other
        .publish(&publish("First", "2020-01-01"))
        .await
        .unwrap();
    let first = home().await;
    assert!(
        first.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("s-maxage=86400")
    );
    assert!(first.headers().get("age").is_none(), "read from the store");
    assert_eq!(titles(first.text().await.unwrap()), ["First"]);
    let kept = home().await;
    assert!(
        kept.headers().get("age").is_some(),
        "answered from the cache"
    );
    assert_eq!(titles(kept.text().await.unwrap()), ["First"]);
    // A HEAD is answered from the same entry, with the GET's length.
    let head = reqwest::Client::new()
        .head(format!("{}/category/data", blog.url))
        .send()
        .await
        .unwrap();
    assert!(head.headers().get("age").is_some());
    assert_ne!(head.headers()["content-length"], "0");

    // Written by the other connection: the very next request sees it.
    other
        .publish(&publish("Second", "2020-01-02"))
        .await
        .unwrap();
    let fresh = home().await;
    assert!(
        fresh.headers().get("age").is_none(),
        "the cache was dropped"
    );
    assert_eq!(titles(fresh.text().await.unwrap()), ["Second", "First"]);

    // A post scheduled two seconds from now appears when it is due, with no write at that time.
    let soon = time::OffsetDateTime::now_utc() + time::Duration::seconds(2);
    let when = soon
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    other.publish(&publish("Scheduled", &when)).await.unwrap();
    assert_eq!(
        titles(home().await.text().await.unwrap()),
        ["Second", "First"]
    );
    tokio::time::sleep(std::time::Duration::from_millis(3_500)).await;
    assert_eq!(
        titles(home().await.text().await.unwrap()),
        ["Scheduled", "Second", "First"]
    );
}
