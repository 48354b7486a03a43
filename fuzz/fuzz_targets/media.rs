//! A file's bytes as the server reads them before a post may use it: its type (by signature,
//! or an SVG by its root element), its size in pixels from its header, and the whole check
//! against what the author declared. None may panic, hang or allocate by what a header claims.
#![no_main]

use blog_shared::model::MediaFile;
use blog_shared::model::media::{dimensions, sniff};
use blog_shared::store::blobs::{sha256_hex, verify};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let found = sniff(data);
    for media_type in ["image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"] {
        if let Ok(Some((width, height))) = dimensions("f.png", media_type, data) {
            assert!(width > 0 && height > 0, "a measured image has pixels");
        }
    }
    if let Ok(media_type) = found {
        let size = dimensions("f", media_type, data).ok().flatten();
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
        // What the bytes say of themselves, they pass, unless their pixels are over the limits.
        if let Err(error) = verify(&file, data) {
            assert!(
                matches!(error, blog_shared::model::media::MediaError::TooLarge { .. }),
                "{error}"
            );
        }
    }
});
