//! The local cache of prepared images: what preparing an image made, kept on the author's
//! machine under the SHA-256 of its bytes, its name and [`PIPELINE_VERSION`], so that
//! publishing again decodes, resizes and encodes no image that did not change.

use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};

use blog_shared::model::MediaFile;
use blog_shared::store::blobs::sha256_hex;
use serde::{Deserialize, Serialize};

use super::Prepared;
use super::raster::{RESIZE_FILTER, UPRIGHT_JPEG_QUALITY, VARIANT_JPEG_QUALITY, VARIANT_WIDTHS};

/// The version of what preparing a raster image makes, part of every [`Cache`] key: bump it
/// whenever that changes (how metadata is stripped, what is re-encoded, the variants' widths,
/// names, formats, qualities or filter, the encoders' settings), so that nothing an older
/// `blog` made is published. [`VARIANT_WIDTHS`], the qualities and the filter are in the key
/// too, as a safety net.
pub(super) const PIPELINE_VERSION: u32 = 2;

/// Where prepared files are cached: `$BLOG_CACHE_DIR` if set, else `$XDG_CACHE_HOME/blog`,
/// else `$HOME/.cache/blog` (`var` reads the environment). None if none is set.
pub(super) fn cache_location(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
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
pub(super) struct Cache {
    pub(super) entries: PathBuf,
    pub(super) files: PathBuf,
}

/// What `entries/<key>.json` holds.
#[derive(Serialize, Deserialize)]
pub(super) struct CacheEntry {
    /// The original's description, then its variants'.
    pub(super) files: Vec<MediaFile>,
}

impl Cache {
    /// The cache in `dir`, its folders made; None (said once) if they cannot be.
    pub(super) fn open(dir: &Path) -> Option<Self> {
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
    pub(super) fn key(name: &str, bytes: &[u8]) -> String {
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

    pub(super) fn entry(&self, key: &str) -> PathBuf {
        self.entries.join(format!("{key}.json"))
    }

    /// The files cached under `key` (the original, named `name`, first), each checked against
    /// its description; None if any is missing or does not match.
    pub(super) fn get(&self, key: &str, name: &str) -> Option<Vec<Prepared>> {
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
    pub(super) fn read(&self, file: &MediaFile) -> Option<Vec<u8>> {
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
    pub(super) fn put(&self, key: &str, files: &[Prepared]) {
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
pub(super) fn cache_unusable(dir: &Path, error: &std::io::Error) {
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
pub(super) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
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

    use blog_test_images::{drawing, exif, jpeg, png, with_exif};

    use super::super::testing::*;
    use super::*;

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
}
