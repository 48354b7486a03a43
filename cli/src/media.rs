//! A post's files, prepared on the author's machine before anything is uploaded: every local
//! file its Markdown references (`![](diagram.png)`, `[slides](/files/talk.pdf)`, raw `<img>`
//! and `<a>`) found, checked and described, so that the server only has to compare bytes with
//! hashes.
//!
//! - What a file is, its bytes decide ([`sniff`]), never its name; an image's size in pixels
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
//! - What preparing an image makes is kept in a local cache ([`Cache`]), keyed by the SHA-256
//!   of its bytes, its name and [`PIPELINE_VERSION`]: publishing again reads and hashes each
//!   image but decodes, resizes and encodes none that did not change.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::io::{Cursor, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result, anyhow, bail};
use blog_shared::content::frontmatter;
use blog_shared::content::media::{Reference, references};
use blog_shared::model::media::{
    MEDIA_TYPES, MediaError, check_post_media, extension_of, media_name,
};
use blog_shared::model::{MAX_MEDIA_BYTES, MAX_MEDIA_NAME_LEN, MediaFile, MediaRef};
use blog_shared::store::blobs::{dimensions, sha256_hex, sniff};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::codecs::webp::WebPEncoder;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, ImageReader};
use img_parts::jpeg::{Jpeg, markers};
use img_parts::png::Png;
use img_parts::webp::{CHUNK_ANIM, CHUNK_XMP, WebP};
use img_parts::{Bytes, ImageEXIF};
use percent_encoding::percent_decode_str;
use serde::{Deserialize, Serialize};

/// Where a post's files are looked for.
#[derive(Debug, Clone)]
pub struct Roots {
    /// The folder published (publish) or the site's root (import): `site_path`s are relative to it.
    pub site: PathBuf,
    /// Where site-root paths (`/images/x.png`) resolve, first match wins: Jekyll's root; Hugo's
    /// and Zola's `static/` (callers fill this). The site folder itself is tried after them.
    pub statics: Vec<PathBuf>,
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
}

/// The widths of a raster image's resized copies, in pixels: a phone's column, a laptop's
/// column at 2×, a wide screen at 2×. Only those narrower than the original are made.
pub const VARIANT_WIDTHS: [u32; 3] = [480, 960, 1600];

/// The quality of a JPEG original re-encoded upright (rotated by its EXIF orientation).
const UPRIGHT_JPEG_QUALITY: u8 = 88;

/// The quality of JPEG variants.
const VARIANT_JPEG_QUALITY: u8 = 82;

/// Catmull-Rom: nearly Lanczos's sharpness with a 2-pixel kernel instead of 3, so markedly
/// faster on a camera-sized photo. Each variant is resized from the next wider one (at least
/// 1.6× its width), which keeps the kernel's reach, and the time, small.
const RESIZE_FILTER: FilterType = FilterType::CatmullRom;

/// Other extensions real files of the types the blog serves take ([`MEDIA_TYPES`] names one
/// per type).
const EXTENSION_ALIASES: &[&str] = &["jpeg", "tgz"];

/// Extensions of files the blog refuses to publish because their camera metadata (a phone's
/// location among it) cannot be stripped: a reference to one fails the post, saying why.
const UNSTRIPPABLE_EXTENSIONS: &[&str] = &["avif", "mp4", "webm", "mov", "m4v"];

/// Why an AVIF image or a video is refused.
const UNSTRIPPABLE: &str =
    "AVIF/video files are not published: their camera metadata (location) cannot be stripped";

/// Whether a file named `….{extension}` (lower case) is meant as one of the post's files: an
/// unresolved link to one is an error rather than a link to a page of the old site, and one
/// whose bytes are of no type the blog serves fails the post rather than staying a link.
fn is_media_extension(extension: &str) -> bool {
    MEDIA_TYPES.iter().any(|(_, e)| *e == extension)
        || EXTENSION_ALIASES.contains(&extension)
        || UNSTRIPPABLE_EXTENSIONS.contains(&extension)
}

/// Whether the bytes' type (as [`sniff`] names a type the blog does not serve) is an AVIF
/// image or a video.
fn is_unstrippable(found: &str) -> bool {
    found == "image/avif" || found.starts_with("video/")
}

/// Extensions of pages: a link to one is a link, never a file to upload.
const PAGE_EXTENSIONS: &[&str] = &["md", "markdown", "html", "htm"];

/// Finds, checks and prepares every local file the post at `markdown_path` (source text
/// `source`) references.
///
/// `old_url`: the post's address on the old site (import only, like `/2015/05/15/name.html`),
/// for references written relative to it.
///
/// A reference is resolved, first match wins: a site-root path (`/images/x.png`) in each of
/// `roots.statics`, then in `roots.site`; a relative one next to the Markdown file (Hugo's
/// page bundles, Zola's colocated files), then, with `old_url`, against that address as a
/// browser would, and that as a site-root path. An image that resolves to no file fails the
/// post, and so does a link that does not but looks like a file (`.pdf`, `.zip`, `.png`…);
/// other unresolved links, and links to pages (`.md`, `.html`, folders), are left alone. So is
/// a link to a file of a type the blog does not serve (`data.csv`, `main.rs`, `/feed.xml`),
/// unless its name says it is one of the blog's types (an HTML page renamed `.pdf` fails), or
/// its bytes are an AVIF image or a video (which fail, saying why). A file found through a
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
    let site = absolute(&roots.site)?;
    let statics = roots
        .statics
        .iter()
        .map(|s| absolute(s))
        .collect::<Result<Vec<_>>>()?;
    let markdown = absolute(markdown_path)?;
    let post = shown(&markdown, &site);
    // The site's folder with every symbolic link resolved, for what a found file really is.
    let real_site = fs::canonicalize(&site);
    let roots = Resolved {
        site,
        statics,
        folder: markdown.parent().map(Path::to_path_buf).unwrap_or_default(),
    };

    let mut media = PostMedia::default();
    let mut done: HashMap<PathBuf, Stored> = HashMap::new();
    let mut uploaded: HashSet<(String, String)> = HashSet::new();
    let mut written: HashSet<String> = HashSet::new();
    for reference in references(document.body) {
        if written.contains(&reference.url) {
            continue;
        }
        let Some(mut found) = locate(&post, &reference, old_url, &roots)? else {
            continue;
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

/// The roots as absolute, normalised paths, and the Markdown file's folder.
struct Resolved {
    site: PathBuf,
    statics: Vec<PathBuf>,
    folder: PathBuf,
}

/// A reference's file.
struct Found {
    /// Where it was found, as the reference names it (its name is the file's).
    path: PathBuf,
    /// `path` with every symbolic link resolved: what is read.
    real: PathBuf,
    site_path: String,
    /// Whether it may be left a link if its bytes are of no type the blog serves: a link
    /// (not an image) whose name does not say it is one of the blog's files.
    optional: bool,
}

/// A file prepared once, for every reference that names it.
struct Stored {
    site_path: String,
    file: MediaFile,
    variants: Vec<MediaFile>,
}

/// The file a reference names, None for a link to a page (or to nothing that looks like a
/// file), or an error naming the post and the reference.
fn locate(
    post: &str,
    reference: &Reference,
    old_url: Option<&str>,
    roots: &Resolved,
) -> Result<Option<Found>> {
    let url = reference.url.trim();
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let decoded = percent_decode_str(path)
        .decode_utf8_lossy()
        .replace('\\', "/");
    if decoded.is_empty() {
        return Ok(None);
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
        if let Some(outside) = outside
            && (looks_like_file || outside.is_file())
        {
            bail!(
                "{post} references `{url}`, which points outside the site's folder {} (to {})",
                roots.site.display(),
                outside.display()
            );
        }
        if !looks_like_file {
            return Ok(None);
        }
        let looked: Vec<String> = candidates
            .iter()
            .map(|(c, _)| shown(c, &roots.site))
            .collect();
        bail!(
            "{post} references `{url}`, which is not a file (looked in {})",
            looked.join(", ")
        );
    };
    if !reference.image && PAGE_EXTENSIONS.contains(&extension.as_str()) {
        return Ok(None);
    }
    let relative = found
        .strip_prefix(&roots.site)
        .or_else(|_| found.strip_prefix(root))
        .map_err(|_| anyhow!("{post} references `{url}`, found outside the site's folder"))?;
    Ok(Some(Found {
        path: found.clone(),
        real: found.clone(),
        site_path: slashed(relative),
        optional: !looks_like_file,
    }))
}

/// Where a site-root path (`/images/x.png`) may be: in each static folder, then in the site's.
/// `..` stops at the root, as in a browser.
fn root_candidates<'r>(path: &str, roots: &'r Resolved, into: &mut Vec<(PathBuf, &'r Path)>) {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    if segments.is_empty() {
        return;
    }
    let relative: PathBuf = segments.iter().collect();
    for root in roots.statics.iter().chain([&roots.site]) {
        into.push((root.join(&relative), root.as_path()));
    }
}

/// A relative reference resolved against a page's address as a browser would, as a site-root
/// path (`../../../images/x.png` against `/2015/05/15/name.html` → `/images/x.png`).
fn resolve_url(base: &str, relative: &str) -> String {
    let base = match base.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => base,
    };
    let base = base.split(['?', '#']).next().unwrap_or_default();
    let folder = base.rsplit_once('/').map_or("", |(folder, _)| folder);
    format!("{folder}/{relative}")
}

/// An absolute path, `.` and `..` resolved lexically (symbolic links are not followed).
fn absolute(path: &Path) -> Result<PathBuf> {
    let path = std::path::absolute(path)
        .with_context(|| format!("cannot make {} an absolute path", path.display()))?;
    Ok(normalise(&path))
}

/// `path` with `.` and `..` resolved lexically.
fn normalise(path: &Path) -> PathBuf {
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
fn slashed(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// A path as the author knows it: relative to the site's folder when within it.
fn shown(path: &Path, site: &Path) -> String {
    match path.strip_prefix(site) {
        Ok(relative) => slashed(relative),
        Err(_) => path.display().to_string(),
    }
}

/// Reads, checks and prepares one file: its description, its variants', and every one's bytes.
/// None for a file [`Found::optional`] whose bytes are of no type the blog serves: left a link.
/// A raster image's preparation is taken from `cache` when it holds it, and put there when not.
fn prepare_file(found: &Found, cache: Option<&Cache>) -> Result<Option<(Stored, Vec<Prepared>)>> {
    let site_path = &found.site_path;
    let too_large = |value: u64| MediaError::TooLarge {
        name: site_path.clone(),
        what: "its size in bytes",
        value,
        limit: MAX_MEDIA_BYTES,
    };
    let length = fs::metadata(&found.real)
        .with_context(|| format!("cannot read {}", found.real.display()))?
        .len();
    // A link that may stay a link is read (at most one byte over the limit) for its type first:
    // a large `data.csv` is a link, not a file too large.
    if length > MAX_MEDIA_BYTES && !found.optional {
        return Err(too_large(length).into());
    }
    let mut bytes =
        Vec::with_capacity(usize::try_from(length.min(MAX_MEDIA_BYTES + 1)).unwrap_or_default());
    fs::File::open(&found.real)
        .and_then(|f| f.take(MAX_MEDIA_BYTES + 1).read_to_end(&mut bytes))
        .with_context(|| format!("cannot read {}", found.real.display()))?;

    let media_type = match sniff(&bytes) {
        Ok(media_type) => media_type,
        Err(other) if is_unstrippable(&other) => {
            bail!("{site_path}: its bytes are {other}, and {UNSTRIPPABLE}")
        }
        Err(_) if found.optional => return Ok(None),
        Err(other) => {
            return Err(MediaError::Type {
                name: site_path.clone(),
                found: other,
            }
            .into());
        }
    };
    if bytes.len() as u64 > MAX_MEDIA_BYTES {
        return Err(too_large(bytes.len() as u64).into());
    }
    let file_name = found
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = media_name(&file_name, media_type);
    // The header alone, before anything decodes the pixels.
    let size = dimensions(site_path, media_type, &bytes)?;

    // The original first, then its variants.
    let prepared = match (media_type, size) {
        ("image/jpeg" | "image/png" | "image/webp", Some((width, height))) => {
            prepare_raster_cached(cache, &name, media_type, &bytes, width, height)
                .with_context(|| format!("{site_path}: cannot prepare this {media_type}"))?
        }
        _ => vec![
            Encoded {
                name,
                media_type,
                bytes,
                size,
            }
            .prepared(),
        ],
    };
    let file = prepared[0].file.clone();
    let variants = prepared[1..].iter().map(|p| p.file.clone()).collect();
    Ok(Some((
        Stored {
            site_path: site_path.clone(),
            file,
            variants,
        },
        prepared,
    )))
}

/// [`prepare_raster`]'s files (the original first), from `cache` when it holds them for these
/// bytes under this name, else made and put there.
fn prepare_raster_cached(
    cache: Option<&Cache>,
    name: &str,
    media_type: &'static str,
    bytes: &[u8],
    width: u32,
    height: u32,
) -> Result<Vec<Prepared>> {
    let key = cache.map(|_| Cache::key(name, bytes));
    if let (Some(cache), Some(key)) = (cache, &key)
        && let Some(files) = cache.get(key, name)
    {
        return Ok(files);
    }
    let raster = prepare_raster(name, media_type, bytes, width, height)?;
    let files: Vec<Prepared> = [raster.original]
        .into_iter()
        .chain(raster.variants)
        .map(Encoded::prepared)
        .collect();
    if let (Some(cache), Some(key)) = (cache, &key) {
        cache.put(key, &files);
    }
    Ok(files)
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

/// A raster image made ready: its original without metadata (upright), and its variants.
struct Raster {
    original: Encoded,
    variants: Vec<Encoded>,
}

/// Strips a JPEG's, PNG's or WebP's metadata, turns it upright if its EXIF says to, and makes
/// its variants. Its size (from its header) has been checked already.
fn prepare_raster(
    name: &str,
    media_type: &'static str,
    bytes: &[u8],
    width: u32,
    height: u32,
) -> Result<Raster> {
    #[cfg(test)]
    tests::RASTER_PREPARATIONS.with(|n| n.set(n.get() + 1));
    let animated = is_animated(media_type, bytes);
    let format = match media_type {
        "image/jpeg" => ImageFormat::Jpeg,
        "image/png" => ImageFormat::Png,
        _ => ImageFormat::WebP,
    };
    let mut decoder = ImageReader::with_format(Cursor::new(bytes), format).into_decoder()?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let upright = orientation == Orientation::NoTransforms || animated;
    let stripped = strip_metadata(media_type, bytes)?;
    // A JPEG whose end cannot be found may carry what a phone appends after it (with its own
    // EXIF and location): only its decoded pixels are kept.
    let reencode = stripped.is_none();
    let needs_pixels = !animated && (!upright || reencode || width.max(height) > VARIANT_WIDTHS[0]);
    let icc = decoder.icc_profile().ok().flatten();

    let mut original = Encoded {
        name: name.to_owned(),
        media_type,
        bytes: stripped.unwrap_or_default(),
        size: Some((width, height)),
    };
    if !needs_pixels {
        return Ok(Raster {
            original,
            variants: Vec::new(),
        });
    }
    let mut image = DynamicImage::from_decoder(decoder)?;
    let icc = icc.filter(|profile| icc_fits(profile, &image));
    if !upright || reencode {
        // The EXIF that said how to turn it is gone: turn the pixels themselves.
        image.apply_orientation(orientation);
        original.bytes = encode(&image, media_type, UPRIGHT_JPEG_QUALITY, icc.as_deref())?;
        original.size = Some((image.width(), image.height()));
    }
    let variants = variants(
        name,
        media_type,
        &image,
        original.bytes.len(),
        icc.as_deref(),
    )?;
    Ok(Raster { original, variants })
}

/// A raster image's resized copies, narrowest first: for each of [`VARIANT_WIDTHS`] narrower
/// than the image, one in its own format (JPEG at quality 82) and one in WebP; and a WebP at
/// the image's own width when WebP was smaller at every narrower one. WebP copies are kept only
/// if there is one at every width, the image's own included: a page offers WebP only then.
///
/// The WebP copy is kept only if smaller than the same width in the original's format:
/// `image`'s WebP encoder is lossless, which beats PNG on most images but rarely a JPEG
/// photo. A variant no smaller than the original file itself (a lossless copy of a lossy
/// WebP, a resampled palette PNG) is dropped too: the original serves that width better.
fn variants(
    name: &str,
    media_type: &'static str,
    image: &DynamicImage,
    original_len: usize,
    icc: Option<&[u8]>,
) -> Result<Vec<Encoded>> {
    let (width, height) = (image.width(), image.height());
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let mut made = Vec::new();
    // Whether WebP was smaller at every width so far.
    let mut webp_wins = media_type != "image/webp";
    // Widest first, each resized from the one before it.
    let mut source: Option<DynamicImage> = None;
    for &target in VARIANT_WIDTHS.iter().rev().filter(|&&w| w < width) {
        let target_height = ((u64::from(height) * u64::from(target) + u64::from(width) / 2)
            / u64::from(width))
        .max(1) as u32;
        let resized =
            source
                .as_ref()
                .unwrap_or(image)
                .resize_exact(target, target_height, RESIZE_FILTER);
        let own = encode(&resized, media_type, VARIANT_JPEG_QUALITY, icc)?;
        let own_len = own.len();
        if own_len < original_len {
            made.push(Encoded {
                name: variant_name(stem, target, media_type),
                media_type,
                bytes: own,
                size: Some((target, target_height)),
            });
        }
        if media_type != "image/webp" {
            let webp = encode(&resized, "image/webp", VARIANT_JPEG_QUALITY, icc)?;
            if webp.len() < own_len && webp.len() < original_len {
                made.push(Encoded {
                    name: variant_name(stem, target, "image/webp"),
                    media_type: "image/webp",
                    bytes: webp,
                    size: Some((target, target_height)),
                });
            } else {
                webp_wins = false;
            }
        }
        source = Some(resized);
    }
    // A page offers WebP only when it has every width the image has (a browser taking WebP
    // chooses among those alone), so where WebP won at every narrower width, it is tried at
    // the original's too. A photo, where it loses at once, costs no full-size encode.
    let mut webp_complete = false;
    if webp_wins {
        let webp = encode(image, "image/webp", VARIANT_JPEG_QUALITY, icc)?;
        if webp.len() < original_len {
            made.push(Encoded {
                name: variant_name(stem, width, "image/webp"),
                media_type: "image/webp",
                bytes: webp,
                size: Some((width, height)),
            });
            webp_complete = true;
        }
    }
    // WebP at some widths only would never be offered: not uploaded either.
    if media_type != "image/webp" && !webp_complete {
        made.retain(|v| v.media_type != "image/webp");
    }
    made.sort_by_key(|v| (v.size, v.media_type == "image/webp"));
    Ok(made)
}

/// `<stem>-960w.<extension>`, the stem shortened if the name would be too long.
fn variant_name(stem: &str, width: u32, media_type: &str) -> String {
    let extension = extension_of(media_type).unwrap_or("bin");
    let suffix = format!("-{width}w.{extension}");
    let mut stem = stem.to_owned();
    if stem.len() + suffix.len() > MAX_MEDIA_NAME_LEN {
        // `media_name` gives ASCII: any byte is a character boundary.
        stem.truncate(MAX_MEDIA_NAME_LEN - suffix.len());
        while stem.ends_with('-') {
            stem.pop();
        }
    }
    format!("{stem}{suffix}")
}

/// An image encoded as `media_type` (JPEG at `quality`; PNG and WebP lossless), carrying its
/// colour profile.
fn encode(
    image: &DynamicImage,
    media_type: &str,
    quality: u8,
    icc: Option<&[u8]>,
) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let with_icc = |encoder: &mut dyn ImageEncoder| {
        if let Some(icc) = icc {
            // Encoders that cannot carry a profile leave it out.
            let _ = encoder.set_icc_profile(icc.to_vec());
        }
    };
    match media_type {
        "image/jpeg" => {
            let mut encoder = JpegEncoder::new_with_quality(&mut out, quality);
            with_icc(&mut encoder);
            image.write_with_encoder(encoder)?;
        }
        "image/png" => {
            // Encoded once and served many times: worth more than `new`'s fast compression.
            let mut encoder = PngEncoder::new_with_quality(
                &mut out,
                CompressionType::Default,
                PngFilter::Adaptive,
            );
            with_icc(&mut encoder);
            image.write_with_encoder(encoder)?;
        }
        "image/webp" => {
            let mut encoder = WebPEncoder::new_lossless(&mut out);
            with_icc(&mut encoder);
            image.write_with_encoder(encoder)?;
        }
        other => bail!("cannot encode {other}"),
    }
    Ok(out)
}

/// Whether a colour profile describes the image's colours as encoded: an RGB profile for a
/// colour image, a grey one for a grey image (a CMYK JPEG's profile does not fit its RGB
/// copies).
fn icc_fits(profile: &[u8], image: &DynamicImage) -> bool {
    match profile.get(16..20) {
        Some(b"RGB ") => image.color().has_color(),
        Some(b"GRAY") => !image.color().has_color(),
        _ => false,
    }
}

/// Whether an image moves (an animated PNG or WebP): its variants would be still, and turning
/// it upright would stop it.
fn is_animated(media_type: &str, bytes: &[u8]) -> bool {
    match media_type {
        "image/png" => Png::from_bytes(Bytes::copy_from_slice(bytes))
            .is_ok_and(|png| png.chunk_by_type(*b"acTL").is_some()),
        "image/webp" => {
            WebP::from_bytes(Bytes::copy_from_slice(bytes)).is_ok_and(|w| w.has_chunk(CHUNK_ANIM))
        }
        _ => false,
    }
}

/// The image without camera and location data: EXIF, XMP and IPTC (JPEG APP1 and APP13
/// segments, PNG `eXIf` and text chunks, WebP `EXIF` and `XMP ` chunks), and for a JPEG
/// whatever follows its end (the Multi-Picture images and motion-photo videos phones append,
/// each with metadata of its own) with the APP2 segment indexing them. Colour profiles stay.
///
/// None for a JPEG whose end cannot be found: what follows it cannot be told apart from it,
/// so it must be re-encoded from its pixels.
fn strip_metadata(media_type: &str, bytes: &[u8]) -> Result<Option<Vec<u8>>> {
    let input = Bytes::copy_from_slice(bytes);
    Ok(Some(match media_type {
        "image/jpeg" => {
            let mut jpeg = Jpeg::from_bytes(input)?;
            jpeg.set_exif(None);
            jpeg.segments_mut().retain(|segment| {
                let marker = segment.marker();
                let multi_picture =
                    marker == markers::APP2 && segment.contents().starts_with(b"MPF\0");
                marker != markers::APP1 && marker != markers::APP13 && !multi_picture
            });
            let mut out = jpeg.encoder().bytes().to_vec();
            let Some(end) = jpeg_end(&out) else {
                return Ok(None);
            };
            out.truncate(end);
            out
        }
        "image/png" => {
            let mut png = Png::from_bytes(input)?;
            png.set_exif(None);
            png.chunks_mut()
                .retain(|chunk| !matches!(&chunk.kind(), b"tEXt" | b"zTXt" | b"iTXt"));
            png.encoder().bytes().to_vec()
        }
        "image/webp" => {
            let mut webp = WebP::from_bytes(input)?;
            webp.remove_chunks_by_id(CHUNK_XMP);
            // Also sets the header's flags to what is left.
            webp.set_exif(None);
            webp.encoder().bytes().to_vec()
        }
        _ => bytes.to_vec(),
    }))
}

/// The length of a JPEG's first image, through its end-of-image marker: markers are walked
/// one by one, and each scan's entropy-coded data up to the next marker that is neither a
/// stuffed `FF 00` nor a restart. None if the stream is not well formed.
fn jpeg_end(b: &[u8]) -> Option<usize> {
    if !b.starts_with(&[0xFF, markers::SOI]) {
        return None;
    }
    let mut i = 2;
    loop {
        if *b.get(i)? != 0xFF {
            return None;
        }
        while *b.get(i)? == 0xFF {
            i += 1;
        }
        let marker = b[i];
        i += 1;
        match marker {
            markers::EOI => return Some(i),
            0x01 | markers::RST0..=markers::RST7 => continue,
            _ => {}
        }
        let length = usize::from(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]));
        i += length;
        if marker == markers::SOS {
            loop {
                let at = i + b.get(i..)?.iter().position(|&x| x == 0xFF)?;
                match *b.get(at + 1)? {
                    0x00 | markers::RST0..=markers::RST7 => i = at + 2,
                    _ => {
                        i = at;
                        break;
                    }
                }
            }
        }
    }
}

/// The version of what preparing a raster image makes, part of every [`Cache`] key: bump it
/// whenever that changes (how metadata is stripped, what is re-encoded, the variants' widths,
/// names, formats, qualities or filter, the encoders' settings), so that nothing an older
/// `blog` made is published. [`VARIANT_WIDTHS`], the qualities and the filter are in the key
/// too, as a safety net.
const PIPELINE_VERSION: u32 = 2;

/// Where prepared files are cached: `$BLOG_CACHE_DIR` if set, else `$XDG_CACHE_HOME/blog`,
/// else `$HOME/.cache/blog` (`var` reads the environment). None if none is set.
fn cache_location(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let set = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    set("BLOG_CACHE_DIR")
        .or_else(|| {
            set("XDG_CACHE_HOME")
                .filter(|p| p.is_absolute())
                .map(|p| p.join("blog"))
        })
        .or_else(|| {
            set("HOME")
                .filter(|p| p.is_absolute())
                .map(|p| p.join(".cache").join("blog"))
        })
}

/// A local cache of prepared raster images, so that publishing again decodes nothing that
/// did not change:
///
/// - `entries/<key>.json`: what preparing an image gave (its original's and its variants'
///   descriptions, the original first), under a key hashing the image's bytes, the name it is
///   published as (its variants are named after it) and [`PIPELINE_VERSION`];
/// - `files/<sha256>`: each prepared file's bytes, once, named by their SHA-256.
///
/// A cached file is used only if its bytes hash to its name and its length is its
/// description's: anything else (a corrupt or half-lost entry) is a miss, prepared anew and
/// rewritten. Every file is written beside its final name and renamed into place, so that two
/// runs at once never read half a file. The cache never fails a preparation: a folder that
/// cannot be made or written only means nothing is cached.
struct Cache {
    entries: PathBuf,
    files: PathBuf,
}

/// What `entries/<key>.json` holds.
#[derive(Serialize, Deserialize)]
struct CacheEntry {
    /// The original's description, then its variants'.
    files: Vec<MediaFile>,
}

impl Cache {
    /// The cache in `dir`, its folders made; None (said once) if they cannot be.
    fn open(dir: &Path) -> Option<Self> {
        let cache = Self {
            entries: dir.join("entries"),
            files: dir.join("files"),
        };
        match fs::create_dir_all(&cache.entries).and_then(|()| fs::create_dir_all(&cache.files)) {
            Ok(()) => Some(cache),
            Err(error) => {
                cache_unusable(dir, &error);
                None
            }
        }
    }

    /// The key of the image `bytes` published as `name`.
    fn key(name: &str, bytes: &[u8]) -> String {
        sha256_hex(
            format!(
                "blog media v{PIPELINE_VERSION} widths {VARIANT_WIDTHS:?} quality \
                 {UPRIGHT_JPEG_QUALITY}/{VARIANT_JPEG_QUALITY} filter {RESIZE_FILTER:?}\n\
                 name {name}\nsource {}\n",
                sha256_hex(bytes)
            )
            .as_bytes(),
        )
    }

    fn entry(&self, key: &str) -> PathBuf {
        self.entries.join(format!("{key}.json"))
    }

    /// The files cached under `key` (the original, named `name`, first), each checked against
    /// its description; None if any is missing or does not match.
    fn get(&self, key: &str, name: &str) -> Option<Vec<Prepared>> {
        let entry = fs::read(self.entry(key)).ok()?;
        let Ok(entry) = serde_json::from_slice::<CacheEntry>(&entry) else {
            tracing::debug!(key, "a corrupt media cache entry is ignored");
            return None;
        };
        if entry.files.first()?.name != name {
            return None;
        }
        entry
            .files
            .into_iter()
            .map(|file| {
                let bytes = self.read(&file)?;
                Some(Prepared { file, bytes })
            })
            .collect()
    }

    /// A cached file's bytes, if they are those `file` describes.
    fn read(&self, file: &MediaFile) -> Option<Vec<u8>> {
        let is_sha256 = file.sha256.len() == 64
            && file
                .sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !is_sha256 {
            return None;
        }
        let bytes = fs::read(self.files.join(&file.sha256)).ok()?;
        if bytes.len() as u64 != file.size || sha256_hex(&bytes) != file.sha256 {
            tracing::debug!(
                sha256 = file.sha256,
                "a corrupt media cache file is ignored"
            );
            return None;
        }
        Some(bytes)
    }

    /// Caches `files` under `key`: the files first, then the entry naming them. A failure is
    /// said once and otherwise ignored.
    fn put(&self, key: &str, files: &[Prepared]) {
        let written = files
            .iter()
            .try_for_each(|p| write_atomically(&self.files.join(&p.file.sha256), &p.bytes))
            .and_then(|()| {
                let entry = CacheEntry {
                    files: files.iter().map(|p| p.file.clone()).collect(),
                };
                write_atomically(&self.entry(key), &serde_json::to_vec(&entry)?)
            });
        if let Err(error) = written {
            cache_unusable(self.files.parent().unwrap_or(&self.files), &error);
        }
    }
}

/// Says, once per run, that the cache in `dir` cannot be used.
fn cache_unusable(dir: &Path, error: &std::io::Error) {
    static SAID: Once = Once::new();
    SAID.call_once(|| {
        tracing::warn!(
            "the media cache {} cannot be used ({error}): images are prepared without it",
            dir.display()
        );
    });
}

/// Writes `bytes` to a new file beside `path`, then renames it to `path`: whoever reads
/// `path` sees the old file or the new one, never part of one.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let folder = path.parent().unwrap_or(Path::new("."));
    let temporary = folder.join(format!(
        ".tmp-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let written = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary)
        .and_then(|mut file| file.write_all(bytes))
        .and_then(|()| fs::rename(&temporary, path));
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::time::Instant;

    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    use super::*;

    thread_local! {
        /// How many times this thread ran [`prepare_raster`]: each test runs in its own thread.
        pub(super) static RASTER_PREPARATIONS: Cell<usize> = const { Cell::new(0) };
    }

    fn raster_preparations() -> usize {
        RASTER_PREPARATIONS.with(Cell::get)
    }

    /// A photo-like image: gradients and noise, which compress like a real photo.
    fn photo(width: u32, height: u32) -> RgbImage {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        RgbImage::from_fn(width, height, |x, y| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let noise = (state % 24) as u32;
            let fx = x * 200 / width.max(1);
            let fy = y * 200 / height.max(1);
            Rgb([
                (fx + noise).min(255) as u8,
                (fy + noise).min(255) as u8,
                ((fx + fy) / 2 + noise).min(255) as u8,
            ])
        })
    }

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(photo(width, height))
            .write_with_encoder(JpegEncoder::new_with_quality(&mut out, 90))
            .unwrap();
        out
    }

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(photo(width, height))
            .write_with_encoder(PngEncoder::new(&mut out))
            .unwrap();
        out
    }

    /// A drawing: smooth shading, which `image`'s lossless WebP encoder compresses better than
    /// PNG (it does worse on noise and on sharp edges).
    fn drawing(width: u32, height: u32) -> Vec<u8> {
        let image = RgbaImage::from_fn(width, height, |x, y| {
            let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
            Rgba([(fx.powf(1.5) * 255.0) as u8, (fy * 255.0) as u8, 128, 255])
        });
        let mut out = Vec::new();
        DynamicImage::ImageRgba8(image)
            .write_with_encoder(PngEncoder::new(&mut out))
            .unwrap();
        out
    }

    /// A big-endian EXIF block: orientation, then a GPS IFD's latitude reference.
    fn exif(orientation: u16) -> Vec<u8> {
        let mut e = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
        e.extend([0, 2]);
        e.extend([0x01, 0x12, 0, 3, 0, 0, 0, 1]);
        e.extend(orientation.to_be_bytes());
        e.extend([0, 0]);
        // GPSInfo IFD pointer, to offset 38.
        e.extend([0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 38]);
        e.extend([0, 0, 0, 0]);
        e.extend([0, 1, 0, 1, 0, 2, 0, 0, 0, 2]);
        e.extend(b"N\0\0\0");
        e.extend([0, 0, 0, 0]);
        e.extend(b"GPS 51.5007N 0.1246W");
        e
    }

    fn with_exif(jpeg: Vec<u8>, exif: Vec<u8>) -> Vec<u8> {
        let mut parsed = Jpeg::from_bytes(jpeg.into()).unwrap();
        parsed.set_exif(Some(exif.into()));
        parsed.encoder().bytes().to_vec()
    }

    struct Site {
        dir: tempfile::TempDir,
        /// The site's own media cache, never the user's.
        cache: tempfile::TempDir,
    }

    impl Site {
        fn new() -> Self {
            Self {
                dir: tempfile::tempdir().unwrap(),
                cache: tempfile::tempdir().unwrap(),
            }
        }

        fn cache(&self) -> &Path {
            self.cache.path()
        }

        fn root(&self) -> &Path {
            self.dir.path()
        }

        fn write(&self, path: &str, bytes: &[u8]) -> PathBuf {
            let path = self.root().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, bytes).unwrap();
            path
        }

        fn post(&self, path: &str, body: &str) -> PathBuf {
            self.write(
                path,
                format!("---\ntitle: T\ndate: 2015-05-15\n---\n{body}\n").as_bytes(),
            )
        }

        fn roots(&self, statics: &[&str]) -> Roots {
            Roots {
                site: self.root().to_path_buf(),
                statics: statics.iter().map(|s| self.root().join(s)).collect(),
            }
        }

        fn prepare(
            &self,
            markdown: &Path,
            old_url: Option<&str>,
            statics: &[&str],
        ) -> Result<PostMedia> {
            self.prepare_with(markdown, old_url, statics, Some(self.cache()))
        }

        fn prepare_with(
            &self,
            markdown: &Path,
            old_url: Option<&str>,
            statics: &[&str],
            cache: Option<&Path>,
        ) -> Result<PostMedia> {
            let source = fs::read_to_string(markdown).unwrap();
            prepare_post_with_cache(markdown, &source, old_url, &self.roots(statics), cache)
        }
    }

    /// Every file's description and bytes, to compare two preparations.
    fn files(media: &PostMedia) -> Vec<(MediaFile, Vec<u8>)> {
        media
            .files
            .iter()
            .map(|p| (p.file.clone(), p.bytes.clone()))
            .collect()
    }

    /// The paths of every file in the cache's `files/` folder.
    fn cached_files(cache: &Path) -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = fs::read_dir(cache.join("files"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        found.sort();
        found
    }

    #[test]
    fn a_second_preparation_is_the_cached_one_and_decodes_nothing() {
        let site = Site::new();
        site.write("posts/photo.jpg", &with_exif(jpeg(1200, 800), exif(6)));
        site.write("posts/drawing.png", &drawing(1000, 500));
        site.write("posts/small.png", &png(20, 10));
        site.write(
            "files/talk.pdf",
            b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
        );
        let post = site.post(
            "posts/x.md",
            "![p](photo.jpg) ![d](drawing.png) ![s](small.png) [t](/files/talk.pdf)",
        );

        let before = raster_preparations();
        let first = site.prepare(&post, None, &[]).unwrap();
        assert_eq!(raster_preparations() - before, 3);
        assert!(first.files.len() > 5, "{:?}", first.files);
        // Every prepared raster file is cached, by its hash, and nothing else is left there.
        let cached = cached_files(site.cache());
        for file in first
            .files
            .iter()
            .filter(|p| p.file.media_type != "application/pdf")
        {
            let path = site.cache().join("files").join(&file.file.sha256);
            assert_eq!(fs::read(&path).unwrap(), file.bytes);
        }
        assert_eq!(cached.len(), first.files.len() - 1, "{cached:?}");

        let second = site.prepare(&post, None, &[]).unwrap();
        assert_eq!(
            raster_preparations() - before,
            3,
            "nothing is decoded again"
        );
        assert_eq!(second.refs, first.refs);
        assert_eq!(files(&second), files(&first));

        // The same as without a cache.
        let uncached = site.prepare_with(&post, None, &[], None).unwrap();
        assert_eq!(raster_preparations() - before, 6);
        assert_eq!(uncached.refs, first.refs);
        assert_eq!(files(&uncached), files(&first));

        // The same bytes under another name: prepared for that name, files shared.
        site.write("posts/Other Name.jpg", &with_exif(jpeg(1200, 800), exif(6)));
        let other = site.post("posts/y.md", "![o](<Other Name.jpg>)");
        let renamed = site.prepare(&other, None, &[]).unwrap();
        assert_eq!(raster_preparations() - before, 7);
        assert_eq!(renamed.refs[0].file.name, "other-name.jpg");
        assert_eq!(renamed.refs[0].file.sha256, first.refs[0].file.sha256);
        assert!(
            renamed.refs[0]
                .variants
                .iter()
                .all(|v| v.name.starts_with("other-name-")),
            "{:?}",
            renamed.refs[0].variants
        );
        assert_eq!(cached_files(site.cache()), cached);
    }

    #[test]
    fn a_changed_image_is_prepared_anew() {
        let site = Site::new();
        site.write("posts/photo.jpg", &jpeg(1200, 800));
        let post = site.post("posts/x.md", "![p](photo.jpg)");
        let before = raster_preparations();
        let first = site.prepare(&post, None, &[]).unwrap();
        assert_eq!(raster_preparations() - before, 1);

        let mut changed = jpeg(1200, 800);
        let i = changed.len() / 2;
        changed[i] ^= 0x01;
        site.write("posts/photo.jpg", &changed);
        let second = site.prepare(&post, None, &[]).unwrap();
        assert_eq!(raster_preparations() - before, 2);
        assert_ne!(second.refs[0].file.sha256, first.refs[0].file.sha256);
        let uncached = site.prepare_with(&post, None, &[], None).unwrap();
        assert_eq!(second.refs, uncached.refs);
        assert_eq!(files(&second), files(&uncached));

        // Another size entirely.
        site.write("posts/photo.jpg", &jpeg(1000, 600));
        let third = site.prepare(&post, None, &[]).unwrap();
        assert_eq!(raster_preparations() - before, 4);
        assert_eq!(third.refs[0].file.width, Some(1000));
        assert_eq!(third.refs[0].variants[0].height, Some(288));
    }

    #[test]
    fn a_corrupt_cache_is_detected_and_rebuilt() {
        let site = Site::new();
        site.write("posts/photo.jpg", &jpeg(1200, 800));
        let post = site.post("posts/x.md", "![p](photo.jpg)");
        let before = raster_preparations();
        let first = site.prepare(&post, None, &[]).unwrap();
        assert_eq!(raster_preparations() - before, 1);

        // A byte flipped in each cached file in turn: detected, prepared anew, repaired.
        let mut expected = 1;
        for path in cached_files(site.cache()) {
            let good = fs::read(&path).unwrap();
            let mut bad = good.clone();
            let i = bad.len() / 2;
            bad[i] ^= 0x40;
            fs::write(&path, &bad).unwrap();
            let again = site.prepare(&post, None, &[]).unwrap();
            expected += 1;
            assert_eq!(raster_preparations() - before, expected, "{path:?}");
            assert_eq!(again.refs, first.refs);
            assert_eq!(files(&again), files(&first));
            for file in &again.files {
                assert_eq!(file.file.sha256, sha256_hex(&file.bytes));
            }
            assert_eq!(fs::read(&path).unwrap(), good, "{path:?} is rewritten");
        }
        assert!(expected > 2);

        // A file lost, cut short or grown.
        let path = &cached_files(site.cache())[0];
        let good = fs::read(path).unwrap();
        for bad in [
            None,
            Some(&good[..good.len() - 1]),
            Some(&[&good[..], b"x"].concat()[..]),
        ] {
            match bad {
                None => fs::remove_file(path).unwrap(),
                Some(bad) => fs::write(path, bad).unwrap(),
            }
            let again = site.prepare(&post, None, &[]).unwrap();
            expected += 1;
            assert_eq!(raster_preparations() - before, expected);
            assert_eq!(files(&again), files(&first));
        }

        // An entry cut short, or naming a file that is not a hash.
        let entries: Vec<PathBuf> = fs::read_dir(site.cache().join("entries"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(entries.len(), 1);
        let entry = fs::read_to_string(&entries[0]).unwrap();
        let sha = &first.files[0].file.sha256;
        for bad in [
            entry[..entry.len() / 2].to_owned(),
            entry.replace(sha.as_str(), "../../../../etc/passwd"),
        ] {
            fs::write(&entries[0], bad).unwrap();
            let again = site.prepare(&post, None, &[]).unwrap();
            expected += 1;
            assert_eq!(raster_preparations() - before, expected);
            assert_eq!(files(&again), files(&first));
        }

        // Repaired: used again.
        site.prepare(&post, None, &[]).unwrap();
        assert_eq!(raster_preparations() - before, expected);
        // No temporary file is left behind.
        for folder in ["files", "entries"] {
            for e in fs::read_dir(site.cache().join(folder)).unwrap() {
                let name = e.unwrap().file_name();
                assert!(!name.to_string_lossy().starts_with(".tmp"), "{name:?}");
            }
        }
    }

    #[test]
    fn without_a_usable_cache_every_image_is_prepared() {
        let site = Site::new();
        site.write("posts/photo.jpg", &jpeg(1200, 800));
        let post = site.post("posts/x.md", "![p](photo.jpg)");
        // A folder that cannot be made: its parent is a file.
        let blocked = site.write("not-a-folder", b"x").join("cache");
        let before = raster_preparations();
        let first = site.prepare_with(&post, None, &[], Some(&blocked)).unwrap();
        let second = site.prepare_with(&post, None, &[], Some(&blocked)).unwrap();
        assert_eq!(raster_preparations() - before, 2);
        assert_eq!(files(&first), files(&second));

        // Made, but its files cannot be written: a folder stands where one goes.
        let cache = site.cache();
        let sha = &first.files[0].file.sha256;
        fs::create_dir_all(cache.join("files").join(sha).join("x")).unwrap();
        let third = site.prepare(&post, None, &[]).unwrap();
        let fourth = site.prepare(&post, None, &[]).unwrap();
        assert_eq!(raster_preparations() - before, 4);
        assert_eq!(files(&third), files(&first));
        assert_eq!(files(&fourth), files(&first));
    }

    #[test]
    fn the_cache_is_where_the_environment_says() {
        let location = |vars: &[(&str, &str)]| {
            let vars: Vec<(String, OsString)> = vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
                .collect();
            cache_location(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
        };
        let all = [
            ("BLOG_CACHE_DIR", "/tmp/blog-cache"),
            ("XDG_CACHE_HOME", "/home/a/.xdg"),
            ("HOME", "/home/a"),
        ];
        assert_eq!(location(&all), Some(PathBuf::from("/tmp/blog-cache")));
        assert_eq!(
            location(&all[1..]),
            Some(PathBuf::from("/home/a/.xdg/blog"))
        );
        assert_eq!(
            location(&[
                ("BLOG_CACHE_DIR", ""),
                ("XDG_CACHE_HOME", "relative"),
                all[2]
            ]),
            Some(PathBuf::from("/home/a/.cache/blog"))
        );
        assert_eq!(location(&[]), None);
    }

    fn error(result: Result<PostMedia>) -> String {
        format!("{:#}", result.unwrap_err())
    }

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

        // Without the old address, the same reference points outside the site.
        let message = error(site.prepare(&post, None, &[]));
        assert!(message.contains("outside the site's folder"), "{message}");
        assert!(message.contains("../../../images/photo.jpg"), "{message}");
    }

    #[test]
    fn a_missing_image_fails_the_post_by_name() {
        let site = Site::new();
        let post = site.post("posts/x.md", "Intro.\n\n![Arch](diagram.png)");
        let message = error(site.prepare(&post, None, &[]));
        assert!(
            message.starts_with("posts/x.md references `diagram.png`, which is not a file"),
            "{message}"
        );
        assert!(message.contains("posts/diagram.png"), "{message}");
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
        let message = error(site.prepare(&post, None, &[]));
        assert!(
            message.contains("posts/y.md references `/files/missing.pdf`, which is not a file"),
            "{message}"
        );
    }

    #[test]
    fn html_renamed_png_is_refused_by_what_it_is() {
        let site = Site::new();
        site.write(
            "posts/evil.png",
            b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        );
        let post = site.post("posts/x.md", "![x](evil.png)");
        let message = error(site.prepare(&post, None, &[]));
        assert!(
            message.contains("posts/x.md references `evil.png`"),
            "{message}"
        );
        assert!(message.contains("posts/evil.png"), "{message}");
        assert!(message.contains("text/html"), "{message}");
    }

    /// A valid PNG signature and header declaring 50,000 × 50,000 pixels, and no pixels.
    fn dimension_bomb() -> Vec<u8> {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend(50_000u32.to_be_bytes());
        ihdr.extend(50_000u32.to_be_bytes());
        ihdr.extend([8, 2, 0, 0, 0]);
        png.extend(13u32.to_be_bytes());
        png.extend(&ihdr);
        png.extend(crc32(&ihdr).to_be_bytes());
        png.extend(0u32.to_be_bytes());
        png.extend(b"IEND");
        png.extend(crc32(b"IEND").to_be_bytes());
        png
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in bytes {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn a_dimension_bomb_is_refused_from_its_header() {
        let site = Site::new();
        site.write("posts/bomb.png", &dimension_bomb());
        let post = site.post("posts/x.md", "![b](bomb.png)");
        let started = Instant::now();
        let message = error(site.prepare(&post, None, &[]));
        // Refused by the limit on its header's numbers, not by a decoder failing on missing
        // pixel data (which would say "not a readable" or a decoding error).
        assert!(
            message.contains("its longer side in pixels is 50000, over the limit"),
            "{message}"
        );
        assert!(started.elapsed().as_millis() < 1000);
    }

    #[test]
    fn exif_is_removed_and_the_hash_is_of_the_bytes_published() {
        let site = Site::new();
        let original = with_exif(jpeg(300, 200), exif(1));
        assert!(
            Jpeg::from_bytes(original.clone().into())
                .unwrap()
                .exif()
                .is_some()
        );
        site.write("posts/gps.jpg", &original);
        let post = site.post("posts/x.md", "![g](gps.jpg)");
        let media = site.prepare(&post, None, &[]).unwrap();
        let prepared = &media.files[0];
        let stripped = Jpeg::from_bytes(prepared.bytes.clone().into()).unwrap();
        assert!(stripped.exif().is_none());
        assert!(
            !prepared.bytes.windows(3).any(|w| w == b"GPS"),
            "location bytes left"
        );
        assert_ne!(prepared.file.sha256, sha256_hex(&original));
        assert_eq!(prepared.file.sha256, sha256_hex(&prepared.bytes));
        assert_eq!(prepared.file.size, prepared.bytes.len() as u64);
        assert_eq!(
            (prepared.file.width, prepared.file.height),
            (Some(300), Some(200))
        );
        // Stripped, not re-encoded: the pixels' bytes are the same.
        assert!(original.len() - prepared.bytes.len() >= exif(1).len());
        image::load_from_memory(&prepared.bytes).unwrap();
    }

    #[test]
    fn trailing_images_after_a_jpeg_end_are_dropped() {
        let site = Site::new();
        let mut bytes = jpeg(100, 50);
        let primary = bytes.len();
        bytes.extend(with_exif(jpeg(10, 10), exif(1)));
        site.write("posts/phone.jpg", &bytes);
        let post = site.post("posts/x.md", "![p](phone.jpg)");
        let media = site.prepare(&post, None, &[]).unwrap();
        assert!(media.files[0].bytes.len() <= primary);
        assert!(!media.files[0].bytes.windows(3).any(|w| w == b"GPS"));
    }

    #[test]
    fn a_rotated_jpeg_is_published_upright() {
        let site = Site::new();
        site.write("posts/rotated.jpg", &with_exif(jpeg(1000, 600), exif(6)));
        let post = site.post("posts/x.md", "![r](rotated.jpg)");
        let media = site.prepare(&post, None, &[]).unwrap();
        let file = &media.refs[0].file;
        assert_eq!((file.width, file.height), (Some(600), Some(1000)));
        let bytes = &media.files[0].bytes;
        assert!(
            Jpeg::from_bytes(bytes.clone().into())
                .unwrap()
                .exif()
                .is_none()
        );
        let decoded = image::load_from_memory(bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (600, 1000));
        // Its variants are upright too: 480 wide, 800 high.
        let variant = &media.refs[0].variants[0];
        assert_eq!((variant.width, variant.height), (Some(480), Some(800)));
    }

    #[test]
    fn variants_are_narrower_never_upscaled_and_named_after_the_original() {
        let site = Site::new();
        site.write("posts/Wide Photo.jpg", &jpeg(1200, 800));
        site.write("posts/small.jpg", &jpeg(480, 300));
        let post = site.post("posts/x.md", "![w](<Wide Photo.jpg>) ![s](small.jpg)");
        let media = site.prepare(&post, None, &[]).unwrap();
        let wide = &media.refs[0];
        assert_eq!(wide.file.name, "wide-photo.jpg");
        let jpegs: Vec<(&str, Option<u32>, Option<u32>)> = wide
            .variants
            .iter()
            .filter(|v| v.media_type == "image/jpeg")
            .map(|v| (v.name.as_str(), v.width, v.height))
            .collect();
        assert_eq!(
            jpegs,
            [
                ("wide-photo-480w.jpg", Some(480), Some(320)),
                ("wide-photo-960w.jpg", Some(960), Some(640)),
            ]
        );
        for variant in &wide.variants {
            let prepared = media
                .files
                .iter()
                .find(|p| p.file == *variant)
                .expect("every variant is uploaded");
            assert_eq!(variant.sha256, sha256_hex(&prepared.bytes));
            let decoded = image::load_from_memory(&prepared.bytes).unwrap();
            assert_eq!(Some(decoded.width()), variant.width);
            assert!(variant.size < wide.file.size);
        }
        // 480 wide already: nothing narrower is made, nothing wider either.
        assert!(media.refs[1].variants.is_empty());
        assert_eq!(media.files.len(), 1 + wide.variants.len() + 1);
    }

    #[test]
    fn webp_copies_are_kept_only_when_smaller() {
        let site = Site::new();
        site.write("posts/drawing.png", &drawing(1000, 500));
        site.write("posts/photo.jpg", &jpeg(1000, 500));
        let post = site.post("posts/x.md", "![d](drawing.png) ![p](photo.jpg)");
        let media = site.prepare(&post, None, &[]).unwrap();

        let size = |name: &str| {
            media
                .files
                .iter()
                .find(|p| p.file.name == name)
                .map(|p| p.file.size)
        };
        // A flat drawing: lossless WebP beats PNG, so both are kept, the PNG's own first.
        let drawing: Vec<&str> = media.refs[0]
            .variants
            .iter()
            .map(|v| v.name.as_str())
            .collect();
        assert_eq!(
            drawing,
            [
                "drawing-480w.png",
                "drawing-480w.webp",
                "drawing-960w.png",
                "drawing-960w.webp",
                "drawing-1000w.webp"
            ]
        );
        assert!(size("drawing-960w.webp") < size("drawing-960w.png"));
        // WebP at every width the page offers, the original's included, so it can be offered.
        assert!(size("drawing-1000w.webp") < size("drawing.png"));
        // A photo: lossless WebP is larger than a JPEG, so none is kept.
        assert!(
            media.refs[1]
                .variants
                .iter()
                .all(|v| v.media_type == "image/jpeg"),
            "{:?}",
            media.refs[1].variants
        );
        assert_eq!(media.refs[1].variants.len(), 2);
    }

    #[test]
    fn variants_no_smaller_than_the_original_are_dropped() {
        // A flat screenshot: resampling its sharp edges makes colours PNG compresses worse.
        let image = RgbaImage::from_fn(1000, 500, |x, y| {
            if (x / 40 + y / 40) % 3 == 0 {
                Rgba([20, 60, 200, 255])
            } else if x % 7 == 0 || y % 11 == 0 {
                Rgba([0, 0, 0, 255])
            } else {
                Rgba([250, 250, 250, 255])
            }
        });
        let bytes = encode(&DynamicImage::ImageRgba8(image), "image/png", 0, None).unwrap();
        let site = Site::new();
        site.write("posts/screen.png", &bytes);
        let post = site.post("posts/x.md", "![s](screen.png)");
        let media = site.prepare(&post, None, &[]).unwrap();
        assert!(
            media.refs[0].variants.is_empty(),
            "{:?}",
            media.refs[0].variants
        );
        assert_eq!(media.files.len(), 1);
    }

    #[test]
    fn png_and_webp_metadata_is_removed() {
        let mut png = Png::from_bytes(self::png(20, 10).into()).unwrap();
        png.set_exif(Some(exif(1).into()));
        png.chunks_mut().insert(
            1,
            img_parts::png::PngChunk::new(
                *b"iTXt",
                Bytes::from_static(b"XML:com.adobe.xmp\0\0\0\0\0GPS"),
            ),
        );
        let png = png.encoder().bytes().to_vec();
        let mut webp = Vec::new();
        DynamicImage::ImageRgb8(photo(20, 10))
            .write_with_encoder(WebPEncoder::new_lossless(&mut webp))
            .unwrap();
        let mut webp = WebP::from_bytes(webp.into()).unwrap();
        webp.set_exif(Some(exif(1).into()));
        let webp = webp.encoder().bytes().to_vec();

        let site = Site::new();
        site.write("posts/a.png", &png);
        site.write("posts/b.webp", &webp);
        let post = site.post("posts/x.md", "![a](a.png) ![b](b.webp)");
        let media = site.prepare(&post, None, &[]).unwrap();
        assert_eq!(media.files.len(), 2);
        for file in &media.files {
            assert!(!file.bytes.windows(3).any(|w| w == b"GPS"), "{file:?}");
            image::load_from_memory(&file.bytes).unwrap();
        }
        assert_eq!(media.files[1].file.media_type, "image/webp");
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
    fn avif_images_and_videos_are_refused_saying_why() {
        let avif = b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf\0\0\0\x08mdat".to_vec();
        let mp4 = b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2\0\0\0\x08free".to_vec();
        let mut webm = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm".to_vec();
        webm.resize(300, 0);
        assert_eq!(sniff(&avif), Err("image/avif".to_owned()));
        assert!(sniff(&mp4).is_err_and(|t| t.starts_with("video/")));
        assert!(sniff(&webm).is_err_and(|t| t.starts_with("video/")));
        let site = Site::new();
        site.write("posts/photo.avif", &avif);
        site.write("posts/clip.mp4", &mp4);
        site.write("posts/clip.webm", &webm);
        // Named for no type at all, still a video.
        site.write("posts/clip.bin", &mp4);
        for (body, file) in [
            ("![p](photo.avif)", "posts/photo.avif"),
            ("[clip](clip.mp4)", "posts/clip.mp4"),
            ("<a href=\"clip.webm\">clip</a>", "posts/clip.webm"),
            ("[clip](clip.bin)", "posts/clip.bin"),
        ] {
            let post = site.post("posts/x.md", body);
            let message = error(site.prepare(&post, None, &[]));
            assert!(message.contains(file), "{message}");
            assert!(
                message.contains(
                    "AVIF/video files are not published: their camera metadata (location) cannot be stripped"
                ),
                "{message}"
            );
        }
    }

    #[test]
    fn a_jpeg_whose_end_cannot_be_found_is_re_encoded_from_its_pixels() {
        // A phone's JPEG with its end-of-image marker lost: what follows (an appended image
        // with EXIF and GPS) cannot be told apart from it by its markers.
        let mut bytes = jpeg(100, 50);
        assert_eq!(bytes[bytes.len() - 2..], [0xFF, markers::EOI]);
        bytes.truncate(bytes.len() - 2);
        bytes.extend(with_exif(jpeg(10, 10), exif(1)));
        assert!(strip_metadata("image/jpeg", &bytes).unwrap().is_none());

        let site = Site::new();
        site.write("posts/phone.jpg", &bytes);
        let post = site.post("posts/x.md", "![p](phone.jpg)");
        let media = site.prepare(&post, None, &[]).unwrap();
        assert_eq!(media.files.len(), 1);
        let published = &media.files[0];
        assert!(!published.bytes.windows(3).any(|w| w == b"GPS"));
        assert_eq!(jpeg_end(&published.bytes), Some(published.bytes.len()));
        let parsed = Jpeg::from_bytes(published.bytes.clone().into()).unwrap();
        assert!(parsed.exif().is_none());
        let decoded = image::load_from_memory(&published.bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (100, 50));
        assert_eq!(
            (published.file.width, published.file.height),
            (Some(100), Some(50))
        );
        assert_eq!(published.file.sha256, sha256_hex(&published.bytes));
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
    fn front_matter_that_cannot_be_split_gives_no_files() {
        let site = Site::new();
        let post = site.write("posts/x.md", b"no front matter\n\n![x](missing.png)\n");
        let media = site.prepare(&post, None, &[]).unwrap();
        assert!(media.refs.is_empty() && media.files.is_empty());
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

    /// Run with `cargo test --release -p blog-cli media -- --ignored --nocapture`.
    #[test]
    #[ignore = "a timing probe"]
    fn timing_of_a_camera_sized_jpeg() {
        let site = Site::new();
        let bytes = jpeg(4000, 3000);
        site.write("posts/camera.jpg", &with_exif(bytes.clone(), exif(1)));
        let post = site.post("posts/x.md", "![c](camera.jpg)");
        let started = Instant::now();
        let media = site.prepare(&post, None, &[]).unwrap();
        let elapsed = started.elapsed();
        println!(
            "4000×3000 JPEG ({} bytes) prepared in {elapsed:.2?}",
            bytes.len()
        );
        for file in &media.files {
            println!(
                "  {} {}×{} {} bytes",
                file.file.name,
                file.file.width.unwrap_or_default(),
                file.file.height.unwrap_or_default(),
                file.file.size
            );
        }
    }
}
