//! What a request and a publish cost in CPU, each beside a baseline measured in the same run:
//!
//! - a category page served through the router over the embedded store, against the same
//!   router answering a static body (the framework's floor);
//! - publishing's parse and render of a real post (front matter, Markdown, heading ids,
//!   sanitising), against pulldown-cmark's bare Markdown to HTML of the same text.
//!
//! `cargo bench -p blog-shared --bench read_path`

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

fn read_path(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::TempDir::new().unwrap();
    let app = runtime.block_on(async {
        let store = SqliteStore::open(&dir.path().join("bench.sqlite3"))
            .await
            .unwrap();
        let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/posts");
        seed::seed(&store, &examples).await.unwrap();
        http::site(AppState::new(
            Arc::new(store),
            SiteConfig::new("https://blog.example.com").unwrap(),
        ))
    });
    let floor = axum::Router::new().route(
        "/category/{category}",
        axum::routing::get(|| async { "static" }),
    );

    let mut group = c.benchmark_group("GET /category/microservices");
    group.bench_function("baseline: router, static body", |b| {
        b.to_async(&runtime).iter(|| {
            let request = Request::get("/category/microservices")
                .body(Body::empty())
                .unwrap();
            floor.clone().oneshot(request)
        })
    });
    group.bench_function("blog: one query + template fill", |b| {
        b.to_async(&runtime).iter(|| {
            let request = Request::get("/category/microservices")
                .body(Body::empty())
                .unwrap();
            app.clone().oneshot(request)
        })
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
