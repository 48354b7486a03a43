//! The site's icon as browsers and feed readers find it: named by every page type, served at
//! the addresses they ask unprompted with its media type, validators and long caching, by the
//! `feed` function as a binary body; an operator's own icon in its place; a bad setting refused.

use blog_shared::{Favicon, SiteConfig};
use blog_tests::{Backend, TestSite, TestStore, run_blog, seeded_site};
use serde_json::Value;

/// One page of each type a reader can land on, the error pages included.
const PAGE_TYPES: &[(&str, u16)] = &[
    ("/", 200),
    ("/category/microservices", 200),
    ("/author/steve-conover", 200),
    ("/posts/inside-a-soundcloud-microservice", 200),
    ("/categories", 200),
    ("/no/such/page", 404),
    ("/?after=%%%", 400),
];

/// The icons a page names: (href, type, sizes), each attribute empty when absent.
async fn icons_named_by(site: &TestSite, path: &str, status: u16) -> Vec<(String, String, String)> {
    let response = site.get(path).await;
    assert_eq!(response.status(), status, "{path}");
    let page = scraper::Html::parse_document(&response.text().await.unwrap());
    let selector = scraper::Selector::parse("head link[rel~=icon]").unwrap();
    page.select(&selector)
        .map(|link| {
            let attribute = |name| link.value().attr(name).unwrap_or_default().to_owned();
            (attribute("href"), attribute("type"), attribute("sizes"))
        })
        .collect()
}

/// The seconds a `Cache-Control` directive gives, if it is there.
fn directive(cache_control: &str, name: &str) -> Option<u64> {
    cache_control
        .split(',')
        .filter_map(|d| d.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .and_then(|(_, v)| v.parse().ok())
}

#[tokio::test]
async fn every_page_type_names_the_blog_s_icon_and_browsers_get_it_with_long_caching() {
    let (_store, site) = seeded_site(Backend::Sqlite).await;

    for (path, status) in PAGE_TYPES {
        assert_eq!(
            icons_named_by(&site, path, *status).await,
            [
                ("/favicon.ico".into(), "image/x-icon".into(), "32x32".into()),
                ("/favicon.svg".into(), "image/svg+xml".into(), String::new()),
            ],
            "{path}"
        );
    }

    for (path, media_type) in [
        ("/favicon.ico", "image/x-icon"),
        ("/favicon.svg", "image/svg+xml"),
    ] {
        let response = site.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers().clone();
        assert_eq!(headers["content-type"], media_type, "{path}");
        let cache_control = headers["cache-control"].to_str().unwrap();
        assert!(cache_control.starts_with("public,"), "{cache_control}");
        assert!(
            directive(cache_control, "max-age") >= Some(86_400)
                && directive(cache_control, "s-maxage") >= Some(86_400),
            "{path}: kept a day at least, by browsers and the CDN: {cache_control}"
        );
        let etag = headers["etag"].to_str().unwrap().to_owned();
        let body = response.bytes().await.unwrap();
        if path.ends_with(".ico") {
            // What a browser reads of it: the icon at 16, 32 and 48 pixels, the brand's orange
            // inside its rounded corners, nothing in them.
            let icon = ico::IconDir::read(std::io::Cursor::new(&body)).expect("an ICO file");
            let sizes: Vec<u32> = icon.entries().iter().map(|e| e.width()).collect();
            assert_eq!(sizes, [16, 32, 48]);
            let image = icon.entries()[1].decode().unwrap();
            let pixel = |x: u32, y: u32| {
                let at = 4 * (y * image.width() + x) as usize;
                image.rgba_data()[at..at + 4].to_vec()
            };
            assert_eq!(pixel(2, 16), [0xff, 0x55, 0x00, 0xff], "brand orange");
            assert_eq!(pixel(0, 0)[3], 0, "a transparent corner");
        } else {
            let svg = std::str::from_utf8(&body).unwrap();
            assert!(
                svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
                "{svg}"
            );
        }
        // A browser revalidating its copy gets 304, with the same caching.
        let again = site
            .http
            .get(site.url(path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(again.headers()["cache-control"], cache_control, "{path}");
    }
}

#[tokio::test]
async fn an_icon_the_operator_chose_replaces_the_blog_s_own_everywhere() {
    let stored = format!("/media/{}/logo.png", "0123456789abcdef".repeat(4));
    for chosen in [stored, "https://cdn.example.com/brand/icon.svg".to_owned()] {
        let given = TestStore::new(Backend::Sqlite).await;
        given.seed_examples().await;
        let favicon = Favicon::parse(&chosen).unwrap();
        let site = TestSite::start_with(given.store.clone(), |config: &mut SiteConfig| {
            config.favicon = favicon;
        })
        .await;
        // A stored image's path made absolute, as every redirect of the site is.
        let location = if chosen.starts_with('/') {
            site.url(&chosen)
        } else {
            chosen.clone()
        };

        for (path, status) in PAGE_TYPES {
            assert_eq!(
                icons_named_by(&site, path, *status).await,
                [(chosen.clone(), String::new(), String::new())],
                "{path}: the chosen icon alone"
            );
        }
        // Browsers and feed readers that ask the usual addresses are led to it.
        for path in ["/favicon.ico", "/favicon.svg"] {
            let response = site.get(path).await;
            assert_eq!(response.status(), 301, "{path}");
            assert_eq!(response.headers()["location"], location.as_str(), "{path}");
        }
    }
}

#[tokio::test]
async fn a_bad_icon_setting_stops_the_functions_and_blog_serve_naming_it() {
    let dir = tempfile::TempDir::new().unwrap();
    let db = dir.path().join("blog.sqlite3");
    let output = tokio::process::Command::new(blog_tests::workspace_binary("feed"))
        .env_clear()
        .env("BLOG_DB", &db)
        .env("BLOG_FAVICON", "favicon.png")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("BLOG_FAVICON")
            && stderr.contains("`favicon.png` is neither a stored image's path"),
        "{stderr}"
    );

    let run = run_blog(&[
        "serve",
        "--db",
        db.to_str().unwrap(),
        "--favicon",
        "/media/abc/logo.png",
    ])
    .await;
    assert!(!run.success);
    assert!(
        run.stderr.contains("--favicon") && run.stderr.contains("no stored image's path"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn the_feed_function_sends_the_icon_as_a_binary_body() {
    use base64::Engine as _;
    let (_dir, db) = crate::functions::seeded_sqlite().await;
    let mut event: Value = serde_json::from_str(
        &std::fs::read_to_string(blog_tests::fixture("apigw-v2-category.json")).unwrap(),
    )
    .unwrap();
    event["rawPath"] = "/favicon.ico".into();
    event["routeKey"] = "GET /favicon.ico".into();
    event["requestContext"]["http"]["path"] = "/favicon.ico".into();
    event["requestContext"]["routeKey"] = "GET /favicon.ico".into();
    event["pathParameters"] = Value::Null;
    let env = [
        ("BLOG_DB", db),
        ("BLOG_BASE_URL", "https://blog.example.com".to_owned()),
    ];

    let response = crate::functions::invoke_binary_with("feed", &env, event.to_string()).await;

    assert_eq!(response["statusCode"], 200, "{response}");
    assert_eq!(response["headers"]["content-type"], "image/x-icon");
    assert_eq!(response["isBase64Encoded"], true, "{response}");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(response["body"].as_str().unwrap())
        .unwrap();
    let served = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/assets/favicon.ico"),
    )
    .unwrap();
    assert_eq!(
        bytes, served,
        "the icon's bytes, as API Gateway decodes them"
    );
}
