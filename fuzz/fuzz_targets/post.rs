//! A whole post as publishing sees it: front matter, Markdown, highlighting, sanitising,
//! excerpt, outline, names. Whatever comes in, what comes out is safe to serve: no script, no
//! event handler, no character XML cannot hold, names without controls.
#![no_main]

use blog_shared::content::permalinks::Generator;
use blog_shared::content::{Origin, parse_post_from};
use libfuzzer_sys::fuzz_target;

fuzz_target!(init: {
    // Highlighting loads its syntaxes on first use (a second or two): not the input's cost.
    let _ = blog_shared::parse_post("---\ntitle: x\ndate: 2020-01-01\n---\n```rust\nfn x() {}\n```\n", None);
}, |data: &[u8]| {
    let Some((&how, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let import = match how % 4 {
        0 => None,
        1 => Some(Generator::Jekyll),
        2 => Some(Generator::Hugo),
        _ => Some(Generator::Zola),
    };
    let origin = Origin {
        file_name: (how & 4 != 0).then_some("2015-05-15-Release-2.0.md"),
        import,
        ..Origin::default()
    };
    let Ok(post) = parse_post_from(text, &origin) else {
        return;
    };
    for html in [&post.body_html, &post.excerpt_html] {
        let lower = html.to_ascii_lowercase();
        assert!(!lower.contains("<script"), "script survived: {html}");
        assert!(!lower.contains("javascript:"), "javascript: survived: {html}");
        assert!(!lower.contains(" onerror="), "a handler survived: {html}");
        assert!(
            !html.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')),
            "a control character survived"
        );
    }
    for name in post.authors.iter().chain(post.categories.iter().map(|c| &c.name)) {
        assert!(!name.chars().any(char::is_control), "{name:?}");
    }
    assert!(!post.title.chars().any(char::is_control));
});
