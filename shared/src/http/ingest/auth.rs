//! Who may write: IAM identities in AWS (failing closed), a bearer token locally.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lambda_http::RequestExt;
use lambda_http::request::RequestContext;
use subtle::ConstantTimeEq;

use super::problem::Problem;

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
pub(super) struct Author(pub(super) String);

/// Lets an authenticated request through, with its [`Author`]; refuses the rest.
pub(super) async fn authenticate(
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
            tracing::warn!(method = %request.method(), path = %request.uri().path(), status = problem.status(), "ingest request refused");
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
