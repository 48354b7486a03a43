//! Imports judged by the old generator itself: each fixture site is built by the real Hugo or
//! Jekyll, imported with `blog import` into `blog serve`, and every post page the generator
//! wrote is checked against the blog by the oracle (`blog_tests::oracle`): its addresses and
//! redirect pages answer 301 to the same post, its images and files load with the same bytes,
//! its links to other posts lead to them, and its date is the blog's.

use std::path::Path;

use blog_tests::oracle::{self, Output, Report};
use blog_tests::{ServeProcess, fixture, run_blog};

const TOKEN: &str = "oracle-token";

/// Imports `site` into an empty blog and compares the blog with `output`.
pub(super) async fn judged(site: &Path, output: &Output) -> Report {
    let dir = tempfile::TempDir::new().unwrap();
    let blog = ServeProcess::start(TOKEN, dir.path()).await;
    let path = site.display().to_string();
    let run = run_blog(&["import", &path, "--endpoint", &blog.url, "--token", TOKEN]).await;
    // Every file the old site made a post of is imported (a missing file the old site was
    // missing too may make the run exit non-zero; a failed post may not).
    assert!(
        run.summary().contains(", 0 failed"),
        "blog import {path}:\n{}\n{}",
        run.stdout,
        run.stderr
    );
    let report = output.compare(&blog.url).await;
    println!(
        "{path}: {} checks on {} post pages and {} redirect pages",
        report.checks, report.posts, report.redirects
    );
    if !report.mismatches.is_empty() {
        println!("blog import {path}:\n{}\n{}", run.stdout, run.stderr);
    }
    report
}

async fn hugo_site(name: &str, served_at: &str) {
    let site = fixture(name);
    let out = tempfile::TempDir::new().unwrap();
    let output = oracle::hugo(&site, out.path()).served_at(served_at);
    judged(&site, &output).await.assert_clean(name);
}

/// `known`: posts the importer does not yet carry over as Jekyll showed them, with why.
async fn jekyll_site(name: &str, served_at: &str, known: &[(&str, &str)]) {
    let site = fixture(name);
    let out = tempfile::TempDir::new().unwrap();
    let output = oracle::jekyll(&site, out.path()).served_at(served_at);
    judged(&site, &output).await.assert_clean_but(name, known);
}

#[tokio::test]
async fn oracle_hugo() {
    hugo_site("import/hugo", "https://old.example.com/").await;
}

#[tokio::test]
async fn oracle_hugo_real() {
    hugo_site("import/hugo-real", "https://old.example.org/").await;
}

/// Hugo's built-in shortcodes and the site's own.
#[tokio::test]
async fn oracle_hugo_shortcodes() {
    hugo_site("import/hugo-shortcodes", "https://blog.example.org/").await;
}

/// Jekyll's Liquid: `highlight`, `raw`, `post_url`, `link`, site and page values.
#[tokio::test]
async fn oracle_jekyll_liquid() {
    jekyll_site("import/jekyll-liquid", "https://eng.example.com/", &[]).await;
}

#[tokio::test]
async fn oracle_jekyll() {
    jekyll_site("import/jekyll", "https://old.example.com/", &[]).await;
}

#[tokio::test]
async fn oracle_jekyll_real() {
    jekyll_site("import/jekyll-real", "https://old.example.com/", &[]).await;
}

/// Hugo's configuration directory, `[permalinks]` and `[uglyURLs]` for one section, two
/// languages in content folders (English unprefixed), a PDF under the content folder, a page
/// bundle, `url`, `slug`, relative and absolute `aliases`, `.markdown` and `.mdown` files.
#[tokio::test]
async fn oracle_hugo_quirks() {
    hugo_site("import/hugo-quirks", "https://quirks.example.org/").await;
}

/// Jekyll's `baseurl`, a `timezone` that moves a post to the day before, a category folder,
/// a collection with output and a permalink of its own (and one without output).
#[tokio::test]
async fn oracle_jekyll_quirks() {
    jekyll_site(
        "import/jekyll-quirks",
        "https://quirks.example.com/blog/",
        &[],
    )
    .await;
}

/// Hugo sites made at random (`blog_tests::random_hugo`), each built by Hugo, imported and
/// judged by the oracle. The seeds are printed; `ORACLE_SEED=N` makes and judges that one site
/// (and `ORACLE_KEEP=DIR` keeps it in `DIR/N`).
#[tokio::test]
async fn oracle_random_hugo_sites() {
    let seeds: Vec<u64> = match std::env::var("ORACLE_SEED") {
        Ok(seed) => vec![seed.trim().parse().expect("ORACLE_SEED is a number")],
        Err(_) => {
            let base = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
                % 1_000_000
                * 100;
            (base..base + 16).collect()
        }
    };
    let mut failed = Vec::new();
    for seed in seeds {
        let site = tempfile::TempDir::new().unwrap();
        // `ORACLE_KEEP=DIR` makes the site there instead, to be looked at afterwards.
        let site_dir = std::env::var_os("ORACLE_KEEP")
            .map(|d| std::path::PathBuf::from(d).join(seed.to_string()))
            .unwrap_or_else(|| site.path().to_owned());
        let made = blog_tests::random_hugo::make(seed, &site_dir);
        let (site, chosen) = (site_dir, made.chosen);
        println!("ORACLE_SEED={seed}: {chosen}");
        let out = tempfile::TempDir::new().unwrap();
        let output = oracle::hugo(&site, out.path()).served_at(&made.base_url);
        let report = judged(&site, &output).await;
        if report.posts == 0 || !report.mismatches.is_empty() {
            failed.push(format!("ORACLE_SEED={seed} ({chosen}): {report}"));
        }
    }
    assert!(
        failed.is_empty(),
        "{} generated sites differ from Hugo's output:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

/// The oracle itself can fail: an empty blog misses every address, and an output whose image,
/// date and link differ from what was imported is reported item by item.
#[tokio::test]
async fn the_oracle_reports_every_difference() {
    let site = fixture("import/hugo-quirks");
    let out = tempfile::TempDir::new().unwrap();
    let output = oracle::hugo(&site, out.path()).served_at("https://quirks.example.org/");

    let empty_dir = tempfile::TempDir::new().unwrap();
    let empty = ServeProcess::start(TOKEN, empty_dir.path()).await;
    let report = output.compare(&empty.url).await;
    assert_eq!(report.posts, 6, "{report}");
    for source in [
        "content/en/post/first.md",
        "content/en/post/bundle/index.md",
        "content/en/post/older.markdown",
        "content/en/post/oldest.mdown",
        "content/en/post/exact.md",
        "content/fr/post/first.md",
    ] {
        assert!(
            report
                .mismatches
                .iter()
                .any(|m| m.source == source && m.problem.contains("answers 404")),
            "{source}: {report}"
        );
    }

    // The old site's chart, date and link changed after the import: each is reported.
    std::fs::copy(
        site.join("content/en/post/bundle/diagram.png"),
        out.path().join("images/chart.png"),
    )
    .unwrap();
    let page = out.path().join("2021/04/05/moved-to-rust.html");
    let html = std::fs::read_to_string(&page).unwrap();
    let html = html
        .replace("datetime=\"2021-04-05\"", "datetime=\"2021-04-06\"")
        .replace(
            "href=\"/2021/04/07/a-page-bundle.html\"",
            "href=\"/2020/02/02/nowhere.html\"",
        )
        .replace(
            "page bundle post</a>",
            "page bundle post</a> <a href=\"/press/exact-address/\">exact</a>",
        );
    std::fs::write(&page, html).unwrap();
    let report = judged(&site, &output).await;
    let problems: Vec<&str> = report
        .mismatches
        .iter()
        .filter(|m| m.source == "content/en/post/first.md")
        .map(|m| m.problem.as_str())
        .collect();
    assert_eq!(problems.len(), 3, "{report}");
    assert!(problems[0].contains("date 2021-04-06"), "{report}");
    assert!(
        problems[1].contains("/images/chart.png") && problems[1].contains("other content"),
        "{report}"
    );
    assert!(
        problems[2].contains("link \"exact\"") && problems[2].contains("/posts/exact"),
        "{report}"
    );
    assert_eq!(
        report.mismatches.len(),
        3,
        "only the changed page differs: {report}"
    );
}
