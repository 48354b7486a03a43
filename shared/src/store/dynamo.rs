//! The DynamoDB store: the single-table design of DESIGN.md.
//!
//! | item    | pk              | sk                                |
//! |---------|-----------------|-----------------------------------|
//! | post    | `POST#<slug>`   | `POST`                            |
//! | listing | `LIST#<key>`    | `<published, UTC>#<slug>`         |
//!
//! A post page is one `GetItem`; a listing page or a feed is one `Query`; a publish is one
//! `TransactWriteItems` holding the post and all of its listing entries. Nothing scans.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, Put,
    ScalarAttributeType, TransactWriteItem,
};
use serde::{Deserialize, Serialize};

use super::{BoxError, ListingQuery, PublishOutcome, Store, StoreError};
use crate::model::{Listing, ListingEntry, Post, Slug};

/// A store over one DynamoDB table.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    /// A store over `table`, through a client built once at start-up.
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }
}

/// The post item, as stored: the post's fields beside its keys.
#[derive(Debug, Serialize, Deserialize)]
struct PostItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    post: Post,
}

/// A listing item: what a listing row and a feed entry show, beside its keys.
#[derive(Debug, Serialize, Deserialize)]
struct ListingItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    entry: ListingEntry,
}

fn post_key(slug: &Slug) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(format!("POST#{slug}"))),
        ("sk".to_owned(), AttributeValue::S("POST".to_owned())),
    ])
}

fn listing_pk(listing: &Listing) -> String {
    format!("LIST#{}", listing.key())
}

fn to_post_item(post: &Post) -> Result<HashMap<String, AttributeValue>, serde_dynamo::Error> {
    serde_dynamo::to_item(PostItem {
        pk: format!("POST#{}", post.slug),
        sk: "POST".to_owned(),
        post: post.clone(),
    })
}

fn from_post_item(item: HashMap<String, AttributeValue>) -> Result<Post, serde_dynamo::Error> {
    serde_dynamo::from_item::<_, PostItem>(item).map(|item| item.post)
}

fn to_listing_item(
    listing: &Listing,
    entry: &ListingEntry,
) -> Result<HashMap<String, AttributeValue>, serde_dynamo::Error> {
    serde_dynamo::to_item(ListingItem {
        pk: listing_pk(listing),
        sk: entry.sort_key(),
        entry: entry.clone(),
    })
}

fn from_listing_item(
    item: HashMap<String, AttributeValue>,
) -> Result<ListingEntry, serde_dynamo::Error> {
    serde_dynamo::from_item::<_, ListingItem>(item).map(|item| item.entry)
}

/// Sorts an SDK failure into "try again shortly" and "broken", keeping the cause.
fn sdk_error<E, R>(what: &'static str) -> impl Fn(SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    move |error| {
        let transient = match &error {
            SdkError::TimeoutError(_)
            | SdkError::DispatchFailure(_)
            | SdkError::ResponseError(_) => true,
            SdkError::ServiceError(service) => matches!(
                service.err().code(),
                Some(
                    "ThrottlingException"
                        | "ProvisionedThroughputExceededException"
                        | "RequestLimitExceeded"
                        | "InternalServerError"
                        | "ServiceUnavailable"
                        | "TransactionInProgressException"
                )
            ),
            _ => false,
        };
        let boxed: BoxError = Box::new(error);
        if transient {
            StoreError::Unavailable(boxed)
        } else {
            StoreError::Failed(what, boxed)
        }
    }
}

fn mapping_error(what: &'static str) -> impl Fn(serde_dynamo::Error) -> StoreError {
    move |error| StoreError::Failed(what, Box::new(error))
}

#[async_trait]
impl Store for DynamoStore {
    async fn post(&self, slug: &Slug) -> Result<Option<Post>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(post_key(slug)))
            // An author expects to see a post the moment it is published.
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error("reading a post"))?;
        output
            .item
            .map(from_post_item)
            .transpose()
            .map_err(mapping_error("decoding a post"))
    }

    async fn listing(&self, query: &ListingQuery) -> Result<Vec<ListingEntry>, StoreError> {
        let pk = listing_pk(&query.listing);
        let start = query.exclusive_start.as_ref().map(|sk| {
            HashMap::from([
                ("pk".to_owned(), AttributeValue::S(pk.clone())),
                ("sk".to_owned(), AttributeValue::S(sk.clone())),
            ])
        });
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk <= :until")
            .expression_attribute_values(":pk", AttributeValue::S(pk))
            .expression_attribute_values(":until", AttributeValue::S(query.visible_until.clone()))
            .scan_index_forward(!query.newest_first)
            .set_exclusive_start_key(start)
            .limit(i32::try_from(query.limit).unwrap_or(i32::MAX))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error("reading a listing"))?;
        output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_listing_item)
            .collect::<Result<_, _>>()
            .map_err(mapping_error("decoding a listing entry"))
    }

    async fn publish(&self, post: &Post) -> Result<PublishOutcome, StoreError> {
        let mut post = post.clone();
        post.version = 1;
        let mut writes = vec![
            put(
                &self.table,
                to_post_item(&post).map_err(mapping_error("encoding a post"))?,
            )
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| StoreError::Failed("building a write", Box::new(e)))?,
        ];
        if !post.draft {
            let entry = post.listing_entry();
            for listing in post.listings() {
                let item = to_listing_item(&listing, &entry)
                    .map_err(mapping_error("encoding a listing entry"))?;
                writes.push(
                    put(&self.table, item)
                        .build()
                        .map_err(|e| StoreError::Failed("building a write", Box::new(e)))?,
                );
            }
        }
        let items = writes
            .into_iter()
            .map(|p| TransactWriteItem::builder().put(p).build())
            .collect();
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(PublishOutcome::Created { version: 1 }),
            Err(error) if is_condition_failure(&error) => {
                // The slug is taken: the same content is a harmless retry, other content a conflict.
                let existing = self.post(&post.slug).await?.ok_or_else(|| {
                    StoreError::Unavailable("the post changed while it was being published".into())
                })?;
                Ok(if existing.content_hash == post.content_hash {
                    PublishOutcome::Unchanged {
                        version: existing.version,
                    }
                } else {
                    PublishOutcome::SlugTaken {
                        version: existing.version,
                    }
                })
            }
            Err(error) => Err(sdk_error("publishing a post")(error)),
        }
    }
}

fn put(
    table: &str,
    item: HashMap<String, AttributeValue>,
) -> aws_sdk_dynamodb::types::builders::PutBuilder {
    Put::builder().table_name(table).set_item(Some(item))
}

/// True when a transaction was cancelled because a condition did not hold.
fn is_condition_failure<R>(
    error: &SdkError<aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError, R>,
) -> bool {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    match error {
        SdkError::ServiceError(service) => match service.err() {
            TransactWriteItemsError::TransactionCanceledException(cancelled) => cancelled
                .cancellation_reasons()
                .iter()
                .any(|reason| reason.code() == Some("ConditionalCheckFailed")),
            _ => false,
        },
        _ => false,
    }
}

/// Creates the table with the blog's key schema, on-demand billing. For local use and tests:
/// the production table comes from the infrastructure template.
pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(|e| StoreError::Failed("building a table definition", Box::new(e)))
    };
    let key = |name: &str, key_type| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build()
            .map_err(|e| StoreError::Failed("building a table definition", Box::new(e)))
    };
    client
        .create_table()
        .table_name(table)
        .attribute_definitions(attribute("pk")?)
        .attribute_definitions(attribute("sk")?)
        .key_schema(key("pk", KeyType::Hash)?)
        .key_schema(key("sk", KeyType::Range)?)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .map_err(sdk_error("creating the table"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::parse_post;

    fn sample() -> Post {
        let source = "---\ntitle: \"Inside a SoundCloud Microservice\"\ndate: 2017-07-28T09:30:00+02:00\nauthors: [Matthias Käppler, Tom Stuart]\ncategories: [Microservices, Developer Experience]\ntags: [scala]\n---\nThe teaser, with `code`.\n\n| a |\n|---|\n| 1 |\n";
        let mut post = parse_post(source, None).unwrap();
        post.version = 7;
        post
    }

    #[test]
    fn a_post_survives_the_round_trip_through_an_item() {
        let post = sample();
        let item = to_post_item(&post).unwrap();
        assert_eq!(
            item["pk"],
            AttributeValue::S("POST#inside-a-soundcloud-microservice".into())
        );
        assert_eq!(item["sk"], AttributeValue::S("POST".into()));
        // Optimistic locking compares `version` as a number, at the top level of the item.
        assert_eq!(item["version"], AttributeValue::N("7".into()));
        assert_eq!(from_post_item(item).unwrap(), post);
    }

    #[test]
    fn a_listing_entry_survives_the_round_trip_and_sorts_by_utc_time() {
        let post = sample();
        let entry = post.listing_entry();
        let item =
            to_listing_item(&Listing::Category(post.categories[1].slug.clone()), &entry).unwrap();
        assert_eq!(
            item["pk"],
            AttributeValue::S("LIST#developer-experience".into())
        );
        assert_eq!(
            item["sk"],
            AttributeValue::S("2017-07-28T07:30:00Z#inside-a-soundcloud-microservice".into())
        );
        assert_eq!(from_listing_item(item).unwrap(), entry);
    }
}
