//! The search index, built from each real store into its real file store (the embedded
//! database; S3 on the compatible server): what a reader's browser can find is exactly the
//! public posts, read without a scan, and a rebuild replaces the index whole. Pagefind's files
//! are read as its script reads them: each gzip-compressed, a fragment per post naming its URL
//! and holding its words.

use std::collections::BTreeSet;
use std::io::Read;

use blog_search::{Pointer, Write};
use blog_shared::Slug;
use blog_shared::store::blobs::Blobs;
use blog_tests::{Backend, TestBlobs, TestStore, on_every_backend, post_with_body};
use time::OffsetDateTime;

/// Pagefind's compressed files start with this after decompression.
const SIGNATURE: &[u8] = b"pagefind_dcd";

/// What a build holds: each post's URL, and every word of its files, decompressed.
struct Index {
    pointer: Pointer,
    urls: BTreeSet<String>,
    text: String,
}

async fn read_index(blobs: &dyn Blobs) -> Index {
    let pointer = blog_search::current(blobs)
        .await
        .unwrap()
        .expect("a pointer to the current build");
    let file = |name: &str| format!("search/{}/{name}", pointer.build);
    let manifest = blobs
        .get(&file("files.json"))
        .await
        .unwrap()
        .expect("its list of files");
    let names: Vec<String> = serde_json::from_slice(&manifest.bytes).unwrap();
    let (mut urls, mut text) = (BTreeSet::new(), String::new());
    for name in &names {
        let blob = blobs
            .get(&file(name))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{name}, in the build's list, is stored"));
        if !name.ends_with(".pf_fragment") && !name.ends_with(".pf_index") {
            continue;
        }
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(&blob.bytes[..])
            .read_to_end(&mut bytes)
            .unwrap_or_else(|e| panic!("{name} is gzip: {e}"));
        let bytes = bytes.strip_prefix(SIGNATURE).unwrap_or(&bytes);
        if name.ends_with(".pf_fragment") {
            let fragment: serde_json::Value = serde_json::from_slice(bytes).unwrap();
            urls.insert(fragment["url"].as_str().unwrap().to_owned());
        }
        text.push_str(&String::from_utf8_lossy(bytes).to_lowercase());
    }
    Index {
        pointer,
        urls,
        text,
    }
}

fn post(title: &str, date: &str, body: &str, extra: &str) -> String {
    post_with_body(title, date, &["Search"], body).replacen("---\n", &format!("---\n{extra}"), 1)
}

async fn only_public_posts_are_found_and_a_rebuild_replaces_the_index(backend: Backend) {
    let given = TestStore::new(backend).await;
    let files = TestBlobs::new(backend, "secret").await;
    let (store, blobs) = (given.store.as_ref(), files.blobs.as_ref());
    let soon = OffsetDateTime::now_utc() + time::Duration::days(3);
    given
        .publish_source(&post(
            "Quokka tracing",
            "2018-09-19",
            "Spans from the quokkalith service.",
            "",
        ))
        .await;
    given
        .publish_source(&post(
            "Other post",
            "2019-01-02",
            "Nothing rare here.",
            "tags: [\"zebrafinch\"]\n",
        ))
        .await;
    given
        .publish_source(&post(
            "A draft",
            "2018-01-01",
            "The draftonlyword stays private.",
            "draft: true\n",
        ))
        .await;
    let scheduled = post(
        "Coming soon",
        &soon.date().to_string(),
        "The scheduledonlyword appears later.",
        "",
    );
    given.publish_source(&scheduled).await;
    given.requests.clear();

    let built = blog_search::rebuild(store, blobs, OffsetDateTime::now_utc(), Write::IfChanged)
        .await
        .unwrap();
    assert!(built.written && built.replaced.is_none(), "{built:?}");
    assert_eq!(built.posts, 2);
    // The index is rebuilt when the scheduled post appears (at its date's midnight, UTC).
    assert_eq!(
        built.next_rebuild.map(|t| t.date()),
        Some(soon.date()),
        "{built:?}"
    );
    if backend == Backend::Dynamo {
        let operations = given.requests.sorted_operations();
        assert!(
            operations
                .iter()
                .all(|op| op == "Query" || op == "BatchGetItem"),
            "the build reads by Query and BatchGetItem only: {operations:?}"
        );
    }
    let index = read_index(blobs).await;
    assert_eq!(index.pointer.build, built.build);
    assert_eq!(
        index.urls,
        BTreeSet::from([
            "/posts/quokka-tracing".to_owned(),
            "/posts/other-post".to_owned()
        ])
    );
    for (word, found) in [
        ("quokkalith", true),
        ("zebrafinch", true),
        ("draftonlyword", false),
        ("scheduledonlyword", false),
    ] {
        assert_eq!(index.text.contains(word), found, "{word}");
    }

    // Nothing changed: nothing is written.
    let again = blog_search::rebuild(store, blobs, OffsetDateTime::now_utc(), Write::IfChanged)
        .await
        .unwrap();
    assert!(!again.written && again.build == built.build, "{again:?}");

    // A deleted post leaves the index; the new build replaces the old one whole.
    let slug = Slug::parse("quokka-tracing").unwrap();
    let version = store.post(&slug).await.unwrap().unwrap().version;
    store.delete(&slug, version).await.unwrap();
    let after = blog_search::rebuild(store, blobs, OffsetDateTime::now_utc(), Write::IfChanged)
        .await
        .unwrap();
    assert_eq!(after.replaced.as_deref(), Some(built.build.as_str()));
    let index = read_index(blobs).await;
    assert_eq!(index.urls, BTreeSet::from(["/posts/other-post".to_owned()]));
    assert!(!index.text.contains("quokkalith"));

    // At the scheduled post's time, it is found.
    let later = blog_search::rebuild(
        store,
        blobs,
        soon + time::Duration::days(1),
        Write::IfChanged,
    )
    .await
    .unwrap();
    assert_eq!(later.posts, 2);
    assert!(read_index(blobs).await.text.contains("scheduledonlyword"));

    // The replaced build's files can be removed; the current one's stay.
    blog_search::remove(blobs, &built.build).await.unwrap();
    assert!(
        blobs
            .get(&format!("search/{}/pagefind.js", built.build))
            .await
            .unwrap()
            .is_none()
    );
    read_index(blobs).await;
}

on_every_backend!(only_public_posts_are_found_and_a_rebuild_replaces_the_index);

/// `blog serve` builds the index by itself, serves its files with the CDN's headers, and every
/// page offers the search box.
#[tokio::test]
async fn blog_serve_builds_and_serves_the_index_with_the_cdns_headers() {
    let dir = tempfile::TempDir::new().unwrap();
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/posts");
    let site = blog_tests::ServeProcess::start_with(
        dir.path(),
        &["--token", "t", "--seed", &examples.display().to_string()],
    )
    .await;
    let http = reqwest::Client::new();
    let pointer_url = format!("{}/search/current.json", site.url);
    let mut pointer = None;
    for _ in 0..150 {
        let response = http.get(&pointer_url).send().await.unwrap();
        if response.status() == 200 {
            pointer = Some(response);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let pointer = pointer.expect("blog serve builds the index within 30 s");
    assert_eq!(pointer.headers()["cache-control"], "public, max-age=60");
    assert_eq!(pointer.headers()["content-type"], "application/json");
    let pointer: Pointer = pointer.json().await.unwrap();
    assert_eq!(pointer.posts, 12, "every example post is public");

    let script = http
        .get(format!("{}/search/{}/pagefind.js", site.url, pointer.build))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    assert_eq!(
        script.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(script.headers()["content-type"], "text/javascript");
    for missing in ["nothing-here.js", "../blog.sqlite3", "x/../current.json"] {
        let response = http
            .get(format!("{}/search/{}/{missing}", site.url, pointer.build))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{missing}");
    }

    // The page does not vary with the query: the reader's browser reads it.
    let page = http
        .get(format!("{}/search?q=kubernetes", site.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = scraper::Html::parse_document(&page.text().await.unwrap());
    let select = |css: &str| scraper::Selector::parse(css).unwrap();
    assert_eq!(html.select(&select("input#search-q[name=q]")).count(), 1);
    let noscript = html
        .select(&select("noscript"))
        .next()
        .expect("a message for readers without JavaScript")
        .inner_html();
    assert!(noscript.contains("needs JavaScript"), "{noscript}");
    assert!(
        noscript.contains("href=\"/category/microservices\""),
        "{noscript}"
    );

    for path in [
        "/",
        "/category/microservices",
        "/categories",
        "/posts/inside-a-soundcloud-microservice",
    ] {
        let html = http
            .get(format!("{}{path}", site.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let html = scraper::Html::parse_document(&html);
        let form = html
            .select(&select(
                "header form[role=search][action='/search'][method=get]",
            ))
            .next()
            .unwrap_or_else(|| panic!("{path} has the search box in its header"));
        assert_eq!(
            form.select(&select("input[name=q]")).count(),
            1,
            "{path}: the box sends `q`"
        );
    }
}
