//! The authors' write path over real HTTP: authentication, optimistic locking, idempotency,
//! redirects, and refusals that name the problem and write nothing.

use std::time::Duration;

use blog_shared::Slug;
pub(crate) use blog_tests::post_with_body as post;
use blog_tests::{Authoring, Backend, MARKDOWN, TOKEN, attrs, on_every_backend, texts};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use time::OffsetDateTime;

async fn problem(response: reqwest::Response) -> Value {
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "a problem document"
    );
    response.json().await.unwrap()
}

// ---------------------------------------------------------------------------------------------
// Authentication

#[tokio::test]
async fn only_a_valid_token_may_write_and_every_refusal_writes_nothing() {
    let given = Authoring::new(Backend::Sqlite).await;
    let body = post("Guarded", "2020-01-01", &["Security"], "Body.");
    let before = store_snapshot(&given).await;
    let url = given.site.url("/posts");
    let http = &given.site.http;

    let attempts: Vec<(&str, reqwest::RequestBuilder, StatusCode)> = vec![
        ("no credentials", http.post(&url), StatusCode::UNAUTHORIZED),
        (
            "wrong token",
            http.post(&url).header("authorization", "Bearer wrong"),
            StatusCode::FORBIDDEN,
        ),
        (
            "a prefix of the token",
            http.post(&url).header("authorization", "Bearer s3cret"),
            StatusCode::FORBIDDEN,
        ),
        (
            "empty token",
            http.post(&url).header("authorization", "Bearer "),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "token without a scheme",
            http.post(&url).header("authorization", TOKEN),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "token in the wrong header",
            http.post(&url).header("x-api-key", TOKEN),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "token as a query",
            http.post(format!("{url}?token={TOKEN}")),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "basic auth",
            http.post(&url).basic_auth("author", Some(TOKEN)),
            StatusCode::UNAUTHORIZED,
        ),
    ];
    for (what, request, status) in attempts {
        let response = request
            .header("content-type", MARKDOWN)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{what}");
        if status == StatusCode::UNAUTHORIZED {
            assert!(
                response.headers().contains_key("www-authenticate"),
                "{what}"
            );
        }
        assert!(problem(response).await["detail"].is_string(), "{what}");
        assert_eq!(store_snapshot(&given).await, before, "{what} wrote nothing");
    }

    let response = given.create(&body).await;
    assert_eq!(response.status(), StatusCode::CREATED, "a valid token");
}

#[tokio::test]
async fn updates_and_deletes_need_the_token_too() {
    let given = Authoring::new(Backend::Sqlite).await;
    given
        .create(&post("Mine", "2020-01-01", &["A"], "Body."))
        .await;
    let before = store_snapshot(&given).await;

    let put = given
        .site
        .http
        .put(given.site.url("/posts/mine"))
        .header("if-match", "\"v1\"");
    let response = put
        .header("content-type", MARKDOWN)
        .body(post("Mine", "2020-01-01", &["B"], "Hijacked."))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let delete = given
        .site
        .http
        .delete(given.site.url("/posts/mine"))
        .header("if-match", "\"v1\"");
    let response = delete
        .header("authorization", "Bearer nope")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    assert_eq!(store_snapshot(&given).await, before);
}

/// What the authentication tests' refusals must leave as it was.
async fn store_snapshot(given: &Authoring) -> String {
    given.snapshot(&["guarded", "mine", "refused"]).await
}

// ---------------------------------------------------------------------------------------------
// The life of a post

async fn a_post_is_created_updated_and_deleted_with_versions(backend: Backend) {
    let given = Authoring::new(backend).await;
    let first = post(
        "Launch notes",
        "2020-05-01",
        &["Releases"],
        "First draft of the notes.",
    );

    // Created: 201, where it lives, and the version to update it from.
    let response = given.create(&first).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        response.headers()["location"],
        given.site.url("/posts/launch-notes").as_str()
    );
    assert_eq!(response.headers()["etag"], "\"v1\"");
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["slug"], "launch-notes");
    assert_eq!(created["url"], given.site.url("/posts/launch-notes"));
    assert_eq!(created["version"], 1);
    assert_eq!(
        texts(&given.site.page("/category/releases").await, "article h2"),
        ["Launch notes"]
    );

    // The same upload again, a retry after a lost response: 200, nothing written.
    let retry = given.create(&first).await;
    assert_eq!(retry.status(), StatusCode::OK);
    assert_eq!(retry.headers()["etag"], "\"v1\"");

    // Other content under the same slug: 409, with the current version to update from.
    let rival = given
        .create(&post(
            "Launch notes",
            "2020-05-02",
            &["Releases"],
            "Someone else's.",
        ))
        .await;
    assert_eq!(rival.status(), StatusCode::CONFLICT);
    assert_eq!(rival.headers()["etag"], "\"v1\"");
    assert_eq!(problem(rival).await["field"], "slug");

    // An update moves the post to another category and retitles it.
    let second = post(
        "Launch notes, final",
        "2020-05-01",
        &["Announcements"],
        "The final notes.",
    );
    let response = given
        .send(
            Method::PUT,
            "/posts/launch-notes",
            &second,
            &[("if-match", "\"v1\"")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["etag"], "\"v2\"");
    let page = given.site.page("/posts/launch-notes").await;
    assert_eq!(texts(&page, "h1"), ["Launch notes, final"]);
    assert_eq!(
        given.site.get("/category/releases").await.status(),
        404,
        "gone from its old category"
    );
    assert_eq!(
        texts(
            &given.site.page("/category/announcements").await,
            "article h2"
        ),
        ["Launch notes, final"]
    );

    // The same PUT again: 200, still version 2.
    let repeat = given
        .send(
            Method::PUT,
            "/posts/launch-notes",
            &second,
            &[("if-match", "\"v1\"")],
        )
        .await;
    assert_eq!(repeat.status(), StatusCode::OK);
    assert_eq!(repeat.headers()["etag"], "\"v2\"");

    // A stale version: 412, nothing written.
    let stale = given
        .send(
            Method::PUT,
            "/posts/launch-notes",
            &first,
            &[("if-match", "\"v1\"")],
        )
        .await;
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.headers()["etag"], "\"v2\"");
    assert_eq!(
        texts(&given.site.page("/posts/launch-notes").await, "h1"),
        ["Launch notes, final"]
    );

    // No If-Match at all: 428.
    let blind = given
        .send(Method::PUT, "/posts/launch-notes", &first, &[])
        .await;
    assert_eq!(blind.status(), StatusCode::PRECONDITION_REQUIRED);
    let blind = given
        .send(Method::DELETE, "/posts/launch-notes", "", &[])
        .await;
    assert_eq!(blind.status(), StatusCode::PRECONDITION_REQUIRED);
    let stale = given
        .send(
            Method::DELETE,
            "/posts/launch-notes",
            "",
            &[("if-match", "\"v1\"")],
        )
        .await;
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);

    // Deleted: gone from its page, every listing and every feed, at once.
    let deleted = given
        .send(
            Method::DELETE,
            "/posts/launch-notes",
            "",
            &[("if-match", "\"v2\"")],
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(given.site.get("/posts/launch-notes").await.status(), 404);
    assert_eq!(
        given.site.get("/category/announcements").await.status(),
        404
    );
    assert!(texts(&given.site.page("/").await, "article h2").is_empty());
    let feed = given.site.get("/feed.xml").await.text().await.unwrap();
    assert_eq!(
        rss::Channel::read_from(feed.as_bytes())
            .unwrap()
            .items()
            .len(),
        0
    );

    // Updating or deleting what is not there: 404.
    let missing = given
        .send(
            Method::PUT,
            "/posts/launch-notes",
            &second,
            &[("if-match", "\"v2\"")],
        )
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

async fn a_renamed_post_and_its_aliases_redirect_to_it(backend: Backend) {
    let given = Authoring::new(backend).await;
    let original = "---\ntitle: Old name\ndate: 2020-01-01\ncategories: [A]\naliases: [/2020/01/01/old-name.html]\n---\nBody.\n";
    assert_eq!(given.create(original).await.status(), StatusCode::CREATED);
    assert_eq!(
        given.site.get("/2020/01/01/old-name.html").await.headers()["location"],
        given.site.url("/posts/old-name").as_str()
    );

    let renamed = "---\ntitle: New name\nslug: new-name\ndate: 2020-01-01\ncategories: [A]\naliases: [/2020/01/01/old-name.html]\n---\nBody.\n";
    let response = given
        .send(
            Method::PUT,
            "/posts/old-name",
            renamed,
            &[("if-match", "\"v1\"")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap()["slug"], "new-name");

    for old in ["/posts/old-name", "/2020/01/01/old-name.html"] {
        let response = given.site.get(old).await;
        assert_eq!(response.status(), StatusCode::MOVED_PERMANENTLY, "{old}");
        assert_eq!(
            response.headers()["location"],
            given.site.url("/posts/new-name").as_str(),
            "{old}"
        );
    }
    assert_eq!(
        texts(&given.site.page("/category/a").await, "article h2"),
        ["New name"],
        "listed once, under its new name"
    );
    assert_eq!(given.site.get("/never/existed").await.status(), 404);
}

on_every_backend!(
    a_post_is_created_updated_and_deleted_with_versions,
    a_renamed_post_and_its_aliases_redirect_to_it,
);

#[tokio::test]
async fn drafts_are_stored_but_never_public() {
    let given = Authoring::new(Backend::Sqlite).await;
    let draft = "---\ntitle: Work in progress\ndate: 2020-01-01\ncategories: [A]\ndraft: true\n---\nNot yet.\n";

    assert_eq!(given.create(draft).await.status(), StatusCode::CREATED);

    assert_eq!(
        given.site.get("/posts/work-in-progress").await.status(),
        404
    );
    assert_eq!(given.site.get("/category/a").await.status(), 404);
    assert!(
        !given
            .site
            .get("/feed.xml")
            .await
            .text()
            .await
            .unwrap()
            .contains("Work in progress")
    );
    // Publishing it is an update.
    let published = draft.replace("draft: true\n", "");
    let response = given
        .send(
            Method::PUT,
            "/posts/work-in-progress",
            &published,
            &[("if-match", "\"v1\"")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        given.site.get("/posts/work-in-progress").await.status(),
        200
    );
}

#[tokio::test]
async fn a_scheduled_post_appears_at_its_time_with_no_job() {
    let given = Authoring::new(Backend::Sqlite).await;
    let at = OffsetDateTime::now_utc() + time::Duration::seconds(2);
    let when = at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let source =
        format!("---\ntitle: Coming soon\ndate: \"{when}\"\ncategories: [Soon]\n---\nHello.\n");

    assert_eq!(given.create(&source).await.status(), StatusCode::CREATED);
    assert_eq!(
        given.site.get("/posts/coming-soon").await.status(),
        404,
        "not yet"
    );
    assert!(
        !given
            .site
            .get("/feed.xml")
            .await
            .text()
            .await
            .unwrap()
            .contains("Coming soon")
    );

    tokio::time::sleep(Duration::from_millis(3200)).await;

    assert_eq!(given.site.get("/posts/coming-soon").await.status(), 200);
    assert_eq!(
        texts(&given.site.page("/category/soon").await, "article h2"),
        ["Coming soon"]
    );
    assert!(
        given
            .site
            .get("/feed.xml")
            .await
            .text()
            .await
            .unwrap()
            .contains("Coming soon")
    );
}

#[tokio::test]
async fn a_jekyll_file_name_and_permalink_are_honoured_on_upload() {
    let given = Authoring::new(Backend::Sqlite).await;
    let source = "---\nlayout: post\ntitle: From Jekyll\n---\nImported.\n";
    let headers = [
        (
            "content-disposition",
            "attachment; filename=\"2016-07-27-from-jekyll.md\"",
        ),
        ("blog-import-format", "jekyll"),
        ("blog-default-category", "Archive"),
    ];

    let response = given.send(Method::POST, "/posts", source, &headers).await;

    assert_eq!(response.status(), StatusCode::CREATED);
    let page = given.site.page("/posts/from-jekyll").await;
    assert_eq!(texts(&page, ".byline"), ["July 27th, 2016"]);
    assert_eq!(texts(&page, ".categories a"), ["Archive"]);
    let old = given.site.get("/2016/07/27/from-jekyll.html").await;
    assert_eq!(old.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(
        old.headers()["location"],
        given.site.url("/posts/from-jekyll").as_str()
    );
}

// ---------------------------------------------------------------------------------------------
// Concurrency

#[tokio::test]
async fn of_twenty_parallel_updates_from_one_version_exactly_one_wins_whole() {
    let given = Authoring::new(Backend::Dynamo).await;
    assert_eq!(
        given
            .create(&post("Contended", "2020-01-01", &["Race"], "Original."))
            .await
            .status(),
        StatusCode::CREATED
    );

    let bodies: Vec<String> = (0..20)
        .map(|n| {
            post(
                "Contended",
                "2020-01-01",
                &["Race"],
                &format!("Edit number {n}. {}", "Long paragraph. ".repeat(200)),
            )
        })
        .collect();
    let attempts = bodies.iter().map(|body| {
        given.send(
            Method::PUT,
            "/posts/contended",
            body,
            &[("if-match", "\"v1\"")],
        )
    });
    let responses = join_all(attempts).await;

    let statuses: Vec<StatusCode> = responses.iter().map(reqwest::Response::status).collect();
    let winners: Vec<usize> = statuses
        .iter()
        .enumerate()
        .filter(|(_, s)| **s == StatusCode::OK)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(winners.len(), 1, "exactly one wins: {statuses:?}");
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::PRECONDITION_FAILED)
            .count(),
        19,
        "{statuses:?}"
    );

    let stored = given
        .store
        .store
        .post(&Slug::parse("contended").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.version, 2);
    assert_eq!(
        stored.source, bodies[winners[0]],
        "the winner's post, whole"
    );
    let page = given.site.page("/posts/contended").await;
    assert!(texts(&page, ".post-body p")[0].starts_with(&format!("Edit number {}.", winners[0])));
}

/// Polls every future together (they all start before any finishes) and collects their outputs.
async fn join_all<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futures.map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in pinned.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs
        .into_iter()
        .map(|o| o.expect("every future finished"))
        .collect()
}

#[tokio::test]
async fn a_post_page_links_reach_its_categories_after_an_update() {
    let given = Authoring::new(Backend::Sqlite).await;
    given
        .create(&post("Linked", "2020-01-01", &["One", "Two"], "Body."))
        .await;
    let page = given.site.page("/posts/linked").await;
    for href in attrs(&page, ".categories a", "href") {
        assert_eq!(given.site.get(&href).await.status(), 200);
    }
}
