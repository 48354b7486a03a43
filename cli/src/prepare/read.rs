//! Reading and typing a found file: its bytes read (within the size limit), their type
//! decided from the bytes, never the name, its header's size checked before anything decodes
//! it, then described with its hash as it will be published.

use std::fs;
use std::io::Read;

use anyhow::{Context, Result, bail};
use blog_shared::model::MAX_MEDIA_BYTES;
use blog_shared::model::media::{MediaError, media_name};
use blog_shared::store::blobs::{dimensions, sniff};

use super::cache::Cache;
use super::locate::{Found, Stored};
use super::raster::prepare_raster;
use super::{Encoded, Prepared};

/// Why an AVIF image or a video is refused.
pub(super) const UNSTRIPPABLE: &str =
    "AVIF/video files are not published: their camera metadata (location) cannot be stripped";

/// Whether the bytes' type (as [`sniff`] names a type the blog does not serve) is an AVIF
/// image or a video.
pub(super) fn is_unstrippable(found: &str) -> bool {
    found == "image/avif" || found.starts_with("video/")
}

/// Reads, checks and prepares one file: its description, its variants', and every one's bytes.
/// None for a file [`Found::optional`] whose bytes are of no type the blog serves: left a link.
/// A raster image's preparation is taken from `cache` when it holds it, and put there when not.
pub(super) fn prepare_file(
    found: &Found,
    cache: Option<&Cache>,
) -> Result<Option<(Stored, Vec<Prepared>)>> {
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
pub(super) fn prepare_raster_cached(
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

#[cfg(test)]
mod tests {

    use std::time::Instant;

    use blog_test_images::dimension_bomb_png;

    use super::super::testing::*;
    use super::*;

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

    #[test]
    fn a_dimension_bomb_is_refused_from_its_header() {
        let site = Site::new();
        site.write("posts/bomb.png", &dimension_bomb_png());
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
}
