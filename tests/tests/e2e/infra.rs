//! The infrastructure template, read as data: least privilege for every function, and one
//! table of routes shared by API Gateway (infra/template.yaml), `cargo lambda watch`
//! (Cargo.toml) and the functions' own routers.

use std::collections::BTreeSet;
use std::path::Path;

use axum::body::Body;
use axum::http::Request;
use blog_shared::http::{self, IngestAuth};
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

#[test]
fn each_function_may_do_only_what_its_routes_need_on_this_table() {
    let template = template();
    // The stack's table, or the one restored from it (parameter RestoredTableName).
    let table_arn = json!({ "Fn::If": [
        "UseRestoredTable",
        { "Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${RestoredTableName}" },
        { "Fn::GetAtt": ["PostsTable", "Arn"] },
    ] });
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
    ];
    let functions = functions(&template);
    assert_eq!(
        functions.len(),
        expected.len(),
        "one function per route group"
    );

    for (id, name, properties) in &functions {
        let policies = properties["Policies"]
            .as_array()
            .unwrap_or_else(|| panic!("{id} has inline policies"));
        let mut actions = BTreeSet::new();
        for policy in policies {
            // Only inline statements: no SAM policy templates or managed policies, which grant
            // more (DynamoDBReadPolicy includes Scan and BatchGetItem).
            let statements = policy["Statement"]
                .as_array()
                .unwrap_or_else(|| panic!("{id}: {policy} is not an inline statement"));
            for statement in statements {
                assert_eq!(statement["Effect"], "Allow", "{id}");
                assert_eq!(
                    statement["Resource"], table_arn,
                    "{id} acts on this table only"
                );
                for action in statement["Action"].as_array().unwrap() {
                    actions.insert(action.as_str().unwrap().to_owned());
                }
            }
        }
        let wanted = &expected
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("unexpected function {name}"))
            .1;
        assert_eq!(
            actions.iter().map(String::as_str).collect::<Vec<_>>(),
            *wanted,
            "{name}"
        );
        assert!(
            !actions
                .iter()
                .any(|a| a.contains('*') || a.ends_with("Scan")),
            "{name}"
        );
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

#[test]
fn api_gateway_and_cargo_lambda_route_the_same_table() {
    let template = template_routes();
    assert_eq!(template, watch_routes());
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
    let state = AppState::new(
        given.store.clone(),
        SiteConfig::new("https://blog.example.com").unwrap(),
    );
    let routers = [
        ("list-posts", http::list_posts(state.clone())),
        ("get-post", http::get_post(state.clone())),
        ("feed", http::feed(state.clone())),
        ("ingest", http::ingest(state.clone(), IngestAuth::Iam)),
    ];
    let sample = |path: &str| {
        path.replace("{category}", "microservices")
            .replace("{author}", "steve-conover")
            .replace("{slug}", "inside-a-soundcloud-microservice")
            .replace("{*path}", "2016/07/27/moved.html")
    };

    for (method, path, function) in template_routes() {
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
