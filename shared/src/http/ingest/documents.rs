//! Every document of the authors' API, each declared once, `Serialize` and `Deserialize`: the
//! server writes them, `blog publish`, `blog import` and `blog export` read them. What a write
//! answers ([`Written`]), what a refusal says ([`ProblemDocument`], RFC 9457, with the post
//! holding a slug, [`HolderDocument`]), and a page of an export ([`ExportPage`]). The upload
//! slots' documents live beside the route that answers them (`POST /media`).

use serde::{Deserialize, Serialize};

use crate::model::{MediaRef, Post};
use crate::store::Holder;
use crate::store::rules::redirect_paths;

/// What a write answers: the post's slug, URL and version, and, behind a CDN that could not be
/// told of the change, why readers may see the old pages for a while.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Written {
    /// The post's slug.
    pub slug: String,
    /// Its page, absolute.
    pub url: String,
    /// Its version now (its ETag is `"v<version>"`).
    pub version: u64,
    /// The write stands, but the CDN could not be told: readers may see old pages a while.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cdn_warning: Option<String>,
}

/// A refusal, `application/problem+json` (RFC 9457), naming the field or the limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemDocument {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: String,
    /// The status's reason phrase.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What is wrong, and what to do.
    pub detail: String,
    /// The front matter field (or `media`, `aliases`) at fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The limit exceeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// The version stored now (a 409 or 412).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u64>,
    /// The post concerned, where the client may not know it (a 409 on create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    /// The post that holds what the write wanted (a slug), so that the client can tell
    /// whether it is the same post.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<HolderDocument>,
    /// The files a post uses that are not uploaded (a 409), by URL path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<Vec<String>>,
}

/// What an author is told of the post holding a slug.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolderDocument {
    /// Its title.
    pub title: String,
    /// When it appears, RFC 3339.
    pub published: String,
    /// Who wrote it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    /// The file it was published from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_path: Option<String>,
    /// Its `id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

impl From<&Holder> for HolderDocument {
    fn from(holder: &Holder) -> Self {
        Self {
            title: holder.title.clone(),
            published: crate::dates::rfc3339(holder.published),
            authors: holder.authors.clone(),
            source_path: holder.identity.source_path.clone(),
            id: holder.identity.id.clone(),
        }
    }
}

/// A page of an export (`GET /posts`).
#[derive(Debug, Serialize, Deserialize)]
pub struct ExportPage {
    /// The posts of this page.
    pub posts: Vec<ExportedPost>,
    /// Where the next page starts (`?from=`), if there is one.
    pub next: Option<String>,
}

/// A post as an export carries it: the Markdown as uploaded, and what it has become since.
#[derive(Debug, Serialize, Deserialize)]
pub struct ExportedPost {
    /// Its slug now.
    pub slug: String,
    /// Its version.
    pub version: u64,
    /// Its title.
    pub title: String,
    /// When it appears, RFC 3339.
    pub published: String,
    /// Whether it is a draft.
    pub draft: bool,
    /// Its categories' names.
    pub categories: Vec<String>,
    /// Its authors.
    pub authors: Vec<String>,
    /// The path it was published from.
    pub source_path: Option<String>,
    /// Every old address that leads here: aliases, old permalinks, former slugs' pages.
    pub old_paths: Vec<String>,
    /// The Markdown as uploaded.
    pub source: String,
    /// The files it uses, with where each was found (`blog export` writes them back there).
    #[serde(default)]
    pub media: Vec<MediaRef>,
}

impl From<&Post> for ExportedPost {
    fn from(post: &Post) -> Self {
        Self {
            slug: post.slug.to_string(),
            version: post.version,
            title: post.title.clone(),
            published: crate::dates::rfc3339(post.published),
            draft: post.draft,
            categories: post.categories.iter().map(|c| c.name.clone()).collect(),
            authors: post.authors.clone(),
            source_path: post.source_path.clone(),
            old_paths: redirect_paths(post),
            source: post.source.clone(),
            media: post.media.clone(),
        }
    }
}
