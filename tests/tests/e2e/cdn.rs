//! Behind the CDN: pages and feeds are kept a day, less when a scheduled post appears sooner;
//! every write invalidates exactly the paths it changed, through CloudFront's API (the
//! CloudFront-compatible server on loopback); a CDN that cannot be told leaves the write
//! standing, with a warning.

use std::collections::HashSet;

use aws_sdk_cloudfront::Client;
use blog_shared::cdn::Cdn;
use blog_tests::{
    Authoring, Backend, TOKEN, TestSite, TestStore, cloudfront_client, cloudfront_distribution,
    post_source,
};
use reqwest::Method;

/// The paths of each invalidation of `distribution` not in `seen` (which then holds them),
/// each sorted.
async fn new_invalidations(
    client: &Client,
    distribution: &str,
    seen: &mut HashSet<String>,
) -> Vec<Vec<String>> {
    let list = client
        .list_invalidations()
        .distribution_id(distribution)
        .send()
        .await
        .unwrap();
    let ids: Vec<String> = list
        .invalidation_list
        .and_then(|l| l.items)
        .unwrap_or_default()
        .into_iter()
        .map(|summary| summary.id)
        .filter(|id| seen.insert(id.clone()))
        .collect();
    let mut all = Vec::new();
    for id in ids {
        let invalidation = client
            .get_invalidation()
            .distribution_id(distribution)
            .id(id)
            .send()
            .await
            .unwrap()
            .invalidation
            .unwrap();
        let mut paths = invalidation
            .invalidation_batch
            .unwrap()
            .paths
            .unwrap()
            .items
            .unwrap_or_default();
        paths.sort();
        all.push(paths);
    }
    all
}

fn strings(paths: &[&str]) -> Vec<String> {
    let mut paths: Vec<String> = paths.iter().map(|p| (*p).to_owned()).collect();
    paths.sort();
    paths
}

#[tokio::test]
async fn every_write_invalidates_exactly_the_paths_it_changed() {
    let client = cloudfront_client();
    let distribution = cloudfront_distribution("api.example.com").await;
    let store = TestStore::new(Backend::Dynamo).await;
    let site = TestSite::start_with_cdn(
        store.store.clone(),
        TOKEN,
        Cdn::new(client.clone(), distribution.clone()),
    )
    .await;
    let author = Authoring { store, site };
    let source = "---\ntitle: Scaling Queues\ndate: 2025-03-01\nauthors: [Ann Lee]\ncategories: [Data]\naliases: [/2025/03/01/scaling-queues.html]\n---\nThe teaser.\n\n<!--more-->\n\nThe body.\n";

    // A new post: its page, its listings' first pages and feeds, the sitemap index, the home
    // page's and its year's sitemaps, the categories index and its old address.
    let created = author.create(source).await;
    assert_eq!(created.status(), 201);
    let answer: serde_json::Value = created.json().await.unwrap();
    assert!(answer.get("cdn_warning").is_none(), "{answer}");
    let mut seen = HashSet::new();
    let all = new_invalidations(&client, &distribution, &mut seen).await;
    assert_eq!(all.len(), 1);
    assert_eq!(
        all[0],
        strings(&[
            "/",
            "/2025/03/01/scaling-queues.html",
            "/atom.xml",
            "/author/ann-lee",
            "/author/ann-lee/atom.xml",
            "/author/ann-lee/feed.json",
            "/author/ann-lee/feed.xml",
            "/categories",
            "/category/data",
            "/category/data/atom.xml",
            "/category/data/feed.json",
            "/category/data/feed.xml",
            "/feed.json",
            "/feed.xml",
            "/posts/scaling-queues",
            "/search",
            "/sitemap.xml",
            "/sitemaps/2025.xml",
            "/sitemaps/home.xml",
        ])
    );

    // The same upload again changes nothing, and tells the CDN nothing.
    assert_eq!(author.create(source).await.status(), 200);
    assert!(
        new_invalidations(&client, &distribution, &mut seen)
            .await
            .is_empty()
    );

    // The body corrected below the teaser: the post and the feeds, no listing page.
    let edited = source.replace("The body.", "The body, corrected.");
    let response = author
        .send(
            Method::PUT,
            "/posts/scaling-queues",
            &edited,
            &[("if-match", "\"v1\"")],
        )
        .await;
    assert_eq!(response.status(), 200);
    let all = new_invalidations(&client, &distribution, &mut seen).await;
    assert_eq!(all.len(), 1);
    assert_eq!(
        all[0],
        strings(&[
            "/atom.xml",
            "/author/ann-lee/atom.xml",
            "/author/ann-lee/feed.json",
            "/author/ann-lee/feed.xml",
            "/category/data/atom.xml",
            "/category/data/feed.json",
            "/category/data/feed.xml",
            "/feed.json",
            "/feed.xml",
            "/posts/scaling-queues",
        ])
    );

    // Renamed: both addresses of the post (the old one now redirects) and every listing row.
    let renamed = edited.replace(
        "title: Scaling Queues",
        "title: Scaling Queues\nslug: queues-at-scale",
    );
    let response = author
        .send(
            Method::PUT,
            "/posts/scaling-queues",
            &renamed,
            &[("if-match", "\"v2\"")],
        )
        .await;
    assert_eq!(response.status(), 200);
    let all = new_invalidations(&client, &distribution, &mut seen).await;
    assert_eq!(all.len(), 1);
    for path in [
        "/posts/scaling-queues",
        "/posts/queues-at-scale",
        "/",
        "/category/data",
        "/sitemaps/2025.xml",
    ] {
        assert!(all[0].contains(&path.to_owned()), "{path}: {:?}", all[0]);
    }
    // Its old address still leads to the same post: its answer did change (the new slug).
    assert!(all[0].contains(&"/2025/03/01/scaling-queues.html".to_owned()));
    // No count and no date changed: not the categories index, the sitemap index or the home
    // page's sitemap.
    for unchanged in [
        "/categories",
        "/search",
        "/sitemap.xml",
        "/sitemaps/home.xml",
    ] {
        assert!(!all[0].contains(&unchanged.to_owned()), "{:?}", all[0]);
    }

    // Moved back to 2023: the sitemaps of both years, and the index and the home page's
    // sitemap, which date each year's and the blog's newest post.
    let redated = renamed.replace("date: 2025-03-01", "date: 2023-11-30");
    let response = author
        .send(
            Method::PUT,
            "/posts/queues-at-scale",
            &redated,
            &[("if-match", "\"v3\"")],
        )
        .await;
    assert_eq!(response.status(), 200);
    let all = new_invalidations(&client, &distribution, &mut seen).await;
    assert_eq!(all.len(), 1);
    let sitemaps: Vec<&String> = all[0].iter().filter(|p| p.contains("sitemap")).collect();
    assert_eq!(
        sitemaps,
        [
            "/sitemap.xml",
            "/sitemaps/2023.xml",
            "/sitemaps/2025.xml",
            "/sitemaps/home.xml"
        ],
        "{:?}",
        all[0]
    );

    // Deleted: everything it showed.
    let response = author
        .send(
            Method::DELETE,
            "/posts/queues-at-scale",
            "",
            &[("if-match", "\"v4\"")],
        )
        .await;
    assert_eq!(response.status(), 204);
    let all = new_invalidations(&client, &distribution, &mut seen).await;
    assert_eq!(all.len(), 1);
    for path in [
        "/posts/queues-at-scale",
        "/posts/scaling-queues",
        "/2025/03/01/scaling-queues.html",
        "/categories",
        "/",
        "/feed.xml",
        "/sitemap.xml",
        "/sitemaps/2023.xml",
        "/sitemaps/home.xml",
    ] {
        assert!(all[0].contains(&path.to_owned()), "{path}: {:?}", all[0]);
    }
}

#[tokio::test]
async fn a_cdn_that_cannot_be_told_leaves_the_write_standing_with_a_warning() {
    let store = TestStore::new(Backend::Dynamo).await;
    let site = TestSite::start_with_cdn(
        store.store.clone(),
        TOKEN,
        Cdn::new(cloudfront_client(), "ENOSUCHDISTRIBUTION".into()),
    )
    .await;
    let author = Authoring { store, site };
    let created = author
        .create(&post_source("Stored Anyway", "2025-03-01", &["Data"]))
        .await;
    assert_eq!(created.status(), 201);
    let answer: serde_json::Value = created.json().await.unwrap();
    let warning = answer["cdn_warning"].as_str().unwrap();
    assert!(warning.contains("up to a day"), "{warning}");
    assert_eq!(author.site.get("/posts/stored-anyway").await.status(), 200);
}

/// The `s-maxage` of a response.
fn shared_max_age(response: &reqwest::Response) -> u64 {
    let cache_control = response.headers()["cache-control"].to_str().unwrap();
    let value = cache_control
        .split(',')
        .find_map(|d| d.trim().strip_prefix("s-maxage="))
        .unwrap_or_else(|| panic!("no s-maxage in {cache_control}"));
    assert!(
        cache_control.contains("stale-while-revalidate=60"),
        "{cache_control}"
    );
    assert!(
        cache_control.contains("stale-if-error=86400"),
        "{cache_control}"
    );
    value.parse().unwrap()
}

#[tokio::test]
async fn pages_are_kept_a_day_or_until_a_scheduled_post_appears() {
    let store = TestStore::new(Backend::Dynamo).await;
    for day in 1..=12 {
        store
            .publish_source(&post_source(
                &format!("Post of day {day}"),
                &format!("2025-03-{day:02}"),
                &["Data"],
            ))
            .await;
    }
    let site = TestSite::start(store.store.clone()).await;
    for path in [
        "/",
        "/category/data",
        "/feed.xml",
        "/posts/post-of-day-3",
        "/sitemap.xml",
        "/sitemaps/home.xml",
        "/sitemaps/2025.xml",
    ] {
        let response = site.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(shared_max_age(&response), 86_400, "{path}");
    }
    // A later page is not invalidated by writes: kept an hour.
    let home = site.page("/category/data").await;
    let older = &blog_tests::attrs(&home, "a[rel=next]", "href")[0];
    let kept = shared_max_age(&site.get(older).await);
    assert!((3_599..=3_600).contains(&kept), "s-maxage={kept}");

    // A post scheduled two hours from now: the pages it will appear on are kept until then.
    let at = time::OffsetDateTime::now_utc() + time::Duration::hours(2);
    let when = at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    store
        .publish_source(&format!(
            "---\ntitle: Scheduled\ndate: {when}\ncategories: [Data]\n---\nSoon.\n"
        ))
        .await;
    for path in [
        "/",
        "/category/data",
        "/category/data/feed.xml",
        "/sitemap.xml",
        "/sitemaps/home.xml",
    ] {
        let kept = shared_max_age(&site.get(path).await);
        assert!((7_100..=7_200).contains(&kept), "{path}: s-maxage={kept}");
    }
    // Post pages are not affected.
    assert_eq!(
        shared_max_age(&site.get("/posts/post-of-day-3").await),
        86_400
    );
}
