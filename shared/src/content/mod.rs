//! The write path's content: a Markdown file becomes a [`Post`], once, when it is published;
//! reads never render.
//!
//! - [`frontmatter`]: cut the file at `---`/`+++` and read the YAML or TOML into one shape.
//! - [`names`]: what the file's name and origin tell: date, slug, identity, old paths;
//!   [`permalinks`]: the addresses an imported post had on its Jekyll, Hugo or Zola site; both
//!   read the name itself with [`file_names`].
//! - [`markdown`]: the body to HTML (pulldown-cmark), with [`highlight`]ed code, an outline and
//!   the excerpt, references to stored files made their URLs ([`media`]); everything through
//!   [`sanitize`], because raw HTML in Markdown is an XSS vector. The parser's settings and
//!   the event helpers the three share are in `cmark.rs`.
//! - this module: validate the fields, apply the limits of [`crate::model`], build the post.

mod cmark;
mod error;
mod fields;
pub mod file_names;
pub mod frontmatter;
pub mod highlight;
pub mod markdown;
pub mod media;
pub mod names;
pub mod permalinks;
pub mod sanitize;

use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};
use xxhash_rust::xxh3::xxh3_128;

use crate::model::{
    Category, MAX_AUTHORS, MAX_CATEGORIES, MAX_EXCERPT_HTML_BYTES, MAX_NAME_CHARS, MAX_NESTING,
    MAX_REDIRECTS, MAX_TITLE_CHARS, MediaRef, Post, SHORTENED_EXCERPT_CHARS, Slug,
};
use crate::paths;
use permalinks::Generator;

pub use error::PostError;
pub use fields::text_only;
use fields::{authors, categories, limit, printable, tags};

/// Where a source file came from, when that tells what its front matter does not.
#[derive(Debug, Clone, Copy, Default)]
pub struct Origin<'a> {
    /// Its file name (`2018-09-19-my-post.md` gives a date and a slug).
    pub file_name: Option<&'a str>,
    /// Its path within the folder it was published from (`_posts/2015-05-15-Release-2.0.md`):
    /// with an `id:` in its front matter, what makes it the same post on every upload.
    pub source_path: Option<&'a str>,
    /// The category of a post that names none.
    pub default_category: Option<&'a str>,
    /// The generator of the site it is imported from: its categories and authors are read as
    /// that site read them, a slug not in canonical form is made canonical (its old form
    /// redirects), and a Jekyll file with no `old_paths` gets Jekyll's default permalink.
    pub import: Option<Generator>,
    /// The slug the importer gave it, over any other (a collision resolved: `survey-2019`).
    pub assigned_slug: Option<&'a Slug>,
    /// Every address it had on its old site, as the importer worked them out: when given,
    /// these are its old paths, its `aliases` among them (the importer decides which of two
    /// files declaring one alias keeps it).
    pub old_paths: Option<&'a [String]>,
    /// Where the post already lives (an update): its slug unless the front matter renames it.
    pub slug: Option<&'a Slug>,
    /// The files it references, as the publisher stored them: references to them become their
    /// URLs.
    pub media: &'a [MediaRef],
}

/// Parses, validates and renders one source file. `file_name` (like `2018-09-19-my-post.md`)
/// supplies a date and a slug that the front matter does not.
pub fn parse_post(source: &str, file_name: Option<&str>) -> Result<Post, PostError> {
    parse_post_from(
        source,
        &Origin {
            file_name,
            ..Origin::default()
        },
    )
}

/// [`parse_post`], with what the file's origin tells.
pub fn parse_post_from(source: &str, origin: &Origin<'_>) -> Result<Post, PostError> {
    let file_name = origin.file_name;
    let document = frontmatter::split(source)?;
    let meta = frontmatter::parse(&document)?;
    // Zola also writes `2021-08-09_name.md`.
    let separators: &[u8] = if origin.import == Some(Generator::Zola) {
        b"-_"
    } else {
        b"-"
    };
    let (file_date, file_slug) = match file_name.map(file_names::file_stem) {
        Some(stem) => match file_names::dated(stem, separators) {
            Some((date, rest)) => (Some(date), Some(rest)),
            None => (None, Some(stem)),
        },
        None => (None, None),
    };

    let title = meta
        .title
        .clone()
        .map(|t| t.trim().to_owned())
        .ok_or(PostError::MissingTitle)?;
    if title.is_empty() {
        return Err(PostError::Empty("title"));
    }
    limit(
        "title",
        title.chars().count(),
        MAX_TITLE_CHARS,
        "characters",
    )?;
    let published = match (&meta.date, file_date) {
        (Some(text), _) => parse_date("date", text)?,
        (None, Some(date)) => date.midnight().assume_utc(),
        (None, None) => return Err(PostError::MissingDate),
    };
    let updated = match &meta.updated {
        Some(text) => parse_date("updated", text)?,
        None => published,
    };
    // An imported slug in another form (`Release_2.0`) is made canonical; its old page redirects.
    let mut renamed_from = None;
    let slug = match (origin.assigned_slug, &meta.slug, origin.slug, file_slug) {
        (Some(assigned), ..) => Ok(assigned.clone()),
        (None, Some(slug), ..) => match (Slug::parse(slug.trim()), origin.import) {
            (Err(_), Some(_)) => Slug::from_text(slug).inspect(|_| {
                renamed_from = Some(paths::old_address(&format!(
                    "{}/{}",
                    paths::POSTS,
                    slug.trim()
                )));
            }),
            (parsed, _) => parsed,
        },
        (None, None, Some(current), _) => Ok(current.clone()),
        (None, None, None, Some(from_file)) => Slug::from_text(from_file),
        (None, None, None, None) => Slug::from_name(&title),
    }
    .map_err(|source| PostError::BadName {
        field: "slug",
        source,
    })?;

    let mut categories = categories(&meta, origin.import == Some(Generator::Jekyll))?;
    if categories.is_empty()
        && let Some(name) = origin.default_category
    {
        categories.push(
            Category::from_name(name).map_err(|source| PostError::BadName {
                field: "categories",
                source,
            })?,
        );
    }
    limit("categories", categories.len(), MAX_CATEGORIES, "entries")?;
    let mut aliases = names::old_paths(&meta, origin, &title, published, &slug)?;
    if let Some(old) = renamed_from {
        aliases.push(names::check_path("slug", &old)?);
    }
    aliases.sort();
    aliases.dedup();
    let old_paths = names::imported_paths(origin)?;
    let redirects = aliases.len() + old_paths.as_ref().map_or(0, Vec::len);
    limit("aliases", redirects, MAX_REDIRECTS, "entries")?;
    let tags = tags(&meta);
    let authors = authors(&meta, origin.import.is_some());
    limit("authors", authors.len(), MAX_AUTHORS, "entries")?;
    for author in &authors {
        Slug::from_name(author).map_err(|source| PostError::BadName {
            field: "authors",
            source,
        })?;
    }
    printable("title", &title)?;
    for (field, names) in [
        ("authors", &authors),
        ("tags", &tags),
        (
            "categories",
            &categories.iter().map(|c| c.name.clone()).collect(),
        ),
    ] {
        for name in names {
            printable(field, name)?;
            limit(field, name.chars().count(), MAX_NAME_CHARS, "characters")?;
        }
    }
    // Pasted terminal output carries control characters no page or feed can hold.
    let body = text_only(document.body);
    let summary = meta
        .summary
        .as_deref()
        .or(meta.description.as_deref())
        .filter(|s| !s.trim().is_empty())
        .map(text_only);
    for (field, text) in [("body", Some(&body)), ("summary", summary.as_ref())] {
        let depth = text.map_or(0, |t| markdown::nesting(t));
        if depth > MAX_NESTING {
            return Err(PostError::TooDeep {
                field,
                depth,
                limit: MAX_NESTING,
            });
        }
    }
    crate::model::media::check_post_media(origin.media)?;
    let rendered = markdown::render(&body, origin.media);
    let (excerpt_html, description) = match &summary {
        Some(summary) => (
            markdown::to_safe_html_with(summary, origin.media),
            markdown::plain_text(summary),
        ),
        None => (rendered.excerpt_html, rendered.excerpt_text),
    };
    let excerpt_html = bounded_excerpt(excerpt_html, &description);

    Ok(Post {
        slug,
        title,
        authors,
        published,
        updated,
        categories,
        tags,
        excerpt_html,
        description,
        source: source.to_owned(),
        body_html: rendered.body_html,
        toc: rendered.toc,
        reading_minutes: rendered.reading_minutes,
        content_hash: content_hash(source, origin),
        draft: meta.draft.unwrap_or(false),
        source_path: origin.source_path.map(str::to_owned),
        id: meta.id.as_ref().map(ToString::to_string),
        aliases,
        old_paths,
        moved_from: Vec::new(),
        media: origin.media.to_vec(),
        version: 0,
    })
}

/// The excerpt as listing rows carry it: as written, unless it is longer than
/// [`MAX_EXCERPT_HTML_BYTES`] (a `<!--more-->` placed late, a long first paragraph), then its
/// text shortened at a word to [`SHORTENED_EXCERPT_CHARS`], so a listing page reads a bounded
/// number of bytes whatever its posts' length.
fn bounded_excerpt(html: String, text: &str) -> String {
    if html.len() <= MAX_EXCERPT_HTML_BYTES {
        return html;
    }
    let cut = text
        .char_indices()
        .nth(SHORTENED_EXCERPT_CHARS)
        .map_or(text.len(), |(at, _)| at);
    let shortened = match text[..cut].rfind(char::is_whitespace) {
        Some(space) if cut < text.len() => &text[..space],
        _ => &text[..cut],
    };
    let mut excerpt = String::with_capacity(shortened.len() + 16);
    excerpt.push_str("<p>");
    pulldown_cmark_escape::escape_html(&mut excerpt, shortened.trim_end())
        .expect("writing to a String cannot fail");
    if cut < text.len() {
        excerpt.push('…');
    }
    excerpt.push_str("</p>\n");
    excerpt
}

/// The hash that tells an identical upload from a changed one: of the source and of whatever
/// else made the post (its file name and origin), so that a file imported with another
/// default category, slug or old address is a change.
pub fn content_hash(source: &str, origin: &Origin<'_>) -> String {
    let mut made_of = String::with_capacity(source.len() + 256);
    made_of.push_str(source);
    // Each fact on a line of its own after a separator no Markdown file holds.
    made_of.push('\0');
    for fact in [
        origin.file_name,
        origin.source_path,
        origin.default_category,
        origin.import.map(Generator::name),
        origin.assigned_slug.map(Slug::as_str),
    ] {
        made_of.push_str(fact.unwrap_or("-"));
        made_of.push('\n');
    }
    for old in origin.old_paths.unwrap_or_default() {
        made_of.push_str(old);
        made_of.push('\n');
    }
    // A changed image is a changed post: its URL, size and variants are in the page.
    for media in origin.media {
        for file in media.files() {
            made_of.push_str(&media.reference);
            made_of.push(' ');
            made_of.push_str(&paths::media_file(file));
            made_of.push('\n');
        }
    }
    format!("{:032x}", xxh3_128(made_of.as_bytes()))
}

/// Reads the date forms real blogs hold: RFC 3339, `2018-09-19 10:00:00 +0200` (Jekyll),
/// date and time without a zone (taken as UTC), or a bare date (midnight UTC).
pub fn parse_date(field: &'static str, text: &str) -> Result<OffsetDateTime, PostError> {
    let text = text.trim();
    let bad = || PostError::BadDate {
        field,
        value: text.to_owned(),
    };
    if let Ok(when) = OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339) {
        return Ok(when);
    }
    let with_zone = [
        format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"
        ),
        format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second] [offset_hour sign:mandatory]:[offset_minute]"
        ),
        format_description!(
            "[year]-[month]-[day] [hour]:[minute] [offset_hour sign:mandatory][offset_minute]"
        ),
        format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory][offset_minute]"
        ),
    ];
    for format in with_zone {
        if let Ok(when) = OffsetDateTime::parse(text, &format) {
            return Ok(when);
        }
    }
    let text_utc = text
        .strip_suffix(" UTC")
        .or_else(|| text.strip_suffix('Z'))
        .unwrap_or(text);
    let without_zone = [
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond]"),
        format_description!("[year]-[month]-[day] [hour]:[minute]"),
        format_description!("[year]-[month]-[day]T[hour]:[minute]"),
    ];
    for format in without_zone {
        if let Ok(when) = PrimitiveDateTime::parse(text_utc, &format) {
            return Ok(when.assume_offset(UtcOffset::UTC));
        }
    }
    Date::parse(text_utc, format_description!("[year]-[month]-[day]"))
        .map(|date| date.midnight().assume_utc())
        .map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const POST: &str = "---\ntitle: \"Inside a SoundCloud Microservice\"\ndate: 2017-07-28\nauthor: Matthias Käppler\ncategories: Microservices\ntags: [scala]\n---\nThe teaser.\n\nMore text.\n";

    #[test]
    fn a_post_takes_its_fields_from_front_matter() {
        let post = parse_post(POST, None).unwrap();
        assert_eq!(post.slug.as_str(), "inside-a-soundcloud-microservice");
        assert_eq!(post.authors, ["Matthias Käppler"]);
        assert_eq!(post.published, datetime!(2017-07-28 0:00 UTC));
        assert_eq!(
            post.categories,
            [Category::from_name("Microservices").unwrap()]
        );
        assert_eq!(post.excerpt_html, "<p>The teaser.</p>\n");
        assert!(!post.draft);
    }

    #[test]
    fn a_jekyll_file_name_gives_the_date_and_the_slug() {
        let post = parse_post(
            "---\ntitle: Hi\n---\nBody\n",
            Some("_posts/2016-07-27-sync-comms.md"),
        )
        .unwrap();
        assert_eq!(post.slug.as_str(), "sync-comms");
        assert_eq!(post.published, datetime!(2016-07-27 0:00 UTC));
    }

    #[test]
    fn dates_real_blogs_hold_are_read() {
        let cases = [
            ("2018-09-19", datetime!(2018-09-19 0:00 UTC)),
            ("2018-09-19T10:11:12Z", datetime!(2018-09-19 10:11:12 UTC)),
            (
                "2018-09-19T10:11:12+02:00",
                datetime!(2018-09-19 10:11:12 +2),
            ),
            (
                "2018-09-19 10:11:12 +0200",
                datetime!(2018-09-19 10:11:12 +2),
            ),
            ("2018-09-19 10:11:12", datetime!(2018-09-19 10:11:12 UTC)),
            ("2018-09-19 10:11", datetime!(2018-09-19 10:11 UTC)),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_date("date", text).unwrap(), expected, "{text}");
        }
        assert!(matches!(
            parse_date("date", "19/09/2018"),
            Err(PostError::BadDate { field: "date", .. })
        ));
    }

    #[test]
    fn missing_required_fields_are_named() {
        assert_eq!(
            parse_post("---\ndate: 2018-01-01\n---\n", None),
            Err(PostError::MissingTitle)
        );
        assert_eq!(
            parse_post("---\ntitle: x\n---\n", None),
            Err(PostError::MissingDate)
        );
        assert_eq!(
            parse_post("---\ntitle: \" \"\ndate: 2018-01-01\n---\n", None),
            Err(PostError::Empty("title"))
        );
        let err = parse_post(
            "---\ntitle: x\ndate: 2018-01-01\nslug: Not A Slug\n---\n",
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("`slug`"), "{err}");
    }

    #[test]
    fn a_summary_replaces_the_first_paragraph_as_excerpt() {
        let post = parse_post(
            "---\ntitle: x\ndate: 2018-01-01\nsummary: In *short*.\n---\nLong first paragraph.\n",
            None,
        )
        .unwrap();
        assert_eq!(post.excerpt_html, "<p>In <em>short</em>.</p>\n");
    }

    #[test]
    fn the_same_source_hashes_the_same() {
        assert_eq!(
            parse_post(POST, None).unwrap().content_hash,
            parse_post(POST, None).unwrap().content_hash
        );
        let plain = Origin::default();
        assert_ne!(
            content_hash(POST, &plain),
            content_hash(&POST.replace("teaser", "hook"), &plain)
        );
        let archived = Origin {
            default_category: Some("Archive"),
            ..Origin::default()
        };
        assert_ne!(content_hash(POST, &plain), content_hash(POST, &archived));
    }

    #[test]
    fn an_excerpt_too_long_for_a_listing_row_is_shortened_to_its_text_at_a_word() {
        let paragraph = "Queues & shards < scale. ".repeat(200);
        let post = parse_post(
            &format!("---\ntitle: Long teaser\ndate: 2020-01-01\n---\n{paragraph}\n\nMore.\n"),
            None,
        )
        .unwrap();
        assert!(
            post.excerpt_html.len() < MAX_EXCERPT_HTML_BYTES,
            "{}",
            post.excerpt_html
        );
        assert!(
            post.excerpt_html
                .starts_with("<p>Queues &amp; shards &lt; scale.")
        );
        // Cut at a word, never inside one.
        let kept = post.excerpt_html["<p>".len()..]
            .strip_suffix("…</p>\n")
            .unwrap()
            .replace("&lt;", "<")
            .replace("&amp;", "&");
        assert!(paragraph.starts_with(&format!("{kept} ")), "{kept}");
        // A short one stays as written, markup and all.
        let short = parse_post(
            "---\ntitle: T\ndate: 2020-01-01\n---\nThe *teaser*.\n",
            None,
        )
        .unwrap();
        assert_eq!(short.excerpt_html, "<p>The <em>teaser</em>.</p>\n");
    }
}
