//! What a file's name and an old site's rules make of it: every old address the shared crate
//! gives (Jekyll's; Hugo's and Zola's are the importer's) is a path in its one stored form, and
//! that form is stable.
#![no_main]

use blog_shared::content::file_names::{dated, split_jekyll_name};
use blog_shared::content::frontmatter::{parse, split};
use blog_shared::content::permalinks::{Generator, OldFile, OldSite, old_urls};
use blog_shared::paths::old_address;
use libfuzzer_sys::fuzz_target;
use time::macros::datetime;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The first line is the file's path, the rest its front matter's YAML.
    let (path, yaml) = text.split_once('\n').unwrap_or((text, ""));
    let _ = split_jekyll_name(path);
    let _ = dated(path, b"-_");
    let once = old_address(path);
    assert_eq!(old_address(&once), once, "one stored form");
    let source = format!("---\n{yaml}\n---\n");
    let Ok(meta) = split(&source).and_then(|d| parse(&d)) else {
        return;
    };
    for generator in [Generator::Jekyll, Generator::Hugo, Generator::Zola] {
        let mut site = OldSite::new(generator);
        site.jekyll_permalink = meta.permalink.clone();
        let file = OldFile {
            path,
            meta: &meta,
            title: meta.title.as_deref().unwrap_or("A title"),
            date: datetime!(2015-05-15 10:00 +2),
        };
        for url in old_urls(&site, &file) {
            assert!(url.starts_with('/'), "{url}");
            assert_eq!(old_address(&url), url, "stored form of {url}");
        }
    }
});
