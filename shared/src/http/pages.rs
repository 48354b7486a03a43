//! The readers' pages: listings (the home page, a category's, an author's, the categories
//! index), a post, and the old addresses that redirect to posts. Each reads the store once
//! (a miss on a post costs one more read, to find whether it moved).

use axum::extract::{Path, RawQuery};
use axum::http::{Method, Uri};
use time::OffsetDateTime;

use super::Ctx;
use super::respond::{Representation, WebError};
use crate::model::{Cursor, Listing, ListingPage, MAX_PATH_LEN, PageRequest, Slug};
use crate::paths;
use crate::render::pages::{CategoriesView, CategorySummary, Layout, ListingView, PostView, Row};
use crate::render::search::SearchView;
use crate::store;

/// How long a shared cache keeps a listing's later page (one reached by a cursor link): no write
/// invalidates those, and only an edit or a deletion of one of its posts changes one.
const LATER_PAGE_MAX_AGE: time::Duration = time::Duration::hours(1);

/// The query string of a listing page, as the handler receives it.
pub(super) type Page = RawQuery;

/// The query string of a listing page: `after` or `before` and a cursor. Only the literal
/// names count, as a CDN keys them: `?%61fter=` is answered with a private redirect to its
/// one spelling, and other names (`utm_source`) are ignored, as the CDN ignores them.
#[derive(Debug, Default)]
struct PageQuery {
    after: Option<String>,
    before: Option<String>,
    respelt: bool,
}

impl PageQuery {
    fn parse(raw: Option<&str>) -> Result<Self, WebError> {
        let mut query = Self::default();
        for pair in raw.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = || {
                percent_encoding::percent_decode_str(value)
                    .decode_utf8()
                    .map(|v| v.into_owned())
                    .map_err(|_| WebError::BadQuery)
            };
            let slot = match name {
                "after" => &mut query.after,
                "before" => &mut query.before,
                other => {
                    let decoded = percent_encoding::percent_decode_str(&other.replace('+', " "))
                        .decode_utf8_lossy()
                        .into_owned();
                    query.respelt |= matches!(decoded.trim(), "after" | "before");
                    match decoded.trim() {
                        "after" => &mut query.after,
                        "before" => &mut query.before,
                        _ => continue,
                    }
                }
            };
            if slot.replace(value()?).is_some() {
                return Err(WebError::BadQuery);
            }
        }
        Ok(query)
    }

    fn request(&self) -> Result<PageRequest, WebError> {
        match (&self.after, &self.before) {
            (None, None) => Ok(PageRequest::First),
            (Some(after), None) => Ok(PageRequest::After(Cursor::decode(after)?)),
            (None, Some(before)) => Ok(PageRequest::Before(Cursor::decode(before)?)),
            (Some(_), Some(_)) => Err(WebError::TwoCursors),
        }
    }
}

/// `/`: the newest posts of every category.
pub(super) async fn home(ctx: Ctx, query: Page) -> Result<Representation, WebError> {
    listing_page(&ctx, Listing::All, query).await
}

/// A category's or an author's page; a path that is no slug cannot be one (404).
pub(super) async fn listing(
    ctx: Ctx,
    Path(slug): Path<String>,
    to_listing: fn(Slug) -> Listing,
    query: Page,
) -> Result<Representation, WebError> {
    listing_page(&ctx, listing_at(&slug, to_listing)?, query).await
}

/// The category's or author's listing a path names; a path that is no slug names none.
pub(super) fn listing_at(slug: &str, to_listing: fn(Slug) -> Listing) -> Result<Listing, WebError> {
    Slug::parse(slug)
        .map(to_listing)
        .map_err(|_| WebError::NotFound)
}

/// `/categories`: every category with public posts, by name.
pub(super) async fn categories(ctx: Ctx) -> Result<Representation, WebError> {
    let (listed, changes_at) = visible_categories(&ctx).await?;
    Representation::html(
        &CategoriesView {
            layout: Layout::new(
                &ctx.site,
                Some("Categories"),
                &Listing::All,
                Some(paths::CATEGORIES),
            ),
            categories: listed,
        },
        0,
    )
    .map(|page| page.until(changes_at))
}

/// The search page: its form, and the categories for a reader without JavaScript. It does not
/// depend on the query (`?q=`), which the reader's browser reads: one cached page serves every
/// search.
pub(super) async fn search(ctx: Ctx) -> Result<Representation, WebError> {
    let (categories, changes_at) = visible_categories(&ctx).await?;
    Representation::html(
        &SearchView {
            layout: Layout::new(
                &ctx.site,
                Some("Search"),
                &Listing::All,
                Some(paths::SEARCH),
            ),
            categories,
        },
        0,
    )
    .map(|page| page.until(changes_at))
}

/// Every category with a post readers can see now, by name, and when that changes next.
async fn visible_categories(
    ctx: &Ctx,
) -> Result<(Vec<CategorySummary>, Option<OffsetDateTime>), WebError> {
    // Counted as readers see them now: a scheduled post's category shows when the post does.
    let (counts, changes_at) =
        store::rules::visible_categories(ctx.store.as_ref(), OffsetDateTime::now_utc()).await?;
    let mut listed: Vec<CategorySummary> = counts
        .into_iter()
        .map(|c| CategorySummary {
            url: paths::category(&c.category),
            name: c.category.name,
            posts: c.posts,
        })
        .collect();
    listed.sort_by_key(|c| c.name.to_lowercase());
    Ok((listed, changes_at))
}

async fn listing_page(
    ctx: &Ctx,
    listing: Listing,
    query: Page,
) -> Result<Representation, WebError> {
    let query = PageQuery::parse(query.0.as_deref())?;
    let request = query.request()?;
    if query.respelt {
        let canonical = paths::listing_page(&listing, &request);
        return Err(WebError::Respelt(ctx.site.absolute(&canonical)));
    }
    let page = read_page(ctx, &listing, &request).await?;
    // A category or an author exists while they have a visible post; the name comes with it.
    let name = match (&listing, page.entries.first()) {
        (Listing::All, _) if page.entries.is_empty() && request != PageRequest::First => {
            return Err(WebError::NotFound);
        }
        (Listing::All, _) => None,
        (_, Some(entry)) => Some(listing.name_in(entry).ok_or(WebError::NotFound)?),
        (_, None) => return Err(WebError::NotFound),
    };
    let browsing = name.as_ref().map(|name| match listing {
        Listing::Author(_) => format!("You're browsing posts by {name}"),
        _ => format!("You're browsing posts of the category {name}"),
    });
    let first_page = paths::listing(&listing);
    let canonical = (request == PageRequest::First).then_some(first_page.as_str());
    // Writes invalidate first pages only (crate::cdn): a later page is kept an hour, not a day.
    let changes_at = match request {
        PageRequest::First => page.changes_at,
        _ => {
            let later = OffsetDateTime::now_utc() + LATER_PAGE_MAX_AGE;
            Some(page.changes_at.map_or(later, |at| at.min(later)))
        }
    };
    let view = ListingView {
        layout: Layout::new(&ctx.site, name.as_deref(), &listing, canonical),
        browsing,
        rows: page.entries.iter().map(Row::from).collect(),
        older_url: page
            .older
            .map(|c| paths::listing_page(&listing, &PageRequest::After(c))),
        newer_url: page
            .newer
            .map(|c| paths::listing_page(&listing, &PageRequest::Before(c))),
    };
    Ok(Representation::html(&view, view.expected_len())?.until(changes_at))
}

/// One page of a listing as a reader sees it now: posts scheduled for later stay hidden.
pub(super) async fn read_page(
    ctx: &Ctx,
    listing: &Listing,
    request: &PageRequest,
) -> Result<ListingPage, WebError> {
    Ok(store::listing_page(
        ctx.store.as_ref(),
        listing,
        request,
        ctx.site.page_size,
        OffsetDateTime::now_utc(),
    )
    .await?)
}

/// `/posts/{slug}`: a public post, or a redirect from a slug it had before.
pub(super) async fn post(
    ctx: Ctx,
    Path(slug): Path<String>,
    uri: Uri,
) -> Result<Representation, WebError> {
    // A name that is no slug may still be an old one (`/posts/Odd_Name` of an import).
    let Ok(slug) = Slug::parse(&slug) else {
        return Err(moved_or_missing(&ctx, uri.path()).await);
    };
    let Some(post) = ctx.store.post_without_source(&slug).await? else {
        // A renamed post leaves its old address behind; only a miss pays for the lookup.
        return Err(moved_or_missing(&ctx, &paths::post(&slug)).await);
    };
    // Drafts are never public; a scheduled post appears at its time, with no job to run.
    if post.draft || post.published > OffsetDateTime::now_utc() {
        return Err(WebError::NotFound);
    }
    let view = PostView::new(&ctx.site, &post);
    Representation::html(&view, view.expected_len())
}

/// A path no route of this function serves.
pub(super) async fn not_found() -> WebError {
    WebError::NotFound
}

/// Any other path: an old address (a Jekyll permalink, an alias) redirects, the rest is 404.
pub(super) async fn old_address(ctx: Ctx, method: Method, uri: Uri) -> WebError {
    if method == Method::GET || method == Method::HEAD {
        moved_or_missing(&ctx, uri.path()).await
    } else {
        WebError::NotFound
    }
}

/// A redirect to the post an old address belongs to, while that post is public; else 404.
async fn moved_or_missing(ctx: &Ctx, path: &str) -> WebError {
    let path = paths::old_address(path);
    if path.len() > MAX_PATH_LEN {
        return WebError::NotFound;
    }
    let now = OffsetDateTime::now_utc();
    match own_page_moved(ctx, &path, now).await {
        Ok(Some(slug)) => return WebError::Moved(ctx.site.absolute(&paths::post(&slug))),
        Ok(None) => {}
        Err(error) => return WebError::Store(error),
    }
    match ctx.store.redirect(&path).await {
        Ok(Some(redirect)) if redirect.is_public_at(now) => {
            WebError::Moved(ctx.site.absolute(&paths::post(&redirect.to)))
        }
        Ok(_) => WebError::NotFound,
        Err(error) => WebError::Store(error),
    }
}

/// Where another spelling of a post's page (`/posts/<slug>/`, `/Posts/<Slug>`, `%2f`,
/// `index.html`) leads before any alias is asked: to that post while it is public, else to
/// where its former slug's page leads. A post's address is its own; another post's alias
/// cannot take it, even one stored before aliases were checked against it.
async fn own_page_moved(
    ctx: &Ctx,
    path: &str,
    now: OffsetDateTime,
) -> Result<Option<Slug>, store::StoreError> {
    let Some(slug) = paths::post_named_by(path) else {
        return Ok(None);
    };
    let page = paths::post(&slug);
    if page == path {
        return Ok(None);
    }
    if let Some(post) = ctx.store.post_without_source(&slug).await?
        && !post.draft
        && post.published <= now
    {
        return Ok(Some(slug));
    }
    Ok(ctx
        .store
        .redirect(&page)
        .await?
        .filter(|redirect| redirect.is_public_at(now))
        .map(|redirect| redirect.to))
}
