//! Zola imports judged by Zola itself: Zola is neither packaged nor on crates.io, so each Zola
//! fixture site's output was recorded once by a real Zola (`scripts/zola-goldens`, the version
//! in `tests/fixtures/import/zola-golden/ZOLA_VERSION`); each site is imported with
//! `blog import` and every post page of its recorded output is checked by the oracle.

use std::path::{Path, PathBuf};

use blog_shared::store::blobs::sha256_hex;
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
    assert_eq!(
        recorded_sources(name),
        Some(sources(&site)),
        "{name} changed since Zola's output of it was recorded: run scripts/zola-goldens"
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

/// The digest `scripts/zola-goldens` recorded for the site `name` in `ZOLA_VERSION`.
fn recorded_sources(name: &str) -> Option<String> {
    let version = std::fs::read_to_string(fixture("import/zola-golden/ZOLA_VERSION")).ok()?;
    version.lines().find_map(|line| {
        let rest = line.strip_prefix("site ")?;
        let (site, digest) = rest.split_once(' ')?;
        (site == name).then(|| digest.to_owned())
    })
}

/// The site's files as `scripts/zola-goldens` digests them: the SHA-256 of one line per file
/// (symbolic links followed), `SHA256 ./path`, in byte order of their paths.
fn sources(site: &Path) -> String {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, files);
            } else {
                files.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(site, &mut files);
    let mut lines: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|file| {
            let relative = file.strip_prefix(site).unwrap().to_string_lossy();
            (format!("./{relative}"), std::fs::read(file).unwrap())
        })
        .collect();
    lines.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let listing: String = lines
        .iter()
        .map(|(path, bytes)| format!("{} {path}\n", sha256_hex(bytes)))
        .collect();
    sha256_hex(listing.as_bytes())
}
