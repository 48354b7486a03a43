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
    let report = output.compare(&blog.url).await;
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

async fn jekyll_site(name: &str, served_at: &str) {
    let site = fixture(name);
    let out = tempfile::TempDir::new().unwrap();
    let output = oracle::jekyll(&site, out.path()).served_at(served_at);
    judged(&site, &output).await.assert_clean(name);
}

#[tokio::test]
async fn oracle_hugo() {
    hugo_site("import/hugo", "https://old.example.com/").await;
}

#[tokio::test]
async fn oracle_hugo_real() {
    hugo_site("import/hugo-real", "https://old.example.org/").await;
}

#[tokio::test]
async fn oracle_jekyll() {
    jekyll_site("import/jekyll", "https://old.example.com/").await;
}

#[tokio::test]
async fn oracle_jekyll_real() {
    jekyll_site("import/jekyll-real", "https://old.example.com/").await;
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
    jekyll_site("import/jekyll-quirks", "https://quirks.example.com/blog/").await;
}
