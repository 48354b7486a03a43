//! How `blog publish` proves who it is: the local bearer token, or a SigV4 signature made with
//! the author's AWS credentials from the standard chain, for the API Gateway IAM authoriser.

use std::time::SystemTime;

use anyhow::{Context, Result};
use aws_credential_types::provider::ProvideCredentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;

/// The credentials a request is sent with.
pub enum Credentials {
    /// `Authorization: Bearer <token>` (`blog serve`, `cargo lambda watch`).
    Token(String),
    /// SigV4 for API Gateway (`execute-api`) in `region`.
    Aws {
        /// The author's identity, from the standard chain.
        identity: aws_credential_types::Credentials,
        /// The API's region.
        region: String,
    },
}

impl Credentials {
    /// A token if one is given; else the AWS credentials and region of the standard chain.
    pub async fn resolve(token: Option<String>, region: Option<String>) -> Result<Self> {
        if let Some(token) = token.filter(|t| !t.trim().is_empty()) {
            return Ok(Self::Token(token.trim().to_owned()));
        }
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(blog_shared::aws::http_client())
            .load()
            .await;
        let region = region
            .or_else(|| config.region().map(ToString::to_string))
            .context("no region: pass --region, or set AWS_REGION, to sign with AWS credentials")?;
        let provider = config
            .credentials_provider()
            .context("no token and no AWS credentials: pass --token (or BLOG_INGEST_TOKEN), or configure AWS credentials")?;
        let identity = provider.provide_credentials().await.context(
            "no token (--token or BLOG_INGEST_TOKEN), and AWS credentials could not be loaded",
        )?;
        Ok(Self::Aws { identity, region })
    }

    /// Adds the credentials to a request that is otherwise ready to send.
    pub fn apply(&self, request: &mut http::Request<Vec<u8>>) -> Result<()> {
        match self {
            Self::Token(token) => {
                let value = format!("Bearer {token}")
                    .parse()
                    .context("the token has characters a header cannot carry")?;
                request
                    .headers_mut()
                    .insert(http::header::AUTHORIZATION, value);
                Ok(())
            }
            Self::Aws { identity, region } => sign_v4(request, identity, region),
        }
    }
}

/// Signs `request` for API Gateway with SigV4, as the AWS SDKs do (the `aws-sigv4` crate).
fn sign_v4(
    request: &mut http::Request<Vec<u8>>,
    credentials: &aws_credential_types::Credentials,
    region: &str,
) -> Result<()> {
    let identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("execute-api")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .context("building the SigV4 signing parameters")?
        .into();
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    let uri = request.uri().to_string();
    let signable = SignableRequest::new(
        request.method().as_str(),
        uri,
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        SignableBody::Bytes(request.body()),
    )
    .context("preparing the request for SigV4")?;
    let (instructions, _signature) = sign(signable, &params)
        .context("signing the request")?
        .into_parts();
    instructions.apply_to_request_http1x(request);
    Ok(())
}
