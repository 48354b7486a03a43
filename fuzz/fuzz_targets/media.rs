//! A file's bytes as the server reads them before a post may use it: its type (by signature,
//! or an SVG by its root element), its size in pixels from its header, and the whole check
//! against what the author declared. None may panic, hang or allocate by what a header claims.
#![no_main]

use blog_shared::model::MediaFile;
use blog_shared::store::blobs::{dimensions, sha256_hex, sniff, verify};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let found = sniff(data);
    for media_type in ["image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"] {
        if let Ok(Some((width, height))) = dimensions("f.png", media_type, data) {
            assert!(width > 0 && height > 0, "a measured image has pixels");
        }
    }
    if let Ok(media_type) = found {
        let measured = dimensions("f", media_type, data);
        let size = measured.clone().ok().flatten();
        let extension = blog_shared::model::media::MEDIA_TYPES
            .iter()
            .find(|(t, _)| *t == media_type)
            .map_or("bin", |(_, e)| e);
        let file = MediaFile {
            sha256: sha256_hex(data),
            name: format!("f.{extension}"),
            media_type: media_type.to_owned(),
            size: data.len() as u64,
            width: size.map(|s| s.0),
            height: size.map(|s| s.1),
        };
        // Bytes described as they are pass the server's check exactly when their header
        // reads (and is within the limits).
        match (measured, verify(&file, data)) {
            (Ok(_), Ok(())) | (Err(_), Err(_)) => {}
            (Ok(_), Err(error)) => panic!("described truly, refused: {error}"),
            (Err(error), Ok(())) => panic!("unreadable ({error}), accepted"),
        }
    }
});
