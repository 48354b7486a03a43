//! `sitemap.xml` (the Sitemaps 0.9 protocol, written with quick-xml) and `robots.txt`, so that
//! crawlers find every post and category from the configured origin.

use std::collections::BTreeMap;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use crate::config::SiteConfig;
use crate::dates;
use crate::model::{Listing, ListingEntry};
use crate::paths;

/// The sitemap's media type.
pub static MEDIA_TYPE: std::sync::LazyLock<mime::Mime> = std::sync::LazyLock::new(|| {
    "application/xml; charset=utf-8"
        .parse()
        .expect("a well-formed media type")
});

/// The sitemap of the home page, the posts in `entries` (newest first) and their categories.
pub fn sitemap(site: &SiteConfig, entries: &[ListingEntry]) -> String {
    let mut urls: Vec<(String, Option<String>)> = Vec::with_capacity(entries.len() + 16);
    let newest = entries.first().map(|e| date(e.published));
    urls.push((site.absolute(&paths::listing(&Listing::All)), newest));
    // A category's or an author's page last changed when its newest post appeared.
    let mut listings: BTreeMap<String, String> = BTreeMap::new();
    for entry in entries {
        urls.push((
            site.absolute(&paths::post(&entry.slug)),
            Some(date(entry.published)),
        ));
        for listing in entry.listings() {
            if listing == Listing::All {
                continue;
            }
            listings
                .entry(paths::listing(&listing))
                .or_insert_with(|| date(entry.published));
        }
    }
    urls.extend(
        listings
            .into_iter()
            .map(|(path, modified)| (site.absolute(&path), Some(modified))),
    );

    let mut writer = Writer::new(Vec::new());
    let write = |writer: &mut Writer<Vec<u8>>, event: Event<'_>| {
        writer.write_event(event).expect("writing to memory")
    };
    write(
        &mut writer,
        Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)),
    );
    write(
        &mut writer,
        Event::Start(
            BytesStart::new("urlset")
                .with_attributes([("xmlns", "http://www.sitemaps.org/schemas/sitemap/0.9")]),
        ),
    );
    for (loc, modified) in urls {
        write(&mut writer, Event::Start(BytesStart::new("url")));
        element(&mut writer, "loc", &loc);
        if let Some(modified) = modified {
            element(&mut writer, "lastmod", &modified);
        }
        write(&mut writer, Event::End(BytesEnd::new("url")));
    }
    write(&mut writer, Event::End(BytesEnd::new("urlset")));
    String::from_utf8(writer.into_inner()).expect("quick-xml writes UTF-8")
}

fn element(writer: &mut Writer<Vec<u8>>, name: &str, text: &str) {
    let events = [
        Event::Start(BytesStart::new(name)),
        Event::Text(BytesText::new(text)),
        Event::End(BytesEnd::new(name)),
    ];
    for event in events {
        writer.write_event(event).expect("writing to memory");
    }
}

fn date(when: time::OffsetDateTime) -> String {
    dates::sortable(when)[..10].to_owned()
}

/// `robots.txt`: everything may be crawled, and the sitemap is here.
pub fn robots(site: &SiteConfig) -> String {
    format!(
        "User-agent: *\nAllow: /\n\nSitemap: {}\n",
        site.absolute(paths::SITEMAP)
    )
}
