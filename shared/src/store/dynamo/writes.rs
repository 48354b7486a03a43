//! How the DynamoDB store writes: each write is one `TransactWriteItems` of conditional puts,
//! updates and deletes, built here from the rows [`Changes`] says a write adds and removes,
//! with the owners of the old addresses it touches read first (one `BatchGetItem`).

use std::collections::HashMap;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, KeysAndAttributes, Put, TransactWriteItem, Update,
};

use super::items::{self, Item, Key};
use super::{DynamoStore, sdk_error};
use crate::model::{Post, Slug};
use crate::paths;
use crate::store::rules::{Changes, Claims};
use crate::store::{StoreError, WriteError};

/// What a `BatchGetItem` reads.
#[derive(Debug, Clone, Copy)]
pub(super) enum Batch {
    /// Whole items, strongly consistent: what a write checks, what an export copies.
    Whole,
    /// Posts' slugs and bodies, eventually consistent: what a full-text feed shows.
    Bodies,
}

impl DynamoStore {
    /// The item at `key` (one `GetItem`): strongly consistent for a write's checks, eventually
    /// consistent (half the read units) for a reader.
    pub(super) async fn get(
        &self,
        key: Key,
        what: &'static str,
        consistent: bool,
    ) -> Result<Option<Item>, StoreError> {
        self.get_projected(key, what, consistent, None).await
    }

    /// The item at `key`, only the attributes `projection` names when there is one.
    pub(super) async fn get_projected(
        &self,
        key: Key,
        what: &'static str,
        consistent: bool,
        projection: Option<&items::Projection>,
    ) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(consistent)
            .set_projection_expression(projection.map(|(expression, _)| expression.clone()))
            .set_expression_attribute_names(projection.map(|(_, names)| names.clone()))
            .send()
            .await
            .map_err(sdk_error(what))?;
        Ok(output.item)
    }

    /// The post stored at `slug` now, as a write checks it (strongly consistent).
    pub(super) async fn stored_post(&self, slug: &Slug) -> Result<Option<Post>, StoreError> {
        let item = self
            .get(items::post_key(slug), "reading a post", true)
            .await?;
        item.map(items::from_post_item).transpose()
    }

    /// `changes` with its redirects checked against their owners now (one `BatchGetItem` of
    /// the redirects and of the posts its aliases name; a post read for each former slug's
    /// page another post holds).
    pub(super) async fn claim(
        &self,
        changes: Changes,
        writer: &[&Slug],
    ) -> Result<Changes, WriteError> {
        let paths = changes.claimed_paths(writer);
        if paths.is_empty() {
            return Ok(changes);
        }
        let named = changes.named_posts(writer);
        let keys = paths
            .iter()
            .map(|p| items::redirect_key(p))
            .chain(named.iter().map(items::post_key))
            .collect();
        let mut claims = Claims::default();
        for item in self
            .batch_get(keys, "reading redirects", Batch::Whole)
            .await?
        {
            if items::is_post_item(&item) {
                claims.posts.push(items::from_post_item(item)?.slug);
            } else {
                let (path, owner) = items::redirect_owner(item)?;
                claims.owners.insert(path, owner);
            }
        }
        let contested: Vec<(String, Slug)> = changes
            .contested_former_pages(&claims.owners, writer)
            .map(|(path, holder)| (path.clone(), holder.clone()))
            .collect();
        for (path, holder) in contested {
            let held_as_former_slug = self
                .stored_post(&holder)
                .await?
                .is_some_and(|post| post.moved_from.iter().any(|m| paths::post(m) == path));
            if !held_as_former_slug {
                claims.alias_held.push(path);
            }
        }
        changes.claim_redirects(&claims, writer)
    }

    /// The items at `keys` that exist, in no particular order (`BatchGetItem`, at most 100 keys).
    pub(super) async fn batch_get(
        &self,
        keys: Vec<Key>,
        what: &'static str,
        batch: Batch,
    ) -> Result<Vec<Item>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let keys = KeysAndAttributes::builder().set_keys(Some(keys));
        let keys = match batch {
            Batch::Whole => keys.consistent_read(true),
            // A projection saves decoding and bandwidth, not read units: DynamoDB charges for
            // the whole item either way.
            Batch::Bodies => keys
                .consistent_read(false)
                .projection_expression("#slug, #body, #tags")
                .expression_attribute_names("#slug", "slug")
                .expression_attribute_names("#body", "body_html")
                .expression_attribute_names("#tags", "tags"),
        }
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
    pub(super) async fn lost_race(&self, changes: &Changes, writer: &[&Slug]) -> WriteError {
        match self.claim(changes.clone(), writer).await {
            Err(error) => error,
            Ok(_) => WriteError::Store(StoreError::Unavailable(
                "the store changed while the post was being written; nothing was written".into(),
            )),
        }
    }

    /// The listing, counter and redirect writes of `changes`, with `post`'s entry; each
    /// redirect written or removed only while it is free or `writer`'s.
    pub(super) fn row_writes(
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
            // A former slug's page taken from another post's alias: only while it still is.
            let mut owners = owners.clone();
            owners.extend(
                changes
                    .taken_over
                    .iter()
                    .filter(|(taken, _)| taken == path)
                    .map(|(_, holder)| holder.clone()),
            );
            writes.push(put_write(
                &self.table,
                item,
                Condition::FreeOrOwnedBy(owners),
            )?);
        }
        Ok(writes)
    }

    /// Runs `writes` as one transaction: true if it committed, false if a condition did not
    /// hold (nothing was written).
    pub(super) async fn transact(
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
    pub(super) async fn refused(&self, slug: &Slug) -> WriteError {
        match self.stored_post(slug).await {
            Ok(Some(current)) => WriteError::Stale {
                current: current.version,
            },
            Ok(None) => WriteError::NotFound,
            Err(error) => WriteError::Store(error),
        }
    }
}

/// The condition a write in a transaction carries.
pub(super) enum Condition {
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

pub(super) fn put_write(
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

pub(super) fn delete_write(
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

pub(super) fn build_error(error: aws_sdk_dynamodb::error::BuildError) -> StoreError {
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
