//! A deployed function's AWS configuration: built with `--no-default-features`, a function reads
//! its region, credentials and endpoint overrides from the environment alone, as Lambda sets them
//! (`blog_shared::aws::from_environment`), with no aws-config credential chain. Each client
//! reaches its own service at the endpoint the environment names (the servers on loopback), and
//! a function missing its region or keys stops naming the variable.

use aws_types::os_shim_internal::Env;
use blog_shared::aws::from_environment;
use blog_shared::cdn::Cdn;
use blog_shared::store::{DynamoStore, dynamo_timeouts};
use blog_shared::{ConfigError, Store, parse_post};
use blog_tests::{
    Backend, TestBlobs, TestStore, cloudfront_client, cloudfront_distribution, dynamo_endpoint,
    post_source, s3_client,
};

/// What Lambda sets for a function in `region` with a role, and `extra`. The servers on loopback
/// keep each region apart, as AWS does: the tests' tables, buckets and distributions are in
/// us-east-1.
fn lambda_env(region: &str, extra: &[(&str, &str)]) -> Env {
    let mut vars = vec![
        ("AWS_REGION", region),
        ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_SESSION_TOKEN", "session-token"),
    ];
    vars.extend_from_slice(extra);
    Env::from_slice(&vars)
}

/// A loopback address nothing answers on (a port just bound and released).
fn dead_endpoint() -> String {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    drop(socket);
    format!("http://127.0.0.1:{port}")
}

#[tokio::test]
async fn each_client_reaches_its_service_at_the_endpoint_the_environment_names() {
    let server = dynamo_endpoint();
    // The endpoint for all services leads nowhere: each request succeeds only if its client
    // took its own service's variable.
    let dead = dead_endpoint();
    let env = lambda_env(
        "us-east-1",
        &[
            ("AWS_ENDPOINT_URL", &dead),
            ("AWS_ENDPOINT_URL_DYNAMODB", &server),
            ("AWS_ENDPOINT_URL_S3", &server),
            ("AWS_ENDPOINT_URL_CLOUDFRONT", &server),
        ],
    );
    let sdk = from_environment(&env, dynamo_timeouts()).expect("a complete environment");

    // DynamoDB: the post another client published is read through this configuration.
    let given = TestStore::new(Backend::Dynamo).await;
    let post = parse_post(&post_source("Read Back", "2024-05-01", &["Backend"]), None).unwrap();
    given.store.publish(&post).await.unwrap();
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), given.table.unwrap());
    let read = store
        .post(&post.slug)
        .await
        .expect("read through the environment's endpoint");
    assert_eq!(read.expect("the published post").title, "Read Back");

    // S3: an object written through this configuration is in the bucket.
    let bucket = TestBlobs::new(Backend::Dynamo, "secret")
        .await
        .bucket
        .unwrap();
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    s3.put_object()
        .bucket(&bucket)
        .key("media/env-check.txt")
        .body(b"written".to_vec().into())
        .send()
        .await
        .expect("write through the environment's S3 endpoint");
    let object = s3_client()
        .get_object()
        .bucket(&bucket)
        .key("media/env-check.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(
        &object.body.collect().await.unwrap().into_bytes()[..],
        b"written"
    );

    // CloudFront: the invalidation this configuration sends is the distribution's.
    let distribution = cloudfront_distribution("origin.example.com").await;
    let cdn = Cdn::new(aws_sdk_cloudfront::Client::new(&sdk), distribution.clone());
    let id = cdn
        .invalidate(&["/env-check".to_owned()])
        .await
        .expect("invalidate through the environment's CloudFront endpoint")
        .expect("an invalidation");
    let sent = cloudfront_client()
        .get_invalidation()
        .distribution_id(&distribution)
        .id(&id)
        .send()
        .await
        .unwrap();
    let paths = sent
        .invalidation
        .unwrap()
        .invalidation_batch
        .unwrap()
        .paths
        .unwrap();
    assert_eq!(paths.items.unwrap(), ["/env-check"]);
}

#[tokio::test]
async fn one_endpoint_for_all_services_serves_a_client_without_its_own() {
    let server = dynamo_endpoint();
    let env = lambda_env("us-east-1", &[("AWS_ENDPOINT_URL", &server)]);
    let sdk = from_environment(&env, dynamo_timeouts()).unwrap();

    let given = TestStore::new(Backend::Dynamo).await;
    let tables = aws_sdk_dynamodb::Client::new(&sdk)
        .list_tables()
        .send()
        .await
        .expect("reach the server at AWS_ENDPOINT_URL");
    assert!(tables.table_names().contains(given.table.as_ref().unwrap()));
}

#[tokio::test]
async fn the_region_and_the_role_credentials_are_the_environments() {
    use aws_credential_types::provider::ProvideCredentials;
    let sdk = from_environment(&lambda_env("eu-west-1", &[]), dynamo_timeouts()).unwrap();
    assert_eq!(sdk.region().unwrap().as_ref(), "eu-west-1");
    let credentials = sdk
        .credentials_provider()
        .unwrap()
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(credentials.access_key_id(), "ASIAEXAMPLE");
    assert_eq!(credentials.secret_access_key(), "secret");
    // A role's credentials are temporary: without the token every signed request is refused.
    assert_eq!(credentials.session_token(), Some("session-token"));

    // The older variable for the region still works.
    let env = Env::from_slice(&[
        ("AWS_DEFAULT_REGION", "ap-southeast-2"),
        ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
    ]);
    let sdk = from_environment(&env, dynamo_timeouts()).unwrap();
    assert_eq!(sdk.region().unwrap().as_ref(), "ap-southeast-2");
    // With both set, AWS_REGION (what Lambda sets) wins.
    let env = Env::from_slice(&[
        ("AWS_REGION", "eu-central-1"),
        ("AWS_DEFAULT_REGION", "ap-southeast-2"),
        ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
    ]);
    let sdk = from_environment(&env, dynamo_timeouts()).unwrap();
    assert_eq!(sdk.region().unwrap().as_ref(), "eu-central-1");
}

#[test]
fn a_function_missing_its_region_or_keys_is_told_which_variable() {
    let complete = [
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
    ];
    for missing in ["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
        // Unset, and set but blank: both are missing.
        for blank in [false, true] {
            let vars: Vec<(&str, &str)> = complete
                .iter()
                .filter_map(|&(name, value)| match (name == missing, blank) {
                    (false, _) => Some((name, value)),
                    (true, true) => Some((name, " ")),
                    (true, false) => None,
                })
                .collect();
            let error = from_environment(&Env::from_slice(&vars), dynamo_timeouts())
                .expect_err("an incomplete environment is refused");
            // The variable named is the one missing (each message mentions others too).
            assert!(
                matches!(error, ConfigError::Missing(name, _) if name == missing),
                "{missing} (blank: {blank}): {error}"
            );
            assert!(error.to_string().contains(missing), "{error}");
        }
    }
}
