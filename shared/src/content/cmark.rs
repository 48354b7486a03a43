//! The pulldown-cmark settings and event helpers that the Markdown renderer ([`super::markdown`])
//! shares with the passes it runs ([`super::highlight`], [`super::media`]): one parser
//! configuration, so a reference the publisher finds is the one the server renders; a link's
//! destination; HTML escaping.

use pulldown_cmark::{CowStr, Event, Options, Tag};

/// The extensions engineering posts use, for every parse of a post's Markdown.
pub(super) fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Whether a URL starts with a scheme (`https:`, `mailto:`, `javascript:`).
pub(super) fn has_scheme(url: &str) -> bool {
    url.split(['/', '?', '#'])
        .next()
        .is_some_and(|first| first.contains(':'))
}

/// A link's or an image's event with its destination replaced by `f`'s; any other as it is.
pub(super) fn map_destination<'e>(
    event: Event<'e>,
    f: impl FnOnce(CowStr<'e>) -> CowStr<'e>,
) -> Event<'e> {
    match event {
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: f(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: f(dest_url),
            title,
            id,
        }),
        other => other,
    }
}

/// Appends `text` to `html`, escaped for an attribute or text.
pub(super) fn escape(html: &mut String, text: &str) {
    // Writing to a String cannot fail.
    let _ = pulldown_cmark_escape::escape_html(html, text);
}
