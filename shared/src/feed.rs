//! RSS 2.0 feeds, built with the `rss` crate; every URL in them is absolute, from configuration.

use rss::extension::atom::{AtomExtensionBuilder, Link};
use rss::extension::dublincore::DublinCoreExtensionBuilder;
use rss::{CategoryBuilder, ChannelBuilder, GuidBuilder, ItemBuilder};

use crate::config::SiteConfig;
use crate::dates;
use crate::model::ListingEntry;
use crate::views::{category_path, post_path};

/// What a feed is about.
#[derive(Debug, Clone)]
pub struct FeedInfo<'a> {
    /// The feed's title.
    pub title: String,
    /// The page the feed mirrors, root-relative.
    pub page_path: &'a str,
    /// The feed's own path, root-relative.
    pub feed_path: &'a str,
}

/// Writes an RSS 2.0 document of `entries` (newest first).
pub fn rss(site: &SiteConfig, info: &FeedInfo<'_>, entries: &[ListingEntry]) -> String {
    let items = entries
        .iter()
        .map(|entry| {
            let url = site.absolute(&post_path(entry.slug.as_str()));
            ItemBuilder::default()
                .title(Some(entry.title.clone()))
                .link(Some(url.clone()))
                .guid(Some(
                    GuidBuilder::default().value(url).permalink(true).build(),
                ))
                .pub_date(Some(dates::rfc2822(entry.published)))
                .description(Some(entry.excerpt_html.clone()))
                .categories(
                    entry
                        .categories
                        .iter()
                        .map(|c| {
                            CategoryBuilder::default()
                                .name(c.name.clone())
                                .domain(Some(site.absolute(&category_path(c.slug.as_str()))))
                                .build()
                        })
                        .collect::<Vec<_>>(),
                )
                .dublin_core_ext(Some(
                    DublinCoreExtensionBuilder::default()
                        .creators(entry.authors.clone())
                        .build(),
                ))
                .build()
        })
        .collect::<Vec<_>>();
    let mut self_link = Link::default();
    self_link.set_href(site.absolute(info.feed_path));
    self_link.set_rel("self");
    self_link.set_mime_type(Some("application/rss+xml".to_owned()));
    ChannelBuilder::default()
        .title(info.title.clone())
        .link(site.absolute(info.page_path))
        .description(site.description.clone())
        .language(Some("en".to_owned()))
        .last_build_date(entries.first().map(|e| dates::rfc2822(e.published)))
        .generator(Some("blog-shared".to_owned()))
        .atom_ext(Some(
            AtomExtensionBuilder::default()
                .links(vec![self_link])
                .build(),
        ))
        .items(items)
        .build()
        .to_string()
}
