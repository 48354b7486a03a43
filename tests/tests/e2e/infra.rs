//! The infrastructure template, read as data: least privilege for every function (on the table,
//! the media bucket and the CDN), a private bucket that only this stack's CDN may read, only at
//! canonical file paths (its CloudFront Function, run under Node), pages cached at the CDN until
//! the ingest function invalidates them, no dependency cycle, and one table of routes shared by
//! API Gateway (infra/template.yaml), `cargo lambda watch` (Cargo.toml) and the functions' own
//! routers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use blog_shared::http::{self, IngestAuth};
use blog_shared::store::blobs::{Blobs, SqliteBlobs, sha256_hex};
use blog_shared::{AppState, SiteConfig};
use blog_tests::{Backend, TestStore};
use serde_json::{Value, json};
use tower::ServiceExt;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

pub(crate) fn template() -> Value {
    let text = std::fs::read_to_string(root().join("infra/template.yaml")).unwrap();
    serde_saphyr::from_str(&text).expect("the template is plain YAML (long-form intrinsics)")
}

/// The functions of the template: (logical id, function name from its CodeUri, properties).
pub(crate) fn functions(template: &Value) -> Vec<(String, String, Value)> {
    template["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .map(|(id, r)| {
            let code = r["Properties"]["CodeUri"].as_str().unwrap();
            let name = code
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned();
            (id.clone(), name, r["Properties"].clone())
        })
        .collect()
}

/// The stack's table, or the one restored from it (parameter RestoredTableName).
pub(crate) fn table_arn() -> Value {
    json!({ "Fn::If": [
        "UseRestoredTable",
        { "Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${RestoredTableName}" },
        { "Fn::GetAtt": ["PostsTable", "Arn"] },
    ] })
}

/// The stored files: the objects under the bucket's `media/` prefix, and nothing else in it.
pub(crate) fn media_objects() -> Value {
    json!({ "Fn::Sub": "${MediaBucket.Arn}/media/*" })
}

/// The bucket itself (not its objects): what `s3:ListBucket` acts on.
pub(crate) fn media_bucket() -> Value {
    json!({ "Fn::GetAtt": ["MediaBucket", "Arn"] })
}

/// The search index's files: the objects under the bucket's `search/` prefix.
pub(crate) fn search_objects() -> Value {
    json!({ "Fn::Sub": "${MediaBucket.Arn}/search/*" })
}

/// The condition of a function's `s3:ListBucket`: listing only under `prefixes`. S3 checks
/// `s3:ListBucket` with `s3:prefix` set to the key asked for when that key is missing, and
/// answers 404 rather than 403 only if it is allowed.
pub(crate) fn listing_only_under(prefixes: &[&str]) -> Value {
    json!({ "StringLike": { "s3:prefix": prefixes } })
}

/// The table's stream, or the restored table's (parameter RestoredTableStreamArn).
pub(crate) fn stream_arn() -> Value {
    json!({ "Fn::If": [
        "UseRestoredTableStream",
        { "Ref": "RestoredTableStreamArn" },
        { "Fn::GetAtt": ["PostsTable", "StreamArn"] },
    ] })
}

/// Where the search index's failed rebuilds go.
pub(crate) fn dead_letters() -> Value {
    json!({ "Fn::GetAtt": ["SearchIndexDeadLetters", "Arn"] })
}

/// What the search-index function acts on besides the table and the bucket: its stream, its
/// dead-letter queue, its one-time schedule and the role that schedule invokes it as.
fn search_index_own(resource: &Value) -> bool {
    *resource == stream_arn()
        || *resource == dead_letters()
        || *resource == json!({ "Fn::GetAtt": ["SearchScheduleRole", "Arn"] })
        || resource
            .to_string()
            .contains(":schedule/default/blog-search-next-")
}

/// This stack's distribution: what the ingest function may invalidate.
fn distribution_arn() -> Value {
    json!({ "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Cdn}" })
}

/// A statement present only with the CDN, `Fn::If: [CdnEnabled, statement, AWS::NoValue]`:
/// the statement, or None for an unconditional one. Fails on any other `Fn::If`.
pub(crate) fn only_with_cdn(statement: &Value) -> Option<&Value> {
    let arguments = statement.get("Fn::If")?.as_array().unwrap();
    let [condition, then, otherwise] = arguments.as_slice() else {
        panic!("Fn::If takes three arguments: {statement}");
    };
    assert_eq!(*condition, "CdnEnabled", "{statement}");
    assert_eq!(*otherwise, json!({ "Ref": "AWS::NoValue" }), "{statement}");
    Some(then)
}

/// What one statement allows: a resource, actions on it, and its condition (null if none).
pub(crate) type Grant = (Value, BTreeSet<String>, Value);

/// What each function's inline statements allow: (function name, its grants).
/// Fails on anything but an inline `Allow` of a list of actions on one resource, with at most
/// a `Condition` (which the tests below compare whole). A statement present only with the CDN
/// (see `only_with_cdn`) counts as always present.
pub(crate) fn grants(template: &Value) -> Vec<(String, Vec<Grant>)> {
    functions(template)
        .into_iter()
        .map(|(id, name, properties)| {
            let policies = properties["Policies"]
                .as_array()
                .unwrap_or_else(|| panic!("{id} has inline policies"));
            let mut grants = Vec::new();
            for policy in policies {
                // Only inline statements: no SAM policy templates or managed policies, which
                // grant more (DynamoDBReadPolicy includes Scan and BatchGetItem, S3ReadPolicy
                // ListBucket on the whole bucket).
                let statements = policy["Statement"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{id}: {policy} is not an inline statement"));
                for statement in statements {
                    let statement = only_with_cdn(statement).unwrap_or(statement);
                    assert_eq!(statement["Effect"], "Allow", "{id}");
                    let keys: BTreeSet<&str> = statement
                        .as_object()
                        .unwrap()
                        .keys()
                        .map(String::as_str)
                        .collect();
                    assert!(
                        keys == BTreeSet::from(["Action", "Effect", "Resource"])
                            || keys
                                == BTreeSet::from(["Action", "Condition", "Effect", "Resource"]),
                        "{id}: no NotAction, NotResource or anything else to reason about: {keys:?}"
                    );
                    assert!(
                        statement["Resource"].is_object(),
                        "{id}: one resource per statement, not {}",
                        statement["Resource"]
                    );
                    let actions = statement["Action"]
                        .as_array()
                        .unwrap_or_else(|| panic!("{id}: actions are a list"))
                        .iter()
                        .map(|a| a.as_str().unwrap().to_owned())
                        .collect();
                    grants.push((
                        statement["Resource"].clone(),
                        actions,
                        statement["Condition"].clone(),
                    ));
                }
            }
            (name, grants)
        })
        .collect()
}

/// The actions `grants` allow on `resource`, in order.
pub(crate) fn actions_on(grants: &[Grant], resource: &Value) -> Vec<String> {
    let mut actions = BTreeSet::new();
    for (r, a, _) in grants {
        if r == resource {
            actions.extend(a.iter().cloned());
        }
    }
    actions.into_iter().collect()
}

#[test]
fn each_function_may_do_only_what_its_routes_need_on_this_table() {
    let template = template();
    let expected = [
        ("list-posts", vec!["dynamodb:Query"]),
        ("feed", vec!["dynamodb:Query"]),
        ("get-post", vec!["dynamodb:GetItem"]),
        (
            "ingest",
            vec![
                "dynamodb:BatchGetItem",
                "dynamodb:DeleteItem",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:Query",
                "dynamodb:UpdateItem",
            ],
        ),
        // It records the files it checks, and reads those records: nothing else of the table
        // (its statement is limited to the `FILE#` keys, below).
        ("media", vec!["dynamodb:BatchGetItem", "dynamodb:PutItem"]),
        // The all-posts listing and the posts' bodies (limited to their keys, below).
        (
            "search-index",
            vec!["dynamodb:BatchGetItem", "dynamodb:Query"],
        ),
    ];
    let grants = grants(&template);
    assert_eq!(
        grants.len(),
        expected.len(),
        "one function per route group, and the search index's"
    );

    for (name, grants) in &grants {
        for (resource, actions, condition) in grants {
            assert!(
                *resource == table_arn()
                    || *resource == media_objects()
                    || *resource == media_bucket()
                    || (*resource == search_objects()
                        && matches!(name.as_str(), "media" | "search-index"))
                    || (*resource == distribution_arn() && name == "ingest")
                    || (search_index_own(resource) && name == "search-index"),
                "{name} acts on this table and the stored files only (ingest also on the CDN, \
                 search-index on its stream, queue and schedule), not {resource}"
            );
            if *resource == table_arn() {
                // The media function reaches the records of checked files alone: every key of
                // every item it reads or writes must start `FILE#`; the search-index function
                // the all-posts listing's partition and the posts' items.
                let wanted = match name.as_str() {
                    "media" => {
                        json!({ "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["FILE#*"] } })
                    }
                    "search-index" => json!({ "ForAllValues:StringLike": {
                        "dynamodb:LeadingKeys": ["LIST#_all", "POST#*"]
                    } }),
                    _ => Value::Null,
                };
                assert_eq!(*condition, wanted, "{name}");
            }
            for action in actions {
                assert_eq!(
                    action.starts_with("dynamodb:"),
                    *resource == table_arn() || *resource == stream_arn(),
                    "{name}: {action} on {resource}"
                );
            }
        }
        let actions = actions_on(grants, &table_arn());
        let wanted = &expected
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("unexpected function {name}"))
            .1;
        assert_eq!(actions, *wanted, "{name}");
        assert!(
            !actions
                .iter()
                .any(|a| a.contains('*') || a.ends_with("Scan")),
            "{name}"
        );
    }
}

/// S3: the read functions and the ingest function have none; the media function reads files,
/// writes the upload URLs it presigns (to staging keys), reads uploads back, copies good ones to
/// their final keys and deletes the staged ones, all on `media/*`, and reads the search index's
/// files (`search/*`) for readers without the CDN; the search-index function reads and writes
/// `search/*` alone. No wildcard action. Each function that reads files may also
/// `s3:ListBucket`, on the bucket, only under the prefixes it reads: so that a missing object
/// answers 404 rather than 403 ("missing", not "forbidden").
/// A function's grants on the stored files: the function, the objects it may act on with the
/// actions, the prefixes it may list.
type FileGrants<'a> = (&'a str, Vec<(Value, Vec<&'a str>)>, Vec<&'a str>);

#[test]
fn each_function_may_do_only_what_its_routes_need_on_the_stored_files() {
    let template = template();
    let expected: [FileGrants; 6] = [
        ("list-posts", vec![], vec![]),
        ("feed", vec![], vec![]),
        ("get-post", vec![], vec![]),
        (
            "media",
            vec![
                (
                    media_objects(),
                    vec!["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
                ),
                (search_objects(), vec!["s3:GetObject"]),
            ],
            vec!["media/*", "search/*"],
        ),
        // It reads which files are checked from the table, never the files.
        ("ingest", vec![], vec![]),
        (
            "search-index",
            vec![(search_objects(), vec!["s3:GetObject", "s3:PutObject"])],
            vec!["search/*"],
        ),
    ];
    let grants = grants(&template);
    assert_eq!(grants.len(), expected.len(), "every function is listed");

    for (name, grants) in &grants {
        let (_, objects, prefixes) = expected
            .iter()
            .find(|(n, _, _)| n == name)
            .unwrap_or_else(|| panic!("unexpected function {name}"));
        let mut s3_resources = BTreeSet::new();
        for (resource, actions, condition) in grants {
            let s3: Vec<&String> = actions
                .iter()
                .filter(|a| a.starts_with("s3") || *a == "*")
                .collect();
            assert!(!s3.iter().any(|a| a.contains('*')), "{name}: {s3:?}");
            if resource.to_string().contains("MediaBucket") {
                assert_eq!(s3.len(), actions.len(), "{name}: only S3 on the bucket");
            }
            if s3.is_empty() {
                continue;
            }
            s3_resources.insert(resource.to_string());
            if *resource == media_bucket() {
                // The bucket itself: listing, only under what the function reads, nothing else.
                assert!(!prefixes.is_empty(), "{name} may not list the bucket");
                assert_eq!(
                    *actions,
                    BTreeSet::from(["s3:ListBucket".to_owned()]),
                    "{name}: only ListBucket on the bucket itself"
                );
                assert_eq!(*condition, listing_only_under(prefixes), "{name}");
            } else {
                assert!(
                    objects.iter().any(|(objects, _)| objects == resource),
                    "{name}: S3 on {resource}"
                );
                assert!(
                    condition.is_null(),
                    "{name}: only the ListBucket statement has a condition, not {condition}"
                );
            }
        }
        for (resource, actions) in objects {
            assert_eq!(actions_on(grants, resource), *actions, "{name}: {resource}");
        }
        let listed = !prefixes.is_empty();
        assert_eq!(
            actions_on(grants, &media_bucket()),
            if listed {
                vec!["s3:ListBucket"]
            } else {
                vec![]
            },
            "{name}"
        );
        assert_eq!(
            s3_resources.len(),
            objects.len() + usize::from(listed),
            "{name}: {s3_resources:?}"
        );
    }

    // Each function that touches the bucket is told its name; the others are not.
    for (id, name, properties) in functions(&template) {
        let bucket = &properties["Environment"]["Variables"]["BLOG_MEDIA_BUCKET"];
        if matches!(name.as_str(), "media" | "search-index") {
            assert_eq!(*bucket, json!({ "Ref": "MediaBucket" }), "{id}");
        } else {
            assert!(bucket.is_null(), "{id}");
        }
    }
}

#[test]
fn the_table_outlives_the_stack_and_can_be_restored() {
    let table = &template()["Resources"]["PostsTable"];
    assert_eq!(table["DeletionPolicy"], "Retain");
    assert_eq!(table["UpdateReplacePolicy"], "Retain");
    let properties = &table["Properties"];
    assert_eq!(properties["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(properties["DeletionProtectionEnabled"], true);
    assert_eq!(
        properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
    assert_eq!(properties["SSESpecification"]["SSEEnabled"], true);
}

/// The bucket: private (Block Public Access, no ACLs), encrypted, TLS only, outliving the stack
/// like the table; the only reader it lets in is this stack's distribution, on `media/*`, and
/// never under `media/incoming/` (staged uploads, unchecked).
#[test]
fn the_media_bucket_is_private_tls_only_and_outlives_the_stack() {
    let template = template();
    let resources = &template["Resources"];
    let bucket = &resources["MediaBucket"];
    assert_eq!(bucket["Type"], "AWS::S3::Bucket");
    assert_eq!(
        bucket["DeletionPolicy"], "Retain",
        "posts reference its files"
    );
    assert_eq!(bucket["UpdateReplacePolicy"], "Retain");
    let properties = &bucket["Properties"];
    assert_eq!(
        properties["PublicAccessBlockConfiguration"],
        json!({
            "BlockPublicAcls": true,
            "BlockPublicPolicy": true,
            "IgnorePublicAcls": true,
            "RestrictPublicBuckets": true,
        })
    );
    assert_eq!(
        properties["OwnershipControls"]["Rules"],
        json!([{ "ObjectOwnership": "BucketOwnerEnforced" }])
    );
    let encryption = &properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
        ["SSEAlgorithm"];
    assert!(
        *encryption == "AES256" || *encryption == "aws:kms",
        "{encryption}"
    );
    assert!(
        properties["AccessControl"].is_null() && properties["WebsiteConfiguration"].is_null(),
        "no canned ACL, no website endpoint"
    );

    let policies: Vec<&Value> = resources
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::S3::BucketPolicy")
        .collect();
    assert_eq!(policies.len(), 1, "one bucket policy");
    let policy = &policies[0]["Properties"];
    assert_eq!(policy["Bucket"], json!({ "Ref": "MediaBucket" }));
    let statements = policy["PolicyDocument"]["Statement"].as_array().unwrap();

    let deny_plain_http = statements
        .iter()
        .find(|s| s["Effect"] == "Deny")
        .expect("a Deny statement");
    assert_eq!(deny_plain_http["Principal"], "*");
    assert_eq!(deny_plain_http["Action"], "s3:*");
    assert_eq!(
        deny_plain_http["Resource"],
        json!([
            { "Fn::GetAtt": ["MediaBucket", "Arn"] },
            { "Fn::Sub": "${MediaBucket.Arn}/*" },
        ]),
        "the bucket and every object in it"
    );
    assert_eq!(
        deny_plain_http["Condition"],
        json!({ "Bool": { "aws:SecureTransport": "false" } })
    );

    // Any other statement is the CDN's, present only with the CDN: its read, and a Deny of
    // staged uploads.
    let cdn_statements: Vec<&Value> = statements
        .iter()
        .filter(|s| *s != deny_plain_http)
        .map(|s| {
            let [condition, statement, otherwise] = s["Fn::If"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_else(|| panic!("the CDN's statements are conditional: {s}"))
            else {
                panic!("Fn::If takes three arguments");
            };
            assert_eq!(*condition, "CdnEnabled");
            assert_eq!(*otherwise, json!({ "Ref": "AWS::NoValue" }));
            statement
        })
        .collect();
    assert_eq!(cdn_statements.len(), 3, "{cdn_statements:?}");
    let allows: Vec<&&Value> = cdn_statements
        .iter()
        .filter(|s| s["Effect"] == "Allow")
        .collect();
    assert_eq!(allows.len(), 2, "{allows:?}");

    let never_unchecked = cdn_statements
        .iter()
        .find(|s| s["Effect"] == "Deny")
        .expect("a Deny of staged uploads to CloudFront");
    assert_eq!(
        never_unchecked["Principal"],
        json!({ "Service": "cloudfront.amazonaws.com" })
    );
    assert_eq!(never_unchecked["Action"], "s3:GetObject");
    assert_eq!(
        never_unchecked["Resource"],
        json!({ "Fn::Sub": "${MediaBucket.Arn}/media/incoming/*" })
    );
    assert!(
        never_unchecked["Condition"].is_null(),
        "any distribution: {}",
        never_unchecked["Condition"]
    );

    // It reads the stored files and the search index's, and nothing else of the bucket.
    let read: BTreeSet<String> = allows
        .iter()
        .map(|cdn_reads| {
            assert_eq!(
                cdn_reads["Principal"],
                json!({ "Service": "cloudfront.amazonaws.com" })
            );
            assert_eq!(cdn_reads["Action"], "s3:GetObject");
            assert_eq!(
                cdn_reads["Condition"],
                json!({ "StringEquals": { "AWS:SourceArn": {
                    "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Cdn}"
                } } }),
                "this stack's distribution, and no other"
            );
            cdn_reads["Resource"].to_string()
        })
        .collect();
    assert_eq!(
        read,
        BTreeSet::from([media_objects().to_string(), search_objects().to_string()])
    );
}

/// Uploads are staged under `media/incoming/` until the ingest function checks them and copies
/// them to their final keys; what is still there a day on was abandoned, and expires (its
/// versions too, a day later), while the bucket's other rules stay.
#[test]
fn abandoned_uploads_expire_after_a_day() {
    let template = template();
    let rules =
        template["Resources"]["MediaBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
            .as_array()
            .expect("lifecycle rules")
            .clone();
    let rule = |id: &str| {
        rules
            .iter()
            .find(|r| r["Id"] == id)
            .unwrap_or_else(|| panic!("a lifecycle rule {id}"))
            .clone()
    };
    assert_eq!(
        rule("expire-abandoned-uploads"),
        json!({
            "Id": "expire-abandoned-uploads",
            "Status": "Enabled",
            "Prefix": "media/incoming/",
            "ExpirationInDays": 1,
            "NoncurrentVersionExpiration": { "NoncurrentDays": 1 },
        })
    );
    // Only that rule and the search index's are limited to a prefix: the others cover the
    // whole bucket.
    for r in &rules {
        if r["Id"] != "expire-abandoned-uploads" && r["Id"] != "expire-old-search-builds" {
            assert!(r["Prefix"].is_null() && r["TagFilters"].is_null(), "{r}");
        }
    }
    assert_eq!(
        rule("expire-replaced-and-deleted-files")["NoncurrentVersionExpiration"],
        json!({ "NoncurrentDays": 30 })
    );
    assert_eq!(
        rule("abort-incomplete-uploads")["AbortIncompleteMultipartUpload"],
        json!({ "DaysAfterInitiation": 1 })
    );
    assert!(rules.iter().all(|r| r["Status"] == "Enabled"), "{rules:?}");
}

/// The only paths the CDN lets reach the bucket: `/media/<sha256>/<name>`, exactly as the server
/// writes them.
const CANONICAL_MEDIA_PATH: &str = "^/media/[0-9a-f]{64}/[a-z0-9][a-z0-9._-]*$";

/// The CloudFront Function on both media behaviours: (logical id, its properties).
fn media_path_function(template: &Value) -> (String, Value) {
    let distribution = &template["Resources"]["Cdn"]["Properties"]["DistributionConfig"];
    let behaviours = distribution["CacheBehaviors"].as_array().unwrap();
    let mut ids = BTreeSet::new();
    for pattern in ["/media/*.svg", "/media/*"] {
        let behaviour = behaviours
            .iter()
            .find(|b| b["PathPattern"] == pattern)
            .unwrap_or_else(|| panic!("a behaviour for {pattern}"));
        let associations = behaviour["FunctionAssociations"]
            .as_array()
            .unwrap_or_else(|| panic!("{pattern}: function associations"));
        assert_eq!(associations.len(), 1, "{pattern}: {associations:?}");
        let association = &associations[0];
        assert_eq!(association["EventType"], "viewer-request", "{pattern}");
        let arn = association["FunctionARN"]["Fn::GetAtt"]
            .as_array()
            .unwrap_or_else(|| panic!("{pattern}: a function of this stack's"));
        assert_eq!(arn[1], "FunctionARN", "{pattern}");
        ids.insert(arn[0].as_str().unwrap().to_owned());
        assert!(
            behaviour["LambdaFunctionAssociations"].is_null(),
            "{pattern}: no Lambda@Edge"
        );
    }
    assert_eq!(ids.len(), 1, "the same function on both: {ids:?}");
    let id = ids.into_iter().next().unwrap();
    (id.clone(), template["Resources"][&id].clone())
}

/// CloudFront matches path patterns on the raw URI while S3 decodes percent-escapes, so without
/// a check `/media/<sha256>/x%2Esvg` would reach an SVG through `/media/*`, without its CSP;
/// and staged uploads (`media/incoming/…`) are unchecked. A viewer-request CloudFront Function
/// on both media behaviours answers 404 to any path but the canonical one.
#[test]
fn the_cdn_lets_only_canonical_media_paths_reach_the_bucket() {
    let template = template();
    let (id, function) = media_path_function(&template);
    assert_eq!(function["Type"], "AWS::CloudFront::Function", "{id}");
    assert_eq!(function["Condition"], "CdnEnabled", "{id}");
    let properties = &function["Properties"];
    assert_eq!(
        properties["AutoPublish"], true,
        "{id}: LIVE, what the distribution runs"
    );
    assert_eq!(
        properties["FunctionConfig"]["Runtime"], "cloudfront-js-2.0",
        "{id}"
    );
    let code = properties["FunctionCode"].as_str().expect("inline code");
    assert!(
        code.contains(CANONICAL_MEDIA_PATH),
        "{id}: its code tests {CANONICAL_MEDIA_PATH}:\n{code}"
    );
    assert!(code.contains("function handler(event)"), "{id}:\n{code}");

    // Every other behaviour (pages, feeds) goes to the API, without it.
    let distribution = &template["Resources"]["Cdn"]["Properties"]["DistributionConfig"];
    for behaviour in distribution["CacheBehaviors"]
        .as_array()
        .unwrap()
        .iter()
        .chain([&distribution["DefaultCacheBehavior"]])
    {
        let media = behaviour["PathPattern"]
            .as_str()
            .is_some_and(|p| p.starts_with("/media/"));
        assert_eq!(
            !behaviour["FunctionAssociations"].is_null(),
            media,
            "{}",
            behaviour["PathPattern"]
        );
    }
}

/// The function's own JavaScript, run under Node with CloudFront's event shape: a canonical path
/// goes on to the bucket untouched; an escape, upper case, a staged upload, an extra or missing
/// segment answers 404, uncached. Node is required: without it this fails rather than skips.
#[test]
fn the_media_path_function_answers_404_to_all_but_canonical_paths() {
    let template = template();
    let (id, function) = media_path_function(&template);
    let code = function["Properties"]["FunctionCode"].as_str().unwrap();

    let sha = sha256_hex(b"a diagram's bytes");
    let upper = sha.to_uppercase();
    let passed = [
        format!("/media/{sha}/diagram.svg"),
        format!("/media/{sha}/report.pdf"),
        format!("/media/{sha}/a"),
        format!("/media/{sha}/0_a-b.c.png"),
    ];
    let refused = [
        // Escapes: S3 would decode them, CloudFront's patterns do not.
        format!("/media/{sha}/x%2Esvg"),
        format!("/media/{sha}/x%2esvg"),
        format!("/media/{sha}/x.sv%67"),
        format!("/media/{sha}%2Fx.svg"),
        format!("/media/{sha}/x.svg%00"),
        // Upper case, in the hash or the name.
        format!("/media/{upper}/x.svg"),
        format!("/media/{sha}/X.svg"),
        format!("/media/{sha}/x.SVG"),
        format!("/MEDIA/{sha}/x.svg"),
        // Staged uploads, unchecked.
        format!("/media/incoming/{sha}/x.svg"),
        format!("/media/incoming/{sha}/x.png"),
        // Extra or missing segments.
        format!("/media/{sha}/x.svg/extra"),
        format!("/media/{sha}/x/y.svg"),
        format!("/media/{sha}/"),
        format!("/media/{sha}"),
        format!("/media/{sha}//x.svg"),
        format!("/media//{sha}/x.svg"),
        "/media/".to_owned(),
        // Not a SHA-256.
        format!("/media/{}/x.svg", &sha[..63]),
        format!("/media/{sha}0/x.svg"),
        "/media/not-a-hash/x.svg".to_owned(),
        // Not a name the server writes.
        format!("/media/{sha}/.svg"),
        format!("/media/{sha}/-x.svg"),
        format!("/media/{sha}/x y.svg"),
        format!("/media/{sha}/x.svg\n"),
        format!("/media/{sha}/x.svg;.png"),
        format!("/media/{sha}/../x.svg"),
    ];

    let dir = tempfile::TempDir::new().unwrap();
    let script = dir.path().join("media-path.js");
    // The code as CloudFront runs it, then a harness calling `handler` as CloudFront would.
    let harness = r#"
var uris = JSON.parse(process.argv[2]);
var results = uris.map(function (uri) {
  var request = { method: 'GET', uri: uri, querystring: {}, headers: {}, cookies: {} };
  var before = JSON.stringify(request);
  var result = handler({
    version: '1.0',
    context: { eventType: 'viewer-request', distributionId: 'EDFDVBD6EXAMPLE' },
    viewer: { ip: '192.0.2.1' },
    request: request
  });
  if (result === request) {
    return { passed: JSON.stringify(result) === before };
  }
  return { response: result };
});
process.stdout.write(JSON.stringify(results));
"#;
    std::fs::write(&script, format!("{code}\n{harness}")).unwrap();
    let uris: Vec<&String> = passed.iter().chain(&refused).collect();
    let output = Command::new("node")
        .arg(&script)
        .arg(serde_json::to_string(&uris).unwrap())
        .output()
        .expect("node (Node.js) runs the CDN's function in this test: install it");
    assert!(
        output.status.success(),
        "node: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(results.len(), uris.len());

    for (uri, result) in uris.iter().zip(&results) {
        if passed.contains(uri) {
            assert_eq!(
                *result,
                json!({ "passed": true }),
                "{id}: {uri:?} goes on to the bucket, untouched"
            );
        } else {
            let response = &result["response"];
            assert_eq!(response["statusCode"], 404, "{id}: {uri:?}: {result}");
            assert_eq!(
                response["headers"]["cache-control"]["value"], "no-store",
                "{id}: {uri:?}"
            );
        }
    }
}

/// With the CDN, `/media/*` comes from the bucket, never through a Lambda function: an S3 origin
/// signed by an origin access control, cached for long. SVG, the only stored type that can
/// carry script, has its own behaviour, `/media/*.svg`, matched first, whose CSP keeps an SVG
/// opened directly from running script; every other file gets no CSP (its `sandbox` would keep
/// Chromium's viewer from showing a PDF), and every file gets nosniff.
#[test]
fn the_cdn_serves_stored_files_from_the_bucket_svg_inert() {
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
    let (svg, all) = (position("/media/*.svg"), position("/media/*"));
    assert!(
        svg < all,
        "CloudFront takes the first match: /media/*.svg must come before /media/*"
    );

    // Both from the bucket, alike but for their response headers.
    for behaviour in [&behaviours[svg], &behaviours[all]] {
        let pattern = &behaviour["PathPattern"];
        assert_eq!(
            behaviour["AllowedMethods"],
            json!(["GET", "HEAD"]),
            "{pattern}"
        );
        assert_eq!(
            behaviour["CachedMethods"],
            json!(["GET", "HEAD"]),
            "{pattern}"
        );
        assert_eq!(behaviour["Compress"], true, "{pattern}");
        assert_eq!(
            behaviour["ViewerProtocolPolicy"], "redirect-to-https",
            "{pattern}"
        );
        assert_eq!(
            behaviour["CachePolicyId"], "658327ea-f89d-4fab-a63d-7e88639e58f6",
            "{pattern}: the managed CachingOptimized policy: a file's URL names its bytes"
        );
        assert!(
            behaviour["OriginRequestPolicyId"].is_null(),
            "{pattern}: S3 wants its own Host, and no viewer header"
        );

        let origin = distribution["Origins"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["Id"] == behaviour["TargetOriginId"])
            .unwrap_or_else(|| panic!("{pattern}: the behaviour's origin"));
        assert_eq!(
            origin["DomainName"],
            json!({ "Fn::GetAtt": ["MediaBucket", "RegionalDomainName"] }),
            "{pattern}: the bucket, not the API"
        );
        assert!(origin["CustomOriginConfig"].is_null(), "{pattern}");
        assert_eq!(
            origin["S3OriginConfig"],
            json!({ "OriginAccessIdentity": "" }),
            "{pattern}: no legacy origin access identity"
        );
        let oac_id = origin["OriginAccessControlId"]["Fn::GetAtt"]
            .as_array()
            .unwrap_or_else(|| panic!("{pattern}: the origin access control's Id"));
        assert_eq!(oac_id[1], "Id");
        let oac = &resources[oac_id[0].as_str().unwrap()];
        assert_eq!(oac["Type"], "AWS::CloudFront::OriginAccessControl");
        assert_eq!(oac["Condition"], "CdnEnabled");
        let config = &oac["Properties"]["OriginAccessControlConfig"];
        assert_eq!(config["OriginAccessControlOriginType"], "s3");
        assert_eq!(config["SigningBehavior"], "always");
        assert_eq!(config["SigningProtocol"], "sigv4");
    }
    assert_eq!(
        behaviours[svg]["TargetOriginId"],
        behaviours[all]["TargetOriginId"]
    );

    let security_headers = |behaviour: &Value| {
        let pattern = &behaviour["PathPattern"];
        let name = behaviour["ResponseHeadersPolicyId"]["Ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{pattern}: a response headers policy of this stack's"));
        let policy = &resources[name];
        assert_eq!(
            policy["Type"], "AWS::CloudFront::ResponseHeadersPolicy",
            "{pattern}"
        );
        assert_eq!(policy["Condition"], "CdnEnabled", "{pattern}");
        let security =
            &policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"];
        assert_eq!(
            security["ContentTypeOptions"]["Override"], true,
            "{pattern}: nosniff"
        );
        // HSTS, like every other response of the CDN (the managed SecurityHeadersPolicy).
        assert_eq!(
            security["StrictTransportSecurity"]["AccessControlMaxAgeSec"], 31_536_000,
            "{pattern}"
        );
        assert_eq!(
            security["StrictTransportSecurity"]["Override"], true,
            "{pattern}"
        );
        (name.to_owned(), security.clone())
    };
    let (svg_policy, svg_security) = security_headers(&behaviours[svg]);
    let (all_policy, all_security) = security_headers(&behaviours[all]);
    assert_ne!(svg_policy, all_policy, "SVG has a policy of its own");
    assert_eq!(
        svg_security["ContentSecurityPolicy"],
        json!({
            "ContentSecurityPolicy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
            "Override": true,
        }),
        "an SVG opened directly runs no script"
    );
    assert!(
        all_security.get("ContentSecurityPolicy").is_none(),
        "no CSP on other files: its sandbox keeps Chromium's viewer from showing a PDF"
    );
}

/// A route: method, path in matchit syntax, function.
type Route = (String, String, String);

/// The logical id of the function an API integration's `uri` invokes: named either by its ARN
/// (`${Function.Arn}`, which makes the API depend on it) or by its fixed `FunctionName`.
fn integrated_function(template: &Value, uri: &Value) -> String {
    const PREFIX: &str =
        "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/";
    const FUNCTION: &str =
        "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:";
    let (text, variables) = match &uri["Fn::Sub"] {
        Value::String(text) => (text.as_str(), None),
        Value::Array(arguments) => (arguments[0].as_str().unwrap(), Some(&arguments[1])),
        _ => panic!("{uri}: a Fn::Sub of a Lambda invocation URI"),
    };
    let target = text
        .strip_prefix(PREFIX)
        .and_then(|t| t.strip_suffix("/invocations"))
        .unwrap_or_else(|| panic!("{uri}: a Lambda invocation URI"));
    if let Some(id) = target
        .strip_prefix("${")
        .and_then(|t| t.strip_suffix(".Arn}"))
    {
        return id.to_owned();
    }
    let name = target
        .strip_prefix(FUNCTION)
        .unwrap_or_else(|| panic!("{uri}: a function of this stack's account and region"));
    let wanted = match variables {
        None => json!({ "Fn::Sub": name }),
        Some(variables) => json!({ "Fn::Sub": [name, variables] }),
    };
    let ids: Vec<String> = functions(template)
        .into_iter()
        .filter(|(_, _, properties)| properties["FunctionName"] == wanted)
        .map(|(id, _, _)| id)
        .collect();
    assert_eq!(
        ids.len(),
        1,
        "{uri}: names exactly one function of the template, by its FunctionName"
    );
    ids.into_iter().next().unwrap()
}

/// The routes written in the API's own OpenAPI body (SAM adds the events' routes to it):
/// (method, path, the function's logical id, the operation).
fn body_routes(template: &Value) -> Vec<(String, String, String, Value)> {
    let body = &template["Resources"]["HttpApi"]["Properties"]["DefinitionBody"];
    let Some(paths) = body["paths"].as_object() else {
        return Vec::new();
    };
    let mut routes = Vec::new();
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let route = format!("{} {path}", method.to_uppercase());
            let integration = &operation["x-amazon-apigateway-integration"];
            // What SAM writes for an HttpApi event, and what lambda_http expects.
            assert_eq!(integration["type"], "aws_proxy", "{route}");
            assert_eq!(integration["httpMethod"], "POST", "{route}");
            assert_eq!(integration["payloadFormatVersion"], "2.0", "{route}");
            let id = integrated_function(template, &integration["uri"]);
            routes.push((method.to_uppercase(), path.clone(), id, operation.clone()));
        }
    }
    routes
}

/// An API Gateway path in the routers' (matchit's) syntax: a greedy `{name+}` is `{*name}`.
fn router_syntax(path: &str) -> String {
    path.split('/')
        .map(
            |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix("+}")) {
                Some(name) => format!("{{*{name}}}"),
                None => segment.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// The routes API Gateway has, from the template: the functions' HttpApi events and the API's
/// own body. Its `$default` route (no path) is every other GET, which cargo-lambda writes as a
/// catch-all.
fn template_routes() -> BTreeSet<Route> {
    let template = template();
    let mut routes = BTreeSet::new();
    let functions = functions(&template);
    for (id, name, properties) in &functions {
        let Some(events) = properties["Events"].as_object() else {
            continue;
        };
        for (event_id, event) in events {
            assert_eq!(event["Type"], "HttpApi", "{id}.{event_id}");
            assert_eq!(
                event["Properties"]["ApiId"],
                json!({ "Ref": "HttpApi" }),
                "{id}.{event_id}"
            );
            let path = &router_syntax(event["Properties"]["Path"].as_str().unwrap_or("/{*path}"));
            let method = event["Properties"]["Method"].as_str().unwrap_or("GET");
            let private = event["Properties"]["Auth"]["Authorizer"] == "AWS_IAM";
            assert_eq!(
                private,
                name == "ingest" || method != "GET",
                "{id}.{event_id}: writes (and the export) need IAM, reads are public"
            );
            routes.insert((method.to_owned(), path.to_owned(), name.clone()));
        }
    }
    for (method, path, id, operation) in body_routes(&template) {
        let name = &functions.iter().find(|(i, _, _)| *i == id).unwrap().1;
        let private = operation["security"] == json!([{ "AWS_IAM": [] }]);
        assert!(
            private || operation["security"].is_null(),
            "{method} {path}: {}",
            operation["security"]
        );
        assert_eq!(
            private,
            name == "ingest" || method != "GET",
            "{method} {path}: writes (and the export) need IAM, reads are public"
        );
        assert!(
            routes.insert((method.clone(), path.clone(), name.clone())),
            "{method} {path} is both an event and in the API's body"
        );
    }
    if routes.iter().any(|(method, _, _)| method != "GET") {
        assert_eq!(
            template["Resources"]["HttpApi"]["Properties"]["Auth"]["EnableIamAuthorizer"], true,
            "the AWS_IAM routes need the API's IAM authoriser"
        );
    }
    routes
}

/// SAM gives API Gateway leave to invoke a function for each of its HttpApi events; for the
/// routes written in the API's body the template does, one `AWS::Lambda::Permission` per
/// route, for exactly that method and path (a path parameter is a `*`), and no more.
#[test]
fn api_gateway_may_invoke_each_function_in_the_apis_body_on_its_own_routes_only() {
    let template = template();
    let wanted: BTreeSet<(String, String)> = body_routes(&template)
        .into_iter()
        .map(|(method, path, id, _)| {
            let path: Vec<String> = path
                .split('/')
                .map(|segment| {
                    if segment.starts_with('{') {
                        "*".to_owned()
                    } else {
                        segment.to_owned()
                    }
                })
                .collect();
            let arn = format!(
                "arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{HttpApi}}/*/{method}{}",
                path.join("/")
            );
            (id, arn)
        })
        .collect();
    assert!(
        !wanted.is_empty(),
        "the ingest routes are in the API's body"
    );
    let mut granted = BTreeSet::new();
    for (id, resource) in template["Resources"].as_object().unwrap() {
        if resource["Type"] != "AWS::Lambda::Permission" {
            continue;
        }
        let properties = &resource["Properties"];
        assert_eq!(properties["Action"], "lambda:InvokeFunction", "{id}");
        assert_eq!(properties["Principal"], "apigateway.amazonaws.com", "{id}");
        let function = properties["FunctionName"]["Ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{id}: a function of this stack's"));
        let arn = properties["SourceArn"]["Fn::Sub"]
            .as_str()
            .unwrap_or_else(|| panic!("{id}: a SourceArn"));
        assert!(
            granted.insert((function.to_owned(), arn.to_owned())),
            "{id}: a duplicate"
        );
    }
    assert_eq!(granted, wanted);
}

/// The routes `cargo lambda watch` serves, from Cargo.toml.
fn watch_routes() -> BTreeSet<Route> {
    let manifest: toml::Table = std::fs::read_to_string(root().join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let router = manifest["workspace"]["metadata"]["lambda"]["watch"]["router"]
        .as_table()
        .unwrap();
    let mut routes = BTreeSet::new();
    for (path, targets) in router {
        for target in targets.as_array().unwrap() {
            routes.insert((
                target["method"].as_str().unwrap().to_owned(),
                path.clone(),
                target["function"].as_str().unwrap().to_owned(),
            ));
        }
    }
    routes
}

/// Routes `cargo lambda watch` serves that API Gateway must not: (method, path, function, why).
const LOCAL_ONLY_ROUTES: &[(&str, &str, &str, &str)] = &[(
    "PUT",
    "/media/{sha256}/{name}",
    "media",
    "the embedded store's upload slot; in AWS an upload slot is a presigned S3 PUT URL",
)];

#[test]
fn api_gateway_and_cargo_lambda_route_the_same_table() {
    let template = template_routes();
    let mut watch = watch_routes();
    for (method, path, function, why) in LOCAL_ONLY_ROUTES {
        let route = (method.to_string(), path.to_string(), function.to_string());
        assert!(
            watch.remove(&route),
            "{route:?} ({why}) is no longer in Cargo.toml: drop it from LOCAL_ONLY_ROUTES"
        );
        assert!(
            !template.contains(&route),
            "{route:?} is local only ({why}), not an API Gateway route"
        );
    }
    assert_eq!(template, watch);
    assert!(template.len() >= 9, "{template:?}");
}

#[tokio::test]
async fn each_route_is_answered_by_its_function_and_by_no_other() {
    let given = TestStore::new(Backend::Sqlite).await;
    given.seed_examples().await;
    given
        .publish_source(
            "---\ntitle: Moved\ndate: 2020-01-01\naliases: [/2016/07/27/moved.html]\n---\nBody.\n",
        )
        .await;
    // A stored file, so that its route answers 200 rather than a 404 that reads as unrouted.
    let dir = tempfile::TempDir::new().unwrap();
    let blobs: Arc<dyn Blobs> = Arc::new(
        SqliteBlobs::open(&dir.path().join("media.sqlite3"), b"local-dev-token")
            .await
            .unwrap(),
    );
    // Uploaded to its staging key, then copied to its own key marked checked, as a publish
    // leaves it (the media function serves only checked files).
    let bytes = b"a diagram's bytes";
    let sha256 = sha256_hex(bytes);
    let staged = format!("media/incoming/{sha256}/diagram.png");
    blobs
        .put(&staged, bytes.as_slice().into(), "image/png")
        .await
        .unwrap();
    blobs
        .copy(
            &staged,
            &format!("media/{sha256}/diagram.png"),
            "image/png",
            &format!("{sha256} {}", bytes.len()),
        )
        .await
        .unwrap();
    // And a search index's pointer, so that the index's route answers 200 too.
    blobs
        .put(
            "search/current.json",
            br#"{"build":"0123abcd","built":"2026-12-01T08:00:00Z","posts":0}"#
                .as_slice()
                .into(),
            "application/json",
        )
        .await
        .unwrap();
    let state = AppState::new(
        given.store.clone(),
        SiteConfig::new("https://blog.example.com").unwrap(),
    )
    .with_media(Arc::clone(&blobs));
    let routers = [
        ("list-posts", http::list_posts(state.clone())),
        ("get-post", http::get_post(state.clone())),
        ("feed", http::feed(state.clone())),
        ("ingest", http::ingest(state.clone(), IngestAuth::Iam)),
        (
            "media",
            http::media_function(state.clone(), IngestAuth::Iam),
        ),
    ];
    let sample = |path: &str| {
        path.replace("{category}", "microservices")
            .replace("{author}", "steve-conover")
            .replace("{slug}", "inside-a-soundcloud-microservice")
            .replace("{*path}", "2016/07/27/moved.html")
            .replace("{sha256}", &sha256)
            .replace("{name}", "diagram.png")
            .replace("{sitemap}", "home.xml")
            .replace("{*file}", "current.json")
    };
    // API Gateway's routes, and the local-only ones `cargo lambda watch` adds.
    let mut routes = template_routes();
    routes.extend(LOCAL_ONLY_ROUTES.iter().map(|(method, path, function, _)| {
        (method.to_string(), path.to_string(), function.to_string())
    }));

    for (method, path, function) in routes {
        assert!(
            routers.iter().any(|(name, _)| *name == function),
            "{method} {path}: no router for {function}"
        );
        let uri = sample(&path);
        for (name, router) in &routers {
            let request = Request::builder()
                .method(method.as_str())
                .uri(&uri)
                .body(Body::empty())
                .unwrap();
            let status = router
                .clone()
                .oneshot(request)
                .await
                .unwrap()
                .status()
                .as_u16();
            let served = !matches!(status, 404 | 405);
            assert_eq!(
                served,
                *name == function,
                "{method} {uri} answered {status} by {name}; the route belongs to {function}"
            );
        }
    }
}

/// What the CDN keys its cache on must be what varies the origin's answers: the literal
/// `after` and `before` (the origin redirects any other spelling, privately), no header but
/// the encoding; `/feed`, which answers by `Accept`, is never cached.
#[test]
fn the_cdn_keys_on_exactly_what_varies_a_page() {
    let template = template();
    let key = &template["Resources"]["CachePolicy"]["Properties"]["CachePolicyConfig"]["ParametersInCacheKeyAndForwardedToOrigin"];
    assert_eq!(
        key["QueryStringsConfig"]["QueryStringBehavior"],
        "whitelist"
    );
    assert_eq!(
        key["QueryStringsConfig"]["QueryStrings"],
        json!(["after", "before"])
    );
    assert_eq!(key["HeadersConfig"]["HeaderBehavior"], "none");
    assert_eq!(key["CookiesConfig"]["CookieBehavior"], "none");
    let distribution = &template["Resources"]["Cdn"]["Properties"]["DistributionConfig"];
    let behaviours = distribution["CacheBehaviors"].as_array().unwrap();
    let feed = behaviours
        .iter()
        .find(|b| b["PathPattern"] == "/feed")
        .expect("a behaviour for /feed");
    assert_eq!(
        feed["CachePolicyId"], "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
        "the managed CachingDisabled policy"
    );
    assert_eq!(
        feed["OriginRequestPolicyId"],
        distribution["DefaultCacheBehavior"]["OriginRequestPolicyId"],
        "Accept reaches the origin"
    );
}

/// Pages and feeds stay at the CDN as long as the functions' `Cache-Control` says: their
/// `s-maxage=86400` must not be cut short by the policy's MaxTTL, and a response that says
/// nothing (or `no-store`, `private`) must not be kept. The ingest function invalidates the
/// changed paths on every write, which is what keeps them current. Stored files keep the
/// managed `CachingOptimized` (see `the_cdn_serves_stored_files_from_the_bucket_svg_inert`).
#[test]
fn pages_stay_at_the_cdn_as_long_as_the_functions_say() {
    let template = template();
    let policy = &template["Resources"]["CachePolicy"];
    assert_eq!(policy["Type"], "AWS::CloudFront::CachePolicy");
    assert_eq!(policy["Condition"], "CdnEnabled");
    let config = &policy["Properties"]["CachePolicyConfig"];
    let ttl = |name: &str| {
        config[name]
            .as_u64()
            .unwrap_or_else(|| panic!("{name}: a number of seconds, not {}", config[name]))
    };
    assert!(
        ttl("MaxTTL") >= 86_400,
        "MaxTTL {} would cut s-maxage=86400 short",
        ttl("MaxTTL")
    );
    assert_eq!(ttl("DefaultTTL"), 0, "no Cache-Control: not kept");
    assert_eq!(ttl("MinTTL"), 0, "no-store and private are obeyed");
    let distribution = &template["Resources"]["Cdn"]["Properties"]["DistributionConfig"];
    assert_eq!(
        distribution["DefaultCacheBehavior"]["CachePolicyId"],
        json!({ "Ref": "CachePolicy" }),
        "pages and feeds"
    );
    assert_eq!(
        distribution["DefaultCacheBehavior"]["TargetOriginId"],
        "api"
    );
}

/// With the CDN, the ingest function is told the distribution's id, and may invalidate that
/// distribution and no other; no other function may touch CloudFront at all. Without the CDN
/// the variable is unset (nothing to invalidate) and the permission absent.
#[test]
fn only_the_ingest_function_may_invalidate_and_only_this_distribution() {
    let template = template();
    assert!(
        template["Globals"]["Function"]["Environment"]["Variables"]["BLOG_CDN_DISTRIBUTION_ID"]
            .is_null(),
        "not every function's"
    );
    let mut ingest_seen = false;
    for (id, name, properties) in functions(&template) {
        let variable = &properties["Environment"]["Variables"]["BLOG_CDN_DISTRIBUTION_ID"];
        let mut cloudfront = Vec::new();
        for policy in properties["Policies"].as_array().unwrap() {
            for statement in policy["Statement"].as_array().unwrap() {
                let text = statement["Action"].to_string()
                    + &only_with_cdn(statement)
                        .map(|s| s["Action"].to_string())
                        .unwrap_or_default();
                if text.contains("cloudfront:") || text.contains("\"*\"") {
                    cloudfront.push(statement.clone());
                }
            }
        }
        if name == "ingest" {
            ingest_seen = true;
            assert_eq!(
                *variable,
                json!({ "Fn::If": ["CdnEnabled", { "Ref": "Cdn" }, { "Ref": "AWS::NoValue" }] }),
                "{id}: the distribution's id, with the CDN only"
            );
            assert_eq!(
                cloudfront,
                vec![json!({ "Fn::If": [
                    "CdnEnabled",
                    {
                        "Effect": "Allow",
                        "Action": ["cloudfront:CreateInvalidation"],
                        "Resource": distribution_arn(),
                    },
                    { "Ref": "AWS::NoValue" },
                ] })],
                "{id}: CreateInvalidation on this stack's distribution only, with the CDN only"
            );
        } else {
            assert!(variable.is_null(), "{id}: {variable}");
            assert!(cloudfront.is_empty(), "{id}: {cloudfront:?}");
        }
    }
    assert!(ingest_seen);
    // The functions' inline statements are the only grants in the stack, but for the role
    // EventBridge Scheduler invokes the search-index function as (infra_search.rs checks it).
    for (id, resource) in template["Resources"].as_object().unwrap() {
        let kind = resource["Type"].as_str().unwrap();
        assert!(
            !kind.starts_with("AWS::IAM::")
                || (id == "SearchScheduleRole" && kind == "AWS::IAM::Role"),
            "{id}: {kind}"
        );
    }
}

/// Every resource each resource refers to (`Ref`, `Fn::GetAtt`, `${…}` in `Fn::Sub`,
/// `DependsOn`), and the dependencies SAM adds when it transforms the template: the HTTP API
/// depends on every function with an HttpApi event (its generated body holds each one's ARN),
/// and each function on what the Globals refer to.
fn dependencies(template: &Value) -> BTreeMap<String, BTreeSet<String>> {
    fn collect(value: &Value, out: &mut BTreeSet<String>) {
        match value {
            Value::Object(object) => {
                if let Some(Value::String(name)) = object.get("Ref") {
                    out.insert(name.clone());
                }
                match object.get("Fn::GetAtt") {
                    Some(Value::Array(arguments)) => {
                        out.insert(arguments[0].as_str().unwrap().to_owned());
                    }
                    Some(Value::String(dotted)) => {
                        out.insert(dotted.split('.').next().unwrap().to_owned());
                    }
                    _ => {}
                }
                let (text, local) = match object.get("Fn::Sub") {
                    Some(Value::String(text)) => (Some(text.as_str()), None),
                    Some(Value::Array(arguments)) => {
                        (arguments[0].as_str(), arguments[1].as_object())
                    }
                    _ => (None, None),
                };
                if let Some(text) = text {
                    for piece in text.split("${").skip(1) {
                        let name = piece.split('}').next().unwrap();
                        let name = name.split('.').next().unwrap();
                        if !name.starts_with('!') && !local.is_some_and(|l| l.contains_key(name)) {
                            out.insert(name.to_owned());
                        }
                    }
                }
                for value in object.values() {
                    collect(value, out);
                }
            }
            Value::Array(values) => values.iter().for_each(|v| collect(v, out)),
            _ => {}
        }
    }
    let resources = template["Resources"].as_object().unwrap();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (id, resource) in resources {
        let mut refs = BTreeSet::new();
        let mut properties = resource["Properties"].clone();
        if resource["Type"] == "AWS::Serverless::Function" {
            // An event's `ApiId` makes SAM's generated permission depend on the API, not the
            // function: the edge goes the other way (below).
            properties.as_object_mut().unwrap().remove("Events");
        }
        collect(&properties, &mut refs);
        collect(&resource["DependsOn"], &mut refs);
        if let Some(depends_on) = resource["DependsOn"].as_str() {
            refs.insert(depends_on.to_owned());
        }
        if let Some(depends_on) = resource["DependsOn"].as_array() {
            refs.extend(depends_on.iter().map(|d| d.as_str().unwrap().to_owned()));
        }
        if resource["Type"] == "AWS::Serverless::Function" {
            collect(&template["Globals"]["Function"], &mut refs);
            for event in resource["Properties"]["Events"]
                .as_object()
                .into_iter()
                .flat_map(|events| events.values())
            {
                if event["Type"] == "HttpApi" {
                    let api = event["Properties"]["ApiId"]["Ref"]
                        .as_str()
                        .unwrap_or("ServerlessHttpApi");
                    graph.entry(api.to_owned()).or_default().insert(id.clone());
                }
            }
        }
        refs.retain(|r| r != id && resources.contains_key(r));
        graph.entry(id.clone()).or_default().extend(refs);
    }
    graph
}

/// A dependency cycle, as the resources along it, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

/// CloudFormation refuses a template whose resources depend on each other in a circle, and
/// cfn-lint cannot see the dependencies SAM adds (scripts/check-infra lints the transformed
/// template too). The one this layout avoids: the ingest function depends on the CDN (its
/// distribution id, its invalidation permission), the CDN's origin is the API, and an HttpApi
/// event on the ingest function would make the API depend on it. So its routes are in the
/// API's body, naming it by its fixed name.
#[test]
fn the_template_has_no_dependency_cycle() {
    let template = template();
    let graph = dependencies(&template);
    assert_eq!(find_cycle(&graph), None);
    assert!(graph["IngestFunction"].contains("Cdn"));
    assert!(graph["Cdn"].contains("HttpApi"));
    assert!(
        graph["HttpApi"].contains("ListPostsFunction"),
        "what SAM's events add, modelled here"
    );
    assert!(!graph["HttpApi"].contains("IngestFunction"));

    // The check sees what SAM adds: with an HttpApi event on the ingest function again, as
    // before, or with its ARN in the API's body, the template would have the cycle.
    let mut with_event = template.clone();
    with_event["Resources"]["IngestFunction"]["Properties"]["Events"] = json!({
        "Create": { "Type": "HttpApi", "Properties": {
            "ApiId": { "Ref": "HttpApi" }, "Method": "POST", "Path": "/posts",
            "Auth": { "Authorizer": "AWS_IAM" },
        } },
    });
    let mut with_arn = template.clone();
    with_arn["Resources"]["HttpApi"]["Properties"]["DefinitionBody"]["paths"]["/posts"]["post"]["x-amazon-apigateway-integration"]
        ["uri"] = json!({
        "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${IngestFunction.Arn}/invocations"
    });
    for changed in [with_event, with_arn] {
        let cycle = find_cycle(&dependencies(&changed)).expect("a cycle");
        for id in ["IngestFunction", "Cdn", "HttpApi"] {
            assert!(cycle.iter().any(|c| c == id), "{cycle:?}");
        }
    }
}
