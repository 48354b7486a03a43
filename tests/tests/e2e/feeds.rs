//! RSS feeds, read back by two real feed parsers: the `rss` crate and Python's feedparser.

use std::io::Write;
use std::process::{Command, Stdio};

use blog_tests::{Backend, TestSite, TestStore, seeded_site};

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
    let (_store, site) = seeded_site(Backend::Sqlite).await;

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
    let (_store, site) = seeded_site(Backend::Sqlite).await;

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
    let (_store, site) = seeded_site(Backend::Sqlite).await;

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

/// Runs a checker on `input`: a Python script of tests/ (with the venv's interpreter), or a
/// command. Returns whether it passed and what it printed.
pub(crate) fn check(program: &str, args: &[&str], input: &str) -> (bool, String) {
    let python = std::env::var("BLOG_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let (program, script) = match program.strip_suffix(".py") {
        Some(_) => (
            python.as_str(),
            Some(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(program)),
        ),
        None => (program, None),
    };
    let mut command = Command::new(program);
    if let Some(script) = &script {
        command.arg(script);
    }
    let mut child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}; run the tests with scripts/test"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), printed)
}

#[tokio::test]
async fn every_feed_in_every_format_parses_cleanly_with_the_same_posts() {
    let (_store, site) = seeded_site(Backend::Sqlite).await;
    for listing in ["", "/category/microservices"] {
        let rss = feedparser(&fetch_feed(&site, &format!("{listing}/feed.xml")).await);
        let titles = |parsed: &serde_json::Value| -> Vec<String> {
            parsed["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["title"].as_str().unwrap().to_owned())
                .collect()
        };
        // Atom through feedparser and xmllint, like RSS.
        let path = format!("{listing}/atom.xml");
        let response = site.get(&path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/atom+xml; charset=utf-8"
        );
        let atom = response.text().await.unwrap();
        let parsed = feedparser(&atom);
        assert_eq!(parsed["bozo"], 0, "{path}: {}", parsed["bozo_exception"]);
        assert_eq!(parsed["version"], "atom10", "{path}");
        assert_eq!(
            titles(&parsed),
            titles(&rss),
            "{path} holds the posts the RSS feed holds"
        );
        for entry in parsed["entries"].as_array().unwrap() {
            assert!(
                entry["link"].as_str().unwrap().starts_with(&site.base_url),
                "{path}: absolute links"
            );
            assert!(
                !entry["author"].as_str().unwrap_or_default().is_empty(),
                "{path}: authors"
            );
        }
        let (ok, printed) = check("xmllint", &["--noout", "-"], &atom);
        assert!(ok, "{path} is not well-formed XML: {printed}");

        // JSON Feed against its schema (feedparser 6 does not read JSON Feed).
        let path = format!("{listing}/feed.json");
        let response = site.get(&path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/feed+json; charset=utf-8"
        );
        let json = response.text().await.unwrap();
        let (ok, printed) = check("check_json_feed.py", &[], &json);
        assert!(
            ok,
            "{path} does not validate against the JSON Feed 1.1 schema:\n{printed}"
        );
        let feed: serde_json::Value = serde_json::from_str(&json).unwrap();
        let json_titles: Vec<String> = feed["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            json_titles,
            titles(&rss),
            "{path} holds the posts the RSS feed holds"
        );
        assert_eq!(feed["feed_url"], site.url(&path));
        for item in feed["items"].as_array().unwrap() {
            assert!(
                item["url"].as_str().unwrap().starts_with(&site.base_url),
                "{path}: absolute links"
            );
        }
        let (ok, printed) = check(
            "xmllint",
            &["--noout", "-"],
            &fetch_feed(&site, &format!("{listing}/feed.xml")).await,
        );
        assert!(ok, "{listing}/feed.xml is not well-formed XML: {printed}");
    }
}

#[tokio::test]
async fn the_json_feed_schema_check_catches_a_broken_feed() {
    let (ok, printed) = check(
        "check_json_feed.py",
        &[],
        r#"{"version": "https://jsonfeed.org/version/1.1", "items": [{"url": "not a uri"}]}"#,
    );
    assert!(
        !ok,
        "a feed with no title, an item with no id and no content must fail"
    );
    assert!(
        printed.contains("'title' is a required property")
            && printed.contains("'id' is a required property"),
        "{printed}"
    );
}

#[tokio::test]
async fn every_url_inside_feed_content_is_absolute() {
    let given = TestStore::new(Backend::Sqlite).await;
    given
        .publish_source("---\ntitle: Linked\ndate: 2020-01-01\ncategories: [A]\n---\nSee [the other post](other-post), [our docs](/docs), [below](#details) and ![a diagram](diagram.png).\n")
        .await;
    let site = TestSite::start(given.store.clone()).await;
    let post_url = site.url("/posts/linked");

    let rss = fetch_feed(&site, "/feed.xml").await;
    let rss_html = rss::Channel::read_from(rss.as_bytes()).unwrap().items()[0]
        .description()
        .unwrap()
        .to_owned();
    let atom = site.get("/atom.xml").await.text().await.unwrap();
    let atom_html = atom_syndication::Feed::read_from(atom.as_bytes())
        .unwrap()
        .entries()[0]
        .summary()
        .unwrap()
        .value
        .clone();
    let json: serde_json::Value =
        serde_json::from_str(&site.get("/feed.json").await.text().await.unwrap()).unwrap();
    let json_html = json["items"][0]["content_html"]
        .as_str()
        .unwrap()
        .to_owned();

    for (format, html) in [
        ("RSS", rss_html),
        ("Atom", atom_html),
        ("JSON Feed", json_html),
    ] {
        let fragment = scraper::Html::parse_fragment(&html);
        let mut urls = blog_tests::attrs(&fragment, "a", "href");
        urls.extend(blog_tests::attrs(&fragment, "img", "src"));
        assert_eq!(
            urls,
            [
                site.url("/posts/other-post"),
                site.url("/docs"),
                format!("{post_url}#details"),
                site.url("/posts/diagram.png")
            ],
            "{format}"
        );
    }
}

#[tokio::test]
async fn feeds_carry_whole_posts_by_default_and_excerpts_when_configured() {
    let given = TestStore::new(Backend::Sqlite).await;
    given.seed_examples().await;
    let full = TestSite::start(given.store.clone()).await;
    let excerpt = TestSite::start_with(given.store.clone(), |config| {
        config.feed_content = blog_shared::FeedContent::Excerpt
    })
    .await;
    let post = "Inside a SoundCloud Microservice";
    let section = "Layers, not frameworks"; // a heading of the body, past the excerpt

    let rss = fetch_feed(&full, "/category/microservices/feed.xml").await;
    let channel = rss::Channel::read_from(rss.as_bytes()).unwrap();
    let item = channel
        .items()
        .iter()
        .find(|i| i.title() == Some(post))
        .unwrap();
    assert!(
        item.content().unwrap().contains(section),
        "content:encoded holds the whole post"
    );
    assert!(
        !item.description().unwrap().contains(section),
        "the description stays the excerpt"
    );
    assert_eq!(feedparser(&rss)["bozo"], 0);
    let atom = full
        .get("/category/microservices/atom.xml")
        .await
        .text()
        .await
        .unwrap();
    let feed = atom_syndication::Feed::read_from(atom.as_bytes()).unwrap();
    let entry = feed
        .entries()
        .iter()
        .find(|e| e.title().as_str() == post)
        .unwrap();
    assert!(entry.content().unwrap().value().unwrap().contains(section));
    let json: serde_json::Value = serde_json::from_str(
        &full
            .get("/category/microservices/feed.json")
            .await
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    let item = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"] == post)
        .unwrap();
    assert!(item["content_html"].as_str().unwrap().contains(section));

    let rss = fetch_feed(&excerpt, "/category/microservices/feed.xml").await;
    let channel = rss::Channel::read_from(rss.as_bytes()).unwrap();
    assert!(
        channel.items().iter().all(|i| i.content().is_none()),
        "no full text when configured so"
    );
    let json: serde_json::Value = serde_json::from_str(
        &excerpt
            .get("/category/microservices/feed.json")
            .await
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    let item = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"] == post)
        .unwrap();
    assert!(!item["content_html"].as_str().unwrap().contains(section));
}

#[tokio::test]
async fn the_feed_redirects_to_the_format_the_reader_accepts_and_no_cache_shares_it() {
    let (_store, site) = seeded_site(Backend::Sqlite).await;
    for (accept, path, media_type) in [
        (None, "/feed.xml", "application/rss+xml; charset=utf-8"),
        (
            Some("application/atom+xml"),
            "/atom.xml",
            "application/atom+xml; charset=utf-8",
        ),
        (
            Some("application/feed+json"),
            "/feed.json",
            "application/feed+json; charset=utf-8",
        ),
        (
            Some("application/rss+xml;q=0.4, application/atom+xml;q=0.8"),
            "/atom.xml",
            "application/atom+xml; charset=utf-8",
        ),
    ] {
        let mut request = site.http.get(site.url("/feed"));
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 302, "{accept:?}");
        assert_eq!(response.headers()["location"], site.url(path).as_str());
        assert_eq!(response.headers()["vary"], "accept", "{accept:?}");
        assert!(
            response.headers()["cache-control"]
                .to_str()
                .unwrap()
                .starts_with("private"),
            "a shared cache keys on the path alone and must not keep it"
        );
        let feed = site.get(path).await;
        assert_eq!(feed.status(), 200);
        assert_eq!(feed.headers()["content-type"], media_type, "{accept:?}");
    }
}
