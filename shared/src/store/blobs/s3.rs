//! Files in a private S3 bucket, read by CloudFront through Origin Access Control (readers
//! never reach the bucket) and, without the CDN, by the `media` function.
//!
//! An upload slot is a presigned `PUT` that signs the length, the type, the SHA-256 (S3
//! refuses a body whose checksum differs) and the `Cache-Control` every file is served with.
//! The slot writes to the staging key; a file the server has checked is copied to its own key
//! carrying `x-amz-meta-verified` (what was checked). Only the ingest function writes there.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::types::MetadataDirective;
use axum::body::Bytes;

use super::{Blob, BlobMeta, Blobs, IMMUTABLE, SEARCH_POINTER_CACHE, SLOT_LIFETIME, Slot};
use crate::config::ConfigError;
use crate::model::MediaFile;
use crate::paths;
use crate::store::StoreError;

/// The metadata naming a checked file's SHA-256.
const VERIFIED: &str = "verified";

/// How long a reader's signed URL for a large file stays valid.
const READ_URL_LIFETIME: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// A bucket of files.
#[derive(Debug, Clone)]
pub struct S3Blobs {
    client: Client,
    bucket: String,
}

impl S3Blobs {
    /// The bucket `bucket` through `client`.
    pub fn new(client: Client, bucket: String) -> Self {
        Self { client, bucket }
    }

    /// The bucket `bucket`, with the process's AWS configuration ([`crate::aws::load`]). An
    /// endpoint override (`AWS_ENDPOINT_URL_S3`, for an S3-compatible server) uses path-style
    /// URLs.
    pub async fn from_env(bucket: String) -> Result<Self, ConfigError> {
        let sdk = crate::aws::load(super::super::dynamo_timeouts()).await?;
        let overridden = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
            .iter()
            .any(|name| std::env::var_os(name).is_some());
        let config = aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(overridden)
            .build();
        Ok(Self::new(Client::from_conf(config), bucket))
    }
}

/// Whether an S3 error says there is no such object: a 404 (the roles that read files may list
/// the `media/` prefix, so S3 says 404 rather than 403 for a missing key). Anything else, a
/// 403 among it, is a failure, never "missing".
fn is_missing<E: ProvideErrorMetadata>(
    error: &SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> bool {
    match error {
        SdkError::ServiceError(service) => {
            service.raw().status().as_u16() == 404
                || matches!(service.err().code(), Some("NoSuchKey" | "NotFound"))
        }
        _ => false,
    }
}

/// An SDK failure as a store error: S3's throttling and server errors are worth retrying.
fn sdk_error<E, R>(what: &'static str) -> impl Fn(SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    crate::store::sdk_error(
        what,
        &[
            "SlowDown",
            "ServiceUnavailable",
            "InternalError",
            "RequestTimeout",
        ],
    )
}

fn presigning(lifetime: std::time::Duration) -> Result<PresigningConfig, StoreError> {
    PresigningConfig::expires_in(lifetime)
        .map_err(|e| StoreError::Failed("signing a URL", Box::new(e)))
}

#[async_trait]
impl Blobs for S3Blobs {
    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, StoreError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(head) => Ok(Some(BlobMeta {
                size: head.content_length().map_or(0, |n| n.max(0) as u64),
                media_type: head.content_type().map(str::to_owned),
                verified: head.metadata().and_then(|m| m.get(VERIFIED)).cloned(),
            })),
            Err(error) if is_missing(&error) => Ok(None),
            Err(error) => Err(sdk_error("reading a file's metadata")(error)),
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Blob>, StoreError> {
        let object = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(object) => object,
            Err(error) if is_missing(&error) => return Ok(None),
            Err(error) => return Err(sdk_error("reading a file")(error)),
        };
        let meta = BlobMeta {
            size: object.content_length().map_or(0, |n| n.max(0) as u64),
            media_type: object.content_type().map(str::to_owned),
            verified: object.metadata().and_then(|m| m.get(VERIFIED)).cloned(),
        };
        let bytes = object
            .body
            .collect()
            .await
            .map_err(|e| StoreError::Unavailable(Box::new(e)))?
            .into_bytes();
        Ok(Some(Blob { meta, bytes }))
    }

    async fn read_part(
        &self,
        key: &str,
        offset: u64,
        len: usize,
    ) -> Result<Option<Bytes>, StoreError> {
        if len == 0 {
            return Ok(self.head(key).await?.map(|_| Bytes::new()));
        }
        let last = offset.saturating_add(len as u64 - 1);
        let object = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(format!("bytes={offset}-{last}"))
            .send()
            .await
        {
            Ok(object) => object,
            Err(error) if is_missing(&error) => return Ok(None),
            // A range that starts at or past the end: the file is there, with nothing left.
            Err(error)
                if error
                    .raw_response()
                    .is_some_and(|r| r.status().as_u16() == 416) =>
            {
                return Ok(Some(Bytes::new()));
            }
            Err(error) => return Err(sdk_error("reading a part of a file")(error)),
        };
        let bytes = object
            .body
            .collect()
            .await
            .map_err(|e| StoreError::Unavailable(Box::new(e)))?
            .into_bytes();
        Ok(Some(bytes))
    }

    async fn put(&self, key: &str, bytes: Bytes, media_type: &str) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(media_type)
            .cache_control(
                if key == crate::paths::search_key(crate::paths::SEARCH_POINTER) {
                    SEARCH_POINTER_CACHE
                } else {
                    IMMUTABLE
                },
            )
            .body(bytes.into())
            .send()
            .await
            .map_err(sdk_error("storing a file"))?;
        Ok(())
    }

    async fn copy(
        &self,
        from: &str,
        to: &str,
        media_type: &str,
        mark: &str,
    ) -> Result<(), StoreError> {
        self.client
            .copy_object()
            .bucket(&self.bucket)
            .key(to)
            .copy_source(format!("{}/{from}", self.bucket))
            .metadata_directive(MetadataDirective::Replace)
            .metadata(VERIFIED, mark)
            .content_type(media_type)
            .cache_control(IMMUTABLE)
            .send()
            .await
            .map_err(sdk_error("copying a checked file"))?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(sdk_error("removing a file"))?;
        Ok(())
    }

    async fn slot(&self, file: &MediaFile, _origin: &str) -> Result<Slot, StoreError> {
        let presigned = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(paths::media_staging_key(file))
            .content_length(i64::try_from(file.size).unwrap_or(i64::MAX))
            .content_type(&file.media_type)
            .cache_control(IMMUTABLE)
            .checksum_sha256(super::checksum_sha256(&file.sha256)?)
            .presigned(presigning(SLOT_LIFETIME)?)
            .await
            .map_err(sdk_error("signing an upload slot"))?;
        let headers: BTreeMap<String, String> = presigned
            .headers()
            .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
            .collect();
        Ok(Slot {
            method: presigned.method().to_owned(),
            url: presigned.uri().to_owned(),
            headers,
        })
    }

    async fn read_url(&self, key: &str) -> Result<Option<String>, StoreError> {
        let mut request = self.client.get_object().bucket(&self.bucket).key(key);
        // Served from S3's origin with none of the site's headers: an SVG there would be a
        // document that runs script, so it is a download.
        if key.ends_with(".svg") {
            request = request.response_content_disposition("attachment");
        }
        let presigned = request
            .presigned(presigning(READ_URL_LIFETIME)?)
            .await
            .map_err(sdk_error("signing a read URL"))?;
        Ok(Some(presigned.uri().to_owned()))
    }
}
