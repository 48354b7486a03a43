//! An export publishes back, on both backends (`blog serve` on the embedded store; DynamoDB
//! and S3 on the loopback server): every fixture site (`tests/fixtures/import/*`) and every
//! site with files (a Jekyll post referencing its photo relative to its old address, Hugo's
//! `static/` and page bundles, Zola's colocated files), one post referencing a file the old
//! site never had, is imported into a blog, exported, and the export published into an empty
//! blog (`--allow-missing` where the export said so). Every post comes back with its title,
//! date, authors and body text; every file with the same bytes; every old address.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use blog_shared::http::ingest::{ExportPage, ExportedPost};
use blog_tests::media_sites::{hugo_site, jekyll_site, zola_site};
use blog_tests::{
    Backend, CliRun, ServeProcess, TestBlobs, TestSite, TestStore, attrs, fixture, get_page,
    on_every_backend, redirect, run_blog, texts,
};

const TOKEN: &str = "export-token";

/// A blog, files included, over HTTP: `blog serve` (the embedded store) or the site on
/// DynamoDB and S3; with what must live as long as it does (its folder, its stores).
enum Blog {
    Serve {
        serve: ServeProcess,
        _dir: tempfile::TempDir,
    },
    Aws {
        site: TestSite,
        _store: TestStore,
        _blobs: TestBlobs,
    },
}

impl Blog {
    async fn start(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::TempDir::new().unwrap();
                Self::Serve {
                    serve: ServeProcess::start(TOKEN, dir.path()).await,
                    _dir: dir,
                }
            }
            Backend::Dynamo => {
                let store = TestStore::new(backend).await;
                let blobs = TestBlobs::new(backend, TOKEN).await;
                let site = TestSite::start_with_media(
                    Arc::clone(&store.store),
                    Arc::clone(&blobs.blobs),
                    TOKEN,
                )
                .await;
                Self::Aws {
                    site,
                    _store: store,
                    _blobs: blobs,
                }
            }
        }
    }

    fn url(&self) -> &str {
        match self {
            Self::Serve { serve, .. } => &serve.url,
            Self::Aws { site, .. } => &site.base_url,
        }
    }

    /// `blog VERB PATH [MORE…] --endpoint URL --token TOKEN`.
    async fn run(&self, verb: &str, path: &Path, more: &[&str]) -> CliRun {
        let path = path.display().to_string();
        let mut args = vec![verb, &path];
        args.extend_from_slice(more);
        args.extend_from_slice(&["--endpoint", self.url(), "--token", TOKEN]);
        run_blog(&args).await
    }

    /// Every stored post, as the export API gives it.
    async fn posts(&self) -> Vec<ExportedPost> {
        let client = reqwest::Client::new();
        let mut posts = Vec::new();
        let mut from: Option<String> = None;
        loop {
            let mut request = client
                .get(format!("{}/posts", self.url()))
                .bearer_auth(TOKEN);
            if let Some(from) = &from {
                request = request.query(&[("from", from)]);
            }
            let page: ExportPage = request.send().await.unwrap().json().await.unwrap();
            posts.extend(page.posts);
            match page.next {
                Some(next) => from = Some(next),
                None => return posts,
            }
        }
    }
}

/// Every site to bring over: the fixture sites, and sites with files written into `dir`, one
/// post among them referencing a file the old site never had.
fn sites(dir: &Path) -> Vec<PathBuf> {
    let mut sites: Vec<PathBuf> = std::fs::read_dir(fixture("import"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        // Zola's recorded output of the Zola sites, and the templates they share, are no sites.
        .filter(|p| !p.ends_with("zola-golden") && !p.ends_with("zola-templates"))
        .collect();
    sites.sort();
    for (name, write) in [
        ("jekyll-files", jekyll_site as fn(&Path) -> _),
        ("hugo-files", hugo_site),
        ("zola-files", zola_site),
    ] {
        let site = dir.join(name);
        write(&site);
        sites.push(site);
    }
    std::fs::write(
        dir.join("jekyll-files/_posts/2017-03-04-lost-diagram.md"),
        "---\ntitle: The lost diagram\ndate: 2017-03-04\nauthor: Ann Lee\n---\n\
         The old site had lost it: ![Diagram](../../../images/lost.png)\n\n\
         Its neighbour is there: ![Arch](../../../images/arch.png)\n",
    )
    .unwrap();
    sites
}

/// Every URL of a stored file on a page.
fn media_urls(page: &scraper::Html) -> BTreeSet<String> {
    [("img", "src"), ("a", "href"), ("source", "srcset")]
        .iter()
        .flat_map(|(selector, attr)| attrs(page, selector, attr))
        .flat_map(|value| {
            value
                .split(',')
                .filter_map(|c| c.split_whitespace().next().map(str::to_owned))
                .collect::<Vec<_>>()
        })
        .filter(|url| url.starts_with("/media/"))
        .collect()
}

async fn bytes(url: &str) -> Vec<u8> {
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    response.bytes().await.unwrap().to_vec()
}

async fn an_export_publishes_back_every_post_file_and_old_address(backend: Backend) {
    let written = tempfile::TempDir::new().unwrap();
    for site in sites(written.path()) {
        let name = site.file_name().unwrap().to_string_lossy().into_owned();
        let first = Blog::start(backend).await;
        let lost = name == "jekyll-files";
        if lost {
            // The plan names the file; `--strict` refuses the post instead.
            let plan = first.run("import", &site, &["--dry-run"]).await;
            assert!(
                plan.stdout
                    .contains("missing `../../../images/lost.png` (looked in images/lost.png)")
                    && plan.summary().contains(", 1 missing file;"),
                "{}",
                plan.stdout
            );
            let strict = first.run("import", &site, &["--strict"]).await;
            assert!(!strict.success, "{strict:?}");
            assert!(
                strict
                    .line_for("lost-diagram")
                    .contains("references `../../../images/lost.png`, which is not a file")
                    && strict.summary().contains(", 1 failed"),
                "{}",
                strict.stdout
            );
            assert!(first.posts().await.iter().all(|p| p.slug != "lost-diagram"));
        }
        // (A fixture's deliberately broken file fails; what was imported must come back.)
        let import = first.run("import", &site, &[]).await;
        assert_eq!(
            import.stdout.contains("missing `"),
            lost,
            "{name}: {}",
            import.stdout
        );
        if lost {
            // A file the old site never had does not sink its post, and a script notices it.
            assert!(!import.success, "{import:?}");
            assert!(
                import.stdout.contains("missing `../../../images/lost.png`")
                    && import.summary().contains(", 0 failed")
                    && import
                        .summary()
                        .ends_with("; 1 missing file in 1 post (listed above)"),
                "{}",
                import.stdout
            );
        }
        let before = first.posts().await;
        assert!(!before.is_empty(), "{name}: nothing imported");

        let out = tempfile::TempDir::new().unwrap();
        let export = first.run("export", out.path(), &[]).await;
        assert!(export.success, "{name}: {export:?}");
        let says_missing = export
            .stdout
            .contains("reference files the blog does not hold")
            || export
                .stdout
                .contains("references files the blog does not hold");
        assert_eq!(says_missing, lost, "{name}: {}", export.stdout);
        if lost {
            assert!(
                export
                    .stdout
                    .contains("missing `../../../images/lost.png`: the blog holds no file for it"),
                "{}",
                export.stdout
            );
            // Without --allow-missing, publish refuses that post, naming the file.
            let refused = Blog::start(backend).await;
            let run = refused.run("publish", out.path(), &[]).await;
            assert!(!run.success, "{run:?}");
            assert!(
                run.stdout
                    .contains("references `../../../images/lost.png`, which is not a file")
                    && run.stdout.contains("--allow-missing"),
                "{}",
                run.stdout
            );
        }

        let second = Blog::start(backend).await;
        let more: &[&str] = if lost { &["--allow-missing"] } else { &[] };
        let back = second.run("publish", out.path(), more).await;
        assert!(back.success, "{name}: {back:?}");
        assert!(
            back.summary().starts_with(&format!(
                "{} files: {} created,",
                before.len(),
                before.len()
            )),
            "{name}: {}",
            back.stdout
        );

        let after = second.posts().await;
        let slugs = |posts: &[ExportedPost]| -> Vec<String> {
            posts.iter().map(|p| p.slug.clone()).collect()
        };
        assert_eq!(slugs(&after), slugs(&before), "{name}");
        let (mut files, mut addresses) = (0, 0);
        for (a, b) in before.iter().zip(&after) {
            let what = format!("{name}: {}", a.slug);
            assert_eq!(
                (&a.title, &a.published, &a.authors, a.draft),
                (&b.title, &b.published, &b.authors, b.draft),
                "{what}"
            );
            let old: BTreeSet<&String> = a.old_paths.iter().collect();
            assert_eq!(old, b.old_paths.iter().collect(), "{what}");

            // What a reader sees: the same page, the same files, every old address.
            let page = format!("/posts/{}", a.slug);
            let (status, was) = get_page(&format!("{}{page}", first.url())).await;
            let (status2, is) = get_page(&format!("{}{page}", second.url())).await;
            assert_eq!(status, status2, "{what}");
            if status != 200 {
                continue;
            }
            for part in ["h1", ".byline", "time", ".post-body"] {
                assert_eq!(texts(&was, part), texts(&is, part), "{what} {part}");
            }
            let urls = media_urls(&was);
            assert_eq!(urls, media_urls(&is), "{what}");
            for url in &urls {
                assert_eq!(
                    bytes(&format!("{}{url}", first.url())).await,
                    bytes(&format!("{}{url}", second.url())).await,
                    "{what} {url}"
                );
                files += 1;
            }
            // Each answers 301 to the post, or is the post's own page (`/posts/bundle`).
            for old in &a.old_paths {
                addresses += 1;
                let answer = redirect(&format!("{}{old}", second.url())).await;
                if answer.0 == 200 {
                    let (_, shown) = get_page(&format!("{}{old}", second.url())).await;
                    assert_eq!(
                        texts(&shown, "h1"),
                        std::slice::from_ref(&a.title),
                        "{what} at {old}"
                    );
                } else {
                    assert_eq!(
                        answer,
                        (301, format!("{}{page}", second.url())),
                        "{what} from {old}"
                    );
                }
            }
        }
        if name.ends_with("-files") {
            assert!(files > 0, "{name}: no files on its pages");
        }
        println!(
            "{name}: {} posts, {files} files, {addresses} old addresses back",
            after.len()
        );
    }
}

on_every_backend!(an_export_publishes_back_every_post_file_and_old_address);

/// An export never overwrites: into a folder that holds anything (an old site's own folder,
/// say) it is refused, naming the folder, and the folder is left as it was.
#[tokio::test]
async fn an_export_into_a_folder_that_holds_files_is_refused_and_touches_nothing() {
    let dir = tempfile::TempDir::new().unwrap();
    let blog = ServeProcess::start(TOKEN, dir.path()).await;
    let site = fixture("import/jekyll-liquid").display().to_string();
    let run = run_blog(&["import", &site, "--endpoint", &blog.url, "--token", TOKEN]).await;
    assert!(run.success, "{run:?}");
    let out = tempfile::TempDir::new().unwrap();
    let mine = out.path().join("_posts/2019-02-11-first.md");
    std::fs::create_dir_all(mine.parent().unwrap()).unwrap();
    std::fs::write(&mine, "my own words\n").unwrap();
    let path = out.path().display().to_string();

    let run = run_blog(&["export", &path, "--endpoint", &blog.url, "--token", TOKEN]).await;

    assert!(!run.success, "{run:?}");
    assert!(
        run.stderr
            .contains("is not empty: export into a new or empty folder"),
        "{run:?}"
    );
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "my own words\n");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 1);
}
