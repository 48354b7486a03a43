//! The cold-start baseline: a minimal `lambda_http` + `aws-sdk-dynamodb` function that, for
//! every request, runs the home page's Query as the least function would (the newest eleven
//! rows of `LIST#_all` that are already published) and answers with a short text.
//! `benches/cold_start.py` compares `list-posts` with it.

use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_http_client::tls::Provider;
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use lambda_http::{Body, Error, Request, Response, run, service_fn};
use time::macros::format_description;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(https)
        .load()
        .await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let table = std::env::var("BLOG_TABLE").map_err(|_| "set BLOG_TABLE")?;
    run(service_fn(|_: Request| newest_posts(&client, &table))).await
}

/// The home page's Query: a page of ten and one more (is there an older page?), newest first,
/// nothing dated after now, eventually consistent (as the blog's readers read).
async fn newest_posts(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Result<Response<Body>, Error> {
    let now = time::OffsetDateTime::now_utc().format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))?;
    let page = client
        .query()
        .table_name(table)
        .key_condition_expression("pk = :pk AND sk <= :until")
        .expression_attribute_values(":pk", AttributeValue::S("LIST#_all".to_owned()))
        .expression_attribute_values(":until", AttributeValue::S(format!("{now}#~")))
        .scan_index_forward(false)
        .limit(11)
        .send()
        .await?;
    let body = format!("{} posts\n", page.items().len());
    Ok(Response::builder()
        .status(200)
        .header("content-type", "text/plain; charset=utf-8")
        .body(Body::from(body))?)
}
