//! The old site's template syntax in a post's body, made into what the blog can show safely,
//! never silently: Hugo's shortcodes (`{{< figure >}}`, `{{% highlight %}}`…) and Jekyll's
//! Liquid (`{% highlight %}`, `{% raw %}`, `{% post_url %}`, `{{ site.baseurl }}`…) become
//! fenced code, a figure with its caption, a parameter's value, a plain link where the old site
//! embedded a player, a gist or a post. Every replacement is counted; anything else is removed
//! from what readers see (a paired one keeps its inner text) and named, so the author can
//! look at it.

use std::collections::BTreeMap;

use pulldown_cmark_escape::escape_html;

mod zola;

pub use zola::zola;

/// What a body's template syntax became.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Replaced {
    /// The body, with no template syntax left.
    pub body: String,
    /// Each known shortcode or tag replaced, and how often (`figure: 2`).
    pub replaced: BTreeMap<String, usize>,
    /// Each unknown one removed, and how often.
    pub unknown: BTreeMap<String, usize>,
}

/// What the replacements need from outside the body.
pub struct Context<'a> {
    /// The page's own front matter and the site's `params` (for `param`, `page.x`, `site.x`).
    pub lookup: &'a dyn Fn(&str) -> Option<String>,
    /// The URL of the post a `ref`, `relref`, `post_url` or `link` names, when it is imported.
    pub post_url: &'a dyn Fn(&str) -> Option<String>,
}

/// One shortcode or Liquid tag: its name and arguments, positional and named.
#[derive(Debug, Default)]
struct Call {
    name: String,
    positional: Vec<String>,
    named: BTreeMap<String, String>,
}

impl Call {
    fn arg(&self, name: &str, at: usize) -> Option<&str> {
        self.named
            .get(name)
            .or_else(|| self.positional.get(at))
            .map(String::as_str)
    }
}

/// Hugo's shortcodes in `body` replaced.
pub fn hugo(body: &str, context: &Context<'_>) -> Replaced {
    let mut out = Replaced::default();
    out.body = hugo_in(body, context, &mut out);
    out
}

fn hugo_in(body: &str, context: &Context<'_>, out: &mut Replaced) -> String {
    let mut text = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = find_hugo_open(rest) {
        text.push_str(&rest[..start]);
        let delim = if rest[start..].starts_with("{{<") {
            ">}}"
        } else {
            "%}}"
        };
        let after_open = &rest[start + 3..];
        let Some(end) = after_open.find(delim) else {
            text.push_str(&rest[start..]);
            return text;
        };
        let inside = after_open[..end].trim();
        rest = &after_open[end + 3..];
        // `{{</* x */>}}` is how a Hugo page shows a shortcode's own syntax.
        if let Some(shown) = inside.strip_prefix("/*").and_then(|s| s.strip_suffix("*/")) {
            let shown = shown.trim();
            text.push_str(&if delim == ">}}" {
                format!("{{{{< {shown} >}}}}")
            } else {
                format!("{{{{% {shown} %}}}}")
            });
            continue;
        }
        let self_closed = inside.ends_with('/');
        let call = parse_call(inside.trim_end_matches('/'));
        if call.name.starts_with('/') {
            // A closing tag with no opening one: dropped, named.
            *out.unknown.entry(call.name).or_default() += 1;
            continue;
        }
        let inner = if self_closed {
            None
        } else {
            closing(rest, &call.name, delim).map(|(inner, after)| {
                rest = after;
                inner
            })
        };
        text.push_str(&hugo_call(&call, inner, context, out));
    }
    text.push_str(rest);
    text
}

fn find_hugo_open(text: &str) -> Option<usize> {
    match (text.find("{{<"), text.find("{{%")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The inner text up to `{{< /name >}}` and what follows it, when the shortcode is paired.
fn closing<'t>(rest: &'t str, name: &str, delim: &str) -> Option<(&'t str, &'t str)> {
    let open = if delim == ">}}" { "{{<" } else { "{{%" };
    let mut from = 0;
    while let Some(at) = rest[from..].find(open) {
        let at = from + at;
        let after = &rest[at + 3..];
        if let Some(end) = after.find(delim) {
            let tag = after[..end].trim();
            if tag.strip_prefix('/').map(str::trim) == Some(name) {
                return Some((&rest[..at], &after[end + 3..]));
            }
        }
        from = at + 3;
    }
    None
}

fn hugo_call(
    call: &Call,
    inner: Option<&str>,
    context: &Context<'_>,
    out: &mut Replaced,
) -> String {
    let known = |out: &mut Replaced| *out.replaced.entry(call.name.clone()).or_default() += 1;
    let inner_text =
        |out: &mut Replaced| inner.map(|i| hugo_in(i, context, out)).unwrap_or_default();
    let made = match call.name.as_str() {
        "highlight" => Some(fence(
            call.arg("lang", 0).unwrap_or(""),
            inner.unwrap_or(""),
        )),
        "figure" => call.arg("src", 0).map(|src| {
            figure(
                src,
                call.arg("alt", 99),
                call.arg("title", 99),
                call.arg("caption", 99),
            )
        }),
        "youtube" => call.arg("id", 0).map(|id| {
            let title = call.arg("title", 99).unwrap_or("Video on YouTube");
            link(title, &format!("https://www.youtube.com/watch?v={id}"))
        }),
        "vimeo" => call.arg("id", 0).map(|id| {
            let title = call.arg("title", 99).unwrap_or("Video on Vimeo");
            link(title, &format!("https://vimeo.com/{id}"))
        }),
        "gist" => match (call.arg("user", 0), call.arg("id", 1)) {
            (Some(user), Some(id)) => Some(link(
                &format!("Gist {user}/{id}"),
                &format!("https://gist.github.com/{user}/{id}"),
            )),
            _ => None,
        },
        "x" | "tweet" | "twitter" => match (call.arg("user", 99), call.arg("id", 0)) {
            (Some(user), Some(id)) => Some(link(
                &format!("Post by @{user}"),
                &format!("https://x.com/{user}/status/{id}"),
            )),
            (None, Some(id)) => Some(link("Post on X", &format!("https://x.com/i/status/{id}"))),
            _ => None,
        },
        "details" => {
            let summary = call.arg("summary", 0).unwrap_or("Details");
            let body = inner_text(out);
            Some(format!(
                "<details><summary>{}</summary>\n\n{}\n\n</details>",
                escaped(summary),
                body.trim()
            ))
        }
        "param" => call
            .arg("name", 0)
            .map(|name| (context.lookup)(name).unwrap_or_default()),
        "ref" | "relref" => match call.arg("path", 0) {
            Some(path) => match (context.post_url)(path) {
                Some(url) => Some(url),
                // No imported post: named, and the path stays as written.
                None => {
                    *out.unknown
                        .entry(format!("{} \"{path}\" (no such post)", call.name))
                        .or_default() += 1;
                    return path.to_owned();
                }
            },
            None => None,
        },
        _ => None,
    };
    match made {
        Some(text) => {
            known(out);
            text
        }
        None => {
            *out.unknown.entry(call.name.clone()).or_default() += 1;
            inner_text(out)
        }
    }
}

/// Jekyll's Liquid in `body` replaced.
pub fn liquid(body: &str, context: &Context<'_>) -> Replaced {
    let mut out = Replaced::default();
    out.body = liquid_in(body, context, &mut out);
    out
}

fn liquid_in(body: &str, context: &Context<'_>, out: &mut Replaced) -> String {
    let mut text = String::with_capacity(body.len());
    let mut rest = body;
    loop {
        let next = match (rest.find("{%"), rest.find("{{")) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => break,
        };
        text.push_str(&rest[..next]);
        let tag = rest[next..].starts_with("{%");
        let close = if tag { "%}" } else { "}}" };
        let Some(end) = rest[next + 2..].find(close) else {
            text.push_str(&rest[next..]);
            return text;
        };
        let inside = rest[next + 2..next + 2 + end].trim_matches('-').trim();
        rest = &rest[next + 2 + end + 2..];
        if !tag {
            let mut parts = inside.split('|').map(str::trim);
            let value = parts.next().unwrap_or("");
            let filters: Vec<&str> = parts.collect();
            if let Some(made) = liquid_value(value, &filters, context) {
                *out.replaced
                    .entry(format!("{{{{ {inside} }}}}"))
                    .or_default() += 1;
                text.push_str(&made);
                continue;
            }
            match (context.lookup)(value) {
                Some(v) => {
                    *out.replaced
                        .entry(format!("{{{{ {value} }}}}"))
                        .or_default() += 1;
                    text.push_str(&v);
                }
                None => *out.unknown.entry(format!("{{{{ {value} }}}}")).or_default() += 1,
            }
            continue;
        }
        let call = parse_call(inside);
        let paired = |rest: &mut &str| -> Option<String> {
            let end_tag = format!("end{}", call.name);
            let mut from = 0;
            while let Some(at) = rest[from..].find("{%") {
                let at = from + at;
                let after = &rest[at + 2..];
                if let Some(stop) = after.find("%}")
                    && after[..stop].trim_matches('-').trim() == end_tag
                {
                    let inner = rest[..at].to_owned();
                    *rest = &after[stop + 2..];
                    return Some(inner);
                }
                from = at + 2;
            }
            None
        };
        let known = match call.name.as_str() {
            "raw" => paired(&mut rest),
            // Jekyll renders Liquid inside a highlight block too.
            "highlight" => paired(&mut rest).map(|code| {
                let code = liquid_in(&code, context, out);
                fence(call.arg("lang", 0).unwrap_or(""), &code)
            }),
            // What Liquid keeps out of the page: a comment, a value captured for later.
            "comment" | "capture" => paired(&mut rest).map(|_| String::new()),
            "post_url" => call
                .positional
                .first()
                .and_then(|target| (context.post_url)(target)),
            "link" => call
                .positional
                .first()
                .map(|target| (context.post_url)(target).unwrap_or_else(|| site_path(target))),
            _ => None,
        };
        match known {
            Some(made) => {
                *out.replaced.entry(call.name.clone()).or_default() += 1;
                text.push_str(&made);
            }
            None => {
                *out.unknown.entry(call.name.clone()).or_default() += 1;
                if let Some(inner) = paired(&mut rest) {
                    text.push_str(&liquid_in(&inner, context, out));
                }
            }
        }
    }
    text.push_str(rest);
    text
}

/// A quoted path through Jekyll's URL filters (`{{ "/img/a.png" | relative_url }}`, the way
/// Jekyll themes write every image): the path below the site's `baseurl` (and its `url`, for
/// `absolute_url`); a quoted string with no filter is itself.
fn liquid_value(value: &str, filters: &[&str], context: &Context<'_>) -> Option<String> {
    let literal = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))?;
    let site = |key: &str| (context.lookup)(key).unwrap_or_default();
    let below_base = |path: &str| {
        let base = site("site.baseurl");
        let base = base.trim_end_matches('/');
        match path.strip_prefix('/') {
            Some(_) => format!("{base}{path}"),
            None => format!("{base}/{path}"),
        }
    };
    match filters {
        [] => Some(literal.to_owned()),
        ["relative_url"] => Some(below_base(literal)),
        ["absolute_url"] => Some(format!(
            "{}{}",
            site("site.url").trim_end_matches('/'),
            below_base(literal)
        )),
        _ => None,
    }
}

/// A shortcode's or tag's name and arguments: words, `"quoted"` or `` `raw` `` strings, and
/// `name=value` pairs.
fn parse_call(inside: &str) -> Call {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut quoted = false;
    for c in inside.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => current.push(c),
            None if c == '"' || c == '`' || c == '\'' => {
                quote = Some(c);
                quoted = true;
            }
            None if c.is_whitespace() => {
                if !current.is_empty() || quoted {
                    words.push(std::mem::take(&mut current));
                }
                quoted = false;
            }
            None => current.push(c),
        }
    }
    if !current.is_empty() || quoted {
        words.push(current);
    }
    let mut call = Call::default();
    let mut words = words.into_iter();
    call.name = words.next().unwrap_or_default();
    for word in words {
        match word.split_once('=') {
            Some((key, value))
                if !key.is_empty() && key.chars().all(|c| c.is_alphanumeric() || c == '_') =>
            {
                call.named.insert(key.to_owned(), value.to_owned());
            }
            _ => call.positional.push(word),
        }
    }
    call
}

/// Where Jekyll serves a file of the site that is not an imported post: a page's Markdown as
/// `.html`, anything else as it is.
fn site_path(target: &str) -> String {
    let target = target.trim_start_matches('/');
    match target.rsplit_once('.') {
        Some((stem, "md" | "markdown" | "mdown")) => format!("/{stem}.html"),
        _ => format!("/{target}"),
    }
}

fn fence(lang: &str, code: &str) -> String {
    let code = code.trim_matches('\n');
    let ticks = "`".repeat(longest_run(code, '`').max(2) + 1);
    format!("{ticks}{lang}\n{code}\n{ticks}")
}

fn longest_run(text: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for ch in text.chars() {
        run = if ch == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

fn figure(src: &str, alt: Option<&str>, title: Option<&str>, caption: Option<&str>) -> String {
    let alt = one_line(alt.or(title).or(caption).unwrap_or(""));
    let image = format!("![{}](<{}>)", alt.replace(['[', ']'], ""), url_part(src));
    let caption = [title, caption]
        .into_iter()
        .flatten()
        .map(|text| escaped(&one_line(text)))
        .collect::<Vec<_>>()
        .join(" ");
    if caption.is_empty() {
        return format!("\n\n{image}\n\n");
    }
    format!("\n\n<figure>\n\n{image}\n\n<figcaption>{caption}</figcaption>\n</figure>\n\n")
}

fn link(text: &str, url: &str) -> String {
    format!(
        "[{}](<{}>)",
        one_line(text).replace(['[', ']'], ""),
        url_part(url)
    )
}

/// Text on one line: a blank line in a figure's caption would end the figure.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A URL as a Markdown destination between `<` and `>` holds it: no angle bracket or space
/// can end it early.
fn url_part(url: &str) -> String {
    percent_encoding::utf8_percent_encode(url.trim(), URL_UNSAFE).to_string()
}

/// What may not stand as itself in a `<…>` destination.
const URL_UNSAFE: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'<')
    .add(b'>')
    .add(b'"')
    .add(b'`');

fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_html(&mut out, text).expect("writing to a String cannot fail");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context_with(run: impl FnOnce(&Context<'_>)) {
        let lookup =
            |name: &str| (name == "team" || name == "site.baseurl").then(|| "Platform".to_owned());
        let post_url = |path: &str| path.contains("other").then(|| "/posts/other".to_owned());
        run(&Context {
            lookup: &lookup,
            post_url: &post_url,
        });
    }

    #[test]
    fn hugos_built_in_shortcodes_become_what_the_blog_shows() {
        context_with(|context| {
            let body = "A {{< param team >}} post.\n\n{{< highlight rust \"linenos=table\" >}}\nfn main() {}\n{{< /highlight >}}\n\n{{< figure src=\"/img/a.png\" title=\"A <title>\" >}}\n\n{{< youtube w7Ft2ymGmfc >}}\n\n{{< gist spf13 7896402 >}}\n\nSee [it]({{< ref \"other.md\" >}}).\n\n{{< tweet user=\"SanDiegoZoo\" id=\"1453110110599868418\" >}}\n\n{{% details summary=\"More\" %}}\nHidden {{< param team >}}\n{{% /details %}}\n\n{{< mystery a=1 >}}";
            let out = hugo(body, context);
            assert!(out.body.contains("A Platform post."), "{}", out.body);
            assert!(
                out.body.contains("```rust\nfn main() {}\n```"),
                "{}",
                out.body
            );
            assert!(
                out.body
                    .contains("<figcaption>A &lt;title&gt;</figcaption>"),
                "{}",
                out.body
            );
            assert!(
                out.body.contains("![A <title>](</img/a.png>)"),
                "{}",
                out.body
            );
            assert!(
                out.body
                    .contains("(<https://www.youtube.com/watch?v=w7Ft2ymGmfc>)")
            );
            assert!(
                out.body
                    .contains("(<https://gist.github.com/spf13/7896402>)")
            );
            assert!(out.body.contains("[it](/posts/other)"), "{}", out.body);
            assert!(
                out.body
                    .contains("https://x.com/SanDiegoZoo/status/1453110110599868418")
            );
            assert!(
                out.body
                    .contains("<details><summary>More</summary>\n\nHidden Platform"),
                "{}",
                out.body
            );
            assert!(!out.body.contains("{{"), "{}", out.body);
            assert_eq!(out.unknown.get("mystery"), Some(&1));
            assert_eq!(out.replaced.get("param"), Some(&2));
        });
    }

    #[test]
    fn a_caption_or_a_source_cannot_break_out_of_its_figure() {
        context_with(|context| {
            let out = hugo(
                "{{< figure src=\"a b>.png\" alt=\"one\n\ntwo\" caption=\"x\n\n<script>y</script>\" >}}\n\n{{< youtube \"id><b\" >}}\n\nSee {{< ref \"nowhere.md\" >}}.",
                context,
            );
            assert!(
                out.body.contains("![one two](<a%20b%3E.png>)"),
                "{}",
                out.body
            );
            assert!(
                out.body
                    .contains("<figcaption>x &lt;script&gt;y&lt;/script&gt;</figcaption>"),
                "{}",
                out.body
            );
            assert!(out.body.contains("watch?v=id%3E%3Cb>"), "{}", out.body);
            assert!(out.body.contains("See nowhere.md."), "{}", out.body);
            assert_eq!(
                out.unknown.get("ref \"nowhere.md\" (no such post)"),
                Some(&1)
            );
        });
    }

    #[test]
    fn hugos_escaped_shortcodes_are_shown_as_written() {
        context_with(|context| {
            let out = hugo("Write {{</* figure src=\"x\" */>}} to show one.", context);
            assert_eq!(out.body, "Write {{< figure src=\"x\" >}} to show one.");
            assert!(out.unknown.is_empty() && out.replaced.is_empty());
        });
    }

    #[test]
    fn jekylls_liquid_becomes_what_the_blog_shows() {
        context_with(|context| {
            let body = "{% highlight ruby linenos %}\nputs 1\n{% endhighlight %}\n\n{% raw %}{{ not.liquid }}{% endraw %}\n\n[next]({% post_url 2010-07-21-other %}) and [page]({% link about.md %})\n\n![x]({{ site.baseurl }}/a.png)\n\n{% include note.html %}{% if x %}kept{% endif %}";
            let out = liquid(body, context);
            assert!(out.body.contains("```ruby\nputs 1\n```"), "{}", out.body);
            assert!(out.body.contains("{{ not.liquid }}"), "{}", out.body);
            assert!(out.body.contains("[next](/posts/other)"), "{}", out.body);
            assert!(out.body.contains("[page](/about.html)"), "{}", out.body);
            assert!(out.body.contains("![x](Platform/a.png)"), "{}", out.body);
            assert!(
                out.body.contains("kept") && !out.body.contains("{%"),
                "{}",
                out.body
            );
            assert_eq!(out.unknown.get("include"), Some(&1));
            assert_eq!(out.unknown.get("if"), Some(&1));
        });
    }
}
