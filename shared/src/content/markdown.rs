//! Markdown to safe HTML: pulldown-cmark with the extensions engineering posts use, code
//! highlighted ([`super::highlight`]), heading ids for anchors and a table of contents, the
//! excerpt and the reading time; then [`super::sanitize`].

use std::collections::{HashMap, HashSet};

use pulldown_cmark::{CowStr, Event, Parser, Tag, TagEnd};

use super::cmark::{escape, has_scheme, map_destination, options};
use super::highlight::highlight_code;
use super::media::Media;
use super::sanitize::sanitize;
use crate::model::MediaRef;
use crate::model::TocEntry;
use crate::paths;

/// The marker an author puts after the teaser paragraphs; Hugo and WordPress write it without
/// the spaces (`<!--more-->`), and either spelling counts ([`is_more_marker`]).
pub const MORE_MARKER: &str = "<!-- more -->";

/// Whether a line is the teaser marker, in any spacing: `<!-- more -->`, `<!--more-->`.
fn is_more_marker(line: &str) -> bool {
    line.trim()
        .strip_prefix("<!--")
        .and_then(|rest| rest.strip_suffix("-->"))
        .is_some_and(|inner| inner.trim() == "more")
}

/// Markdown rendered once, at ingest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The whole body, sanitised.
    pub body_html: String,
    /// The teaser: what comes before `<!-- more -->`, else the first paragraph. Sanitised.
    pub excerpt_html: String,
    /// The teaser as plain text, for `<meta name="description">` and link previews.
    pub excerpt_text: String,
    /// The headings, in order.
    pub toc: Vec<TocEntry>,
    /// How long the post takes to read.
    pub reading_minutes: u32,
}

/// The longest plain-text description kept, in characters (search engines show about 155).
pub const DESCRIPTION_CHARS: usize = 200;

/// Renders a post's Markdown body and takes its excerpt; references to `media` become the
/// stored files' URLs.
pub fn render(markdown: &str, media: &[MediaRef]) -> Rendered {
    let media = Media::new(media);
    let (body_html, toc) = to_safe_html_with_outline(markdown, &media, true);
    let (excerpt_html, excerpt_text) = match split_at_more(markdown) {
        Some(teaser) => (
            to_safe_html_with_outline(teaser, &media, false).0,
            plain_text(teaser),
        ),
        None => first_paragraph(markdown, &media),
    };
    Rendered {
        body_html,
        excerpt_html,
        excerpt_text,
        toc,
        reading_minutes: reading_minutes(markdown),
    }
}

/// How deeply the HTML some Markdown makes nests (block quotes, lists, raw HTML elements).
pub fn nesting(markdown: &str) -> usize {
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, Parser::new_ext(markdown, options()));
    super::sanitize::nesting_depth(&html)
}

/// The words of some Markdown, without markup, cut at a word to [`DESCRIPTION_CHARS`].
pub fn plain_text(markdown: &str) -> String {
    text_of(Parser::new_ext(markdown, options()))
}

fn text_of<'a>(events: impl IntoIterator<Item = Event<'a>>) -> String {
    let mut text = String::new();
    for event in events {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            // Breaks and the ends of blocks separate words; the ends of inline tags do not.
            Event::SoftBreak
            | Event::HardBreak
            | Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::BlockQuote(_)
                | TagEnd::TableCell,
            ) => text.push(' '),
            _ => {}
        }
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = String::new();
    for word in words {
        if out.chars().count() + word.chars().count() + 1 > DESCRIPTION_CHARS {
            out.push('…');
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Renders Markdown to sanitised HTML, with an id on every heading.
pub fn to_safe_html(markdown: &str) -> String {
    to_safe_html_with(markdown, &[])
}

/// [`to_safe_html`], with references to `media` made the stored files' URLs (every image lazily
/// loaded: this is no post's body).
pub fn to_safe_html_with(markdown: &str, media: &[MediaRef]) -> String {
    to_safe_html_with_outline(markdown, &Media::new(media), false).0
}

/// [`to_safe_html_with`], and the headings for a table of contents; a post's body
/// (`first_image_eager`) loads its first image at once.
fn to_safe_html_with_outline(
    markdown: &str,
    media: &Media<'_>,
    first_image_eager: bool,
) -> (String, Vec<TocEntry>) {
    let events = highlight_code(
        super::media::merge_html_blocks(Parser::new_ext(markdown, options()))
            .into_iter()
            .map(task_box)
            .map(|event| media.substitute(event))
            .map(root_relative)
            .collect(),
    );
    let (events, toc) = outline(events);
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    (media.finish(sanitize(&html), first_image_eager), toc)
}

/// A relative link or image (`other-post`, `diagram.png`) resolved against the post's own URL,
/// `/posts/{slug}`, so that it means the same on a listing page and can be made absolute in a
/// feed. Absolute URLs, root-relative paths, fragments and queries are left alone.
fn root_relative(event: Event<'_>) -> Event<'_> {
    map_destination(event, |url| {
        if url.is_empty() || has_scheme(&url) || url.starts_with(['/', '#', '?']) {
            url
        } else {
            CowStr::from(format!("{}/{url}", paths::POSTS))
        }
    })
}

/// A task list's box as a character, not a form control: allowing `<input>` through the
/// sanitiser would let raw HTML put text fields and buttons on the page.
fn task_box(event: Event<'_>) -> Event<'_> {
    match event {
        Event::TaskListMarker(true) => {
            Event::Html(CowStr::Borrowed("<span class=\"task done\">☑</span> "))
        }
        Event::TaskListMarker(false) => {
            Event::Html(CowStr::Borrowed("<span class=\"task\">☐</span> "))
        }
        other => other,
    }
}

/// The text before a line holding only `<!-- more -->`, if there is one.
fn split_at_more(markdown: &str) -> Option<&str> {
    let mut offset = 0;
    for line in markdown.split_inclusive('\n') {
        if is_more_marker(line) {
            return Some(&markdown[..offset]);
        }
        offset += line.len();
    }
    None
}

/// The first top-level paragraph, rendered and sanitised; empty if there is none.
fn first_paragraph(markdown: &str, media: &Media<'_>) -> (String, String) {
    let mut depth = 0usize;
    let mut paragraph = Vec::new();
    for event in Parser::new_ext(markdown, options())
        .map(|event| media.substitute(event))
        .map(root_relative)
    {
        match &event {
            Event::Start(Tag::Paragraph) if depth == 0 => paragraph.push(event),
            Event::End(TagEnd::Paragraph) if depth == 0 && !paragraph.is_empty() => {
                paragraph.push(event);
                break;
            }
            Event::Start(_) if paragraph.is_empty() => depth += 1,
            Event::End(_) if paragraph.is_empty() => depth = depth.saturating_sub(1),
            _ if !paragraph.is_empty() => paragraph.push(event),
            _ => {}
        }
    }
    let text = text_of(paragraph.iter().cloned());
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, paragraph.into_iter());
    (media.finish(sanitize(&html), false), text)
}

/// Gives each heading an id (its own `{#id}`, else one made from its text, unique in the post)
/// and a `#` link to itself, so sections can be linked to; returns the headings in order.
/// One pass, whatever the headings: each base id remembers the next suffix to try, so a post
/// of thousands of identical headings costs no more per heading than a post of one.
fn outline(events: Vec<Event<'_>>) -> (Vec<Event<'_>>, Vec<TocEntry>) {
    let mut taken: HashSet<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Start(Tag::Heading { id: Some(id), .. }) => Some(id.to_string()),
            _ => None,
        })
        .collect();
    let mut next_suffix: HashMap<String, usize> = HashMap::new();
    let mut toc = Vec::new();
    let mut out = Vec::with_capacity(events.len() + events.len() / 8);
    // The heading being read: its index in `out`, level, explicit id and text so far.
    let mut open: Option<(usize, u8, Option<String>, String)> = None;
    for event in events {
        match (&event, &mut open) {
            (Event::Start(Tag::Heading { level, id, .. }), None) => {
                open = Some((
                    out.len(),
                    *level as u8,
                    id.as_ref().map(ToString::to_string),
                    String::new(),
                ));
                out.push(event);
            }
            (Event::End(TagEnd::Heading(_)), Some(_)) => {
                let Some((at, level, explicit, title)) = open.take() else {
                    unreachable!("matched Some above")
                };
                let id =
                    explicit.unwrap_or_else(|| unique_id(&title, &mut taken, &mut next_suffix));
                if let Event::Start(Tag::Heading { id: slot, .. }) = &mut out[at] {
                    *slot = Some(CowStr::from(id.clone()));
                }
                // The id went through slugify or is the author's `{#id}`; both are escaped here.
                let mut anchor = String::from(" <a class=\"anchor\" href=\"#");
                escape(&mut anchor, &id);
                anchor.push_str("\" aria-label=\"Link to this section\">#</a>");
                out.push(Event::InlineHtml(CowStr::from(anchor)));
                out.push(event);
                toc.push(TocEntry { level, id, title });
            }
            (Event::Text(t) | Event::Code(t), Some((.., title))) => {
                title.push_str(t);
                out.push(event);
            }
            _ => out.push(event),
        }
    }
    (out, toc)
}

/// An id made from a heading's text, not yet taken in the post: `why-we-moved`, then
/// `why-we-moved-1`, `-2`…
fn unique_id(
    title: &str,
    taken: &mut HashSet<String>,
    next_suffix: &mut HashMap<String, usize>,
) -> String {
    let base = match slug::slugify(title) {
        s if s.is_empty() => "section".to_owned(),
        s => s,
    };
    if taken.insert(base.clone()) {
        return base;
    }
    let n = next_suffix.entry(base.clone()).or_insert(1);
    loop {
        let candidate = format!("{base}-{n}");
        *n += 1;
        if taken.insert(candidate.clone()) {
            return candidate;
        }
    }
}

/// Minutes a reader takes over `markdown`, at 230 words a minute; at least one.
fn reading_minutes(markdown: &str) -> u32 {
    let mut words = 0usize;
    for event in Parser::new_ext(markdown, options()) {
        if let Event::Text(t) | Event::Code(t) = event {
            words += t.split_whitespace().count();
        }
    }
    u32::try_from(words.div_ceil(230).max(1)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::media::references;
    use crate::model::MediaFile;

    #[test]
    fn the_extensions_engineering_posts_use_render() {
        let md = "| a | b |\n|---|:-:|\n| 1 | 2 |\n\n~~old~~\n\n- [x] done\n\nNote[^1].\n\n[^1]: A footnote.\n\n```rust\nfn main() {}\n```\n";
        let html = to_safe_html(md);
        assert!(html.contains("<table>"), "{html}");
        assert!(
            html.contains(r#"<th style="text-align: center">b</th>"#),
            "{html}"
        );
        assert!(html.contains("<del>old</del>"), "{html}");
        assert!(
            html.contains(r#"<li><span class="task done">☑</span> done</li>"#),
            "{html}"
        );
        assert!(html.contains(r##"href="#1""##), "{html}");
        assert!(html.contains(r#"<code class="language-rust">"#), "{html}");
    }

    #[test]
    fn headings_get_unique_ids() {
        let html = to_safe_html("## Why we moved\n\n## Why we moved\n\n## Custom {#mine}\n");
        assert!(html.contains(r#"<h2 id="why-we-moved">"#), "{html}");
        assert!(html.contains(r#"<h2 id="why-we-moved-1">"#), "{html}");
        assert!(html.contains(r#"<h2 id="mine">"#), "{html}");
    }

    #[test]
    fn raw_html_cannot_run_script() {
        let md = "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))\n\n<input type=text name=q>\n\n<code class=\"evil\">x</code>\n";
        let html = to_safe_html(md);
        for bad in ["<script", "onerror", "javascript:", "type=\"text\"", "evil"] {
            assert!(!html.contains(bad), "{bad} survived in {html}");
        }
    }

    #[test]
    fn the_more_marker_counts_in_hugo_and_wordpress_spelling_too() {
        for marker in ["<!-- more -->", "<!--more-->", "  <!--  more -->  "] {
            let rendered = render(&format!("First.\n\nSecond.\n\n{marker}\n\nRest.\n"), &[]);
            assert_eq!(
                rendered.excerpt_html, "<p>First.</p>\n<p>Second.</p>\n",
                "{marker}"
            );
        }
        assert_eq!(
            render(
                "First.\n\nSecond.\n\n<!-- more than this -->\n\nRest.\n",
                &[]
            )
            .excerpt_html,
            "<p>First.</p>\n"
        );
    }

    #[test]
    fn the_excerpt_is_the_text_before_more() {
        let rendered = render("First.\n\nSecond.\n\n<!-- more -->\n\nThird.\n", &[]);
        assert_eq!(rendered.excerpt_html, "<p>First.</p>\n<p>Second.</p>\n");
        assert!(rendered.body_html.contains("Third."));
        assert!(
            !rendered.body_html.contains("more"),
            "the marker is a comment and is dropped"
        );
    }

    #[test]
    fn without_more_the_excerpt_is_the_first_paragraph() {
        let rendered = render(
            "## A heading\n\n> quoted\n\nThe *first* paragraph.\n\nThe second.\n",
            &[],
        );
        assert_eq!(
            rendered.excerpt_html,
            "<p>The <em>first</em> paragraph.</p>\n"
        );
        assert_eq!(render("```\ncode only\n```\n", &[]).excerpt_html, "");
        assert_eq!(rendered.excerpt_text, "The first paragraph.");
    }

    #[test]
    fn plain_text_drops_markup_and_stops_at_a_word() {
        assert_eq!(
            plain_text("A **bold** `move` and <b>html</b>.\n\nNext."),
            "A bold move and html. Next."
        );
        let long = plain_text(&"word ".repeat(100));
        assert!(
            long.ends_with('…') && long.chars().count() <= DESCRIPTION_CHARS + 1,
            "{long}"
        );
    }

    #[test]
    fn headings_link_to_themselves_and_make_a_table_of_contents() {
        let rendered = render(
            "Intro.\n\n## One\n\nText.\n\n### One, deeper\n\n## Two {#custom}\n",
            &[],
        );
        assert!(rendered.body_html.contains(r##"<a class="anchor" href="#one" aria-label="Link to this section" rel="noopener noreferrer">#</a>"##), "{}", rendered.body_html);
        let toc: Vec<(u8, &str, &str)> = rendered
            .toc
            .iter()
            .map(|h| (h.level, h.id.as_str(), h.title.as_str()))
            .collect();
        assert_eq!(
            toc,
            [
                (2, "one", "One"),
                (3, "one-deeper", "One, deeper"),
                (2, "custom", "Two")
            ]
        );
    }

    #[test]
    fn reading_time_is_words_over_230_a_minute() {
        assert_eq!(render("Short.", &[]).reading_minutes, 1);
        assert_eq!(render(&"word ".repeat(231), &[]).reading_minutes, 2);
        assert_eq!(render(&"word ".repeat(2300), &[]).reading_minutes, 10);
    }

    #[test]
    fn fenced_code_in_a_known_language_is_highlighted_at_ingest() {
        let html = to_safe_html("```rust\nfn main() { let x = \"<script>\"; } // hi\n```\n");
        assert!(
            html.starts_with(
                r#"<pre tabindex="0"><code class="language-rust"><span class="hl-source hl-rust">"#
            ),
            "{html}"
        );
        assert!(
            html.contains(r#"<span class="hl-storage hl-type hl-function hl-rust">fn</span>"#),
            "{html}"
        );
        assert!(html.contains("&lt;script&gt;"), "code stays text: {html}");
        assert!(!html.contains("<script"), "{html}");
        let plain = to_safe_html("```klingon\nqaStaH nuq\n```\n");
        assert_eq!(
            plain,
            "<pre tabindex=\"0\"><code class=\"language-klingon\">qaStaH nuq\n</code></pre>\n"
        );
        let forged = to_safe_html("<span class=\"hl-x evil\">x</span>");
        assert!(!forged.contains("evil"), "{forged}");
    }

    #[test]
    fn every_code_block_is_a_keyboard_stop_so_a_wide_one_scrolls_without_a_mouse() {
        // Given code fenced in a known language, in an unknown one, indented, and raw HTML that
        // tries to take its block out of the keyboard order or to jump the queue
        let markdown = "```rust\nfn main() {}\n```\n\n```klingon\nqaStaH nuq\n```\n\n    indented\n\n\
                        <pre tabindex=\"-1\">raw</pre>\n\n<pre tabindex=\"5\">first</pre>\n";

        // When it is rendered
        let html = to_safe_html(markdown);

        // Then every block is in the page's Tab order, in reading order, and nothing else is
        assert_eq!(html.matches("<pre").count(), 5, "{html}");
        assert_eq!(html.matches(r#"<pre tabindex="0">"#).count(), 5, "{html}");
        assert_eq!(html.matches("tabindex").count(), 5, "{html}");
    }

    #[test]
    fn relative_links_resolve_against_the_post_url() {
        let html = to_safe_html(
            "[a](other-post) [b](/about) [c](https://x.example/y) [d](#top) ![e](pic.png)",
        );
        for expected in [
            r#"href="/posts/other-post""#,
            r#"href="/about""#,
            r#"href="https://x.example/y""#,
            r##"href="#top""##,
            r#"src="/posts/pic.png""#,
        ] {
            assert!(html.contains(expected), "{expected} in {html}");
        }
    }

    fn file(name: &str, media_type: &str, width: u32) -> MediaFile {
        MediaFile {
            sha256: format!("{:064x}", width),
            name: name.to_owned(),
            media_type: media_type.to_owned(),
            size: 1000,
            width: Some(width),
            height: Some(width / 2),
        }
    }

    #[test]
    fn stored_images_get_their_size_variants_and_lazy_loading() {
        let media = [MediaRef {
            reference: "diagram.png".to_owned(),
            site_path: "posts/diagram.png".to_owned(),
            file: file("diagram.png", "image/png", 2000),
            variants: vec![
                file("diagram-480w.png", "image/png", 480),
                file("diagram-960w.png", "image/png", 960),
                file("diagram-480w.webp", "image/webp", 480),
                file("diagram-960w.webp", "image/webp", 960),
                file("diagram.webp", "image/webp", 2000),
            ],
        }];
        let html = to_safe_html_with("![Arch](diagram.png)\n", &media);
        let original = paths::media_file(&media[0].file);
        let wide = paths::media_file(&media[0].variants[1]);
        assert!(html.contains(&format!("src=\"{wide}\"")), "{html}");
        assert!(html.contains("width=\"2000\" height=\"1000\""), "{html}");
        // No post's body (a summary): even its first image waits until it is scrolled to.
        assert!(
            html.contains("loading=\"lazy\" decoding=\"async\""),
            "{html}"
        );
        assert!(!html.contains("fetchpriority"), "{html}");
        assert!(
            html.contains(&format!("960w, {original} 2000w\"")),
            "{html}"
        );
        assert!(
            html.contains("<picture><source type=\"image/webp\""),
            "{html}"
        );
        assert!(html.contains("alt=\"Arch\""), "{html}");
        // WebP at some widths only: a browser taking WebP would see those alone, so none.
        let mut partial = media.clone();
        partial[0]
            .variants
            .retain(|f| f.width != Some(2000) || f.media_type != "image/webp");
        let html = to_safe_html_with("![Arch](diagram.png)\n", &partial);
        assert!(!html.contains("<picture>"), "{html}");
        assert!(html.contains("srcset="), "{html}");
    }

    /// The loading of each `<img>` in `html`, in order: `loading/fetchpriority`, each empty
    /// when absent.
    fn loading_of_each_image(html: &str) -> Vec<String> {
        html.split("<img ")
            .skip(1)
            .map(|tag| {
                let tag = &tag[..tag.find('>').unwrap()];
                let attribute = |name: &str| {
                    tag.split_once(&format!(" {name}=\""))
                        .map(|(_, rest)| rest[..rest.find('"').unwrap()].to_owned())
                        .unwrap_or_default()
                };
                format!("{}/{}", attribute("loading"), attribute("fetchpriority"))
            })
            .collect()
    }

    #[test]
    fn a_post_s_first_image_loads_at_once_and_the_rest_when_scrolled_to() {
        // Given a post whose body shows three stored images, the first in its first paragraph
        let media: Vec<MediaRef> = ["first.png", "second.png", "third.png"]
            .iter()
            .enumerate()
            .map(|(n, name)| MediaRef {
                reference: (*name).to_owned(),
                site_path: format!("posts/{name}"),
                file: file(name, "image/png", 400 + n as u32),
                variants: vec![],
            })
            .collect();
        let markdown = "![First](first.png) opens the post.\n\n## Later\n\n![Second](second.png)\n\n\
                        <p><img src=\"third.png\" alt=\"Third\" loading=\"eager\"></p>\n";

        // When it is rendered
        let rendered = render(markdown, &media);

        // Then the body's first image loads at once and first, every other one lazily, even one
        // whose author asked otherwise
        assert_eq!(
            loading_of_each_image(&rendered.body_html),
            ["eager/high", "lazy/", "lazy/"],
            "{}",
            rendered.body_html
        );
        // and the excerpt, which listings show ten at a time, loads its image lazily
        assert_eq!(
            loading_of_each_image(&rendered.excerpt_html),
            ["lazy/"],
            "{}",
            rendered.excerpt_html
        );
        // An image from another site first: it is the first image, so no stored one is eager
        let rendered = render(
            "![Remote](https://x.example/a.png)\n\n![First](first.png)\n",
            &media,
        );
        assert_eq!(
            loading_of_each_image(&rendered.body_html),
            ["/", "lazy/"],
            "{}",
            rendered.body_html
        );
    }

    #[test]
    fn html_blocks_are_read_whole_and_comments_stay_comments() {
        let md = "<figure>\n  <img\n    src=\"wide.png\"\n    alt=\"Wide\">\n</figure>\n\n<!--\n<img src=\"old.png\">\n-->\n\n[deck](talk.pdf#page=3)\n";
        let found: Vec<String> = references(md).into_iter().map(|r| r.url).collect();
        assert_eq!(found, ["wide.png", "talk.pdf#page=3"]);
        let media = [
            MediaRef {
                reference: "wide.png".to_owned(),
                site_path: "wide.png".to_owned(),
                file: file("wide.png", "image/png", 300),
                variants: vec![],
            },
            MediaRef {
                reference: "talk.pdf#page=3".to_owned(),
                site_path: "talk.pdf".to_owned(),
                file: file("talk.pdf", "application/pdf", 1),
                variants: vec![],
            },
        ];
        let html = to_safe_html_with(md, &media);
        assert!(
            html.contains(&format!("src=\"{}\"", paths::media_file(&media[0].file))),
            "{html}"
        );
        assert!(html.contains("width=\"300\" height=\"150\""), "{html}");
        assert!(
            html.contains(&format!(
                "href=\"{}#page=3\"",
                paths::media_file(&media[1].file)
            )),
            "{html}"
        );
        // An author's own size stands.
        let sized = to_safe_html_with("<img src=\"wide.png\" width=\"120\" alt=\"w\">\n", &media);
        assert!(
            sized.contains("width=\"120\" alt=\"w\" height=\"60\""),
            "the author's width stands, the height keeps the proportions: {sized}"
        );
    }

    #[test]
    fn raw_html_references_become_stored_urls_and_script_stays_out() {
        let media = [MediaRef {
            reference: "talk.pdf".to_owned(),
            site_path: "talk.pdf".to_owned(),
            file: file("talk.pdf", "application/pdf", 1),
            variants: vec![],
        }];
        let html = to_safe_html_with(
            "<a href=\"talk.pdf\" onclick=\"x()\">slides</a> <img src=\"talk.pdf\" onerror=\"x()\">\n",
            &media,
        );
        let path = paths::media_file(&media[0].file);
        assert!(html.contains(&format!("href=\"{path}\"")), "{html}");
        assert!(
            !html.contains("onclick") && !html.contains("onerror"),
            "{html}"
        );
    }
}
