//! Where a reference leads: the one resolver of a post's references to local files, for
//! `blog publish` and `blog import` alike (site-root paths under the static folders, paths
//! beside the post, paths relative to the post's old address), within the site's folder.

use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use blog_shared::content::media::Reference;
use blog_shared::model::MediaFile;
use blog_shared::model::media::MEDIA_TYPES;
use percent_encoding::percent_decode_str;

use super::MARKDOWN_EXTENSIONS;

/// Other extensions real files of the types the blog serves take ([`MEDIA_TYPES`] names one
/// per type).
pub(super) const EXTENSION_ALIASES: &[&str] = &["jpeg", "tgz"];

/// Extensions of files the blog refuses to publish because their camera metadata (a phone's
/// location among it) cannot be stripped: a reference to one fails the post, saying why.
pub(super) const UNSTRIPPABLE_EXTENSIONS: &[&str] = &["avif", "mp4", "webm", "mov", "m4v"];

/// Whether a file named `….{extension}` (lower case) is meant as one of the post's files: an
/// unresolved link to one is an error rather than a link to a page of the old site, and one
/// whose bytes are of no type the blog serves fails the post rather than staying a link.
pub(super) fn is_media_extension(extension: &str) -> bool {
    MEDIA_TYPES.iter().any(|(_, e)| *e == extension)
        || EXTENSION_ALIASES.contains(&extension)
        || UNSTRIPPABLE_EXTENSIONS.contains(&extension)
}

/// Extensions of pages (besides [`MARKDOWN_EXTENSIONS`]): a link to one is a link, never a file
/// to upload.
pub(super) const PAGE_EXTENSIONS: &[&str] = &["html", "htm"];

/// The roots as absolute, normalised paths, and the Markdown file's folder.
pub(super) struct Resolved {
    pub(super) site: PathBuf,
    pub(super) statics: Vec<PathBuf>,
    pub(super) base: String,
    /// [`super::Roots::served`]: each address as its segments.
    pub(super) served: Vec<(Vec<String>, PathBuf)>,
    pub(super) folder: PathBuf,
}

/// A reference's file.
pub(super) struct Found {
    /// Where it was found, as the reference names it (its name is the file's).
    pub(super) path: PathBuf,
    /// `path` with every symbolic link resolved: what is read.
    pub(super) real: PathBuf,
    pub(super) site_path: String,
    /// Whether it may be left a link if its bytes are of no type the blog serves: a link
    /// (not an image) whose name does not say it is one of the blog's files.
    pub(super) optional: bool,
}

/// A file prepared once, for every reference that names it.
pub(super) struct Stored {
    pub(super) site_path: String,
    pub(super) file: MediaFile,
    pub(super) variants: Vec<MediaFile>,
}

/// What a reference leads to.
pub(super) enum Lookup {
    /// A file within the site.
    File(Found),
    /// A link to a page, or to nothing that looks like a file: left as written.
    NotAFile,
    /// A file the folder does not hold: the places looked in, as the author knows them.
    Missing(Vec<String>),
}

/// The file a reference names, [`Lookup::NotAFile`] for a link to a page (or to nothing that
/// looks like a file), [`Lookup::Missing`] for an image or a file's link that leads to nothing
/// in the site's folder, or an error naming the post and the reference when it leads to a file
/// outside that folder.
pub(super) fn locate(
    post: &str,
    reference: &Reference,
    old_url: Option<&str>,
    roots: &Resolved,
) -> Result<Lookup> {
    let url = reference.url.trim();
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let decoded = percent_decode_str(path)
        .decode_utf8_lossy()
        .replace('\\', "/");
    if decoded.is_empty() {
        return Ok(Lookup::NotAFile);
    }
    let extension = decoded
        .rsplit('/')
        .next()
        .and_then(|name| name.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let looks_like_file = reference.image || is_media_extension(&extension);

    let mut candidates: Vec<(PathBuf, &Path)> = Vec::new();
    let mut outside = None;
    if decoded.starts_with('/') {
        root_candidates(&decoded, roots, &mut candidates);
    } else {
        let beside = normalise(&roots.folder.join(&decoded));
        if beside.starts_with(&roots.site) {
            candidates.push((beside, &roots.site));
        } else {
            outside = Some(beside);
        }
        if let Some(old_url) = old_url {
            root_candidates(&resolve_url(old_url, &decoded), roots, &mut candidates);
        }
    }

    let Some((found, root)) = candidates.iter().find(|(c, _)| c.is_file()) else {
        if let Some(outside) = &outside
            && outside.is_file()
        {
            bail!(
                "{post} references `{url}`, which points outside the site's folder {} (to {})",
                roots.site.display(),
                outside.display()
            );
        }
        if !looks_like_file {
            return Ok(Lookup::NotAFile);
        }
        // Where it leads outside the folder is worth saying only when nothing else was tried
        // (against an old address, the relative path beside the post means nothing).
        let looked = outside
            .iter()
            .filter(|_| candidates.is_empty())
            .map(|o| format!("{} (outside the site's folder)", o.display()))
            .chain(candidates.iter().map(|(c, _)| shown(c, &roots.site)))
            .collect();
        return Ok(Lookup::Missing(looked));
    };
    let page = PAGE_EXTENSIONS.contains(&extension.as_str())
        || MARKDOWN_EXTENSIONS.contains(&extension.as_str());
    if !reference.image && page {
        return Ok(Lookup::NotAFile);
    }
    let relative = found
        .strip_prefix(&roots.site)
        .or_else(|_| found.strip_prefix(root))
        .map_err(|_| anyhow!("{post} references `{url}`, found outside the site's folder"))?;
    Ok(Lookup::File(Found {
        path: found.clone(),
        real: found.clone(),
        site_path: slashed(relative),
        optional: !looks_like_file,
    }))
}

/// Where a site-root path (`/images/x.png`) may be: in each static folder, then in the site's.
/// `..` stops at the root, as in a browser.
pub(super) fn root_candidates<'r>(
    path: &str,
    roots: &'r Resolved,
    into: &mut Vec<(PathBuf, &'r Path)>,
) {
    let segments = segments(path);
    if segments.is_empty() {
        return;
    }
    for (address, folder) in &roots.served {
        if let Some(rest) = segments.strip_prefix(address.as_slice())
            && !rest.is_empty()
        {
            into.push((folder.join(rest.iter().collect::<PathBuf>()), &roots.site));
        }
    }
    let relative: PathBuf = segments.iter().collect();
    for root in roots.statics.iter().chain([&roots.site]) {
        into.push((root.join(&relative), root.as_path()));
    }
    // Below the old site's base path, the same path without it.
    let base = self::segments(&roots.base);
    if !base.is_empty() && segments.len() > base.len() && segments.starts_with(&base) {
        let below: PathBuf = segments[base.len()..].iter().collect();
        for root in roots.statics.iter().chain([&roots.site]) {
            into.push((root.join(&below), root.as_path()));
        }
    }
}

/// A site-root path's segments, `.` and `..` followed (`..` stops at the root, as in a browser).
pub(super) fn segments(path: &str) -> Vec<String> {
    let mut segments: Vec<String> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other.to_owned()),
        }
    }
    segments
}

/// A path with its percent-encoding undone.
pub(super) fn percent_decode(path: &str) -> String {
    percent_decode_str(path).decode_utf8_lossy().into_owned()
}

/// A relative reference resolved against a page's address as a browser would, as a site-root
/// path (`../../../images/x.png` against `/2015/05/15/name.html` → `/images/x.png`).
pub(super) fn resolve_url(base: &str, relative: &str) -> String {
    let base = match base.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => base,
    };
    let base = base.split(['?', '#']).next().unwrap_or_default();
    let folder = base.rsplit_once('/').map_or("", |(folder, _)| folder);
    format!("{folder}/{relative}")
}

/// An absolute path, `.` and `..` resolved lexically (symbolic links are not followed).
pub(super) fn absolute(path: &Path) -> Result<PathBuf> {
    let path = std::path::absolute(path)
        .with_context(|| format!("cannot make {} an absolute path", path.display()))?;
    Ok(normalise(&path))
}

/// `path` with `.` and `..` resolved lexically.
pub(super) fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push(component);
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// A relative path with `/` between its parts, whatever the platform.
pub(super) fn slashed(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// A path as the author knows it: relative to the site's folder when within it.
pub(super) fn shown(path: &Path, site: &Path) -> String {
    match path.strip_prefix(site) {
        Ok(relative) => slashed(relative),
        Err(_) => path.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::super::raster::variant_name;

    use blog_test_images::{jpeg, png};

    use super::super::testing::*;
    use super::*;

    #[test]
    fn references_resolve_beside_the_post_under_static_folders_and_against_old_urls() {
        let site = Site::new();
        site.write("content/posts/bundle/diagram.png", &png(20, 10));
        site.write("static/images/shot.png", &png(30, 10));
        site.write("images/Arch Diagram.PNG", &png(40, 10));
        site.write("images/photo.jpg", &jpeg(50, 10));
        let bundle = site.post(
            "content/posts/bundle/index.md",
            "![d](diagram.png) ![s](/images/shot.png?v=2#x) ![a](/images/Arch%20Diagram.PNG)",
        );
        let media = site.prepare(&bundle, None, &["static"]).unwrap();
        let found: Vec<(&str, &str, &str)> = media
            .refs
            .iter()
            .map(|r| {
                (
                    r.reference.as_str(),
                    r.site_path.as_str(),
                    r.file.name.as_str(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (
                    "diagram.png",
                    "content/posts/bundle/diagram.png",
                    "diagram.png"
                ),
                (
                    "/images/shot.png?v=2#x",
                    "static/images/shot.png",
                    "shot.png"
                ),
                (
                    "/images/Arch%20Diagram.PNG",
                    "images/Arch Diagram.PNG",
                    "arch-diagram.png"
                ),
            ]
        );
        assert_eq!(media.refs[0].file.width, Some(20));
        assert_eq!(media.files.len(), 3);

        // Jekyll: relative to the post's old address, not to `_posts/`; the same file under
        // two spellings is prepared once.
        let post = site.post(
            "_posts/2015-05-15-name.md",
            "![p](../../../images/photo.jpg) ![again](/images/photo.jpg)",
        );
        let media = site
            .prepare(&post, Some("/2015/05/15/name.html"), &[])
            .unwrap();
        assert_eq!(media.refs.len(), 2);
        assert_eq!(media.refs[0].site_path, "images/photo.jpg");
        assert_eq!(media.refs[0].file, media.refs[1].file);
        assert_eq!(media.files.len(), 1);
        assert_eq!(media.files[0].file.media_type, "image/jpeg");

        // Without the old address, the same reference leads outside the site, where nothing
        // is: the one it names (`/images/photo.jpg`) is still found.
        let media = site.prepare(&post, None, &[]).unwrap();
        assert_eq!(media.refs.len(), 1);
        assert_eq!(media.missing.len(), 1);
        let message = media.missing[0].to_string();
        assert!(
            message.starts_with(
                "_posts/2015-05-15-name.md references `../../../images/photo.jpg`, which is not a file"
            ),
            "{message}"
        );
        assert!(message.contains("(outside the site's folder)"), "{message}");

        // A file that is there, outside the site's folder, is never read: the post fails.
        let name = format!("{}.png", site.root().file_name().unwrap().to_string_lossy());
        let outside = site.root().parent().unwrap().join(&name);
        fs::write(&outside, png(10, 10)).unwrap();
        let post = site.post("posts/y.md", &format!("![s](../../{name})"));
        let message = error(site.prepare(&post, None, &[]));
        fs::remove_file(&outside).unwrap();
        assert!(
            message.contains("points outside the site's folder"),
            "{message}"
        );
    }

    #[test]
    fn a_missing_image_is_listed_by_name_and_the_rest_prepared() {
        let site = Site::new();
        site.write("posts/there.png", &png(20, 10));
        let post = site.post(
            "posts/x.md",
            "Intro.\n\n![Arch](diagram.png) ![t](there.png) ![again](diagram.png)",
        );
        let media = site.prepare(&post, None, &[]).unwrap();
        assert_eq!(media.refs.len(), 1);
        assert_eq!(media.refs[0].reference, "there.png");
        let listed: Vec<String> = media.missing.iter().map(ToString::to_string).collect();
        assert_eq!(
            listed,
            [
                "posts/x.md references `diagram.png`, which is not a file (looked in posts/diagram.png)"
            ]
        );
        let text = std::fs::read_to_string(&post).unwrap();
        let roots = crate::prepare::Roots {
            site: site.root().to_owned(),
            statics: Vec::new(),
            base: String::new(),
            served: Vec::new(),
        };
        assert_eq!(
            crate::prepare::missing_files(&post, &text, None, &roots).unwrap(),
            media.missing
        );
    }

    #[test]
    fn page_links_are_left_alone_and_file_links_are_found() {
        let site = Site::new();
        site.write(
            "files/talk.pdf",
            b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
        );
        site.write("posts/other.md", b"---\ntitle: O\n---\n");
        fs::create_dir_all(site.root().join("posts/folder")).unwrap();
        let post = site.post(
            "posts/x.md",
            "[slides](/files/talk.pdf) [other](other.md) [old](/2015/05/15/old.html) \
             [about](/about/) [folder](folder) [tag](../tags/rust) <a href=\"other.md#top\">o</a>",
        );
        let media = site.prepare(&post, None, &[]).unwrap();
        assert_eq!(media.refs.len(), 1);
        assert_eq!(media.refs[0].reference, "/files/talk.pdf");
        assert_eq!(media.refs[0].file.media_type, "application/pdf");
        assert_eq!(media.refs[0].file.name, "talk.pdf");
        assert_eq!(media.refs[0].file.width, None);

        let post = site.post("posts/y.md", "[slides](/files/missing.pdf)");
        let media = site.prepare(&post, None, &[]).unwrap();
        assert_eq!(media.missing.len(), 1);
        assert_eq!(media.missing[0].reference, "/files/missing.pdf");
        assert_eq!(media.missing[0].looked, ["files/missing.pdf"]);
    }

    #[test]
    fn links_to_files_the_blog_does_not_serve_stay_links() {
        let site = Site::new();
        site.write("posts/data.csv", b"year,count\n2015,3\n");
        site.write("posts/main.rs", b"fn main() {}\n");
        site.write(
            "feed.xml",
            b"<?xml version=\"1.0\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"/>\n",
        );
        site.write(
            "files/talk.pdf",
            b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
        );
        // What a file is, its bytes say: a PNG named `.bin` is uploaded as a PNG.
        site.write("posts/shot.bin", &png(20, 10));
        let post = site.post(
            "posts/x.md",
            "[data](data.csv) [src](main.rs) [feed](/feed.xml) [slides](/files/talk.pdf) \
             [shot](shot.bin) <a href=\"data.csv\">again</a>",
        );
        let media = site.prepare(&post, None, &[]).unwrap();
        let found: Vec<(&str, &str)> = media
            .refs
            .iter()
            .map(|r| (r.reference.as_str(), r.file.name.as_str()))
            .collect();
        assert_eq!(
            found,
            [("/files/talk.pdf", "talk.pdf"), ("shot.bin", "shot.png")]
        );
        assert_eq!(media.files.len(), 2);

        // A name that says it is one of the blog's files, bytes that are something else.
        site.write(
            "posts/fake.pdf",
            b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        );
        let post = site.post("posts/y.md", "[doc](fake.pdf)");
        let message = error(site.prepare(&post, None, &[]));
        assert!(message.contains("references `fake.pdf`"), "{message}");
        assert!(message.contains("posts/fake.pdf"), "{message}");
        assert!(message.contains("text/html"), "{message}");

        // An image is always a file to publish.
        let post = site.post("posts/z.md", "[data](data.csv) ![chart](data.csv)");
        let message = error(site.prepare(&post, None, &[]));
        assert!(message.contains("references `data.csv`"), "{message}");
        assert!(message.contains("posts/data.csv"), "{message}");
        assert!(
            message.contains("not a file type the blog serves"),
            "{message}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn symbolic_links_may_not_lead_outside_the_site() {
        let site = Site::new();
        let elsewhere = tempfile::tempdir().unwrap();
        let secret = elsewhere.path().join("secret.png");
        fs::write(&secret, png(20, 10)).unwrap();
        fs::write(elsewhere.path().join("secret.csv"), b"a,b\n").unwrap();
        site.write("images/real.png", &png(30, 10));
        fs::create_dir_all(site.root().join("posts")).unwrap();
        std::os::unix::fs::symlink(&secret, site.root().join("posts/pic.png")).unwrap();
        std::os::unix::fs::symlink(
            elsewhere.path().join("secret.csv"),
            site.root().join("posts/data.csv"),
        )
        .unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), site.root().join("posts/linked")).unwrap();
        std::os::unix::fs::symlink(
            site.root().join("images/real.png"),
            site.root().join("posts/alias.png"),
        )
        .unwrap();

        for (body, reference) in [
            ("![p](pic.png)", "pic.png"),
            ("![p](linked/secret.png)", "linked/secret.png"),
            ("[d](data.csv)", "data.csv"),
        ] {
            let post = site.post("posts/x.md", body);
            let message = error(site.prepare(&post, None, &[]));
            assert!(
                message.contains(&format!("references `{reference}`")),
                "{message}"
            );
            assert!(message.contains("leads outside the site"), "{message}");
        }

        // A link within the site is followed; the file keeps the name the post gives it.
        let post = site.post("posts/y.md", "![a](alias.png) ![r](/images/real.png)");
        let media = site.prepare(&post, None, &[]).unwrap();
        assert_eq!(media.refs.len(), 2);
        assert_eq!(media.refs[0].file.name, "alias.png");
        assert_eq!(media.refs[0].file.sha256, media.refs[1].file.sha256);
        assert_eq!(media.refs[0].site_path, "posts/alias.png");
    }

    #[test]
    fn old_urls_resolve_like_a_browser() {
        assert_eq!(
            resolve_url("/2015/05/15/name.html", "../../../images/x.png"),
            "/2015/05/15/../../../images/x.png"
        );
        let roots = Resolved {
            site: PathBuf::from("/site"),
            statics: vec![PathBuf::from("/site/static")],
            base: String::new(),
            served: Vec::new(),
            folder: PathBuf::from("/site/_posts"),
        };
        let mut found = Vec::new();
        root_candidates(
            &resolve_url("https://old.example/a/b.html", "../../../../x.png"),
            &roots,
            &mut found,
        );
        let paths: Vec<&Path> = found.iter().map(|(p, _)| p.as_path()).collect();
        assert_eq!(
            paths,
            [Path::new("/site/static/x.png"), Path::new("/site/x.png")]
        );
        assert_eq!(
            variant_name("diagram", 960, "image/webp"),
            "diagram-960w.webp"
        );
        assert_eq!(variant_name(&"a".repeat(96), 1600, "image/jpeg").len(), 100);
    }

    #[test]
    fn media_extensions_follow_the_types_the_blog_serves() {
        for (_, extension) in MEDIA_TYPES {
            assert!(is_media_extension(extension), "{extension}");
        }
        for extension in ["jpeg", "tgz", "avif", "mp4", "webm"] {
            assert!(is_media_extension(extension), "{extension}");
        }
        for extension in ["csv", "rs", "xml", "html", "md", ""] {
            assert!(!is_media_extension(extension), "{extension}");
        }
    }

    #[test]
    fn front_matter_that_cannot_be_split_gives_no_files() {
        let site = Site::new();
        let post = site.write("posts/x.md", b"no front matter\n\n![x](missing.png)\n");
        let media = site.prepare(&post, None, &[]).unwrap();
        assert!(media.refs.is_empty() && media.files.is_empty());
    }
}
