//! The search index in the infrastructure template, read as data: the table's stream driving
//! the search-index function in batches (post items only), its failures in one encrypted queue
//! that alarms, the schedules that rebuild it (daily, and at a scheduled post's time) and the
//! role they invoke it as, least privilege for the function, old builds expiring, and the CDN
//! serving the index from the bucket with its pointer kept a minute.

use std::collections::BTreeSet;

use blog_tests::fixture;
use serde_json::{Value, json};

use crate::infra::{
    Grant, dead_letters, functions, grants, listing_only_under, media_bucket, search_objects,
    stream_arn, table_arn, template,
};

/// The stack's unique id, as the template writes it into fixed names.
fn stack_uuid() -> Value {
    json!({ "StackUuid": { "Fn::Select": [2, { "Fn::Split": ["/", { "Ref": "AWS::StackId" }] }] } })
}

/// The search-index function's logical id and properties.
fn search_index(template: &Value) -> Value {
    let found: Vec<Value> = functions(template)
        .into_iter()
        .filter(|(_, name, _)| name == "search-index")
        .map(|(id, _, properties)| {
            assert_eq!(id, "SearchIndexFunction");
            properties
        })
        .collect();
    assert_eq!(found.len(), 1, "one search-index function");
    found.into_iter().next().unwrap()
}

/// The one resource of `kind`: its logical id and the resource.
fn only(template: &Value, kind: &str) -> (String, Value) {
    let found: Vec<(&String, &Value)> = template["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .collect();
    assert_eq!(found.len(), 1, "one {kind}: {found:?}");
    (found[0].0.clone(), found[0].1.clone())
}

fn role_arn() -> Value {
    json!({ "Fn::GetAtt": ["SearchScheduleRole", "Arn"] })
}

/// The function's own one-time schedule: its name, as the function is told it.
fn own_schedule_name() -> Value {
    json!({ "Fn::Sub": ["blog-search-next-${StackUuid}", stack_uuid()] })
}

/// Exactly what a rebuild needs: read the public posts (the all-posts listing's partition and
/// the posts' items, never a scan), read the table's stream, read and write `search/*` (and
/// list it, for 404 rather than 403 before the first build), send its failures to its queue,
/// keep its one schedule, and hand that schedule its role; nothing else, no wildcard.
#[test]
fn the_search_index_function_may_do_only_what_a_rebuild_needs() {
    let template = template();
    let grant = |resource: Value, actions: &[&str], condition: Value| -> Grant {
        (
            resource,
            actions.iter().map(|a| a.to_string()).collect(),
            condition,
        )
    };
    let wanted: Vec<Grant> = vec![
        grant(
            table_arn(),
            &["dynamodb:BatchGetItem", "dynamodb:Query"],
            json!({ "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["LIST#_all", "POST#*"] } }),
        ),
        grant(
            stream_arn(),
            &[
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
            ],
            Value::Null,
        ),
        grant(
            search_objects(),
            &["s3:GetObject", "s3:PutObject"],
            Value::Null,
        ),
        grant(
            media_bucket(),
            &["s3:ListBucket"],
            listing_only_under(&["search/*"]),
        ),
        grant(dead_letters(), &["sqs:SendMessage"], Value::Null),
        grant(
            json!({ "Fn::Sub": [
                "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/default/blog-search-next-${StackUuid}",
                stack_uuid(),
            ] }),
            &[
                "scheduler:CreateSchedule",
                "scheduler:DeleteSchedule",
                "scheduler:UpdateSchedule",
            ],
            Value::Null,
        ),
        grant(
            role_arn(),
            &["iam:PassRole"],
            json!({ "StringEquals": { "iam:PassedToService": "scheduler.amazonaws.com" } }),
        ),
    ];
    let (_, granted) = grants(&template)
        .into_iter()
        .find(|(name, _)| name == "search-index")
        .expect("the search-index function's grants");
    assert_eq!(granted, wanted);

    // Told the schedule it may keep (the one the grant names), the role it may pass, the queue.
    let properties = search_index(&template);
    let variables = &properties["Environment"]["Variables"];
    assert_eq!(variables["BLOG_SEARCH_SCHEDULE"], own_schedule_name());
    assert_eq!(variables["BLOG_SEARCH_SCHEDULE_ROLE"], role_arn());
    assert_eq!(variables["BLOG_SEARCH_DEAD_LETTERS"], dead_letters());
    // No SAM event: SAM's DynamoDB event would attach AWSLambdaDynamoDBExecutionRole, which
    // reads every stream of the account.
    assert!(properties["Events"].is_null(), "{}", properties["Events"]);
    assert!(properties["ManagedPolicyArns"].is_null());
    // One build at a time (the last to finish is the newest), within Lambda's limits.
    assert_eq!(properties["ReservedConcurrentExecutions"], 1);
    let timeout = properties["Timeout"].as_u64().unwrap();
    assert!((60..=900).contains(&timeout), "{timeout}");
    let memory = properties["MemorySize"].as_u64().unwrap();
    assert!((1024..=10240).contains(&memory), "{memory}");
}

/// A minimal reading of Lambda's event filter patterns, enough for the one used here: an
/// object matches field by field; a list matches if any of its items does (a value, or
/// `{"prefix": …}` on a string).
fn filter_matches(pattern: &Value, event: &Value) -> bool {
    match pattern {
        Value::Object(fields) => fields
            .iter()
            .all(|(key, pattern)| filter_matches(pattern, &event[key])),
        Value::Array(options) => options.iter().any(|option| match option {
            Value::Object(rule) if rule.contains_key("prefix") => event
                .as_str()
                .zip(rule["prefix"].as_str())
                .is_some_and(|(value, prefix)| value.starts_with(prefix)),
            value => value == event,
        }),
        _ => panic!("not a filter pattern: {pattern}"),
    }
}

/// The table's stream (keys only) drives the function through one event source mapping: post
/// items only, batched for a minute, retried a few times whole (a rebuild does not depend on
/// the batch, so no bisecting), then recorded in the dead-letter queue.
#[test]
fn the_tables_stream_drives_the_search_index_in_batches_of_post_changes() {
    let template = template();
    assert_eq!(
        template["Resources"]["PostsTable"]["Properties"]["StreamSpecification"],
        json!({ "StreamViewType": "KEYS_ONLY" })
    );
    let (_, mapping) = only(&template, "AWS::Lambda::EventSourceMapping");
    let mapping = &mapping["Properties"];
    assert_eq!(
        mapping["FunctionName"],
        json!({ "Ref": "SearchIndexFunction" })
    );
    assert_eq!(mapping["EventSourceArn"], stream_arn());
    assert_eq!(mapping["StartingPosition"], "LATEST");
    assert_eq!(mapping["MaximumBatchingWindowInSeconds"], 60);
    assert_eq!(mapping["BatchSize"], 10_000, "DynamoDB Streams' largest");
    assert_eq!(mapping["BisectBatchOnFunctionError"], false);
    let retries = mapping["MaximumRetryAttempts"].as_i64().unwrap();
    assert!(
        (1..=5).contains(&retries),
        "a few retries, not -1: {retries}"
    );
    assert_eq!(
        mapping["DestinationConfig"],
        json!({ "OnFailure": { "Destination": dead_letters() } })
    );

    let filters = mapping["FilterCriteria"]["Filters"].as_array().unwrap();
    assert_eq!(filters.len(), 1);
    let pattern: Value = serde_json::from_str(filters[0]["Pattern"].as_str().unwrap()).unwrap();
    // Every record of a real batch of post changes passes.
    let batch: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("dynamodb-stream-posts.json")).unwrap(),
    )
    .unwrap();
    let records = batch["Records"].as_array().unwrap();
    assert!(records.len() >= 3);
    for record in records {
        assert!(filter_matches(&pattern, record), "{record}");
    }
    // The other items a publish writes in its transaction do not.
    for pk in [
        "LIST#_all",
        "LIST#category#microservices",
        "POSTS",
        "CATEGORIES",
        "PATH#/2016/07/27/moved.html",
        "FILE#media/0123/diagram.png",
    ] {
        let mut record = records[0].clone();
        record["dynamodb"]["Keys"]["pk"]["S"] = pk.into();
        assert!(!filter_matches(&pattern, &record), "{pk}");
    }
}

/// Every failure, after its retries, lands in one queue, encrypted, kept 14 days, and a message
/// there raises the alarm on the stack's alarm topic: a stream batch (the mapping's on-failure
/// destination), a scheduled invocation that failed (the function's asynchronous on-failure
/// destination), an invocation the scheduler could not deliver (each schedule's dead-letter
/// queue).
#[test]
fn failed_rebuilds_land_in_one_encrypted_queue_that_alarms() {
    let template = template();
    let resources = &template["Resources"];
    let (id, queue) = only(&template, "AWS::SQS::Queue");
    assert_eq!(id, "SearchIndexDeadLetters");
    assert_eq!(queue["Properties"]["SqsManagedSseEnabled"], true);
    assert_eq!(queue["Properties"]["MessageRetentionPeriod"], 1_209_600);

    let (_, invoke_config) = only(&template, "AWS::Lambda::EventInvokeConfig");
    let invoke_config = &invoke_config["Properties"];
    assert_eq!(
        invoke_config["FunctionName"],
        json!({ "Ref": "SearchIndexFunction" })
    );
    assert_eq!(invoke_config["Qualifier"], "$LATEST");
    assert_eq!(
        invoke_config["DestinationConfig"],
        json!({ "OnFailure": { "Destination": dead_letters() } })
    );
    assert!(invoke_config["MaximumRetryAttempts"].as_u64().unwrap() <= 2);

    let alarms: Vec<&Value> = resources
        .as_object()
        .unwrap()
        .values()
        .filter(|r| {
            r["Type"] == "AWS::CloudWatch::Alarm" && r["Properties"]["Namespace"] == "AWS/SQS"
        })
        .collect();
    assert_eq!(alarms.len(), 1, "one alarm on the queue");
    let alarm = &alarms[0]["Properties"];
    assert_eq!(alarm["MetricName"], "ApproximateNumberOfMessagesVisible");
    assert_eq!(
        alarm["Dimensions"],
        json!([{ "Name": "QueueName", "Value": { "Fn::GetAtt": ["SearchIndexDeadLetters", "QueueName"] } }])
    );
    assert_eq!(alarm["ComparisonOperator"], "GreaterThanThreshold");
    assert_eq!(alarm["Threshold"], 0, "one message is enough");
    assert_eq!(alarm["AlarmActions"], json!([{ "Ref": "AlarmTopic" }]));

    // The daily refresh's undeliverable invocations too.
    let (_, refresh) = only(&template, "AWS::Scheduler::Schedule");
    assert_eq!(
        refresh["Properties"]["Target"]["DeadLetterConfig"],
        json!({ "Arn": dead_letters() })
    );
}

/// EventBridge Scheduler acts as a role of its own, which this account's schedules alone may
/// take, and which may invoke the search-index function (named by its fixed name) and send to
/// the dead-letter queue, and nothing else.
#[test]
fn the_scheduler_may_invoke_the_search_index_function_and_nothing_else() {
    let template = template();
    let (id, role) = only(&template, "AWS::IAM::Role");
    assert_eq!(id, "SearchScheduleRole");
    let role = &role["Properties"];
    assert_eq!(
        role["AssumeRolePolicyDocument"]["Statement"],
        json!([{
            "Effect": "Allow",
            "Principal": { "Service": "scheduler.amazonaws.com" },
            "Action": "sts:AssumeRole",
            "Condition": { "StringEquals": { "aws:SourceAccount": { "Ref": "AWS::AccountId" } } },
        }])
    );
    assert!(role["ManagedPolicyArns"].is_null());
    let policies = role["Policies"].as_array().unwrap();
    assert_eq!(policies.len(), 1);
    let statements = &policies[0]["PolicyDocument"]["Statement"];
    assert_eq!(
        *statements,
        json!([
            {
                "Effect": "Allow",
                "Action": ["lambda:InvokeFunction"],
                "Resource": { "Fn::Sub": [
                    "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:blog-search-index-${StackUuid}",
                    stack_uuid(),
                ] },
            },
            { "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": dead_letters() },
        ])
    );
    // That name is the search-index function's.
    assert_eq!(
        search_index(&template)["FunctionName"],
        json!({ "Fn::Sub": ["blog-search-index-${StackUuid}", stack_uuid()] })
    );
}

/// Once a day the index is rebuilt and written again even if unchanged, so that the current
/// build and its pointer are never more than a day old; the bucket expires `search/` objects
/// after a week (old builds; noncurrent versions a day later), longer than that day with room
/// for failed refreshes.
#[test]
fn the_index_is_refreshed_daily_and_old_builds_expire_after_a_week() {
    let template = template();
    let (_, refresh) = only(&template, "AWS::Scheduler::Schedule");
    let refresh = &refresh["Properties"];
    assert_eq!(refresh["ScheduleExpression"], "rate(1 day)");
    assert_eq!(refresh["State"], "ENABLED");
    let target = &refresh["Target"];
    assert_eq!(
        target["Arn"],
        json!({ "Fn::GetAtt": ["SearchIndexFunction", "Arn"] })
    );
    assert_eq!(target["RoleArn"], role_arn());
    let input: Value = serde_json::from_str(target["Input"].as_str().unwrap()).unwrap();
    assert_eq!(input, json!({ "refresh": true }));

    let rules =
        template["Resources"]["MediaBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
            .as_array()
            .unwrap();
    let rule = rules
        .iter()
        .find(|r| r["Id"] == "expire-old-search-builds")
        .expect("a lifecycle rule for the search index");
    assert_eq!(
        *rule,
        json!({
            "Id": "expire-old-search-builds",
            "Status": "Enabled",
            "Prefix": "search/",
            "ExpirationInDays": 7,
            "NoncurrentVersionExpiration": { "NoncurrentDays": 1 },
        })
    );
}

/// With the CDN, `/search/*` comes from the bucket, never through a function: the pointer to
/// the current build first (CloudFront takes the first match), cached a minute at most, then
/// the builds' files, cached for long (their folder names their contents); both with the
/// stored files' headers (nosniff, HSTS). The page itself, `/search`, is the API's.
#[test]
fn the_cdn_serves_the_search_index_from_the_bucket_its_pointer_a_minute() {
    let template = template();
    let resources = &template["Resources"];
    let distribution = &resources["Cdn"]["Properties"]["DistributionConfig"];
    let behaviours = distribution["CacheBehaviors"].as_array().unwrap();
    let position = |pattern: &str| {
        behaviours
            .iter()
            .position(|b| b["PathPattern"] == pattern)
            .unwrap_or_else(|| panic!("a behaviour for {pattern}"))
    };
    let (pointer, files) = (position("/search/current.json"), position("/search/*"));
    assert!(pointer < files, "the pointer's behaviour comes first");
    let media = &behaviours[position("/media/*")];
    for index in [pointer, files] {
        let behaviour = &behaviours[index];
        let pattern = &behaviour["PathPattern"];
        assert_eq!(
            behaviour["TargetOriginId"], media["TargetOriginId"],
            "{pattern}: the bucket"
        );
        assert_eq!(
            behaviour["AllowedMethods"],
            json!(["GET", "HEAD"]),
            "{pattern}"
        );
        assert_eq!(
            behaviour["ViewerProtocolPolicy"], "redirect-to-https",
            "{pattern}"
        );
        assert_eq!(
            behaviour["ResponseHeadersPolicyId"], media["ResponseHeadersPolicyId"],
            "{pattern}: nosniff, HSTS"
        );
        assert!(behaviour["OriginRequestPolicyId"].is_null(), "{pattern}");
    }
    assert_eq!(
        behaviours[files]["CachePolicyId"], "658327ea-f89d-4fab-a63d-7e88639e58f6",
        "the managed CachingOptimized policy"
    );
    let policy = behaviours[pointer]["CachePolicyId"]["Ref"]
        .as_str()
        .expect("a cache policy of this stack's");
    let policy = &resources[policy];
    assert_eq!(policy["Condition"], "CdnEnabled");
    let config = &policy["Properties"]["CachePolicyConfig"];
    assert_eq!(
        config["MaxTTL"], 60,
        "a minute at most, whatever the object says"
    );
    assert_eq!(config["DefaultTTL"], 60);
    assert_eq!(config["MinTTL"], 0);
    let key = &config["ParametersInCacheKeyAndForwardedToOrigin"];
    assert_eq!(key["QueryStringsConfig"]["QueryStringBehavior"], "none");
    assert_eq!(key["HeadersConfig"]["HeaderBehavior"], "none");
    assert_eq!(key["CookiesConfig"]["CookieBehavior"], "none");

    // No pattern takes the page from the API.
    let patterns: BTreeSet<&str> = behaviours
        .iter()
        .filter_map(|b| b["PathPattern"].as_str())
        .collect();
    assert!(!patterns.contains("/search") && !patterns.contains("/search*"));
}
