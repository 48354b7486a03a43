//! The DynamoDB store: the single-table design of `infra/template.yaml` ([`items`] spells its
//! keys). A post page is one `GetItem`; a listing page is one `Query` (with, on a first page, a
//! `Query` of one key for its next scheduled post); a full-text feed adds one `BatchGetItem` of
//! its entries' bodies; a write is one `TransactWriteItems` holding the post and every row it
//! adds or removes. Readers read eventually consistently; nothing scans. An empty table can be
//! filled fast, many posts at a time, without transactions ([`DynamoStore::load`]).

mod items;
mod load;
mod writes;

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;

pub use items::{create_table, item_size, listing_item_size, post_item_size, write_size};

use super::rules::{Changes, Replacement, check_delete, prepare_replace, publish_onto};
use super::{
    Body, CategoryCount, Holder, ListingQuery, ListingRows, PostsPage, PublishOutcome, Redirect,
    Store, StoreError, WriteError, WriteOutcome,
};
use crate::model::{Listing, Post, Slug, sort_key_time};
use time::OffsetDateTime;
use writes::{Batch, Condition, delete_write, put_write};

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

/// An SDK failure as a store error: DynamoDB's throttling and server errors are worth retrying.
fn sdk_error<E, R>(what: &'static str) -> impl Fn(SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    super::sdk_error(
        what,
        &[
            "ThrottlingException",
            "ProvisionedThroughputExceededException",
            "RequestLimitExceeded",
            "InternalServerError",
            "ServiceUnavailable",
            "TransactionInProgressException",
        ],
    )
}

#[async_trait]
impl Store for DynamoStore {
    async fn post(&self, slug: &Slug) -> Result<Option<Post>, StoreError> {
        let item = self
            .get(items::post_key(slug), "reading a post", false)
            .await?;
        item.map(items::from_post_item).transpose()
    }

    async fn post_without_source(&self, slug: &Slug) -> Result<Option<Post>, StoreError> {
        let item = self
            .get_projected(
                items::post_key(slug),
                "reading a post",
                false,
                Some(items::post_projection_but_source()),
            )
            .await?;
        item.map(items::from_post_item_but_source).transpose()
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
            .consistent_read(false)
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

    async fn next_appearing(
        &self,
        listing: &Listing,
        visible_until: &str,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk > :until")
            .expression_attribute_values(":pk", AttributeValue::S(items::listing_pk(listing)))
            .expression_attribute_values(":until", AttributeValue::S(visible_until.to_owned()))
            .projection_expression("sk")
            .scan_index_forward(true)
            .limit(1)
            .consistent_read(false)
            .send()
            .await
            .map_err(sdk_error("reading a listing's schedule"))?;
        Ok(output
            .items
            .unwrap_or_default()
            .first()
            .and_then(|item| item.get("sk"))
            .and_then(|sk| sk.as_s().ok())
            .and_then(|sk| sort_key_time(sk)))
    }

    async fn bodies(&self, slugs: &[Slug]) -> Result<Vec<Body>, StoreError> {
        let mut bodies = Vec::with_capacity(slugs.len());
        // `BatchGetItem` takes at most 100 keys.
        for chunk in slugs.chunks(100) {
            let keys = chunk.iter().map(items::post_key).collect();
            for item in self
                .batch_get(keys, "reading posts' bodies", Batch::Bodies)
                .await?
            {
                bodies.push(items::from_body_item(item)?);
            }
        }
        Ok(bodies)
    }

    async fn categories(&self) -> Result<Vec<CategoryCount>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(items::CATEGORIES_PK.to_owned()))
            .consistent_read(false)
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
            .get(items::redirect_key(path), "reading a redirect", false)
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
            .batch_get(keys, "reading posts", Batch::Whole)
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
        match self.stored_post(&post.slug).await? {
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
        let stored = self.stored_post(slug).await?;
        let next = match prepare_replace(stored.as_ref(), slug, post, expected)? {
            Replacement::Unchanged { version } => return Ok(WriteOutcome::Unchanged { version }),
            Replacement::Write(next) => next,
        };
        // A replacement is only prepared over a stored post.
        let stored = stored.ok_or(WriteError::NotFound)?;
        let item = items::to_post_item(&next)?;
        // The version condition is what makes the read above safe: a writer who got in between
        // bumped the version, and this whole transaction is refused.
        let writer = [slug, &next.slug];
        let changes = self
            .claim(Changes::between(Some(&stored), Some(&next)), &writer)
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
                previous: Box::new(stored),
                current: next,
            });
        }
        if &next.slug != slug
            && let Some(taken) = self.stored_post(&next.slug).await?
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

    async fn delete(&self, slug: &Slug, expected: u64) -> Result<Post, WriteError> {
        let stored = check_delete(self.stored_post(slug).await?, expected)?;
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
            return Ok(stored);
        }
        match self.refused(slug).await {
            WriteError::Stale { current } if current == expected => {
                Err(self.lost_race(&changes, &writer).await)
            }
            other => Err(other),
        }
    }

    async fn checked_files(&self, keys: &[String]) -> Result<HashMap<String, String>, StoreError> {
        let mut checked = HashMap::with_capacity(keys.len());
        // `BatchGetItem` takes at most 100 keys. Strongly consistent: a file checked a moment
        // ago (the author's `POST /media` just before the post) must be found.
        for chunk in keys.chunks(100) {
            let keys = chunk.iter().map(|k| items::checked_file_key(k)).collect();
            for item in self
                .batch_get(keys, "reading which files are checked", Batch::Whole)
                .await?
            {
                let (key, mark) = items::from_checked_item(item)?;
                checked.insert(key, mark);
            }
        }
        Ok(checked)
    }

    async fn record_checked(&self, key: &str, mark: &str) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(items::to_checked_item(key, mark)?))
            .send()
            .await
            .map_err(sdk_error("recording a checked file"))?;
        Ok(())
    }
}
