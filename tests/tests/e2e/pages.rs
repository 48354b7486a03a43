//! The pages a reader sees, over real HTTP, parsed as HTML.

use blog_tests::{
    Backend, TestSite, TestStore, attrs, fixture, on_every_backend, post_source, seeded_site, texts,
};

/// The seed page's posts: (title, date-and-author line), in its order.
fn seed_listing() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(fixture("seed-microservices.txt")).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let is_date_line = |line: &str| {
        let months = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        months.iter().any(|m| line.starts_with(m)) && line.contains(" by ")
    };
    lines
        .windows(2)
        .filter(|w| is_date_line(w[1]))
        .map(|w| (w[0].to_owned(), w[1].to_owned()))
        .collect()
}

async fn the_seed_category_page_matches_the_seed(backend: Backend) {
    let (_given, site) = seeded_site(backend).await;
    let seed = seed_listing();
    assert_eq!(seed.len(), 6, "the seed fixture lists six posts");

    let page = site.page("/category/microservices").await;

    assert_eq!(texts(&page, ".site-title"), ["Backstage Blog"]);
    assert_eq!(
        texts(&page, ".browsing"),
        ["You're browsing posts of the category Microservices"]
    );
    let titles = texts(&page, "article.post-summary h2");
    let bylines = texts(&page, "article.post-summary .byline");
    let shown: Vec<(String, String)> = titles.into_iter().zip(bylines).collect();
    assert_eq!(
        shown[..6],
        seed[..],
        "the six seed posts, in the seed's order, with its date lines"
    );
    assert_eq!(
        texts(&page, "a.read-more")
            .iter()
            .filter(|t| *t == "Read more…")
            .count(),
        shown.len()
    );
    for link in attrs(&page, "a.read-more", "href") {
        let post = site.page(&link).await;
        assert_eq!(texts(&post, "h1").len(), 1, "{link} is a post page");
    }
    // Each title links to the same post as its Read more…
    assert_eq!(
        attrs(&page, "article.post-summary h2 a", "href"),
        attrs(&page, "a.read-more", "href")
    );
    assert!(
        !attrs(&page, "a.rss svg[aria-label='RSS logo']", "aria-label").is_empty(),
        "the RSS icon"
    );
}

on_every_backend!(the_seed_category_page_matches_the_seed);

#[tokio::test]
async fn a_post_page_shows_its_title_date_line_categories_and_body() {
    let (_store, site) = seeded_site(Backend::Sqlite).await;

    let page = site.page("/posts/a-service-template-for-every-team").await;

    assert_eq!(texts(&page, "h1"), ["A Service Template for Every Team"]);
    assert_eq!(
        texts(&page, "article .byline"),
        ["March 10th, 2015 by Elena Vasquez"]
    );
    assert_eq!(
        texts(&page, ".categories a"),
        ["Microservices", "Developer Experience"]
    );
    for href in attrs(&page, ".categories a", "href") {
        assert_eq!(site.get(&href).await.status(), 200, "{href}");
    }
    assert!(!texts(&page, ".post-body p").is_empty());
    assert_eq!(
        attrs(
            &page,
            "link[rel=alternate][type='application/rss+xml']",
            "href"
        ),
        ["/feed.xml"]
    );
}

#[tokio::test]
async fn a_post_in_two_categories_is_listed_in_both() {
    let (_store, site) = seeded_site(Backend::Sqlite).await;
    let link = "/posts/a-service-template-for-every-team";

    for category in ["/category/microservices", "/category/developer-experience"] {
        let page = site.page(category).await;
        assert!(
            attrs(&page, "a.read-more", "href").contains(&link.to_owned()),
            "{category} lists it"
        );
    }
}

#[tokio::test]
async fn several_authors_read_as_a_sentence() {
    let (_store, site) = seeded_site(Backend::Sqlite).await;
    let page = site.page("/category/developer-experience").await;
    let bylines = texts(&page, ".byline");
    assert!(
        bylines
            .contains(&"February 8th, 2023 by Marta Silva, Ben Hollis and Yuki Tanaka".to_owned()),
        "{bylines:?}"
    );
    let page = site.page("/category/data-engineering").await;
    let bylines = texts(&page, ".byline");
    assert!(
        bylines.contains(&"April 14th, 2021 by Priya Raman and Jonas Weber".to_owned()),
        "{bylines:?}"
    );
}

#[tokio::test]
async fn every_page_links_its_own_feed() {
    let (_store, site) = seeded_site(Backend::Sqlite).await;
    let cases = [
        ("/", "/"),
        ("/category/microservices", "/category/microservices/"),
        ("/posts/inside-a-soundcloud-microservice", "/"),
    ];
    for (path, feeds) in cases {
        let page = site.page(path).await;
        let alternates: Vec<(String, String)> = attrs(&page, "link[rel=alternate]", "type")
            .into_iter()
            .zip(attrs(&page, "link[rel=alternate]", "href"))
            .collect();
        let expected = [
            ("application/rss+xml", "feed.xml"),
            ("application/atom+xml", "atom.xml"),
            ("application/feed+json", "feed.json"),
        ]
        .map(|(kind, file)| (kind.to_owned(), format!("{feeds}{file}")));
        assert_eq!(alternates, expected, "{path}");
        assert_eq!(
            attrs(&page, "a.rss", "href"),
            [format!("{feeds}feed.xml")],
            "{path}: the RSS icon"
        );
        let titles = attrs(&page, "link[rel=alternate]", "title");
        assert!(
            titles
                .iter()
                .all(|t| t.contains("Microservices") == path.starts_with("/category/")),
            "{path}: {titles:?}"
        );
        for (_, feed) in &alternates {
            assert_eq!(site.get(feed).await.status(), 200, "{feed}");
        }
    }
}

#[tokio::test]
async fn unknown_things_get_a_real_404_page() {
    let (_store, site) = seeded_site(Backend::Sqlite).await;
    for path in [
        "/posts/no-such-post",
        "/posts/Not-A-Slug",
        "/category/no-such-category",
        "/category/no-such-category/feed.xml",
        "/nothing/here",
        "/posts/a%2Fb",
    ] {
        let response = site.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        let page = scraper::Html::parse_document(&response.text().await.unwrap());
        assert_eq!(texts(&page, "h1"), ["Page not found"], "{path}");
        assert_eq!(
            texts(&page, ".site-title"),
            ["Backstage Blog"],
            "{path}: a page of the site"
        );
    }
}

#[tokio::test]
async fn a_damaged_page_link_gets_a_400_page() {
    let (_store, site) = seeded_site(Backend::Sqlite).await;
    for query in ["?after=%%%", "?after=bm90LWEta2V5", "?before=x&after=y"] {
        let response = site.get(&format!("/category/microservices{query}")).await;
        assert_eq!(response.status(), 400, "{query}");
        let page = scraper::Html::parse_document(&response.text().await.unwrap());
        assert_eq!(texts(&page, "h1"), ["This page link is not valid"]);
    }
}

#[tokio::test]
async fn every_200_carries_validators_and_a_matching_if_none_match_gets_304() {
    let (_store, site) = seeded_site(Backend::Sqlite).await;
    for path in [
        "/",
        "/category/microservices",
        "/posts/microservices-and-the-monolith",
        "/feed.xml",
        "/category/microservices/feed.xml",
    ] {
        let response = site.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        assert!(
            etag.starts_with("W/\"") && etag.ends_with('"'),
            "{path}: a weak, quoted ETag (one for every encoding of the page)"
        );
        let opaque = etag.trim_start_matches("W/").to_owned();
        assert!(
            response.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("max-age"),
            "{path}"
        );

        for validator in [etag.clone(), opaque.clone(), format!("\"other\", {etag}")] {
            let revalidated = site
                .http
                .get(site.url(path))
                .header("if-none-match", &validator)
                .send()
                .await
                .unwrap();
            assert_eq!(revalidated.status(), 304, "{path} with {validator}");
            assert_eq!(revalidated.headers()["etag"].to_str().unwrap(), etag);
            assert!(revalidated.text().await.unwrap().is_empty());
        }
        let stale = site
            .http
            .get(site.url(path))
            .header("if-none-match", "\"stale\"")
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), 200, "{path} with a stale ETag");
    }
}

#[tokio::test]
async fn older_and_newer_links_walk_across_page_boundaries() {
    let given = TestStore::new(Backend::Sqlite).await;
    for day in 1..=23 {
        given
            .publish_source(&post_source(
                &format!("Post {day:02}"),
                &format!("2021-03-{day:02}"),
                &["Paging"],
            ))
            .await;
    }
    let site = TestSite::start(given.store.clone()).await;
    let titles = |days: std::ops::RangeInclusive<u32>| {
        days.rev()
            .map(|d| format!("Post {d:02}"))
            .collect::<Vec<_>>()
    };

    let first = site.page("/category/paging").await;
    assert_eq!(texts(&first, "article h2"), titles(14..=23));
    assert!(
        attrs(&first, "a[rel=prev]", "href").is_empty(),
        "no Newer on the first page"
    );
    let older = attrs(&first, "a[rel=next]", "href");
    assert_eq!(texts(&first, "a[rel=next]"), ["Older posts →"]);

    let second = site.page(&older[0]).await;
    assert_eq!(texts(&second, "article h2"), titles(4..=13));
    let third = site.page(&attrs(&second, "a[rel=next]", "href")[0]).await;
    assert_eq!(texts(&third, "article h2"), titles(1..=3));
    assert!(
        attrs(&third, "a[rel=next]", "href").is_empty(),
        "no Older on the last page"
    );

    let back = site.page(&attrs(&third, "a[rel=prev]", "href")[0]).await;
    assert_eq!(texts(&back, "article h2"), titles(4..=13));
    let front = site.page(&attrs(&back, "a[rel=prev]", "href")[0]).await;
    assert_eq!(texts(&front, "article h2"), titles(14..=23));
    assert!(attrs(&front, "a[rel=prev]", "href").is_empty());
}

#[tokio::test]
async fn drafts_and_scheduled_posts_are_not_public() {
    let given = TestStore::new(Backend::Sqlite).await;
    given
        .publish_source(&post_source("Public", "2020-01-01", &["A"]))
        .await;
    given
        .publish_source(&post_source("Draft", "2020-01-02", &["A"]).replacen(
            "---\n",
            "---\ndraft: true\n",
            1,
        ))
        .await;
    given
        .publish_source(&post_source("Tomorrow", "2999-01-01", &["A"]))
        .await;
    let site = TestSite::start(given.store.clone()).await;

    assert_eq!(
        texts(&site.page("/category/a").await, "article h2"),
        ["Public"]
    );
    assert_eq!(texts(&site.page("/").await, "article h2"), ["Public"]);
    assert_eq!(site.get("/posts/draft").await.status(), 404);
    assert_eq!(site.get("/posts/tomorrow").await.status(), 404);
}

#[tokio::test]
async fn raw_html_in_a_post_is_neutralised_on_its_page() {
    let given = TestStore::new(Backend::Sqlite).await;
    let source = "---\ntitle: Sneaky\ndate: 2020-01-01\n---\nHello <script>alert(1)</script><img src=x onerror=alert(2)> [x](JaVaScRiPt:alert(3))\n";
    given.publish_source(source).await;
    let site = TestSite::start(given.store.clone()).await;

    let page = site.page("/posts/sneaky").await;

    assert!(texts(&page, ".post-body script").is_empty());
    assert!(attrs(&page, ".post-body [onerror]", "onerror").is_empty());
    assert!(
        attrs(&page, ".post-body a", "href")
            .iter()
            .all(|h| !h.to_lowercase().contains("javascript"))
    );
}

#[tokio::test]
async fn an_empty_blog_shows_an_empty_home_page() {
    let given = TestStore::new(Backend::Sqlite).await;
    let site = TestSite::start(given.store.clone()).await;
    let page = site.page("/").await;
    assert_eq!(texts(&page, "main p"), ["No posts yet."]);
    assert_eq!(site.get("/feed.xml").await.status(), 200);
}

#[tokio::test]
async fn a_store_that_cannot_be_reached_gives_a_503_page_with_retry_after() {
    // Nothing listens on the discard port of loopback: every request fails to connect.
    let client = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .http_client(blog_shared::aws::http_client())
            .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "t", "t", None, None, "t",
            ))
            .endpoint_url("http://127.0.0.1:9")
            .build(),
    );
    let store = blog_shared::store::DynamoStore::new(client, "blog".to_owned());
    let site = TestSite::start(std::sync::Arc::new(store)).await;

    for path in ["/", "/posts/anything", "/feed.xml"] {
        let response = site.get(path).await;
        assert_eq!(response.status(), 503, "{path}");
        assert_eq!(response.headers()["retry-after"], "5");
        assert_eq!(response.headers()["cache-control"], "no-store");
        let page = scraper::Html::parse_document(&response.text().await.unwrap());
        assert_eq!(texts(&page, "h1"), ["Temporarily unavailable"]);
        assert!(!page.html().contains("127.0.0.1:9"), "no internals leak");
    }
}

#[tokio::test]
async fn a_post_page_tells_search_engines_and_link_previews_what_it_is() {
    let (_store, site) = seeded_site(Backend::Sqlite).await;
    let url = site.url("/posts/inside-a-soundcloud-microservice");

    let page = site.page("/posts/inside-a-soundcloud-microservice").await;

    let meta = |selector: &str| attrs(&page, selector, "content");
    let description = meta("meta[name=description]");
    assert_eq!(description.len(), 1);
    assert!(
        description[0].starts_with("We talk a lot about how our services communicate"),
        "{description:?}"
    );
    assert!(
        description[0].chars().count() <= 201,
        "short enough for a result snippet"
    );
    assert_eq!(
        meta("meta[property='og:title']"),
        ["Inside a SoundCloud Microservice"]
    );
    assert_eq!(meta("meta[property='og:type']"), ["article"]);
    assert_eq!(meta("meta[property='og:url']"), [url.as_str()]);
    assert_eq!(meta("meta[property='og:description']"), description);
    assert_eq!(meta("meta[name='twitter:card']"), ["summary"]);
    assert_eq!(
        meta("meta[property='article:published_time']"),
        ["2017-07-28T00:00:00Z"]
    );
    assert_eq!(attrs(&page, "link[rel=canonical]", "href"), [url.as_str()]);

    let json_ld = texts(&page, "script[type='application/ld+json']");
    assert_eq!(json_ld.len(), 1);
    let posting: serde_json::Value = serde_json::from_str(&json_ld[0]).unwrap();
    assert_eq!(posting["@type"], "BlogPosting");
    assert_eq!(posting["headline"], "Inside a SoundCloud Microservice");
    assert_eq!(posting["author"][0]["name"], "Matthias Käppler");
    assert_eq!(posting["datePublished"], "2017-07-28T00:00:00Z");
    assert_eq!(posting["url"], url);
}

#[tokio::test]
async fn listing_pages_describe_themselves_as_websites() {
    let (_store, site) = seeded_site(Backend::Sqlite).await;
    let home = site.page("/").await;
    assert_eq!(
        attrs(&home, "meta[property='og:type']", "content"),
        ["website"]
    );
    assert_eq!(
        attrs(&home, "meta[name=description]", "content"),
        [site.config.description.as_str()]
    );
    let category = site.page("/category/microservices").await;
    assert_eq!(
        attrs(&category, "meta[property='og:title']", "content"),
        ["Microservices"]
    );
    assert!(
        texts(&category, "script").is_empty(),
        "no structured data claims a listing is a post"
    );
}

#[tokio::test]
async fn pages_and_feeds_come_compressed_when_the_client_accepts_it() {
    let (_store, site) = seeded_site(Backend::Sqlite).await;
    // reqwest here decompresses nothing: the bytes are what went over the wire.
    for path in [
        "/",
        "/category/microservices",
        "/posts/microservices-and-the-monolith",
        "/feed.xml",
        "/atom.xml",
    ] {
        let plain = site.get(path).await;
        let etag = plain.headers()["etag"].clone();
        let plain = plain.bytes().await.unwrap();
        for encoding in ["gzip", "br"] {
            let response = site
                .http
                .get(site.url(path))
                .header("accept-encoding", encoding)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{path}");
            assert_eq!(response.headers()["content-encoding"], encoding, "{path}");
            assert!(
                response.headers()["vary"]
                    .to_str()
                    .unwrap()
                    .to_lowercase()
                    .contains("accept-encoding"),
                "{path}"
            );
            assert_eq!(
                response.headers()["etag"],
                etag,
                "{path}: one validator for every encoding"
            );
            assert_eq!(
                response.headers().get_all("vary").iter().count(),
                1,
                "{path}: one Vary header, as Lambda keeps only one"
            );
            let compressed = response.bytes().await.unwrap();
            assert!(
                compressed.len() < plain.len(),
                "{path}: {encoding} is smaller"
            );
            let mut decoded = Vec::new();
            match encoding {
                "gzip" => std::io::Read::read_to_end(
                    &mut flate2::read::GzDecoder::new(&compressed[..]),
                    &mut decoded,
                )
                .unwrap(),
                _ => brotli_decompressor::BrotliDecompress(&mut &compressed[..], &mut decoded)
                    .map(|()| decoded.len())
                    .unwrap(),
            };
            assert_eq!(decoded, plain, "{path}: {encoding} decodes to the page");
        }
    }
}

#[tokio::test]
async fn an_author_has_a_page_and_feeds_and_every_byline_links_to_it() {
    let (_store, site) = seeded_site(Backend::Sqlite).await;

    let page = site.page("/author/ben-hollis").await;

    assert_eq!(
        texts(&page, ".browsing"),
        ["You're browsing posts by Ben Hollis"]
    );
    assert_eq!(
        texts(&page, "article h2"),
        ["Cutting CI Times in Half with Remote Caching"],
        "co-written posts count"
    );
    let alternates = attrs(&page, "link[rel=alternate]", "href");
    assert_eq!(
        alternates,
        [
            "/author/ben-hollis/feed.xml",
            "/author/ben-hollis/atom.xml",
            "/author/ben-hollis/feed.json"
        ]
    );
    for feed in &alternates {
        assert_eq!(site.get(feed).await.status(), 200, "{feed}");
    }
    let rss = site
        .get("/author/ben-hollis/feed.xml")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        rss::Channel::read_from(rss.as_bytes()).unwrap().title(),
        "Backstage Blog: Ben Hollis"
    );

    let category = site.page("/category/developer-experience").await;
    let authors = attrs(&category, ".byline a", "href");
    assert!(
        authors.contains(&"/author/yuki-tanaka".to_owned()),
        "{authors:?}"
    );
    for href in authors {
        assert_eq!(site.get(&href).await.status(), 200, "{href}");
    }
    let post = site.page("/posts/inside-a-soundcloud-microservice").await;
    assert_eq!(
        attrs(&post, ".byline a", "href"),
        ["/author/matthias-kappler"]
    );
    assert_eq!(site.get("/author/nobody-at-all").await.status(), 404);
    assert_eq!(
        site.get("/author/nobody-at-all/feed.xml").await.status(),
        404
    );
}

#[tokio::test]
async fn a_long_post_has_contents_that_lead_to_its_sections_and_a_reading_time() {
    let (_store, site) = seeded_site(Backend::Sqlite).await;

    let page = site.page("/posts/inside-a-soundcloud-microservice").await;

    assert_eq!(texts(&page, ".reading-time").len(), 1);
    assert!(texts(&page, ".reading-time")[0].ends_with("min read"));
    let contents = attrs(&page, "nav.toc a", "href");
    assert_eq!(contents.len(), 4, "one entry per section: {contents:?}");
    for href in &contents {
        let id = href.strip_prefix('#').expect("a link within the page");
        let target = scraper::Selector::parse(&format!("h2[id='{id}'], h3[id='{id}']")).unwrap();
        assert_eq!(
            page.select(&target).count(),
            1,
            "{href} leads to its heading"
        );
    }
    let anchors = attrs(&page, ".post-body h2 a.anchor", "href");
    assert_eq!(anchors, contents, "every section links to itself");

    let short = site.page("/posts/a-service-template-for-every-team").await;
    assert!(
        attrs(&short, "nav.toc a", "href").is_empty(),
        "no contents for a short post"
    );
}

#[tokio::test]
async fn code_in_a_post_is_highlighted_by_the_stylesheet_classes_made_at_ingest() {
    let (_store, site) = seeded_site(Backend::Sqlite).await;

    let page = site.page("/posts/inside-a-soundcloud-microservice").await;

    let highlighted = attrs(
        &page,
        ".post-body pre code[class^='language-'] span[class^='hl-']",
        "class",
    );
    assert!(
        highlighted
            .iter()
            .any(|c| c.contains("hl-keyword") || c.contains("hl-storage")),
        "{highlighted:?}"
    );
    let style = texts(&page, "head style").join(" ");
    assert!(
        style.contains(".hl-keyword") && style.contains("prefers-color-scheme: dark"),
        "the stylesheet colours them"
    );
}

#[tokio::test]
async fn the_categories_index_lists_every_category_with_its_posts() {
    let (_store, site) = seeded_site(Backend::Sqlite).await;

    let page = site.page("/categories").await;

    assert_eq!(
        texts(&page, ".categories-index li"),
        [
            "Data Engineering (3 posts)",
            "Developer Experience (3 posts)",
            "Microservices (7 posts)"
        ]
    );
    for href in attrs(&page, ".categories-index a", "href") {
        assert_eq!(site.get(&href).await.status(), 200, "{href}");
    }
    assert!(
        attrs(&site.page("/").await, "footer a", "href").contains(&"/categories".to_owned()),
        "every page links it"
    );
}

#[tokio::test]
async fn every_page_has_one_heading_landmarks_and_a_skip_link_to_its_content() {
    let (_store, site) = seeded_site(Backend::Sqlite).await;
    let home_later = attrs(&site.page("/").await, "a[rel=next]", "href");
    assert_eq!(home_later.len(), 1, "the home page has a second page");

    for path in [
        "/",
        &home_later[0],
        "/category/microservices",
        "/author/steve-conover",
        "/categories",
        "/posts/inside-a-soundcloud-microservice",
        "/no/such/page",
        "/?after=%%%",
    ] {
        let response = site.get(path).await;
        let page = scraper::Html::parse_document(&response.text().await.unwrap());

        assert_eq!(texts(&page, "h1").len(), 1, "{path}: one level-one heading");
        assert_eq!(
            attrs(&page, "body > a:first-child", "href"),
            ["#content"],
            "{path}: the first thing on the page is a skip link to the content"
        );
        assert_eq!(attrs(&page, "main", "id"), ["content"], "{path}");
        for landmark in [
            "body > header",
            "body > main",
            "body > footer",
            "footer nav",
        ] {
            assert_eq!(
                texts(&page, landmark).len(),
                1,
                "{path}: one {landmark} landmark"
            );
        }
    }

    // The home page's heading is the site's title, a category's its "You're browsing…" line.
    assert_eq!(texts(&site.page("/").await, "h1"), ["Backstage Blog"]);
    let category = site.page("/category/microservices").await;
    assert_eq!(
        texts(&category, "h1.browsing"),
        ["You're browsing posts of the category Microservices"]
    );
    // Each "Read more…" says, to assistive technology, which post it leads to.
    let titles = texts(&category, "article.post-summary h2");
    assert_eq!(
        attrs(&category, "a.read-more", "aria-label"),
        titles
            .iter()
            .map(|title| format!("Read more: {title}"))
            .collect::<Vec<_>>()
    );
    // Every code block is a Tab stop, so a wide one scrolls by keyboard.
    let post = site.page("/posts/inside-a-soundcloud-microservice").await;
    let code_blocks = texts(&post, ".post-body pre").len();
    assert!(code_blocks > 0);
    assert_eq!(
        attrs(&post, ".post-body pre", "tabindex"),
        vec!["0"; code_blocks]
    );
}
