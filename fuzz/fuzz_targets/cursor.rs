//! A page link's cursor comes from anyone: it decodes or is refused, and one that decodes
//! encodes back to itself.
#![no_main]

use blog_shared::Cursor;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(cursor) = Cursor::decode(token) {
        let again = Cursor::decode(&cursor.encode()).expect("its own encoding decodes");
        assert_eq!(again, cursor);
    }
});
