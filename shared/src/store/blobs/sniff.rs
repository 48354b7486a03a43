//! What a file is by its bytes alone, as the server checks a stored file ([`super::verify`])
//! and the publisher prepares one: its media type (by its signature, or for an SVG by its
//! document's root element) and an image's size in pixels (from its header). Never by a name.

use quick_xml::events::{BytesStart, Event};

use crate::model::MAX_IMAGE_SIDE;
use crate::model::media::{MEDIA_TYPES, MediaError, check_pixels, is_raster};

/// The media type a file's bytes are, if the blog serves that type: by their signature
/// (`infer`), and for SVG by the document's root element (an XML file whose root is `<svg>`).
/// Never by a file name: an HTML page renamed `.png` is HTML.
pub fn sniff(bytes: &[u8]) -> Result<&'static str, String> {
    // An SVG is XML text, which the signatures call `text/xml` at best.
    if is_svg(bytes) {
        return Ok("image/svg+xml");
    }
    if let Some(kind) = infer::get(bytes) {
        let found = kind.mime_type();
        let found = match found {
            "application/x-gzip" => "application/gzip",
            other => other,
        };
        return MEDIA_TYPES
            .iter()
            .find(|(t, _)| *t == found)
            .map(|(t, _)| *t)
            .ok_or_else(|| found.to_owned());
    }
    let text = std::str::from_utf8(bytes).is_ok();
    Err(if text {
        "text (not an SVG document)".to_owned()
    } else {
        "of no known type".to_owned()
    })
}

/// Whether `bytes` are an XML document whose root element is `svg`.
fn is_svg(bytes: &[u8]) -> bool {
    svg_element(bytes, Where::Root).is_ok()
}

/// Where [`svg_element`] looks for the `<svg>` element.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Where {
    /// The root alone: anything but the prolog (declaration, comments, doctype, processing
    /// instructions, white space) before an `<svg>` means the document is no SVG.
    Root,
    /// The first `<svg>` element anywhere in the document.
    Anywhere,
}

/// The `<svg>` element of an XML document, read in one walk of its events: whether a file is
/// an SVG (its root) and an SVG's size (its first `<svg>`) are read from the same element.
fn svg_element(bytes: &[u8], at: Where) -> Result<BytesStart<'static>, String> {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut buffer = Vec::new();
    loop {
        match reader.read_event_into(&mut buffer) {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == b"svg" => {
                return Ok(e.into_owned());
            }
            Ok(Event::Decl(_) | Event::Comment(_) | Event::DocType(_) | Event::PI(_)) => {}
            Ok(Event::Text(t)) if t.iter().all(u8::is_ascii_whitespace) => {}
            Ok(Event::Eof) => return Err("no <svg> element".to_owned()),
            Err(e) => return Err(e.to_string()),
            Ok(_) if at == Where::Root => return Err("the root element is not <svg>".to_owned()),
            Ok(_) => {}
        }
        buffer.clear();
    }
}

/// An image's width and height in pixels, read from its header alone (`imagesize`), or for an
/// SVG from its `width`/`height` or `viewBox` (300 × 150, a browser's default, when it says
/// neither). None for a file that is not an image.
pub fn dimensions(
    name: &str,
    media_type: &str,
    bytes: &[u8],
) -> Result<Option<(u32, u32)>, MediaError> {
    let unreadable = |problem: String| MediaError::Unreadable {
        name: name.to_owned(),
        media_type: media_type.to_owned(),
        problem,
    };
    if media_type == "image/svg+xml" {
        return svg_dimensions(bytes).map(Some).map_err(unreadable);
    }
    if !is_raster(media_type) {
        return Ok(None);
    }
    let size = imagesize::blob_size(bytes).map_err(|e| unreadable(e.to_string()))?;
    let (width, height) = (
        u32::try_from(size.width).unwrap_or(u32::MAX),
        u32::try_from(size.height).unwrap_or(u32::MAX),
    );
    if width == 0 || height == 0 {
        return Err(unreadable("it declares no pixels".to_owned()));
    }
    check_pixels(name, width, height)?;
    Ok(Some((width, height)))
}

fn svg_dimensions(bytes: &[u8]) -> Result<(u32, u32), String> {
    let svg = svg_element(bytes, Where::Anywhere)?;
    let attribute = |name: &[u8]| {
        svg.attributes()
            .flatten()
            .find(|a| a.key.local_name().as_ref() == name)
            .and_then(|a| String::from_utf8(a.value.into_owned()).ok())
    };
    let length = |value: Option<String>| {
        value.and_then(|v| {
            let number = v.trim().trim_end_matches("px");
            number
                .parse::<f64>()
                .ok()
                .filter(|n| *n >= 1.0 && n.is_finite())
        })
    };
    let (width, height) = (length(attribute(b"width")), length(attribute(b"height")));
    let view_box: Option<Vec<f64>> = attribute(b"viewBox").map(|v| {
        v.split([' ', ','])
            .filter(|s| !s.is_empty())
            .filter_map(|s| s.parse().ok())
            .collect()
    });
    let from_box = view_box
        .filter(|b| b.len() == 4 && b[2] >= 1.0 && b[3] >= 1.0)
        .map(|b| (b[2], b[3]));
    let (w, h) = match (width, height, from_box) {
        (Some(w), Some(h), _) => (w, h),
        (Some(w), None, Some((bw, bh))) => (w, w * bh / bw),
        (None, Some(h), Some((bw, bh))) => (h * bw / bh, h),
        (None, None, Some(b)) => b,
        _ => (300.0, 150.0),
    };
    let clamp = |v: f64| v.round().clamp(1.0, f64::from(MAX_IMAGE_SIDE)) as u32;
    Ok((clamp(w), clamp(h)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_1X1: &[u8] = &[
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0,
        0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
    ];

    #[test]
    fn types_come_from_the_bytes_not_the_name() {
        assert_eq!(sniff(PNG_1X1), Ok("image/png"));
        assert_eq!(
            sniff(b"<!doctype html><html><body><script>alert(1)</script>"),
            Err("text/html".to_owned())
        );
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            Ok("image/svg+xml")
        );
        assert!(sniff(b"<html><svg/></html>").is_err());
        assert_eq!(
            sniff(b"just some notes"),
            Err("text (not an SVG document)".to_owned())
        );
        assert!(sniff(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00").is_err());
    }

    #[test]
    fn a_dimension_bomb_is_refused_from_its_header() {
        let mut bomb = PNG_1X1.to_vec();
        bomb[16..20].copy_from_slice(&50_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&50_000u32.to_be_bytes());
        let error = dimensions("bomb.png", "image/png", &bomb).unwrap_err();
        assert!(matches!(error, MediaError::TooLarge { .. }), "{error}");
        assert_eq!(
            dimensions("dot.png", "image/png", PNG_1X1).unwrap(),
            Some((1, 1))
        );
    }

    #[test]
    fn svg_dimensions_come_from_width_height_or_view_box() {
        let svg = |attrs: &str| format!("<svg xmlns=\"http://www.w3.org/2000/svg\" {attrs}/>");
        let size = |attrs: &str| dimensions("a.svg", "image/svg+xml", svg(attrs).as_bytes());
        assert_eq!(
            size("width=\"640\" height=\"480\"").unwrap(),
            Some((640, 480))
        );
        assert_eq!(size("viewBox=\"0 0 800 600\"").unwrap(), Some((800, 600)));
        assert_eq!(
            size("width=\"400px\" viewBox=\"0 0 800 600\"").unwrap(),
            Some((400, 300))
        );
        assert_eq!(size("").unwrap(), Some((300, 150)));
    }
}
