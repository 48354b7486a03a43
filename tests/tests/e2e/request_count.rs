//! The read path's cost, counted at the SDK against the real DynamoDB-compatible server: a
//! listing page or a feed is one `Query`, a post page one `GetItem`, and nothing scans. Only a
//! miss on a post costs a second `GetItem`, to find whether its address moved.

use blog_tests::{Backend, attrs, seeded_site};

#[tokio::test]
async fn each_read_costs_one_dynamodb_request() {
    let (given, site) = seeded_site(Backend::Dynamo).await;

    let cases = [
        ("/", "Query"),
        ("/category/microservices", "Query"),
        ("/category/no-such-category", "Query"),
        ("/posts/inside-a-soundcloud-microservice", "GetItem"),
        ("/feed.xml", "Query"),
        ("/category/microservices/feed.xml", "Query"),
    ];
    for (path, operation) in cases {
        given.requests.clear();
        site.get(path).await;
        assert_eq!(given.requests.operations(), [operation], "GET {path}");
    }

    // A post that is not there costs a second look-up, for an old address that moved.
    given.requests.clear();
    assert_eq!(site.get("/posts/no-such-post").await.status(), 404);
    assert_eq!(given.requests.operations(), ["GetItem", "GetItem"]);

    // A later page costs the same as the first.
    let home = site.page("/").await;
    let older = &attrs(&home, "a[rel=next]", "href")[0];
    given.requests.clear();
    assert_eq!(site.get(older).await.status(), 200);
    assert_eq!(given.requests.operations(), ["Query"], "GET {older}");
}
