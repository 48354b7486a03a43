//! The sitemaps the index lists: one of the blog's front pages, and one per year of posts. A
//! post belongs to the year its sort key starts with (UTC), so a year's posts are a contiguous
//! run of the whole blog's listing, read between two sort keys.

use time::{OffsetDateTime, UtcOffset};

/// One sitemap under the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sitemap {
    /// The home page and the categories index.
    Home,
    /// The public posts of one year (UTC), and the pages of their categories and authors.
    Year(i32),
}

impl Sitemap {
    /// The sitemap that lists a post published at `when`.
    pub fn of_post_at(when: OffsetDateTime) -> Self {
        Self::Year(year_of(when))
    }
}

/// The year a post published at `when` belongs to: its UTC year, as its sort key starts.
pub fn year_of(when: OffsetDateTime) -> i32 {
    when.to_offset(UtcOffset::UTC).year()
}

/// The sort keys of `year`'s posts lie strictly after the first and at or before the second
/// (keys start with the four-digit year and a `-`; `~` sorts after every character a key holds).
pub fn year_bounds(year: i32) -> (String, String) {
    (format!("{year:04}-"), format!("{year:04}-~"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Slug, sort_key};
    use time::macros::datetime;

    #[test]
    fn a_year_s_bounds_hold_exactly_its_posts_sort_keys_in_utc() {
        let slug = Slug::parse("zz-last").unwrap();
        let (after, until) = year_bounds(2024);
        for (when, inside) in [
            (datetime!(2024-01-01 00:00:00 UTC), true),
            (datetime!(2024-12-31 23:59:59 UTC), true),
            (datetime!(2023-12-31 23:59:59 UTC), false),
            (datetime!(2025-01-01 00:00:00 UTC), false),
            // 2025 where it was written, 2024 in UTC: the key says 2024.
            (datetime!(2025-01-01 00:30:00 +01:00), true),
        ] {
            let key = sort_key(when, &slug);
            assert_eq!(key > after && key <= until, inside, "{key}");
            assert_eq!(Sitemap::of_post_at(when) == Sitemap::Year(2024), inside);
        }
    }
}
