//! `blog serve` as a user runs it: a process that seeds an empty database, prints its URL,
//! serves the site and stops cleanly on Ctrl-C.

use std::process::Stdio;
use std::time::Duration;

use blog_shared::Store;
use tokio::io::{AsyncBufReadExt, BufReader};

fn blog_binary() -> std::path::PathBuf {
    let deps = std::env::current_exe().unwrap();
    let path = deps.parent().unwrap().parent().unwrap().join("blog");
    assert!(
        path.exists(),
        "{} is not built: run the tests with scripts/test",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn blog_serve_seeds_prints_its_url_serves_and_stops_on_ctrl_c() {
    let dir = tempfile::TempDir::new().unwrap();
    let db = dir.path().join("site.sqlite3");
    let addr = format!("127.0.0.1:{}", free_port());
    let mut child = tokio::process::Command::new(blog_binary())
        .args(["serve", "--addr", &addr, "--db"])
        .arg(&db)
        .arg("--seed")
        .arg(blog_tests::examples_dir())
        .env_remove("BLOG_BASE_URL")
        .env_remove("BLOG_DB")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();

    let mut printed = Vec::new();
    while let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await
    {
        let ready = line.contains("running at");
        printed.push(line);
        if ready {
            break;
        }
    }
    assert!(
        printed.iter().any(|l| l.starts_with("Seeded 12 posts")),
        "{printed:?}"
    );
    let url = format!("http://{addr}/");
    assert!(
        printed.last().unwrap().contains(&url),
        "{printed:?} names {url}"
    );

    let page = reqwest::get(format!("{url}category/microservices"))
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = scraper::Html::parse_document(&page.text().await.unwrap());
    assert_eq!(blog_tests::texts(&html, "article h2").len(), 7);

    // Ctrl-C is SIGINT to the process.
    let pid = child.id().unwrap().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("stops")
        .unwrap();
    assert!(status.success(), "a clean exit, not {status:?}");
    assert_eq!(
        lines.next_line().await.unwrap().as_deref(),
        Some("Stopped.")
    );
    assert!(reqwest::get(&url).await.is_err(), "the port is closed");
}

#[tokio::test]
async fn a_second_start_does_not_seed_again() {
    let dir = tempfile::TempDir::new().unwrap();
    let db = dir.path().join("site.sqlite3");
    let store = blog_shared::store::SqliteStore::open(&db).await.unwrap();
    let given = blog_tests::post_source("Only post", "2020-01-01", &["Mine"]);
    store
        .publish(&blog_shared::parse_post(&given, None).unwrap())
        .await
        .unwrap();
    drop(store);
    let addr = format!("127.0.0.1:{}", free_port());
    let mut child = tokio::process::Command::new(blog_binary())
        .args(["serve", "--addr", &addr, "--db"])
        .arg(&db)
        .arg("--seed")
        .arg(blog_tests::examples_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    while let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await
    {
        let ready = line.contains("running at");
        printed.push(line);
        if ready {
            break;
        }
    }
    assert!(
        !printed.iter().any(|l| l.contains("Seeded")),
        "no seeding: {printed:?}"
    );

    let page = reqwest::get(format!("http://{addr}/")).await.unwrap();
    let html = scraper::Html::parse_document(&page.text().await.unwrap());
    assert_eq!(blog_tests::texts(&html, "article h2"), ["Only post"]);
    child.kill().await.unwrap();
}
