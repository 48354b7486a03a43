//! `blog publish` and `blog import` as an author runs them, against `blog serve` running as its
//! own process: both binaries, over real HTTP.

use blog_tests::{
    ServeProcess, copy_dir, examples_dir, fixture, get_page, redirect, run_blog, texts,
};

const TOKEN: &str = "publish-token";

#[tokio::test]
async fn an_author_publishes_a_folder_edits_a_post_and_republishes() {
    let dir = tempfile::TempDir::new().unwrap();
    let blog = ServeProcess::start(TOKEN, dir.path()).await;
    let examples = examples_dir().display().to_string();

    let first = run_blog(&[
        "publish",
        &examples,
        "--endpoint",
        &blog.url,
        "--token",
        TOKEN,
    ])
    .await;
    assert!(first.success, "{first:?}");
    assert!(
        first
            .summary()
            .starts_with("12 files: 12 created, 0 updated, 0 unchanged, 0 skipped, 0 failed"),
        "{}",
        first.summary()
    );
    assert!(
        first
            .line_for("inside-a-soundcloud-microservice.md")
            .ends_with(&format!(
                "{}/posts/inside-a-soundcloud-microservice",
                blog.url
            ))
    );
    let (status, listing) = get_page(&format!("{}/category/microservices", blog.url)).await;
    assert_eq!(status, 200);
    assert_eq!(
        texts(&listing, "article h2").len(),
        7,
        "on the category page at once"
    );

    let again = run_blog(&[
        "publish",
        &examples,
        "--endpoint",
        &blog.url,
        "--token",
        TOKEN,
    ])
    .await;
    assert!(again.success, "{again:?}");
    assert!(
        again
            .summary()
            .starts_with("12 files: 0 created, 0 updated, 12 unchanged"),
        "{}",
        again.summary()
    );

    let dir = tempfile::TempDir::new().unwrap();
    let edited = dir.path().join("inside-a-soundcloud-microservice.md");
    let original =
        std::fs::read_to_string(examples_dir().join("inside-a-soundcloud-microservice.md"))
            .unwrap();
    std::fs::write(
        &edited,
        original.replace(
            "title: \"Inside a SoundCloud Microservice\"",
            "title: \"Inside a SoundCloud Microservice, revisited\"",
        ),
    )
    .unwrap();
    let update = run_blog(&[
        "publish",
        &edited.display().to_string(),
        "--endpoint",
        &blog.url,
        "--token",
        TOKEN,
    ])
    .await;
    assert!(update.success, "{update:?}");
    assert!(
        update
            .summary()
            .starts_with("1 file: 0 created, 1 updated, 0 unchanged"),
        "{}",
        update.summary()
    );
    let (_, post) = get_page(&format!(
        "{}/posts/inside-a-soundcloud-microservice",
        blog.url
    ))
    .await;
    assert_eq!(
        texts(&post, "h1"),
        ["Inside a SoundCloud Microservice, revisited"]
    );
    let feed = reqwest::get(format!("{}/category/microservices/feed.xml", blog.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        feed.contains("Inside a SoundCloud Microservice, revisited"),
        "in the feed at once"
    );
}

#[tokio::test]
async fn a_refused_upload_fails_the_run_and_says_why() {
    let dir = tempfile::TempDir::new().unwrap();
    let blog = ServeProcess::start(TOKEN, dir.path()).await;
    let examples = examples_dir().display().to_string();

    let unauthenticated = run_blog(&[
        "publish",
        &examples,
        "--endpoint",
        &blog.url,
        "--token",
        "wrong",
    ])
    .await;
    assert!(!unauthenticated.success);
    assert!(
        unauthenticated
            .summary()
            .starts_with("12 files: 0 created, 0 updated, 0 unchanged, 0 skipped, 12 failed"),
        "{}",
        unauthenticated.summary()
    );
    assert!(
        unauthenticated
            .line_for("microservices-and-the-monolith.md")
            .contains("403"),
        "{}",
        unauthenticated.stdout
    );
    let (status, _) = get_page(&format!(
        "{}/posts/microservices-and-the-monolith",
        blog.url
    ))
    .await;
    assert_eq!(status, 404, "nothing was written");

    let dir = tempfile::TempDir::new().unwrap();
    let bad = dir.path().join("untitled.md");
    std::fs::write(&bad, "---\ndate: 2020-01-01\n---\nNo title.\n").unwrap();
    let good = dir.path().join("fine.md");
    std::fs::write(&good, "---\ntitle: Fine\ndate: 2020-01-01\n---\nFine.\n").unwrap();
    let mixed = run_blog(&[
        "publish",
        &dir.path().display().to_string(),
        "--endpoint",
        &blog.url,
        "--token",
        TOKEN,
    ])
    .await;
    assert!(!mixed.success, "a failure fails the run");
    assert!(
        mixed
            .line_for("untitled.md")
            .contains("`title` is required"),
        "{}",
        mixed.stdout
    );
    assert!(
        mixed.line_for("fine.md").starts_with("created"),
        "{}",
        mixed.stdout
    );

    let nowhere = run_blog(&[
        "publish",
        &examples,
        "--endpoint",
        "http://127.0.0.1:9",
        "--token",
        TOKEN,
    ])
    .await;
    assert!(!nowhere.success);
    assert!(
        nowhere.stdout.contains("cannot reach http://127.0.0.1:9"),
        "{}",
        nowhere.stdout
    );
}

#[tokio::test]
async fn a_jekyll_blog_is_imported_with_its_old_links_and_nothing_dropped() {
    let dir = tempfile::TempDir::new().unwrap();
    let blog = ServeProcess::start(TOKEN, dir.path()).await;
    let site = fixture("import/jekyll").display().to_string();

    let run = run_blog(&[
        "import",
        &site,
        "--endpoint",
        &blog.url,
        "--token",
        TOKEN,
        "--category",
        "Archive",
    ])
    .await;

    assert!(run.stdout.contains("as a jekyll site"), "{}", run.stdout);
    assert!(run.success, "{}", run.stdout);
    assert!(
        run.summary()
            .starts_with("7 files: 5 created, 0 updated, 0 unchanged, 2 skipped (1 a Jekyll draft; 1 a page, not a post), 0 failed"),
        "{}",
        run.stdout
    );
    // A post with no title is titled from its file name, as Jekyll titled it.
    let (status, broken) = get_page(&format!("{}/posts/broken", blog.url)).await;
    assert_eq!(status, 200, "{}", run.stdout);
    assert_eq!(texts(&broken, "h1"), ["Broken"]);
    assert!(run.line_for("_drafts/unfinished.md").starts_with("skipped"));
    assert!(run.line_for("about.md").starts_with("skipped"));

    let (status, post) = get_page(&format!("{}/posts/hello-world", blog.url)).await;
    assert_eq!(status, 200);
    assert_eq!(texts(&post, ".byline"), ["July 27th, 2016"]);
    assert_eq!(
        texts(&post, ".categories a"),
        ["engineering", "backend"],
        "Jekyll's space-separated categories"
    );
    let (_, post) = get_page(&format!("{}/posts/no-category", blog.url)).await;
    assert_eq!(
        texts(&post, ".categories a"),
        ["Archive"],
        "--category for posts with none"
    );
    let (_, post) = get_page(&format!("{}/posts/nested-in-a-folder", blog.url)).await;
    assert_eq!(texts(&post, ".byline"), ["January 5th, 2017 by Jane Doe"]);

    // Edited at its source and imported again: an update, with its date still from its name.
    let copy = tempfile::TempDir::new().unwrap();
    copy_dir(&fixture("import/jekyll"), copy.path());
    let edited = copy.path().join("_posts/2016-07-27-hello-world.md");
    let text = std::fs::read_to_string(&edited).unwrap().replace(
        "Welcome to the **new** blog.",
        "Welcome to the edited blog.",
    );
    std::fs::write(&edited, text).unwrap();
    let again = run_blog(&[
        "import",
        &copy.path().display().to_string(),
        "--endpoint",
        &blog.url,
        "--token",
        TOKEN,
        "--category",
        "Archive",
    ])
    .await;
    assert!(
        again
            .summary()
            .starts_with("7 files: 0 created, 1 updated, 4 unchanged, 2 skipped (1 a Jekyll draft; 1 a page, not a post), 0 failed"),
        "{}",
        again.stdout
    );
    let (_, post) = get_page(&format!("{}/posts/hello-world", blog.url)).await;
    assert!(texts(&post, ".post-body p")[0].starts_with("Welcome to the edited blog."));
    assert_eq!(texts(&post, ".byline"), ["July 27th, 2016"]);

    for (old, new) in [
        (
            "/engineering/backend/2016/07/27/hello-world.html",
            "/posts/hello-world",
        ),
        ("/ops/2018/03/04/quoted-date.html", "/posts/quoted-date"),
        (
            "/blog/2017/nested-in-a-folder/",
            "/posts/nested-in-a-folder",
        ),
    ] {
        assert_eq!(
            redirect(&format!("{}{old}", blog.url)).await,
            (301, format!("{}{new}", blog.url)),
            "{old}"
        );
    }
}

#[tokio::test]
async fn hugo_and_zola_blogs_are_imported_with_their_aliases() {
    let dir = tempfile::TempDir::new().unwrap();
    let blog = ServeProcess::start(TOKEN, dir.path()).await;

    let hugo = run_blog(&[
        "import",
        &fixture("import/hugo").display().to_string(),
        "--endpoint",
        &blog.url,
        "--token",
        TOKEN,
    ])
    .await;
    assert!(hugo.success, "{hugo:?}");
    assert!(hugo.stdout.contains("as a hugo site"), "{}", hugo.stdout);
    assert!(
        hugo.summary()
            .starts_with("5 files: 3 created, 0 updated, 0 unchanged, 2 skipped (2 a section's index page, not a post), 0 failed"),
        "{}",
        hugo.stdout
    );
    let zola = run_blog(&[
        "import",
        &fixture("import/zola").display().to_string(),
        "--endpoint",
        &blog.url,
        "--token",
        TOKEN,
    ])
    .await;
    assert!(zola.success, "{zola:?}");
    assert!(zola.stdout.contains("as a zola site"), "{}", zola.stdout);
    assert!(
        zola.summary()
            .starts_with("4 files: 2 created, 0 updated, 0 unchanged, 2 skipped (2 a section's index page, not a post), 0 failed"),
        "{}",
        zola.stdout
    );

    let (_, go) = get_page(&format!("{}/category/go", blog.url)).await;
    assert_eq!(
        texts(&go, "article h2"),
        ["A page bundle", "First Hugo post"]
    );
    let (_, rust) = get_page(&format!("{}/category/rust", blog.url)).await;
    assert_eq!(
        texts(&rust, "article h2"),
        ["Dated by its file name", "A Zola post"]
    );
    assert_eq!(
        texts(&rust, ".byline"),
        ["August 9th, 2021", "June 7th, 2021"]
    );
    let (_, edited) = get_page(&format!("{}/", blog.url)).await;
    assert!(texts(&edited, ".excerpt").contains(&"A description becomes the excerpt.".to_owned()));
    for (old, new) in [
        ("/old/first-hugo-post/", "/posts/first-hugo-post"),
        ("/2021/06/07/zola-post/", "/posts/zola-post"),
    ] {
        assert_eq!(
            redirect(&format!("{}{old}", blog.url)).await,
            (301, format!("{}{new}", blog.url)),
            "{old}"
        );
    }
}

/// Without a token, `blog publish` signs with the author's AWS credentials for API Gateway's
/// IAM authoriser. A server on loopback captures the request and checks its SigV4 signature by
/// signing the same request again: any header changed after signing would not match.
#[tokio::test]
async fn without_a_token_publish_signs_with_aws_credentials() {
    use std::sync::{Arc, Mutex};

    use axum::extract::State;
    use axum::http::{HeaderMap, Method, Uri};

    type Captured = Arc<Mutex<Vec<(Method, Uri, HeaderMap, Vec<u8>)>>>;
    async fn capture(
        State(seen): State<Captured>,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: axum::body::Bytes,
    ) -> (axum::http::StatusCode, String) {
        seen.lock()
            .unwrap()
            .push((method, uri, headers, body.to_vec()));
        (
            axum::http::StatusCode::CREATED,
            r#"{"slug":"fine","url":"https://blog.example.com/posts/fine","version":1}"#.to_owned(),
        )
    }
    let seen = Captured::default();
    let app = axum::Router::new()
        .route("/posts", axum::routing::post(capture))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let dir = tempfile::TempDir::new().unwrap();
    let file = dir.path().join("fine.md");
    std::fs::write(&file, "---\ntitle: Fine\ndate: 2020-01-01\n---\nFine.\n").unwrap();
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", secret),
        ("AWS_CONFIG_FILE", "/nonexistent"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ];

    let run = blog_tests::run_blog_with_env(
        &[
            "publish",
            &file.display().to_string(),
            "--endpoint",
            &endpoint,
            "--region",
            "eu-west-1",
        ],
        &env,
    )
    .await;
    server.abort();

    assert!(run.success, "{run:?}");
    let (method, uri, headers, body) = seen.lock().unwrap().pop().expect("a request arrived");
    let authorization = headers["authorization"].to_str().unwrap();
    let amz_date = headers["x-amz-date"].to_str().unwrap();
    assert!(
        authorization.starts_with(&format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{}/eu-west-1/execute-api/aws4_request",
            &amz_date[..8]
        )),
        "{authorization}"
    );
    let signed_headers = authorization
        .split("SignedHeaders=")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap();
    assert!(
        signed_headers.split(';').any(|h| h == "host")
            && signed_headers.split(';').any(|h| h == "content-type"),
        "{signed_headers}"
    );
    let signature = authorization.rsplit("Signature=").next().unwrap();

    // Sign what arrived, at the time it says it was signed, with the same key.
    let when = time::PrimitiveDateTime::parse(
        amz_date,
        time::macros::format_description!("[year][month][day]T[hour][minute][second]Z"),
    )
    .unwrap()
    .assume_utc();
    let identity =
        aws_credential_types::Credentials::new("AKIDEXAMPLE", secret, None, None, "test").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("eu-west-1")
        .name("execute-api")
        .time(when.into())
        .settings(aws_sigv4::http_request::SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let names: Vec<&str> = signed_headers
        .split(';')
        .filter(|h| *h != "x-amz-date")
        .collect();
    let arrived: Vec<(&str, &str)> = names
        .iter()
        .map(|n| (*n, headers[*n].to_str().unwrap()))
        .collect();
    let url = format!("http://{}{}", headers["host"].to_str().unwrap(), uri.path());
    let signable = aws_sigv4::http_request::SignableRequest::new(
        method.as_str(),
        url,
        arrived.into_iter(),
        aws_sigv4::http_request::SignableBody::Bytes(&body),
    )
    .unwrap();
    let (_, expected) = aws_sigv4::http_request::sign(signable, &params)
        .unwrap()
        .into_parts();
    assert_eq!(
        signature, expected,
        "the signature covers the request as sent"
    );
}

/// `alice/hello-world.md` and `bob/hello-world.md`, each published from its own folder, name
/// the same file: Bob's, with another title, date and author, does not silently replace
/// Alice's post. `--replace` says it is meant; an edit (a new title alone) goes through.
#[tokio::test]
async fn another_folders_file_of_the_same_name_does_not_replace_a_post() {
    let dir = tempfile::TempDir::new().unwrap();
    let blog = ServeProcess::start(TOKEN, dir.path()).await;
    let authors = tempfile::TempDir::new().unwrap();
    let write = |path: &str, text: &str| {
        let path = authors.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path.parent().unwrap().display().to_string()
    };
    let alice = write(
        "alice/hello-world.md",
        "---\ntitle: Hello from Alice\ndate: 2020-01-01\nauthor: Alice Smith\n---\nAlice here.\n",
    );
    let bob = write(
        "bob/hello-world.md",
        "---\ntitle: Bob says hi\ndate: 2021-02-02\nauthor: Bob Jones\n---\nBob here.\n",
    );
    let publish = |folder: String, more: &'static [&'static str]| {
        let url = blog.url.clone();
        async move {
            let mut args = vec!["publish", &folder, "--endpoint", &url, "--token", TOKEN];
            args.extend_from_slice(more);
            run_blog(&args).await
        }
    };
    let post = format!("{}/posts/hello-world", blog.url);

    assert!(publish(alice.clone(), &[]).await.success);
    let run = publish(bob.clone(), &[]).await;
    assert!(!run.success, "{run:?}");
    assert!(
        run.stdout.contains(
            "hello-world.md would replace the post `hello-world`, \"Hello from Alice\" (2020-01-01, by Alice Smith), published from `hello-world.md`"
        ) && run.stdout.contains("--replace"),
        "{}",
        run.stdout
    );
    assert_eq!(texts(&get_page(&post).await.1, "h1"), ["Hello from Alice"]);

    // Alice edits her title: the same post, updated.
    write(
        "alice/hello-world.md",
        "---\ntitle: Hello again from Alice\ndate: 2020-01-01\nauthor: Alice Smith\n---\nAlice here.\n",
    );
    let run = publish(alice, &[]).await;
    assert!(run.summary().contains(" 1 updated,"), "{}", run.stdout);

    let run = publish(bob, &["--replace"]).await;
    assert!(run.success, "{run:?}");
    assert!(run.summary().contains(" 1 updated,"), "{}", run.stdout);
    assert_eq!(texts(&get_page(&post).await.1, "h1"), ["Bob says hi"]);

    // Posts that name no author: another title and another date are another post.
    let carol = write(
        "carol/notes.md",
        "---\ntitle: Carol's notes\ndate: 2020-03-03\n---\nCarol here.\n",
    );
    let dave = write(
        "dave/notes.md",
        "---\ntitle: Dave's notes\ndate: 2022-04-04\n---\nDave here.\n",
    );
    assert!(publish(carol, &[]).await.success);
    let run = publish(dave, &[]).await;
    assert!(!run.success, "{run:?}");
    assert!(
        run.stdout.contains("would replace the post `notes`"),
        "{}",
        run.stdout
    );
    let notes = format!("{}/posts/notes", blog.url);
    assert_eq!(texts(&get_page(&notes).await.1, "h1"), ["Carol's notes"]);
}

/// `blog publish` reads every extension `blog import` reads, and refuses a post naming a file
/// the folder does not hold unless `--allow-missing`, which publishes it as written.
#[tokio::test]
async fn publish_reads_every_markdown_extension_and_missing_files_need_allow_missing() {
    let dir = tempfile::TempDir::new().unwrap();
    let blog = ServeProcess::start(TOKEN, dir.path()).await;
    let folder = tempfile::TempDir::new().unwrap();
    for (name, title) in [("a.md", "A"), ("b.markdown", "B"), ("c.mdown", "C")] {
        std::fs::write(
            folder.path().join(name),
            format!("---\ntitle: {title}\ndate: 2020-01-01\n---\nText.\n"),
        )
        .unwrap();
    }
    std::fs::write(
        folder.path().join("d.md"),
        "---\ntitle: D\ndate: 2020-01-01\n---\n![Gone](gone.png)\n",
    )
    .unwrap();
    let path = folder.path().display().to_string();
    let args = ["publish", &path, "--endpoint", &blog.url, "--token", TOKEN];

    let run = run_blog(&args).await;
    assert!(!run.success, "{run:?}");
    assert!(
        run.summary().starts_with("4 files: 3 created,") && run.summary().contains(", 1 failed"),
        "{}",
        run.stdout
    );
    assert!(
        run.line_for("d.md").contains(
            "d.md references `gone.png`, which is not a file (looked in gone.png) (`blog publish --allow-missing` publishes it"
        ),
        "{}",
        run.stdout
    );
    assert_eq!(get_page(&format!("{}/posts/d", blog.url)).await.0, 404);
    assert_eq!(
        texts(&get_page(&format!("{}/posts/c", blog.url)).await.1, "h1"),
        ["C"]
    );

    let run = run_blog(&[&args[..], &["--allow-missing"]].concat()).await;
    assert!(run.success, "{run:?}");
    assert!(
        run.stdout
            .contains("missing `gone.png` (looked in gone.png): left as written")
            && run
                .summary()
                .ends_with("; 1 missing file in 1 post (listed above)"),
        "{}",
        run.stdout
    );
    let (status, page) = get_page(&format!("{}/posts/d", blog.url)).await;
    assert_eq!(status, 200);
    assert_eq!(texts(&page, "h1"), ["D"]);
}
