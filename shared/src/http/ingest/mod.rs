//! The authors' write path: `POST /posts`, `PUT /posts/{slug}`, `DELETE /posts/{slug}`, and
//! `GET /posts`, the export of every post's source.
//!
//! Safe for a team: only an authenticated caller writes (`auth.rs`: IAM in AWS, a bearer token
//! locally, and the function fails closed); every update is conditional on the version the
//! author last saw (`If-Match`), so no edit is lost to a race; bad input is refused before
//! anything is written (`upload.rs`), with an `application/problem+json` naming the field or
//! the limit (`problem.rs`); and sending the same content again writes nothing.

mod auth;
mod documents;
mod media;
mod problem;
mod upload;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use axum::{Extension, Router};
use serde::{Deserialize, Serialize};

pub use auth::IngestAuth;
pub use documents::{ExportPage, ExportedPost, HolderDocument, ProblemDocument, Written};
pub use media::{FileSlot, SlotAnswer, SlotRequest};
pub use upload::{
    DEFAULT_CATEGORY_HEADER, IMPORT_FORMAT_HEADER, OLD_PATHS_HEADER, PostUpload, SLUG_HEADER,
    SOURCE_HEADER, encode_source_path,
};

use super::respond::NO_STORE;
use super::{AppState, Ctx};
use crate::model::{MAX_UPLOAD_BYTES, MediaFile, MediaRef, Post, Slug};
use crate::paths;
use crate::store::{PublishOutcome, WriteError, WriteOutcome};
use auth::Author;
use problem::{Problem, version_etag};
use upload::read_upload;

/// The ingest routes, to mount alone (the `ingest` function) or beside the read routes
/// (`blog serve`).
pub(super) fn routes(auth: IngestAuth) -> Router<AppState> {
    // Authentication wraps the write methods only: another method on these paths (a GET of
    // `/posts/{slug}` is a reader's) is not the ingest function's to refuse.
    let authenticated = middleware::from_fn_with_state(auth, auth::authenticate);
    Router::new()
        .route(
            paths::POSTS,
            post(create).get(export).route_layer(authenticated.clone()),
        )
        .route(
            paths::POST_ROUTE,
            put(replace).delete(remove).route_layer(authenticated),
        )
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES))
}

/// The authors' file routes: `POST /media` (upload slots, and the check of what arrived), and
/// locally the slots themselves (`PUT /media/<sha256>/<name>`). The media function mounts
/// them beside its reads, as it holds the bucket; `blog serve` mounts them too.
pub(super) fn media_routes(auth: IngestAuth) -> Router<AppState> {
    let authenticated = middleware::from_fn_with_state(auth, auth::authenticate);
    Router::new()
        .route(paths::MEDIA, post(media::slots).route_layer(authenticated))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES))
        // A local upload slot carries its own signature, as a presigned S3 URL does.
        .merge(Router::new().route(
            paths::MEDIA_ROUTE,
            put(media::receive).layer(DefaultBodyLimit::disable()),
        ))
}

/// Makes sure every file `post` uses was stored and checked, as the post describes it, by
/// reading the records `POST /media` left (else 409 naming the missing ones, or 422 for one
/// the post describes otherwise).
async fn check_media(ctx: &Ctx, post: &Post) -> Result<(), Problem> {
    if post.media.is_empty() {
        return Ok(());
    }
    let files: Vec<MediaFile> = post
        .media
        .iter()
        .flat_map(MediaRef::files)
        .cloned()
        .collect();
    crate::store::blobs::ensure_checked(ctx.store.as_ref(), &files)
        .await
        .map_err(Problem::not_stored)
}

/// A write's answer, with the status it goes out with.
struct Answer {
    status: StatusCode,
    written: Written,
}

impl Answer {
    fn new(ctx: &Ctx, status: StatusCode, slug: &Slug, version: u64) -> Self {
        Self {
            status,
            written: Written {
                slug: slug.to_string(),
                url: ctx.site.absolute(&paths::post(slug)),
                version,
                cdn_warning: None,
            },
        }
    }

    fn warning(mut self, warning: Option<String>) -> Self {
        self.written.cdn_warning = warning;
        self
    }
}

/// Tells the CDN, if there is one, which pages a write from `before` to `after` changed. The
/// write stands either way; a failure is logged and answered as a warning: those pages may be
/// served as they were until they expire (a day).
async fn invalidate(ctx: &Ctx, before: Option<&Post>, after: Option<&Post>) -> Option<String> {
    let cdn = ctx.cdn.as_ref()?;
    let paths = crate::cdn::changed_paths(before, after, time::OffsetDateTime::now_utc());
    match cdn.invalidate(&paths).await {
        Ok(id) => {
            tracing::info!(paths = paths.len(), invalidation = ?id, "CDN told");
            None
        }
        Err(error) => {
            tracing::error!(error = %crate::report::report(&error), ?paths, "CDN not told");
            Some(format!(
                "the post is stored, but the CDN could not be told ({error}): readers may see the old pages for up to a day"
            ))
        }
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let json = serde_json::to_string(&self.written).unwrap_or_default();
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, mime::APPLICATION_JSON.as_ref())],
            json,
        )
            .into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, NO_STORE);
        if let Ok(etag) = HeaderValue::from_str(&version_etag(self.written.version)) {
            headers.insert(header::ETAG, etag);
        }
        if self.status == StatusCode::CREATED
            && let Ok(location) = HeaderValue::from_str(&self.written.url)
        {
            headers.insert(header::LOCATION, location);
        }
        response
    }
}

/// The version `If-Match` names: required for updates and deletes.
fn expected_version(headers: &HeaderMap) -> Result<u64, Problem> {
    let value = headers.get(header::IF_MATCH).ok_or_else(|| {
        Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "send `If-Match` with the post's current ETag (from its last upload), so that no one else's edit is overwritten",
        )
    })?;
    let stale = || {
        Problem::new(
            StatusCode::PRECONDITION_FAILED,
            "`If-Match` names no version of this post",
        )
    };
    let value = value.to_str().map_err(|_| stale())?.trim();
    value
        .strip_prefix("\"v")
        .and_then(|v| v.strip_suffix('"'))
        .and_then(|v| v.parse().ok())
        .ok_or_else(stale)
}

/// Checks and renders an upload on the blocking pool, off the workers that answer readers: a
/// post that takes long to render (a huge code block to highlight) delays only its author.
async fn render_upload(
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
    url_slug: Option<Slug>,
) -> Result<Post, Problem> {
    tokio::task::spawn_blocking(move || read_upload(&headers, body, url_slug.as_ref()))
        .await
        .map_err(|error| {
            tracing::error!(error = %error, "rendering an upload failed");
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the post could not be rendered; nothing was written",
            )
        })?
}

/// The slug in a write's URL; one that is no slug names no post.
fn url_slug(slug: &str) -> Result<Slug, Problem> {
    Slug::parse(slug).map_err(|e| Problem::new(StatusCode::NOT_FOUND, e.to_string()))
}

async fn create(
    ctx: Ctx,
    Extension(author): Extension<Author>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Answer, Problem> {
    let post = render_upload(headers, body, None).await?;
    check_media(&ctx, &post).await?;
    let outcome = ctx
        .store
        .publish(&post)
        .await
        .map_err(|error| match error {
            WriteError::SlugTaken(holder) => Problem::slug_taken_on_create(&post.slug, &holder),
            other => Problem::write(&post.slug, other),
        })?;
    Ok(match outcome {
        PublishOutcome::Created { version } => {
            tracing::info!(author = %author.0, slug = %post.slug, version, "post created");
            let warning = invalidate(&ctx, None, Some(&post)).await;
            Answer::new(&ctx, StatusCode::CREATED, &post.slug, version).warning(warning)
        }
        PublishOutcome::Unchanged { version } => {
            Answer::new(&ctx, StatusCode::OK, &post.slug, version)
        }
    })
}

/// `GET /posts?from=…`: a page of every stored post with its source, drafts and scheduled
/// posts included, for `blog export`. Authenticated like a write: sources of drafts are not
/// public.
async fn export(
    ctx: Ctx,
    Extension(author): Extension<Author>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, Problem> {
    let page = ctx.store.posts(query.from.as_deref()).await?;
    tracing::info!(author = %author.0, posts = page.posts.len(), "posts exported");
    let document = ExportPage {
        posts: page.posts.iter().map(ExportedPost::from).collect(),
        next: page.next,
    };
    Ok(private_json(&document))
}

/// An answer to an author: `document` as JSON, never cached.
fn private_json(document: &impl Serialize) -> Response {
    let json = serde_json::to_string(document).unwrap_or_default();
    let mut response = (
        [(header::CONTENT_TYPE, mime::APPLICATION_JSON.as_ref())],
        json,
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, NO_STORE);
    response
}

/// A request's JSON body as `T`, or a 400 naming where it is wrong (`what`: "the post").
fn read_json<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T, Problem> {
    let mut json = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut json).map_err(|e| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            format!("{what}'s JSON at `{}`: {}", e.path(), e.inner()),
        )
    })
}

/// The query of an export page.
#[derive(Debug, Deserialize)]
struct ExportQuery {
    from: Option<String>,
}

async fn replace(
    ctx: Ctx,
    Extension(author): Extension<Author>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Answer, Problem> {
    let slug = url_slug(&slug)?;
    let expected = expected_version(&headers)?;
    let post = render_upload(headers, body, Some(slug.clone())).await?;
    check_media(&ctx, &post).await?;
    let outcome = ctx
        .store
        .replace(&slug, &post, expected)
        .await
        .map_err(|error| Problem::write(&slug, error))?;
    Ok(match outcome {
        WriteOutcome::Written {
            version,
            previous,
            current,
        } => {
            tracing::info!(author = %author.0, slug = %post.slug, version, "post updated");
            let warning = invalidate(&ctx, Some(&previous), Some(&current)).await;
            Answer::new(&ctx, StatusCode::OK, &post.slug, version).warning(warning)
        }
        WriteOutcome::Unchanged { version } => {
            Answer::new(&ctx, StatusCode::OK, &post.slug, version)
        }
    })
}

async fn remove(
    ctx: Ctx,
    Extension(author): Extension<Author>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, Problem> {
    let slug = url_slug(&slug)?;
    let expected = expected_version(&headers)?;
    let deleted = ctx
        .store
        .delete(&slug, expected)
        .await
        .map_err(|error| Problem::write(&slug, error))?;
    tracing::info!(author = %author.0, slug = %slug, "post deleted");
    // A 204 has no body to warn in: a CDN left stale is in the log.
    invalidate(&ctx, Some(&deleted), None).await;
    Ok(StatusCode::NO_CONTENT)
}
