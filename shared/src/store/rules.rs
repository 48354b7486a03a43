//! The rules every backend writes and reads by, decided once: which rows a write adds and
//! removes, what a publish onto a taken slug means, how a replacement is checked, and how one
//! store call makes a page of a listing.

use std::collections::HashMap;

use time::OffsetDateTime;

use super::{Holder, ListingQuery, PublishOutcome, Store, StoreError, WriteError};
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
    /// keeps it (it took that slug after this post left it), where an alias would be refused.
    pub yielding: Vec<String>,
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

    /// Checks this write's redirects against who owns them now (`owners`: path to slug, as
    /// stored): an address another post owns cannot be taken, and only the writer's own are
    /// removed. `writer` is the post's slugs before and after the write.
    pub fn claim_redirects(
        mut self,
        owners: &HashMap<String, Slug>,
        writer: &[&Slug],
    ) -> Result<Self, WriteError> {
        let mine = |path: &String| owners.get(path).is_none_or(|owner| writer.contains(&owner));
        let yielding = std::mem::take(&mut self.yielding);
        self.put_redirects
            .retain(|path| mine(path) || !yielding.contains(path));
        if let Some(taken) = self.put_redirects.iter().find(|path| !mine(path)) {
            return Err(WriteError::RedirectTaken {
                path: taken.clone(),
                owner: owners[taken].clone(),
            });
        }
        self.delete_redirects
            .retain(|path| owners.get(path).is_some_and(|o| writer.contains(&o)));
        Ok(self)
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
