//! The rules every backend writes and reads by, decided once: which rows a write adds and
//! removes, what a publish onto a taken slug means, how a replacement is checked, and how one
//! store call makes a page of a listing.

use std::collections::HashMap;

use time::OffsetDateTime;

use super::{CategoryCount, Holder, ListingQuery, PublishOutcome, Store, StoreError, WriteError};
use crate::model::{
    Category, Cursor, Listing, ListingEntry, ListingPage, MAX_REDIRECTS, PageRequest, Post, Slug,
    same_source, visible_until,
};
use crate::paths;

/// The rows a write adds and removes beside the post item, worked out once for both backends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Listing rows to write (or overwrite) with the new post's entry.
    pub put_listings: Vec<(Listing, String)>,
    /// Listing rows to remove.
    pub delete_listings: Vec<(Listing, String)>,
    /// Redirect paths to point at the new post.
    pub put_redirects: Vec<String>,
    /// Redirect paths to remove.
    pub delete_redirects: Vec<String>,
    /// How many listed posts each category gains or loses (never zero).
    pub category_counts: Vec<(Category, i64)>,
    /// The slug whose row in the index of every post to write (every write of a post writes
    /// it, so a post stored before the index existed joins it on its next write).
    pub index: Option<Slug>,
    /// The slug whose index row to remove: the post's old slug on a rename or a delete.
    pub unindex: Option<Slug>,
    /// The pages of the post's former slugs among `put_redirects`: another post that holds one
    /// as its own former slug keeps it (it took that slug after this post left it); one that
    /// holds it as an alias gives it up ([`Claims::alias_held`]).
    pub yielding: Vec<String>,
    /// Former slugs' pages this write takes from the post that held them as an alias, with
    /// that post: a store writes each only while it is still that post's.
    pub taken_over: Vec<(String, Slug)>,
}

/// What a write's redirects are checked against, read by the store in the write's own
/// transaction or just before it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    /// Who owns each of [`Changes::claimed_paths`] now: path to slug.
    pub owners: HashMap<String, Slug>,
    /// Which of [`Changes::named_posts`] are stored posts (drafts and scheduled ones too).
    pub posts: Vec<Slug>,
    /// Which of the write's former slugs' pages another post holds as an alias (or an old
    /// site's address), not as a former slug of its own.
    pub alias_held: Vec<String>,
}

impl Changes {
    /// What turns the rows of `old` into the rows of `new` (either may be absent). Rows both
    /// need are rewritten (their entry may have changed), never deleted and written in one go:
    /// DynamoDB refuses two operations on one item in a transaction.
    pub fn between(old: Option<&Post>, new: Option<&Post>) -> Self {
        let old_rows = old.map(Post::listing_rows).unwrap_or_default();
        let new_rows = new.map(Post::listing_rows).unwrap_or_default();
        let old_paths = old.map(redirect_paths).unwrap_or_default();
        let new_paths = new.map(redirect_paths).unwrap_or_default();
        Self {
            delete_listings: old_rows
                .iter()
                .filter(|row| !new_rows.contains(row))
                .cloned()
                .collect(),
            put_listings: new_rows,
            delete_redirects: old_paths
                .iter()
                .filter(|p| !new_paths.contains(p))
                .cloned()
                .collect(),
            put_redirects: new_paths,
            category_counts: category_counts(old, new),
            yielding: new
                .map(|post| post.moved_from.iter().map(paths::post).collect())
                .unwrap_or_default(),
            taken_over: Vec::new(),
            index: new.map(|post| post.slug.clone()),
            unindex: old
                .map(|post| post.slug.clone())
                .filter(|slug| new.is_none_or(|post| &post.slug != slug)),
        }
    }
}

impl Changes {
    /// Every old address this write puts or removes.
    pub fn redirect_paths(&self) -> Vec<String> {
        let mut paths: Vec<String> = self
            .put_redirects
            .iter()
            .chain(&self.delete_redirects)
            .cloned()
            .collect();
        paths.sort();
        paths.dedup();
        paths
    }

    /// Every path whose owner a store reads for [`Changes::claim_redirects`]: the write's
    /// redirects, and the pages of the posts its aliases name (their former slugs' owners).
    pub fn claimed_paths(&self, writer: &[&Slug]) -> Vec<String> {
        let mut paths = self.redirect_paths();
        paths.extend(self.named_posts(writer).iter().map(paths::post));
        paths.sort();
        paths.dedup();
        paths
    }

    /// The other posts whose address one of this write's aliases (or old site's addresses)
    /// names in some spelling (`/posts/<slug>/`, `/Posts/<Slug>`, `…/index.html`, an encoded
    /// slash): whether each is stored decides whether the alias may stand.
    pub fn named_posts(&self, writer: &[&Slug]) -> Vec<Slug> {
        let mut named: Vec<Slug> = self
            .put_redirects
            .iter()
            .filter(|path| !self.yielding.contains(path))
            .filter_map(|path| paths::post_named_by(path))
            .filter(|slug| !writer.contains(&slug))
            .collect();
        named.sort();
        named.dedup();
        named
    }

    /// Checks this write's redirects against who owns them now (`owners`: path to slug, as
    /// stored): an address another post owns cannot be taken, and only the writer's own are
    /// removed. `writer` is the post's slugs before and after the write.
    ///
    /// A post's address belongs to it: an alias that names another stored post's page, or the
    /// page of another post's former slug, in any spelling, is refused. A former slug's page
    /// outranks another post's alias: the write takes it over.
    pub fn claim_redirects(
        mut self,
        claims: &Claims,
        writer: &[&Slug],
    ) -> Result<Self, WriteError> {
        let owners = &claims.owners;
        let mine = |path: &String| owners.get(path).is_none_or(|owner| writer.contains(&owner));
        for path in self
            .put_redirects
            .iter()
            .filter(|p| !self.yielding.contains(p))
        {
            let Some(named) = paths::post_named_by(path).filter(|s| !writer.contains(&s)) else {
                continue;
            };
            let page_owner = owners.get(&paths::post(&named));
            let owner = if claims.posts.contains(&named) {
                Some(&named)
            } else {
                page_owner.filter(|owner| !writer.contains(owner))
            };
            if let Some(owner) = owner {
                return Err(WriteError::AddressTaken {
                    path: path.clone(),
                    owner: owner.clone(),
                });
            }
        }
        let yielding = std::mem::take(&mut self.yielding);
        let outranked = |path: &String| yielding.contains(path) && claims.alias_held.contains(path);
        self.put_redirects
            .retain(|path| mine(path) || !yielding.contains(path) || outranked(path));
        self.taken_over = self
            .put_redirects
            .iter()
            .filter(|path| !mine(path) && outranked(path))
            .map(|path| (path.clone(), owners[path].clone()))
            .collect();
        if let Some(taken) = self
            .put_redirects
            .iter()
            .find(|path| !mine(path) && !outranked(path))
        {
            return Err(WriteError::RedirectTaken {
                path: taken.clone(),
                owner: owners[taken].clone(),
            });
        }
        self.delete_redirects
            .retain(|path| owners.get(path).is_some_and(|o| writer.contains(&o)));
        Ok(self)
    }

    /// The former slugs' pages among this write's redirects that another post holds now (as
    /// `owners` says): the store reads each holder to tell whether it holds the page as a
    /// former slug of its own or as an alias ([`Claims::alias_held`]).
    pub fn contested_former_pages<'a>(
        &'a self,
        owners: &'a HashMap<String, Slug>,
        writer: &'a [&Slug],
    ) -> impl Iterator<Item = (&'a String, &'a Slug)> + 'a {
        self.yielding.iter().filter_map(move |path| {
            owners
                .get(path)
                .filter(|owner| !writer.contains(owner))
                .map(|owner| (path, owner))
        })
    }
}

/// +1 for each category `new` is listed in, −1 for each `old` was; drafts are listed nowhere.
fn category_counts(old: Option<&Post>, new: Option<&Post>) -> Vec<(Category, i64)> {
    let listed = |post: Option<&Post>| {
        post.filter(|p| !p.draft)
            .map(|p| p.categories.clone())
            .unwrap_or_default()
    };
    let mut counts: Vec<(Category, i64)> = Vec::new();
    for (categories, delta) in [(listed(old), -1), (listed(new), 1)] {
        for category in categories {
            match counts.iter_mut().find(|(c, _)| c.slug == category.slug) {
                // The new name wins: a rename of the category's spelling shows at once.
                Some((existing, count)) => {
                    *count += delta;
                    *existing = category;
                }
                None => counts.push((category, delta)),
            }
        }
    }
    counts.retain(|(_, delta)| *delta != 0);
    counts
}

/// Every old path that redirects to `post`: its aliases, its old site's addresses and the
/// pages of its former slugs.
pub fn redirect_paths(post: &Post) -> Vec<String> {
    let mut paths = post.aliases.clone();
    paths.extend(post.old_paths.iter().flatten().cloned());
    paths.extend(post.moved_from.iter().map(paths::post));
    paths.sort();
    paths.dedup();
    paths
}

/// What publishing `post` means when its slug is already stored as `existing`: the same
/// content is a harmless retry, other content a conflict. Nothing is written either way.
pub fn publish_onto(existing: &Post, post: &Post) -> Result<PublishOutcome, WriteError> {
    if existing.content_hash == post.content_hash {
        Ok(PublishOutcome::Unchanged {
            version: existing.version,
        })
    } else {
        Err(WriteError::SlugTaken(Holder::of(existing)))
    }
}

/// Checks a replacement against what is stored, the same way for every backend: the post to
/// write (at the next version, with the slugs it moved from), nothing to write, or why not.
pub fn prepare_replace(
    stored: Option<&Post>,
    slug: &Slug,
    post: &Post,
    expected: u64,
) -> Result<Replacement, WriteError> {
    let stored = stored.ok_or(WriteError::NotFound)?;
    // Identical content first: a repeated PUT (its response lost) is harmless, whatever the
    // version it still carries.
    if stored.content_hash == post.content_hash && &post.slug == slug {
        return Ok(Replacement::Unchanged {
            version: stored.version,
        });
    }
    if stored.identity().same_post(&post.identity()) == Some(false) {
        return Err(WriteError::OtherSource(Holder::of(stored)));
    }
    if stored.version != expected {
        return Err(WriteError::Stale {
            current: stored.version,
        });
    }
    let mut next = post.clone();
    next.version = expected + 1;
    // An upload that does not say where it comes from keeps the source the post was known by,
    // as does one that names the same file from a folder further down.
    let keep_stored = match (&stored.source_path, &next.source_path) {
        (Some(_), None) => true,
        (Some(known), Some(given)) => known.len() > given.len() && same_source(known, given),
        (None, _) => false,
    };
    if keep_stored {
        next.source_path.clone_from(&stored.source_path);
    }
    // One that is no import keeps the addresses of the old site the post was imported from.
    if next.old_paths.is_none() {
        next.old_paths.clone_from(&stored.old_paths);
    }
    // Oldest first; a slug renamed back to is no longer a redirect.
    let mut moved_from: Vec<Slug> = stored
        .moved_from
        .iter()
        .filter(|old| *old != slug)
        .cloned()
        .collect();
    if &post.slug != slug {
        moved_from.push(slug.clone());
    }
    moved_from.retain(|old| old != &next.slug);
    // Every redirect is a row in the write's transaction: past the limit, the oldest go.
    // An export published back holds the old site's addresses among its aliases: count each once.
    let mut own: Vec<&String> = next
        .aliases
        .iter()
        .chain(next.old_paths.iter().flatten())
        .collect();
    own.sort();
    own.dedup();
    let kept = own.len();
    if kept > MAX_REDIRECTS {
        return Err(WriteError::TooManyRedirects { count: kept });
    }
    let room = MAX_REDIRECTS.saturating_sub(kept);
    let excess = moved_from.len().saturating_sub(room);
    next.moved_from = moved_from.split_off(excess);
    Ok(Replacement::Write(Box::new(next)))
}

/// What a checked replacement needs.
#[derive(Debug)]
pub enum Replacement {
    /// Nothing: the stored post has this content.
    Unchanged {
        /// Its version.
        version: u64,
    },
    /// This post written, at its next version.
    Write(Box<Post>),
}

/// Checks that a delete expects the stored post's version; returns the post to delete.
pub fn check_delete(stored: Option<Post>, expected: u64) -> Result<Post, WriteError> {
    match stored {
        None => Err(WriteError::NotFound),
        Some(stored) if stored.version != expected => Err(WriteError::Stale {
            current: stored.version,
        }),
        Some(stored) => Ok(stored),
    }
}

/// Rows read past a page (and the one that tells whether there is another) when the page may
/// reach the top of its listing, where posts scheduled for later sort: room for that many
/// scheduled posts without a second request.
const SCHEDULED_SLACK: usize = 2;

/// Above every sort key (they start with a year): a query bounded by it sees scheduled posts too.
const UNBOUNDED: &str = "~";

/// Reads one page of a listing, usually with one store call: asks for one entry more than a
/// page, so the page knows whether there is a next one without a second request.
///
/// A page that may reach the top of the listing (the first page, a page reached backwards)
/// must also know when the next scheduled post appears, when it changes. It reads past `now`,
/// with room for [`SCHEDULED_SLACK`] scheduled posts: those rows tell when the page changes and
/// are left out of it. Only when scheduled posts fill that room (or DynamoDB cuts the response
/// short) does it ask again, bounded at `now`, beside a one-key query for the next scheduled
/// post.
pub async fn listing_page(
    store: &dyn Store,
    listing: &Listing,
    request: &PageRequest,
    page_size: usize,
    now: OffsetDateTime,
) -> Result<ListingPage, StoreError> {
    let (newest_first, exclusive_start) = match request {
        PageRequest::First => (true, None),
        PageRequest::After(cursor) => (true, Some(cursor.sort_key().to_owned())),
        PageRequest::Before(cursor) => (false, Some(cursor.sort_key().to_owned())),
    };
    let until = visible_until(now);
    let bounded = ListingQuery {
        listing: listing.clone(),
        newest_first,
        exclusive_start,
        visible_until: until.clone(),
        limit: page_size + 1,
    };
    // Only a page that reaches the top of the listing shows a scheduled post when it appears.
    let (mut entries, cut_short, changes_at) = if matches!(request, PageRequest::After(_)) {
        let rows = store.listing(&bounded).await?;
        (rows.entries, rows.cut_short, None)
    } else {
        let unbounded = ListingQuery {
            visible_until: UNBOUNDED.to_owned(),
            limit: page_size + 1 + SCHEDULED_SLACK,
            ..bounded.clone()
        };
        let rows = store.listing(&unbounded).await?;
        let full = rows.entries.len() >= unbounded.limit || rows.cut_short;
        let (scheduled, visible): (Vec<ListingEntry>, Vec<ListingEntry>) = rows
            .entries
            .into_iter()
            .partition(|entry| entry.is_scheduled_after(now));
        // Newest first, scheduled rows come first: once a visible row came, every one did.
        // Oldest first, they come after every visible row, and the first is the next to appear.
        let complete =
            visible.len() > page_size || !full || (!newest_first && !scheduled.is_empty());
        if complete {
            let changes_at = scheduled.iter().map(ListingEntry::appears_at).min();
            (visible, false, changes_at)
        } else {
            let (rows, changes_at) = tokio::try_join!(
                store.listing(&bounded),
                store.next_appearing(listing, &until)
            )?;
            (rows.entries, rows.cut_short, changes_at)
        }
    };
    let more = entries.len() > page_size || cut_short;
    entries.truncate(page_size);
    if !newest_first {
        entries.reverse();
    }
    let first = entries.first().map(|e| Cursor::at(e.sort_key()));
    let last = entries.last().map(|e| Cursor::at(e.sort_key()));
    let (older, newer) = match request {
        PageRequest::First => (last.filter(|_| more), None),
        // Came from a newer page, so there is one; older ones exist if the query found more.
        PageRequest::After(_) => (last.filter(|_| more), first),
        // Came from an older page, so there is one; newer ones exist if the query found more.
        PageRequest::Before(_) => (last, first.filter(|_| more)),
    };
    Ok(ListingPage {
        entries,
        older,
        newer,
        changes_at,
    })
}

/// How many scheduled rows one read of the categories index asks for at a time.
const SCHEDULED_PAGE: usize = 100;

/// The categories as readers can see them at `now`, by slug, and when that changes (the next
/// scheduled post's time). The stored counts include posts scheduled for later, which readers
/// must not learn of: those are read from the whole blog's listing above `now` (one `Query`
/// beside the counts', of the few posts scheduled) and taken off, and a category none of whose
/// posts is public yet is left out.
pub async fn visible_categories(
    store: &dyn Store,
    now: OffsetDateTime,
) -> Result<(Vec<CategoryCount>, Option<OffsetDateTime>), StoreError> {
    let (mut counts, scheduled) =
        tokio::try_join!(store.categories(), scheduled_entries(store, now))?;
    for entry in &scheduled {
        let mut seen: Vec<&Slug> = Vec::with_capacity(entry.categories.len());
        for category in &entry.categories {
            if seen.contains(&&category.slug) {
                continue;
            }
            seen.push(&category.slug);
            if let Some(count) = counts.iter_mut().find(|c| c.category.slug == category.slug) {
                count.posts = count.posts.saturating_sub(1);
            }
        }
    }
    counts.retain(|c| c.posts > 0);
    let changes_at = scheduled.iter().map(ListingEntry::appears_at).min();
    Ok((counts, changes_at))
}

/// Every post scheduled after `now`, soonest first: the whole blog's listing above `now`.
async fn scheduled_entries(
    store: &dyn Store,
    now: OffsetDateTime,
) -> Result<Vec<ListingEntry>, StoreError> {
    let mut query = ListingQuery {
        listing: Listing::All,
        newest_first: false,
        exclusive_start: Some(visible_until(now)),
        visible_until: UNBOUNDED.to_owned(),
        limit: SCHEDULED_PAGE,
    };
    let mut scheduled = Vec::new();
    loop {
        let rows = store.listing(&query).await?;
        let more = rows.entries.len() >= query.limit || rows.cut_short;
        let Some(last) = rows.entries.last().map(ListingEntry::sort_key) else {
            return Ok(scheduled);
        };
        scheduled.extend(rows.entries);
        if !more {
            return Ok(scheduled);
        }
        query.exclusive_start = Some(last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::parse_post;

    fn post(slug: &str) -> Post {
        let mut post = parse_post(
            &format!("---\ntitle: T\nslug: {slug}\ndate: 2020-01-01\n---\nBody {slug}\n"),
            None,
        )
        .unwrap();
        post.version = 1;
        post
    }

    /// The post a replacement writes.
    fn replaced(stored: &Post, slug: &Slug, next: &Post, expected: u64) -> Post {
        match prepare_replace(Some(stored), slug, next, expected).unwrap() {
            Replacement::Write(post) => *post,
            Replacement::Unchanged { .. } => panic!("the replacement writes nothing"),
        }
    }

    #[test]
    fn renames_leave_redirects_oldest_first_within_the_limit() {
        let mut stored = post("s0");
        for n in 1..=(MAX_REDIRECTS + 3) {
            let next = post(&format!("s{n}"));
            let slug = stored.slug.clone();
            stored = replaced(&stored, &slug, &next, stored.version);
        }
        assert_eq!(stored.moved_from.len(), MAX_REDIRECTS);
        assert_eq!(
            stored.moved_from.last().unwrap().as_str(),
            format!("s{}", MAX_REDIRECTS + 2)
        );
        assert_eq!(
            stored.moved_from.first().unwrap().as_str(),
            "s3",
            "the oldest went first"
        );
    }

    #[test]
    fn renaming_back_drops_the_redirect_from_the_slug_itself() {
        let a = post("a");
        let b = replaced(&a, &a.slug, &post("b"), 1);
        let back = replaced(&b, &b.slug, &post("a"), 2);
        assert_eq!(back.moved_from, [Slug::parse("b").unwrap()]);
    }

    #[test]
    fn the_rows_of_an_update_are_computed_as_a_difference() {
        let mut old = post("x");
        old.categories = vec![
            crate::model::Category::from_name("Keep").unwrap(),
            crate::model::Category::from_name("Drop").unwrap(),
        ];
        let mut new = old.clone();
        new.categories = vec![
            crate::model::Category::from_name("Keep").unwrap(),
            crate::model::Category::from_name("Add").unwrap(),
        ];
        let changes = Changes::between(Some(&old), Some(&new));
        let keys = |rows: &[(Listing, String)]| {
            rows.iter()
                .map(|(l, _)| l.key().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&changes.delete_listings), ["drop"]);
        assert_eq!(keys(&changes.put_listings), ["_all", "keep", "add"]);
    }
}
