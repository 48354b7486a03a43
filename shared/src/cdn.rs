//! The CDN in front of the blog keeps pages and feeds a day (`s-maxage`, see
//! [`crate::http::CACHE_CONTROL`]), so every write tells it which of them changed: [`changed_paths`]
//! works them out from the post before and after the write, and [`Cdn::invalidate`] sends them
//! to CloudFront in one `CreateInvalidation`.
//!
//! Exact paths only, never wildcards: CloudFront runs at most 15 wildcard paths at a time per
//! distribution, which an import of many posts would exceed. A listing's later pages (cursor
//! links, `?after=`) are not invalidated; they are kept an hour instead of a day
//! ([`crate::http`]), and a new post never changes them.

use std::collections::BTreeSet;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::error::ProvideErrorMetadata;
use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
use time::OffsetDateTime;

use crate::config::ConfigError;
use crate::model::{Category, FeedFormat, Listing, ListingEntry, Post};
use crate::paths;
use crate::store::rules::redirect_paths;
use crate::store::{BoxError, StoreError};

/// The paths whose cached answers a write from `before` to `after` changed (None: no post on
/// that side), as readers see them at `now`: the post's page (and its former slug's), the first
/// page and the three feeds of each listing whose row changed, the sitemap index, the home
/// page's sitemap and the sitemaps of the post's old and new years when its address, date or
/// listings changed, the categories index when counts or names change, and each old address
/// whose answer changed; for a post scheduled for later, the first pages, feeds and sitemaps it
/// will appear on (cached perhaps before it existed, they must learn when it appears). Sorted,
/// each once, percent-encoded as CloudFront matches them.
pub fn changed_paths<'a>(
    before: Option<&'a Post>,
    after: Option<&'a Post>,
    now: OffsetDateTime,
) -> Vec<String> {
    let public = |post: Option<&'a Post>| post.filter(|p| !p.draft && p.published <= now);
    let (was, is) = (public(before), public(after));
    let mut changed = BTreeSet::new();

    // The post's page: shown, changed, hidden or moved.
    if was != is {
        for post in was.iter().chain(&is) {
            changed.insert(paths::post(&post.slug));
        }
    }

    // Listings: a row added, removed or changed changes the first page and the feeds; a body
    // changed changes only the feeds (full text).
    let listings: BTreeSet<Listing> = was.iter().chain(&is).flat_map(|p| p.listings()).collect();
    for listing in &listings {
        let (row_was, row_is) = (shown_in(was, listing), shown_in(is, listing));
        let entry_changed = row_was.as_ref().map(|r| &r.0) != row_is.as_ref().map(|r| &r.0);
        if entry_changed {
            changed.insert(paths::listing(listing));
        }
        if entry_changed || row_was.map(|r| r.1) != row_is.map(|r| r.1) {
            for format in FeedFormat::ALL {
                changed.insert(paths::feed(listing, format));
            }
        }
    }

    // A year's sitemap shows its public posts' addresses, dates and listings' pages; the index
    // and the home page's sitemap show dates only (each year's newest, the blog's newest).
    let mapped = |post: Option<&'a Post>| post.map(|p| (&p.slug, p.published, p.listings()));
    if mapped(was) != mapped(is) {
        let redated = was.map(|p| p.published) != is.map(|p| p.published);
        for post in was.iter().chain(&is) {
            let [index, home, year] = paths::sitemaps_showing(post.published);
            changed.insert(year);
            if redated {
                changed.extend([index, home]);
            }
        }
    }

    // A scheduled post changes no page yet, but the pages it will appear on were perhaps cached
    // for a day before it existed: they must be fetched again, to learn when it appears.
    let scheduled = |post: Option<&'a Post>| {
        post.filter(|p| !p.draft && p.published > now)
            .map(|p| (p.published, p.listings()))
    };
    let (scheduled_was, scheduled_is) = (scheduled(before), scheduled(after));
    if scheduled_was != scheduled_is {
        for (published, listings) in scheduled_was.iter().chain(&scheduled_is) {
            for listing in listings {
                changed.insert(paths::listing(listing));
                for format in FeedFormat::ALL {
                    changed.insert(paths::feed(listing, format));
                }
            }
            changed.extend(paths::sitemaps_showing(*published));
        }
    }

    // The categories index counts every post that is not a draft, scheduled ones included.
    let counted = |post: Option<&Post>| -> Vec<Category> {
        post.filter(|p| !p.draft)
            .map(|p| p.categories.clone())
            .unwrap_or_default()
    };
    if counted(before) != counted(after) {
        changed.insert(paths::CATEGORIES.to_owned());
        // The search page links the categories for readers without JavaScript.
        changed.insert(paths::SEARCH.to_owned());
    }

    // Old addresses answer 301 to their post while it is public, else 404.
    let answer = |post: Option<&Post>, path: &String| {
        post.filter(|p| redirect_paths(p).contains(path))
            .map(|p| p.slug.clone())
    };
    let addresses: BTreeSet<String> = before
        .into_iter()
        .chain(after)
        .flat_map(redirect_paths)
        .collect();
    for path in addresses {
        if answer(was, &path) != answer(is, &path) {
            changed.insert(path);
        }
    }

    // A `*` in an old address would be a wildcard to CloudFront.
    changed
        .into_iter()
        .map(|path| path.replace('*', "%2A"))
        .collect()
}

/// What `post` shows in `listing`: its row, and its body (in the feeds); None when it is not
/// listed there.
fn shown_in<'p>(post: Option<&'p Post>, listing: &Listing) -> Option<(ListingEntry, &'p str)> {
    post.filter(|p| p.listings().contains(listing))
        .map(|p| (p.listing_entry(), p.body_html.as_str()))
}

type CreateInvalidationResult = Result<
    aws_sdk_cloudfront::operation::create_invalidation::CreateInvalidationOutput,
    aws_sdk_cloudfront::error::SdkError<
        aws_sdk_cloudfront::operation::create_invalidation::CreateInvalidationError,
        aws_sdk_cloudfront::config::http::HttpResponse,
    >,
>;

/// A CloudFront distribution in front of the blog.
#[derive(Debug, Clone)]
pub struct Cdn {
    client: Client,
    distribution: String,
}

impl Cdn {
    /// The distribution `distribution`, through `client`.
    pub fn new(client: Client, distribution: String) -> Self {
        Self {
            client,
            distribution,
        }
    }

    /// The distribution `BLOG_CDN_DISTRIBUTION_ID` names, if it is set (its endpoint may be
    /// overridden by `AWS_ENDPOINT_URL_CLOUDFRONT`); None without a CDN.
    pub async fn from_env() -> Result<Option<Self>, ConfigError> {
        let Some(distribution) = std::env::var("BLOG_CDN_DISTRIBUTION_ID")
            .ok()
            .filter(|v| !v.trim().is_empty())
        else {
            return Ok(None);
        };
        let sdk = crate::aws::load(crate::store::dynamo_timeouts()).await?;
        Ok(Some(Self::new(Client::new(&sdk), distribution)))
    }

    async fn send(&self, batch: InvalidationBatch) -> CreateInvalidationResult {
        self.client
            .create_invalidation()
            .distribution_id(&self.distribution)
            .invalidation_batch(batch)
            .send()
            .await
    }

    /// Tells the CDN to drop `paths` (nothing to do for none). Answers the invalidation's id.
    pub async fn invalidate(&self, paths: &[String]) -> Result<Option<String>, StoreError> {
        if paths.is_empty() {
            return Ok(None);
        }
        let failed = |e: BoxError| StoreError::Failed("invalidating the CDN", e);
        let items = Paths::builder()
            .quantity(i32::try_from(paths.len()).unwrap_or(i32::MAX))
            .set_items(Some(paths.to_vec()))
            .build()
            .map_err(|e| failed(Box::new(e)))?;
        // Unique per call: CloudFront treats a repeated reference as the same request.
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let batch = InvalidationBatch::builder()
            .paths(items)
            .caller_reference(format!("blog-{nanos}-{}", std::process::id()))
            .build()
            .map_err(|e| failed(Box::new(e)))?;
        let output = match self.send(batch).await {
            // Over CloudFront's 3,000 paths in progress (an import of many posts): one
            // wildcard instead, which that limit does not count.
            Err(error) if error.code() == Some("TooManyInvalidationsInProgress") => {
                tracing::warn!("too many invalidations in progress: invalidating /* instead");
                let everything = Paths::builder()
                    .quantity(1)
                    .items("/*")
                    .build()
                    .map_err(|e| failed(Box::new(e)))?;
                let batch = InvalidationBatch::builder()
                    .paths(everything)
                    .caller_reference(format!("blog-{nanos}-{}-all", std::process::id()))
                    .build()
                    .map_err(|e| failed(Box::new(e)))?;
                self.send(batch).await
            }
            other => other,
        }
        .map_err(crate::store::sdk_error(
            "invalidating the CDN",
            &[
                "ServiceUnavailable",
                "TooManyInvalidationsInProgress",
                "Throttling",
            ],
        ))?;
        Ok(output.invalidation.map(|i| i.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::parse_post;

    fn post(front: &str, body: &str) -> Post {
        let mut post = parse_post(&format!("---\n{front}\n---\n{body}\n"), None).unwrap();
        post.version = 1;
        post
    }

    fn now() -> OffsetDateTime {
        time::macros::datetime!(2026-11-26 12:00 UTC)
    }

    const FRONT: &str = "title: Scaling Queues\nslug: scaling-queues\ndate: 2025-03-01\nauthors: [Ann Lee]\ncategories: [Data]\naliases: [/2025/03/01/scaling-queues.html]";

    #[test]
    fn a_new_post_changes_its_page_listings_feeds_sitemap_categories_and_old_addresses() {
        let new = post(FRONT, "Body.");
        let paths = changed_paths(None, Some(&new), now());
        let mut expected = vec![
            "/",
            "/2025/03/01/scaling-queues.html",
            "/atom.xml",
            "/author/ann-lee",
            "/author/ann-lee/atom.xml",
            "/author/ann-lee/feed.json",
            "/author/ann-lee/feed.xml",
            "/categories",
            "/category/data",
            "/category/data/atom.xml",
            "/category/data/feed.json",
            "/category/data/feed.xml",
            "/feed.json",
            "/feed.xml",
            "/posts/scaling-queues",
            "/search",
            "/sitemap.xml",
            "/sitemaps/2025.xml",
            "/sitemaps/home.xml",
        ];
        expected.sort_unstable();
        assert_eq!(paths, expected);
    }

    #[test]
    fn an_edit_of_the_body_alone_changes_the_page_and_feeds_but_no_listing_page() {
        let before = post(FRONT, "Teaser.\n\n<!--more-->\n\nBody.");
        let after = post(FRONT, "Teaser.\n\n<!--more-->\n\nBody, corrected.");
        let paths = changed_paths(Some(&before), Some(&after), now());
        assert!(paths.contains(&"/posts/scaling-queues".to_owned()));
        assert!(paths.contains(&"/category/data/feed.xml".to_owned()));
        for unchanged in [
            "/",
            "/category/data",
            "/sitemap.xml",
            "/sitemaps/2025.xml",
            "/sitemaps/home.xml",
            "/categories",
        ] {
            assert!(
                !paths.contains(&unchanged.to_owned()),
                "{unchanged}: {paths:?}"
            );
        }
        assert!(!paths.iter().any(|p| p.ends_with(".html")), "{paths:?}");
    }

    #[test]
    fn a_scheduled_post_changes_the_pages_it_will_appear_on_and_a_draft_nothing() {
        let scheduled = post(&FRONT.replace("2025-03-01", "2027-01-01"), "Body.");
        let paths = changed_paths(None, Some(&scheduled), now());
        // Cached before it existed, they must learn when it appears; its own page is not public.
        for path in [
            "/",
            "/category/data",
            "/author/ann-lee/feed.xml",
            "/sitemap.xml",
            "/sitemaps/2027.xml",
            "/sitemaps/home.xml",
            "/categories",
        ] {
            assert!(paths.contains(&path.to_owned()), "{path}: {paths:?}");
        }
        assert!(
            !paths.contains(&"/posts/scaling-queues".to_owned()),
            "{paths:?}"
        );
        // Moved to another time: the same pages again; its body edited: nothing public.
        let sooner = post(&FRONT.replace("2025-03-01", "2026-12-24"), "Body.");
        assert!(changed_paths(Some(&scheduled), Some(&sooner), now()).contains(&"/".to_owned()));
        let edited = post(&FRONT.replace("2025-03-01", "2027-01-01"), "Body, edited.");
        assert!(changed_paths(Some(&scheduled), Some(&edited), now()).is_empty());
        let draft = post(&format!("{FRONT}\ndraft: true"), "Body.");
        assert!(changed_paths(None, Some(&draft), now()).is_empty());
    }

    #[test]
    fn a_moved_category_changes_both_listings_and_a_deletion_everything_it_showed() {
        let before = post(FRONT, "Body.");
        let after = post(&FRONT.replace("[Data]", "[Infrastructure]"), "Body.");
        let paths = changed_paths(Some(&before), Some(&after), now());
        for path in [
            "/category/data",
            "/category/infrastructure",
            "/categories",
            "/",
        ] {
            assert!(paths.contains(&path.to_owned()), "{path}: {paths:?}");
        }
        // Its year's sitemap lists the category's page; the dates the others show are the same.
        assert!(
            paths.contains(&"/sitemaps/2025.xml".to_owned()),
            "{paths:?}"
        );
        for unchanged in ["/sitemap.xml", "/sitemaps/home.xml"] {
            assert!(
                !paths.contains(&unchanged.to_owned()),
                "{unchanged}: {paths:?}"
            );
        }
        let gone = changed_paths(Some(&before), None, now());
        for path in [
            "/posts/scaling-queues",
            "/2025/03/01/scaling-queues.html",
            "/feed.xml",
        ] {
            assert!(gone.contains(&path.to_owned()), "{path}: {gone:?}");
        }
    }

    #[test]
    fn a_post_moved_to_another_year_changes_both_years_sitemaps_and_a_new_title_none() {
        let before = post(FRONT, "Body.");
        let after = post(&FRONT.replace("2025-03-01", "2023-11-30"), "Body.");
        let sitemaps = |paths: Vec<String>| -> Vec<String> {
            paths
                .into_iter()
                .filter(|p| p.contains("sitemap"))
                .collect()
        };
        assert_eq!(
            sitemaps(changed_paths(Some(&before), Some(&after), now())),
            [
                "/sitemap.xml",
                "/sitemaps/2023.xml",
                "/sitemaps/2025.xml",
                "/sitemaps/home.xml"
            ]
        );
        // Renamed: its year's sitemap lists its new address; no date changed.
        let renamed = post(
            &FRONT.replace("slug: scaling-queues", "slug: queues"),
            "Body.",
        );
        assert_eq!(
            sitemaps(changed_paths(Some(&before), Some(&renamed), now())),
            ["/sitemaps/2025.xml"]
        );
        // A title shows in no sitemap.
        let retitled = post(&FRONT.replace("Scaling Queues", "Queues, Scaled"), "Body.");
        assert!(sitemaps(changed_paths(Some(&before), Some(&retitled), now())).is_empty());
        // Scheduled for 2027, then moved to appear in 2026: the index, the home page's and
        // both years' sitemaps learn when it appears.
        let later = post(&FRONT.replace("2025-03-01", "2027-02-01"), "Body.");
        let sooner = post(&FRONT.replace("2025-03-01", "2026-12-24"), "Body.");
        assert_eq!(
            sitemaps(changed_paths(Some(&later), Some(&sooner), now())),
            [
                "/sitemap.xml",
                "/sitemaps/2026.xml",
                "/sitemaps/2027.xml",
                "/sitemaps/home.xml"
            ]
        );
    }
}
