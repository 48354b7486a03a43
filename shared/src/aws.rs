//! Where every AWS client of the blog (DynamoDB, S3, CloudFront; the CLI's credentials and the
//! tests' clients too) gets its HTTPS client: rustls with ring, the one TLS stack in the
//! workspace.
//!
//! The SDK's own default client is rustls with aws-lc-rs, and its defaults also bring a legacy
//! second stack (hyper 0.14, rustls 0.21). The workspace takes the SDK without its default
//! features and builds the client here: a deployed function carries one stack, and a client made
//! without [`http_client`] fails its first request rather than quietly bringing another.

use std::sync::LazyLock;

use aws_config::{BehaviorVersion, ConfigLoader};
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::Provider;
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// The SDK's configuration loader, with the blog's HTTPS client; callers add their timeouts
/// and `load()` it.
pub fn defaults() -> ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest()).http_client(http_client())
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
