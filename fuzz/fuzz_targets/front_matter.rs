//! Front matter is untrusted: any text splits or is refused by name, and any block parses or
//! is refused by name, within the YAML budgets (no hang, no panic).
#![no_main]

use blog_shared::content::frontmatter::{parse, split};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(document) = split(text) {
        let _ = parse(&document);
    }
});
