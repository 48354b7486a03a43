//! Metadata stripped from a published original: EXIF, XMP and IPTC (a phone's location
//! among them), and whatever a phone appends after a JPEG's end.

use anyhow::Result;
use img_parts::jpeg::{Jpeg, markers};
use img_parts::png::Png;
use img_parts::webp::{CHUNK_ANIM, CHUNK_XMP, WebP};
use img_parts::{Bytes, ImageEXIF};

/// Whether an image moves (an animated PNG or WebP): its variants would be still, and turning
/// it upright would stop it.
pub(super) fn is_animated(media_type: &str, bytes: &[u8]) -> bool {
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
pub(super) fn strip_metadata(media_type: &str, bytes: &[u8]) -> Result<Option<Vec<u8>>> {
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
pub(super) fn jpeg_end(b: &[u8]) -> Option<usize> {
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

#[cfg(test)]
mod tests {
    use blog_shared::store::blobs::sha256_hex;
    use image::DynamicImage;
    use image::codecs::webp::WebPEncoder;

    use blog_test_images::{exif, jpeg, photo, png, with_exif};

    use super::super::testing::*;
    use super::*;

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
}
