//! The files a post references, and its HTML pointed at them once they are stored.
//!
//! The publisher finds references with [`references`]; the server renders with the same
//! parser, so a reference is the same string on both sides: a Markdown image or link's
//! destination as pulldown-cmark reads it, or a raw `<img src>`/`<a href>` as written.
//! Rendering then swaps each for its file's URL ([`Media::substitute`], before sanitising) and,
//! once sanitised, gives every stored image its size, its loading (lazy, but for a body's first
//! image) and its variants ([`Media::finish`]).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use pulldown_cmark::{CowStr, Event, Tag, TagEnd};

use super::cmark::{escape, has_scheme, map_destination, options};
use crate::model::{MediaFile, MediaRef};
use crate::paths;

/// One local reference in a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The URL as written.
    pub url: String,
    /// Whether it is an image (`![](…)`, `<img src>`), not a link.
    pub image: bool,
}

/// The `sizes` of every image: the page's column holds 42rem of content inside 1rem of padding
/// each side (`base.html`), so the whole screen less 2rem below 44rem.
const SIZES: &str = "(max-width: 44rem) calc(100vw - 2rem), 42rem";

/// Whether a URL names a file of the site rather than another site, a fragment or a scheme.
pub fn is_local(url: &str) -> bool {
    let url = url.trim();
    !(url.is_empty() || has_scheme(url) || url.starts_with("//") || url.starts_with(['#', '?']))
}

/// Every local reference in a Markdown body, in order, each once: images and links (Markdown
/// or raw HTML). Which links name files rather than pages is the publisher's to decide.
pub fn references(markdown: &str) -> Vec<Reference> {
    let found = Rc::new(RefCell::new(Vec::<Reference>::new()));
    let events = merge_html_blocks(pulldown_cmark::Parser::new_ext(markdown, options()));
    for event in events {
        match event {
            Event::Start(Tag::Image { dest_url, .. }) => found.borrow_mut().push(Reference {
                url: dest_url.to_string(),
                image: true,
            }),
            Event::Start(Tag::Link { dest_url, .. }) => found.borrow_mut().push(Reference {
                url: dest_url.to_string(),
                image: false,
            }),
            Event::Html(html) | Event::InlineHtml(html) => {
                let sink = Rc::clone(&found);
                rewrite_raw(&html, move |image, url| {
                    sink.borrow_mut().push(Reference {
                        url: url.to_owned(),
                        image,
                    });
                    None
                });
            }
            _ => {}
        }
    }
    let mut all = found.take();
    all.retain(|r| is_local(&r.url));
    let mut seen = std::collections::HashSet::new();
    all.retain(|r| seen.insert((r.url.clone(), r.image)));
    all
}

/// `markdown` with each local reference that `new` gives another URL for (Markdown images and
/// links, reference definitions, raw `<img src>`/`<a href>`) written as that URL, the rest of
/// the text byte for byte as it was. A destination written otherwise than it reads (with
/// escapes) is left as it is.
pub fn rewrite_references(markdown: &str, new: impl Fn(&str) -> Option<String>) -> String {
    let parser = pulldown_cmark::Parser::new_ext(markdown, options());
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut edit = |from: usize, url: &str, within: &str| {
        if let Some(replacement) = is_local(url).then(|| new(url)).flatten()
            && let Some(at) = within.find(url)
        {
            edits.push((from + at, from + at + url.len(), replacement));
        }
    };
    for (_, definition) in parser.reference_definitions().iter() {
        let span = definition.span.clone();
        // The destination follows the label's `]:`.
        let after = markdown[span.clone()].find("]:").map_or(0, |at| at + 2);
        edit(
            span.start + after,
            &definition.dest,
            &markdown[span.start + after..span.end],
        );
    }
    for (event, range) in parser.into_offset_iter() {
        match event {
            Event::Start(Tag::Image { dest_url, .. } | Tag::Link { dest_url, .. }) => {
                // An inline destination follows the last `](` (a reference link has none here).
                let text = &markdown[range.clone()];
                if let Some(at) = text.rfind("](") {
                    edit(range.start + at + 2, &dest_url, &text[at + 2..]);
                }
            }
            Event::Html(html) | Event::InlineHtml(html) => {
                let urls = RefCell::new(Vec::new());
                rewrite_raw(&html, |_, url| {
                    urls.borrow_mut().push(url.to_owned());
                    None
                });
                let text = &markdown[range.clone()];
                for url in urls.take() {
                    for (attribute, quote) in
                        [("src", '"'), ("src", '\''), ("href", '"'), ("href", '\'')]
                    {
                        let written = format!("{attribute}={quote}{url}{quote}");
                        for (at, _) in text.match_indices(&written) {
                            let from = at + attribute.len() + 2;
                            edit(range.start + from, &url, &text[from..]);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    edits.sort_by_key(|(start, _, _)| *start);
    let mut out = String::with_capacity(markdown.len());
    let mut done = 0;
    for (start, end, replacement) in edits {
        // The same destination seen twice (an image inside a link) is replaced once.
        if start < done {
            continue;
        }
        out.push_str(&markdown[done..start]);
        out.push_str(&replacement);
        done = end;
    }
    out.push_str(&markdown[done..]);
    out
}

/// The events of some Markdown with each HTML block as one `Html` event: pulldown-cmark gives
/// one per line, and a tag (`<img\n  src="x.png">`) or a comment can span lines. The HTML
/// written is the same.
pub(super) fn merge_html_blocks<'a>(events: impl Iterator<Item = Event<'a>>) -> Vec<Event<'a>> {
    let mut out = Vec::new();
    let mut block: Option<String> = None;
    for event in events {
        match (event, &mut block) {
            (Event::Start(Tag::HtmlBlock), None) => {
                out.push(Event::Start(Tag::HtmlBlock));
                block = Some(String::new());
            }
            (Event::Html(html), Some(text)) => text.push_str(&html),
            (Event::End(TagEnd::HtmlBlock), Some(_)) => {
                if let Some(text) = block.take() {
                    out.push(Event::Html(CowStr::from(text)));
                }
                out.push(Event::End(TagEnd::HtmlBlock));
            }
            (other, _) => out.push(other),
        }
    }
    if let Some(text) = block {
        out.push(Event::Html(CowStr::from(text)));
    }
    out
}

/// Runs `each` over the `src` of every `<img>` and the `href` of every `<a>` in a fragment of
/// raw HTML, replacing the value with what it returns.
fn rewrite_raw(html: &str, each: impl Fn(bool, &str) -> Option<String>) -> String {
    let each = Rc::new(each);
    let (for_images, for_links) = (Rc::clone(&each), each);
    let settings = lol_html::RewriteStrSettings::new()
        .append_element_content_handler(lol_html::element!("img[src]", move |element| {
            if let Some(url) = element.get_attribute("src")
                && let Some(new) = for_images(true, &url)
            {
                element.set_attribute("src", &new)?;
            }
            Ok(())
        }))
        .append_element_content_handler(lol_html::element!("a[href]", move |element| {
            if let Some(url) = element.get_attribute("href")
                && let Some(new) = for_links(false, &url)
            {
                element.set_attribute("href", &new)?;
            }
            Ok(())
        }));
    lol_html::rewrite_str(html, settings).unwrap_or_else(|_| html.to_owned())
}

/// A post's stored files, looked up by the reference that names them and by their URL.
#[derive(Debug, Default)]
pub struct Media<'a> {
    by_reference: HashMap<&'a str, &'a MediaRef>,
    by_path: HashMap<String, &'a MediaRef>,
}

impl<'a> Media<'a> {
    /// The files of a post.
    pub fn new(media: &'a [MediaRef]) -> Self {
        Self {
            by_reference: media.iter().map(|m| (m.reference.as_str(), m)).collect(),
            by_path: media
                .iter()
                .map(|m| (paths::media_file(&m.file), m))
                .collect(),
        }
    }

    /// Whether the post has none.
    pub fn is_empty(&self) -> bool {
        self.by_reference.is_empty()
    }

    /// The stored file's URL for a reference, keeping what follows the path (`#page=3`).
    fn path_of(&self, reference: &str) -> Option<String> {
        self.by_reference.get(reference).map(|m| {
            let suffix = reference.find(['?', '#']).map_or("", |at| &reference[at..]);
            format!("{}{suffix}", paths::media_file(&m.file))
        })
    }

    /// A Markdown event with each reference to a stored file made that file's URL.
    pub fn substitute<'e>(&self, event: Event<'e>) -> Event<'e> {
        if self.is_empty() {
            return event;
        }
        match event {
            Event::Html(html) => Event::Html(self.substitute_raw(html)),
            Event::InlineHtml(html) => Event::InlineHtml(self.substitute_raw(html)),
            other => map_destination(other, |url| self.path_of(&url).map_or(url, CowStr::from)),
        }
    }

    fn substitute_raw<'e>(&self, html: CowStr<'e>) -> CowStr<'e> {
        let names_one = self.by_reference.keys().any(|r| html.contains(r));
        if !names_one {
            return html;
        }
        CowStr::from(rewrite_raw(&html, |_, url| self.path_of(url)))
    }

    /// Sanitised HTML with every stored image given its width and height (no layout shift),
    /// lazy loading, and its variants: `srcset` over those of its own type, and a `<picture>`
    /// offering the WebP ones first. With `first_image_eager` (a post's body), the first image
    /// loads at once and before the others: it is usually what the reader sees first.
    pub fn finish(&self, html: String, first_image_eager: bool) -> String {
        if self.is_empty() {
            return html;
        }
        let mut eager = first_image_eager;
        let settings = lol_html::RewriteStrSettings::new().append_element_content_handler(
            lol_html::element!("img[src]", |element| {
                // The first image, stored or not: a later one is never the first thing seen.
                let first = std::mem::take(&mut eager);
                let Some(media) = element
                    .get_attribute("src")
                    .and_then(|src| self.by_path.get(&src).copied())
                else {
                    return Ok(());
                };
                let file = &media.file;
                // The file's size, so nothing shifts as it loads; an author's own width or height
                // stands, the other made to keep the image's proportions.
                if let (Some(width), Some(height)) = (file.width, file.height) {
                    let given = |name| {
                        element
                            .get_attribute(name)
                            .and_then(|v| v.trim().parse::<u64>().ok())
                            .filter(|v| *v > 0)
                    };
                    let (w, h) = (u64::from(width), u64::from(height));
                    let (w, h) = match (given("width"), given("height")) {
                        (Some(gw), Some(gh)) => (gw, gh),
                        (Some(gw), None) => (gw, (gw * h + w / 2) / w),
                        (None, Some(gh)) => ((gh * w + h / 2) / h, gh),
                        (None, None) => (w, h),
                    };
                    element.set_attribute("width", &w.max(1).to_string())?;
                    element.set_attribute("height", &h.max(1).to_string())?;
                }
                if element.get_attribute("alt").is_none() {
                    element.set_attribute("alt", "")?;
                }
                if first {
                    element.set_attribute("loading", "eager")?;
                    element.set_attribute("fetchpriority", "high")?;
                } else {
                    element.set_attribute("loading", "lazy")?;
                }
                element.set_attribute("decoding", "async")?;
                let own: Vec<&MediaFile> = media
                    .files()
                    .filter(|f| f.media_type == file.media_type && f.width.is_some())
                    .collect();
                if own.len() > 1 {
                    element.set_attribute("srcset", &srcset(&own))?;
                    element.set_attribute("sizes", SIZES)?;
                    // Browsers without srcset get the widest variant, not a camera original.
                    if let Some(widest) = media
                        .variants
                        .iter()
                        .filter(|f| f.media_type == file.media_type)
                        .max_by_key(|f| f.width)
                    {
                        element.set_attribute("src", &paths::media_file(widest))?;
                    }
                }
                let webp: Vec<&MediaFile> = media
                    .variants
                    .iter()
                    .filter(|f| f.media_type == "image/webp" && file.media_type != "image/webp")
                    .collect();
                // A browser that takes WebP picks from the `<source>` alone: offer it only when
                // it has every width the image has, or wide screens would get a narrow copy.
                let covers = |f: &&MediaFile| webp.iter().any(|w| w.width == f.width);
                if !webp.is_empty() && own.iter().all(covers) {
                    let mut source = String::from("<picture><source type=\"image/webp\" srcset=\"");
                    escape(&mut source, &srcset(&webp));
                    source.push_str("\" sizes=\"");
                    source.push_str(SIZES);
                    source.push_str("\">");
                    element.before(&source, lol_html::html_content::ContentType::Html);
                    element.after("</picture>", lol_html::html_content::ContentType::Html);
                }
                Ok(())
            }),
        );
        lol_html::rewrite_str(&html, settings).unwrap_or(html)
    }
}

/// `url 480w, url 960w, …` over files that know their width.
fn srcset(files: &[&MediaFile]) -> String {
    let mut sorted: Vec<&&MediaFile> = files.iter().collect();
    sorted.sort_by_key(|f| f.width);
    sorted
        .iter()
        .filter_map(|f| f.width.map(|w| format!("{} {w}w", paths::media_file(f))))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_rewritten_where_they_are_written_and_nothing_else() {
        let md = "![a](../../../images/x.png \"../../../images/x.png\") [b][d] [c](other.md)\n\n\
                  [![i](../../../images/x.png)](../../../images/x.png)\n\n\
                  <img src=\"../../../images/x.png\" alt='../../../images/x.png'>\n\n\
                  `../../../images/x.png`\n\n[d]: ../../../images/x.png\n";
        let out = rewrite_references(md, |url| {
            (url == "../../../images/x.png").then(|| "../images/x.png".to_owned())
        });
        assert_eq!(
            out,
            "![a](../images/x.png \"../../../images/x.png\") [b][d] [c](other.md)\n\n\
             [![i](../images/x.png)](../images/x.png)\n\n\
             <img src=\"../images/x.png\" alt='../../../images/x.png'>\n\n\
             `../../../images/x.png`\n\n[d]: ../images/x.png\n"
        );
        assert_eq!(rewrite_references(md, |_| None), md);
    }

    #[test]
    fn references_are_found_in_markdown_and_raw_html_alike() {
        let md = "![Arch](diagram.png \"t\")\n\n[slides](../files/talk.pdf) [remote](https://x.example/a.png) [top](#top) [mail](mailto:a@b.c)\n\n<img src=\"/images/raw.gif\" alt=\"r\">\n\nInline <a href=\"archive.tar.gz\">tarball</a> and ![again](diagram.png).\n";
        let found = references(md);
        let urls: Vec<(&str, bool)> = found.iter().map(|r| (r.url.as_str(), r.image)).collect();
        assert_eq!(
            urls,
            [
                ("diagram.png", true),
                ("../files/talk.pdf", false),
                ("/images/raw.gif", true),
                ("archive.tar.gz", false),
            ]
        );
    }
}
