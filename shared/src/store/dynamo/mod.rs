//! The DynamoDB store: the single-table design of `infra/template.yaml` ([`items`] spells its
//! keys). A post page is one `GetItem`; a listing page or a feed is one `Query`; a write is one
//! `TransactWriteItems` holding the post and every row it adds or removes. Nothing scans.

mod items;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};

pub use items::{create_table, post_item_size};

use super::rules::{Changes, Replacement, check_delete, prepare_replace, publish_onto};
use super::{
    BoxError, CategoryCount, ListingQuery, ListingRows, PublishOutcome, Store, StoreError,
    WriteError, WriteOutcome,
};
use crate::model::{Post, Slug};
use items::{Item, Key};

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

#[async_trait]
impl Store for DynamoStore {
    async fn post(&self, slug: &Slug) -> Result<Option<Post>, StoreError> {
        let item = self.get(items::post_key(slug), "reading a post").await?;
        item.map(items::from_post_item).transpose()
    }

    async fn listing(&self, query: &ListingQuery) -> Result<ListingRows, StoreError> {
        let start = query
            .exclusive_start
            .as_ref()
            .map(|sk| items::listing_key(&query.listing, sk));
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk <= :until")
            .expression_attribute_values(
                ":pk",
                AttributeValue::S(items::listing_pk(&query.listing)),
            )
            .expression_attribute_values(":until", AttributeValue::S(query.visible_until.clone()))
            .scan_index_forward(!query.newest_first)
            .set_exclusive_start_key(start)
            .limit(i32::try_from(query.limit).unwrap_or(i32::MAX))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error("reading a listing"))?;
        let found = output.items.unwrap_or_default();
        let cut_short = output.last_evaluated_key.is_some() && found.len() < query.limit;
        let entries = found
            .into_iter()
            .map(items::from_listing_item)
            .collect::<Result<_, _>>()?;
        Ok(ListingRows { entries, cut_short })
    }

    async fn categories(&self) -> Result<Vec<CategoryCount>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(items::CATEGORIES_PK.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error("reading the categories"))?;
        output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(items::from_category_item)
            .collect()
    }

    async fn redirect(&self, path: &str) -> Result<Option<Slug>, StoreError> {
        let item = self
            .get(items::redirect_key(path), "reading a redirect")
            .await?;
        item.map(items::from_redirect_item).transpose()
    }

    async fn publish(&self, post: &Post) -> Result<PublishOutcome, WriteError> {
        let mut post = post.clone();
        post.version = 1;
        let mut writes = vec![put_write(
            &self.table,
            items::to_post_item(&post)?,
            Condition::Absent,
        )?];
        writes.extend(self.row_writes(&post, &Changes::between(None, Some(&post)))?);
        if self.transact(writes, "publishing a post").await? {
            return Ok(PublishOutcome::Created { version: 1 });
        }
        // The slug is taken: the same content is a harmless retry, other content a conflict.
        let existing = self.post(&post.slug).await?.ok_or_else(|| {
            StoreError::Unavailable("the post changed while it was being published".into())
        })?;
        publish_onto(&existing, &post)
    }

    async fn replace(
        &self,
        slug: &Slug,
        post: &Post,
        expected: u64,
    ) -> Result<WriteOutcome, WriteError> {
        let stored = self.post(slug).await?;
        let next = match prepare_replace(stored.as_ref(), slug, post, expected)? {
            Replacement::Unchanged { version } => return Ok(WriteOutcome::Unchanged { version }),
            Replacement::Write(next) => next,
        };
        let item = items::to_post_item(&next)?;
        // The version condition is what makes the read above safe: a writer who got in between
        // bumped the version, and this whole transaction is refused.
        let mut writes = if &next.slug == slug {
            vec![put_write(&self.table, item, Condition::Version(expected))?]
        } else {
            vec![
                delete_write(
                    &self.table,
                    items::post_key(slug),
                    Condition::Version(expected),
                )?,
                put_write(&self.table, item, Condition::Absent)?,
            ]
        };
        writes.extend(self.row_writes(&next, &Changes::between(stored.as_ref(), Some(&next)))?);
        if self.transact(writes, "replacing a post").await? {
            return Ok(WriteOutcome::Written {
                version: next.version,
            });
        }
        if &next.slug != slug
            && let Some(taken) = self.post(&next.slug).await?
        {
            return Err(WriteError::SlugTaken {
                version: taken.version,
            });
        }
        Err(self.refused(slug).await)
    }

    async fn delete(&self, slug: &Slug, expected: u64) -> Result<(), WriteError> {
        let stored = check_delete(self.post(slug).await?, expected)?;
        let mut writes = vec![delete_write(
            &self.table,
            items::post_key(slug),
            Condition::Version(expected),
        )?];
        writes.extend(self.row_writes(&stored, &Changes::between(Some(&stored), None))?);
        if self.transact(writes, "deleting a post").await? {
            Ok(())
        } else {
            Err(self.refused(slug).await)
        }
    }
}

impl DynamoStore {
    /// The item at `key` (one `GetItem`).
    async fn get(&self, key: Key, what: &'static str) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            // An author expects to see a post the moment it is published.
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error(what))?;
        Ok(output.item)
    }

    /// The listing, counter and redirect writes of `changes`, with `post`'s entry.
    fn row_writes(
        &self,
        post: &Post,
        changes: &Changes,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let mut writes = Vec::new();
        for (listing, sort_key) in &changes.delete_listings {
            writes.push(delete_write(
                &self.table,
                items::listing_key(listing, sort_key),
                Condition::None,
            )?);
        }
        let entry = post.listing_entry();
        for (listing, _) in &changes.put_listings {
            let item = items::to_listing_item(listing, &entry)?;
            writes.push(put_write(&self.table, item, Condition::None)?);
        }
        for path in &changes.delete_redirects {
            writes.push(delete_write(
                &self.table,
                items::redirect_key(path),
                Condition::None,
            )?);
        }
        for (category, delta) in &changes.category_counts {
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(items::category_key(category)))
                .update_expression("SET #name = :name ADD posts :delta")
                .expression_attribute_names("#name", "name")
                .expression_attribute_values(":name", AttributeValue::S(category.name.clone()))
                .expression_attribute_values(":delta", AttributeValue::N(delta.to_string()))
                .build()
                .map_err(build_error)?;
            writes.push(TransactWriteItem::builder().update(update).build());
        }
        for path in &changes.put_redirects {
            let item = items::to_redirect_item(path, &post.slug)?;
            writes.push(put_write(&self.table, item, Condition::None)?);
        }
        Ok(writes)
    }

    /// Runs `writes` as one transaction: true if it committed, false if a condition did not
    /// hold (nothing was written).
    async fn transact(
        &self,
        writes: Vec<TransactWriteItem>,
        what: &'static str,
    ) -> Result<bool, StoreError> {
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(error) if is_condition_failure(&error) => Ok(false),
            Err(error) => Err(sdk_error(what)(error)),
        }
    }

    /// Why a conditional write on `slug` was refused: it changed, or it went away.
    async fn refused(&self, slug: &Slug) -> WriteError {
        match self.post(slug).await {
            Ok(Some(current)) => WriteError::Stale {
                current: current.version,
            },
            Ok(None) => WriteError::NotFound,
            Err(error) => WriteError::Store(error),
        }
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

    fn values(&self) -> Option<Item> {
        match self {
            Self::Version(expected) => Some(Item::from([(
                ":expected".to_owned(),
                AttributeValue::N(expected.to_string()),
            )])),
            Self::None | Self::Absent => None,
        }
    }
}

fn put_write(
    table: &str,
    item: Item,
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
    key: Key,
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

/// True when a transaction was cancelled because a condition did not hold.
fn is_condition_failure<R>(error: &SdkError<TransactWriteItemsError, R>) -> bool {
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
