//! Code highlighted once, at ingest: syntect turns a fenced block in a language it knows into
//! spans with `hl-` classes, which the stylesheet colours (light and dark) and the sanitiser lets
//! through by pattern only. A read sends what ingest made.

use std::sync::LazyLock;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, Tag, TagEnd};
use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

use super::cmark::escape;

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

/// Replaces each fenced code block in a language syntect knows with highlighted HTML: spans
/// with `hl-` classes (coloured by the stylesheet), so a read only sends what ingest made.
/// Other code blocks are left as they are.
pub(super) fn highlight_code(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let mut out = Vec::with_capacity(events.len());
    let mut events = events.into_iter();
    while let Some(event) = events.next() {
        let Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(language))) = &event else {
            out.push(event);
            continue;
        };
        let token = language
            .split([' ', ','])
            .next()
            .unwrap_or_default()
            .to_owned();
        let mut code = String::new();
        let mut inner = Vec::new();
        for next in events.by_ref() {
            if matches!(next, Event::End(TagEnd::CodeBlock)) {
                break;
            }
            if let Event::Text(text) = &next {
                code.push_str(text);
            }
            inner.push(next);
        }
        match SYNTAXES
            .find_syntax_by_token(&token)
            .and_then(|syntax| highlighted(syntax, &code))
        {
            Some(html) => {
                let mut block = String::from("<pre><code class=\"language-");
                escape(&mut block, &token);
                block.push_str("\">");
                block.push_str(&html);
                block.push_str("</code></pre>\n");
                out.push(Event::Html(CowStr::from(block)));
            }
            None => {
                out.push(event);
                out.extend(inner);
                out.push(Event::End(TagEnd::CodeBlock));
            }
        }
    }
    out
}

fn highlighted(syntax: &syntect::parsing::SyntaxReference, code: &str) -> Option<String> {
    let mut generator = ClassedHTMLGenerator::new_with_class_style(
        syntax,
        &SYNTAXES,
        ClassStyle::SpacedPrefixed { prefix: "hl-" },
    );
    for line in LinesWithEndings::from(code) {
        generator
            .parse_html_for_line_which_includes_newline(line)
            .ok()?;
    }
    Some(generator.finalize())
}
