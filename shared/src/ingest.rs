//! The authors' write path: `POST /posts`, `PUT /posts/{slug}`, `DELETE /posts/{slug}`.
//!
//! Safe for a team: only an authenticated caller writes (IAM in AWS, a bearer token locally,
//! and the function fails closed); every update is conditional on the version the author last
//! saw (`If-Match`), so no edit is lost to a race; bad input is refused with an
//! `application/problem+json` naming the field or the limit, before anything is written; and
//! sending the same content again writes nothing.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use lambda_http::RequestExt;
use lambda_http::request::RequestContext;
use serde::Serialize;
use subtle::ConstantTimeEq;

use crate::model::{Post, Slug};
use crate::source::{Origin, PostError, parse_post_from};
use crate::store::{MAX_ITEM_BYTES, PublishOutcome, StoreError, WriteOutcome, post_item_size};
use crate::views::post_path;
use crate::web::{AppState, Ctx};

/// The largest upload read at all; a post's stored item must also fit [`MAX_ITEM_BYTES`].
/// Well under Lambda's 6 MB synchronous payload.
pub const MAX_UPLOAD_BYTES: usize = 1024 * 1024;

/// The request header naming the category of posts that name none (`blog import --category`).
pub const DEFAULT_CATEGORY_HEADER: &str = "blog-default-category";
/// The request header saying where an imported file comes from (`jekyll`, `hugo`, `zola`).
pub const IMPORT_FORMAT_HEADER: &str = "blog-import-format";

/// Who may write.
#[derive(Clone)]
pub enum IngestAuth {
    /// In AWS: API Gateway's IAM authoriser has checked the caller's SigV4 signature. The
    /// function still refuses any request whose context carries no IAM identity, so a route
    /// deployed without the authoriser does not open writes to the world.
    Iam,
    /// Locally (`blog serve`, `cargo lambda watch`): `Authorization: Bearer <token>`.
    Token(Arc<str>),
}

impl std::fmt::Debug for IngestAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token.
        match self {
            Self::Iam => f.write_str("Iam"),
            Self::Token(_) => f.write_str("Token(…)"),
        }
    }
}

impl IngestAuth {
    /// `BLOG_INGEST_TOKEN` set: the local token mode. Unset: IAM, failing closed.
    pub fn from_env() -> Self {
        match std::env::var("BLOG_INGEST_TOKEN") {
            Ok(token) if !token.trim().is_empty() => Self::Token(token.trim().into()),
            _ => Self::Iam,
        }
    }
}

/// The caller, as authenticated: an IAM ARN or "token".
#[derive(Debug, Clone)]
struct Author(String);

/// The `ingest` function's routes.
pub fn ingest(state: AppState, auth: IngestAuth) -> Router {
    ingest_routes(auth).with_state(state)
}

/// The ingest routes, to merge with the read routes (`blog serve`).
pub fn ingest_routes(auth: IngestAuth) -> Router<AppState> {
    // Authentication wraps the write methods only: another method on these paths (a GET of
    // `/posts/{slug}` is a reader's) is not the ingest function's to refuse.
    let authenticated = middleware::from_fn_with_state(auth, authenticate);
    Router::new()
        .route("/posts", post(create).route_layer(authenticated.clone()))
        .route(
            "/posts/{slug}",
            put(replace).delete(remove).route_layer(authenticated),
        )
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES))
}

/// A problem, as RFC 9457 describes it; boxed, so that `Result<_, Problem>` stays small.
#[derive(Debug)]
struct Problem(Box<ProblemDocument>);

#[derive(Debug, Serialize)]
struct ProblemDocument {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'static str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    current_version: Option<u64>,
    /// The post concerned, where the client may not know it (a 409 on create).
    #[serde(skip_serializing_if = "Option::is_none")]
    slug: Option<String>,
}

impl Problem {
    fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self(Box::new(ProblemDocument {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
            limit: None,
            current_version: None,
            slug: None,
        }))
    }

    fn field(mut self, field: &str) -> Self {
        self.0.field = Some(field.to_owned());
        self
    }

    fn limit(mut self, limit: usize) -> Self {
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
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
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
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        response
    }
}

/// The ETag of a stored version, for `If-Match`.
fn version_etag(version: u64) -> String {
    format!("\"v{version}\"")
}

async fn authenticate(
    State(auth): State<IngestAuth>,
    mut request: Request,
    next: Next,
) -> Response {
    let author = match &auth {
        IngestAuth::Iam => iam_identity(&request).ok_or_else(|| {
            Problem::new(
                StatusCode::FORBIDDEN,
                "writes need IAM authorisation (SigV4); this request carries no IAM identity",
            )
        }),
        IngestAuth::Token(expected) => bearer(&request, expected),
    };
    match author {
        Ok(author) => {
            request.extensions_mut().insert(author);
            next.run(request).await
        }
        Err(problem) => {
            tracing::warn!(method = %request.method(), path = %request.uri().path(), status = problem.0.status, "ingest request refused");
            problem.into_response()
        }
    }
}

/// The caller's ARN, from the request context API Gateway's IAM authoriser fills in.
fn iam_identity(request: &Request) -> Option<Author> {
    let Some(RequestContext::ApiGatewayV2(context)) = request.extensions().request_context_ref()
    else {
        return None;
    };
    let iam = context.authorizer.as_ref()?.iam.as_ref()?;
    let who = iam
        .user_arn
        .as_deref()
        .or(iam.caller_id.as_deref())
        .filter(|s| !s.is_empty())?;
    Some(Author(who.to_owned()))
}

fn bearer(request: &Request, expected: &str) -> Result<Author, Problem> {
    let missing = || {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "send `Authorization: Bearer <token>` (BLOG_INGEST_TOKEN)",
        )
    };
    let value = request
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(missing)?;
    let value = value.to_str().map_err(|_| missing())?;
    let (scheme, token) = value.split_once(' ').ok_or_else(missing)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(missing());
    }
    // Constant time: the comparison must not tell how much of a guess was right.
    if bool::from(token.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(Author("token".to_owned()))
    } else {
        Err(Problem::new(
            StatusCode::FORBIDDEN,
            "the token is not valid",
        ))
    }
}

/// What the client gets back after a write.
#[derive(Debug, Serialize)]
struct Written {
    slug: String,
    url: String,
    version: u64,
}

fn written(state: &Ctx, status: StatusCode, slug: &Slug, version: u64) -> Response {
    let url = state.site.absolute(&post_path(slug.as_str()));
    let body = Written {
        slug: slug.to_string(),
        url: url.clone(),
        version,
    };
    let json = serde_json::to_string(&body).unwrap_or_default();
    let mut response = (status, [(header::CONTENT_TYPE, "application/json")], json).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(etag) = HeaderValue::from_str(&version_etag(version)) {
        headers.insert(header::ETAG, etag);
    }
    if status == StatusCode::CREATED
        && let Ok(location) = HeaderValue::from_str(&url)
    {
        headers.insert(header::LOCATION, location);
    }
    response
}

/// Checks the media type, size and encoding of an upload, then parses, validates and renders it.
fn read_upload(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    url_slug: Option<&Slug>,
) -> Result<Post, Problem> {
    check_media_type(headers)?;
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the upload is larger than {MAX_UPLOAD_BYTES} bytes"),
        )
        .limit(MAX_UPLOAD_BYTES),
        status => Problem::new(status, rejection.body_text()),
    })?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "the body is empty: send the Markdown file, front matter included",
        ));
    }
    let text = std::str::from_utf8(&body).map_err(|e| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            format!("the body is not valid UTF-8 (at byte {})", e.valid_up_to()),
        )
    })?;
    let file_name = upload_file_name(headers);
    let default_category = headers
        .get(DEFAULT_CATEGORY_HEADER)
        .and_then(|v| v.to_str().ok());
    let jekyll = headers
        .get(IMPORT_FORMAT_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("jekyll"));
    let origin = Origin {
        file_name: file_name.as_deref(),
        default_category,
        jekyll,
        slug: url_slug,
    };
    let post = parse_post_from(text, &origin).map_err(post_problem)?;
    let size = post_item_size(&post);
    if size > MAX_ITEM_BYTES {
        return Err(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the stored post would be {size} bytes, over DynamoDB's item limit of {MAX_ITEM_BYTES} bytes (400 KB); shorten it or split it"
            ),
        )
        .limit(MAX_ITEM_BYTES));
    }
    Ok(post)
}

fn check_media_type(headers: &HeaderMap) -> Result<(), Problem> {
    let unsupported = |what: &str| {
        Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("{what}: send the post as `Content-Type: text/markdown; charset=utf-8`"),
        )
    };
    let value = headers
        .get(header::CONTENT_TYPE)
        .ok_or_else(|| unsupported("no Content-Type"))?
        .to_str()
        .map_err(|_| unsupported("an unreadable Content-Type"))?;
    let mut parts = value.split(';').map(str::trim);
    let essence = parts.next().unwrap_or_default().to_ascii_lowercase();
    if !matches!(
        essence.as_str(),
        "text/markdown" | "text/x-markdown" | "text/plain"
    ) {
        return Err(unsupported(&format!("`{essence}` is not Markdown")));
    }
    for parameter in parts {
        if let Some((name, charset)) = parameter.split_once('=')
            && name.trim().eq_ignore_ascii_case("charset")
            && !charset
                .trim()
                .trim_matches('"')
                .eq_ignore_ascii_case("utf-8")
        {
            return Err(unsupported(&format!(
                "charset `{}` is not UTF-8",
                charset.trim()
            )));
        }
    }
    Ok(())
}

/// `Content-Disposition: attachment; filename="2018-09-19-my-post.md"` names the uploaded file,
/// which can give the post its date and slug, as in Jekyll.
fn upload_file_name(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_DISPOSITION)?.to_str().ok()?;
    let name = value
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("filename="))?;
    let name = name.trim_matches('"');
    let base = name.rsplit(['/', '\\']).next()?;
    (!base.is_empty() && base.len() <= 200).then(|| base.to_owned())
}

fn post_problem(error: PostError) -> Problem {
    let field = match &error {
        PostError::FrontMatter(crate::frontmatter::FrontMatterError::Field { field, .. }) => {
            Some(field.clone())
        }
        PostError::MissingTitle | PostError::Empty("title") => Some("title".to_owned()),
        PostError::MissingDate => Some("date".to_owned()),
        PostError::BadDate { field, .. }
        | PostError::BadName { field, .. }
        | PostError::TooMany { field, .. }
        | PostError::BadPath { field, .. } => Some((*field).to_owned()),
        PostError::Empty(field) => Some((*field).to_owned()),
        PostError::FrontMatter(_) => None,
    };
    let limit = match &error {
        PostError::TooMany { limit, .. } => Some(*limit),
        _ => None,
    };
    let status = match &error {
        PostError::FrontMatter(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let mut problem = Problem::new(status, error.to_string());
    problem.0.field = field;
    problem.0.limit = limit;
    problem
}

fn store_problem(error: StoreError) -> Problem {
    tracing::error!(error = %crate::web::chain(&error), "ingest store call failed");
    match error {
        StoreError::Unavailable(_) => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the store is unavailable; nothing was written, try again shortly",
        ),
        StoreError::Failed(..) => Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the post could not be stored; nothing was written",
        ),
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

async fn create(
    state: Ctx,
    axum::Extension(author): axum::Extension<Author>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let post = match read_upload(&headers, body, None) {
        Ok(post) => post,
        Err(problem) => return problem.into_response(),
    };
    match state.store.publish(&post).await {
        Ok(PublishOutcome::Created { version }) => {
            tracing::info!(author = %author.0, slug = %post.slug, version, "post created");
            written(&state, StatusCode::CREATED, &post.slug, version)
        }
        Ok(PublishOutcome::Unchanged { version }) => {
            written(&state, StatusCode::OK, &post.slug, version)
        }
        Ok(PublishOutcome::SlugTaken { version }) => Problem::new(
            StatusCode::CONFLICT,
            format!(
                "a post with slug `{}` exists with other content; update it with PUT and If-Match",
                post.slug
            ),
        )
        .field("slug")
        .slug(&post.slug)
        .current(version)
        .into_response(),
        Err(error) => store_problem(error).into_response(),
    }
}

async fn replace(
    state: Ctx,
    axum::Extension(author): axum::Extension<Author>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = async {
        let slug =
            Slug::parse(&slug).map_err(|e| Problem::new(StatusCode::NOT_FOUND, e.to_string()))?;
        let expected = expected_version(&headers)?;
        let post = read_upload(&headers, body, Some(&slug))?;
        let outcome = state
            .store
            .replace(&slug, &post, expected)
            .await
            .map_err(store_problem)?;
        Ok::<_, Problem>((slug, post, outcome))
    }
    .await;
    match result {
        Ok((_, post, WriteOutcome::Written { version })) => {
            tracing::info!(author = %author.0, slug = %post.slug, version, "post updated");
            written(&state, StatusCode::OK, &post.slug, version)
        }
        Ok((_, post, WriteOutcome::Unchanged { version })) => {
            written(&state, StatusCode::OK, &post.slug, version)
        }
        Ok((slug, _, outcome)) => write_refused(&slug, outcome).into_response(),
        Err(problem) => problem.into_response(),
    }
}

async fn remove(
    state: Ctx,
    axum::Extension(author): axum::Extension<Author>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let slug =
            Slug::parse(&slug).map_err(|e| Problem::new(StatusCode::NOT_FOUND, e.to_string()))?;
        let expected = expected_version(&headers)?;
        let outcome = state
            .store
            .delete(&slug, expected)
            .await
            .map_err(store_problem)?;
        Ok::<_, Problem>((slug, outcome))
    }
    .await;
    match result {
        Ok((slug, WriteOutcome::Written { .. })) => {
            tracing::info!(author = %author.0, slug = %slug, "post deleted");
            StatusCode::NO_CONTENT.into_response()
        }
        Ok((slug, outcome)) => write_refused(&slug, outcome).into_response(),
        Err(problem) => problem.into_response(),
    }
}

fn write_refused(slug: &Slug, outcome: WriteOutcome) -> Problem {
    match outcome {
        WriteOutcome::NotFound => Problem::new(StatusCode::NOT_FOUND, format!("there is no post `{slug}`")),
        WriteOutcome::Stale { current } => Problem::new(
            StatusCode::PRECONDITION_FAILED,
            format!("post `{slug}` changed since that version (it is at version {current} now); fetch it, merge, and retry"),
        )
        .current(current),
        WriteOutcome::SlugTaken { version } => {
            Problem::new(StatusCode::CONFLICT, "the new slug belongs to another post").field("slug").current(version)
        }
        WriteOutcome::Written { .. } | WriteOutcome::Unchanged { .. } => {
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "unexpected outcome")
        }
    }
}
