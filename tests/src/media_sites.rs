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

pub use blog_test_images::{
    GPS_MARKER, dimension_bomb_png, gif, html_renamed, jpeg_with_exif, pdf, png, svg,
    svg_with_script,
};

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

#[cfg(test)]
mod tests {
    use blog_shared::store::blobs::{dimensions, sniff};
    use img_parts::ImageEXIF;
    use img_parts::jpeg::Jpeg;

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
