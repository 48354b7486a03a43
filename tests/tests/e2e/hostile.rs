//! Hostile and unlucky input, each as a reader or an author would meet it: control characters
//! that would break every feed, names that collide or deceive, limits only AWS enforces, query
//! names spelt another way, and the small things (a 304's `Vary`, a trimmed token).

use blog_shared::Slug;
use blog_tests::{
    Authoring, Backend, ServeProcess, TestSite, attrs, post_with_body, run_blog, texts,
};
use reqwest::StatusCode;
use serde_json::Value;

use crate::feeds::check;

async fn problem(response: reqwest::Response) -> Value {
    response.json().await.unwrap()
}

/// A strict XML reader's verdict on every feed of the whole blog, a category and an author.
async fn every_feed_is_well_formed(site: &TestSite, category: &str, author: &str) {
    for listing in [
        "".to_owned(),
        format!("/category/{category}"),
        format!("/author/{author}"),
    ] {
        for file in ["feed.xml", "atom.xml"] {
            let path = format!("{listing}/{file}");
            let response = site.get(&path).await;
            assert_eq!(response.status(), 200, "{path}");
            let xml = response.text().await.unwrap();
            let (ok, printed) = check("xmllint", &["--noout", "-"], &xml);
            assert!(ok, "{path} is not well-formed XML:\n{printed}");
        }
    }
}

#[tokio::test]
async fn pasted_terminal_output_and_control_characters_never_break_a_feed() {
    let given = Authoring::new(Backend::Sqlite).await;
    let body = "Our build printed:\n\n    \u{1b}[31mFAILED\u{1b}[0m\u{b} at step\u{1}\n\nAnd a \u{fffe} too.\n";
    let created = given
        .create(&post_with_body(
            "Terminal output",
            "2020-01-01",
            &["Ops"],
            body,
        ))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);

    // A post stored before ingest cleaned text: its controls reach the feed writer as they are.
    let mut legacy = blog_shared::parse_post(
        &post_with_body("Legacy", "2020-01-02", &["Ops"], "Old body."),
        None,
    )
    .unwrap();
    legacy.title = "Legacy \u{1b}[1mbold\u{1b}[0m".to_owned();
    legacy.excerpt_html = "<p>bell \u{7} and \u{ffff}</p>".to_owned();
    legacy.body_html = "<p>form feed \u{c}</p>".to_owned();
    given.store.store.publish(&legacy).await.unwrap();

    every_feed_is_well_formed(&given.site, "ops", "test-author").await;
    let page = given.site.page("/posts/terminal-output").await;
    let text = texts(&page, ".post-body").join(" ");
    assert!(
        text.contains("\u{fffd}[31mFAILED"),
        "controls are shown as U+FFFD: {text:?}"
    );
    assert!(!text.contains('\u{1b}'));
}

#[tokio::test]
async fn names_that_collide_or_deceive_are_told_apart_or_refused() {
    let given = Authoring::new(Backend::Sqlite).await;
    for (title, category) in [("On C", "C"), ("On C++", "C++"), ("On C#", "C#")] {
        let created = given
            .create(&post_with_body(title, "2020-01-01", &[category], "Text."))
            .await;
        assert_eq!(created.status(), StatusCode::CREATED, "{category}");
    }
    for (path, title) in [
        ("/category/c", "On C"),
        ("/category/c-plus-plus", "On C++"),
        ("/category/c-sharp", "On C#"),
    ] {
        let page = given.site.page(path).await;
        assert_eq!(texts(&page, "article h2"), [title], "{path}");
    }

    let refused = [
        ("a zero-width space", "Ops\u{200b}", "categories"),
        ("a right-to-left override", "\u{202e}spO", "categories"),
        (
            "a control character, escaped in YAML",
            "Ops\\u0007",
            "categories",
        ),
        ("an author with a bidi isolate", "\u{2067}Ann", "authors"),
    ];
    for (what, name, field) in refused {
        let source = match field {
            "authors" => {
                format!("---\ntitle: Deceptive\ndate: 2020-01-01\nauthor: \"{name}\"\n---\nText.\n")
            }
            _ => post_with_body("Deceptive", "2020-01-01", &[name], "Text."),
        };
        let response = given.create(&source).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}"
        );
        let problem = problem(response).await;
        assert_eq!(problem["field"], field, "{what}");
        assert!(
            problem["detail"].as_str().unwrap().contains("U+"),
            "{what}: {problem}"
        );
    }
    let long = "x".repeat(101);
    let response = given
        .create(&post_with_body("Long", "2020-01-01", &[&long], "Text."))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem = problem(response).await;
    assert_eq!(
        (problem["field"].as_str(), problem["limit"].as_u64()),
        (Some("categories"), Some(100))
    );
    let title = blog_shared::parse_post(
        "---\ntitle: \"A \\u0001 title\"\ndate: 2020-01-01\n---\nx\n",
        None,
    );
    assert!(title.is_err(), "a control character in a title is refused");
}

#[tokio::test]
async fn a_huge_summary_in_every_listing_is_stored_in_rows_of_bounded_size() {
    let given = Authoring::new(Backend::Dynamo).await;
    let categories: Vec<String> = (0..10).map(|n| format!("Category {n}")).collect();
    let authors: Vec<String> = (0..8).map(|n| format!("\"Author {n}\"")).collect();
    // A summary that fits the post's item but, copied into nineteen listing rows, would be
    // over DynamoDB's 4 MB transaction limit: rows carry it shortened.
    let summary = "A long summary. ".repeat(11_500);
    let body = "Body text. ".repeat(1_000);
    let source = format!(
        "---\ntitle: Everywhere\ndate: 2020-01-01\ncategories: [{}]\nauthors: [{}]\nsummary: \"{summary}\"\n---\n{body}\n",
        categories.join(", "),
        authors.join(", ")
    );
    let post = blog_shared::parse_post(&source, None).unwrap();
    assert!(source.len() < 1024 * 1024, "under the upload limit");
    assert!(
        blog_shared::store::listing_item_size(&post) <= 4096,
        "each row fits one read unit: {} B",
        blog_shared::store::listing_item_size(&post)
    );
    assert!(
        blog_shared::store::write_size(&post) < 1_000_000,
        "the write is well under 4 MB"
    );

    let response = given.create(&source).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let page = given.site.page("/category/category-9").await;
    let excerpt = blog_tests::texts(&page, ".excerpt").join(" ");
    assert!(
        excerpt.starts_with("A long summary. A long summary."),
        "{excerpt}"
    );
    assert!(excerpt.len() < 1_000, "{} characters", excerpt.len());
    assert_eq!(given.site.get("/posts/everywhere").await.status(), 200);
}

#[tokio::test]
async fn a_page_link_counts_only_the_names_a_cdn_keys_on() {
    let given = Authoring::new(Backend::Sqlite).await;
    for day in 1..=12 {
        given
            .create(&post_with_body(
                &format!("Day {day}"),
                &format!("2020-01-{day:02}"),
                &["Daily"],
                "Text.",
            ))
            .await;
    }
    let home = given.site.page("/").await;
    let older = attrs(&home, "a[rel=next]", "href");
    let older = older.first().expect("an Older link");
    let cursor = older.split_once("after=").unwrap().1;

    // Spelt otherwise: a private redirect to the one spelling, never a page a CDN could keep
    // under the home page's key.
    let respelt = given.site.get(&format!("/?%61fter={cursor}")).await;
    assert_eq!(respelt.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(
        respelt.headers()["location"],
        given.site.url(&format!("/?after={cursor}")).as_str()
    );
    assert!(
        respelt.headers()["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("private")
    );
    // Names a CDN leaves out of its key change nothing here either.
    let tracked = given
        .site
        .get(&format!("/?after={cursor}&utm_source=feed"))
        .await;
    let plain = given.site.get(&format!("/?after={cursor}")).await;
    assert_eq!(tracked.headers()["etag"], plain.headers()["etag"]);
    let first = given.site.get("/?utm_source=feed").await;
    let home = given.site.get("/").await;
    assert_eq!(first.headers()["etag"], home.headers()["etag"]);
    assert_eq!(
        given
            .site
            .get(&format!("/?after={cursor}&after={cursor}"))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn a_304_carries_the_same_vary_as_the_200() {
    let given = Authoring::new(Backend::Sqlite).await;
    given
        .create(&post_with_body("Cached", "2020-01-01", &["Ops"], "Text."))
        .await;
    for path in ["/", "/posts/cached", "/feed.xml", "/category/ops"] {
        for encoding in ["gzip", "br", "identity"] {
            let ok = given
                .site
                .http
                .get(given.site.url(path))
                .header("accept-encoding", encoding)
                .send()
                .await
                .unwrap();
            assert_eq!(ok.status(), 200);
            let etag = ok.headers()["etag"].clone();
            let fresh = given
                .site
                .http
                .get(given.site.url(path))
                .header("accept-encoding", encoding)
                .header("if-none-match", etag)
                .send()
                .await
                .unwrap();
            assert_eq!(fresh.status(), 304, "{path} {encoding}");
            assert_eq!(
                fresh.headers().get("vary"),
                ok.headers().get("vary"),
                "{path} {encoding}"
            );
            assert_eq!(
                fresh.headers()["cache-control"],
                ok.headers()["cache-control"]
            );
        }
    }
}

#[tokio::test]
async fn aliases_that_a_request_can_reach_are_kept_in_the_form_it_arrives_in() {
    let given = Authoring::new(Backend::Sqlite).await;
    let created = given
        .create(
            "---\ntitle: Café\ndate: 2020-01-01\naliases: [\"/carte/café.html\", \"/posts/Old_Name\"]\n---\nText.\n",
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    // Clients send non-ASCII percent-encoded, in either case of hex.
    for old in [
        "/carte/caf%C3%A9.html",
        "/carte/caf%c3%a9.html",
        "/posts/Old_Name",
    ] {
        let response = given.site.get(old).await;
        assert_eq!(response.status(), 301, "{old}");
        assert_eq!(
            response.headers()["location"],
            given.site.url("/posts/cafe").as_str()
        );
    }
    assert!(
        Slug::parse("Old_Name").is_err(),
        "no post can ever own that name"
    );
}

#[tokio::test]
async fn a_token_given_with_spaces_is_trimmed_as_the_header_is() {
    let dir = tempfile::TempDir::new().unwrap();
    let no_seed = dir.path().join("no-seed").display().to_string();
    let blog =
        ServeProcess::start_with(dir.path(), &["--token", " spaced ", "--seed", &no_seed]).await;
    let post = dir.path().join("post.md");
    std::fs::write(&post, post_with_body("Spaced", "2020-01-01", &[], "Text.")).unwrap();

    let run = run_blog(&[
        "publish",
        &post.display().to_string(),
        "--endpoint",
        &blog.url,
        "--token",
        "spaced",
    ])
    .await;

    assert!(run.success, "{run:?}");
}

#[tokio::test]
async fn readers_are_served_while_an_upload_renders() {
    let given = Authoring::new(Backend::Sqlite).await;
    given
        .create(&post_with_body(
            "Already here",
            "2020-01-01",
            &["Ops"],
            "Text.",
        ))
        .await;
    // Slow to highlight: seconds of rendering, then refused for the size of its highlighted
    // HTML; what matters here is what readers meet meanwhile.
    let code = "fn main() { let x = \"s\"; /* comment */ }\n".repeat(6_000);
    let heavy = post_with_body(
        "Heavy",
        "2020-01-02",
        &["Ops"],
        &format!("```rust\n{code}```\n"),
    );
    let client = given.site.http.clone();
    let url = given.site.url("/posts");
    let upload = tokio::spawn(async move {
        client
            .post(url)
            .header("authorization", format!("Bearer {}", blog_tests::TOKEN))
            .header("content-type", blog_tests::MARKDOWN)
            .body(heavy)
            .send()
            .await
            .unwrap()
            .status()
    });
    // Let the upload arrive and start rendering; this test's runtime has one thread, so a
    // render on it would hold every request until it ends.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let page = given.site.get("/category/ops").await;

    assert_eq!(page.status(), 200);
    assert!(
        !upload.is_finished(),
        "the reader was answered while the upload was still rendering"
    );
    assert_eq!(upload.await.unwrap(), StatusCode::PAYLOAD_TOO_LARGE);
}

/// An author cannot take another post's address with an alias: refused with 409 naming the
/// owner; every spelling of a post's page leads to that post, before any alias.
#[tokio::test]
async fn an_alias_cannot_take_a_post_s_address_over_http() {
    for backend in [Backend::Sqlite, Backend::Dynamo] {
        let given = Authoring::new(backend).await;
        let created = given
            .create("---\ntitle: Victim\ndate: 2020-01-01\nslug: victim-post\n---\nMine.\n")
            .await;
        assert_eq!(created.status(), StatusCode::CREATED);
        let refused = given
            .create(
                "---\ntitle: Attacker\ndate: 2020-01-02\naliases: [/posts/victim-post, /posts/victim-post/]\n---\nTheirs.\n",
            )
            .await;
        assert_eq!(refused.status(), StatusCode::CONFLICT, "{backend:?}");
        let detail = problem(refused).await["detail"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(detail.contains("`victim-post`"), "{detail}");

        // An alias naming no post is allowed; a post given that slug later takes its page in
        // every spelling, ahead of the alias.
        let imported = given
            .create("---\ntitle: Imported\ndate: 2020-01-03\naliases: [/posts/later/]\n---\nOld.\n")
            .await;
        assert_eq!(imported.status(), StatusCode::CREATED);
        let later = given
            .create("---\ntitle: Later\ndate: 2020-01-04\nslug: later\n---\nNew.\n")
            .await;
        assert_eq!(later.status(), StatusCode::CREATED);
        for path in [
            "/posts/victim-post/",
            "/posts/victim-post%2f",
            "/posts/Victim-Post",
            "/posts/victim-post/index.html",
            "/posts//victim-post",
            "//posts/victim-post",
        ] {
            let (status, location) = blog_tests::redirect(&given.site.url(path)).await;
            assert_eq!(
                (status, location.as_str()),
                (301, given.site.url("/posts/victim-post").as_str()),
                "{backend:?} {path}"
            );
        }
        for path in ["/posts/later/", "/posts/later%2F"] {
            let (status, location) = blog_tests::redirect(&given.site.url(path)).await;
            assert_eq!(
                (status, location.as_str()),
                (301, given.site.url("/posts/later").as_str()),
                "{backend:?} {path}: the post's own page, not the alias"
            );
        }
    }
}

/// A scheduled post's category stays off the categories index, and its count off the
/// existing category's, until the post appears.
#[tokio::test]
async fn a_scheduled_post_s_category_is_not_public_before_it() {
    for backend in [Backend::Sqlite, Backend::Dynamo] {
        let given = Authoring::new(backend).await;
        for source in [
            "---\ntitle: Public\ndate: 2020-01-01\ncategories: [Product]\n---\nx\n",
            "---\ntitle: Merger\ndate: 2031-01-01\ncategories: [Secret Merger Plans, Product]\n---\nx\n",
        ] {
            assert_eq!(given.create(source).await.status(), StatusCode::CREATED);
        }
        let response = given.site.get("/categories").await;
        let cache_control = response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .to_owned();
        let page = scraper::Html::parse_document(&response.text().await.unwrap());
        let listed = texts(&page, ".categories-index li");
        assert_eq!(listed, ["Product (1 post)"], "{backend:?}");
        assert!(cache_control.contains("s-maxage"), "{cache_control}");
    }
}
