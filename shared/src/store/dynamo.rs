//! The DynamoDB store: the single-table design of DESIGN.md.
//!
//! | item    | pk              | sk                                |
//! |---------|-----------------|-----------------------------------|
//! | post    | `POST#<slug>`   | `POST`                            |
//! | listing | `LIST#<key>`    | `<published, UTC>#<slug>`         |
//! | redirect| `PATH#<path>`   | `REDIRECT`                        |
//! | category| `CATEGORIES`    | `<category slug>` (name, posts)   |
//!
//! A post page is one `GetItem`; a listing page or a feed is one `Query`; a publish is one
//! `TransactWriteItems` holding the post and all of its listing entries. Nothing scans.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, Delete, KeySchemaElement, KeyType, Put,
    ScalarAttributeType, TransactWriteItem, Update,
};
use serde::{Deserialize, Serialize};

use super::{
    BoxError, CategoryCount, Changes, ListingQuery, ListingRows, PublishOutcome, Store, StoreError,
    WriteOutcome, prepare_replace, publish_onto,
};
use crate::model::{Category, Listing, ListingEntry, Post, Slug};

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

fn listing_key(listing: &Listing, sort_key: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(listing_pk(listing))),
        ("sk".to_owned(), AttributeValue::S(sort_key.to_owned())),
    ])
}

fn redirect_key(path: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(format!("PATH#{path}"))),
        ("sk".to_owned(), AttributeValue::S("REDIRECT".to_owned())),
    ])
}

/// The partition holding one counter item per category.
const CATEGORIES_PK: &str = "CATEGORIES";

/// A category's counter: its name and how many listed posts it has.
#[derive(Debug, Deserialize)]
struct CategoryItem {
    sk: Slug,
    name: String,
    posts: i64,
}

/// A redirect item: an old path and the slug it now leads to.
#[derive(Debug, Serialize, Deserialize)]
struct RedirectItem {
    pk: String,
    sk: String,
    slug: Slug,
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

    async fn listing(&self, query: &ListingQuery) -> Result<ListingRows, StoreError> {
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
        let items = output.items.unwrap_or_default();
        let cut_short = output.last_evaluated_key.is_some() && items.len() < query.limit;
        let entries = items
            .into_iter()
            .map(from_listing_item)
            .collect::<Result<_, _>>()
            .map_err(mapping_error("decoding a listing entry"))?;
        Ok(ListingRows { entries, cut_short })
    }

    async fn categories(&self) -> Result<Vec<CategoryCount>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(CATEGORIES_PK.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error("reading the categories"))?;
        output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                let item: CategoryItem = serde_dynamo::from_item(item)?;
                Ok(CategoryCount {
                    category: Category {
                        name: item.name,
                        slug: item.sk,
                    },
                    posts: u64::try_from(item.posts).unwrap_or(0),
                })
            })
            .collect::<Result<_, serde_dynamo::Error>>()
            .map_err(mapping_error("decoding a category"))
    }

    async fn redirect(&self, path: &str) -> Result<Option<Slug>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(redirect_key(path)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error("reading a redirect"))?;
        output
            .item
            .map(|item| serde_dynamo::from_item::<_, RedirectItem>(item).map(|r| r.slug))
            .transpose()
            .map_err(mapping_error("decoding a redirect"))
    }

    async fn publish(&self, post: &Post) -> Result<PublishOutcome, StoreError> {
        let mut post = post.clone();
        post.version = 1;
        let item = to_post_item(&post).map_err(mapping_error("encoding a post"))?;
        let mut writes = vec![put_write(&self.table, item, Condition::Absent)?];
        writes.extend(self.row_writes(&post, &Changes::between(None, Some(&post)))?);
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await
        {
            Ok(_) => Ok(PublishOutcome::Created { version: 1 }),
            Err(error) if is_condition_failure(&error) => {
                // The slug is taken: the same content is a harmless retry, other content a conflict.
                let existing = self.post(&post.slug).await?.ok_or_else(|| {
                    StoreError::Unavailable("the post changed while it was being published".into())
                })?;
                Ok(publish_onto(&existing, &post))
            }
            Err(error) => Err(sdk_error("publishing a post")(error)),
        }
    }

    async fn replace(
        &self,
        slug: &Slug,
        post: &Post,
        expected: u64,
    ) -> Result<WriteOutcome, StoreError> {
        let stored = self.post(slug).await?;
        let next = match prepare_replace(stored.as_ref(), slug, post, expected) {
            Ok(next) => next,
            Err(outcome) => return Ok(outcome),
        };
        let item = to_post_item(&next).map_err(mapping_error("encoding a post"))?;
        // The version condition is what makes the read above safe: a writer who got in between
        // bumped the version, and this whole transaction is refused.
        let mut writes = if &next.slug == slug {
            vec![put_write(&self.table, item, Condition::Version(expected))?]
        } else {
            vec![
                delete_write(&self.table, post_key(slug), Condition::Version(expected))?,
                put_write(&self.table, item, Condition::Absent)?,
            ]
        };
        writes.extend(self.row_writes(&next, &Changes::between(stored.as_ref(), Some(&next)))?);
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await
        {
            Ok(_) => Ok(WriteOutcome::Written {
                version: next.version,
            }),
            Err(error) if is_condition_failure(&error) => {
                if &next.slug != slug
                    && let Some(taken) = self.post(&next.slug).await?
                {
                    return Ok(WriteOutcome::SlugTaken {
                        version: taken.version,
                    });
                }
                self.refused(slug).await
            }
            Err(error) => Err(sdk_error("replacing a post")(error)),
        }
    }

    async fn delete(&self, slug: &Slug, expected: u64) -> Result<WriteOutcome, StoreError> {
        let Some(stored) = self.post(slug).await? else {
            return Ok(WriteOutcome::NotFound);
        };
        if stored.version != expected {
            return Ok(WriteOutcome::Stale {
                current: stored.version,
            });
        }
        let mut writes = vec![delete_write(
            &self.table,
            post_key(slug),
            Condition::Version(expected),
        )?];
        writes.extend(self.row_writes(&stored, &Changes::between(Some(&stored), None))?);
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await
        {
            Ok(_) => Ok(WriteOutcome::Written { version: 0 }),
            Err(error) if is_condition_failure(&error) => self.refused(slug).await,
            Err(error) => Err(sdk_error("deleting a post")(error)),
        }
    }
}

impl DynamoStore {
    /// The listing and redirect writes of `changes`, with `post`'s entry.
    fn row_writes(
        &self,
        post: &Post,
        changes: &Changes,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let mut writes = Vec::new();
        for (listing, sort_key) in &changes.delete_listings {
            writes.push(delete_write(
                &self.table,
                listing_key(listing, sort_key),
                Condition::None,
            )?);
        }
        let entry = post.listing_entry();
        for (listing, _) in &changes.put_listings {
            let item = to_listing_item(listing, &entry)
                .map_err(mapping_error("encoding a listing entry"))?;
            writes.push(put_write(&self.table, item, Condition::None)?);
        }
        for path in &changes.delete_redirects {
            writes.push(delete_write(
                &self.table,
                redirect_key(path),
                Condition::None,
            )?);
        }
        for (category, delta) in &changes.category_counts {
            let key = HashMap::from([
                ("pk".to_owned(), AttributeValue::S(CATEGORIES_PK.to_owned())),
                (
                    "sk".to_owned(),
                    AttributeValue::S(category.slug.to_string()),
                ),
            ]);
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key))
                .update_expression("SET #name = :name ADD posts :delta")
                .expression_attribute_names("#name", "name")
                .expression_attribute_values(":name", AttributeValue::S(category.name.clone()))
                .expression_attribute_values(":delta", AttributeValue::N(delta.to_string()))
                .build()
                .map_err(build_error)?;
            writes.push(TransactWriteItem::builder().update(update).build());
        }
        for path in &changes.put_redirects {
            let item = RedirectItem {
                pk: format!("PATH#{path}"),
                sk: "REDIRECT".to_owned(),
                slug: post.slug.clone(),
            };
            let item = serde_dynamo::to_item(item).map_err(mapping_error("encoding a redirect"))?;
            writes.push(put_write(&self.table, item, Condition::None)?);
        }
        Ok(writes)
    }

    /// Why a conditional write on `slug` was refused: it changed, or it went away.
    async fn refused(&self, slug: &Slug) -> Result<WriteOutcome, StoreError> {
        Ok(match self.post(slug).await? {
            Some(current) => WriteOutcome::Stale {
                current: current.version,
            },
            None => WriteOutcome::NotFound,
        })
    }
}

/// The condition a write in a transaction carries.
enum Condition {
    None,
    /// The item must not exist yet.
    Absent,
    /// The item must still be at this version.
    Version(u64),
}

impl Condition {
    fn expression(&self) -> Option<String> {
        match self {
            Self::None => None,
            Self::Absent => Some("attribute_not_exists(pk)".to_owned()),
            Self::Version(_) => Some("version = :expected".to_owned()),
        }
    }

    fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        match self {
            Self::Version(expected) => Some(HashMap::from([(
                ":expected".to_owned(),
                AttributeValue::N(expected.to_string()),
            )])),
            Self::None | Self::Absent => None,
        }
    }
}

fn put_write(
    table: &str,
    item: HashMap<String, AttributeValue>,
    condition: Condition,
) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .set_condition_expression(condition.expression())
        .set_expression_attribute_values(condition.values())
        .build()
        .map_err(build_error)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

fn delete_write(
    table: &str,
    key: HashMap<String, AttributeValue>,
    condition: Condition,
) -> Result<TransactWriteItem, StoreError> {
    let delete = Delete::builder()
        .table_name(table)
        .set_key(Some(key))
        .set_condition_expression(condition.expression())
        .set_expression_attribute_values(condition.values())
        .build()
        .map_err(build_error)?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

fn build_error(error: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Failed("building a write", Box::new(error))
}

/// The size DynamoDB counts for a post's item: the names and values of its attributes, as its
/// documentation defines them. The item limit is 400 KB.
pub fn post_item_size(post: &Post) -> usize {
    to_post_item(post).map_or(usize::MAX, |item| {
        item.iter()
            .map(|(name, value)| name.len() + value_size(value))
            .sum()
    })
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        // Numbers take one byte per two significant digits, plus one.
        AttributeValue::N(n) => n.len().div_ceil(2) + 1,
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::L(items) => 3 + items.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
        AttributeValue::Ss(set) => set.iter().map(String::len).sum(),
        AttributeValue::Ns(set) => set.iter().map(|n| n.len().div_ceil(2) + 1).sum(),
        AttributeValue::Bs(set) => set.iter().map(|b| b.as_ref().len()).sum(),
        _ => 0,
    }
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
