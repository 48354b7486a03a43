//! The cold-start baseline: a minimal `lambda_http` + `aws-sdk-dynamodb` function that, for
//! every request, runs the Query the `list-posts` function runs for the home page (the newest
//! eleven rows of `LIST#_all` that are already published) and answers with a short text.
//! `benches/cold_start.py` compares `list-posts` with it.
//!
//! With `BASELINE_SCHEDULE_QUERY` set it also sends, at the same time, the second Query a
//! first page makes (the listing's next scheduled post), so that it does all the work of
//! `list-posts` but the page.

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
    let schedule = std::env::var_os("BASELINE_SCHEDULE_QUERY").is_some();
    run(service_fn(|_: Request| {
        newest_posts(&client, &table, schedule)
    }))
    .await
}

/// The home page's Query: a page of ten and one more (is there an older page?), newest first,
/// nothing dated after now, eventually consistent (as the blog's readers read).
async fn newest_posts(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    schedule: bool,
) -> Result<Response<Body>, Error> {
    let now = time::OffsetDateTime::now_utc().format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))?;
    let until = AttributeValue::S(format!("{now}#~"));
    let page = client
        .query()
        .table_name(table)
        .key_condition_expression("pk = :pk AND sk <= :until")
        .expression_attribute_values(":pk", AttributeValue::S("LIST#_all".to_owned()))
        .expression_attribute_values(":until", until.clone())
        .scan_index_forward(false)
        .limit(11)
        .send();
    let next_scheduled = async {
        if !schedule {
            return Ok(None);
        }
        client
            .query()
            .table_name(table)
            .key_condition_expression("pk = :pk AND sk > :until")
            .expression_attribute_values(":pk", AttributeValue::S("LIST#_all".to_owned()))
            .expression_attribute_values(":until", until)
            .projection_expression("sk")
            .limit(1)
            .send()
            .await
            .map(Some)
    };
    let (page, _) = tokio::try_join!(page, next_scheduled)?;
    let body = format!("{} posts\n", page.items().len());
    Ok(Response::builder()
        .status(200)
        .header("content-type", "text/plain; charset=utf-8")
        .body(Body::from(body))?)
}
