//! The sanitiser every rendered HTML fragment goes through (ammonia): no script, no event
//! handler, no `javascript:` URL, and of classes and styles only those the blog itself writes.
//! It also makes every code block (`<pre>`) a keyboard stop, so that one wider than the page
//! scrolls with the arrow keys, not only with a mouse (WCAG 2.1.1).

use std::sync::LazyLock;

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .add_tag_attributes("span", ["class"])
        .add_tag_attributes("a", ["class", "aria-label"])
        .add_tag_attributes("code", ["class"])
        .add_tag_attributes("div", ["class", "id"])
        .add_tag_attributes("sup", ["class"])
        .add_tag_attributes("th", ["style"])
        .add_tag_attributes("td", ["style"])
        .add_tag_attributes("ol", ["start"])
        // Whatever the author wrote: tabindex is not among the attributes kept.
        .set_tag_attribute_value("pre", "tabindex", "0");
    for heading in ["h1", "h2", "h3", "h4", "h5", "h6"] {
        builder.add_tag_attributes(heading, ["id"]);
    }
    builder.attribute_filter(|element, attribute, value| {
        let keep = match (element, attribute) {
            ("span", "class") => {
                value == "task" || value == "task done" || is_highlight_class(value)
            }
            ("a", "class") => value == "anchor",
            // Code languages only: a class could otherwise restyle the page.
            ("code", "class") => is_language_class(value),
            ("div", "class") => value == "footnote-definition",
            ("sup", "class") => {
                value == "footnote-definition-label" || value == "footnote-reference"
            }
            // Table alignment only: no other inline style survives.
            ("th" | "td", "style") => {
                matches!(
                    value,
                    "text-align: left" | "text-align: center" | "text-align: right"
                )
            }
            _ => true,
        };
        keep.then(|| value.into())
    });
    builder
});

/// The classes syntax highlighting puts on spans: `hl-` and a scope name part, nothing else.
pub(super) fn is_highlight_class(value: &str) -> bool {
    value.split_whitespace().all(|class| {
        class.strip_prefix("hl-").is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'+'))
        })
    }) && !value.trim().is_empty()
}

fn is_language_class(value: &str) -> bool {
    value.strip_prefix("language-").is_some_and(|lang| {
        !lang.is_empty()
            && lang.len() <= 40
            && lang
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'#' | b'_' | b'.'))
    })
}

/// Elements whose end tag may be left out (HTML closes them at the next of their kind) or that
/// have none: they do not make the document deeper.
const CLOSED_BY_THE_PARSER: &[&str] = &[
    "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "option", "optgroup", "rt",
    "rp", "colgroup", "caption", "area", "base", "br", "col", "embed", "hr", "img", "input",
    "link", "meta", "source", "track", "wbr",
];

/// How deeply the elements of `html` nest, counted in one streaming pass (lol_html) before the
/// sanitiser builds a tree: building one is quadratic in its depth.
pub fn nesting_depth(html: &str) -> usize {
    use std::cell::Cell;
    use std::rc::Rc;
    let depth = Rc::new(Cell::new(0usize));
    let deepest = Rc::new(Cell::new(0usize));
    let (d, m) = (Rc::clone(&depth), Rc::clone(&deepest));
    let settings = lol_html::RewriteStrSettings::new().append_element_content_handler(
        lol_html::element!("*", move |element| {
            if CLOSED_BY_THE_PARSER.contains(&element.tag_name().as_str()) {
                return Ok(());
            }
            d.set(d.get() + 1);
            m.set(m.get().max(d.get()));
            let closed = Rc::clone(&d);
            if element.can_have_content() {
                let on_end: lol_html::EndTagHandler<'static> = Box::new(move |_| {
                    closed.set(closed.get().saturating_sub(1));
                    Ok(())
                });
                element.on_end_tag(on_end)?;
            } else {
                d.set(d.get().saturating_sub(1));
            }
            Ok(())
        }),
    );
    // Counting cannot fail; if the rewriter does, the document is no deeper than its length.
    match lol_html::rewrite_str(html, settings) {
        Ok(_) => deepest.get(),
        Err(_) => html.len(),
    }
}

/// Removes everything that could run script or restyle the page from `html`.
pub fn sanitize(html: &str) -> String {
    SANITIZER.clean(html).to_string()
}
