//! A post's date, from wherever the old site took it: its front matter in the generator's
//! order, its file name, the page's own address (`path = "2024/03/21/name"`, `url:`, a
//! permalink with year, month and day), and, in a git checkout, the commit that added the file.

use std::fmt;
use std::path::Path;
use std::process::Command;

use blog_shared::content::file_names;
use serde_json::Value;

use super::Layout;
use super::site::zola;

/// Where a post's date came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateSource {
    /// A front matter field (`date`, or Hugo's `publishDate`).
    Field(String),
    /// The file name (`2018-09-19-name.md`).
    FileName,
    /// The page's address on the old site (`path`, `url`, `permalink`).
    Address(String),
    /// The git commit that added the file.
    Git(String),
}

impl fmt::Display for DateSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Field(field) => write!(f, "front matter `{field}`"),
            Self::FileName => f.write_str("the file name"),
            Self::Address(address) => write!(f, "its old address {address}"),
            Self::Git(commit) => write!(f, "git: the commit that added it ({commit})"),
        }
    }
}

/// Why no date was found, naming the ways to give one.
pub const NO_DATE: &str = "no date: give it a `date` in its front matter, a date in its file name (`2024-03-21-name.md`), or a date in its address (`path = \"2024/03/21/name\"`); in a git checkout the commit that added the file gives one";

/// The post's date and where it came from: `Ok(None)` when the front matter's `date` already
/// gives it, `Ok(Some((date, source)))` when the importer must write it into the front matter,
/// `Err` when nothing gives one. `config` is the site's: Hugo's `[frontmatter] date` list, when
/// set, is the order its fields and sources (`:filename`, `:git`, `:default`) are tried in.
pub fn find(
    meta: &Value,
    file: &Path,
    layout: Layout,
    config: &Value,
) -> Result<Option<(String, DateSource)>, &'static str> {
    // A field as the generator matches it (in any case), with its name as written.
    let field = |key: &str| {
        meta.as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .and_then(|(k, v)| as_text(v).map(|v| (k.clone(), v)))
    };
    let text = |key: &str| field(key).map(|(_, v)| v);
    let order: Vec<String> = match layout {
        Layout::Hugo => hugo_order(config),
        Layout::Jekyll | Layout::Zola => vec!["date".to_owned(), ":filename".to_owned()],
    };
    for source in &order {
        let found = match source.to_ascii_lowercase().as_str() {
            ":filename" => file_name_date(file, layout).map(|d| (d, DateSource::FileName)),
            ":git" => added_by_git(file).map(|(d, c)| (d, DateSource::Git(c))),
            ":filemodtime" => None,
            _ => field(source).map(|(name, d)| (d, DateSource::Field(name))),
        };
        match found {
            // The blog reads `date` itself; a `Date` is written in as `date`.
            Some((_, DateSource::Field(name))) if name == "date" => return Ok(None),
            Some(found) => return Ok(Some(found)),
            None => {}
        }
    }
    for key in ["path", "url", "permalink"] {
        if let Some(address) = text(key)
            && let Some(date) = date_in_address(&address)
        {
            return Ok(Some((date, DateSource::Address(address))));
        }
    }
    if !order.iter().any(|s| s == ":git")
        && let Some((date, commit)) = added_by_git(file)
    {
        return Ok(Some((date, DateSource::Git(commit))));
    }
    Err(NO_DATE)
}

/// Hugo's order for a page's date: its `[frontmatter] date` setting, `:default` standing for
/// `date`, `publishDate`, `pubdate`, `published`, `lastmod`, `modified`; then the file name.
fn hugo_order(config: &Value) -> Vec<String> {
    let default = [
        "date",
        "publishDate",
        "pubdate",
        "published",
        "lastmod",
        "modified",
    ];
    let configured: Option<Vec<String>> = config
        .as_object()
        .and_then(|o| {
            o.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("frontmatter"))
        })
        .and_then(|(_, v)| v.as_object())
        .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case("date")))
        .and_then(|(_, v)| v.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        });
    let mut order = Vec::new();
    for source in configured.unwrap_or_else(|| vec![":default".to_owned()]) {
        if source.eq_ignore_ascii_case(":default") {
            order.extend(default.iter().map(|s| (*s).to_owned()));
        } else {
            order.push(source);
        }
    }
    order.push(":filename".to_owned());
    order
}

/// The date a file's name (`2018-09-19-name.md`, Zola's `2018-09-19_name.md` and
/// `2022-05-01T08:30:00Z-name.md`) or its page bundle's folder gives.
fn file_name_date(file: &Path, layout: Layout) -> Option<String> {
    let stem = file
        .file_name()
        .and_then(|n| n.to_str())
        .map(file_names::file_stem)
        .unwrap_or_default();
    let stem = if matches!(stem, "index" | "_index") {
        file.parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or_default()
    } else {
        stem
    };
    if layout == Layout::Zola {
        return zola::dated_name(stem).map(|(date, _)| date.to_owned());
    }
    file_names::dated(stem, b"-_").map(|(date, _)| date.to_string())
}

/// Whether a date as front matter writes it names its offset (`+0000`, `-05:00`, `Z`): one
/// that does not is the old site's local time.
pub fn has_offset(date: &str) -> bool {
    let time_part = date.trim().get(10..).unwrap_or_default();
    time_part.contains(['+', 'Z', 'z']) || time_part.contains('-')
}

/// `date` (as front matter writes it) shown in `zone`: a date with an offset is the same
/// instant at the zone's offset; one without is the zone's wall clock. RFC 3339.
pub fn in_zone(date: &str, zone: &jiff::tz::TimeZone) -> Option<String> {
    let parsed = blog_shared::content::parse_date("date", date).ok()?;
    let offset_at = |seconds: i64| -> Option<time::UtcOffset> {
        let instant = jiff::Timestamp::from_second(seconds).ok()?;
        time::UtcOffset::from_whole_seconds(zone.to_offset(instant).seconds()).ok()
    };
    let local = if has_offset(date) {
        parsed.to_offset(offset_at(parsed.unix_timestamp())?)
    } else {
        // The wall clock as written, at the offset the zone had then.
        let wall = jiff::civil::DateTime::new(
            i16::try_from(parsed.year()).ok()?,
            i8::try_from(u8::from(parsed.month())).ok()?,
            i8::try_from(parsed.day()).ok()?,
            i8::try_from(parsed.hour()).ok()?,
            i8::try_from(parsed.minute()).ok()?,
            i8::try_from(parsed.second()).ok()?,
            0,
        )
        .ok()?;
        let zoned = wall.to_zoned(zone.clone()).ok()?;
        let offset = time::UtcOffset::from_whole_seconds(zoned.offset().seconds()).ok()?;
        parsed.replace_offset(offset)
    };
    local
        .format(&time::format_description::well_known::Rfc3339)
        .ok()
}

fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

/// The first `YYYY/MM/DD` of an address (`2024/03/21/some-post`), as `YYYY-MM-DD`.
fn date_in_address(address: &str) -> Option<String> {
    let parts: Vec<&str> = address.split('/').filter(|p| !p.is_empty()).collect();
    parts.windows(3).find_map(|w| {
        let [y, m, d] = [w[0], w[1], w[2]];
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
            return None;
        }
        let text = format!("{y}-{m}-{d}");
        time::Date::parse(
            &text,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .ok()
        .map(|_| text)
    })
}

/// When the commit that first added `file` was made, and its short hash, if `file` is in a git
/// checkout (and git is there to ask).
fn added_by_git(file: &Path) -> Option<(String, String)> {
    let dir = file.parent()?;
    let name = file.file_name()?;
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "log",
            "--diff-filter=A",
            "--follow",
            "--format=%aI %h",
            "--",
        ])
        .arg(name)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    // The oldest commit is listed last.
    let (date, commit) = text.lines().last()?.split_once(' ')?;
    Some((date.to_owned(), commit.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_date_comes_from_wherever_the_old_site_took_it() {
        let file = Path::new("/nonexistent/content/blog/some-post.md");
        let zola = json!({"title": "x", "path": "2024/03/21/some-post"});
        assert_eq!(
            find(&zola, file, Layout::Zola, &Value::Null),
            Ok(Some((
                "2024-03-21".to_owned(),
                DateSource::Address("2024/03/21/some-post".to_owned())
            )))
        );
        let hugo = json!({"title": "x", "publishDate": "2020-01-02T03:04:05Z"});
        assert_eq!(
            find(&hugo, file, Layout::Hugo, &Value::Null)
                .unwrap()
                .unwrap()
                .1,
            DateSource::Field("publishDate".to_owned())
        );
        assert_eq!(
            find(
                &json!({"date": "2020-01-01"}),
                file,
                Layout::Hugo,
                &Value::Null
            ),
            Ok(None)
        );
        let bundle = Path::new("/nonexistent/content/blog/2021-08-09_name/index.md");
        assert_eq!(
            find(&json!({}), bundle, Layout::Zola, &Value::Null)
                .unwrap()
                .unwrap(),
            ("2021-08-09".to_owned(), DateSource::FileName)
        );
        assert_eq!(
            find(
                &json!({"url": "/2024/13/01/x"}),
                file,
                Layout::Hugo,
                &Value::Null
            ),
            Err(NO_DATE)
        );
    }

    #[test]
    fn a_jekyll_date_is_shown_in_the_sites_zone() {
        let zone = jiff::tz::TimeZone::get("America/New_York").unwrap();
        assert_eq!(
            in_zone("2020-01-01 01:30:00 +0000", &zone).as_deref(),
            Some("2019-12-31T20:30:00-05:00")
        );
        assert_eq!(
            in_zone("2020-07-01 09:00", &zone).as_deref(),
            Some("2020-07-01T09:00:00-04:00")
        );
        assert_eq!(
            in_zone("2020-01-01", &zone).as_deref(),
            Some("2020-01-01T00:00:00-05:00")
        );
    }

    #[test]
    fn a_date_field_in_another_case_is_written_in_as_date() {
        let file = Path::new("/nonexistent/content/post/2020-01-01-x.md");
        assert_eq!(
            find(
                &json!({"Date": "2021-05-05"}),
                file,
                Layout::Hugo,
                &Value::Null
            ),
            Ok(Some((
                "2021-05-05".to_owned(),
                DateSource::Field("Date".to_owned())
            )))
        );
    }

    #[test]
    fn hugos_frontmatter_setting_orders_the_sources() {
        let file = Path::new("/nonexistent/content/post/2020-05-06-name.md");
        let meta = json!({"date": "2021-01-01", "publishDate": "2022-02-02"});
        let config = json!({"frontmatter": {"date": [":filename", ":default"]}});
        assert_eq!(
            find(&meta, file, Layout::Hugo, &config),
            Ok(Some(("2020-05-06".to_owned(), DateSource::FileName)))
        );
        let config = json!({"frontmatter": {"date": ["publishDate", ":default"]}});
        assert_eq!(
            find(&meta, file, Layout::Hugo, &config).unwrap().unwrap().1,
            DateSource::Field("publishDate".to_owned())
        );
        assert_eq!(find(&meta, file, Layout::Hugo, &Value::Null), Ok(None));
    }

    #[test]
    fn in_a_git_checkout_the_commit_that_added_the_file_gives_the_date() {
        let dir = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            let status = Command::new("git")
                .arg("-C")
                .arg(dir.path())
                .args(args)
                .env("GIT_AUTHOR_DATE", "2019-06-01T10:00:00+02:00")
                .env("GIT_COMMITTER_DATE", "2019-06-01T10:00:00+02:00")
                .status()
                .unwrap();
            assert!(status.success());
        };
        git(&["init", "-q"]);
        std::fs::write(dir.path().join("post.md"), "+++\ntitle = \"x\"\n+++\n").unwrap();
        git(&["add", "post.md"]);
        git(&[
            "-c",
            "user.name=A",
            "-c",
            "user.email=a@example.com",
            "commit",
            "-qm",
            "add",
        ]);
        let (date, source) = find(
            &json!({}),
            &dir.path().join("post.md"),
            Layout::Zola,
            &Value::Null,
        )
        .unwrap()
        .unwrap();
        assert_eq!(date, "2019-06-01T10:00:00+02:00");
        assert!(matches!(source, DateSource::Git(_)), "{source:?}");
    }
}
