//! The AWS configuration every client of the blog (DynamoDB, S3, CloudFront; the CLI's
//! credentials and the tests' clients too) is built from, and the HTTPS client they share:
//! rustls with ring, the one TLS stack in the workspace.
//!
//! The SDK's own default client is rustls with aws-lc-rs, and its defaults also bring a legacy
//! second stack (hyper 0.14, rustls 0.21). The workspace takes the SDK without its default
//! features and builds the client here: a deployed function carries one stack, and a client made
//! without [`http_client`] fails its first request rather than quietly bringing another.
//!
//! Where the configuration comes from depends on the `credential-chain` feature:
//! - **With it** (the CLI, the tests, `cargo lambda watch`): aws-config's default chain:
//!   environment, profiles, SSO, web identity, container and instance credentials.
//! - **Without it** (the deployed functions, `scripts/build-lambdas`): the environment alone
//!   ([`from_environment`]), which is where Lambda puts a function's region and its role's
//!   credentials. That leaves aws-config and the STS client it links out of every zip.

use std::sync::LazyLock;

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_runtime::env_config::EnvConfigValue;
use aws_smithy_async::rt::sleep::TokioSleep;
use aws_smithy_async::time::SystemTimeSource;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::Provider;
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::SdkConfig;
use aws_types::os_shim_internal::Env;
use aws_types::region::Region;
use aws_types::service_config::{LoadServiceConfig, ServiceConfigKey};

use crate::config::ConfigError;

/// The process's AWS configuration, with the blog's HTTPS client and `timeouts`: from the
/// default chain with the `credential-chain` feature, else from the environment alone
/// ([`from_environment`]).
pub async fn load(timeouts: TimeoutConfig) -> Result<SdkConfig, ConfigError> {
    #[cfg(feature = "credential-chain")]
    {
        Ok(aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(http_client())
            .timeout_config(timeouts)
            .load()
            .await)
    }
    #[cfg(not(feature = "credential-chain"))]
    {
        from_environment(&Env::real(), timeouts)
    }
}

/// The AWS configuration a Lambda function's environment holds, and nothing else:
/// - the region, from `AWS_REGION` (or `AWS_DEFAULT_REGION`);
/// - static credentials, from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and (for a role's
///   temporary credentials, as Lambda's are) `AWS_SESSION_TOKEN`;
/// - endpoint overrides, per service (`AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_S3`,
///   `AWS_ENDPOINT_URL_CLOUDFRONT`) or for all (`AWS_ENDPOINT_URL`), read as the SDK reads them.
///
/// Retries are the SDK's standard mode, as aws-config's default. A missing region or key is an
/// error naming the variable: without them every request would fail later, less clearly.
///
/// Not read, though aws-config reads them: `AWS_MAX_ATTEMPTS` and `AWS_RETRY_MODE` (the store's
/// own timeouts and the standard retries stand), `AWS_USE_FIPS_ENDPOINT`,
/// `AWS_USE_DUALSTACK_ENDPOINT`, `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`, and credentials from
/// anything but the three variables (a container credentials URI, a profile).
pub fn from_environment(env: &Env, timeouts: TimeoutConfig) -> Result<SdkConfig, ConfigError> {
    let set = |name: &str| env.get(name).ok().filter(|v| !v.trim().is_empty());
    let region = set("AWS_REGION")
        .or_else(|| set("AWS_DEFAULT_REGION"))
        .ok_or(ConfigError::Missing(
            "AWS_REGION",
            "the AWS region of the table, bucket and CDN (Lambda sets it; AWS_DEFAULT_REGION \
             is read when it is unset)",
        ))?;
    let key = set("AWS_ACCESS_KEY_ID").ok_or(ConfigError::Missing(
        "AWS_ACCESS_KEY_ID",
        "a deployed function reads its credentials from the environment (Lambda sets them \
         from the function's role); build with the `credential-chain` feature for profiles, \
         SSO or instance credentials",
    ))?;
    let secret = set("AWS_SECRET_ACCESS_KEY").ok_or(ConfigError::Missing(
        "AWS_SECRET_ACCESS_KEY",
        "the secret of AWS_ACCESS_KEY_ID (Lambda sets it from the function's role)",
    ))?;
    let credentials = Credentials::new(key, secret, set("AWS_SESSION_TOKEN"), None, "environment");
    Ok(SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .service_config(EndpointsFromEnvironment(env.clone()))
        .retry_config(RetryConfig::standard())
        .timeout_config(timeouts)
        .sleep_impl(TokioSleep::new())
        .time_source(SystemTimeSource::new())
        .http_client(http_client())
        .build())
}

/// The SDK's per-service settings from the environment alone (not from profiles): each client
/// asks it for its endpoint, `AWS_ENDPOINT_URL_<SERVICE>` then `AWS_ENDPOINT_URL`.
#[derive(Debug)]
struct EndpointsFromEnvironment(Env);

impl LoadServiceConfig for EndpointsFromEnvironment {
    fn load_config(&self, key: ServiceConfigKey<'_>) -> Option<String> {
        let (value, _source) = EnvConfigValue::new()
            .env(key.env())
            .service_id(key.service_id())
            .load(&self.0, None)?;
        Some(value.into_owned())
    }
}

/// The HTTPS client of every AWS client in the process, built once: as the SDK builds its
/// default client (timeouts from each client's configuration, a proxy from `HTTPS_PROXY` and
/// friends), with ring in place of aws-lc-rs.
pub fn http_client() -> SharedHttpClient {
    static CLIENT: LazyLock<SharedHttpClient> = LazyLock::new(|| {
        Builder::new().build_with_connector_fn(|settings, components| {
            let mut connector =
                ConnectorBuilder::default().tls_provider(Provider::Rustls(CryptoMode::Ring));
            connector.set_connector_settings(settings.cloned());
            if let Some(components) = components {
                connector.set_sleep_impl(components.sleep_impl());
            }
            connector.set_proxy_config(Some(ProxyConfig::from_env()));
            connector.build()
        })
    });
    CLIENT.clone()
}
