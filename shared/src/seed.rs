//! Seeding a store from a folder of Markdown posts, as `blog serve` does on first run.

use std::path::{Path, PathBuf};

use crate::content::{Origin, PostError, parse_post_from};
use crate::store::{PublishOutcome, Store, StoreError, WriteError};

/// Why seeding stopped.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The folder or a file in it could not be read.
    #[error("cannot read {path}")]
    Read {
        /// What could not be read.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file is not a valid post.
    #[error("{path} is not a valid post")]
    Post {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: PostError,
    },
    /// The store refused or failed.
    #[error("storing {path}")]
    Store {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: StoreError,
    },
}

/// What seeding did, post by post.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SeedReport {
    /// Posts written.
    pub created: usize,
    /// Posts already stored with the same content.
    pub unchanged: usize,
    /// Files whose slug is taken by a post with other content; left alone.
    pub conflicts: Vec<PathBuf>,
}

/// Publishes every `*.md` file directly in `dir`, in name order. Stops at the first bad file,
/// having written nothing for it.
pub async fn seed(store: &dyn Store, dir: &Path) -> Result<SeedReport, SeedError> {
    let read_error = |path: &Path| {
        let path = path.to_owned();
        move |source| SeedError::Read { path, source }
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_error(dir))? {
        let path = entry.map_err(read_error(dir))?.path();
        if path.extension().is_some_and(|ext| ext == "md") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    let mut report = SeedReport::default();
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(read_error(&path))?;
        let name = path.file_name().and_then(|n| n.to_str());
        // Known by its file's name, as `blog publish` of the same folder names it.
        let origin = Origin {
            file_name: name,
            source_path: name,
            ..Origin::default()
        };
        let post = parse_post_from(&text, &origin).map_err(|source| SeedError::Post {
            path: path.clone(),
            source,
        })?;
        match store.publish(&post).await {
            Ok(PublishOutcome::Created { .. }) => report.created += 1,
            Ok(PublishOutcome::Unchanged { .. }) => report.unchanged += 1,
            Err(WriteError::Store(source)) => return Err(SeedError::Store { path, source }),
            // Refused for its slug or an old address another post holds: left alone.
            Err(_) => report.conflicts.push(path),
        }
    }
    Ok(report)
}
