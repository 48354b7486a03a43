//! Real blogs come in whole: fixture sites with the quirks of years-old Jekyll, Hugo and Zola
//! blogs (one slug on several dates, capitals and dots in names, categories in permalinks, a
//! configured permalink style, a post's own permalink, `url:`/`path:`/`slug:`, blank lines, a
//! byte order mark and CRLF before the front matter, `A and B` authors, two posts declaring one
//! alias) are imported through `blog import` into `blog serve`, and for every file: its post
//! opens at its new URL with its own title, and every address the old site served answers 301
//! to it. A second import changes nothing; another file cannot take a post's slug; an export
//! published into an empty blog gives the same pages and redirects.

use std::collections::BTreeSet;
use std::path::Path;

use blog_tests::{CliRun, ServeProcess, copy_dir, fixture, get_page, redirect, run_blog, texts};

const TOKEN: &str = "import-token";

/// One file of a fixture site, and what must come of it.
struct Expected {
    /// The file, below the site's folder.
    file: &'static str,
    /// Its post's slug.
    slug: &'static str,
    /// Its post's title.
    title: &'static str,
    /// Every address the old site served it at, each to answer 301.
    old: &'static [&'static str],
}

const fn post(
    file: &'static str,
    slug: &'static str,
    title: &'static str,
    old: &'static [&'static str],
) -> Expected {
    Expected {
        file,
        slug,
        title,
        old,
    }
}

/// `permalink: pretty`: directory-style, categories first, `:title` as the file name has it.
const JEKYLL: &[Expected] = &[
    post(
        "_posts/2015-05-15-Release-2.0.md",
        "release-2-0",
        "Release 2.0",
        &[
            "/release/notes/2015/05/15/Release-2.0/",
            "/release/notes/2015/05/15/Release-2.0",
            "/release/notes/2015/05/15/Release-2.0/index.html",
            "/releases/2.0/",
        ],
    ),
    post(
        "_posts/2016-01-20-announcement.md",
        "announcement",
        "We are hiring",
        &["/announcements/announcement.html"],
    ),
    post(
        "_posts/2016-02-01-blank-first.md",
        "blank-first",
        "A file that starts with blank lines",
        &["/tooling/2016/02/01/blank-first/"],
    ),
    post(
        "_posts/2016-02-02-with-bom.md",
        "with-bom",
        "A file with a byte order mark",
        &["/tooling/2016/02/02/with-bom/"],
    ),
    post(
        "_posts/2016-02-03-crlf-lines.md",
        "crlf-lines",
        "A file with CRLF line endings",
        &["/tooling/2016/02/03/crlf-lines/"],
    ),
    post(
        "_posts/2016-03-01-first-claim.md",
        "first-claim",
        "First to claim an old address",
        &["/2016/03/01/first-claim/"],
    ),
    post(
        "_posts/2016-03-05-second-claim.md",
        "second-claim",
        "Second to claim an old address",
        &[
            "/2016/03/05/second-claim/",
            "/second/only.html",
            "/shared/old-link.html",
        ],
    ),
    post(
        "_posts/2016-04-01-odd-slug.md",
        "odd-slug-here",
        "An odd slug",
        &["/2016/04/01/Odd_Slug_Here/", "/posts/Odd_Slug_Here"],
    ),
    post(
        "_posts/2016-05-02-survey.md",
        "survey",
        "Developer survey 2016",
        &["/culture/2016/05/02/survey/"],
    ),
    post(
        "_posts/2017-05-03-survey.md",
        "survey-2017",
        "Developer survey 2017",
        &["/culture/2017/05/03/survey/"],
    ),
    post(
        "_posts/2018-05-01-survey.md",
        "survey-2018",
        "Developer survey 2018",
        &["/culture/2018/05/01/survey/"],
    ),
    post(
        "_posts/2019-02-11-team-meeting.md",
        "team-meeting",
        "Team meeting, February 11th",
        &["/2019/02/11/team-meeting/"],
    ),
    post(
        "_posts/2019-02-18-team-meeting.md",
        "team-meeting-2019",
        "Team meeting, February 18th",
        &["/2019/02/18/team-meeting/"],
    ),
    post(
        "_posts/2019-02-25-team-meeting.md",
        "team-meeting-2019-02-25",
        "Team meeting, February 25th",
        &["/2019/02/25/team-meeting/"],
    ),
];

/// `[permalinks] posts = "/:year/:month/:title/"`, lowercased; `notes` has no pattern.
const HUGO: &[Expected] = &[
    post(
        "content/notes/blank.md",
        "blank",
        "Blank line and BOM",
        &["/notes/blank/", "/notes/blank"],
    ),
    post("content/notes/note.md", "note", "A note", &["/notes/note/"]),
    post(
        "content/posts/2019/survey.md",
        "survey",
        "Survey 2019",
        &["/2019/05/survey-2019/"],
    ),
    post(
        "content/posts/2020/survey.md",
        "survey-2020",
        "Survey 2020",
        &["/2020/05/survey-2020/"],
    ),
    post(
        "content/posts/Release-2.0.md",
        "release-two",
        "Release 2.0",
        &["/2015/05/release-2.0/"],
    ),
    post(
        "content/posts/alias-too.md",
        "alias-too",
        "Also claims the alias",
        &["/2021/03/also-claims-the-alias/"],
    ),
    post(
        "content/posts/bundle/index.md",
        "bundle",
        "A page bundle",
        &[
            "/2021/03/a-page-bundle/",
            "/old/bundle/",
            "/2021/03/moved-bundle/",
        ],
    ),
    post(
        "content/posts/url-override.md",
        "url-override",
        "An exact URL",
        &["/custom/Exact-Path/", "/shared/hugo-alias/"],
    ),
];

/// Sections as folders, dates taken off names, each part slugified; `path:` wins.
const ZOLA: &[Expected] = &[
    post(
        "content/2021/2021-08-09-survey.md",
        "survey",
        "Survey 2021",
        &["/2021/survey/"],
    ),
    post(
        "content/2022/2022-08-10_survey.md",
        "survey-2022",
        "Survey 2022",
        &["/2022/survey/"],
    ),
    post(
        "content/blog/Capital Name.md",
        "capital-name",
        "Capitals and a space",
        &["/blog/capital-name/", "/old/Capital.html"],
    ),
    post(
        "content/blog/bundle/index.md",
        "bundle",
        "A colocated bundle",
        &["/blog/bundle/"],
    ),
    post(
        "content/blog/custom.md",
        "custom",
        "A custom path",
        &["/elsewhere/custom/"],
    ),
];

async fn import(blog: &ServeProcess, site: &Path, more: &[&str]) -> CliRun {
    let site = site.display().to_string();
    let mut args = vec!["import", &site, "--endpoint", &blog.url, "--token", TOKEN];
    args.extend_from_slice(more);
    run_blog(&args).await
}

/// `blog VERB PATH --endpoint URL --token TOKEN`: a publish or an export, as an author runs it.
async fn run_against(verb: &str, path: &Path, url: &str) -> CliRun {
    let path = path.display().to_string();
    run_blog(&[verb, &path, "--endpoint", url, "--token", TOKEN]).await
}

/// The files an import's output says it published, with the URL each went to.
fn published(run: &CliRun) -> Vec<(String, String)> {
    run.stdout
        .lines()
        .filter(|l| l.starts_with("created") || l.starts_with("unchanged"))
        .filter_map(|l| {
            let (_, rest) = l.split_once(' ')?;
            let (file, url) = rest.trim().split_once(" → ")?;
            Some((file.to_owned(), url.to_owned()))
        })
        .collect()
}

/// Imports `site` into an empty blog and checks every file: its post, its title, every old
/// address; then that a second import changes nothing. Returns the blog (and the folder its
/// database lives in), for more checks.
async fn every_file_arrives(
    site: &str,
    expected: &[Expected],
    skipped: usize,
) -> (tempfile::TempDir, ServeProcess) {
    let dir = tempfile::TempDir::new().unwrap();
    let blog = ServeProcess::start(TOKEN, dir.path()).await;
    let root = fixture(site);

    let run = import(&blog, &root, &[]).await;

    assert!(run.success, "{run:?}");
    let files = expected.len() + skipped;
    assert!(
        run.summary().starts_with(&format!(
            "{files} files: {} created, 0 updated, 0 unchanged, {skipped} skipped",
            expected.len()
        )),
        "{}",
        run.stdout
    );
    assert!(run.summary().contains(", 0 failed"), "{}", run.stdout);
    let went: BTreeSet<(String, String)> = published(&run).into_iter().collect();
    let wanted: BTreeSet<(String, String)> = expected
        .iter()
        .map(|e| {
            (
                root.join(e.file).display().to_string(),
                format!("{}/posts/{}", blog.url, e.slug),
            )
        })
        .collect();
    assert_eq!(went, wanted, "every file to its own post:\n{}", run.stdout);
    for file in expected {
        let url = format!("{}/posts/{}", blog.url, file.slug);
        let (status, page) = get_page(&url).await;
        assert_eq!(status, 200, "{}", file.file);
        assert_eq!(texts(&page, "h1"), [file.title], "{}", file.file);
        for old in file.old {
            assert_eq!(
                redirect(&format!("{}{old}", blog.url)).await,
                (301, url.clone()),
                "{} from {old}",
                file.file
            );
        }
    }

    // The same site again: every file maps to the same post, and nothing changes.
    let again = import(&blog, &root, &[]).await;
    assert!(again.success, "{again:?}");
    assert!(
        again.summary().starts_with(&format!(
            "{files} files: 0 created, 0 updated, {} unchanged, {skipped} skipped",
            expected.len()
        )),
        "{}",
        again.stdout
    );
    assert_eq!(
        published(&again).into_iter().collect::<BTreeSet<_>>(),
        wanted
    );
    (dir, blog)
}

#[tokio::test]
async fn a_jekyll_blog_comes_in_whole_with_every_old_link() {
    let (_dir, blog) = every_file_arrives("import/jekyll-real", JEKYLL, 1).await;

    // Two posts declared one alias: Jekyll wrote the later one's redirect page last, so the
    // later keeps it (as `jekyll build` shows), and the earlier was told.
    assert_eq!(
        redirect(&format!("{}/shared/old-link.html", blog.url)).await,
        (301, format!("{}/posts/second-claim", blog.url))
    );
    // Old links match as the old server matched them: case as written.
    assert_eq!(
        redirect(&format!(
            "{}/RELEASE/notes/2015/05/15/Release-2.0/",
            blog.url
        ))
        .await
        .0,
        404
    );
    // `A and B` and `A, B and C` are several people.
    let (_, page) = get_page(&format!("{}/posts/survey-2018", blog.url)).await;
    assert_eq!(texts(&page, ".byline a"), ["Ann Lee", "Bo Chen"]);
    let (_, page) = get_page(&format!("{}/posts/release-2-0", blog.url)).await;
    assert_eq!(texts(&page, ".byline a"), ["A", "B", "C"]);
    assert_eq!(
        texts(&page, ".categories a"),
        ["Release", "Notes"],
        "Jekyll's space-separated categories"
    );
}

#[tokio::test]
async fn a_hugo_blog_comes_in_whole_with_every_old_link() {
    let (_dir, blog) = every_file_arrives("import/hugo-real", HUGO, 2).await;
    assert_eq!(
        redirect(&format!("{}/shared/hugo-alias/", blog.url)).await,
        (301, format!("{}/posts/url-override", blog.url)),
        "the earlier of two posts declaring one alias keeps it"
    );
}

#[tokio::test]
async fn a_zola_blog_comes_in_whole_with_every_old_link() {
    let (_dir, blog) = every_file_arrives("import/zola-real", ZOLA, 4).await;
    assert_eq!(
        redirect(&format!("{}/old/Capital.html", blog.url)).await,
        (301, format!("{}/posts/capital-name", blog.url))
    );
}

#[tokio::test]
async fn a_dry_run_prints_the_plan_and_writes_nothing() {
    let dir = tempfile::TempDir::new().unwrap();
    let blog = ServeProcess::start(TOKEN, dir.path()).await;

    let run = import(&blog, &fixture("import/jekyll-real"), &["--dry-run"]).await;

    assert!(run.success, "{run:?}");
    let survey = run.line_for("2017-05-03-survey.md");
    assert!(survey.ends_with("→ /posts/survey-2017"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("renamed to `survey-2017`: `survey` is _posts/2016-05-02-survey.md's"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("old address /release/notes/2015/05/15/Release-2.0/"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("\"A, B and C\" → A; B; C"),
        "{}",
        run.stdout
    );
    assert!(
        run.line_for("index.md").starts_with("skip"),
        "{}",
        run.stdout
    );
    assert!(
        run.summary()
            .starts_with("15 files: 14 to publish, 1 skipped; nothing was written"),
        "{}",
        run.stdout
    );
    let (status, _) = get_page(&format!("{}/posts/survey", blog.url)).await;
    assert_eq!(status, 404, "nothing was written");
}

#[tokio::test]
async fn another_file_cannot_take_a_posts_slug_but_the_same_file_updates_it() {
    let dir = tempfile::TempDir::new().unwrap();
    let blog = ServeProcess::start(TOKEN, dir.path()).await;
    let site = tempfile::TempDir::new().unwrap();
    copy_dir(&fixture("import/jekyll-real"), site.path());
    assert!(import(&blog, site.path(), &[]).await.success);

    // Another author's file with the same slug: refused, named, and nothing changes.
    let other = tempfile::TempDir::new().unwrap();
    let intruder = other.path().join("survey.md");
    std::fs::write(
        &intruder,
        "---\ntitle: \"Developer survey 2016\"\ndate: 2016-05-02\n---\nSomeone else's.\n",
    )
    .unwrap();
    let run = run_against("publish", &intruder, &blog.url).await;
    assert!(!run.success, "{run:?}");
    let line = run.line_for("survey.md");
    assert!(
        line.contains("belongs to another post")
            && line.contains("_posts/2016-05-02-survey.md")
            && line.contains("slug:"),
        "{line}"
    );
    let (_, page) = get_page(&format!("{}/posts/survey", blog.url)).await;
    assert_eq!(
        texts(&page, ".post-body p"),
        ["What 300 engineers told us about their tools."]
    );

    // The post's own file, edited and published alone: an update of that post, which keeps
    // the old site's address.
    let own = site.path().join("_posts/2016-05-02-survey.md");
    let text = std::fs::read_to_string(&own)
        .unwrap()
        .replace("What 300 engineers", "What 310 engineers");
    std::fs::write(&own, text).unwrap();
    let run = run_against("publish", &own, &blog.url).await;
    assert!(run.success, "{run:?}");
    assert!(run.line_for("survey.md").starts_with("updated"), "{run:?}");
    let (_, page) = get_page(&format!("{}/posts/survey", blog.url)).await;
    assert_eq!(
        texts(&page, ".post-body p"),
        ["What 310 engineers told us about their tools."]
    );
    assert_eq!(
        redirect(&format!("{}/culture/2016/05/02/survey/", blog.url)).await,
        (301, format!("{}/posts/survey", blog.url))
    );
}

#[tokio::test]
async fn an_export_published_into_an_empty_blog_gives_the_same_blog() {
    let dir = tempfile::TempDir::new().unwrap();
    let first = ServeProcess::start(TOKEN, dir.path()).await;
    assert!(
        import(&first, &fixture("import/hugo-real"), &[])
            .await
            .success
    );
    // A draft and a scheduled post come out too.
    let extra = tempfile::TempDir::new().unwrap();
    std::fs::write(
        extra.path().join("draft.md"),
        "---\ntitle: Not yet\ndate: 2021-01-01\ndraft: true\naliases: [/old/draft.html]\n---\nDraft.\n",
    )
    .unwrap();
    std::fs::write(
        extra.path().join("later.md"),
        "---\ntitle: Later\ndate: 2999-01-01\n---\nScheduled.\n",
    )
    .unwrap();
    let run = run_against("publish", extra.path(), &first.url).await;
    assert!(run.success, "{run:?}");

    let out = tempfile::TempDir::new().unwrap();
    let export = run_against("export", out.path(), &first.url).await;
    assert!(export.success, "{export:?}");
    assert_eq!(
        export.summary(),
        format!(
            "{} posts exported to {}",
            HUGO.len() + 2,
            out.path().display()
        )
    );
    assert!(out.path().join("content/posts/bundle/index.md").is_file());
    assert!(out.path().join("draft.md").is_file());

    // The export published back into the blog it came from: the same posts, each updated.
    let back = run_against("publish", out.path(), &first.url).await;
    assert!(back.success, "{back:?}");
    assert!(back.summary().contains(" 0 created,"), "{}", back.stdout);

    let dir2 = tempfile::TempDir::new().unwrap();
    let second = ServeProcess::start(TOKEN, dir2.path()).await;
    let run = run_against("publish", out.path(), &second.url).await;
    assert!(run.success, "{run:?}");

    for file in HUGO {
        let path = format!("/posts/{}", file.slug);
        let (status, a) = get_page(&format!("{}{path}", first.url)).await;
        let (status2, b) = get_page(&format!("{}{path}", second.url)).await;
        assert_eq!((status, status2), (200, 200), "{path}");
        for part in ["h1", ".byline", ".categories a", ".post-body"] {
            assert_eq!(texts(&a, part), texts(&b, part), "{path} {part}");
        }
        for old in file.old {
            assert_eq!(
                redirect(&format!("{}{old}", second.url)).await,
                (301, format!("{}{path}", second.url)),
                "{old}"
            );
        }
    }
    for path in ["/", "/category/releases"] {
        let (_, a) = get_page(&format!("{}{path}", first.url)).await;
        let (_, b) = get_page(&format!("{}{path}", second.url)).await;
        assert_eq!(texts(&a, "article"), texts(&b, "article"), "{path}");
    }
    // The draft is there, still a draft, its old address still silent.
    let (status, _) = get_page(&format!("{}/posts/draft", second.url)).await;
    assert_eq!(status, 404);
    assert_eq!(
        redirect(&format!("{}/old/draft.html", second.url)).await.0,
        404,
        "a draft's redirect does not reveal it"
    );
    let out2 = tempfile::TempDir::new().unwrap();
    let again = run_against("export", out2.path(), &second.url).await;
    assert!(
        again.stdout.contains("exported   draft →") && again.stdout.contains("exported   later →"),
        "{}",
        again.stdout
    );
}

/// A site whose Markdown links out of its folder (a file, a folder) or back into itself (a
/// loop): `blog publish` and `blog import` read neither, list each link as skipped, and
/// publish nothing twice.
#[tokio::test]
async fn symbolic_links_out_of_the_folder_are_skipped_and_reported() {
    use std::os::unix::fs::symlink;
    for verb in ["publish", "import"] {
        let dir = tempfile::TempDir::new().unwrap();
        let private = dir.path().join("outside/private");
        std::fs::create_dir_all(&private).unwrap();
        std::fs::write(
            private.join("secret-notes.md"),
            "---\ntitle: Secret notes\ndate: 2020-06-01\n---\nThe merger is on.\n",
        )
        .unwrap();
        let site = dir.path().join("blog/site");
        let posts = site.join("_posts");
        std::fs::create_dir_all(&posts).unwrap();
        std::fs::write(
            posts.join("2020-06-05-public.md"),
            "---\ntitle: Public\n---\nHello.\n",
        )
        .unwrap();
        symlink(
            "../../../outside/private/secret-notes.md",
            posts.join("2020-06-06-innocent.md"),
        )
        .unwrap();
        symlink("../../outside/private", site.join("linked-dir")).unwrap();
        symlink(".", posts.join("loop")).unwrap();
        let blog_dir = tempfile::TempDir::new().unwrap();
        let blog = ServeProcess::start(TOKEN, blog_dir.path()).await;

        let run = run_against(verb, &site, &blog.url).await;

        assert!(
            run.line_for("2020-06-06-innocent.md")
                .contains("skipped    ")
                && run
                    .line_for("2020-06-06-innocent.md")
                    .contains("symbolic link out of the folder"),
            "{verb}: {}",
            run.stdout
        );
        for link in ["linked-dir", "_posts/loop"] {
            assert!(
                run.line_for(link)
                    .contains("symbolic link to a folder, not followed"),
                "{verb} {link}: {}",
                run.stdout
            );
        }
        assert!(
            run.summary().starts_with("4 files: 1 created") && run.summary().contains("3 skipped"),
            "{verb}: {}",
            run.summary()
        );
        let (status, page) = get_page(&format!("{}/", blog.url)).await;
        assert_eq!(status, 200);
        let titles = texts(&page, "article h2");
        assert!(
            !titles.iter().any(|t| t.contains("Secret")),
            "{verb}: {titles:?}"
        );
        let search = reqwest::get(format!("{}/feed.json", blog.url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            !search.contains("merger"),
            "{verb}: the secret text is public"
        );
    }
}

/// A Hugo site whose `content` folder is a symbolic link out of the site: nothing of it is read.
#[tokio::test]
async fn a_content_folder_leading_out_of_the_site_is_refused() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::TempDir::new().unwrap();
    let private = dir.path().join("outside/notes");
    std::fs::create_dir_all(&private).unwrap();
    std::fs::write(
        private.join("secret.md"),
        "---\ntitle: Secret\ndate: 2020-06-01\n---\nThe merger is on.\n",
    )
    .unwrap();
    let site = dir.path().join("site");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(site.join("hugo.toml"), "title = \"Site\"\n").unwrap();
    symlink("../outside/notes", site.join("content")).unwrap();
    let blog_dir = tempfile::TempDir::new().unwrap();
    let blog = ServeProcess::start(TOKEN, blog_dir.path()).await;

    let run = import(&blog, &site, &["--from", "hugo"]).await;

    assert!(!run.success, "{run:?}");
    assert!(run.stderr.contains("leads outside"), "{}", run.stderr);
    let feed = reqwest::get(format!("{}/feed.json", blog.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!feed.contains("merger"), "the secret text is public");
}
