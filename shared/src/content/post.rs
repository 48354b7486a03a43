//! A source file becomes a post in named steps, so that each caller runs only the ones it
//! needs: [`read_post`] reads and checks every fact of the post (the publisher's whole need
//! before upload), and [`ReadPost::render`] renders its body and excerpt (the server's last
//! step). [`parse_post_from`] runs both.

use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};
use xxhash_rust::xxh3::xxh3_128;

use super::fields::{authors, categories, limit, printable, tags, text_only};
use super::frontmatter::{self, FrontMatter};
use super::origin::Origin;
use super::permalinks::Generator;
use super::{PostError, file_names, markdown, names};
use crate::model::{
    Category, Identity, MAX_AUTHORS, MAX_CATEGORIES, MAX_EXCERPT_HTML_BYTES, MAX_NAME_CHARS,
    MAX_NESTING, MAX_REDIRECTS, MAX_TITLE_CHARS, MediaRef, Post, SHORTENED_EXCERPT_CHARS, Slug,
};
use crate::paths;

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

/// [`parse_post`], with what the file's origin tells: [`read_post`], then
/// [`ReadPost::render`].
pub fn parse_post_from(source: &str, origin: &Origin<'_>) -> Result<Post, PostError> {
    read_post(source, origin)?.render()
}

/// A post read and checked, all but rendered: every fact the post will have but its HTML. The
/// publisher needs no more than this of a file before upload (its slug, identity, dates, names
/// and old addresses); the server renders it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadPost {
    /// Its slug.
    pub slug: Slug,
    /// Its title.
    pub title: String,
    /// Its authors.
    pub authors: Vec<String>,
    /// When it appears.
    pub published: OffsetDateTime,
    /// When it last changed.
    pub updated: OffsetDateTime,
    /// Its categories.
    pub categories: Vec<Category>,
    /// Its tags.
    pub tags: Vec<String>,
    /// Its own old addresses (`aliases`, a slug made canonical).
    pub aliases: Vec<String>,
    /// Its old site's addresses, as an import worked them out.
    pub old_paths: Option<Vec<String>>,
    /// Whether it is a draft.
    pub draft: bool,
    /// Its front matter's `id`.
    pub id: Option<String>,
    /// The file it was published from, within the folder published.
    pub source_path: Option<String>,
    /// What tells an identical upload from a changed one ([`content_hash`]).
    pub content_hash: String,
    source: String,
    /// The body, cleaned of what no page can hold.
    body: String,
    /// The front matter's summary (or description), cleaned likewise.
    summary: Option<String>,
    media: Vec<MediaRef>,
}

/// Reads and checks one source file, every step but rendering: its front matter and name
/// ([`file_facts`]), title, dates, slug, categories, old addresses, people and tags, then that
/// every name prints and the texts are not nested past the limit. Refusals come in that order.
pub fn read_post(source: &str, origin: &Origin<'_>) -> Result<ReadPost, PostError> {
    let document = frontmatter::split(source)?;
    let meta = frontmatter::parse(&document)?;
    let (file_date, file_slug) = file_facts(origin);
    let title = title(&meta)?;
    let (published, updated) = dates(&meta, file_date)?;
    let (slug, renamed_from) = slug(&meta, origin, file_slug, &title)?;
    let categories = listed_in(&meta, origin)?;
    let (aliases, old_paths) =
        old_addresses(&meta, origin, &title, published, &slug, renamed_from)?;
    let tags = tags(&meta);
    let authors = authors(&meta);
    check_names(&title, &authors, &tags, &categories)?;
    let (body, summary) = texts(document.body, &meta)?;
    Ok(ReadPost {
        slug,
        title,
        authors,
        published,
        updated,
        categories,
        tags,
        aliases,
        old_paths,
        draft: meta.draft.unwrap_or(false),
        id: meta.id.as_ref().map(ToString::to_string),
        source_path: origin.source_path.map(str::to_owned),
        content_hash: content_hash(source, origin),
        source: source.to_owned(),
        body,
        summary,
        media: origin.media.to_vec(),
    })
}

impl ReadPost {
    /// What makes it the same post on every upload.
    pub fn identity(&self) -> Identity {
        Identity {
            id: self.id.clone(),
            source_path: self.source_path.clone(),
        }
    }

    /// The last step: its files checked as described, its body and excerpt rendered (with
    /// references to its files made their URLs), and the post built.
    pub fn render(self) -> Result<Post, PostError> {
        crate::model::media::check_post_media(&self.media)?;
        let rendered = markdown::render(&self.body, &self.media);
        let (excerpt_html, description) = match &self.summary {
            Some(summary) => (
                markdown::to_safe_html_with(summary, &self.media),
                markdown::plain_text(summary),
            ),
            None => (rendered.excerpt_html, rendered.excerpt_text),
        };
        let excerpt_html = bounded_excerpt(excerpt_html, &description);
        Ok(Post {
            slug: self.slug,
            title: self.title,
            authors: self.authors,
            published: self.published,
            updated: self.updated,
            categories: self.categories,
            tags: self.tags,
            excerpt_html,
            description,
            source: self.source,
            body_html: rendered.body_html,
            toc: rendered.toc,
            reading_minutes: rendered.reading_minutes,
            content_hash: self.content_hash,
            draft: self.draft,
            source_path: self.source_path,
            id: self.id,
            aliases: self.aliases,
            old_paths: self.old_paths,
            moved_from: Vec::new(),
            media: self.media,
            version: 0,
        })
    }
}

/// What the file's name tells: a date and a slug (`2018-09-19-my-post.md`; Zola also writes
/// `2021-08-09_name.md`), or a slug alone.
fn file_facts<'a>(origin: &Origin<'a>) -> (Option<Date>, Option<&'a str>) {
    let separators: &[u8] = if origin.import == Some(Generator::Zola) {
        b"-_"
    } else {
        b"-"
    };
    match origin.file_name.map(file_names::file_stem) {
        Some(stem) => match file_names::dated(stem, separators) {
            Some((date, rest)) => (Some(date), Some(rest)),
            None => (None, Some(stem)),
        },
        None => (None, None),
    }
}

/// The title: required, not blank, within the limit.
fn title(meta: &FrontMatter) -> Result<String, PostError> {
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
    Ok(title)
}

/// When it appears (the front matter's date, else the file name's) and when it last changed.
fn dates(
    meta: &FrontMatter,
    file_date: Option<Date>,
) -> Result<(OffsetDateTime, OffsetDateTime), PostError> {
    let published = match (&meta.date, file_date) {
        (Some(text), _) => parse_date("date", text)?,
        (None, Some(date)) => date.midnight().assume_utc(),
        (None, None) => return Err(PostError::MissingDate),
    };
    let updated = match &meta.updated {
        Some(text) => parse_date("updated", text)?,
        None => published,
    };
    Ok((published, updated))
}

/// The slug, first found of: the importer's, the front matter's, the post's own (an update),
/// the file name's, the title's; and, for an imported slug made canonical (`Release_2.0`), the
/// old page it leaves behind.
fn slug(
    meta: &FrontMatter,
    origin: &Origin<'_>,
    file_slug: Option<&str>,
    title: &str,
) -> Result<(Slug, Option<String>), PostError> {
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
        (None, None, None, None) => Slug::from_name(title),
    }
    .map_err(|source| PostError::BadName {
        field: "slug",
        source,
    })?;
    Ok((slug, renamed_from))
}

/// The categories it is listed in (the default one when it names none), within the limit.
fn listed_in(meta: &FrontMatter, origin: &Origin<'_>) -> Result<Vec<Category>, PostError> {
    let mut categories = categories(meta, origin.import == Some(Generator::Jekyll))?;
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
    Ok(categories)
}

/// Its own old addresses (aliases, a slug made canonical) and its old site's, within the limit.
fn old_addresses(
    meta: &FrontMatter,
    origin: &Origin<'_>,
    title: &str,
    published: OffsetDateTime,
    slug: &Slug,
    renamed_from: Option<String>,
) -> Result<(Vec<String>, Option<Vec<String>>), PostError> {
    let mut aliases = names::old_paths(meta, origin, title, published, slug)?;
    if let Some(old) = renamed_from {
        aliases.push(names::check_path("slug", &old)?);
    }
    aliases.sort();
    aliases.dedup();
    let old_paths = names::imported_paths(origin)?;
    let redirects = aliases.len() + old_paths.as_ref().map_or(0, Vec::len);
    limit("aliases", redirects, MAX_REDIRECTS, "entries")?;
    Ok((aliases, old_paths))
}

/// Every name a page shows: authors within their limit and each a slug of its own, and every
/// name printable and within its length.
fn check_names(
    title: &str,
    authors: &[String],
    tags: &[String],
    categories: &[Category],
) -> Result<(), PostError> {
    limit("authors", authors.len(), MAX_AUTHORS, "entries")?;
    for author in authors {
        Slug::from_name(author).map_err(|source| PostError::BadName {
            field: "authors",
            source,
        })?;
    }
    printable("title", title)?;
    let category_names: Vec<String> = categories.iter().map(|c| c.name.clone()).collect();
    for (field, names) in [
        ("authors", authors),
        ("tags", tags),
        ("categories", category_names.as_slice()),
    ] {
        for name in names {
            printable(field, name)?;
            limit(field, name.chars().count(), MAX_NAME_CHARS, "characters")?;
        }
    }
    Ok(())
}

/// The body and the summary, cleaned of the control characters pasted terminal output carries
/// (no page or feed can hold them), each nested no deeper than the limit.
fn texts(body: &str, meta: &FrontMatter) -> Result<(String, Option<String>), PostError> {
    let body = text_only(body);
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
    Ok((body, summary))
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
