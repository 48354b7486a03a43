//! Crawlers find the whole archive: `robots.txt` names the sitemap index, whose sitemaps
//! together list every public post exactly once and every listing page, on the configured
//! origin, each a valid Sitemaps document within the protocol's bounds; each read costs a
//! bounded number of `Query` pages whatever the blog's size.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use aws_sdk_dynamodb::types::AttributeValue;
use blog_shared::model::{
    SITEMAP_MAX_BYTES, SITEMAP_MAX_PAGES, SITEMAP_MAX_URLS, Slug, year_bounds, year_of,
};
use blog_shared::store::{SqliteStore, item_size};
use blog_shared::{Post, Store, parse_post};
use blog_tests::{
    Backend, ServeProcess, TestSite, TestStore, dynamo_client, on_every_backend, post_source,
};
use quick_xml::Reader;
use quick_xml::events::Event;
use time::{Date, Duration, OffsetDateTime, Time};

use crate::feeds::check;

/// The origin the site is configured with: every URL a sitemap gives is on it, whatever
/// address the request reached.
const ORIGIN: &str = "https://blog.example.com";

/// The years an archive's posts fall in, oldest first: none in 2019 and 2020, when the blog
/// paused.
const YEARS: [i32; 7] = [2016, 2017, 2018, 2021, 2022, 2023, 2024];
const CATEGORIES: [&str; 5] = [
    "Data",
    "Microservices",
    "Developer Experience",
    "Security",
    "Mobile",
];
const AUTHORS: [&str; 7] = [
    "Ann Lee",
    "Steve Conover",
    "Bo Chen",
    "Dana Ruiz",
    "Eli Novak",
    "Femi Ade",
    "Gus Lind",
];

/// A post of an archive, as written.
#[derive(Debug, Clone)]
struct Written {
    slug: String,
    published: OffsetDateTime,
    categories: Vec<&'static str>,
    authors: Vec<&'static str>,
    public: bool,
}

/// Post `n` of an archive of `count`: the first half spread over [`YEARS`] in order, the second
/// half in the last of them (a year of many posts), each on its own day and second, in one or
/// two categories and by one or two authors, with a teaser of `teaser` characters.
fn archive_post(n: usize, count: usize, teaser: usize) -> (String, Written) {
    let half = count / 2;
    let year = if n < half {
        YEARS[n * (YEARS.len() - 1) / half.max(1)]
    } else {
        YEARS[YEARS.len() - 1]
    };
    let day = Date::from_ordinal_date(year, 1 + u16::try_from(n * 37 % 365).unwrap()).unwrap();
    let time = Time::from_hms(
        u8::try_from(n % 24).unwrap(),
        u8::try_from(n / 24 % 60).unwrap(),
        u8::try_from(n / 1440 % 60).unwrap(),
    )
    .unwrap();
    let mut categories = vec![CATEGORIES[n % CATEGORIES.len()]];
    if n.is_multiple_of(3) {
        categories.push(CATEGORIES[(n + 2) % CATEGORIES.len()]);
    }
    let mut authors = vec![AUTHORS[n % AUTHORS.len()]];
    if n.is_multiple_of(4) {
        authors.push(AUTHORS[(n + 3) % AUTHORS.len()]);
    }
    let published = day.with_time(time).assume_utc();
    written(
        &format!("Archive post {n}"),
        published,
        &categories,
        &authors,
        &"word ".repeat(teaser / 5),
        "",
    )
}

/// A post's source and what it is, `extra` front matter lines added.
fn written(
    title: &str,
    published: OffsetDateTime,
    categories: &[&'static str],
    authors: &[&'static str],
    teaser: &str,
    extra: &str,
) -> (String, Written) {
    let list = |names: &[&str]| {
        names
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let date = published
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let source = format!(
        "---\ntitle: \"{title}\"\ndate: {date}\nauthors: [{}]\ncategories: [{}]\n{extra}---\n{teaser}\n\n<!--more-->\n\nThe body.\n",
        list(authors),
        list(categories),
    );
    let public = !extra.contains("draft: true") && published <= OffsetDateTime::now_utc();
    let post = Written {
        slug: Slug::from_text(title).unwrap().to_string(),
        published,
        categories: categories.to_vec(),
        authors: authors.to_vec(),
        public,
    };
    (source, post)
}

/// The posts of `sources`.
fn parsed(sources: &[String]) -> Vec<Post> {
    sources
        .iter()
        .map(|source| parse_post(source, None).expect("a valid post"))
        .collect()
}

/// A Sitemaps document as a real XML parser reads it: its root element, and each entry's
/// `loc` and `lastmod`.
#[derive(Debug, Default)]
struct Document {
    root: String,
    entries: Vec<(String, Option<String>)>,
}

fn parse(xml: &str) -> Document {
    let mut reader = Reader::from_str(xml);
    let mut document = Document::default();
    let mut open: Vec<String> = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(start) => {
                let name = String::from_utf8(start.name().as_ref().to_vec()).unwrap();
                if open.is_empty() {
                    document.root.clone_from(&name);
                }
                if open.len() == 1 {
                    document.entries.push((String::new(), None));
                }
                open.push(name);
            }
            Event::End(_) => {
                open.pop();
            }
            Event::Text(text) => {
                let text = text.decode().unwrap().into_owned();
                let entry = document.entries.last_mut();
                match (open.last().map(String::as_str), entry) {
                    (Some("loc"), Some(entry)) => entry.0.push_str(&text),
                    (Some("lastmod"), Some(entry)) => entry.1 = Some(text),
                    _ => {}
                }
            }
            Event::Eof => return document,
            _ => {}
        }
    }
}

/// The Sitemaps protocol's schema, as npm's `sitemap` package ships it (scripts/test installs
/// it from tests/node-requirements.txt).
fn sitemap_schema() -> PathBuf {
    let schema = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../.venv/node/node_modules/sitemap/schema/sitemap.xsd");
    assert!(
        schema.exists(),
        "{}: missing; run the tests with scripts/test, which installs it",
        schema.display()
    );
    schema
}

/// The path of a URL on the configured origin.
fn path_of(url: &str) -> &str {
    url.strip_prefix(ORIGIN)
        .filter(|path| path.starts_with('/'))
        .unwrap_or_else(|| panic!("{url}: not an absolute URL on {ORIGIN}"))
}

/// Everything the sitemaps told: each sitemap's path with its document.
async fn crawl(site: &TestSite) -> (Document, Vec<(String, Document)>) {
    let robots = site.get("/robots.txt").await.text().await.unwrap();
    let named = robots
        .lines()
        .find_map(|line| line.strip_prefix("Sitemap: "))
        .unwrap_or_else(|| panic!("robots.txt names no sitemap: {robots}"));
    assert_eq!(named, format!("{ORIGIN}/sitemap.xml"));

    let response = site.get("/sitemap.xml").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/xml; charset=utf-8"
    );
    let xml = response.text().await.unwrap();
    let (ok, printed) = check("xmllint", &["--noout", "-"], &xml);
    assert!(ok, "the index is not well-formed: {printed}");
    let index = parse(&xml);
    assert_eq!(index.root, "sitemapindex");

    let schema = sitemap_schema();
    let mut sitemaps = Vec::new();
    for (loc, _) in &index.entries {
        let path = path_of(loc);
        let response = site.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let xml = response.text().await.unwrap();
        let (valid, printed) = check(
            "xmllint",
            &["--noout", "--schema", schema.to_str().unwrap(), "-"],
            &xml,
        );
        assert!(valid, "{path} is not a valid sitemap: {printed}");
        assert!(
            xml.len() <= SITEMAP_MAX_BYTES,
            "{path}: {} bytes",
            xml.len()
        );
        let document = parse(&xml);
        assert_eq!(document.root, "urlset", "{path}");
        assert!(
            !document.entries.is_empty() && document.entries.len() <= SITEMAP_MAX_URLS,
            "{path}: {} URLs",
            document.entries.len()
        );
        sitemaps.push((path.to_owned(), document));
    }
    (index, sitemaps)
}

fn day(when: OffsetDateTime) -> String {
    when.date().to_string()
}

/// Checks what the crawl found against the posts written.
fn assert_the_sitemaps_hold(posts: &[Written], index: &Document, sitemaps: &[(String, Document)]) {
    let public: Vec<&Written> = posts.iter().filter(|p| p.public).collect();
    // The index: the home page's sitemap, then each year with public posts, newest first,
    // each dated by its newest post.
    let mut newest: BTreeMap<i32, OffsetDateTime> = BTreeMap::new();
    for post in &public {
        let year = newest
            .entry(year_of(post.published))
            .or_insert(post.published);
        *year = (*year).max(post.published);
    }
    let mut expected = vec![(
        format!("{ORIGIN}/sitemaps/home.xml"),
        newest.values().max().copied().map(day),
    )];
    for (year, at) in newest.iter().rev() {
        expected.push((format!("{ORIGIN}/sitemaps/{year}.xml"), Some(day(*at))));
    }
    assert_eq!(index.entries, expected);

    // Every public post exactly once, on the day it appeared; no draft, no scheduled post.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut listed: BTreeSet<String> = BTreeSet::new();
    let dated: BTreeMap<String, String> = posts
        .iter()
        .map(|p| (format!("/posts/{}", p.slug), day(p.published)))
        .collect();
    for (sitemap, document) in sitemaps {
        for (loc, lastmod) in &document.entries {
            let path = path_of(loc);
            if path.starts_with("/posts/") {
                *seen.entry(path.to_owned()).or_default() += 1;
                assert_eq!(lastmod.as_ref(), dated.get(path), "{sitemap}: {path}");
                if let Some(year) = sitemap
                    .strip_prefix("/sitemaps/")
                    .and_then(|f| f.strip_suffix(".xml"))
                {
                    assert_eq!(&dated[path][..4], year, "{path} in {sitemap}");
                }
            } else {
                listed.insert(path.to_owned());
            }
        }
    }
    let expected: BTreeMap<String, usize> = public
        .iter()
        .map(|p| (format!("/posts/{}", p.slug), 1))
        .collect();
    if seen != expected {
        let extra: Vec<_> = seen
            .iter()
            .filter(|(p, n)| expected.get(*p) != Some(n))
            .collect();
        let missing: Vec<_> = expected
            .keys()
            .filter(|p| !seen.contains_key(*p))
            .take(10)
            .collect();
        panic!("posts listed otherwise than once each: {extra:?}; missing: {missing:?}");
    }

    // Every listing page: the home page, the categories index, each category and author.
    let mut pages: BTreeSet<String> = ["/".to_owned(), "/categories".to_owned()].into();
    for post in &public {
        for category in &post.categories {
            pages.insert(format!("/category/{}", Slug::from_name(category).unwrap()));
        }
        for author in &post.authors {
            pages.insert(format!("/author/{}", Slug::from_name(author).unwrap()));
        }
    }
    assert_eq!(listed, pages);
}

async fn every_public_post_is_in_exactly_one_sitemap_and_every_listing_in_one(backend: Backend) {
    let given = TestStore::new(backend).await;
    // A few thousand posts over seven years, two of them without any.
    let count = 2_400;
    let (mut sources, mut posts): (Vec<String>, Vec<Written>) =
        (0..count).map(|n| archive_post(n, count, 120)).unzip();
    // A draft in a year with posts, and one alone in a year of its own; a post scheduled for
    // next month, and one alone in a year to come; a category and an author no public post has.
    let now = OffsetDateTime::now_utc();
    let at = |year: i32| Date::from_calendar_date(year, time::Month::June, 1).unwrap();
    for (title, published, extra) in [
        (
            "Draft of 2022",
            at(2022).midnight().assume_utc(),
            "draft: true\n",
        ),
        (
            "Draft of 2020",
            at(2020).midnight().assume_utc(),
            "draft: true\n",
        ),
        ("Next month", now + Duration::days(30), ""),
        (
            "Years ahead",
            at(now.year() + 3).midnight().assume_utc(),
            "",
        ),
    ] {
        let (source, post) = written(
            title,
            published,
            &["Unreleased"],
            &["Hidden Author"],
            "Not yet.",
            extra,
        );
        assert!(!post.public, "{title}");
        sources.push(source);
        posts.push(post);
    }
    given.load(&parsed(&sources)).await;
    let site = TestSite::start_with(given.store.clone(), |config| {
        config.base_url = ORIGIN.to_owned();
    })
    .await;

    let (index, sitemaps) = crawl(&site).await;
    assert_the_sitemaps_hold(&posts, &index, &sitemaps);

    // The URLs they give answer: every listing page, and each sitemap's first and last post.
    let mut answering: BTreeSet<&str> = BTreeSet::new();
    for (_, document) in &sitemaps {
        let (posts, pages): (Vec<_>, Vec<_>) = document
            .entries
            .iter()
            .map(|(loc, _)| path_of(loc))
            .partition(|path| path.starts_with("/posts/"));
        answering.extend(pages);
        answering.extend(posts.first().into_iter().chain(posts.last()));
    }
    for path in answering {
        assert_eq!(site.get(path).await.status(), 200, "{path}");
    }

    // A year without public posts has no sitemap, nor has any other name.
    for path in [
        "/sitemaps/2019.xml",
        "/sitemaps/2020.xml",
        &format!("/sitemaps/{}.xml", now.year() + 3),
        "/sitemaps/2024.xml.gz",
        "/sitemaps/posts.xml",
        "/sitemaps/24.xml",
    ] {
        assert_eq!(site.get(path).await.status(), 404, "{path}");
    }

    // The origin is the configured one, whatever Host the request names.
    let spoofed = site
        .http
        .get(site.url("/sitemap.xml"))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!spoofed.contains("evil.example"), "{spoofed}");
    assert_eq!(parse(&spoofed).entries, index.entries);
}

on_every_backend!(every_public_post_is_in_exactly_one_sitemap_and_every_listing_in_one);

/// The `Query` pages DynamoDB itself cuts a year of the whole blog's listing into, read with
/// no limit, and the bytes of its rows as DynamoDB sizes them.
async fn pages_of_year(table: &str, year: i32) -> (usize, usize) {
    let client = dynamo_client(None);
    let (after, until) = year_bounds(year);
    let (mut pages, mut bytes) = (0, 0);
    let mut start = None;
    loop {
        let output = client
            .query()
            .table_name(table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :after AND :until")
            .expression_attribute_values(":pk", AttributeValue::S("LIST#_all".into()))
            .expression_attribute_values(":after", AttributeValue::S(after.clone()))
            .expression_attribute_values(":until", AttributeValue::S(until.clone()))
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        pages += 1;
        bytes += output.items().iter().map(item_size).sum::<usize>();
        start = output.last_evaluated_key;
        if start.is_none() {
            return (pages, bytes);
        }
    }
}

#[tokio::test]
async fn each_sitemap_reads_a_bounded_number_of_query_pages_whatever_the_blog_s_size() {
    let mut index_reads = Vec::new();
    // A small blog, and one forty times its size whose last year holds over a megabyte of
    // listing rows (teasers near the longest a row keeps): DynamoDB answers that year in
    // several pages.
    for (count, teaser) in [(30, 100), (1_200, 1_900)] {
        let given = TestStore::new(Backend::Dynamo).await;
        let (sources, posts): (Vec<String>, Vec<Written>) =
            (0..count).map(|n| archive_post(n, count, teaser)).unzip();
        given.load(&parsed(&sources)).await;
        let site = TestSite::start_with(given.store.clone(), |config| {
            config.base_url = ORIGIN.to_owned();
        })
        .await;
        let table = given.table.clone().unwrap();

        // The index: the newest post, then one row per year with posts (the last finds none).
        given.requests.clear();
        assert_eq!(site.get("/sitemap.xml").await.status(), 200);
        let reads = given.requests.operations();
        assert!(reads.iter().all(|r| r == "Query"), "{reads:?}");
        assert_eq!(reads.len(), 1 + YEARS.len(), "{count} posts: {reads:?}");
        index_reads.push(reads.len());

        given.requests.clear();
        assert_eq!(site.get("/sitemaps/home.xml").await.status(), 200);
        assert_eq!(given.requests.operations(), ["Query"]);

        // A year: the pages DynamoDB cuts its rows into, no more, never a scan.
        let mut most = 0;
        for year in YEARS {
            let (pages, bytes) = pages_of_year(&table, year).await;
            given.requests.clear();
            assert_eq!(
                site.get(&format!("/sitemaps/{year}.xml")).await.status(),
                200
            );
            let reads = given.requests.operations();
            assert!(reads.iter().all(|r| r == "Query"), "{reads:?}");
            assert_eq!(reads.len(), pages, "{year}: {bytes} bytes of rows");
            assert!(reads.len() <= SITEMAP_MAX_PAGES);
            assert!(reads.len() <= bytes / 1_000_000 + 1, "{year}: {bytes} B");
            most = most.max(reads.len());
        }
        if count > 1_000 {
            assert!(most >= 2, "the big year reads in several pages: {most}");
        }
        // Rows split across pages are each listed once all the same.
        let (index, sitemaps) = crawl(&site).await;
        assert_the_sitemaps_hold(&posts, &index, &sitemaps);
    }
    assert_eq!(index_reads[0], index_reads[1], "the index reads alike");
}

/// Every item of `table`, by key (a test may scan; the blog never does).
async fn every_item(table: &str) -> BTreeMap<(String, String), HashMap<String, AttributeValue>> {
    let client = dynamo_client(None);
    let mut items = BTreeMap::new();
    let mut start = None;
    loop {
        let output = client
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        for item in output.items() {
            let key = |name: &str| item[name].as_s().unwrap().clone();
            items.insert((key("pk"), key("sk")), item.clone());
        }
        start = output.last_evaluated_key;
        if start.is_none() {
            return items;
        }
    }
}

#[tokio::test]
async fn a_table_filled_in_batches_holds_what_publishing_each_post_leaves() {
    let now = OffsetDateTime::now_utc();
    let sources: Vec<String> = [
        written(
            "First",
            now - Duration::days(400),
            &["Data", "Ops"],
            &["Ann Lee"],
            "A.",
            "",
        ),
        written(
            "Second",
            now - Duration::days(3),
            &["Data"],
            &["Ann Lee", "Bo Chen"],
            "B.",
            "aliases: [/2020/01/01/second.html]\n",
        ),
        written(
            "A draft",
            now - Duration::days(2),
            &["Ops"],
            &["Bo Chen"],
            "C.",
            "draft: true\n",
        ),
        written(
            "Scheduled",
            now + Duration::days(9),
            &["Security"],
            &["Dana Ruiz"],
            "D.",
            "",
        ),
    ]
    .into_iter()
    .map(|(source, _)| source)
    .collect();
    let posts = parsed(&sources);
    let published = TestStore::new(Backend::Dynamo).await;
    for post in &posts {
        published.store.publish(post).await.unwrap();
    }
    let loaded = TestStore::new(Backend::Dynamo).await;
    loaded.load(&posts).await;

    let (published, loaded) = (
        every_item(published.table.as_ref().unwrap()).await,
        every_item(loaded.table.as_ref().unwrap()).await,
    );
    assert!(published.len() > posts.len() * 3, "{published:#?}");
    assert_eq!(loaded, published);
}

#[tokio::test]
async fn blog_serve_keeps_the_sitemaps_until_a_write_changes_them() {
    let dir = tempfile::TempDir::new().unwrap();
    let empty = dir.path().join("no-seed");
    let blog =
        ServeProcess::start_with(dir.path(), &["--seed", &empty.display().to_string()]).await;
    // Another writer on the same file, as `cargo lambda watch`'s ingest is.
    let other = SqliteStore::open(&dir.path().join("blog.sqlite3"))
        .await
        .unwrap();
    let publish =
        |title: &str, date: &str| parse_post(&post_source(title, date, &["Data"]), None).unwrap();
    let get = |path: &'static str| {
        let url = format!("{}{path}", blog.url);
        async move { reqwest::get(url).await.unwrap() }
    };
    let locations = |xml: String| -> Vec<String> {
        parse(&xml)
            .entries
            .into_iter()
            .map(|(loc, _)| loc.strip_prefix(&blog.url).unwrap().to_owned())
            .collect()
    };

    other
        .publish(&publish("First", "2020-01-01"))
        .await
        .unwrap();
    for path in ["/sitemap.xml", "/sitemaps/2020.xml"] {
        let first = get(path).await;
        assert!(first.headers().get("age").is_none(), "{path}: read");
        assert!(
            get(path).await.headers().get("age").is_some(),
            "{path}: kept"
        );
    }
    assert_eq!(
        locations(get("/sitemap.xml").await.text().await.unwrap()),
        ["/sitemaps/home.xml", "/sitemaps/2020.xml"]
    );

    // A post of another year, written by the other connection: the very next request sees it.
    other
        .publish(&publish("Second", "2021-06-01"))
        .await
        .unwrap();
    let fresh = get("/sitemap.xml").await;
    assert!(
        fresh.headers().get("age").is_none(),
        "the cache was dropped"
    );
    assert_eq!(
        locations(fresh.text().await.unwrap()),
        [
            "/sitemaps/home.xml",
            "/sitemaps/2021.xml",
            "/sitemaps/2020.xml"
        ]
    );
    assert_eq!(
        locations(get("/sitemaps/2021.xml").await.text().await.unwrap()),
        ["/posts/second", "/category/data", "/author/test-author"]
    );
}
