//! `blog serve` attacked from outside, as a reader could: half-sent requests, idle and
//! countless connections, huge headers, readers that never read a large file. Each test runs
//! the real binary and checks what the process holds (its open files, its resident memory),
//! bounded, where it grew without bound before.

use std::time::Duration;

use blog_shared::store::blobs::{Blobs, SqliteBlobs, sha256_hex};
use blog_tests::ServeProcess;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TOKEN: &str = "limits-token";

/// `blog serve` with short deadlines (1 s for headers, 2 s for a write) and a cap of
/// `connections`, on `dir`.
async fn strict_serve_with(dir: &std::path::Path, connections: &str) -> ServeProcess {
    let no_seed = dir.join("no-seed").display().to_string();
    ServeProcess::start_with(
        dir,
        &[
            "--token",
            TOKEN,
            "--seed",
            &no_seed,
            "--header-timeout",
            "1",
            "--write-timeout",
            "2",
            "--max-connections",
            connections,
        ],
    )
    .await
}

/// [`strict_serve_with`] a cap of 24 connections.
async fn strict_serve(dir: &std::path::Path) -> ServeProcess {
    strict_serve_with(dir, "24").await
}

async fn connect(url: &str) -> TcpStream {
    TcpStream::connect(url.trim_start_matches("http://"))
        .await
        .expect("connect")
}

/// Reads until the server closes the connection (within 10 s): what it sent. Panics if the
/// connection is still open then.
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await
    .expect("the server closes the connection");
    received
}

#[tokio::test]
async fn half_sent_requests_and_idle_connections_are_closed() {
    let dir = tempfile::TempDir::new().unwrap();
    let blog = strict_serve(dir.path()).await;

    // Half a request's headers, then nothing.
    let mut half = connect(&blog.url).await;
    half.write_all(b"GET / HTTP/1.1\r\nHost: blog\r\nX-Slow: ")
        .await
        .unwrap();
    let answered = read_until_closed(&mut half).await;
    assert!(
        answered.is_empty() || answered.starts_with(b"HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&answered)
    );

    // A whole request answered, then the connection left idle.
    let mut idle = connect(&blog.url).await;
    idle.write_all(b"GET /robots.txt HTTP/1.1\r\nHost: blog\r\n\r\n")
        .await
        .unwrap();
    let answered = read_until_closed(&mut idle).await;
    assert!(
        answered.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answered)
    );
}

#[tokio::test]
async fn countless_connections_hold_no_more_than_the_cap_and_readers_still_get_in() {
    let dir = tempfile::TempDir::new().unwrap();
    let blog = strict_serve(dir.path()).await;
    // A first reader: what serving a page opens (the database's files) is open before.
    let first = reqwest::get(format!("{}/robots.txt", blog.url))
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    first.bytes().await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let before = blog.open_files();

    let mut held = Vec::new();
    for _ in 0..120 {
        let mut stream = connect(&blog.url).await;
        // Some kernels refuse past the queue: a refused connection holds nothing either.
        let _ = stream
            .write_all(b"GET / HTTP/1.1\r\nHost: blog\r\nX-Slow: ")
            .await;
        held.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let during = blog.open_files();

    assert!(
        during <= before + 24,
        "{during} descriptors open with 120 half-sent requests (cap 24, {before} before)"
    );
    let reader = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let page = reader.get(format!("{}/robots.txt", blog.url)).send().await;
    assert_eq!(
        page.map(|p| p.status().as_u16()).ok(),
        Some(200),
        "a reader gets in once the deadline frees the held connections"
    );
}

#[tokio::test]
async fn headers_past_the_cap_are_refused_and_the_page_cache_stays_within_its_budget() {
    let dir = tempfile::TempDir::new().unwrap();
    let blog = strict_serve(dir.path()).await;
    let client = reqwest::Client::new();

    let huge = format!("gzip;q=0, {}", "x".repeat(200_000));
    let refused = client
        .get(format!("{}/robots.txt?n=huge", blog.url))
        .header("accept-encoding", &huge)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 431, "request header fields too large");

    // 2,500 new URLs, each with an `Accept-Encoding` of 60 KB that the cache once kept in its
    // key uncounted: 150 MB of keys.
    let long = format!("gzip;q=0, {}", "x".repeat(60_000));
    let before = blog.resident_kib();
    for n in 0..2_500 {
        let response = client
            .get(format!("{}/robots.txt?n={n}", blog.url))
            .header("accept-encoding", &long)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.bytes().await.unwrap();
    }
    let after = blog.resident_kib();

    assert!(
        after.saturating_sub(before) < 100 * 1024,
        "resident memory grew from {before} KiB to {after} KiB"
    );
}

/// A large file stored in the embedded database of `dir`, checked: its URL path and bytes.
async fn stored_file(dir: &std::path::Path, size: usize) -> (String, Vec<u8>) {
    let bytes: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
    let sha256 = sha256_hex(&bytes);
    let blobs = SqliteBlobs::open(&dir.join("blog.sqlite3"), TOKEN.as_bytes())
        .await
        .unwrap();
    let path = blog_shared::paths::media(&sha256, "recording.pdf");
    let key = path.trim_start_matches('/');
    blobs
        .put("staging/recording", bytes.clone().into(), "application/pdf")
        .await
        .unwrap();
    blobs
        .copy(
            "staging/recording",
            key,
            "application/pdf",
            &format!("{sha256} {size}"),
        )
        .await
        .unwrap();
    (path, bytes)
}

#[tokio::test]
async fn readers_who_do_not_read_a_large_file_hold_no_copy_of_it() {
    let dir = tempfile::TempDir::new().unwrap();
    let (path, bytes) = stored_file(dir.path(), 20 * 1024 * 1024).await;
    let blog = strict_serve_with(dir.path(), "100").await;
    let before = blog.resident_kib();

    // 70 readers ask for it and read no more than the status line: past 64 at once, the
    // next are asked to come back.
    let mut stalled = Vec::new();
    let mut statuses = Vec::new();
    for _ in 0..70 {
        let mut stream = connect(&blog.url).await;
        stream
            .write_all(format!("GET {path} HTTP/1.1\r\nHost: blog\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).await.unwrap();
        statuses.push(String::from_utf8_lossy(&head[9..12]).into_owned());
        stalled.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let during = blog.resident_kib();

    let sent = statuses.iter().filter(|s| *s == "200").count();
    let turned_away = statuses.iter().filter(|s| *s == "503").count();
    assert_eq!((sent, turned_away), (64, 6), "{statuses:?}");
    assert!(
        during.saturating_sub(before) < 100 * 1024,
        "resident memory grew from {before} KiB to {during} KiB with 70 stalled readers"
    );

    // Still held open by their readers, who read nothing: past the write deadline (2 s) the
    // site lets them go, and a slow reader who keeps receiving gets the whole file, past the
    // deadline that closes idle connections (1 s).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut reader = connect(&blog.url).await;
    reader
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: blog\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let mut received = Vec::new();
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let n = reader.read(&mut buffer).await.unwrap();
        if n == 0 {
            break;
        }
        received.extend_from_slice(&buffer[..n]);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(stalled);
    let body_at = received
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head")
        + 4;
    let head = String::from_utf8_lossy(&received[..body_at]);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("content-length: {}", bytes.len())),
        "{head}"
    );
    assert!(received[body_at..] == bytes[..], "the same bytes");
}
