//! Posts' files, end to end, on both backends (the embedded database; S3 and DynamoDB on the
//! loopback server): the blob stores' conformance, upload slots that take exactly the bytes
//! they name, `blog publish` of a post with a photo, a diagram, an SVG and a PDF, and what a
//! reader's browser gets for each; what is refused, and that nothing is written then.

use std::collections::BTreeSet;
use std::sync::Arc;

use blog_shared::model::MediaFile;
use blog_shared::paths;
use blog_shared::store::blobs::{
    self, NotStored, dimensions, ensure_checked, ensure_stored, sha256_hex, sniff,
};
use blog_tests::media_sites::{
    FixtureFile, GPS_MARKER, dimension_bomb_png, html_renamed, hugo_site, jekyll_site,
    jpeg_with_exif, png, svg_with_script, zola_site,
};
use blog_tests::{
    Backend, CliRun, TestBlobs, TestSite, TestStore, attrs, on_every_backend, run_blog,
};

const TOKEN: &str = "media-token";

fn describe(name: &str, bytes: &[u8]) -> MediaFile {
    let media_type = sniff(bytes).expect("a type the blog serves");
    let size = dimensions(name, media_type, bytes).unwrap();
    MediaFile {
        sha256: sha256_hex(bytes),
        name: name.to_owned(),
        media_type: media_type.to_owned(),
        size: bytes.len() as u64,
        width: size.map(|s| s.0),
        height: size.map(|s| s.1),
    }
}

/// An author's JSON request to `path` (`POST /media`, `POST /posts`) with the token.
async fn post_json(site: &TestSite, path: &str, body: &serde_json::Value) -> reqwest::Response {
    site.http
        .post(site.url(path))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

/// Sends `bytes` to `slot` as a client would, with the slot's headers.
async fn put_to_slot(slot: &blobs::Slot, bytes: Vec<u8>) -> reqwest::Response {
    let client = reqwest::Client::new();
    let mut request = client.request(
        reqwest::Method::from_bytes(slot.method.as_bytes()).unwrap(),
        &slot.url,
    );
    for (name, value) in &slot.headers {
        request = request.header(name, value);
    }
    request.body(bytes).send().await.expect("the slot answers")
}

async fn a_stored_file_reads_back_whole_and_is_gone_once_deleted(backend: Backend) {
    let store = TestBlobs::new(backend, TOKEN).await;
    let bytes = png(64, 32);
    let file = describe("dot.png", &bytes);
    assert_eq!(
        store.blobs.head(&paths::media_key(&file)).await.unwrap(),
        None
    );
    store
        .blobs
        .put(
            &paths::media_key(&file),
            bytes.clone().into(),
            &file.media_type,
        )
        .await
        .unwrap();
    let meta = store
        .blobs
        .head(&paths::media_key(&file))
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(meta.size, bytes.len() as u64);
    assert_eq!(meta.media_type.as_deref(), Some("image/png"));
    assert_eq!(
        meta.verified, None,
        "nothing is trusted before it is checked"
    );
    let blob = store
        .blobs
        .get(&paths::media_key(&file))
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(&blob.bytes[..], &bytes[..]);
    store.blobs.delete(&paths::media_key(&file)).await.unwrap();
    assert_eq!(
        store.blobs.head(&paths::media_key(&file)).await.unwrap(),
        None
    );
    assert!(
        store
            .blobs
            .get(&paths::media_key(&file))
            .await
            .unwrap()
            .is_none()
    );
}

/// A large file read in parts gives back its bytes, part by part, to the end and no further.
async fn a_file_reads_back_in_parts(backend: Backend) {
    let store = TestBlobs::new(backend, TOKEN).await;
    let bytes: Vec<u8> = (0..300_001u32).map(|i| (i % 253) as u8).collect();
    let key = "media/parts/recording.bin";
    assert_eq!(store.blobs.read_part(key, 0, 10).await.unwrap(), None);
    store
        .blobs
        .put(key, bytes.clone().into(), "application/octet-stream")
        .await
        .unwrap();
    let mut read = Vec::new();
    let mut offset = 0u64;
    loop {
        let part = store
            .blobs
            .read_part(key, offset, 65_536)
            .await
            .unwrap()
            .expect("stored");
        if part.is_empty() {
            break;
        }
        assert!(part.len() <= 65_536);
        offset += part.len() as u64;
        read.extend_from_slice(&part);
    }
    assert_eq!(read.len(), bytes.len());
    assert!(read == bytes, "the same bytes, in order");
    let middle = store.blobs.read_part(key, 1_000, 7).await.unwrap().unwrap();
    assert_eq!(&middle[..], &bytes[1_000..1_007]);
    let past = store
        .blobs
        .read_part(key, 400_000, 10)
        .await
        .unwrap()
        .unwrap();
    assert!(past.is_empty());
}

async fn a_file_is_read_once_then_trusted_by_its_record(backend: Backend) {
    let store = TestBlobs::new(backend, TOKEN).await;
    let records = TestStore::new(backend).await;
    let bytes = png(40, 20);
    let file = describe("chart.png", &bytes);
    let missing = ensure_stored(&store.blobs, &records.store, std::slice::from_ref(&file)).await;
    assert!(
        matches!(&missing, Err(NotStored::Missing(files)) if files == std::slice::from_ref(&file)),
        "{missing:?}"
    );
    let unchecked = ensure_checked(records.store.as_ref(), std::slice::from_ref(&file)).await;
    assert!(
        matches!(&unchecked, Err(NotStored::Missing(files)) if files == std::slice::from_ref(&file)),
        "{unchecked:?}"
    );
    store
        .blobs
        .put(
            &paths::media_staging_key(&file),
            bytes.into(),
            &file.media_type,
        )
        .await
        .unwrap();
    assert!(
        store
            .blobs
            .head(&paths::media_key(&file))
            .await
            .unwrap()
            .is_none(),
        "an upload is not where readers fetch files"
    );
    let unchecked = ensure_checked(records.store.as_ref(), std::slice::from_ref(&file)).await;
    assert!(
        matches!(&unchecked, Err(NotStored::Missing(_))),
        "an upload the server has not read is not usable: {unchecked:?}"
    );
    ensure_stored(&store.blobs, &records.store, std::slice::from_ref(&file))
        .await
        .expect("the bytes hash to the name");
    let meta = store
        .blobs
        .head(&paths::media_key(&file))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(meta.verified, Some(blobs::mark(&file)));
    assert_eq!(meta.media_type.as_deref(), Some("image/png"));
    assert_eq!(meta.size, file.size);
    assert!(
        store
            .blobs
            .head(&paths::media_staging_key(&file))
            .await
            .unwrap()
            .is_none()
    );
    // Recorded in the table, where the ingest function looks (it never reads the files).
    assert_eq!(
        records
            .store
            .checked_files(&[paths::media_key(&file)])
            .await
            .unwrap(),
        std::collections::HashMap::from([(paths::media_key(&file), blobs::mark(&file))])
    );
    ensure_checked(records.store.as_ref(), std::slice::from_ref(&file))
        .await
        .expect("checked and recorded");
    // Checked once: the same file again costs one read of the records; a post describing it
    // otherwise is refused, and the checked bytes stay.
    ensure_stored(&store.blobs, &records.store, std::slice::from_ref(&file))
        .await
        .unwrap();
    let mut other = file.clone();
    other.width = Some(400);
    let refused = ensure_stored(&store.blobs, &records.store, std::slice::from_ref(&other)).await;
    assert!(matches!(refused, Err(NotStored::Refused(_))), "{refused:?}");
    let refused = ensure_checked(records.store.as_ref(), std::slice::from_ref(&other)).await;
    assert!(matches!(refused, Err(NotStored::Refused(_))), "{refused:?}");
    assert!(
        store
            .blobs
            .head(&paths::media_key(&file))
            .await
            .unwrap()
            .is_some()
    );
}

async fn a_file_checked_before_records_were_kept_is_recorded_when_asked_about(backend: Backend) {
    // A blog whose files were checked and marked in the bucket before the table recorded them:
    // the next `POST /media` for such a file finds its mark and records it, reading no bytes.
    let store = TestBlobs::new(backend, TOKEN).await;
    let records = TestStore::new(backend).await;
    let bytes = png(24, 12);
    let file = describe("legacy.png", &bytes);
    store
        .blobs
        .put(
            &paths::media_staging_key(&file),
            bytes.into(),
            &file.media_type,
        )
        .await
        .unwrap();
    store
        .blobs
        .copy(
            &paths::media_staging_key(&file),
            &paths::media_key(&file),
            &file.media_type,
            &blobs::mark(&file),
        )
        .await
        .unwrap();
    store
        .blobs
        .delete(&paths::media_staging_key(&file))
        .await
        .unwrap();
    assert!(
        records
            .store
            .checked_files(&[paths::media_key(&file)])
            .await
            .unwrap()
            .is_empty()
    );
    ensure_stored(&store.blobs, &records.store, std::slice::from_ref(&file))
        .await
        .expect("marked as checked");
    ensure_checked(records.store.as_ref(), std::slice::from_ref(&file))
        .await
        .expect("recorded");
}

async fn a_slot_takes_only_the_bytes_it_names(backend: Backend) {
    let site_store = TestStore::new(backend).await;
    let store = TestBlobs::new(backend, TOKEN).await;
    let site = TestSite::start_with_media(
        Arc::clone(&site_store.store),
        Arc::clone(&store.blobs),
        TOKEN,
    )
    .await;
    let bytes = png(80, 40);
    let file = describe("diagram.png", &bytes);
    let slot = store.blobs.slot(&file, &site.base_url).await.unwrap();
    assert_eq!(slot.method, "PUT");
    if backend == Backend::Dynamo {
        // S3 enforces what a presigned URL signs; the S3-compatible server does not, so the
        // test asserts what is signed: the length, the checksum and the type.
        let url = reqwest::Url::parse(&slot.url).unwrap();
        let signed = url
            .query_pairs()
            .find(|(k, _)| k == "X-Amz-SignedHeaders")
            .map(|(_, v)| v.into_owned())
            .expect("a presigned URL");
        let signed: BTreeSet<&str> = signed.split(';').collect();
        for header in [
            "content-length",
            "x-amz-checksum-sha256",
            "content-type",
            "host",
        ] {
            assert!(
                signed.contains(header),
                "{header} is not signed: {signed:?}"
            );
        }
        assert_eq!(
            slot.headers
                .get("x-amz-checksum-sha256")
                .map(String::as_str),
            Some(blobs::checksum_sha256(&file.sha256).unwrap().as_str())
        );
    }
    // Other bytes of the same length and type.
    let mut other = bytes.clone();
    let last = other.len() - 20;
    other[last] ^= 0xff;
    let response = put_to_slot(&slot, other).await;
    match backend {
        Backend::Sqlite => {
            assert_eq!(
                response.status(),
                400,
                "the embedded store checks the checksum"
            );
            assert!(
                store
                    .blobs
                    .head(&paths::media_staging_key(&file))
                    .await
                    .unwrap()
                    .is_none()
            );
        }
        Backend::Dynamo => {
            // Stored by the server S3 stands in for; asked about it, the blog reads it, refuses
            // it naming the file, and removes the wrong bytes; a post using it is refused.
            assert!(response.status().is_success(), "{}", response.status());
            let asked = serde_json::json!({ "files": [file] });
            let refused = post_json(&site, "/media", &asked).await;
            assert_eq!(refused.status(), 422);
            let problem: serde_json::Value = refused.json().await.unwrap();
            let detail = problem["detail"].as_str().unwrap();
            assert!(
                detail.contains("diagram.png") && detail.contains("hash"),
                "{problem}"
            );
            let body = serde_json::json!({
                "markdown": "---\ntitle: Wrong bytes\ndate: 2020-01-01\n---\n![d](diagram.png)\n",
                "media": [{ "reference": "diagram.png", "site_path": "diagram.png", "file": file }],
            });
            let refused = post_json(&site, "/posts", &body).await;
            assert_eq!(refused.status(), 409, "the file was never accepted");
            assert_eq!(site.get("/posts/wrong-bytes").await.status(), 404);
            assert!(
                store
                    .blobs
                    .head(&paths::media_staging_key(&file))
                    .await
                    .unwrap()
                    .is_none(),
                "wrong bytes are removed"
            );
        }
    }
    let response = put_to_slot(&slot, bytes.clone()).await;
    assert!(response.status().is_success(), "{}", response.status());
    let stored = store
        .blobs
        .get(&paths::media_staging_key(&file))
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(&stored.bytes[..], &bytes[..]);
    assert!(
        store
            .blobs
            .head(&paths::media_key(&file))
            .await
            .unwrap()
            .is_none(),
        "nothing is where readers fetch files before the server checks it"
    );
    if backend == Backend::Sqlite {
        // A slot is good for its own file only: another name, or an unsigned URL, is refused.
        let forged = slot.url.replace("diagram.png", "other.png");
        let response = reqwest::Client::new()
            .put(forged)
            .header("content-type", "image/png")
            .body(bytes.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
        let unsigned = slot.url.split('?').next().unwrap().to_owned();
        let response = reqwest::Client::new()
            .put(unsigned)
            .header("content-type", "image/png")
            .body(bytes)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
    }
}

/// A blog on `backend`, files included, served over HTTP.
struct Blog {
    site: TestSite,
    store: TestStore,
    blobs: TestBlobs,
}

impl Blog {
    async fn start(backend: Backend) -> Self {
        let store = TestStore::new(backend).await;
        let blobs = TestBlobs::new(backend, TOKEN).await;
        let site =
            TestSite::start_with_media(Arc::clone(&store.store), Arc::clone(&blobs.blobs), TOKEN)
                .await;
        Self { site, store, blobs }
    }

    async fn publish(&self, dir: &std::path::Path) -> CliRun {
        let dir = dir.display().to_string();
        run_blog(&[
            "publish",
            &dir,
            "--endpoint",
            &self.site.base_url,
            "--token",
            TOKEN,
        ])
        .await
    }
}

/// Every URL of a stored file on a page: images' `src` and `srcset`, `<source srcset>`,
/// and links.
fn media_urls(page: &scraper::Html) -> BTreeSet<String> {
    let mut urls = BTreeSet::new();
    for (selector, attr) in [
        ("img", "src"),
        ("img", "srcset"),
        ("source", "srcset"),
        ("a", "href"),
    ] {
        for value in attrs(page, selector, attr) {
            for candidate in value.split(',') {
                if let Some(url) = candidate.split_whitespace().next()
                    && url.starts_with("/media/")
                {
                    // A link may carry a query or a fragment (`talk.pdf#page=3`).
                    let file = url.split(['?', '#']).next().unwrap_or(url);
                    urls.insert(file.to_owned());
                }
            }
        }
    }
    urls
}

/// A folder holding a post (a page bundle) with a wide PNG (its name with a space and
/// capitals), a JPEG from a camera (EXIF with a location), an SVG carrying script, a PDF in the
/// site's `static/` folder, and a link to another page.
fn write_photo_post(root: &std::path::Path) {
    let post = root.join("scaling-the-queue");
    std::fs::create_dir_all(post.join("img")).unwrap();
    std::fs::create_dir_all(root.join("static/files")).unwrap();
    std::fs::write(post.join("img/Queue Latency.png"), png(1200, 600)).unwrap();
    std::fs::write(post.join("photo.jpg"), jpeg_with_exif(1000, 750)).unwrap();
    std::fs::write(post.join("flow.svg"), svg_with_script()).unwrap();
    std::fs::write(
        root.join("static/files/talk.pdf"),
        b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
    )
    .unwrap();
    std::fs::write(
        post.join("index.md"),
        "---\ntitle: Scaling the queue\ndate: 2019-03-04\ncategories: [Backend]\n---\n\
         ![Latency before and after](<img/Queue Latency.png>)\n\n\
         The team, on the roof:\n\n<img src=\"photo.jpg\" alt=\"The team\">\n\n\
         ![How a message flows](flow.svg)\n\n\
         The [slides](/files/talk.pdf) and [another post](../other-post/).\n",
    )
    .unwrap();
}

async fn a_post_with_a_photo_a_diagram_and_a_pdf_shows_them_all(backend: Backend) {
    let blog = Blog::start(backend).await;
    let dir = tempfile::TempDir::new().unwrap();
    write_photo_post(dir.path());
    let run = blog.publish(dir.path()).await;
    assert!(run.success, "{run:?}");
    assert!(run.stdout.contains("files: "), "{}", run.stdout);

    let page = blog.site.page("/posts/scaling-the-queue").await;
    let images = page
        .select(&scraper::Selector::parse("article img").unwrap())
        .collect::<Vec<_>>();
    assert_eq!(images.len(), 3, "{}", page.html());
    for (n, image) in images.iter().enumerate() {
        let attr = |name| image.value().attr(name).unwrap_or_default().to_owned();
        assert!(attr("src").starts_with("/media/"), "{}", image.html());
        assert!(
            !attr("width").is_empty() && !attr("height").is_empty(),
            "{}",
            image.html()
        );
        // The first, what the reader sees first, at once; the others as they are scrolled to.
        let (loading, priority) = if n == 0 {
            ("eager", "high")
        } else {
            ("lazy", "")
        };
        assert_eq!(attr("loading"), loading, "{}", image.html());
        assert_eq!(attr("fetchpriority"), priority, "{}", image.html());
        assert_eq!(attr("decoding"), "async");
        assert!(!attr("alt").is_empty(), "{}", image.html());
    }
    let png_image = images
        .iter()
        .find(|i| i.value().attr("alt") == Some("Latency before and after"))
        .expect("the diagram");
    assert_eq!(png_image.value().attr("width"), Some("1200"));
    assert_eq!(png_image.value().attr("height"), Some("600"));
    let srcset = png_image.value().attr("srcset").expect("variants");
    assert!(
        srcset.contains(" 480w") && srcset.contains(" 960w") && srcset.contains(" 1200w"),
        "{srcset}"
    );
    assert!(!srcset.contains("1600w"), "never upscaled: {srcset}");
    assert!(png_image.value().attr("sizes").is_some());
    let links = attrs(&page, "article a", "href");
    assert!(
        links
            .iter()
            .any(|l| l.starts_with("/media/") && l.ends_with("/talk.pdf")),
        "{links:?}"
    );
    assert!(
        links
            .iter()
            .any(|l| l.ends_with("other-post/") && !l.starts_with("/media/")),
        "a link to a page stays one: {links:?}"
    );

    let urls = media_urls(&page);
    assert!(urls.len() >= 6, "{urls:?}");
    // Every file the page names is recorded in the table as checked, where the ingest function
    // found it before writing the post.
    let keys: Vec<String> = urls
        .iter()
        .map(|url| url.trim_start_matches('/').to_owned())
        .collect();
    let recorded = blog.store.store.checked_files(&keys).await.unwrap();
    let unrecorded: Vec<&String> = keys.iter().filter(|k| !recorded.contains_key(*k)).collect();
    assert!(
        unrecorded.is_empty(),
        "not recorded as checked: {unrecorded:?}"
    );
    let http = reqwest::Client::new();
    for url in &urls {
        let response = http.get(blog.site.url(url)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        let headers = response.headers().clone();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(
            header("cache-control"),
            "public, max-age=31536000, immutable",
            "{url}"
        );
        assert_eq!(header("x-content-type-options"), "nosniff", "{url}");
        let etag = header("etag");
        assert!(
            etag.contains(url.split('/').nth(2).unwrap()),
            "{url}: {etag}"
        );
        let bytes = response.bytes().await.unwrap();
        assert_eq!(
            sniff(&bytes).unwrap(),
            header("content-type"),
            "{url} is served as what its bytes are"
        );
        assert_eq!(sha256_hex(&bytes), url.split('/').nth(2).unwrap(), "{url}");
        let again = http
            .get(blog.site.url(url))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{url}");
        if header("content-type") == "image/jpeg" {
            let jpeg = img_parts::jpeg::Jpeg::from_bytes(bytes.clone()).unwrap();
            assert!(
                img_parts::ImageEXIF::exif(&jpeg).is_none(),
                "{url} carries the camera's EXIF"
            );
        }
        if header("content-type") == "image/svg+xml" {
            assert!(
                header("content-security-policy").contains("sandbox"),
                "{url}"
            );
            assert!(
                header("content-security-policy").contains("default-src 'none'"),
                "{url}"
            );
        } else {
            // A PDF under `sandbox` would not open in the browser's viewer.
            assert_eq!(header("content-security-policy"), "", "{url}");
        }
    }

    // The feed carries the files at absolute URLs.
    let feed = blog.site.get("/feed.xml").await.text().await.unwrap();
    assert!(
        feed.contains(&format!("{}/media/", blog.site.base_url)),
        "{feed}"
    );
    let relative_srcset =
        feed.contains("srcset=\"/media/") || feed.contains("srcset=&quot;/media/");
    assert!(!relative_srcset, "a feed's srcset is absolute too");

    // Publishing again uploads nothing and changes nothing.
    let again = blog.publish(dir.path()).await;
    assert!(again.success, "{again:?}");
    assert!(
        again.stdout.contains("files: 0 uploaded (0 bytes)"),
        "{}",
        again.stdout
    );
    assert!(
        again.summary().contains("1 unchanged"),
        "{}",
        again.summary()
    );
    let _ = &blog.blobs;
}

async fn files_that_are_not_what_they_say_are_refused_and_nothing_is_written(backend: Backend) {
    let blog = Blog::start(backend).await;
    for (case, file, bytes, says) in [
        ("html", "diagram.png", html_renamed(), "text/html"),
        ("bomb", "huge.png", dimension_bomb_png(), "over the limit"),
    ] {
        let dir = tempfile::TempDir::new().unwrap();
        std::fs::write(dir.path().join(file), bytes).unwrap();
        std::fs::write(
            dir.path().join(format!("{case}.md")),
            format!("---\ntitle: Case {case}\ndate: 2020-01-01\n---\n![x]({file})\n"),
        )
        .unwrap();
        let run = blog.publish(dir.path()).await;
        assert!(!run.success, "{run:?}");
        let line = run.line_for(&format!("{case}.md"));
        assert!(
            line.contains("FAILED") && line.contains(file) && line.contains(says),
            "{line}"
        );
        assert_eq!(
            blog.site.get(&format!("/posts/case-{case}")).await.status(),
            404
        );
    }
    // A missing file fails its post, naming it; the post's other files are not uploaded.
    let dir = tempfile::TempDir::new().unwrap();
    std::fs::write(dir.path().join("there.png"), png(10, 10)).unwrap();
    std::fs::write(
        dir.path().join("missing.md"),
        "---\ntitle: Missing\ndate: 2020-01-01\n---\n![a](there.png) ![b](images/gone.png)\n",
    )
    .unwrap();
    let run = blog.publish(dir.path()).await;
    assert!(!run.success);
    assert!(
        run.line_for("missing.md").contains("images/gone.png"),
        "{run:?}"
    );
    assert_eq!(blog.site.get("/posts/missing").await.status(), 404);
    let there = describe("there.png", &png(10, 10));
    assert!(
        blog.blobs
            .blobs
            .head(&paths::media_key(&there))
            .await
            .unwrap()
            .is_none()
    );
}

async fn a_post_naming_files_never_uploaded_is_refused_with_them(backend: Backend) {
    let blog = Blog::start(backend).await;
    let bytes = png(30, 30);
    let file = describe("never.png", &bytes);
    let body = serde_json::json!({
        "markdown": "---\ntitle: Ghost files\ndate: 2020-01-01\n---\n![g](never.png)\n",
        "media": [{ "reference": "never.png", "site_path": "never.png", "file": file }],
    });
    let response = post_json(&blog.site, "/posts", &body).await;
    assert_eq!(response.status(), 409);
    let problem: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        problem["missing"],
        serde_json::json!([paths::media_file(&file)]),
        "{problem}"
    );
    assert_eq!(blog.site.get("/posts/ghost-files").await.status(), 404);
    // Slots are for authors only.
    let anonymous = blog
        .site
        .http
        .post(blog.site.url("/media"))
        .header("content-type", "application/json")
        .body(serde_json::json!({ "files": [file] }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

on_every_backend!(
    a_stored_file_reads_back_whole_and_is_gone_once_deleted,
    a_file_reads_back_in_parts,
    a_file_is_read_once_then_trusted_by_its_record,
    a_file_checked_before_records_were_kept_is_recorded_when_asked_about,
    a_slot_takes_only_the_bytes_it_names,
    a_post_with_a_photo_a_diagram_and_a_pdf_shows_them_all,
    files_that_are_not_what_they_say_are_refused_and_nothing_is_written,
    a_post_naming_files_never_uploaded_is_refused_with_them,
    an_export_carries_the_files_and_publishes_back_the_same_pages,
    a_jekyll_site_arrives_with_its_files,
    a_hugo_site_arrives_with_its_files,
    a_zola_site_arrives_with_its_files,
);

async fn an_export_carries_the_files_and_publishes_back_the_same_pages(backend: Backend) {
    let blog = Blog::start(backend).await;
    let dir = tempfile::TempDir::new().unwrap();
    write_photo_post(dir.path());
    assert!(blog.publish(dir.path()).await.success);
    let out = tempfile::TempDir::new().unwrap();
    let target = out.path().display().to_string();
    let export = run_blog(&[
        "export",
        &target,
        "--endpoint",
        &blog.site.base_url,
        "--token",
        TOKEN,
    ])
    .await;
    assert!(export.success, "{export:?}");
    // Every file is back where it was found, as it was published (metadata stripped).
    for found in [
        "scaling-the-queue/img/Queue Latency.png",
        "scaling-the-queue/photo.jpg",
        "scaling-the-queue/flow.svg",
        "static/files/talk.pdf",
    ] {
        let exported = std::fs::read(out.path().join(found))
            .unwrap_or_else(|e| panic!("{found} is not exported: {e}\n{}", export.stdout));
        let stored = blog
            .site
            .get(&format!(
                "/media/{}/{}",
                sha256_hex(&exported),
                blog_shared::model::media::media_name(found, sniff(&exported).unwrap())
            ))
            .await;
        assert_eq!(
            stored.status(),
            200,
            "{found}: the exported bytes are the stored file's"
        );
    }
    // Published into an empty blog, the export gives the same page with the same files.
    let second = Blog::start(backend).await;
    let run = second.publish(out.path()).await;
    assert!(run.success, "{run:?}");
    assert!(run.stdout.contains("files: "), "{}", run.stdout);
    let before = media_urls(&blog.site.page("/posts/scaling-the-queue").await);
    let after = media_urls(&second.site.page("/posts/scaling-the-queue").await);
    assert_eq!(before, after);
}

/// Imports an old site with files (`write` lays it out) into a fresh blog on `backend`, then
/// checks every file of every post: the page shows it at its stored URL, which answers 200 with
/// the type its bytes are; a second import uploads nothing.
async fn import_site(backend: Backend, write: fn(&std::path::Path) -> Vec<FixtureFile>) {
    let blog = Blog::start(backend).await;
    let dir = tempfile::TempDir::new().unwrap();
    let expected = write(dir.path());
    assert!(!expected.is_empty());
    let site = dir.path().display().to_string();
    let args = [
        "import",
        &site,
        "--endpoint",
        &blog.site.base_url,
        "--token",
        TOKEN,
    ];
    let run = run_blog(&args).await;
    assert!(run.success, "{run:?}");
    let http = reqwest::Client::new();
    for file in &expected {
        let line = run.line_for(&file.markdown);
        assert!(line.starts_with("created"), "{file:?}: {line}");
        let url = line.split(" → ").nth(1).expect("the post's URL").trim();
        let page = blog
            .site
            .page(url.trim_start_matches(&blog.site.base_url))
            .await;
        let name = blog_shared::model::media::media_name(&file.file, file.media_type);
        let urls = media_urls(&page);
        let stored = urls
            .iter()
            .find(|u| u.ends_with(&format!("/{name}")))
            .unwrap_or_else(|| panic!("{file:?}: no /media/…/{name} on {url}: {urls:?}"));
        let response = http.get(blog.site.url(stored)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{file:?}");
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            file.media_type,
            "{file:?}"
        );
        let bytes = response.bytes().await.unwrap();
        assert_eq!(sniff(&bytes).unwrap(), file.media_type, "{file:?}");
        assert!(
            !bytes.windows(GPS_MARKER.len()).any(|w| w == GPS_MARKER),
            "{file:?}: the camera's location is published"
        );
        // Every image on the page has its size (no layout shift) and every stored URL answers.
        for image in page.select(&scraper::Selector::parse("article img").unwrap()) {
            assert!(
                image.value().attr("width").is_some() && image.value().attr("height").is_some(),
                "{url}: {}",
                image.html()
            );
        }
        for other in &urls {
            let status = http
                .head(blog.site.url(other))
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(status, 200, "{url}: {other}");
        }
    }
    let again = run_blog(&args).await;
    assert!(again.success, "{again:?}");
    assert!(
        again.stdout.contains("files: 0 uploaded (0 bytes)"),
        "{}",
        again.stdout
    );
    assert!(
        !again.summary().contains(" 0 unchanged"),
        "{}",
        again.summary()
    );
}

async fn a_jekyll_site_arrives_with_its_files(backend: Backend) {
    import_site(backend, jekyll_site).await;
}

async fn a_hugo_site_arrives_with_its_files(backend: Backend) {
    import_site(backend, hugo_site).await;
}

async fn a_zola_site_arrives_with_its_files(backend: Backend) {
    import_site(backend, zola_site).await;
}
