//! Links between posts, rewritten to the posts' new URLs: Zola's `@/inside/other.md#section`,
//! and plain links to any address an imported post had on the old site (absolute, with the
//! site's base URL, or relative to the page's old address). A link the blog cannot serve (the
//! old site's other pages) stays as written and is counted; links to files are left to the
//! file preparation, which uploads them.

use std::collections::HashMap;
use std::ops::Range;

use blog_shared::paths;
use pulldown_cmark::{Event, LinkType, Options, Parser, Tag};

/// What the links of one post lead to.
pub struct Targets<'a> {
    /// Every old address of every imported post (in the form `paths::old_address` gives) to
    /// the URL of its post on the blog.
    pub by_address: &'a HashMap<String, String>,
    /// Every imported post's source file, from the content folder (`blog/other.md`), to its
    /// post's URL: what Zola's `@/` links name.
    pub by_source: &'a HashMap<String, String>,
    /// The page's address on the old site, which relative links are resolved against.
    pub page: Option<&'a str>,
    /// The old site's own base URLs (`https://example.com`, `https://example.com/blog`).
    pub bases: &'a [String],
}

/// A body with its links to posts rewritten.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rewritten {
    /// The body.
    pub body: String,
    /// How many links now lead to a post's new URL.
    pub rewritten: usize,
    /// The links to the old site's pages that no imported post had, kept as written.
    pub kept: Vec<String>,
}

/// `body` with every link to an imported post leading to its new URL.
pub fn rewrite(body: &str, targets: &Targets<'_>) -> Rewritten {
    let mut edits: Vec<(Range<usize>, String)> = Vec::new();
    let mut kept = Vec::new();
    // `opener` is what comes right before the destination in the source: `](` for an inline
    // link, `]:` for a reference definition; an autolink (`<https://…>`) is its destination.
    let mut consider = |dest: &str,
                        span: Range<usize>,
                        opener: Option<&str>,
                        edits: &mut Vec<(Range<usize>, String)>| {
        match target(dest, targets) {
            Target::Post(url) => match opener {
                Some(opener) => {
                    if let Some(at) = destination_at(&body[span.clone()], opener, dest) {
                        let start = span.start + at;
                        edits.push((start..start + dest.len(), url));
                    }
                }
                // The address stays the link's text; the link leads to the post.
                None => edits.push((span, format!("[{}]({url})", dest.replace(['[', ']'], "")))),
            },
            Target::OldPage => kept.push(dest.to_owned()),
            Target::Elsewhere => {}
        }
    };
    let parser = Parser::new_ext(body, Options::all());
    let mut offsets = parser.into_offset_iter();
    for (event, span) in offsets.by_ref() {
        if let Event::Start(Tag::Link {
            link_type,
            dest_url,
            ..
        }) = event
        {
            match link_type {
                LinkType::Inline => consider(&dest_url, span, Some("]("), &mut edits),
                LinkType::Autolink => consider(&dest_url, span, None, &mut edits),
                // A reference link's destination is its definition's, rewritten below.
                _ => {}
            }
        }
    }
    for (_, definition) in offsets.reference_definitions().iter() {
        consider(
            &definition.dest,
            definition.span.clone(),
            Some("]:"),
            &mut edits,
        );
    }
    edits.sort_by_key(|(range, _)| range.start);
    edits.dedup_by_key(|(range, _)| range.start);
    let mut out = String::with_capacity(body.len());
    let mut at = 0;
    for (range, url) in &edits {
        if range.start < at {
            continue;
        }
        out.push_str(&body[at..range.start]);
        out.push_str(url);
        at = range.end;
    }
    out.push_str(&body[at..]);
    kept.sort();
    kept.dedup();
    Rewritten {
        body: out,
        rewritten: edits.len(),
        kept,
    }
}

/// Where `dest` is written in a link's source `text`: right after `opener` (and any spaces or
/// a `<`), never in the link's text or title.
fn destination_at(text: &str, opener: &str, dest: &str) -> Option<usize> {
    text.match_indices(opener).find_map(|(at, _)| {
        let after = at + opener.len();
        let rest = &text[after..];
        let skipped = rest.len() - rest.trim_start_matches([' ', '\t', '\n', '<']).len();
        text[after + skipped..]
            .starts_with(dest)
            .then_some(after + skipped)
    })
}

enum Target {
    /// An imported post: its new URL, with the link's `#fragment`.
    Post(String),
    /// A page of the old site that is no imported post.
    OldPage,
    /// Another site, a file, an anchor on the page itself.
    Elsewhere,
}

fn target(dest: &str, targets: &Targets<'_>) -> Target {
    let (path, fragment) = match dest.split_once('#') {
        Some((path, fragment)) => (path, Some(fragment)),
        None => (dest, None),
    };
    let with_fragment = |url: &String| match fragment {
        Some(f) => format!("{url}#{f}"),
        None => url.clone(),
    };
    if let Some(source) = path.strip_prefix("@/") {
        let source = percent_encoding::percent_decode_str(source).decode_utf8_lossy();
        return targets
            .by_source
            .get(source.as_ref())
            .map_or(Target::OldPage, |url| Target::Post(with_fragment(url)));
    }
    let path = path.split('?').next().unwrap_or_default();
    let local = targets
        .bases
        .iter()
        .find_map(|base| path.strip_prefix(base.trim_end_matches('/')))
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
        .map(|rest| if rest.is_empty() { "/" } else { rest });
    let absolute = match local {
        Some(rest) => rest.to_owned(),
        None if path.is_empty() || path.contains(':') || path.starts_with("//") => {
            return Target::Elsewhere;
        }
        None if path.starts_with('/') => path.to_owned(),
        None => match targets.page {
            Some(page) => super::resolve(page, path),
            None => return Target::Elsewhere,
        },
    };
    let address = paths::old_address(&absolute);
    let found = targets.by_address.get(&address).or_else(|| {
        // A directory-style address written without its `/`, or the other way round.
        let other = match address.strip_suffix('/') {
            Some(bare) => bare.to_owned(),
            None => format!("{address}/"),
        };
        targets.by_address.get(&other)
    });
    match found {
        Some(url) => Target::Post(with_fragment(url)),
        None if is_file(&absolute) => Target::Elsewhere,
        None => Target::OldPage,
    }
}

/// Whether `path` names a file (an image, a PDF) rather than a page.
fn is_file(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or_default();
    last.rsplit_once('.').is_some_and(|(_, ext)| {
        !matches!(ext.to_ascii_lowercase().as_str(), "html" | "htm" | "php")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(body: &str) -> Rewritten {
        let by_address: HashMap<String, String> = [
            ("/2016/03/01/first-claim/", "/posts/first-claim"),
            ("/2016/03/01/first-claim", "/posts/first-claim"),
            ("/blog/caf%C3%A9/", "/posts/cafe"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
        let by_source: HashMap<String, String> = [("inside/other-post.md", "/posts/other-post")]
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect();
        rewrite(
            body,
            &Targets {
                by_address: &by_address,
                by_source: &by_source,
                page: Some("/2016/04/01/this-one/"),
                bases: &["https://example.com/".to_owned()],
            },
        )
    }

    #[test]
    fn links_to_imported_posts_lead_to_their_new_urls() {
        let out = rewritten(
            "See [one](/2016/03/01/first-claim/#why), [two](https://example.com/2016/03/01/first-claim), \
             [three](../../../03/01/first-claim/), [zola](@/inside/other-post.md#section) and [ref][r].\n\n\
             [r]: /blog/café/\n",
        );
        assert_eq!(
            out.body,
            "See [one](/posts/first-claim#why), [two](/posts/first-claim), \
             [three](/posts/first-claim), [zola](/posts/other-post#section) and [ref][r].\n\n\
             [r]: /posts/cafe\n"
        );
        assert_eq!(out.rewritten, 5);
        assert!(out.kept.is_empty());
    }

    #[test]
    fn only_the_destination_is_rewritten_and_autolinks_stay_links() {
        let out = rewritten(
            "[x](/2016/03/01/first-claim/ \"see /2016/03/01/first-claim/\") and \
             <https://example.com/2016/03/01/first-claim/> and [/2016/03/01/first-claim/].\n\n\
             [/2016/03/01/first-claim/]: /2016/03/01/first-claim/\n",
        );
        assert_eq!(
            out.body,
            "[x](/posts/first-claim \"see /2016/03/01/first-claim/\") and \
             [https://example.com/2016/03/01/first-claim/](/posts/first-claim) and [/2016/03/01/first-claim/].\n\n\
             [/2016/03/01/first-claim/]: /posts/first-claim\n"
        );
        assert_eq!(out.rewritten, 3);
    }

    #[test]
    fn other_links_stay_as_written_and_old_pages_are_counted() {
        let body = "[about](/about/), [gone](@/missing.md), [web](https://rust-lang.org/), \
                    [file](/files/a.pdf), [here](#top), `[code](/2016/03/01/first-claim/)`\n";
        let out = rewritten(body);
        assert_eq!(out.body, body);
        assert_eq!(out.kept, ["/about/", "@/missing.md"]);
    }
}
