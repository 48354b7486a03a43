//! Any request, read or write, through the router `blog serve` runs: method, path and query,
//! headers and body from the fuzzer, against an embedded store, its headers repeated (up to 128
//! times each) and blown up (each value repeated past 100 KB) as the selector byte's high bits
//! say. Nothing panics, and no answer is a 500 (an error of ours): bad input is a 4xx naming it.
#![no_main]

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::Request;
use blog_shared::http::{self, IngestAuth};
use blog_shared::store::SqliteStore;
use blog_shared::{AppState, SiteConfig};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

struct Site {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
}

fn site() -> &'static Site {
    static SITE: OnceLock<Site> = OnceLock::new();
    SITE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let dir = std::env::temp_dir().join(format!("blog-fuzz-{}", std::process::id()));
        let router = runtime.block_on(async {
            let store = SqliteStore::open(&dir.join("blog.sqlite3"))
                .await
                .expect("an embedded store");
            let site = SiteConfig::new("https://blog.example.com").expect("a site");
            http::site_with_ingest(
                AppState::new(Arc::new(store), site),
                IngestAuth::Token("fuzz".into()),
            )
        });
        Site { runtime, router }
    })
}

fuzz_target!(init: {
    site();
    // Highlighting loads its syntaxes on first use (a second or two): not the input's cost.
    let _ = blog_shared::parse_post("---\ntitle: x\ndate: 2020-01-01\n---\n```rust\nfn x() {}\n```\n", None);
}, |data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    // The target line, then header lines, then a blank line, then the body.
    let text = String::from_utf8_lossy(rest);
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let target = lines.next().unwrap_or("/");
    let method = ["GET", "POST", "PUT", "DELETE", "HEAD"][usize::from(selector % 5)];
    let mut request = Request::builder().method(method).uri(target);
    if selector & 8 != 0 {
        request = request.header("authorization", "Bearer fuzz");
    }
    // Bit 4: each value blown up past 100 KB; bits 5-7: each header sent 1 to 128 times.
    let oversized = selector & 16 != 0;
    let repeats = 1usize << (selector >> 5);
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim();
            let value = if oversized && !value.is_empty() {
                value.repeat(100_000 / value.len() + 1)
            } else {
                value.to_owned()
            };
            for _ in 0..repeats {
                request = request.header(name.trim(), value.as_str());
            }
        }
    }
    let Ok(request) = request.body(Body::from(body.to_owned())) else {
        return;
    };
    let site = site();
    let response = site
        .runtime
        .block_on(site.router.clone().oneshot(request))
        .expect("the router always answers");
    assert_ne!(response.status().as_u16(), 500, "{method} {target}");
});
