//! What an author is told when a write is refused: an `application/problem+json` document
//! (RFC 9457) naming the field or the limit, with the status decided here for every refusal.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::super::respond::{NO_STORE, RETRY_AFTER};
use super::documents::ProblemDocument;
use crate::content::PostError;
use crate::content::frontmatter::FrontMatterError;
use crate::model::media::MediaError;
use crate::model::{MAX_REDIRECTS, Slug};
use crate::paths;
use crate::report::report;
use crate::store::{Holder, StoreError, WriteError};

/// A problem; boxed, so that `Result<_, Problem>` stays small.
#[derive(Debug)]
pub(super) struct Problem(Box<ProblemDocument>);

impl Problem {
    pub(super) fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self(Box::new(ProblemDocument {
            kind: "about:blank".to_owned(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
            limit: None,
            current_version: None,
            slug: None,
            holder: None,
            missing: None,
        }))
    }

    /// A post whose files are not all stored, or one stored with other bytes than it names.
    pub(super) fn not_stored(error: crate::store::blobs::NotStored) -> Self {
        use crate::store::blobs::NotStored;
        match error {
            NotStored::Missing(files) => {
                let mut problem = Self::new(
                    StatusCode::CONFLICT,
                    format!(
                        "{error}: upload them through the slots POST /media hands out, ask POST /media again to have them checked, then send the post again",
                        error = NotStored::Missing(files.clone())
                    ),
                )
                .field("media");
                problem.0.missing = Some(files.iter().map(paths::media_file).collect());
                problem
            }
            NotStored::Refused(error) => Self::from(crate::content::PostError::Media(error)),
            NotStored::Store(error) => Self::from(error),
        }
    }

    pub(super) fn field(mut self, field: &str) -> Self {
        self.0.field = Some(field.to_owned());
        self
    }

    pub(super) fn limit(mut self, limit: usize) -> Self {
        self.0.limit = Some(limit);
        self
    }

    fn slug(mut self, slug: &Slug) -> Self {
        self.0.slug = Some(slug.to_string());
        self
    }

    fn current(mut self, version: u64) -> Self {
        self.0.current_version = Some(version);
        self
    }

    /// The HTTP status.
    pub(super) fn status(&self) -> u16 {
        self.0.status
    }

    fn holder(mut self, holder: &Holder) -> Self {
        self.0.holder = Some(holder.into());
        self
    }

    /// A create onto a slug another post holds.
    pub(super) fn slug_taken_on_create(slug: &Slug, holder: &Holder) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            format!(
                "a post with slug `{slug}` exists with other content (\"{}\", published from {}); if this file is that post, update it with PUT and If-Match, otherwise give this file another `slug:`",
                holder.title,
                holder.identity.describe()
            ),
        )
        .field("slug")
        .slug(slug)
        .current(holder.version)
        .holder(holder)
    }

    /// A write to the post at `slug` that was refused or failed.
    pub(super) fn write(slug: &Slug, error: WriteError) -> Self {
        match error {
            WriteError::NotFound => {
                Self::new(StatusCode::NOT_FOUND, format!("there is no post `{slug}`"))
            }
            WriteError::Stale { current } => Self::new(
                StatusCode::PRECONDITION_FAILED,
                format!(
                    "post `{slug}` changed since that version (it is at version {current} now); fetch it, merge, and retry"
                ),
            )
            .current(current),
            WriteError::SlugTaken(holder) => Self::new(
                StatusCode::CONFLICT,
                format!(
                    "the new slug belongs to another post (\"{}\", published from {})",
                    holder.title,
                    holder.identity.describe()
                ),
            )
            .field("slug")
            .current(holder.version)
            .holder(&holder),
            WriteError::OtherSource(holder) => Self::new(
                StatusCode::CONFLICT,
                format!(
                    "post `{slug}` (\"{}\") was published from {}, not from this file; give this file another `slug:`, or an `id:` if it is that post moved",
                    holder.title,
                    holder.identity.describe()
                ),
            )
            .field("slug")
            .slug(slug)
            .current(holder.version)
            .holder(&holder),
            WriteError::RedirectTaken { path, owner } => Self::new(
                StatusCode::CONFLICT,
                format!(
                    "the old address `{path}` already redirects to post `{owner}`; remove it from this post's aliases, or from `{owner}`'s first"
                ),
            )
            .field("aliases"),
            WriteError::AddressTaken { path, owner } => Self::new(
                StatusCode::CONFLICT,
                format!(
                    "the alias `{path}` is the address of post `{owner}`, which no other post may take; remove it from this post's aliases"
                ),
            )
            .field("aliases"),
            WriteError::TooManyRedirects { count } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "with the addresses it keeps from its old site, post `{slug}` would have {count} old addresses, over the limit of {MAX_REDIRECTS}; remove some `aliases`"
                ),
            )
            .field("aliases")
            .limit(MAX_REDIRECTS),
            WriteError::Store(error) => error.into(),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let etag = self.0.current_version.map(version_etag);
        let body = serde_json::to_string(&self.0).unwrap_or_default();
        let mut response = (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, NO_STORE);
        if let Some(etag) = etag.and_then(|e| HeaderValue::from_str(&e).ok()) {
            headers.insert(header::ETAG, etag);
        }
        match status {
            StatusCode::UNAUTHORIZED => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"blog\""),
                );
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                headers.insert(header::RETRY_AFTER, RETRY_AFTER);
            }
            _ => {}
        }
        response
    }
}

/// The ETag of a stored version, for `If-Match`.
pub(super) fn version_etag(version: u64) -> String {
    format!("\"v{version}\"")
}

impl From<PostError> for Problem {
    fn from(error: PostError) -> Self {
        let field = match &error {
            PostError::FrontMatter(FrontMatterError::Field { field, .. }) => Some(field.clone()),
            PostError::MissingTitle | PostError::Empty("title") => Some("title".to_owned()),
            PostError::MissingDate => Some("date".to_owned()),
            PostError::BadDate { field, .. }
            | PostError::BadName { field, .. }
            | PostError::TooMany { field, .. }
            | PostError::TooDeep { field, .. }
            | PostError::Unprintable { field, .. }
            | PostError::BadPath { field, .. } => Some((*field).to_owned()),
            PostError::Empty(field) => Some((*field).to_owned()),
            PostError::Media(_) => Some("media".to_owned()),
            PostError::FrontMatter(_) => None,
        };
        let limit = match &error {
            PostError::TooMany { limit, .. } | PostError::TooDeep { limit, .. } => Some(*limit),
            _ => None,
        };
        let status = match &error {
            PostError::FrontMatter(_) => StatusCode::BAD_REQUEST,
            PostError::Media(MediaError::TooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let mut problem = Self::new(status, error.to_string());
        problem.0.field = field;
        problem.0.limit = limit;
        problem
    }
}

impl From<StoreError> for Problem {
    fn from(error: StoreError) -> Self {
        tracing::error!(error = %report(&error), "ingest store call failed");
        match error {
            StoreError::Unavailable(_) => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the store is unavailable; nothing was written, try again shortly",
            ),
            StoreError::Failed(..) => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the post could not be stored; nothing was written",
            ),
        }
    }
}
