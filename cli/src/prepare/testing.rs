//! What the preparation's tests share: a site in a temporary folder with its own cache, and
//! a count of how many images were prepared rather than taken from the cache.

use std::cell::Cell;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Result;
use blog_shared::model::MediaFile;

use super::{PostMedia, Roots, prepare_post_with_cache};

thread_local! {
    /// How many times this thread ran [`prepare_raster`]: each test runs in its own thread.
    pub(super) static RASTER_PREPARATIONS: Cell<usize> = const { Cell::new(0) };
}

pub(super) fn raster_preparations() -> usize {
    RASTER_PREPARATIONS.with(Cell::get)
}

pub(super) struct Site {
    dir: tempfile::TempDir,
    /// The site's own media cache, never the user's.
    cache: tempfile::TempDir,
}

impl Site {
    pub(super) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            cache: tempfile::tempdir().unwrap(),
        }
    }

    pub(super) fn cache(&self) -> &Path {
        self.cache.path()
    }

    pub(super) fn root(&self) -> &Path {
        self.dir.path()
    }

    pub(super) fn write(&self, path: &str, bytes: &[u8]) -> PathBuf {
        let path = self.root().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, bytes).unwrap();
        path
    }

    pub(super) fn post(&self, path: &str, body: &str) -> PathBuf {
        self.write(
            path,
            format!("---\ntitle: T\ndate: 2015-05-15\n---\n{body}\n").as_bytes(),
        )
    }

    pub(super) fn roots(&self, statics: &[&str]) -> Roots {
        Roots {
            site: self.root().to_path_buf(),
            statics: statics.iter().map(|s| self.root().join(s)).collect(),
            base: String::new(),
            served: Vec::new(),
        }
    }

    pub(super) fn prepare(
        &self,
        markdown: &Path,
        old_url: Option<&str>,
        statics: &[&str],
    ) -> Result<PostMedia> {
        self.prepare_with(markdown, old_url, statics, Some(self.cache()))
    }

    pub(super) fn prepare_with(
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
pub(super) fn files(media: &PostMedia) -> Vec<(MediaFile, Vec<u8>)> {
    media
        .files
        .iter()
        .map(|p| (p.file.clone(), p.bytes.clone()))
        .collect()
}

/// The paths of every file in the cache's `files/` folder.
pub(super) fn cached_files(cache: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(cache.join("files"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    found.sort();
    found
}

pub(super) fn error(result: Result<PostMedia>) -> String {
    format!("{:#}", result.unwrap_err())
}
