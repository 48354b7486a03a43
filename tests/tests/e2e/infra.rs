//! The infrastructure template, read as data: least privilege for every function (on the table
//! and on the media bucket), a private bucket that only this stack's CDN may read, and one
//! table of routes shared by API Gateway (infra/template.yaml), `cargo lambda watch`
//! (Cargo.toml) and the functions' own routers.

use std::collections::BTreeSet;
use std::path::Path;
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

fn template() -> Value {
    let text = std::fs::read_to_string(root().join("infra/template.yaml")).unwrap();
    serde_saphyr::from_str(&text).expect("the template is plain YAML (long-form intrinsics)")
}

/// The functions of the template: (logical id, function name from its CodeUri, properties).
fn functions(template: &Value) -> Vec<(String, String, Value)> {
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
fn table_arn() -> Value {
    json!({ "Fn::If": [
        "UseRestoredTable",
        { "Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${RestoredTableName}" },
        { "Fn::GetAtt": ["PostsTable", "Arn"] },
    ] })
}

/// The stored files: the objects under the bucket's `media/` prefix, and nothing else in it.
fn media_objects() -> Value {
    json!({ "Fn::Sub": "${MediaBucket.Arn}/media/*" })
}

/// What one statement allows: a resource, and actions on it.
type Grant = (Value, BTreeSet<String>);

/// What each function's inline statements allow: (function name, its grants).
/// Fails on anything but an inline `Allow` of a list of actions on one resource.
fn grants(template: &Value) -> Vec<(String, Vec<Grant>)> {
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
                    assert_eq!(statement["Effect"], "Allow", "{id}");
                    let keys: BTreeSet<&str> = statement
                        .as_object()
                        .unwrap()
                        .keys()
                        .map(String::as_str)
                        .collect();
                    assert_eq!(
                        keys,
                        BTreeSet::from(["Action", "Effect", "Resource"]),
                        "{id}: no NotAction, NotResource or Condition to reason about"
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
                    grants.push((statement["Resource"].clone(), actions));
                }
            }
            (name, grants)
        })
        .collect()
}

/// The actions `grants` allow on `resource`, in order.
fn actions_on(grants: &[Grant], resource: &Value) -> Vec<String> {
    let mut actions = BTreeSet::new();
    for (r, a) in grants {
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
        // It serves files from the bucket and never touches the table.
        ("media", vec![]),
    ];
    let grants = grants(&template);
    assert_eq!(grants.len(), expected.len(), "one function per route group");

    for (name, grants) in &grants {
        for (resource, actions) in grants {
            assert!(
                *resource == table_arn() || *resource == media_objects(),
                "{name} acts on this table and the stored files only, not {resource}"
            );
            for action in actions {
                assert_eq!(
                    action.starts_with("dynamodb:"),
                    *resource == table_arn(),
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

/// S3: the read functions have none; the media function reads files; the ingest function
/// writes the upload URLs it presigns, reads uploads back and deletes bad ones. All of it on
/// `media/*` only: nothing bucket-wide (no ListBucket: a missing object answers 403, which
/// the functions read as missing), no wildcard action.
#[test]
fn each_function_may_do_only_what_its_routes_need_on_the_stored_files() {
    let template = template();
    let expected = [
        ("list-posts", vec![]),
        ("feed", vec![]),
        ("get-post", vec![]),
        ("media", vec!["s3:GetObject"]),
        (
            "ingest",
            vec!["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
        ),
    ];
    let grants = grants(&template);
    assert_eq!(grants.len(), expected.len(), "one function per route group");

    for (name, grants) in &grants {
        let s3: Vec<&String> = grants
            .iter()
            .flat_map(|(_, actions)| actions)
            .filter(|a| a.starts_with("s3:") || a.starts_with("s3-") || *a == "*")
            .collect();
        for (resource, actions) in grants {
            assert!(
                !resource.to_string().contains("MediaBucket") || *resource == media_objects(),
                "{name}: {resource} reaches beyond media/*"
            );
            if actions.iter().any(|a| a.starts_with("s3")) {
                assert_eq!(*resource, media_objects(), "{name}");
            }
        }
        assert!(!s3.iter().any(|a| a.contains('*')), "{name}: {s3:?}");
        let wanted = &expected
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("unexpected function {name}"))
            .1;
        let mut s3: Vec<String> = s3.into_iter().cloned().collect();
        s3.sort();
        assert_eq!(s3, *wanted, "{name}");
        assert_eq!(actions_on(grants, &media_objects()), *wanted, "{name}");
    }

    // Each function that touches the bucket is told its name; the others are not.
    for (id, name, properties) in functions(&template) {
        let bucket = &properties["Environment"]["Variables"]["BLOG_MEDIA_BUCKET"];
        if matches!(name.as_str(), "media" | "ingest") {
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
/// like the table; the only reader it lets in is this stack's distribution, on `media/*`.
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

    // Any other statement is the CDN's read, present only with the CDN.
    let allows: Vec<&Value> = statements
        .iter()
        .filter(|s| *s != deny_plain_http)
        .collect();
    assert_eq!(allows.len(), 1, "{allows:?}");
    let [condition, cdn_reads, otherwise] = allows[0]["Fn::If"]
        .as_array()
        .map(Vec::as_slice)
        .expect("the CDN's statement is conditional")
    else {
        panic!("Fn::If takes three arguments");
    };
    assert_eq!(*condition, "CdnEnabled");
    assert_eq!(*otherwise, json!({ "Ref": "AWS::NoValue" }));
    assert_eq!(cdn_reads["Effect"], "Allow");
    assert_eq!(
        cdn_reads["Principal"],
        json!({ "Service": "cloudfront.amazonaws.com" })
    );
    assert_eq!(cdn_reads["Action"], "s3:GetObject");
    assert_eq!(cdn_reads["Resource"], media_objects());
    assert_eq!(
        cdn_reads["Condition"],
        json!({ "StringEquals": { "AWS:SourceArn": {
            "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Cdn}"
        } } }),
        "this stack's distribution, and no other"
    );
}

/// With the CDN, `/media/*` comes from the bucket, never through a function: an S3 origin
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

/// The routes API Gateway has, from the template. Its `$default` route (no path) is every other
/// GET, which cargo-lambda writes as a catch-all.
fn template_routes() -> BTreeSet<Route> {
    let template = template();
    let mut routes = BTreeSet::new();
    for (id, name, properties) in functions(&template) {
        for (event_id, event) in properties["Events"].as_object().unwrap() {
            assert_eq!(event["Type"], "HttpApi", "{id}.{event_id}");
            let path = event["Properties"]["Path"].as_str().unwrap_or("/{*path}");
            let method = event["Properties"]["Method"].as_str().unwrap_or("GET");
            let private = event["Properties"]["Auth"]["Authorizer"] == "AWS_IAM";
            assert_eq!(
                private,
                name == "ingest",
                "{id}.{event_id}: writes need IAM, reads are public"
            );
            routes.insert((method.to_owned(), path.to_owned(), name.clone()));
        }
    }
    routes
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
    "ingest",
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
    let bytes = b"a diagram's bytes";
    let sha256 = sha256_hex(bytes);
    blobs
        .put(
            &format!("media/{sha256}/diagram.png"),
            bytes.as_slice().into(),
            "image/png",
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
        ("media", http::media_function(Arc::clone(&blobs))),
    ];
    let sample = |path: &str| {
        path.replace("{category}", "microservices")
            .replace("{author}", "steve-conover")
            .replace("{slug}", "inside-a-soundcloud-microservice")
            .replace("{*path}", "2016/07/27/moved.html")
            .replace("{sha256}", &sha256)
            .replace("{name}", "diagram.png")
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
