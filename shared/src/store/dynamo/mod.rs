//! The DynamoDB store: the single-table design of `infra/template.yaml` ([`items`] spells its
//! keys). A post page is one `GetItem`; a listing page or a feed is one `Query`; a write is one
//! `TransactWriteItems` holding the post and every row it adds or removes. Nothing scans.

mod items;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, KeysAndAttributes, Put, TransactWriteItem, Update,
};

pub use items::{create_table, listing_item_size, post_item_size, write_size};

use super::rules::{Changes, Replacement, check_delete, prepare_replace, publish_onto};
use super::{
    BoxError, CategoryCount, Holder, ListingQuery, ListingRows, PostsPage, PublishOutcome,
    Redirect, Store, StoreError, WriteError, WriteOutcome,
};
use crate::model::{Post, Slug};
use items::{Item, Key};

/// How many posts an export reads at a time: a `BatchGetItem` of that many posts stays under
/// its 16 MB (25 items of at most 400 KB).
const POSTS_PAGE: usize = 25;

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

    async fn redirect(&self, path: &str) -> Result<Option<Redirect>, StoreError> {
        let item = self
            .get(items::redirect_key(path), "reading a redirect")
            .await?;
        item.map(items::from_redirect_item).transpose()
    }

    async fn posts(&self, from: Option<&str>) -> Result<PostsPage, StoreError> {
        let start = from.map(items::index_key_at);
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(items::POSTS_PK.to_owned()))
            .set_exclusive_start_key(start)
            .limit(i32::try_from(POSTS_PAGE).unwrap_or(i32::MAX))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error("listing every post"))?;
        let slugs: Vec<Slug> = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(items::from_index_item)
            .collect::<Result<_, _>>()?;
        let next = output
            .last_evaluated_key
            .is_some()
            .then(|| slugs.last().map(ToString::to_string))
            .flatten();
        let keys = slugs.iter().map(items::post_key).collect();
        let mut posts: Vec<Post> = self
            .batch_get(keys, "reading posts")
            .await?
            .into_iter()
            .map(items::from_post_item)
            .collect::<Result<_, _>>()?;
        posts.sort_by(|a, b| a.slug.cmp(&b.slug));
        Ok(PostsPage { posts, next })
    }

    async fn publish(&self, post: &Post) -> Result<PublishOutcome, WriteError> {
        let mut post = post.clone();
        post.version = 1;
        let writer = [&post.slug];
        let changes = self
            .claim(Changes::between(None, Some(&post)), &writer)
            .await?;
        let mut writes = vec![put_write(
            &self.table,
            items::to_post_item(&post)?,
            Condition::Absent,
        )?];
        writes.extend(self.row_writes(&post, &changes, &writer)?);
        if self.transact(writes, "publishing a post").await? {
            return Ok(PublishOutcome::Created { version: 1 });
        }
        // The slug is taken: the same content is a harmless retry, other content a conflict.
        match self.post(&post.slug).await? {
            Some(existing) => publish_onto(&existing, &post),
            None => Err(self.lost_race(&changes, &writer).await),
        }
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
        let writer = [slug, &next.slug];
        let changes = self
            .claim(Changes::between(stored.as_ref(), Some(&next)), &writer)
            .await?;
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
        writes.extend(self.row_writes(&next, &changes, &writer)?);
        if self.transact(writes, "replacing a post").await? {
            return Ok(WriteOutcome::Written {
                version: next.version,
            });
        }
        if &next.slug != slug
            && let Some(taken) = self.post(&next.slug).await?
        {
            return Err(WriteError::SlugTaken(Holder::of(&taken)));
        }
        match self.refused(slug).await {
            WriteError::Stale { current } if current == expected => {
                Err(self.lost_race(&changes, &writer).await)
            }
            other => Err(other),
        }
    }

    async fn delete(&self, slug: &Slug, expected: u64) -> Result<(), WriteError> {
        let stored = check_delete(self.post(slug).await?, expected)?;
        let writer = [slug];
        let changes = self
            .claim(Changes::between(Some(&stored), None), &writer)
            .await?;
        let mut writes = vec![delete_write(
            &self.table,
            items::post_key(slug),
            Condition::Version(expected),
        )?];
        writes.extend(self.row_writes(&stored, &changes, &writer)?);
        if self.transact(writes, "deleting a post").await? {
            return Ok(());
        }
        match self.refused(slug).await {
            WriteError::Stale { current } if current == expected => {
                Err(self.lost_race(&changes, &writer).await)
            }
            other => Err(other),
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

    /// `changes` with its redirects checked against their owners now (one `BatchGetItem`).
    async fn claim(&self, changes: Changes, writer: &[&Slug]) -> Result<Changes, WriteError> {
        let paths = changes.redirect_paths();
        if paths.is_empty() {
            return Ok(changes);
        }
        let keys = paths.iter().map(|p| items::redirect_key(p)).collect();
        let mut owners = HashMap::new();
        for item in self.batch_get(keys, "reading redirects").await? {
            let (path, owner) = items::redirect_owner(item)?;
            owners.insert(path, owner);
        }
        changes.claim_redirects(&owners, writer)
    }

    /// The items at `keys` that exist, in no particular order (`BatchGetItem`, at most 100 keys).
    async fn batch_get(&self, keys: Vec<Key>, what: &'static str) -> Result<Vec<Item>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let keys = KeysAndAttributes::builder()
            .set_keys(Some(keys))
            .consistent_read(true)
            .build()
            .map_err(build_error)?;
        let mut found = Vec::new();
        let mut request = Some(HashMap::from([(self.table.clone(), keys)]));
        // A batch may come back in parts (over 16 MB, or throttled): ask again for the rest.
        while let Some(batch) = request.take().filter(|b| !b.is_empty()) {
            let output = self
                .client
                .batch_get_item()
                .set_request_items(Some(batch))
                .send()
                .await
                .map_err(sdk_error(what))?;
            found.extend(
                output
                    .responses
                    .unwrap_or_default()
                    .remove(&self.table)
                    .unwrap_or_default(),
            );
            request = output.unprocessed_keys;
        }
        Ok(found)
    }

    /// Why a write whose post's condition held was still refused: a redirect it claims was
    /// taken in the meantime, or the store is busy.
    async fn lost_race(&self, changes: &Changes, writer: &[&Slug]) -> WriteError {
        match self.claim(changes.clone(), writer).await {
            Err(error) => error,
            Ok(_) => WriteError::Store(StoreError::Unavailable(
                "the store changed while the post was being written; nothing was written".into(),
            )),
        }
    }

    /// The listing, counter and redirect writes of `changes`, with `post`'s entry; each
    /// redirect written or removed only while it is free or `writer`'s.
    fn row_writes(
        &self,
        post: &Post,
        changes: &Changes,
        writer: &[&Slug],
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
        let owners: Vec<Slug> = writer.iter().map(|s| (*s).clone()).collect();
        for path in &changes.delete_redirects {
            writes.push(delete_write(
                &self.table,
                items::redirect_key(path),
                Condition::OwnedBy(owners.clone()),
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
        if let Some(gone) = &changes.unindex {
            writes.push(delete_write(
                &self.table,
                items::index_key(gone),
                Condition::None,
            )?);
        }
        if let Some(slug) = &changes.index {
            writes.push(put_write(
                &self.table,
                items::to_index_item(slug)?,
                Condition::None,
            )?);
        }
        for path in &changes.put_redirects {
            let item = items::to_redirect_item(path, post)?;
            writes.push(put_write(
                &self.table,
                item,
                Condition::FreeOrOwnedBy(owners.clone()),
            )?);
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
            // Another transaction touched one of its items (two authors' posts updating one
            // category's counter): nothing was written, and trying again shortly will do.
            Err(error) if is_conflict(&error) => Err(StoreError::Unavailable(Box::new(error))),
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
    /// The item (a redirect) must belong to one of these posts.
    OwnedBy(Vec<Slug>),
    /// The item (a redirect) must not exist, or belong to one of these posts.
    FreeOrOwnedBy(Vec<Slug>),
}

impl Condition {
    fn expression(&self) -> Option<String> {
        let owned = |owners: &[Slug]| {
            let names: Vec<String> = (0..owners.len()).map(|i| format!(":owner{i}")).collect();
            format!("slug IN ({})", names.join(", "))
        };
        match self {
            Self::None => None,
            Self::Absent => Some("attribute_not_exists(pk)".to_owned()),
            Self::Version(_) => Some("version = :expected".to_owned()),
            Self::OwnedBy(owners) => Some(owned(owners)),
            Self::FreeOrOwnedBy(owners) => {
                Some(format!("attribute_not_exists(pk) OR {}", owned(owners)))
            }
        }
    }

    fn values(&self) -> Option<Item> {
        match self {
            Self::Version(expected) => Some(Item::from([(
                ":expected".to_owned(),
                AttributeValue::N(expected.to_string()),
            )])),
            Self::OwnedBy(owners) | Self::FreeOrOwnedBy(owners) => Some(
                owners
                    .iter()
                    .enumerate()
                    .map(|(i, slug)| (format!(":owner{i}"), AttributeValue::S(slug.to_string())))
                    .collect(),
            ),
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

/// True when a transaction was cancelled because another one was at its items, or throttled.
fn is_conflict<R>(error: &SdkError<TransactWriteItemsError, R>) -> bool {
    match error {
        SdkError::ServiceError(service) => match service.err() {
            TransactWriteItemsError::TransactionCanceledException(cancelled) => {
                cancelled.cancellation_reasons().iter().any(|reason| {
                    matches!(
                        reason.code(),
                        Some(
                            "TransactionConflict"
                                | "ThrottlingError"
                                | "ProvisionedThroughputExceeded"
                        )
                    )
                })
            }
            _ => false,
        },
        _ => false,
    }
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
