//! Files that posts use (diagrams, screenshots, PDFs): content-addressed, so a file's URL names
//! its bytes, never changes meaning, and is cached for a year.
//!
//! A [`MediaFile`] is one stored file, named by the SHA-256 of its bytes and a readable name
//! (`/media/<sha256>/<name>`); a [`MediaRef`] is one reference in a post's Markdown
//! (`![](diagram.png)`) and what it became: the file, and for a raster image its resized
//! variants. What a file is, is decided by its bytes (the server's and the publisher's check of
//! them sniffs its type), never by its name.

use serde::{Deserialize, Serialize};

use super::limits::{
    MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE, MAX_MEDIA_BYTES, MAX_MEDIA_NAME_LEN, MAX_POST_MEDIA_BYTES,
    MAX_POST_MEDIA_FILES,
};

/// One stored file: its bytes' SHA-256, its name in URLs, its media type (decided by its
/// bytes), its size, and for an image its size in pixels.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MediaFile {
    /// The SHA-256 of its bytes, 64 lower-case hexadecimal digits.
    pub sha256: String,
    /// Its name in its URL: lower-case letters, digits, `.`, `-` and `_` (`diagram-960w.webp`).
    pub name: String,
    /// Its media type, as its bytes say (`image/png`).
    #[serde(rename = "type")]
    pub media_type: String,
    /// Its length in bytes.
    pub size: u64,
    /// An image's width in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// An image's height in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

/// One local file a post references, and what it was stored as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaRef {
    /// The reference exactly as the post's Markdown or HTML writes it (`../images/x.png`).
    pub reference: String,
    /// Where the file was found, relative to the folder published (`images/x.png`):
    /// `blog export` writes it back there.
    pub site_path: String,
    /// The file as uploaded (its metadata stripped, for an image that carried any).
    pub file: MediaFile,
    /// A raster image's resized copies, narrowest first (`srcset`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<MediaFile>,
}

impl MediaRef {
    /// The file and its variants.
    pub fn files(&self) -> impl Iterator<Item = &MediaFile> {
        std::iter::once(&self.file).chain(&self.variants)
    }
}

/// The media types the blog stores and serves, each with the extension its files take: images,
/// documents and archives. Anything else (HTML, scripts, executables) is refused; so are AVIF
/// images and videos, whose camera metadata (a phone's location among it) the publisher cannot
/// strip.
pub const MEDIA_TYPES: &[(&str, &str)] = &[
    ("image/png", "png"),
    ("image/jpeg", "jpg"),
    ("image/gif", "gif"),
    ("image/webp", "webp"),
    ("image/svg+xml", "svg"),
    ("application/pdf", "pdf"),
    ("application/zip", "zip"),
    ("application/gzip", "gz"),
    ("application/x-tar", "tar"),
    ("application/x-xz", "xz"),
    ("application/x-bzip2", "bz2"),
    ("application/x-7z-compressed", "7z"),
];

/// The extension files of `media_type` take, if the blog serves it.
pub fn extension_of(media_type: &str) -> Option<&'static str> {
    MEDIA_TYPES
        .iter()
        .find(|(t, _)| *t == media_type)
        .map(|(_, e)| *e)
}

/// Raster images: measured, and resized into variants by the publisher.
pub fn is_raster(media_type: &str) -> bool {
    matches!(
        media_type,
        "image/png" | "image/jpeg" | "image/gif" | "image/webp"
    )
}

/// Why a file is not stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    /// The bytes are of no type the blog serves.
    #[error(
        "{name}: its bytes are {found}, not a file type the blog serves (images, PDF, archives)"
    )]
    Type {
        /// The file.
        name: String,
        /// What the bytes look like.
        found: String,
    },
    /// The bytes are of another type than declared.
    #[error("{name}: declared as {declared}, but its bytes are {found}")]
    Mismatch {
        /// The file.
        name: String,
        /// The declared type.
        declared: String,
        /// What the bytes are.
        found: String,
    },
    /// Over a limit.
    #[error("{name}: {what} is {value}, over the limit of {limit}")]
    TooLarge {
        /// The file (or the post).
        name: String,
        /// What is measured.
        what: &'static str,
        /// Its value.
        value: u64,
        /// The limit.
        limit: u64,
    },
    /// An image whose header cannot be read.
    #[error("{name}: not a readable {media_type} ({problem})")]
    Unreadable {
        /// The file.
        name: String,
        /// Its type.
        media_type: String,
        /// What went wrong.
        problem: String,
    },
    /// A malformed description of a file.
    #[error("{name}: {problem}")]
    Malformed {
        /// The file.
        name: String,
        /// What is wrong.
        problem: String,
    },
    /// The stored bytes do not hash to the file's name.
    #[error("{name}: the stored bytes hash to {actual}, not to the {expected} the post names")]
    HashMismatch {
        /// The file.
        name: String,
        /// The SHA-256 the post names.
        expected: String,
        /// The SHA-256 of the stored bytes.
        actual: String,
    },
}

impl MediaFile {
    /// Checks the description alone, before any byte is read: a well-formed hash and name, a
    /// type the blog serves, the size and pixel limits.
    pub fn check(&self) -> Result<(), MediaError> {
        let malformed = |problem: &str| MediaError::Malformed {
            name: self.name.clone(),
            problem: problem.to_owned(),
        };
        if !is_sha256(&self.sha256) {
            return Err(malformed(
                "`sha256` must be the SHA-256 of its bytes, 64 lower-case hexadecimal digits",
            ));
        }
        if !is_media_name(&self.name) {
            return Err(malformed(&format!(
                "a file's name is at most {MAX_MEDIA_NAME_LEN} lower-case letters, digits, `.`, `-` and `_`, with an extension"
            )));
        }
        let Some((_, extension)) = MEDIA_TYPES.iter().find(|(t, _)| *t == self.media_type) else {
            return Err(MediaError::Type {
                name: self.name.clone(),
                found: format!("declared as {}", self.media_type),
            });
        };
        // The CDN picks an SVG's policy by its name, so a name always says its type.
        if self.name.rsplit_once('.').map(|(_, e)| e) != Some(extension) {
            return Err(malformed(&format!(
                "a file of type {} is named `….{extension}`",
                self.media_type
            )));
        }
        if self.size > MAX_MEDIA_BYTES {
            return Err(self.too_large("its size in bytes", self.size, MAX_MEDIA_BYTES));
        }
        if let (Some(width), Some(height)) = (self.width, self.height) {
            check_pixels(&self.name, width, height)?;
        }
        Ok(())
    }

    fn too_large(&self, what: &'static str, value: u64, limit: u64) -> MediaError {
        MediaError::TooLarge {
            name: self.name.clone(),
            what,
            value,
            limit,
        }
    }
}

/// Checks an image's size in pixels, as its header declares it, before anything decodes it: a
/// tiny file can declare 50,000 × 50,000 pixels and take gigabytes to decode.
pub fn check_pixels(name: &str, width: u32, height: u32) -> Result<(), MediaError> {
    let too_large = |what, value, limit| MediaError::TooLarge {
        name: name.to_owned(),
        what,
        value,
        limit,
    };
    let side = width.max(height);
    if side > MAX_IMAGE_SIDE {
        return Err(too_large(
            "its longer side in pixels",
            u64::from(side),
            u64::from(MAX_IMAGE_SIDE),
        ));
    }
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_IMAGE_PIXELS {
        return Err(too_large("its number of pixels", pixels, MAX_IMAGE_PIXELS));
    }
    Ok(())
}

/// Checks a post's files together: each one, and their number and total size (each file once,
/// however many references name it); each reference's own fields.
pub fn check_post_media(media: &[MediaRef]) -> Result<(), MediaError> {
    let files: Vec<&MediaFile> = media.iter().flat_map(MediaRef::files).collect();
    for file in &files {
        file.check()?;
    }
    check_files(&files)?;
    for reference in media {
        let malformed = |problem: &str| MediaError::Malformed {
            name: reference.file.name.clone(),
            problem: problem.to_owned(),
        };
        if reference.reference.is_empty() || reference.reference.len() > 1000 {
            return Err(malformed(
                "its reference must be the URL the post writes, at most 1000 bytes",
            ));
        }
        let plain = !reference.site_path.is_empty()
            && reference.site_path.len() <= 500
            && !reference.site_path.starts_with('/')
            && reference.site_path.split('/').all(|part| {
                !part.is_empty() && part != "." && part != ".." && !part.contains('\\')
            });
        if !plain {
            return Err(malformed(
                "its `site_path` must be a relative path within the folder published, at most 500 bytes",
            ));
        }
    }
    Ok(())
}

/// Checks files that go together (one post's, or one request for slots): their number and
/// total size, each file counted once.
pub fn check_files(files: &[&MediaFile]) -> Result<(), MediaError> {
    // A file is its hash and its name (its URL and its key are made of the two alone).
    let mut seen = std::collections::HashSet::new();
    let files: Vec<&&MediaFile> = files
        .iter()
        .filter(|f| seen.insert((f.sha256.as_str(), f.name.as_str())))
        .collect();
    let post = |what, value, limit| MediaError::TooLarge {
        name: "the post".to_owned(),
        what,
        value,
        limit,
    };
    if files.len() > MAX_POST_MEDIA_FILES {
        return Err(post(
            "its number of files (variants included)",
            files.len() as u64,
            MAX_POST_MEDIA_FILES as u64,
        ));
    }
    let total: u64 = files.iter().map(|f| f.size).sum();
    if total > MAX_POST_MEDIA_BYTES {
        return Err(post(
            "the size of its files in bytes",
            total,
            MAX_POST_MEDIA_BYTES,
        ));
    }
    Ok(())
}

/// Whether `s` is a SHA-256 in lower-case hexadecimal.
pub fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Whether `s` is a file name as media URLs carry them.
pub fn is_media_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_MEDIA_NAME_LEN
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
        })
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && s.rsplit_once('.')
            .is_some_and(|(stem, ext)| !stem.is_empty() && !ext.is_empty())
        && !s.contains("..")
}

/// The name a file takes in its URL: its stem made a slug, and the extension of the type its
/// bytes are (`Architecture Diagram (v2).PNG` that is a JPEG → `architecture-diagram-v2.jpg`).
pub fn media_name(file_name: &str, media_type: &str) -> String {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let stem = base.rsplit_once('.').map_or(base, |(stem, _)| stem);
    let extension = extension_of(media_type).unwrap_or("bin");
    let room = MAX_MEDIA_NAME_LEN - extension.len() - 1;
    let mut stem = slug::slugify(stem);
    if stem.len() > room {
        stem.truncate(room);
        while stem.ends_with('-') {
            stem.pop();
        }
    }
    if stem.is_empty() {
        stem.push_str("file");
    }
    format!("{stem}.{extension}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_from_file_names_and_the_real_type() {
        assert_eq!(
            media_name("Architecture Diagram (v2).PNG", "image/jpeg"),
            "architecture-diagram-v2.jpg"
        );
        assert_eq!(
            media_name("../images/Überblick.svg", "image/svg+xml"),
            "uberblick.svg"
        );
        assert_eq!(media_name("...png", "image/png"), "file.png");
        assert_eq!(media_name("files/README", "application/pdf"), "readme.pdf");
        assert!(is_media_name(&media_name(
            &"x".repeat(500),
            "application/pdf"
        )));
        assert!(!is_media_name("../etc.png"));
        assert!(!is_media_name("Diagram.png"));
        assert!(!is_media_name("noextension"));
    }
}
