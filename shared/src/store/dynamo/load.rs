//! Filling an empty table fast: many posts written as publishing each would leave them, in
//! `BatchWriteItem`s of 25 items, without a transaction or its checks. For a table nothing else
//! writes to yet: the large blogs of tests and benchmarks (a DynamoDB-compatible server copies
//! the whole table for each transaction, so thousands of publishes there take hours).

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};

use super::items::{self, Item};
use super::writes::build_error;
use super::{DynamoStore, sdk_error};
use crate::model::{Category, Post, Slug};
use crate::store::StoreError;
use crate::store::rules::Changes;

/// The most items one `BatchWriteItem` takes.
const BATCH: usize = 25;

impl DynamoStore {
    /// Writes `posts`, each at version 1 with its listing rows, index row and redirects, and
    /// the categories' counters, as publishing them one by one into this table would. None of
    /// them may be stored yet, and no two may share a slug or an old address: nothing checks.
    pub async fn load(&self, posts: &[Post]) -> Result<(), StoreError> {
        let mut puts: Vec<Item> = Vec::new();
        let mut counts: BTreeMap<Slug, (Category, i64)> = BTreeMap::new();
        for post in posts {
            let mut post = post.clone();
            post.version = 1;
            let changes = Changes::between(None, Some(&post));
            for (category, delta) in &changes.category_counts {
                let count = counts
                    .entry(category.slug.clone())
                    .or_insert_with(|| (category.clone(), 0));
                count.1 += delta;
            }
            // The rows a publish writes, less the counters: those are summed, below.
            let rows = Changes {
                category_counts: Vec::new(),
                ..changes
            };
            puts.push(items::to_post_item(&post)?);
            let writes = self.row_writes(&post, &rows, &[&post.slug])?;
            puts.extend(
                writes
                    .into_iter()
                    .filter_map(|write| write.put)
                    .map(|put| put.item),
            );
        }
        for chunk in puts.chunks(BATCH) {
            self.write_batch(chunk).await?;
        }
        // The counters' updates as a publish makes them, each once with its summed count.
        let Some(first) = posts.first() else {
            return Ok(());
        };
        let counters = Changes {
            category_counts: counts.into_values().collect(),
            ..Changes::default()
        };
        for write in self.row_writes(first, &counters, &[])? {
            let Some(update) = write.update else {
                continue;
            };
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(update.key))
                .update_expression(update.update_expression)
                .set_expression_attribute_names(update.expression_attribute_names)
                .set_expression_attribute_values(update.expression_attribute_values)
                .send()
                .await
                .map_err(sdk_error("counting a category's posts"))?;
        }
        Ok(())
    }

    /// Puts `items` in one `BatchWriteItem`, again for any the table left unprocessed.
    async fn write_batch(&self, items: &[Item]) -> Result<(), StoreError> {
        let mut requests = items
            .iter()
            .map(|item| {
                let put = PutRequest::builder()
                    .set_item(Some(item.clone()))
                    .build()
                    .map_err(build_error)?;
                Ok(WriteRequest::builder().put_request(put).build())
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        while !requests.is_empty() {
            let output = self
                .client
                .batch_write_item()
                .request_items(&self.table, requests)
                .send()
                .await
                .map_err(sdk_error("writing a batch of items"))?;
            requests = output
                .unprocessed_items
                .and_then(|mut left| left.remove(&self.table))
                .unwrap_or_default();
            if !requests.is_empty() {
                // Throttled: the table takes the rest a moment later.
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
        Ok(())
    }
}
