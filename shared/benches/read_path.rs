//! What a request and a publish cost in CPU, each beside a baseline measured in the same run:
//!
//! - warm requests through the router over the embedded store, on a realistic 1,000-post corpus
//!   (`benches/corpus.py`: real-length bodies with code blocks and tables): a category page
//!   and a median-length post page, against the same router answering a static body of the
//!   category page's size (the framework's floor); the category page gzipped and brotli-compressed
//!   (what compressing in the function costs); and a full-text feed, per KB of output;
//! - publishing's parse and render of a real post (front matter, Markdown, heading ids,
//!   sanitising), against pulldown-cmark's bare Markdown to HTML of the same text.
//!
//! `cargo bench -p blog-shared --bench read_path` (generates the corpus with python3 first;
//! `BLOG_BENCH_POSTS=100` for a smaller one, `BLOG_BENCH_REQUESTS` for longer CPU loops).

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use blog_shared::{AppState, SiteConfig, http, parse_post, seed, store::SqliteStore};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tower::ServiceExt;

fn example(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/posts")
        .join(name);
    std::fs::read_to_string(path).expect("example post")
}

/// Writes the benchmark corpus into `dir` and answers its manifest.
fn corpus(dir: &std::path::Path) -> serde_json::Value {
    let posts = std::env::var("BLOG_BENCH_POSTS").unwrap_or_else(|_| "1000".into());
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/corpus.py");
    let manifest = dir.join("manifest.json");
    let status = std::process::Command::new("python3")
        .arg(script)
        .arg(dir.join("posts"))
        .args(["--posts", &posts, "--manifest"])
        .arg(&manifest)
        .status()
        .expect("python3 runs benches/corpus.py");
    assert!(status.success(), "benches/corpus.py failed");
    serde_json::from_slice(&std::fs::read(manifest).unwrap()).unwrap()
}

/// Answers `path` through `app`, with `accept_encoding` if any: the body's length.
async fn get(app: &axum::Router, path: &str, accept_encoding: Option<&str>) -> usize {
    let mut request = Request::get(path);
    if let Some(encoding) = accept_encoding {
        request = request.header("accept-encoding", encoding);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .len()
}

/// This process's CPU time so far, every thread's, user and system, to the nanosecond.
fn process_cpu() -> std::time::Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec; the clock exists on every Linux.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut now) };
    assert_eq!(status, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID)");
    std::time::Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// `count` sequential requests for `path`: the process's CPU time per request.
#[inline(never)]
fn requests(
    runtime: &tokio::runtime::Runtime,
    app: &axum::Router,
    path: &str,
    count: u32,
) -> std::time::Duration {
    let before = process_cpu();
    for _ in 0..count {
        runtime.block_on(get(app, path, None));
    }
    (process_cpu() - before) / count
}

fn read_path(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::TempDir::new().unwrap();
    let manifest = corpus(dir.path());
    // The biggest category, and a post of median length.
    let category = manifest["categories"]
        .as_object()
        .unwrap()
        .values()
        .max_by_key(|c| c["posts"].as_u64())
        .unwrap()["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut posts: Vec<&serde_json::Value> = manifest["posts"].as_array().unwrap().iter().collect();
    posts.sort_by_key(|p| p["bytes"].as_u64());
    let post = posts[posts.len() / 2]["slug"].as_str().unwrap().to_owned();
    let (category_page, post_page, feed) = (
        format!("/category/{category}"),
        format!("/posts/{post}"),
        "/feed.xml".to_owned(),
    );

    let app = runtime.block_on(async {
        let store = SqliteStore::open(&dir.path().join("bench.sqlite3"))
            .await
            .unwrap();
        let report = seed::seed(&store, &dir.path().join("posts")).await.unwrap();
        assert_eq!(report.created, posts.len(), "every corpus post is stored");
        http::site(AppState::new(
            Arc::new(store),
            SiteConfig::new("https://blog.example.com").unwrap(),
        ))
    });
    let sizes = runtime.block_on(async {
        let mut sizes = Vec::new();
        for path in [&category_page, &post_page, &feed] {
            sizes.push(get(&app, path, None).await);
        }
        sizes
    });
    println!(
        "corpus: {} posts; {category_page} {} B, {post_page} {} B, {feed} {} B",
        posts.len(),
        sizes[0],
        sizes[1],
        sizes[2]
    );
    let static_body: &'static str = "x".repeat(sizes[0]).leak();
    let floor = axum::Router::new().route(
        "/category/{category}",
        axum::routing::get(move || async move { static_body }),
    );
    // CPU, not wall time: the process's user and system time over many sequential requests.
    // On this kind of machine (a VM) it moves with other load nearly as much as a wall clock
    // does; callgrind's count of instructions does not: `valgrind --tool=callgrind
    // --collect-atstart=no --toggle-collect='read_path::requests'` with `BLOG_BENCH_ONLY=post`
    // (or `category`) counts one page's loop alone. `BLOG_BENCH_REQUESTS=150000` makes each
    // loop long enough to attach a profiler to.
    let requests: u32 = std::env::var("BLOG_BENCH_REQUESTS").map_or(10_000, |n| n.parse().unwrap());
    let only = std::env::var("BLOG_BENCH_ONLY").unwrap_or_default();
    for (name, app, path) in [
        ("static body (the floor)", &floor, &category_page),
        ("category page", &app, &category_page),
        ("post page", &app, &post_page),
    ] {
        if name.contains(only.as_str()) {
            let cpu = self::requests(&runtime, app, path, requests);
            let micros = cpu.as_secs_f64() * 1e6;
            println!("CPU per request, {name} ({path}): {micros:.1} µs");
        }
    }

    let mut group = c.benchmark_group("warm request");
    group.bench_function(
        "baseline: router, static body of the category page's size",
        |b| {
            b.to_async(&runtime)
                .iter(|| async { get(&floor, &category_page, None).await })
        },
    );
    group.bench_function("category page (one query + template fill)", |b| {
        b.to_async(&runtime)
            .iter(|| async { get(&app, &category_page, None).await })
    });
    group.bench_function("post page, median length", |b| {
        b.to_async(&runtime)
            .iter(|| async { get(&app, &post_page, None).await })
    });
    group.bench_function("category page, gzip", |b| {
        b.to_async(&runtime)
            .iter(|| async { get(&app, &category_page, Some("gzip")).await })
    });
    group.bench_function("category page, brotli", |b| {
        b.to_async(&runtime)
            .iter(|| async { get(&app, &category_page, Some("br")).await })
    });
    group.finish();

    let mut group = c.benchmark_group("full-text feed");
    group.throughput(Throughput::Bytes(sizes[2] as u64));
    group.bench_function("/feed.xml", |b| {
        b.to_async(&runtime)
            .iter(|| async { get(&app, &feed, None).await })
    });
    group.finish();
}

fn publish_render(c: &mut Criterion) {
    let source =
        example("synchronous-communication-for-microservices-current-status-and-learnings.md");
    let body = source.splitn(3, "---\n").nth(2).unwrap().to_owned();
    let mut group = c.benchmark_group("render one post at publish");
    group.throughput(Throughput::Bytes(source.len() as u64));
    group.bench_function("baseline: pulldown-cmark to HTML", |b| {
        b.iter(|| {
            let mut html = String::new();
            pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(&body));
            html
        })
    });
    group.bench_function(
        "blog: parse_post (front matter, render, sanitise, excerpt)",
        |b| b.iter(|| parse_post(&source, None).unwrap()),
    );
    group.finish();
}

criterion_group!(benches, read_path, publish_render);
criterion_main!(benches);
