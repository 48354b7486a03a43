//! The items of the single table, and the one place their keys are spelt:
//!
//! | item    | pk              | sk                                |
//! |---------|-----------------|-----------------------------------|
//! | post    | `POST#<slug>`   | `POST`                            |
//! | listing | `LIST#<key>`    | `<published, UTC>#<slug>`         |
//! | redirect| `PATH#<path>`   | `REDIRECT`                        |
//! | category| `CATEGORIES`    | `<category slug>` (name, posts)   |
//! | index   | `POSTS`         | `<slug>` (every post, drafts too) |
//! | file    | `FILE#<key>`    | `CHECKED` (what was found)        |
//!
//! Items map to and from the model through serde (`serde_dynamo`), with round-trip tests below.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::sdk_error;
use crate::model::{Category, Listing, ListingEntry, Post, Slug};
use crate::store::{Body, CategoryCount, Redirect, StoreError};

/// An item's key, `pk` and `sk`.
pub(super) type Key = HashMap<String, AttributeValue>;
/// A whole item.
pub(super) type Item = HashMap<String, AttributeValue>;

/// The partition holding one item per post, drafts included, by slug: what an export walks.
pub(super) const POSTS_PK: &str = "POSTS";

/// The partition holding one counter item per category.
pub(super) const CATEGORIES_PK: &str = "CATEGORIES";
const POST_SK: &str = "POST";
const REDIRECT_SK: &str = "REDIRECT";
const CHECKED_SK: &str = "CHECKED";

/// What every checked file's partition key starts with: the one prefix the media function may
/// write (`dynamodb:LeadingKeys` in infra/template.yaml).
pub(super) const FILE_PK_PREFIX: &str = "FILE#";

fn post_pk(slug: &Slug) -> String {
    format!("POST#{slug}")
}

/// The partition of a listing's rows.
pub(super) fn listing_pk(listing: &Listing) -> String {
    format!("LIST#{}", listing.key())
}

fn redirect_pk(path: &str) -> String {
    format!("PATH#{path}")
}

fn key(pk: String, sk: &str) -> Key {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(pk)),
        ("sk".to_owned(), AttributeValue::S(sk.to_owned())),
    ])
}

/// The key of a post's item.
pub(super) fn post_key(slug: &Slug) -> Key {
    key(post_pk(slug), POST_SK)
}

/// The key of a listing row.
pub(super) fn listing_key(listing: &Listing, sort_key: &str) -> Key {
    key(listing_pk(listing), sort_key)
}

/// The key of a redirect.
pub(super) fn redirect_key(path: &str) -> Key {
    key(redirect_pk(path), REDIRECT_SK)
}

/// The key of the record of a checked file, stored at `key` (`media/<sha256>/<name>`).
pub(super) fn checked_file_key(key: &str) -> Key {
    self::key(format!("{FILE_PK_PREFIX}{key}"), CHECKED_SK)
}

/// The record of a checked file.
pub(super) fn to_checked_item(key: &str, mark: &str) -> Result<Item, StoreError> {
    encode(
        "encoding a checked file's record",
        CheckedItem {
            pk: format!("{FILE_PK_PREFIX}{key}"),
            sk: CHECKED_SK.to_owned(),
            key: key.to_owned(),
            mark: mark.to_owned(),
        },
    )
}

/// The file a record names, and what was found when it was checked.
pub(super) fn from_checked_item(item: Item) -> Result<(String, String), StoreError> {
    decode::<CheckedItem>("decoding a checked file's record", item).map(|i| (i.key, i.mark))
}

/// The key of a post's row in the index of every post.
pub(super) fn index_key(slug: &Slug) -> Key {
    index_key_at(slug.as_str())
}

/// The key of the index row at `slug` (where an export's page starts after).
pub(super) fn index_key_at(slug: &str) -> Key {
    key(POSTS_PK.to_owned(), slug)
}

/// A post's row in the index of every post.
pub(super) fn to_index_item(slug: &Slug) -> Result<Item, StoreError> {
    encode(
        "encoding a post's index row",
        IndexItem {
            pk: POSTS_PK.to_owned(),
            sk: slug.clone(),
        },
    )
}

/// The slug an index row names.
pub(super) fn from_index_item(item: Item) -> Result<Slug, StoreError> {
    decode::<IndexItem>("decoding a post's index row", item).map(|item| item.sk)
}

/// The key of a category's counter.
pub(super) fn category_key(category: &Category) -> Key {
    key(CATEGORIES_PK.to_owned(), category.slug.as_str())
}

/// The post item, as stored: the post's fields beside its keys.
#[derive(Debug, Serialize, Deserialize)]
struct PostItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    post: Post,
}

/// Every attribute of a post's item but its keys and `source`: what a post page reads
/// (`Store::post_without_source`). A test below checks it against a post with every field set.
pub(super) const POST_ATTRIBUTES_BUT_SOURCE: [&str; 21] = [
    "slug",
    "title",
    "authors",
    "published",
    "updated",
    "categories",
    "tags",
    "excerpt_html",
    "description",
    "body_html",
    "toc",
    "reading_minutes",
    "content_hash",
    "draft",
    "aliases",
    "old_paths",
    "moved_from",
    "source_path",
    "id",
    "media",
    "version",
];

/// A projection: its expression and the attribute names its placeholders stand for.
pub(super) type Projection = (String, HashMap<String, String>);

/// `POST_ATTRIBUTES_BUT_SOURCE` as a projection: `#a0, #a1, …` (some are reserved words), made
/// once.
pub(super) fn post_projection_but_source() -> &'static Projection {
    static PROJECTION: std::sync::LazyLock<Projection> = std::sync::LazyLock::new(|| {
        let names = POST_ATTRIBUTES_BUT_SOURCE
            .iter()
            .enumerate()
            .map(|(at, name)| (format!("#a{at}"), (*name).to_owned()))
            .collect();
        let projection = (0..POST_ATTRIBUTES_BUT_SOURCE.len())
            .map(|at| format!("#a{at}"))
            .collect::<Vec<_>>()
            .join(", ");
        (projection, names)
    });
    &PROJECTION
}

/// A post item read through `post_projection_but_source`: no keys, and an empty source (which
/// only this read leaves out: any other item without one is refused as damaged).
pub(super) fn from_post_item_but_source(mut item: Item) -> Result<Post, StoreError> {
    item.insert("source".to_owned(), AttributeValue::S(String::new()));
    decode::<Post>("decoding a post", item)
}

/// A listing item: what a listing row and a feed entry show, beside its keys.
#[derive(Debug, Serialize, Deserialize)]
struct ListingItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    entry: ListingEntry,
}

/// The record of a checked file: its key in the blob store and its mark.
#[derive(Debug, Serialize, Deserialize)]
struct CheckedItem {
    pk: String,
    sk: String,
    key: String,
    mark: String,
}

/// A post's row in the index of every post.
#[derive(Debug, Serialize, Deserialize)]
struct IndexItem {
    pk: String,
    sk: Slug,
}

/// A category's counter: its name and how many listed posts it has.
#[derive(Debug, Deserialize)]
struct CategoryItem {
    sk: Slug,
    name: String,
    posts: i64,
}

/// A redirect item: an old path, the post it belongs and leads to, and whether that post is
/// public (items written before this knew have neither `draft` nor `published`).
#[derive(Debug, Serialize, Deserialize)]
struct RedirectItem {
    pk: String,
    sk: String,
    slug: Slug,
    #[serde(default)]
    draft: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    published: Option<String>,
}

/// `value` as an item.
fn encode(what: &'static str, value: impl Serialize) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(|error| StoreError::Failed(what, Box::new(error)))
}

/// An item as a `T`.
fn decode<T: DeserializeOwned>(what: &'static str, item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|error| StoreError::Failed(what, Box::new(error)))
}

/// A post as an item.
pub(super) fn to_post_item(post: &Post) -> Result<Item, StoreError> {
    let item = PostItem {
        pk: post_pk(&post.slug),
        sk: POST_SK.to_owned(),
        post: post.clone(),
    };
    encode("encoding a post", item)
}

/// Whether `item` is a post's (its key is a post's), not another kind of row.
pub(super) fn is_post_item(item: &Item) -> bool {
    matches!(item.get("pk"), Some(AttributeValue::S(pk)) if pk.starts_with("POST#"))
}

/// A post item as a post.
pub(super) fn from_post_item(item: Item) -> Result<Post, StoreError> {
    decode::<PostItem>("decoding a post", item).map(|item| item.post)
}

/// A listing row as an item.
pub(super) fn to_listing_item(listing: &Listing, entry: &ListingEntry) -> Result<Item, StoreError> {
    let item = ListingItem {
        pk: listing_pk(listing),
        sk: entry.sort_key(),
        entry: entry.clone(),
    };
    encode("encoding a listing entry", item)
}

/// A listing item as a row.
pub(super) fn from_listing_item(item: Item) -> Result<ListingEntry, StoreError> {
    decode::<ListingItem>("decoding a listing entry", item).map(|item| item.entry)
}

/// A post's body as a full-text feed reads it: only the slug and the body were projected.
#[derive(Debug, Deserialize)]
struct BodyItem {
    slug: Slug,
    #[serde(default)]
    body_html: String,
    #[serde(default)]
    tags: Vec<String>,
}

/// A post item projected to its slug, body and tags.
pub(super) fn from_body_item(item: Item) -> Result<Body, StoreError> {
    let item: BodyItem = decode("decoding a post's body", item)?;
    Ok(Body {
        slug: item.slug,
        html: item.body_html,
        tags: item.tags,
    })
}

/// A redirect from `path` to `post` as an item.
pub(super) fn to_redirect_item(path: &str, post: &Post) -> Result<Item, StoreError> {
    let item = RedirectItem {
        pk: redirect_pk(path),
        sk: REDIRECT_SK.to_owned(),
        slug: post.slug.clone(),
        draft: post.draft,
        published: (!post.draft).then(|| crate::dates::sortable(post.published)),
    };
    encode("encoding a redirect", item)
}

/// A redirect item as the redirect it is.
pub(super) fn from_redirect_item(item: Item) -> Result<Redirect, StoreError> {
    let item = decode::<RedirectItem>("decoding a redirect", item)?;
    Ok(Redirect::as_stored(
        item.slug,
        item.draft,
        item.published.as_deref(),
    ))
}

/// A redirect item's path and owner, read back for a write's check.
pub(super) fn redirect_owner(item: Item) -> Result<(String, Slug), StoreError> {
    let item = decode::<RedirectItem>("decoding a redirect", item)?;
    let path = item.pk.strip_prefix("PATH#").unwrap_or(&item.pk).to_owned();
    Ok((path, item.slug))
}

/// A category's counter item as a count.
pub(super) fn from_category_item(item: Item) -> Result<CategoryCount, StoreError> {
    let item: CategoryItem = decode("decoding a category", item)?;
    Ok(CategoryCount {
        category: Category {
            name: item.name,
            slug: item.sk,
        },
        posts: u64::try_from(item.posts).unwrap_or(0),
    })
}

/// The size DynamoDB counts for a post's item: the names and values of its attributes, as its
/// documentation defines them. The item limit is 400 KB.
pub fn post_item_size(post: &Post) -> usize {
    to_post_item(post).map_or(usize::MAX, |item| item_size(&item))
}

/// The size of an item as DynamoDB counts it: the lengths of its attributes' names and values.
/// A read costs a unit for each 4 KB of it (rounded up), half as much eventually consistent.
pub fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

/// The largest listing row `post` writes, as DynamoDB counts it (each must fit 400 KB too).
pub fn listing_item_size(post: &Post) -> usize {
    let entry = post.listing_entry();
    post.listings()
        .iter()
        .map(|listing| to_listing_item(listing, &entry).map_or(usize::MAX, |i| item_size(&i)))
        .max()
        .unwrap_or(0)
}

/// The bytes DynamoDB counts for every item one write of `post` puts: the post, its listing
/// rows, its redirects, its category counters and its index row. A transaction holds at most
/// 4 MB; deletes, which carry only keys, are left to the margin below it.
pub fn write_size(post: &Post) -> usize {
    let entry = post.listing_entry();
    let listings: usize = post
        .listings()
        .iter()
        .map(|listing| to_listing_item(listing, &entry).map_or(usize::MAX, |i| item_size(&i)))
        .fold(0, usize::saturating_add);
    let redirects: usize = crate::store::rules::redirect_paths(post)
        .iter()
        .map(|path| to_redirect_item(path, post).map_or(usize::MAX, |i| item_size(&i)))
        .fold(0, usize::saturating_add);
    let counters: usize = post
        .categories
        .iter()
        .map(|c| item_size(&category_key(c)) + "name".len() + c.name.len() + "posts".len() + 21)
        .sum();
    let index = to_index_item(&post.slug).map_or(usize::MAX, |i| item_size(&i));
    post_item_size(post)
        .saturating_add(listings)
        .saturating_add(redirects)
        .saturating_add(counters)
        .saturating_add(index)
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

/// Creates the table with the blog's key schema, on-demand billing. For local use and tests:
/// the production table comes from the infrastructure template.
pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let definition_error = |e| StoreError::Failed("building a table definition", Box::new(e));
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(definition_error)
    };
    let key = |name: &str, key_type| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build()
            .map_err(definition_error)
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
    use crate::content::parse_post;

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

    /// A post with every field set, written out field by field: a field added to `Post` fails
    /// to compile here until it is set, and then the test below asks whether pages read it.
    fn every_field_set() -> Post {
        let sample = sample();
        let file = crate::model::MediaFile {
            sha256: "ab".repeat(32),
            name: "diagram.png".into(),
            media_type: "image/png".into(),
            size: 1234,
            width: Some(800),
            height: Some(600),
        };
        Post {
            slug: sample.slug,
            title: sample.title,
            authors: sample.authors,
            published: sample.published,
            updated: sample.updated,
            categories: sample.categories,
            tags: sample.tags,
            excerpt_html: sample.excerpt_html,
            description: "The teaser.".into(),
            source: sample.source,
            body_html: sample.body_html,
            toc: vec![crate::model::TocEntry {
                level: 2,
                id: "why".into(),
                title: "Why".into(),
            }],
            reading_minutes: 3,
            content_hash: sample.content_hash,
            draft: true,
            aliases: vec!["/2017/07/28/inside.html".into()],
            old_paths: Some(vec!["/2017/07/28/inside/".into()]),
            moved_from: vec![Slug::parse("inside-a-microservice").unwrap()],
            source_path: Some("_posts/2017-07-28-inside.md".into()),
            id: Some("inside-1".into()),
            media: vec![crate::model::MediaRef {
                reference: "diagram.png".into(),
                site_path: "images/diagram.png".into(),
                file: file.clone(),
                variants: vec![file],
            }],
            version: 7,
        }
    }

    #[test]
    fn a_post_page_reads_every_attribute_but_the_source() {
        let post = every_field_set();
        let mut item = to_post_item(&post).unwrap();
        let mut stored: Vec<&str> = item
            .keys()
            .map(String::as_str)
            .filter(|name| !["pk", "sk", "source"].contains(name))
            .collect();
        stored.sort_unstable();
        let mut projected = POST_ATTRIBUTES_BUT_SOURCE.to_vec();
        projected.sort_unstable();
        assert_eq!(projected, stored);

        // What the projection reads back is the whole post, its source aside.
        let (_, names) = post_projection_but_source();
        item.retain(|name, _| names.values().any(|n| n == name));
        assert_eq!(
            from_post_item_but_source(item).unwrap(),
            Post {
                source: String::new(),
                ..post
            }
        );
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

    #[test]
    fn a_redirect_survives_the_round_trip_under_its_key() {
        let post = sample();
        let item = to_redirect_item("/2018/09/19/Old.html", &post).unwrap();
        for (name, value) in redirect_key("/2018/09/19/Old.html") {
            assert_eq!(item[&name], value);
        }
        assert_eq!(
            redirect_owner(item.clone()).unwrap(),
            ("/2018/09/19/Old.html".to_owned(), post.slug.clone())
        );
        let redirect = from_redirect_item(item).unwrap();
        assert_eq!(redirect.to, post.slug);
        assert_eq!(redirect.public_from, Some(post.published));
    }
}
