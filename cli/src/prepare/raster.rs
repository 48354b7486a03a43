//! The raster pipeline: a JPEG, PNG or WebP turned upright, stripped, and given narrower
//! copies for `srcset` (in its own format and, when smaller, in WebP).

use std::io::Cursor;

use anyhow::{Result, bail};
use blog_shared::model::MAX_MEDIA_NAME_LEN;
use blog_shared::model::media::extension_of;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::codecs::webp::WebPEncoder;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, ImageReader};

use super::Encoded;
use super::strip::{is_animated, strip_metadata};

/// The widths of a raster image's resized copies, in pixels: a phone's column, a laptop's
/// column at 2×, a wide screen at 2×. Only those narrower than the original are made.
pub const VARIANT_WIDTHS: [u32; 3] = [480, 960, 1600];

/// The quality of a JPEG original re-encoded upright (rotated by its EXIF orientation).
pub(super) const UPRIGHT_JPEG_QUALITY: u8 = 88;

/// The quality of JPEG variants.
pub(super) const VARIANT_JPEG_QUALITY: u8 = 82;

/// Catmull-Rom: nearly Lanczos's sharpness with a 2-pixel kernel instead of 3, so markedly
/// faster on a camera-sized photo. Each variant is resized from the next wider one (at least
/// 1.6× its width), which keeps the kernel's reach, and the time, small.
pub(super) const RESIZE_FILTER: FilterType = FilterType::CatmullRom;

/// A raster image made ready: its original without metadata (upright), and its variants.
pub(super) struct Raster {
    pub(super) original: Encoded,
    pub(super) variants: Vec<Encoded>,
}

/// Strips a JPEG's, PNG's or WebP's metadata, turns it upright if its EXIF says to, and makes
/// its variants. Its size (from its header) has been checked already.
pub(super) fn prepare_raster(
    name: &str,
    media_type: &'static str,
    bytes: &[u8],
    width: u32,
    height: u32,
) -> Result<Raster> {
    #[cfg(test)]
    super::testing::RASTER_PREPARATIONS.with(|n| n.set(n.get() + 1));
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
pub(super) fn variants(
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
pub(super) fn variant_name(stem: &str, width: u32, media_type: &str) -> String {
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
pub(super) fn encode(
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
pub(super) fn icc_fits(profile: &[u8], image: &DynamicImage) -> bool {
    match profile.get(16..20) {
        Some(b"RGB ") => image.color().has_color(),
        Some(b"GRAY") => !image.color().has_color(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use blog_shared::store::blobs::sha256_hex;
    use img_parts::ImageEXIF;
    use img_parts::jpeg::Jpeg;

    use std::time::Instant;

    use blog_test_images::{drawing, exif, jpeg, with_exif};
    use image::{Rgba, RgbaImage};

    use super::super::testing::*;
    use super::*;

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
