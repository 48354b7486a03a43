//! A post's file name read on its own, for the post ([`super::names`]) and for the addresses
//! an imported site gave it ([`super::permalinks`]): its stem, and the date a Jekyll-style name
//! leads with (`2018-09-19-my-post`).

use time::Date;
use time::macros::format_description;

/// The file name without folders and extension.
pub fn file_stem(name: &str) -> &str {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.rsplit_once('.').map_or(base, |(stem, _)| stem)
}

/// `2018-09-19-my-post` → (2018-09-19, `my-post`); a plain `my-post` gives only the slug.
pub fn split_jekyll_name(stem: &str) -> (Option<Date>, Option<&str>) {
    match dated(stem, b"-") {
        Some((date, rest)) => (Some(date), Some(rest)),
        None => (None, Some(stem)),
    }
}

/// A stem that starts with a date and one of `separators` (`2021-08-09-name`): the date and the
/// rest, which is not empty.
pub fn dated<'a>(stem: &'a str, separators: &[u8]) -> Option<(Date, &'a str)> {
    let format = format_description!("[year]-[month]-[day]");
    let (date, rest) = (stem.get(..10)?, stem.get(11..)?);
    if rest.is_empty() || !separators.contains(&stem.as_bytes()[10]) {
        return None;
    }
    Date::parse(date, format).ok().map(|date| (date, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_lead_names_with_a_hyphen_or_an_underscore() {
        assert!(dated("2021-08-09_name", b"-_").is_some());
        assert!(dated("2021-08-09_name", b"-").is_none());
        assert!(dated("2021-08-09-", b"-").is_none());
        assert!(dated("2021-13-09-x", b"-").is_none());
    }
}
