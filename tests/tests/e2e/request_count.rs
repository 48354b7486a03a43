//! The read path's cost against the real DynamoDB-compatible server: the requests each read
//! makes, counted at the SDK, all eventually consistent; and the read units they cost, computed
//! from the items they read as DynamoDB sizes them (a unit per 4 KB of each item a `GetItem` or
//! `BatchGetItem` reads, and of all the items a `Query` reads together, rounded up; half a unit
//! eventually consistent).

use aws_sdk_dynamodb::types::AttributeValue;
use blog_shared::store::item_size;
use blog_tests::{Backend, TestStore, attrs, dynamo_client, post_with_body, seeded_site};

#[tokio::test]
async fn each_read_makes_the_requests_it_should_all_eventually_consistent() {
    let (given, site) = seeded_site(Backend::Dynamo).await;

    // A first page and a feed read past now in the same `Query` (room for two scheduled
    // posts: they tell when the page changes, and are left out); a full-text feed then reads
    // its entries' bodies from their posts (one `BatchGetItem`).
    let cases: [(&str, &[&str]); 6] = [
        ("/", &["Query"]),
        ("/category/microservices", &["Query"]),
        ("/category/no-such-category", &["Query"]),
        ("/posts/inside-a-soundcloud-microservice", &["GetItem"]),
        ("/feed.xml", &["BatchGetItem", "Query"]),
        (
            "/category/microservices/feed.xml",
            &["BatchGetItem", "Query"],
        ),
    ];
    for (path, operations) in cases {
        given.requests.clear();
        site.get(path).await;
        assert_eq!(given.requests.sorted_operations(), operations, "GET {path}");
    }

    // A post that is not there costs a second look-up, for an old address that moved.
    given.requests.clear();
    assert_eq!(site.get("/posts/no-such-post").await.status(), 404);
    assert_eq!(given.requests.operations(), ["GetItem", "GetItem"]);

    // A later page never shows a scheduled post: one `Query`.
    let home = site.page("/").await;
    let older = &attrs(&home, "a[rel=next]", "href")[0];
    given.requests.clear();
    assert_eq!(site.get(older).await.status(), 200);
    assert_eq!(given.requests.operations(), ["Query"], "GET {older}");
}

/// A post as engineering blogs write them: a teaser, then `paragraphs` paragraphs with inline
/// code and links, a code block and a table every few paragraphs.
fn engineering_post(index: usize, paragraphs: usize) -> String {
    let mut body = format!(
        "How we moved service {index} off the monolith without a flag day, and what broke.\n\n<!--more-->\n\n"
    );
    for p in 0..paragraphs {
        body.push_str(&format!(
            "## Step {p}\n\nThe `dispatcher-{p}` consumer reads from [the queue](https://kafka.apache.org/) \
             and writes to Cassandra; under load its p99 went from 12 ms to 340 ms, which we traced \
             to a lock held across a network call. We split the lock, batched the writes and \
             added a circuit breaker, then replayed a day of production traffic against it.\n\n"
        ));
        if p % 3 == 0 {
            body.push_str(&format!(
                "```scala\nobject Dispatcher{p} {{\n  def handle(event: Event): Future[Unit] =\n    store.write(event.key, event.payload).recover {{ case NonFatal(e) => log.warn(e) }}\n}}\n```\n\n\
                 | percentile | before | after |\n|---|---|---|\n| p50 | 4 ms | 3 ms |\n| p99 | 340 ms | 18 ms |\n\n"
            ));
        }
    }
    post_with_body(
        &format!("Moving service {index} off the monolith"),
        &format!("2024-{:02}-{:02}", 1 + index % 12, 1 + index % 28),
        &["Data", "Microservices"],
        &body,
    )
}

/// The bytes a read of these items costs, and its read units eventually consistent.
fn units(bytes: usize) -> f64 {
    bytes.div_ceil(4096) as f64 / 2.0
}

/// What a listing page, a feed and a post page of a category of twelve posts of `paragraphs`
/// paragraphs read: (listing bytes, feed bytes, feed units, post bytes).
async fn read_sizes(paragraphs: usize) -> (usize, usize, f64, usize) {
    let given = TestStore::new(Backend::Dynamo).await;
    for index in 0..12 {
        given
            .publish_source(&engineering_post(index, paragraphs))
            .await;
    }
    let client = dynamo_client(None);
    let table = given.table.clone().unwrap();
    // The listing page's own query: its ten rows and one more, to know there are older posts.
    let rows = client
        .query()
        .table_name(&table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S("LIST#data".into()))
        .scan_index_forward(false)
        .limit(11)
        .send()
        .await
        .unwrap()
        .items
        .unwrap();
    assert_eq!(rows.len(), 11);
    let listing: usize = rows.iter().map(item_size).sum();
    // A feed of the ten newest reads each post (a `BatchGetItem` charges each item apart).
    let mut feed_bytes = listing;
    let mut feed_units = units(listing);
    let mut post = 0;
    for row in &rows[..10] {
        let slug = row["slug"].as_s().unwrap();
        let item = client
            .get_item()
            .table_name(&table)
            .key("pk", AttributeValue::S(format!("POST#{slug}")))
            .key("sk", AttributeValue::S("POST".into()))
            .send()
            .await
            .unwrap()
            .item
            .unwrap();
        post = item_size(&item);
        feed_bytes += post;
        feed_units += units(post);
    }
    (listing, feed_bytes, feed_units, post)
}

#[tokio::test]
async fn a_listing_page_reads_the_same_few_bytes_however_long_its_posts() {
    let (short_listing, short_feed, short_feed_units, short_post) = read_sizes(3).await;
    let (long_listing, long_feed, long_feed_units, long_post) = read_sizes(60).await;
    eprintln!(
        "read cost (eventually consistent): listing page {short_listing} B / {long_listing} B \
         ({} / {} units); post {short_post} B / {long_post} B ({} / {} units); \
         feed {short_feed} B / {long_feed} B ({short_feed_units} / {long_feed_units} units), \
         short / long posts",
        units(short_listing),
        units(long_listing),
        units(short_post),
        units(long_post),
    );
    assert!(
        long_post > 10 * short_post / 2,
        "the long posts are long: {long_post} B"
    );
    // Rows carry what a listing shows, not the body: the page costs the same.
    assert!(
        long_listing.abs_diff(short_listing) * 20 < short_listing,
        "listing page: {short_listing} B for short posts, {long_listing} B for long ones"
    );
    assert!(long_listing < 8 * 1024, "listing page: {long_listing} B");
    assert!(units(long_listing) <= 1.0, "listing page: {long_listing} B");
}
