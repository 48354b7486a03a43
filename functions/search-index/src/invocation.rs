//! What the function is invoked with, and what it does: every invocation rebuilds the index of
//! every public post and then sets the schedule of the next rebuild.
//!
//! An invocation is one of:
//! - a DynamoDB Streams batch (`{"Records": [...]}`): posts changed. The records only say that
//!   something changed: the build reads every public post from the table itself, so a batch of a
//!   thousand records is one build, and no record is needed to know what to index;
//! - the daily refresh, `{"refresh": true}`, from EventBridge Scheduler: the build is written
//!   again even when unchanged, so that the current build's files stay younger than the bucket's
//!   lifecycle rule, which expires old builds by age;
//! - the one-time schedule, `{"appearing": "<time>"}`: a scheduled post appears now;
//! - anything else (`{}` from `aws lambda invoke`): a rebuild by hand.

use std::sync::Arc;
use std::time::Instant;

use blog_search::{SearchError, Write};
use blog_shared::Store;
use blog_shared::store::blobs::Blobs;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::next_rebuild::{NextRebuild, ScheduleError};

/// What the function is invoked with (fields it does not know are ignored: a stream batch
/// carries many).
#[derive(Debug, Default, Deserialize)]
pub struct Invocation {
    /// The daily refresh: write the index even when it has not changed.
    #[serde(default)]
    refresh: bool,
    /// When the one-time schedule was set for (a scheduled post's time), RFC 3339.
    #[serde(default)]
    appearing: Option<String>,
    /// A DynamoDB Streams batch's records.
    #[serde(default, rename = "Records")]
    records: Vec<StreamRecord>,
}

/// One record of a DynamoDB Streams batch: only its kind is read, for the log.
#[derive(Debug, Deserialize)]
struct StreamRecord {
    /// `INSERT`, `MODIFY` or `REMOVE`.
    #[serde(rename = "eventName", default)]
    event_name: String,
}

impl Invocation {
    /// What asked for this rebuild, in a few words for the log.
    fn trigger(&self) -> String {
        if self.refresh {
            return "daily refresh".to_owned();
        }
        if let Some(at) = &self.appearing {
            return format!("a scheduled post appearing at {at}");
        }
        if self.records.is_empty() {
            return "by hand".to_owned();
        }
        let count = |name: &str| self.records.iter().filter(|r| r.event_name == name).count();
        format!(
            "{} changes to posts ({} new, {} changed, {} removed)",
            self.records.len(),
            count("INSERT"),
            count("MODIFY"),
            count("REMOVE"),
        )
    }
}

/// What a rebuild did: the function's answer (and its log line).
#[derive(Debug, Serialize)]
pub struct Rebuilt {
    /// The build readers now load (`search/<build>/`).
    build: String,
    /// How many posts it holds.
    posts: usize,
    /// How many files it has.
    files: usize,
    /// Their bytes in all, as stored.
    bytes: u64,
    /// Whether anything was written: an unchanged index is not, but by the daily refresh.
    written: bool,
    /// The build it replaced, if it did.
    replaced: Option<String>,
    /// How long the build took, reading and writing included.
    seconds: f64,
    /// When the next rebuild is scheduled (a scheduled post's time), RFC 3339; None if no post
    /// is scheduled.
    next_rebuild: Option<String>,
}

/// Why a rebuild failed. The invocation fails with it: a stream batch is retried and then sent
/// to the dead-letter queue, as a scheduled invocation is.
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    /// The index could not be built or written; readers still load the previous build.
    #[error("rebuilding the search index failed")]
    Build(#[from] SearchError),
    /// The index was written, but the rebuild for the next scheduled post could not be set.
    #[error("the search index was written, but its next rebuild could not be scheduled")]
    Schedule(#[from] ScheduleError),
}

impl From<RebuildError> for Diagnostic {
    fn from(error: RebuildError) -> Self {
        let error_type = match error {
            RebuildError::Build(_) => "SearchIndexBuildFailed",
            RebuildError::Schedule(_) => "SearchIndexScheduleFailed",
        };
        Diagnostic {
            error_type: error_type.to_owned(),
            error_message: blog_shared::report::report(&error),
        }
    }
}

/// The function's state, built once per process.
pub struct Indexer {
    store: Arc<dyn Store>,
    blobs: Arc<dyn Blobs>,
    next_rebuild: Option<NextRebuild>,
}

impl Indexer {
    /// Builds from `store` into `blobs`, scheduling the next rebuild with `next_rebuild` (when
    /// None, a scheduled post appears in the index at the next rebuild after its time).
    pub fn new(
        store: Arc<dyn Store>,
        blobs: Arc<dyn Blobs>,
        next_rebuild: Option<NextRebuild>,
    ) -> Self {
        Self {
            store,
            blobs,
            next_rebuild,
        }
    }

    /// Rebuilds the index for one invocation, then schedules the next rebuild.
    pub async fn rebuild(&self, event: LambdaEvent<Invocation>) -> Result<Rebuilt, RebuildError> {
        let trigger = event.payload.trigger();
        let write = if event.payload.refresh {
            Write::Always
        } else {
            Write::IfChanged
        };
        let started = Instant::now();
        let built = blog_search::rebuild(
            self.store.as_ref(),
            self.blobs.as_ref(),
            OffsetDateTime::now_utc(),
            write,
        )
        .await
        .inspect_err(|error| {
            tracing::error!(
                trigger,
                error = %blog_shared::report::report(error),
                "building the search index failed; readers still load the previous build"
            );
        })?;
        let seconds = started.elapsed().as_secs_f64();
        tracing::info!(
            trigger,
            build = %built.build,
            posts = built.posts,
            files = built.files,
            bytes = built.bytes,
            written = built.written,
            replaced = built.replaced.as_deref(),
            seconds,
            "search index built"
        );
        let mut next_rebuild = None;
        if let Some(schedule) = &self.next_rebuild {
            next_rebuild = schedule
                .set(
                    &event.context.invoked_function_arn,
                    built.next_rebuild,
                    OffsetDateTime::now_utc(),
                )
                .await
                .inspect_err(|error| {
                    tracing::error!(
                        error = %blog_shared::report::report(error),
                        "scheduling the next rebuild failed"
                    );
                })?;
        }
        Ok(Rebuilt {
            build: built.build,
            posts: built.posts,
            files: built.files,
            bytes: built.bytes,
            written: built.written,
            replaced: built.replaced,
            seconds,
            next_rebuild: next_rebuild.map(blog_shared::dates::sortable),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invocation(json: &str) -> Invocation {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn every_invocation_is_a_rebuild_and_only_the_refresh_writes_always() {
        let stream = invocation(
            r#"{"Records": [
                {"eventName": "INSERT", "dynamodb": {"Keys": {"pk": {"S": "POST#a"}}}},
                {"eventName": "MODIFY"}, {"eventName": "REMOVE"}, {"eventName": "INSERT"}
            ]}"#,
        );
        assert!(!stream.refresh);
        assert_eq!(
            stream.trigger(),
            "4 changes to posts (2 new, 1 changed, 1 removed)"
        );
        let refresh = invocation(r#"{"refresh": true}"#);
        assert!(refresh.refresh);
        assert_eq!(refresh.trigger(), "daily refresh");
        assert_eq!(
            invocation(r#"{"appearing": "2026-12-24T09:00:00Z"}"#).trigger(),
            "a scheduled post appearing at 2026-12-24T09:00:00Z"
        );
        assert_eq!(invocation("{}").trigger(), "by hand");
    }

    #[test]
    fn a_refresh_that_is_not_a_boolean_is_refused() {
        let error = serde_json::from_str::<Invocation>(r#"{"refresh": "yes"}"#).unwrap_err();
        assert!(error.to_string().contains("boolean"), "{error}");
    }
}
