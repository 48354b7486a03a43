//! The site's icon at the addresses browsers and feed readers ask for: the blog's own, compiled
//! into the functions that mount these routes (the `feed` function and `blog serve`, never
//! ingest), or, when the operator chose one (`BLOG_FAVICON`), a redirect to it.

use super::Ctx;
use super::respond::{ICON_CACHE_CONTROL, Representation, WebError};
use crate::config::Favicon;
use crate::render::pages::{IconLink, OWN_ICO, OWN_SVG};

/// The blog's own icon, drawn once, as SVG.
const SVG: &[u8] = include_bytes!("../../assets/favicon.svg");
/// The same at 16, 32 and 48 pixels, made from the SVG by scripts/favicon.
const ICO: &[u8] = include_bytes!("../../assets/favicon.ico");

/// `/favicon.ico`.
pub(super) async fn ico(ctx: Ctx) -> Result<Representation, WebError> {
    icon(&ctx, &OWN_ICO, ICO)
}

/// `/favicon.svg`.
pub(super) async fn svg(ctx: Ctx) -> Result<Representation, WebError> {
    icon(&ctx, &OWN_SVG, SVG)
}

/// The blog's own icon `link` of `bytes`, or a redirect to the operator's.
fn icon(ctx: &Ctx, link: &IconLink, bytes: &'static [u8]) -> Result<Representation, WebError> {
    match &ctx.site.favicon {
        Favicon::Own => Ok(Representation::fixed(
            link.media_type,
            bytes,
            ICON_CACHE_CONTROL,
        )),
        Favicon::At(href) if href.starts_with('/') => Err(WebError::Moved(ctx.site.absolute(href))),
        Favicon::At(url) => Err(WebError::Moved(url.clone())),
    }
}
