//! Zola imports judged by Zola itself: Zola is neither packaged nor on crates.io, so each Zola
//! fixture site's output was recorded once by a real Zola (`scripts/zola-goldens`, the version
//! in `tests/fixtures/import/zola-golden/ZOLA_VERSION`); each site is imported with
//! `blog import` and every post page of its recorded output is checked by the oracle.

use blog_tests::fixture;
use blog_tests::oracle::Output;

use super::import_oracle::judged;

/// Imports the fixture site `name` and compares the blog with Zola's recorded output of it,
/// served at the site's `base_url`: `posts` post pages and `redirects` alias pages, every one.
async fn zola_site(name: &str, posts: usize, redirects: usize) {
    let site = fixture(&format!("import/{name}"));
    let config: toml::Table =
        toml::from_str(&std::fs::read_to_string(site.join("config.toml")).unwrap()).unwrap();
    let base_url = config["base_url"].as_str().expect("a base_url");
    let golden = fixture(&format!("import/zola-golden/{name}"));
    assert!(
        golden.is_dir(),
        "no recorded output for {name}: run scripts/zola-goldens"
    );
    let output = Output::new(&golden).served_at(base_url);
    let report = judged(&site, &output).await;
    report.assert_clean(name);
    assert_eq!(
        (report.posts, report.redirects),
        (posts, redirects),
        "{name}: post pages and redirect pages judged"
    );
}

/// Dates, slugs from dated file names, taxonomies, an alias.
#[tokio::test]
async fn oracle_zola() {
    zola_site("zola", 2, 1).await;
}

/// Section folders, a `path`, a page bundle, a byte order mark and blank lines before the
/// front matter, an alias.
#[tokio::test]
async fn oracle_zola_real() {
    zola_site("zola-real", 5, 2).await;
}

/// Posts with no `date`, dated by their `path` (`2024/03/21/some-post`), linking each other
/// with `@/…md#anchor`; page bundles with images beside them, a sibling bundle's image through
/// `../` (from the same day's folder, and from another day's, where the old page showed none);
/// a transparent section; a section's PDF; `static/`; a folder name with a space.
#[tokio::test]
async fn oracle_zola_paths() {
    zola_site("zola-paths", 6, 1).await;
}

/// `[slugify] paths = "safe"` and `paths_keep_dates`, a second language served under `/fr/`,
/// a file named with the default language's code, a name dated to the second, `slug` and
/// `aliases` (one without a leading `/`).
#[tokio::test]
async fn oracle_zola_config() {
    zola_site("zola-config", 8, 2).await;
}

/// `[slugify] paths = "off"`: names and slugs as written.
#[tokio::test]
async fn oracle_zola_off() {
    zola_site("zola-off", 2, 0).await;
}
