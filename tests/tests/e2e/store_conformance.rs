//! One conformance suite, run against both backends: the embedded store and DynamoDB on a real
//! DynamoDB-compatible server. Each test gets a fresh store.

use blog_shared::model::{Listing, PageRequest};
use blog_shared::store::listing_page;
use blog_shared::store::rules::visible_categories;
use blog_shared::{PublishOutcome, Slug, Store, WriteError, parse_post};
use blog_tests::{Backend, TestStore, on_every_backend, post_source};
use time::OffsetDateTime;
use time::macros::datetime;

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn slugs(page: &blog_shared::ListingPage) -> Vec<String> {
    page.entries.iter().map(|e| e.slug.to_string()).collect()
}

fn category(name: &str) -> Listing {
    Listing::Category(Slug::from_text(name).unwrap())
}

async fn a_published_post_reads_back_whole(backend: Backend) {
    let given = TestStore::new(backend).await;
    let post = given
        .publish_source(&post_source(
            "Hello, world",
            "2018-09-19",
            &["Microservices"],
        ))
        .await;

    let stored = given
        .store
        .post(&post.slug)
        .await
        .unwrap()
        .expect("the post is there");

    assert_eq!(stored.version, 1);
    assert_eq!(stored, blog_shared::Post { version: 1, ..post });
}

/// The post page's read: every field a page might show, and not the Markdown it never shows.
async fn a_page_reads_the_whole_post_but_its_source(backend: Backend) {
    let given = TestStore::new(backend).await;
    let mut post = parse_post(
        &post_source("Every field set", "2018-09-19", &["Microservices"]),
        None,
    )
    .unwrap();
    post.tags = vec!["kubernetes".into(), "c++".into()];
    post.toc = vec![blog_shared::model::TocEntry {
        level: 2,
        id: "why".into(),
        title: "Why".into(),
    }];
    post.reading_minutes = 7;
    post.moved_from = vec![Slug::parse("every-field").unwrap()];
    post.aliases = vec!["/2018/09/19/every-field-set.html".into()];
    post.old_paths = Some(vec!["/blog/every-field-set/".into()]);
    post.source_path = Some("_posts/2018-09-19-Every Field.md".into());
    post.id = Some("every-field".into());
    let file = blog_shared::model::MediaFile {
        sha256: "0f".repeat(32),
        name: "diagram.png".into(),
        media_type: "image/png".into(),
        size: 2048,
        width: Some(640),
        height: Some(480),
    };
    post.media = vec![blog_shared::model::MediaRef {
        reference: "../images/diagram.png".into(),
        site_path: "images/diagram.png".into(),
        file: file.clone(),
        variants: vec![file],
    }];
    assert!(!post.source.is_empty());
    given.store.publish(&post).await.unwrap();

    let shown = given
        .store
        .post_without_source(&post.slug)
        .await
        .unwrap()
        .expect("the post is there");
    let whole = given.store.post(&post.slug).await.unwrap().unwrap();

    assert_eq!(
        shown,
        blog_shared::Post {
            source: String::new(),
            version: 1,
            ..post.clone()
        }
    );
    assert_eq!(whole.source, post.source, "the full read still has it");
}

/// Both reads of a post, the whole one and the page's, find nothing at an unknown slug.
async fn an_unknown_slug_is_none(backend: Backend) {
    let given = TestStore::new(backend).await;
    let slug = Slug::parse("nothing-here").unwrap();
    assert_eq!(given.store.post(&slug).await.unwrap(), None);
    assert_eq!(given.store.post_without_source(&slug).await.unwrap(), None);
}

async fn publishing_the_same_content_again_changes_nothing(backend: Backend) {
    let given = TestStore::new(backend).await;
    let post = given
        .publish_source(&post_source("Once", "2018-09-19", &["A"]))
        .await;

    let again = given.store.publish(&post).await.unwrap();

    assert_eq!(again, PublishOutcome::Unchanged { version: 1 });
    let page = given.first_page(&Listing::All).await;
    assert_eq!(slugs(&page), ["once"], "still one entry");
}

async fn other_content_under_a_taken_slug_is_refused_and_nothing_changes(backend: Backend) {
    let given = TestStore::new(backend).await;
    let original = given
        .publish_source(&post_source("Taken", "2018-09-19", &["A"]))
        .await;
    let rival = parse_post(&post_source("Taken", "2020-01-01", &["B"]), None).unwrap();

    let refused = given.store.publish(&rival).await.unwrap_err();

    assert!(
        matches!(&refused, WriteError::SlugTaken(holder) if holder.version == 1),
        "{refused:?}"
    );
    let stored = given.store.post(&original.slug).await.unwrap().unwrap();
    assert_eq!(stored.content_hash, original.content_hash);
    let b = given.first_page(&category("B")).await;
    assert!(b.entries.is_empty(), "the rival's category got no entry");
}

async fn listings_are_newest_first_and_per_category(backend: Backend) {
    let given = TestStore::new(backend).await;
    given
        .publish_source(&post_source("Oldest", "2015-01-01", &["A"]))
        .await;
    given
        .publish_source(&post_source("Newest", "2020-01-01", &["B"]))
        .await;
    given
        .publish_source(&post_source("Both", "2018-01-01", &["A", "B"]))
        .await;

    let all = given.first_page(&Listing::All).await;
    let a = given.first_page(&category("A")).await;
    let b = given.first_page(&category("B")).await;

    assert_eq!(slugs(&all), ["newest", "both", "oldest"]);
    assert_eq!(slugs(&a), ["both", "oldest"]);
    assert_eq!(slugs(&b), ["newest", "both"]);
    assert_eq!((all.older.is_some(), all.newer.is_some()), (false, false));
}

async fn pages_follow_each_other_without_gaps_or_repeats(backend: Backend) {
    let given = TestStore::new(backend).await;
    for day in 1..=25 {
        given
            .publish_source(&post_source(
                &format!("Day {day:02}"),
                &format!("2020-01-{day:02}"),
                &["Daily"],
            ))
            .await;
    }
    let listing = category("Daily");

    let first = given.first_page(&listing).await;
    let second = given
        .page(&listing, &PageRequest::After(first.older.clone().unwrap()))
        .await;
    let third = given
        .page(&listing, &PageRequest::After(second.older.clone().unwrap()))
        .await;
    let back = given
        .page(
            &listing,
            &PageRequest::Before(second.newer.clone().unwrap()),
        )
        .await;

    let day = |d: u32| format!("day-{d:02}");
    assert_eq!(slugs(&first), (16..=25).rev().map(day).collect::<Vec<_>>());
    assert_eq!(slugs(&second), (6..=15).rev().map(day).collect::<Vec<_>>());
    assert_eq!(slugs(&third), (1..=5).rev().map(day).collect::<Vec<_>>());
    assert!(
        first.newer.is_none() && third.older.is_none(),
        "the ends have no link outwards"
    );
    assert!(third.newer.is_some());
    assert_eq!(
        slugs(&back),
        slugs(&first),
        "Newer from page two is page one"
    );
    assert!(back.newer.is_none(), "page one has nothing newer");
}

async fn a_full_last_page_offers_no_empty_older_page(backend: Backend) {
    let given = TestStore::new(backend).await;
    for day in 1..=10 {
        given
            .publish_source(&post_source(
                &format!("Day {day:02}"),
                &format!("2020-01-{day:02}"),
                &["Daily"],
            ))
            .await;
    }
    let page = given.first_page(&category("Daily")).await;
    assert_eq!(page.entries.len(), 10);
    assert!(page.older.is_none());
}

async fn drafts_are_stored_but_listed_nowhere(backend: Backend) {
    let given = TestStore::new(backend).await;
    let source =
        post_source("Secret", "2018-01-01", &["A"]).replacen("---\n", "---\ndraft: true\n", 1);
    let draft = given.publish_source(&source).await;

    assert!(given.store.post(&draft.slug).await.unwrap().unwrap().draft);
    let all = given.first_page(&Listing::All).await;
    let a = given.first_page(&category("A")).await;
    assert!(all.entries.is_empty() && a.entries.is_empty());
}

async fn scheduled_posts_appear_at_their_time(backend: Backend) {
    let given = TestStore::new(backend).await;
    given
        .publish_source(&post_source("Past", "2020-01-01T00:00:00Z", &["A"]))
        .await;
    given
        .publish_source(&post_source("Future", "2030-06-01T12:00:00Z", &["A"]))
        .await;
    let store = given.store.as_ref();

    let before = listing_page(
        store,
        &category("A"),
        &PageRequest::First,
        10,
        datetime!(2030-06-01 11:59:59 UTC),
    )
    .await
    .unwrap();
    let at = listing_page(
        store,
        &category("A"),
        &PageRequest::First,
        10,
        datetime!(2030-06-01 12:00:00 UTC),
    )
    .await
    .unwrap();

    assert_eq!(slugs(&before), ["past"]);
    assert_eq!(slugs(&at), ["future", "past"]);
}

async fn scheduled_posts_past_the_first_page_s_room_are_hidden_and_tell_when_it_changes(
    backend: Backend,
) {
    let given = TestStore::new(backend).await;
    for day in 1..=5 {
        given
            .publish_source(&post_source(
                &format!("Past {day}"),
                &format!("2020-01-0{day}T00:00:00Z"),
                &["A"],
            ))
            .await;
    }
    let store = given.store.as_ref();
    let now = datetime!(2025-01-01 00:00:00 UTC);
    let a = category("A");
    let page = |request: PageRequest| {
        let a = &a;
        async move { listing_page(store, a, &request, 3, now).await.unwrap() }
    };

    // One scheduled post, then up to five: within the two rows read past the page, then beyond.
    let mut expected_change = None;
    for (count, day) in [(1, 9), (2, 8), (3, 7), (4, 6), (5, 5)] {
        given
            .publish_source(&post_source(
                &format!("Scheduled {day}"),
                &format!("2030-01-0{day}T12:00:00Z"),
                &["A"],
            ))
            .await;
        expected_change = Some(datetime!(2030-01-01 12:00:00 UTC).replace_day(day).unwrap());
        let first = page(PageRequest::First).await;
        assert_eq!(
            slugs(&first),
            ["past-5", "past-4", "past-3"],
            "{count} scheduled"
        );
        assert_eq!(first.changes_at, expected_change, "{count} scheduled");
        assert!(first.older.is_some() && first.newer.is_none());
        let later = page(PageRequest::After(first.older.clone().unwrap())).await;
        assert_eq!(slugs(&later), ["past-2", "past-1"]);
        // Back from the second page: a page read oldest first that reaches the top.
        let again = page(PageRequest::Before(later.newer.clone().unwrap())).await;
        assert_eq!(
            slugs(&again),
            slugs(&first),
            "{count} scheduled, read backwards"
        );
        assert_eq!(
            again.changes_at, expected_change,
            "{count} scheduled, backwards"
        );
        assert!(again.newer.is_none(), "nothing newer is visible");
    }
    // At the first one's time it shows, and the next one is when the page changes again.
    let at = listing_page(
        store,
        &category("A"),
        &PageRequest::First,
        3,
        expected_change.unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(slugs(&at), ["scheduled-5", "past-5", "past-4"]);
    assert_eq!(at.changes_at, Some(datetime!(2030-01-06 12:00:00 UTC)));
}

async fn posts_of_the_same_moment_keep_a_stable_order(backend: Backend) {
    let given = TestStore::new(backend).await;
    for title in ["Bravo", "Alpha", "Charlie"] {
        given
            .publish_source(&post_source(title, "2020-01-01", &["A"]))
            .await;
    }
    let store = given.store.as_ref();
    let first = listing_page(store, &category("A"), &PageRequest::First, 2, now())
        .await
        .unwrap();
    let second = listing_page(
        store,
        &category("A"),
        &PageRequest::After(first.older.clone().unwrap()),
        2,
        now(),
    )
    .await
    .unwrap();
    assert_eq!(slugs(&first), ["charlie", "bravo"]);
    assert_eq!(slugs(&second), ["alpha"]);
}

async fn categories_count_their_listed_posts_through_every_change(backend: Backend) {
    let given = TestStore::new(backend).await;
    let counts = || async {
        let mut counts: Vec<(String, u64)> = given
            .store
            .categories()
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c.posts > 0)
            .map(|c| (c.category.name, c.posts))
            .collect();
        counts.sort();
        counts
    };
    let first = given
        .publish_source(&post_source("First", "2020-01-01", &["Alpha", "Beta"]))
        .await;
    given
        .publish_source(&post_source("Second", "2020-01-02", &["Alpha"]))
        .await;
    given
        .publish_source(&post_source("Draft", "2020-01-03", &["Alpha"]).replacen(
            "---\n",
            "---\ndraft: true\n",
            1,
        ))
        .await;
    assert_eq!(
        counts().await,
        [("Alpha".to_owned(), 2), ("Beta".to_owned(), 1)],
        "drafts do not count"
    );

    let moved = parse_post(&post_source("First", "2020-01-01", &["Gamma"]), None).unwrap();
    given.store.replace(&first.slug, &moved, 1).await.unwrap();
    assert_eq!(
        counts().await,
        [("Alpha".to_owned(), 1), ("Gamma".to_owned(), 1)]
    );

    given.store.delete(&first.slug, 2).await.unwrap();
    assert_eq!(counts().await, [("Alpha".to_owned(), 1)]);
}

/// A scheduled post's category is not public before the post: the categories index counts
/// only what readers can see, and says when that changes.
async fn categories_show_only_what_readers_can_see_now(backend: Backend) {
    let given = TestStore::new(backend).await;
    given
        .publish_source(&post_source("Public", "2020-01-01", &["Alpha"]))
        .await;
    given
        .publish_source(&post_source(
            "Merger",
            "2031-03-01T09:00:00Z",
            &["Secret Merger Plans", "Alpha"],
        ))
        .await;
    given
        .publish_source(&post_source("Later", "2031-06-01T09:00:00Z", &["Alpha"]))
        .await;
    let visible = |at: OffsetDateTime| {
        let store = given.store.as_ref();
        async move {
            let (counts, changes_at) = visible_categories(store, at).await.unwrap();
            let mut counts: Vec<(String, u64)> = counts
                .into_iter()
                .map(|c| (c.category.name, c.posts))
                .collect();
            counts.sort();
            (counts, changes_at)
        }
    };

    assert_eq!(
        visible(datetime!(2026-12-07 12:00:00 UTC)).await,
        (
            vec![("Alpha".to_owned(), 1)],
            Some(datetime!(2031-03-01 09:00:00 UTC))
        ),
        "neither the scheduled category nor the scheduled posts' counts show"
    );
    assert_eq!(
        visible(datetime!(2031-03-01 09:00:00 UTC)).await,
        (
            vec![
                ("Alpha".to_owned(), 2),
                ("Secret Merger Plans".to_owned(), 1)
            ],
            Some(datetime!(2031-06-01 09:00:00 UTC))
        ),
        "the category appears with its post"
    );
    assert_eq!(
        visible(datetime!(2031-07-01 00:00:00 UTC)).await,
        (
            vec![
                ("Alpha".to_owned(), 3),
                ("Secret Merger Plans".to_owned(), 1)
            ],
            None
        )
    );
}

/// DynamoDB ends a `Query` response at 1 MB whatever its limit: a page of large rows comes back
/// short, and "Older posts" must still lead on to the rest, with nothing skipped.
async fn large_rows_still_page_through_every_post(backend: Backend) {
    let given = TestStore::new(backend).await;
    let summary = "Long summary text. ".repeat(7_000); // ~130 KB of excerpt in every listing row
    for day in 1..=15 {
        let source = post_source(
            &format!("Big {day:02}"),
            &format!("2020-02-{day:02}"),
            &["Big"],
        )
        .replacen("---\n", &format!("---\nsummary: \"{summary}\"\n"), 1);
        given.publish_source(&source).await;
    }
    let mut seen = Vec::new();
    let mut request = PageRequest::First;
    let mut pages = 0;
    loop {
        let page = given.page(&category("Big"), &request).await;
        assert!(
            !page.entries.is_empty(),
            "no empty page behind an Older link"
        );
        seen.extend(slugs(&page));
        pages += 1;
        match page.older {
            Some(cursor) => request = PageRequest::After(cursor),
            None => break,
        }
        assert!(pages < 10, "pagination ends");
    }
    let expected: Vec<String> = (1..=15).rev().map(|d| format!("big-{d:02}")).collect();
    assert_eq!(
        seen, expected,
        "every post once, newest first, over {pages} pages"
    );
}

/// A post as an import or a publish from a folder sends it: with where its file is.
fn from_file(source: &str, path: &str) -> blog_shared::Post {
    let origin = blog_shared::content::Origin {
        source_path: Some(path),
        ..Default::default()
    };
    blog_shared::content::parse_post_from(source, &origin).unwrap()
}

fn slug(text: &str) -> Slug {
    Slug::parse(text).unwrap()
}

/// An old address belongs to the post that declared it first: another cannot take it, and
/// deleting or renaming the other leaves it with its owner.
async fn a_redirect_belongs_to_the_post_that_declared_it(backend: Backend) {
    let given = TestStore::new(backend).await;
    let owner = given
        .publish_source(
            "---\ntitle: Owner\ndate: 2020-01-01\naliases: [/old/shared.html]\n---\nMine.\n",
        )
        .await;
    let rival = parse_post(
        "---\ntitle: Rival\ndate: 2020-01-02\naliases: [/old/shared.html, /old/rival.html]\n---\nAlso mine?\n",
        None,
    )
    .unwrap();

    let refused = given.store.publish(&rival).await.unwrap_err();

    assert!(
        matches!(&refused, WriteError::RedirectTaken { path, owner: o } if path == "/old/shared.html" && o == &owner.slug),
        "{refused:?}"
    );
    assert_eq!(
        given.store.post(&rival.slug).await.unwrap(),
        None,
        "nothing written"
    );
    assert_eq!(given.store.redirect("/old/rival.html").await.unwrap(), None);

    // The rival without the taken alias is fine; deleting it leaves the owner's address alone.
    let rival = parse_post(
        "---\ntitle: Rival\ndate: 2020-01-02\naliases: [/old/rival.html]\n---\nMine.\n",
        None,
    )
    .unwrap();
    given.store.publish(&rival).await.unwrap();
    given.store.delete(&rival.slug, 1).await.unwrap();
    let kept = given
        .store
        .redirect("/old/shared.html")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.to, owner.slug);
    assert_eq!(given.store.redirect("/old/rival.html").await.unwrap(), None);

    // Renaming the owner takes its address along; deleting it takes it away.
    let renamed = parse_post(
        "---\ntitle: Owner\ndate: 2020-01-01\nslug: owner-renamed\naliases: [/old/shared.html]\n---\nMine.\n",
        None,
    )
    .unwrap();
    given.store.replace(&owner.slug, &renamed, 1).await.unwrap();
    let moved = given
        .store
        .redirect("/old/shared.html")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved.to, slug("owner-renamed"));
    let former = given.store.redirect("/posts/owner").await.unwrap().unwrap();
    assert_eq!(former.to, slug("owner-renamed"));
    given.store.delete(&slug("owner-renamed"), 2).await.unwrap();
    assert_eq!(
        given.store.redirect("/old/shared.html").await.unwrap(),
        None
    );
    assert_eq!(given.store.redirect("/posts/owner").await.unwrap(), None);
}

/// A post that took a slug another post left keeps its page: when it is renamed in turn, the
/// page of its former slug stays with the post that holds it.
async fn a_former_slug_taken_by_another_post_stays_with_it(backend: Backend) {
    let given = TestStore::new(backend).await;
    let a = given
        .publish_source("---\ntitle: A\ndate: 2020-01-01\nslug: a\n---\nA.\n")
        .await;
    let to_b = parse_post("---\ntitle: A\ndate: 2020-01-01\nslug: b\n---\nA.\n", None).unwrap();
    given.store.replace(&a.slug, &to_b, 1).await.unwrap();
    let c = given
        .publish_source("---\ntitle: C\ndate: 2020-01-02\nslug: a\n---\nC.\n")
        .await;
    let to_d = parse_post("---\ntitle: C\ndate: 2020-01-02\nslug: d\n---\nC.\n", None).unwrap();

    given.store.replace(&c.slug, &to_d, 1).await.unwrap();

    let former = given.store.redirect("/posts/a").await.unwrap().unwrap();
    assert_eq!(
        former.to,
        slug("b"),
        "the page of `a` stays with the post that left it first"
    );
    assert!(given.store.post(&slug("d")).await.unwrap().is_some());
}

/// A post's address is its own: an alias naming it in any spelling is refused, naming the
/// owner, and nothing is written; an alias under `/posts/` that names no post stays allowed.
async fn an_alias_cannot_take_another_post_s_address(backend: Backend) {
    let given = TestStore::new(backend).await;
    let victim = given
        .publish_source("---\ntitle: Victim\ndate: 2020-01-01\nslug: victim-post\n---\nMine.\n")
        .await;
    for aliases in [
        "[/posts/victim-post, /posts/victim-post/]",
        "[/posts/victim-post/]",
        "[/posts/victim-post%2f]",
        "[/Posts/Victim-Post]",
        "[/posts/victim-post/index.html]",
        "[/posts//victim-post]",
    ] {
        let attacker = parse_post(
            &format!("---\ntitle: Attacker\ndate: 2020-01-02\naliases: {aliases}\n---\nTheirs.\n"),
            None,
        )
        .unwrap();
        let refused = given.store.publish(&attacker).await.unwrap_err();
        assert!(
            matches!(&refused, WriteError::AddressTaken { owner, .. } if owner == &victim.slug),
            "{aliases}: {refused:?}"
        );
        assert_eq!(
            given.store.post(&attacker.slug).await.unwrap(),
            None,
            "{aliases}"
        );
        assert_eq!(
            given.store.redirect("/posts/victim-post/").await.unwrap(),
            None
        );
    }

    // The page of a slug no post has is an old site's address like any other.
    let imported = given
        .publish_source(
            "---\ntitle: Imported\ndate: 2020-01-03\naliases: [/posts/old-name/, /posts/release-notes]\n---\nOld.\n",
        )
        .await;
    let kept = given
        .store
        .redirect("/posts/old-name/")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.to, imported.slug);

    // A post later given that slug has its page; renamed, its former slug's page is its own,
    // ahead of the alias, and the alias can no longer be written back.
    let release_notes = given
        .publish_source(
            "---\ntitle: Release notes\ndate: 2020-01-04\nslug: release-notes\n---\nNotes.\n",
        )
        .await;
    let renamed = parse_post(
        "---\ntitle: Release notes\ndate: 2020-01-04\nslug: release-notes-2\n---\nNotes.\n",
        None,
    )
    .unwrap();
    given
        .store
        .replace(&release_notes.slug, &renamed, 1)
        .await
        .unwrap();
    let former = given
        .store
        .redirect("/posts/release-notes")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        former.to,
        slug("release-notes-2"),
        "a former slug outranks an alias"
    );
    let edited = parse_post(
        "---\ntitle: Imported\ndate: 2020-01-03\naliases: [/posts/old-name/, /posts/release-notes]\n---\nOld, edited.\n",
        None,
    )
    .unwrap();
    let refused = given
        .store
        .replace(&imported.slug, &edited, 1)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, WriteError::AddressTaken { owner, .. } if owner == &slug("release-notes-2")),
        "{refused:?}"
    );
    // Deleting the victim leaves its address to nobody: then it may be an alias again.
    given.store.delete(&victim.slug, 1).await.unwrap();
    let after = parse_post(
        "---\ntitle: Later\ndate: 2020-01-05\naliases: [/posts/victim-post/]\n---\nNow.\n",
        None,
    )
    .unwrap();
    given.store.publish(&after).await.unwrap();
}

/// A draft's or a scheduled post's redirects say when they may answer: not before the post
/// is public.
async fn redirects_answer_only_while_their_post_is_public(backend: Backend) {
    let given = TestStore::new(backend).await;
    given
        .publish_source("---\ntitle: Draft\ndate: 2020-01-01\ndraft: true\naliases: [/old/draft.html]\n---\nx\n")
        .await;
    given
        .publish_source(
            "---\ntitle: Later\ndate: 2030-06-01T12:00:00Z\naliases: [/old/later.html]\n---\nx\n",
        )
        .await;
    given
        .publish_source("---\ntitle: Now\ndate: 2020-01-01\naliases: [/old/now.html]\n---\nx\n")
        .await;

    let draft = given
        .store
        .redirect("/old/draft.html")
        .await
        .unwrap()
        .unwrap();
    assert!(!draft.is_public_at(datetime!(2999-01-01 0:00 UTC)));
    let later = given
        .store
        .redirect("/old/later.html")
        .await
        .unwrap()
        .unwrap();
    assert!(!later.is_public_at(datetime!(2030-06-01 11:59:59 UTC)));
    assert!(later.is_public_at(datetime!(2030-06-01 12:00:00 UTC)));
    let public = given
        .store
        .redirect("/old/now.html")
        .await
        .unwrap()
        .unwrap();
    assert!(public.is_public_at(now()));
}

/// A post is replaced only by an upload of the same source: another file's is refused, and
/// the post stays as it was.
async fn a_post_from_another_source_is_not_replaced(backend: Backend) {
    let given = TestStore::new(backend).await;
    let source = "---\ntitle: Survey\ndate: 2020-05-01\n---\nThe 2020 survey.\n";
    let first = from_file(source, "_posts/2020-05-01-survey.md");
    given.store.publish(&first).await.unwrap();
    let other = from_file(
        "---\ntitle: Survey\ndate: 2021-05-01\nslug: survey\n---\nThe 2021 survey.\n",
        "_posts/2021-05-01-survey.md",
    );

    let refused = given
        .store
        .replace(&first.slug, &other, 1)
        .await
        .unwrap_err();

    assert!(
        matches!(&refused, WriteError::OtherSource(holder) if holder.identity.source_path.as_deref() == Some("_posts/2020-05-01-survey.md")),
        "{refused:?}"
    );
    let stored = given.store.post(&first.slug).await.unwrap().unwrap();
    assert_eq!(stored.content_hash, first.content_hash);

    // The same file, published alone from its folder: the same post, updated.
    let edited = from_file(
        &source.replace("2020 survey", "2020 survey, edited"),
        "2020-05-01-survey.md",
    );
    given.store.replace(&first.slug, &edited, 1).await.unwrap();
    let stored = given.store.post(&first.slug).await.unwrap().unwrap();
    assert!(stored.body_html.contains("edited"));
    assert_eq!(
        stored.source_path.as_deref(),
        Some("_posts/2020-05-01-survey.md"),
        "the fuller path is kept"
    );
}

/// An export walks every post, drafts and scheduled ones included, page by page.
async fn every_post_can_be_walked_for_an_export(backend: Backend) {
    let given = TestStore::new(backend).await;
    let mut expected = Vec::new();
    for n in 0..30 {
        let draft = if n % 7 == 0 { "draft: true\n" } else { "" };
        let year = if n % 5 == 0 { 2999 } else { 2020 };
        let post = given
            .publish_source(&format!(
                "---\ntitle: Post {n:02}\ndate: {year}-01-01\n{draft}---\nBody {n}.\n"
            ))
            .await;
        expected.push(post.slug.to_string());
    }
    // A rename and a delete: the walk sees the post's new slug, and not the deleted one.
    let renamed = parse_post(
        "---\ntitle: Post 01\ndate: 2020-01-01\nslug: renamed-01\n---\nBody 1.\n",
        None,
    )
    .unwrap();
    given
        .store
        .replace(&slug("post-01"), &renamed, 1)
        .await
        .unwrap();
    given.store.delete(&slug("post-02"), 1).await.unwrap();
    expected.retain(|s| s != "post-01" && s != "post-02");
    expected.push("renamed-01".to_owned());
    expected.sort();

    let mut seen = Vec::new();
    let mut from: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = given.store.posts(from.as_deref()).await.unwrap();
        seen.extend(page.posts.iter().map(|p| p.slug.to_string()));
        pages += 1;
        match page.next {
            Some(next) => from = Some(next),
            None => break,
        }
        assert!(pages < 10, "the walk ends");
    }
    seen.sort();
    assert_eq!(seen, expected);
    assert!(pages >= 2, "30 posts take more than one page");
}

on_every_backend!(
    a_redirect_belongs_to_the_post_that_declared_it,
    a_former_slug_taken_by_another_post_stays_with_it,
    an_alias_cannot_take_another_post_s_address,
    redirects_answer_only_while_their_post_is_public,
    a_post_from_another_source_is_not_replaced,
    every_post_can_be_walked_for_an_export,
    a_published_post_reads_back_whole,
    a_page_reads_the_whole_post_but_its_source,
    an_unknown_slug_is_none,
    publishing_the_same_content_again_changes_nothing,
    other_content_under_a_taken_slug_is_refused_and_nothing_changes,
    listings_are_newest_first_and_per_category,
    pages_follow_each_other_without_gaps_or_repeats,
    a_full_last_page_offers_no_empty_older_page,
    drafts_are_stored_but_listed_nowhere,
    scheduled_posts_appear_at_their_time,
    scheduled_posts_past_the_first_page_s_room_are_hidden_and_tell_when_it_changes,
    posts_of_the_same_moment_keep_a_stable_order,
    categories_count_their_listed_posts_through_every_change,
    categories_show_only_what_readers_can_see_now,
    large_rows_still_page_through_every_post,
);

/// `cargo lambda watch` runs each function as its own process over one embedded file: writers
/// on separate connections must queue for the lock, not fail, and readers see every post.
#[tokio::test]
async fn the_embedded_store_takes_writers_on_several_connections_at_once() {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("shared.sqlite3");
    let first = blog_shared::store::SqliteStore::open(&path).await.unwrap();
    let second = blog_shared::store::SqliteStore::open(&path).await.unwrap();

    let mut writers = Vec::new();
    for (n, store) in [first.clone(), second.clone()].into_iter().enumerate() {
        writers.push(tokio::spawn(async move {
            for i in 0..15 {
                let post = parse_post(
                    &post_source(&format!("Writer {n} post {i}"), "2020-01-01", &["Busy"]),
                    None,
                )
                .unwrap();
                assert!(matches!(
                    store.publish(&post).await.unwrap(),
                    PublishOutcome::Created { .. }
                ));
            }
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }

    let third = blog_shared::store::SqliteStore::open(&path).await.unwrap();
    let page = listing_page(&third, &category("Busy"), &PageRequest::First, 100, now())
        .await
        .unwrap();
    assert_eq!(page.entries.len(), 30);
}
