//! The rebuild when the next scheduled post appears: one EventBridge Scheduler schedule of the
//! function's own (`BLOG_SEARCH_SCHEDULE`), one-time (`at(…)`, UTC), that invokes the function
//! at that post's time. Each build updates it (or creates it: it deletes itself once it has
//! run), or deletes it when no post is scheduled. It invokes the function as
//! `BLOG_SEARCH_SCHEDULE_ROLE`, a role that may do nothing else, and sends an invocation it
//! cannot deliver to `BLOG_SEARCH_DEAD_LETTERS`, the function's dead-letter queue.
//!
//! Without `BLOG_SEARCH_SCHEDULE` nothing is scheduled: a scheduled post then appears in the
//! index at the first rebuild after its time (the daily refresh at the latest).

use std::env;
use std::error::Error;

use aws_sdk_scheduler::Client;
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, DeadLetterConfig, FlexibleTimeWindow, FlexibleTimeWindowMode,
    RetryPolicy, ScheduleState, Target,
};
use blog_shared::ConfigError;
use time::macros::format_description;
use time::{Duration, OffsetDateTime};

/// How soon after now a schedule is set at the earliest: one set for a moment that has already
/// passed (a post that appeared while the index was being built) would never run.
const LEAD: Duration = Duration::minutes(1);

/// How long EventBridge Scheduler keeps trying to invoke the function (a throttled or failed
/// delivery; a failure of the function itself is the function's own retries) before it sends
/// the event to the dead-letter queue.
const RETRY_ATTEMPTS: i32 = 10;
const RETRY_SECONDS: i32 = 3600;

/// Why the next rebuild could not be scheduled.
#[derive(Debug, thiserror::Error)]
#[error("{action} the schedule {schedule} failed")]
pub struct ScheduleError {
    action: &'static str,
    schedule: String,
    #[source]
    source: Box<dyn Error + Send + Sync>,
}

/// The function's one-time schedule.
pub struct NextRebuild {
    client: Client,
    name: String,
    role: String,
    dead_letters: String,
}

impl NextRebuild {
    /// The schedule the environment names, None if `BLOG_SEARCH_SCHEDULE` is unset. With it,
    /// `BLOG_SEARCH_SCHEDULE_ROLE` and `BLOG_SEARCH_DEAD_LETTERS` are required.
    pub async fn from_env() -> Result<Option<Self>, ConfigError> {
        let set = |name: &str| env::var(name).ok().filter(|v| !v.trim().is_empty());
        let Some(name) = set("BLOG_SEARCH_SCHEDULE") else {
            return Ok(None);
        };
        let role = set("BLOG_SEARCH_SCHEDULE_ROLE").ok_or(ConfigError::Missing(
            "BLOG_SEARCH_SCHEDULE_ROLE",
            "the ARN of the role EventBridge Scheduler invokes the function as (with \
             BLOG_SEARCH_SCHEDULE set)",
        ))?;
        let dead_letters = set("BLOG_SEARCH_DEAD_LETTERS").ok_or(ConfigError::Missing(
            "BLOG_SEARCH_DEAD_LETTERS",
            "the ARN of the queue a scheduled invocation goes to when it cannot be delivered \
             (with BLOG_SEARCH_SCHEDULE set)",
        ))?;
        let sdk = blog_shared::aws::load(blog_shared::store::dynamo_timeouts()).await?;
        Ok(Some(Self {
            client: Client::new(&sdk),
            name,
            role,
            dead_letters,
        }))
    }

    /// The schedule's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Makes the schedule invoke `function` (an ARN) when the post scheduled `at` appears, or
    /// deletes it when no post is scheduled. Returns when it is set for: `at` to the second
    /// after, or a minute from `now` if `at` is sooner.
    pub async fn set(
        &self,
        function: &str,
        at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<Option<OffsetDateTime>, ScheduleError> {
        let Some(at) = at else {
            self.delete().await?;
            return Ok(None);
        };
        let due = due(at, now);
        let expression = at_expression(due);
        let target = Target::builder()
            .arn(function)
            .role_arn(&self.role)
            .input(serde_json::json!({ "appearing": blog_shared::dates::sortable(at) }).to_string())
            .dead_letter_config(DeadLetterConfig::builder().arn(&self.dead_letters).build())
            .retry_policy(
                RetryPolicy::builder()
                    .maximum_retry_attempts(RETRY_ATTEMPTS)
                    .maximum_event_age_in_seconds(RETRY_SECONDS)
                    .build(),
            )
            .build()
            .map_err(|e| self.failed("building", e))?;
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build()
            .map_err(|e| self.failed("building", e))?;
        let description = "Rebuilds the blog's search index when the next scheduled post appears";
        // Update first: the schedule is there unless it has run (and deleted itself) or this is
        // the first scheduled post.
        let updated = self
            .client
            .update_schedule()
            .name(&self.name)
            .description(description)
            .schedule_expression(&expression)
            .schedule_expression_timezone("UTC")
            .flexible_time_window(window.clone())
            .target(target.clone())
            .state(ScheduleState::Enabled)
            .action_after_completion(ActionAfterCompletion::Delete)
            .send()
            .await;
        match updated {
            Ok(_) => return Ok(Some(due)),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) => {}
            Err(error) => return Err(self.failed("updating", error)),
        }
        self.client
            .create_schedule()
            .name(&self.name)
            .description(description)
            .schedule_expression(&expression)
            .schedule_expression_timezone("UTC")
            .flexible_time_window(window)
            .target(target)
            .state(ScheduleState::Enabled)
            .action_after_completion(ActionAfterCompletion::Delete)
            .send()
            .await
            .map_err(|e| self.failed("creating", e))?;
        Ok(Some(due))
    }

    /// Deletes the schedule, if it is there.
    async fn delete(&self) -> Result<(), ScheduleError> {
        match self.client.delete_schedule().name(&self.name).send().await {
            Ok(_) => Ok(()),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                Ok(())
            }
            Err(error) => Err(self.failed("deleting", error)),
        }
    }

    fn failed(
        &self,
        action: &'static str,
        source: impl Into<Box<dyn Error + Send + Sync>>,
    ) -> ScheduleError {
        ScheduleError {
            action,
            schedule: self.name.clone(),
            source: source.into(),
        }
    }
}

/// When to rebuild for a post appearing `at`: at its second (rounded up: a post is public from
/// its time on), and never less than [`LEAD`] after `now`.
fn due(at: OffsetDateTime, now: OffsetDateTime) -> OffsetDateTime {
    let whole = |t: OffsetDateTime| {
        let second = t.replace_nanosecond(0).unwrap_or(t);
        if second < t {
            second + Duration::SECOND
        } else {
            second
        }
    };
    whole(at).max(whole(now + LEAD))
}

/// EventBridge Scheduler's one-time expression for `when`, read in UTC.
fn at_expression(when: OffsetDateTime) -> String {
    let when = when.to_offset(time::UtcOffset::UTC);
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    format!(
        "at({})",
        when.format(&format)
            .unwrap_or_else(|_| unreachable!("a date formats with numbers only"))
    )
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn a_scheduled_post_is_rebuilt_for_at_its_second_in_utc() {
        let now = datetime!(2026-12-01 08:00:00 UTC);
        assert_eq!(
            at_expression(due(datetime!(2026-12-24 10:00:00 +01:00), now)),
            "at(2026-12-24T09:00:00)"
        );
        assert_eq!(
            at_expression(due(datetime!(2026-12-24 09:00:00.250 UTC), now)),
            "at(2026-12-24T09:00:01)",
            "rounded up: at 09:00:00 the post is not public yet"
        );
    }

    #[test]
    fn a_post_due_before_the_build_ends_is_rebuilt_for_a_minute_later() {
        let now = datetime!(2026-12-24 09:00:30 UTC);
        assert_eq!(
            at_expression(due(datetime!(2026-12-24 09:00:10 UTC), now)),
            "at(2026-12-24T09:01:30)"
        );
    }
}
