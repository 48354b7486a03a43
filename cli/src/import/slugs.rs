//! Slugs and old addresses shared between files of one site: each file gets a slug of its own,
//! and each old address goes to one post.

use std::collections::{BTreeMap, HashMap};

use blog_shared::content::ReadPost;
use blog_shared::model::{MAX_SLUG_LEN, Slug};

use crate::api::Upload;

/// Gives files that share a slug distinct ones: the earliest (by date, then path) keeps it,
/// each later one takes `{slug}-{year}`, or `{slug}-{yyyy-mm-dd}` if that is taken too, then a
/// number. Deterministic, so a second import maps every file to the same post.
pub fn resolve_collisions(uploads: &mut [Upload], posts: &[Option<ReadPost>]) {
    let mut by_slug: BTreeMap<&Slug, Vec<usize>> = BTreeMap::new();
    for (i, post) in posts.iter().enumerate() {
        if let Some(post) = post {
            by_slug.entry(&post.slug).or_default().push(i);
        }
    }
    let mut taken: Vec<String> = by_slug.keys().map(ToString::to_string).collect();
    let mut renamed: Vec<(usize, Slug, String)> = Vec::new();
    for (slug, mut files) in by_slug {
        if files.len() < 2 {
            continue;
        }
        files.sort_by_key(|&i| {
            let post = posts[i].as_ref().expect("only parsed posts are grouped");
            (post.published, uploads[i].source_path.clone())
        });
        let keeper = uploads[files[0]].source_path.clone();
        for &i in &files[1..] {
            let post = posts[i].as_ref().expect("only parsed posts are grouped");
            let chosen = free_slug(slug, post, &taken);
            taken.push(chosen.to_string());
            renamed.push((i, chosen, format!("`{slug}` is {keeper}'s (the earliest)")));
        }
    }
    for (i, slug, why) in renamed {
        uploads[i].notes.push(format!("renamed to `{slug}`: {why}"));
        uploads[i].slug = Some(slug);
    }
}

/// `slug` with the first suffix no other post has: `{slug}-{year}`, `{slug}-{yyyy-mm-dd}`, then
/// a number; a long slug is shortened so that it and its suffix fit a slug's length.
fn free_slug(slug: &Slug, post: &ReadPost, taken: &[String]) -> Slug {
    let date = post.published.date();
    let with = |suffix: &str| {
        let room = MAX_SLUG_LEN.saturating_sub(suffix.len() + 1);
        let mut base: String = slug.as_str().chars().take(room).collect();
        while base.ends_with('-') {
            base.pop();
        }
        format!("{base}-{suffix}")
    };
    [date.year().to_string(), date.to_string()]
        .into_iter()
        .chain((2..).map(|n| format!("{date}-{n}")))
        .map(|suffix| with(&suffix))
        .filter(|c| !taken.contains(c))
        .find_map(|c| Slug::parse(&c).ok())
        .expect("some numbered slug is free: the taken ones are finite")
}

/// A post's new page may not be another post's old address: where an old site's own section
/// was `posts/`, `/posts/<slug>` can be where another post used to be, and that address keeps
/// leading to that post. The post whose slug it is takes another, and is told.
pub fn avoid_old_addresses(uploads: &mut [Upload], posts: &[Option<ReadPost>]) {
    let mut named: HashMap<Slug, usize> = HashMap::new();
    for (j, upload) in uploads.iter().enumerate() {
        for old in upload.old_paths.iter().flatten() {
            if let Some(slug) = blog_shared::paths::post_named_by(old) {
                named.entry(slug).or_insert(j);
            }
        }
    }
    let mut taken: Vec<String> = (0..uploads.len())
        .filter_map(|i| slug_of(uploads, posts, i))
        .map(|s| s.to_string())
        .chain(named.keys().map(ToString::to_string))
        .collect();
    for i in 0..uploads.len() {
        let (Some(post), Some(slug)) = (&posts[i], slug_of(uploads, posts, i)) else {
            continue;
        };
        let Some(&owner) = named.get(&slug) else {
            continue;
        };
        if owner == i {
            continue;
        }
        let chosen = free_slug(&slug, post, &taken);
        taken.push(chosen.to_string());
        let note = format!(
            "renamed to `{chosen}`: /posts/{slug} is an old address of {}",
            uploads[owner].source_path
        );
        uploads[i].notes.push(note);
        uploads[i].slug = Some(chosen);
    }
}

/// The slug file `i` will have: the importer's, else its own.
pub fn slug_of(uploads: &[Upload], posts: &[Option<ReadPost>], i: usize) -> Option<Slug> {
    uploads[i]
        .slug
        .clone()
        .or_else(|| posts[i].as_ref().map(|p| p.slug.clone()))
}

/// An old address two files claim (two posts declaring one alias; the old site served only
/// one of them) goes to the one the old site served: the earliest by date, or with
/// `later_keeps` the latest; the other is told, and keeps the rest.
pub fn share_old_addresses(uploads: &mut [Upload], posts: &[Option<ReadPost>], later_keeps: bool) {
    let mut order: Vec<usize> = (0..uploads.len()).filter(|&i| posts[i].is_some()).collect();
    order.sort_by_key(|&i| {
        let post = posts[i].as_ref().expect("filtered");
        (post.published, uploads[i].source_path.clone())
    });
    if later_keeps {
        order.reverse();
    }
    let mut owner: HashMap<String, String> = HashMap::new();
    for i in order {
        let source = uploads[i].source_path.clone();
        let mut kept = Vec::new();
        for path in uploads[i].old_paths.take().unwrap_or_default() {
            match owner.get(&path) {
                Some(first) => uploads[i]
                    .notes
                    .push(format!("old address {path} stays with {first}")),
                None => {
                    owner.insert(path.clone(), source.clone());
                    kept.push(path);
                }
            }
        }
        uploads[i].old_paths = Some(kept);
    }
}

#[cfg(test)]
mod tests {
    use crate::api::Upload;
    use blog_shared::content::{Origin, ReadPost, read_post};
    #[test]
    fn long_shared_slugs_are_shortened_to_take_their_date() {
        let title = "word ".repeat(30);
        let source = |date: &str| format!("---\ntitle: \"{title}\"\ndate: {date}\n---\nx\n");
        let posts: Vec<Option<ReadPost>> = ["2020-01-01", "2021-01-01", "2021-01-01"]
            .iter()
            .map(|d| Some(read_post(&source(d), &Origin::default()).unwrap()))
            .collect();
        let mut uploads: Vec<Upload> = (0..3)
            .map(|i| Upload {
                source_path: format!("p{i}.md"),
                ..Upload::default()
            })
            .collect();
        super::resolve_collisions(&mut uploads, &posts);
        let slugs: Vec<String> = uploads
            .iter()
            .map(|u| u.slug.as_ref().map(ToString::to_string).unwrap_or_default())
            .collect();
        assert_eq!(slugs[0], "", "the earliest keeps it");
        assert!(
            slugs[1].ends_with("-2021") && slugs[1].len() <= 100,
            "{slugs:?}"
        );
        assert!(
            slugs[2].ends_with("-2021-01-01") && slugs[2].len() <= 100,
            "{slugs:?}"
        );
    }
}
