//! A Zola page's address, as Zola 0.22 makes it (`components/content/src/page.rs`): the page's
//! `path` as written, else its folders under `content/` as they are named, then its slug, under
//! its language's code if that is not the default; the slug made by `[slugify] paths`.

use super::{OldFile, split_path};

/// How Zola turns a page's name into its address: `[slugify] paths` in `config.toml`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ZolaSlugify {
    /// `on`, the default: lowercase ASCII words joined by hyphens.
    #[default]
    On,
    /// `safe`: as written, less the characters no file name may hold.
    Safe,
    /// `off`: as written.
    Off,
}

/// What a Zola site's `config.toml` says about its addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZolaSite {
    /// `[slugify] paths`.
    pub slugify: ZolaSlugify,
    /// `[slugify] paths_keep_dates`: a dated file name keeps its date in the address.
    pub keep_dates: bool,
    /// `default_language`: pages in it have no language prefix.
    pub default_language: String,
    /// The codes of `[languages]` other than the default: `name.fr.md` is served under `/fr/`.
    pub languages: Vec<String>,
}

impl Default for ZolaSite {
    fn default() -> Self {
        Self {
            slugify: ZolaSlugify::default(),
            keep_dates: false,
            default_language: "en".to_owned(),
            languages: Vec::new(),
        }
    }
}

impl ZolaSlugify {
    /// A name made into a path part.
    pub fn apply(self, name: &str) -> String {
        match self {
            Self::On => slug::slugify(name),
            Self::Safe => name
                .trim_end_matches([' ', '.'])
                .chars()
                .filter(|c| !r#"<>:"/\|?*"#.contains(*c))
                .collect(),
            Self::Off => name.to_owned(),
        }
    }
}

/// The address Zola gives `file` on `site`.
pub(super) fn address(site: &ZolaSite, file: &OldFile<'_>) -> String {
    if let Some(path) = &file.meta.path {
        let path = path.trim().trim_matches('/');
        return crate::paths::old_address(&format!("/{path}/"));
    }
    let (mut folders, file_name) = split_path(file.path);
    let stem = file_name
        .rsplit_once('.')
        .map_or(file_name, |(stem, _)| stem);
    // `name.fr.md` is in French when French is one of the site's languages; Zola refuses a code
    // it does not know, and reads a name with the default's code as a name (`notes.en`).
    let (name, language) = match stem.split_once('.') {
        Some((name, code)) if site.languages.iter().any(|l| l == code) => (name, Some(code)),
        _ => (stem, None),
    };
    // A page bundle (`x/index.md`) is named for its folder.
    let name = match folders.last() {
        Some(folder) if name == "index" => {
            let folder = *folder;
            folders.pop();
            folder
        }
        _ => name,
    };
    let slug = match (&file.meta.slug, dated_name(name).and_then(|(_, rest)| rest)) {
        (Some(slug), _) => site.slugify.apply(slug),
        (None, Some(rest)) if !site.keep_dates => site.slugify.apply(rest),
        _ => site.slugify.apply(name),
    };
    let mut parts: Vec<&str> = language.into_iter().collect();
    parts.extend(folders);
    parts.push(&slug);
    crate::paths::old_address(&format!("/{}/", parts.join("/")))
}

/// The date (and time) a Zola page's name leads with, as Zola reads it, and what follows its
/// separator: `2021-08-09-name`, `2021-08-09_name`, `2021-08-09T10:00:00+02:00-name` (an
/// RFC 3339 date and time), a space allowed before the separator; `2021-08-09` alone is a date
/// with nothing after it. None when the name leads with no date.
pub fn dated_name(name: &str) -> Option<(&str, Option<&str>)> {
    let bytes = name.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|b| b.iter().all(u8::is_ascii_digit))
    };
    let two = |at: usize| name.get(at..at + 2).and_then(|d| d.parse::<u8>().ok());
    let date = digits(0..4)
        && bytes.get(4) == Some(&b'-')
        && matches!(two(5), Some(1..=12))
        && bytes.get(7) == Some(&b'-')
        && matches!(two(8), Some(1..=31))
        && digits(5..7)
        && digits(8..10);
    if !date {
        return None;
    }
    let rest = time_of_day(&name[10..]).unwrap_or(&name[10..]);
    let date = &name[..name.len() - rest.len()];
    let rest = rest.strip_prefix(char::is_whitespace).unwrap_or(rest);
    let slug = rest.strip_prefix(['-', '_']).filter(|r| !r.is_empty());
    Some((date, slug))
}

/// `T10:00:00Z` or `T10:00:00.5+02:00` taken off the front of `text`.
fn time_of_day(text: &str) -> Option<&str> {
    let is = |text: &str, pattern: &str| {
        text.len() >= pattern.len()
            && text.bytes().zip(pattern.bytes()).all(|(c, p)| {
                if p == b'9' {
                    c.is_ascii_digit()
                } else {
                    c == p
                }
            })
    };
    if !is(text, "T99:99:99") {
        return None;
    }
    let mut rest = &text[9..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &fraction[digits..];
    }
    if let Some(after) = rest.strip_prefix('Z') {
        return Some(after);
    }
    (is(rest, "+99:99") || is(rest, "-99:99")).then(|| &rest[6..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::frontmatter::{FrontMatter, parse, split};
    use time::macros::datetime;

    fn meta(toml: &str) -> FrontMatter {
        parse(&split(&format!("+++\n{toml}\n+++\n")).unwrap()).unwrap()
    }

    fn at(site: &ZolaSite, path: &str, meta: &FrontMatter) -> String {
        let file = OldFile {
            path,
            meta,
            title: "x",
            date: datetime!(2015-05-15 10:00 UTC),
        };
        address(site, &file)
    }

    #[test]
    fn folders_stay_as_named_and_the_page_name_is_slugified() {
        let site = ZolaSite::default();
        let m = meta("title = \"x\"");
        assert_eq!(
            at(&site, "Team Notes/Hello There.md", &m),
            "/Team%20Notes/hello-there/"
        );
        assert_eq!(
            at(&site, "blog/2021-08-09_Dated Name.md", &m),
            "/blog/dated-name/"
        );
        assert_eq!(
            at(&site, "blog/2024-04-02-bundle/index.md", &m),
            "/blog/bundle/"
        );
        assert_eq!(at(&site, "blog/plans.fr.md", &m), "/blog/plans-fr/");
        let path = meta("title = \"x\"\npath = \"2024/03/21/some-post\"");
        assert_eq!(at(&site, "blog/a.md", &path), "/2024/03/21/some-post/");
    }

    #[test]
    fn slugify_strategies_dates_kept_and_languages() {
        let site = ZolaSite {
            slugify: ZolaSlugify::Safe,
            keep_dates: true,
            default_language: "en".into(),
            languages: vec!["fr".into()],
        };
        let m = meta("title = \"x\"");
        assert_eq!(
            at(&site, "Notes/2022-05-01T08:30:00Z-timed.md", &m),
            "/Notes/2022-05-01T083000Z-timed/"
        );
        assert_eq!(
            at(&site, "Notes/Trip Report/index.md", &m),
            "/Notes/Trip%20Report/"
        );
        assert_eq!(at(&site, "Notes/plans.fr.md", &m), "/fr/Notes/plans/");
        assert_eq!(at(&site, "Notes/notes.en.md", &m), "/Notes/notes.en/");
        let off = ZolaSite {
            slugify: ZolaSlugify::Off,
            ..ZolaSite::default()
        };
        let slugged = meta("title = \"x\"\nslug = \"Why We Moved!\"");
        assert_eq!(
            at(&off, "posts/Why.We.Moved.md", &slugged),
            "/posts/Why%20We%20Moved!/"
        );
    }

    #[test]
    fn dated_names_as_zola_reads_them() {
        assert_eq!(
            dated_name("2021-08-09-name"),
            Some(("2021-08-09", Some("name")))
        );
        assert_eq!(
            dated_name("2021-08-09 _name"),
            Some(("2021-08-09", Some("name")))
        );
        assert_eq!(
            dated_name("2021-08-09T10:00:00.25+02:00-x"),
            Some(("2021-08-09T10:00:00.25+02:00", Some("x")))
        );
        assert_eq!(dated_name("2021-08-09"), Some(("2021-08-09", None)));
        assert_eq!(dated_name("2021-13-09-x"), None);
        assert_eq!(
            dated_name("2021-08-09T10:00-x"),
            Some(("2021-08-09", None)),
            "a time without seconds is no part of the date, nor a separator"
        );
    }
}
