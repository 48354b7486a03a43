//! A post's files, prepared on the author's machine before anything is uploaded: every local
//! file its Markdown references (`![](diagram.png)`, `[slides](/files/talk.pdf)`, raw `<img>`
//! and `<a>`) found, checked and described, so that the server only has to compare bytes with
//! hashes.
//!
//! - What a file is, its bytes decide (`sniff`), never its name; an image's size in pixels
//!   is read from its header and checked before anything decodes it (a tiny file can declare
//!   50,000 × 50,000 pixels).
//! - A published original carries no EXIF, XMP or IPTC (camera and location data), nor what a
//!   phone appends after a JPEG's end (Multi-Picture images, motion-photo videos); a JPEG whose
//!   end cannot be found is re-encoded from its pixels. A JPEG that EXIF said to rotate is
//!   re-encoded upright, since nothing would rotate it any more. AVIF images and videos, whose
//!   metadata cannot be stripped, are refused.
//! - A JPEG, PNG or WebP wider than 480 pixels gets narrower copies for `srcset`: 480, 960 and
//!   1600 pixels wide, never wider than itself, each in its own format and, when smaller, in
//!   WebP too.
//! - What preparing an image makes is kept in a local cache (`cache.rs`), keyed by the SHA-256
//!   of its bytes, its name and its pipeline's version: publishing again reads and hashes each
//!   image but decodes, resizes and encodes none that did not change.
//!
//! Its parts, in the order a file meets them: `locate` (reference → file), `read` (read and
//! type), `strip` (metadata), `raster` (upright, variants), `cache` (what was made, kept).

mod cache;
mod locate;
mod raster;
mod read;
mod strip;
#[cfg(test)]
mod testing;

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use blog_shared::content::frontmatter;
use blog_shared::content::media::{Reference, references};
use blog_shared::model::media::check_post_media;
use blog_shared::model::{MediaFile, MediaRef};
use blog_shared::store::blobs::sha256_hex;

use cache::{Cache, cache_location};
use locate::{Lookup, Resolved, Stored, absolute, percent_decode, segments, shown};
use read::prepare_file;

/// The extensions of Markdown files, which `blog publish` and `blog import` read as posts (as
/// Hugo does): a link to one is a link to a page.
pub const MARKDOWN_EXTENSIONS: &[&str] = &["md", "markdown", "mdown"];

/// Where a post's files are looked for.
#[derive(Debug, Clone)]
pub struct Roots {
    /// The folder published (publish) or the site's root (import): `site_path`s are relative to it.
    pub site: PathBuf,
    /// Where site-root paths (`/images/x.png`) resolve, first match wins: Jekyll's root; Hugo's
    /// and Zola's `static/` (callers fill this). The site folder itself is tried after them.
    pub statics: Vec<PathBuf>,
    /// The path the old site was served under (Jekyll's `baseurl`, `/blog`), empty for its
    /// root: a site-root path below it (`/blog/images/x.png`) is looked for without it too.
    pub base: String,
    /// Folders served at an address of their own, tried first: (the address, `/2024/03/21/x/`;
    /// the folder). Zola serves a page bundle's files at its page's address.
    pub served: Vec<(String, PathBuf)>,
}

/// A file to upload: its description and its bytes.
pub struct Prepared {
    /// What the server is told about it.
    pub file: MediaFile,
    /// Its bytes, whose SHA-256 `file.sha256` is.
    pub bytes: Vec<u8>,
}

impl fmt::Debug for Prepared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prepared")
            .field("file", &self.file)
            .field("bytes", &format_args!("{} bytes", self.bytes.len()))
            .finish()
    }
}

/// What a post needs stored.
#[derive(Debug, Default)]
pub struct PostMedia {
    /// Every reference to a local file, in the order the post makes them, each once.
    pub refs: Vec<MediaRef>,
    /// Every file those references need (originals and variants), each `(sha256, name)` once.
    pub files: Vec<Prepared>,
    /// Every image, and every link to one of the blog's file types, that leads to no file in
    /// the folder: published as written (the server leaves a reference it has no file for
    /// alone), or the post refused, as the command decides.
    pub missing: Vec<MissingFile>,
}

/// A reference to a file the folder does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingFile {
    /// The post, as the author knows it (its path within the folder).
    pub post: String,
    /// The reference as the post writes it.
    pub reference: String,
    /// Where it was looked for.
    pub looked: Vec<String>,
}

impl fmt::Display for MissingFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} references `{}`, which is not a file (looked in {})",
            self.post,
            self.reference,
            self.looked.join(", ")
        )
    }
}

/// One file's final bytes, before they are described.
struct Encoded {
    name: String,
    media_type: &'static str,
    bytes: Vec<u8>,
    size: Option<(u32, u32)>,
}

impl Encoded {
    fn describe(&self) -> MediaFile {
        MediaFile {
            sha256: sha256_hex(&self.bytes),
            name: self.name.clone(),
            media_type: self.media_type.to_owned(),
            size: self.bytes.len() as u64,
            width: self.size.map(|(w, _)| w),
            height: self.size.map(|(_, h)| h),
        }
    }

    fn prepared(self) -> Prepared {
        Prepared {
            file: self.describe(),
            bytes: self.bytes,
        }
    }
}

/// Finds, checks and prepares every local file the post at `markdown_path` (source text
/// `source`) references.
///
/// `old_url`: the post's address on the old site (import only, like `/2015/05/15/name.html`),
/// for references written relative to it.
///
/// A reference is resolved, first match wins: a site-root path (`/images/x.png`) in each of
/// `roots.statics`, then in `roots.site`; a relative one next to the Markdown file (Hugo's
/// page bundles, Zola's colocated files), then, with `old_url`, against that address as a
/// browser would, and that as a site-root path. An image that resolves to no file, and a link
/// that does not but looks like a file (`.pdf`, `.zip`, `.png`…), is listed in
/// [`PostMedia::missing`] (the caller publishes or refuses the post); other unresolved links,
/// and links to pages (`.md`, `.html`, folders), are left alone. So is a link to a file of a
/// type the blog does not serve (`data.csv`, `main.rs`, `/feed.xml`), unless its name says it
/// is one of the blog's types (an HTML page renamed `.pdf` fails), or its bytes are an AVIF
/// image or a video (which fail, saying why). A file that exists outside the site's folder
/// fails the post (it is never read). A file found through a
/// symbolic link that leads outside the site's folder fails the post.
/// Front matter that cannot be split gives no files: the server refuses the post by name.
///
/// Prepared images are cached in [`cache_location`]'s folder; without a usable one, every
/// image is prepared each time.
pub fn prepare_post(
    markdown_path: &Path,
    source: &str,
    old_url: Option<&str>,
    roots: &Roots,
) -> Result<PostMedia> {
    let cache = cache_location(|name| std::env::var_os(name));
    prepare_post_with_cache(markdown_path, source, old_url, roots, cache.as_deref())
}

/// [`prepare_post`], with prepared images cached in `cache` (created if missing), or not at
/// all with None or a folder that cannot be made.
fn prepare_post_with_cache(
    markdown_path: &Path,
    source: &str,
    old_url: Option<&str>,
    roots: &Roots,
    cache: Option<&Path>,
) -> Result<PostMedia> {
    let cache = cache.and_then(Cache::open);
    let Ok(document) = frontmatter::split(source) else {
        return Ok(PostMedia::default());
    };
    let (post, roots) = resolve_roots(markdown_path, roots)?;
    // The site's folder with every symbolic link resolved, for what a found file really is.
    let real_site = fs::canonicalize(&roots.site);

    let mut media = PostMedia::default();
    let mut done: HashMap<PathBuf, Stored> = HashMap::new();
    let mut uploaded: HashSet<(String, String)> = HashSet::new();
    let mut written: HashSet<String> = HashSet::new();
    for reference in references(document.body) {
        if written.contains(&reference.url) {
            continue;
        }
        let mut found = match locate::locate(&post, &reference, old_url, &roots)? {
            Lookup::File(found) => found,
            Lookup::NotAFile => continue,
            Lookup::Missing(looked) => {
                written.insert(reference.url.clone());
                media.missing.push(MissingFile {
                    post: post.clone(),
                    reference: reference.url,
                    looked,
                });
                continue;
            }
        };
        // Reading follows symbolic links: where one leads is what must be within the site.
        let real_site = real_site.as_ref().map_err(|e| {
            anyhow!(
                "cannot resolve the site's folder {}: {e}",
                roots.site.display()
            )
        })?;
        found.real = fs::canonicalize(&found.path)
            .with_context(|| format!("{post} references `{}`", reference.url))?;
        if !found.real.starts_with(real_site) {
            bail!(
                "{post} references `{}` ({}), which leads outside the site's folder {} (to {})",
                reference.url,
                found.site_path,
                roots.site.display(),
                found.real.display()
            );
        }
        let stored = match done.entry(found.real.clone()) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                let prepared = prepare_file(&found, cache.as_ref()).with_context(|| {
                    format!(
                        "{post} references `{}` ({})",
                        reference.url, found.site_path
                    )
                })?;
                let Some((stored, files)) = prepared else {
                    // A link to a file the blog does not serve (`data.csv`): left a link.
                    continue;
                };
                for file in files {
                    if uploaded.insert((file.file.sha256.clone(), file.file.name.clone())) {
                        media.files.push(file);
                    }
                }
                entry.insert(stored)
            }
        };
        written.insert(reference.url.clone());
        media.refs.push(MediaRef {
            reference: reference.url,
            site_path: stored.site_path.clone(),
            file: stored.file.clone(),
            variants: stored.variants.clone(),
        });
    }
    check_post_media(&media.refs).with_context(|| format!("{post}: its files"))?;
    Ok(media)
}

/// Every reference of the post at `markdown_path` (source text `source`) to a file the folder
/// does not hold, found as [`prepare_post`] finds them, without reading any file: what a dry
/// run and an export report.
pub fn missing_files(
    markdown_path: &Path,
    source: &str,
    old_url: Option<&str>,
    roots: &Roots,
) -> Result<Vec<MissingFile>> {
    let Ok(document) = frontmatter::split(source) else {
        return Ok(Vec::new());
    };
    let (post, roots) = resolve_roots(markdown_path, roots)?;
    let mut missing: Vec<MissingFile> = Vec::new();
    for reference in references(document.body) {
        if missing.iter().any(|m| m.reference == reference.url) {
            continue;
        }
        if let Lookup::Missing(looked) = locate::locate(&post, &reference, old_url, &roots)? {
            missing.push(MissingFile {
                post: post.clone(),
                reference: reference.url,
                looked,
            });
        }
    }
    Ok(missing)
}

/// The file, as a path within `roots.site`, that the reference `url` of the post at
/// `markdown_path` leads to as [`prepare_post`] resolves an image's, if it leads to one.
pub fn located(markdown_path: &Path, url: &str, roots: &Roots) -> Result<Option<String>> {
    let (post, roots) = resolve_roots(markdown_path, roots)?;
    let reference = Reference {
        url: url.to_owned(),
        image: true,
    };
    Ok(match locate::locate(&post, &reference, None, &roots) {
        Ok(Lookup::File(found)) => Some(found.site_path),
        _ => None,
    })
}

/// The post as the author knows it, and the roots as absolute, normalised paths.
fn resolve_roots(markdown_path: &Path, roots: &Roots) -> Result<(String, Resolved)> {
    let site = absolute(&roots.site)?;
    let statics = roots
        .statics
        .iter()
        .map(|s| absolute(s))
        .collect::<Result<Vec<_>>>()?;
    let markdown = absolute(markdown_path)?;
    let post = shown(&markdown, &site);
    let folder = markdown.parent().map(Path::to_path_buf).unwrap_or_default();
    let served = roots
        .served
        .iter()
        .map(|(address, folder)| Ok((segments(&percent_decode(address)), absolute(folder)?)))
        .collect::<Result<Vec<_>>>()?;
    Ok((
        post,
        Resolved {
            site,
            statics,
            base: roots.base.clone(),
            served,
            folder,
        },
    ))
}
