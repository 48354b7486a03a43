//! `blog export DIR`: every post written back out as the Markdown that was uploaded, drafts and
//! scheduled posts included, each at the path it was published from, into a folder that
//! `blog publish` takes back. What the blog made of a file beyond its text is written into its
//! front matter, so that publishing the folder again gives the same posts: the slug it has now,
//! every old address (`aliases`), and its date, categories and authors where an import read
//! them from elsewhere than the front matter. Each post's files are written at their paths
//! within the folder, and a reference that reached one relative to the old site's address
//! (`../../../images/x.png`) is written as the file's place relative to the exported post; a
//! post that references a file the blog does not hold is listed (`blog publish
//! --allow-missing` takes it back).

use std::collections::{BTreeMap, HashSet};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result};
use blog_shared::content::frontmatter::{self, Format};
use blog_shared::content::media::rewrite_references;
use blog_shared::content::parse_post;
use blog_shared::http::ingest::{ExportPage, ExportedPost};
use blog_shared::model::{MediaFile, Slug};
use blog_shared::store::blobs::sha256_hex;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_json::{Value, json};

use crate::api::{Upload, Uploader, refusal};
use crate::prepare::{located, missing_files};

/// How long one file's download may take.
const DOWNLOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// What an export wrote.
pub struct Exported {
    /// How many posts.
    pub posts: usize,
    /// How many of them reference files the blog does not hold (listed as they were written).
    pub with_missing_files: usize,
}

/// Writes every post of the blog behind `uploader` into `dir`, each post's files at their
/// paths within it. `dir` is new or empty: nothing in it is ever overwritten.
pub async fn export(uploader: &Uploader, dir: &Path) -> Result<Exported> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let holds_something = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .next()
        .is_some();
    anyhow::ensure!(
        !holds_something,
        "{} is not empty: export into a new or empty folder, so that nothing in it is overwritten",
        dir.display()
    );
    let posts = stored_posts(uploader).await?;
    // Every file first: which file a reference leads to depends on every file in the folder
    // (`/images/x.png` is looked for in `static/` before the root).
    let mut files: HashSet<PathBuf> = HashSet::new();
    for post in &posts {
        for media in &post.media {
            let Some(relative) = plain_relative(&media.site_path) else {
                eprintln!(
                    "not exported: {} (used by {}) has no plain path",
                    media.site_path, post.slug
                );
                continue;
            };
            let file = dir.join(relative);
            if files.insert(file.clone()) {
                download(uploader, &media.file, &file).await?;
            }
        }
    }
    // Where `blog publish` of the folder looks for files.
    let roots = uploader.roots(&Upload {
        root: dir.to_owned(),
        ..Upload::default()
    });
    let mut written: HashSet<PathBuf> = HashSet::new();
    let mut with_missing_files = 0;
    for post in &posts {
        let path = target(dir, post, &written);
        // A reference made relative to the old site's address (`../../../images/x.png`) leads
        // elsewhere from the exported file: it is written as the file's place.
        let mut moved: BTreeMap<String, String> = BTreeMap::new();
        for media in &post.media {
            let Some(relative) = plain_relative(&media.site_path) else {
                continue;
            };
            if located(&path, &media.reference, &roots)?.as_deref()
                != Some(media.site_path.as_str())
            {
                moved.insert(
                    media.reference.clone(),
                    relative_url(&path, dir, relative, &media.reference),
                );
            }
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        let text = rewrite(post, &file_name(&path), &moved)?;
        std::fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
        println!("exported   {} → {}", post.slug, path.display());
        for (old, new) in &moved {
            println!("           `{old}` written as `{new}`");
        }
        let missing = missing_files(&path, &text, None, &roots)?;
        for file in &missing {
            println!(
                "           missing `{}`: the blog holds no file for it",
                file.reference
            );
        }
        with_missing_files += usize::from(!missing.is_empty());
        written.insert(path);
    }
    Ok(Exported {
        posts: written.len(),
        with_missing_files,
    })
}

/// Every stored post, page by page, as the export API gives it.
pub(crate) async fn stored_posts(uploader: &Uploader) -> Result<Vec<ExportedPost>> {
    let mut posts = Vec::new();
    let mut from: Option<String> = None;
    loop {
        let mut url = format!("{}{}", uploader.endpoint(), blog_shared::paths::POSTS);
        if let Some(cursor) = &from {
            url.push_str("?from=");
            url.push_str(
                &percent_encoding::utf8_percent_encode(cursor, percent_encoding::NON_ALPHANUMERIC)
                    .to_string(),
            );
        }
        let request = http::Request::get(url)
            .body(Vec::new())
            .context("building the request")?;
        let response = uploader.execute(request).await?;
        if !response.status().is_success() {
            return Err(refusal(response).await);
        }
        let page: ExportPage = response.json().await.context("reading the export")?;
        posts.extend(page.posts);
        match page.next {
            Some(next) => from = Some(next),
            None => return Ok(posts),
        }
    }
}

/// The reference to the file at `file` (within `dir`) from the post at `post`, relative to the
/// post's folder, each segment percent-encoded where a URL needs it, with what followed the
/// path in `reference` (`?v=2`, `#page=3`).
fn relative_url(post: &Path, dir: &Path, file: &Path, reference: &str) -> String {
    const SEGMENT: &AsciiSet = &CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'<')
        .add(b'>')
        .add(b'?')
        .add(b'(')
        .add(b')')
        .add(b'[')
        .add(b']')
        .add(b'`')
        .add(b'\\');
    let folder: Vec<Component> = post
        .parent()
        .and_then(|p| p.strip_prefix(dir).ok())
        .map(|p| p.components().collect())
        .unwrap_or_default();
    let target: Vec<Component> = file.components().collect();
    let common = folder
        .iter()
        .zip(&target)
        .take_while(|(a, b)| a == b)
        .count();
    let mut segments: Vec<String> = vec!["..".to_owned(); folder.len() - common];
    segments.extend(
        target[common..]
            .iter()
            .map(|c| utf8_percent_encode(&c.as_os_str().to_string_lossy(), SEGMENT).to_string()),
    );
    let suffix = reference.find(['?', '#']).map_or("", |at| &reference[at..]);
    format!("{}{suffix}", segments.join("/"))
}

/// `path` if it is a plain relative path, with nothing that climbs out of the folder.
fn plain_relative(path: &str) -> Option<&Path> {
    let path = Path::new(path);
    (!path.as_os_str().is_empty() && path.components().all(|c| matches!(c, Component::Normal(_))))
        .then_some(path)
}

/// Fetches a stored file (`/media/<sha256>/<name>`) into `target`, the file as uploaded, once
/// its bytes are checked against its SHA-256.
///
/// Files are public: fetched with a plain GET, unsigned, following redirects (without a CDN,
/// a large file redirects to a presigned S3 URL, which the signature's headers would break).
async fn download(uploader: &Uploader, file: &MediaFile, target: &Path) -> Result<()> {
    let path = blog_shared::paths::media_file(file);
    let response = uploader
        .http()
        .get(format!("{}{path}", uploader.endpoint()))
        // A file is up to 25 MB: more time than the API's calls are given.
        .timeout(DOWNLOAD_TIMEOUT)
        .send()
        .await
        .with_context(|| format!("fetching {path}"))?;
    if !response.status().is_success() {
        return Err(refusal(response).await.context(format!("fetching {path}")));
    }
    let bytes = response
        .bytes()
        .await
        .with_context(|| format!("fetching {path}"))?;
    let actual = sha256_hex(&bytes);
    anyhow::ensure!(
        actual == file.sha256,
        "fetching {path}: its bytes hash to {actual}, not to the file's {}; {} not written",
        file.sha256,
        target.display()
    );
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(target, &bytes).with_context(|| format!("writing {}", target.display()))?;
    println!("exported   {path} → {}", target.display());
    Ok(())
}

/// Where a post is written: the path it was published from, if that is a plain relative path
/// not taken already, else `{date}-{slug}.md`.
fn target(dir: &Path, post: &ExportedPost, taken: &HashSet<PathBuf>) -> PathBuf {
    let plain = post.source_path.as_deref().filter(|p| {
        Path::new(p)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
    });
    if let Some(path) = plain.map(|p| dir.join(p))
        && !taken.contains(&path)
    {
        return path;
    }
    // The server's date and slug, read as a date and a slug, so no name leads elsewhere.
    let date = post
        .published
        .get(..10)
        .filter(|d| d.bytes().all(|b| b.is_ascii_digit() || b == b'-'))
        .unwrap_or("undated");
    let slug = Slug::parse(&post.slug).map_or_else(|_| "post".to_owned(), |s| s.to_string());
    let fallback = dir.join(format!("{date}-{slug}.md"));
    (1..)
        .map(|n| match n {
            1 => fallback.clone(),
            n => dir.join(format!("{date}-{slug}-{n}.md")),
        })
        .find(|path| !taken.contains(path))
        .unwrap_or(fallback)
}

fn file_name(path: &Path) -> String {
    // A page bundle's `index.md` is uploaded under its folder's name, as `blog publish` names it.
    crate::api::upload_name(path)
}

/// The source with what the blog made of it written into its front matter, and each reference
/// in `moved` written as its new URL.
fn rewrite(
    post: &ExportedPost,
    file_name: &str,
    moved: &BTreeMap<String, String>,
) -> Result<String> {
    let mut keys: Vec<(&str, Value)> = vec![("slug", json!(post.slug))];
    if !post.old_paths.is_empty() {
        keys.push(("aliases", json!(post.old_paths)));
    }
    // What a plain publish of the source would make; where it differs, say it outright.
    let plain = parse_post(&post.source, Some(file_name)).ok();
    let differs = |f: &dyn Fn(&blog_shared::Post) -> bool| plain.as_ref().is_none_or(|p| !f(p));
    if differs(&|p| blog_shared::dates::rfc3339(p.published) == post.published) {
        keys.push(("date", json!(post.published)));
    }
    if differs(&|p| p.categories.iter().map(|c| &c.name).eq(&post.categories)) {
        keys.push(("categories", json!(post.categories)));
    }
    if differs(&|p| p.authors == post.authors) {
        keys.push(("authors", json!(post.authors)));
    }
    if differs(&|p| p.title == post.title) {
        keys.push(("title", json!(post.title)));
    }
    if differs(&|p| p.draft == post.draft) {
        keys.push(("draft", json!(post.draft)));
    }
    let source = if moved.is_empty() {
        post.source.clone()
    } else {
        let document =
            frontmatter::split(&post.source).context("the stored source has no front matter")?;
        let head = post
            .source
            .strip_suffix(document.body)
            .context("the stored source's body is not its end")?;
        let body = rewrite_references(document.body, |url| moved.get(url).cloned());
        format!("{head}{body}")
    };
    set_keys(&source, &keys)
}

/// `source` with each of `keys` set at the top of its front matter, any earlier value of that
/// key (and of the key it stands for: `author` for `authors`, `category` for `categories`)
/// taken out; the rest of the file as it was.
fn set_keys(source: &str, keys: &[(&str, Value)]) -> Result<String> {
    let document = frontmatter::split(source).context("the stored source has no front matter")?;
    let mut removed: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
    // A key's other spellings go with it: `redirect_from` is `aliases`, and every old address
    // (a `permalink:` among them) is in the `aliases` written.
    for (key, also) in [
        ("authors", "author"),
        ("categories", "category"),
        ("aliases", "redirect_from"),
        ("aliases", "permalink"),
    ] {
        if removed.contains(&key) {
            removed.push(also);
        }
    }
    let (delimiter, assign) = match document.format {
        Format::Yaml => ("---", ": "),
        Format::Toml => ("+++", " = "),
    };
    let mut out = String::with_capacity(source.len() + 256);
    out.push_str(delimiter);
    out.push('\n');
    for (key, value) in keys {
        out.push_str(key);
        out.push_str(assign);
        // JSON's strings, numbers, booleans and arrays are YAML flow values and TOML values.
        out.push_str(&value.to_string());
        out.push('\n');
    }
    out.push_str(&without_keys(
        document.front_matter,
        &removed,
        document.format,
    ));
    out.push_str(delimiter);
    out.push('\n');
    out.push_str(document.body);
    Ok(out)
}

/// Front matter text with the top-level entries of `keys` taken out, continuation lines (an
/// indented YAML list, a TOML array over several lines) included.
fn without_keys(text: &str, keys: &[&str], format: Format) -> String {
    let mut out = String::with_capacity(text.len());
    let mut skipping = false;
    let mut open_brackets = 0i32;
    let mut top_level = true;
    for line in text.lines() {
        let starts_entry = !line.starts_with([' ', '\t', '-']) && !line.trim().is_empty();
        if format == Format::Toml && line.trim_start().starts_with('[') && open_brackets == 0 {
            // A `[table]` header: keys after it are not top-level.
            top_level = false;
        }
        if skipping {
            let continues = match format {
                Format::Yaml => !starts_entry,
                Format::Toml => open_brackets > 0,
            };
            if continues {
                open_brackets += brackets(line);
                continue;
            }
            skipping = false;
        }
        let key = line
            .split([':', '='])
            .next()
            .unwrap_or_default()
            .trim()
            .trim_matches(['"', '\'']);
        if top_level && starts_entry && keys.contains(&key) && line.contains([':', '=']) {
            skipping = true;
            open_brackets = brackets(line.split_once(['=', ':']).map_or("", |(_, v)| v));
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// How many brackets a line opens and does not close.
fn brackets(line: &str) -> i32 {
    line.chars()
        .map(|c| match c {
            '[' => 1,
            ']' => -1,
            _ => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_reached_from_the_exported_post_by_a_relative_path() {
        let dir = Path::new("/out");
        let jekyll = Path::new("/out/_posts/2016-02-03-trip.md");
        assert_eq!(
            relative_url(
                jekyll,
                dir,
                Path::new("images/Photo One.png"),
                "../../../images/Photo%20One.png?v=2#x"
            ),
            "../images/Photo%20One.png?v=2#x"
        );
        let bundle = Path::new("/out/content/posts/b/index.md");
        assert_eq!(
            relative_url(bundle, dir, Path::new("content/posts/b/d (1).png"), "d.png"),
            "d%20%281%29.png"
        );
        assert_eq!(
            relative_url(bundle, dir, Path::new("content/posts/a/x.pdf"), "x.pdf"),
            "../a/x.pdf"
        );
        assert_eq!(
            relative_url(
                Path::new("/out/top.md"),
                dir,
                Path::new("static/i.png"),
                "i"
            ),
            "static/i.png"
        );
    }

    #[test]
    fn keys_are_set_and_their_old_values_taken_out() {
        let yaml = "---\ntitle: x\nslug: old\naliases:\n  - /a\n  - /b\nauthor: A and B\ntags: [t]\n---\nBody\n";
        let out = set_keys(
            yaml,
            &[
                ("slug", json!("new")),
                ("aliases", json!(["/c"])),
                ("authors", json!(["A", "B"])),
            ],
        )
        .unwrap();
        assert_eq!(
            out,
            "---\nslug: \"new\"\naliases: [\"/c\"]\nauthors: [\"A\",\"B\"]\ntitle: x\ntags: [t]\n---\nBody\n"
        );
        let toml = "+++\ntitle = \"x\"\naliases = [\n  \"/a\",\n]\n[taxonomies]\nslug = \"kept\"\n+++\nBody\n";
        let out = set_keys(toml, &[("aliases", json!(["/c"]))]).unwrap();
        assert_eq!(
            out,
            "+++\naliases = [\"/c\"]\ntitle = \"x\"\n[taxonomies]\nslug = \"kept\"\n+++\nBody\n"
        );
    }

    #[test]
    fn the_other_spellings_of_old_addresses_go_with_them() {
        let jekyll = "---\ntitle: x\npermalink: /:categories/:title/\nredirect_from:\n  - /old/\n---\nBody\n";
        let out = set_keys(jekyll, &[("aliases", json!(["/old/", "/x/"]))]).unwrap();
        assert_eq!(
            out,
            "---\naliases: [\"/old/\",\"/x/\"]\ntitle: x\n---\nBody\n"
        );
        assert!(parse_post(&out, Some("2020-01-01-x.md")).is_ok());
    }
}
