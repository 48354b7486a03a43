//! Zola's shortcodes in a post's body: each is the site's own template, so none is known; each
//! is removed from what readers see (a body one keeps its inner text) and named.

use super::Replaced;

/// Zola's shortcodes (`{{ name(args) }}`, `{% name(args) %}…{% end %}`): each is the site's
/// own template, so none is known; each is removed (a body one keeps its inner text) and named.
pub fn zola(body: &str) -> Replaced {
    let mut out = Replaced::default();
    let mut text = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = zola_open(rest) {
        text.push_str(&rest[..start.0]);
        let close = if start.1 { "%}" } else { "}}" };
        let after = &rest[start.0 + 2..];
        let Some(end) = after.find(close) else {
            text.push_str(&rest[start.0..]);
            rest = "";
            break;
        };
        let inside = after[..end].trim();
        rest = &after[end + 2..];
        if let Some(shown) = inside.strip_prefix("/*").and_then(|s| s.strip_suffix("*/")) {
            let (open, close) = if start.1 { ("{%", "%}") } else { ("{{", "}}") };
            text.push_str(&format!("{open} {} {close}", shown.trim()));
            continue;
        }
        let name = inside
            .split('(')
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        *out.unknown.entry(name).or_default() += 1;
        if start.1 {
            // A body shortcode: its inner text stays, up to `{% end %}`.
            let mut from = 0;
            while let Some(at) = rest[from..].find("{%") {
                let at = from + at;
                if let Some(stop) = rest[at + 2..].find("%}")
                    && rest[at + 2..at + 2 + stop].trim() == "end"
                {
                    text.push_str(&rest[..at]);
                    rest = &rest[at + 2 + stop + 2..];
                    break;
                }
                from = at + 2;
            }
        }
    }
    text.push_str(rest);
    out.body = text;
    out
}

/// Where the next Zola shortcode starts (`{{ name(` or `{% name(`, or an escaped `{{/*`), and
/// whether it is a body one.
fn zola_open(text: &str) -> Option<(usize, bool)> {
    let mut from = 0;
    while let Some(at) = text[from..].find('{').map(|a| a + from) {
        let rest = &text[at..];
        let body = rest.starts_with("{%");
        if rest.starts_with("{{") || body {
            let inner = rest[2..].trim_start();
            let name_len = inner
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(inner.len());
            if inner.starts_with("/*") || (name_len > 0 && inner[name_len..].starts_with('(')) {
                return Some((at, body));
            }
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zolas_shortcodes_are_removed_and_named_keeping_their_text() {
        let out = zola(
            "A {{ youtube(id=\"x\") }} and {% note(kind=\"tip\") %}inner{% end %}. Show {{/* gist(url=\"u\") */}}. A {literal}.",
        );
        assert_eq!(
            out.body,
            "A  and inner. Show {{ gist(url=\"u\") }}. A {literal}."
        );
        assert_eq!(out.unknown.get("youtube"), Some(&1));
        assert_eq!(out.unknown.get("note"), Some(&1));
    }
}
