//! Feeds in three formats: RSS 2.0 (`rss` crate), Atom 1.0 (`atom_syndication`) and JSON Feed
//! 1.1 (serde), each with its media type ([`FeedFormat::media_type`]). Every URL in them is
//! absolute, from configuration.

use std::collections::HashMap;

use rss::extension::atom::{AtomExtensionBuilder, Link};
use rss::extension::dublincore::DublinCoreExtensionBuilder;
use rss::{CategoryBuilder, ChannelBuilder, GuidBuilder, ItemBuilder};

use crate::config::{FeedContent, SiteConfig};
use crate::dates;
use crate::model::{FEED_BODY_MAX_BYTES, FeedFormat, ListingEntry, Slug};
use crate::paths;

/// A post's HTML with every URL in it absolute, as feed readers need: root-relative paths get
/// the configured origin, fragments the post's URL. Rewritten on the parsed HTML (lol_html), so
/// text that merely looks like an attribute (inline code showing `href="/x"`) stays as written.
/// Ingest already made relative paths root-relative.
pub fn absolute_content(site: &SiteConfig, post_url: &str, html: &str) -> String {
    let absolute = |value: &str| {
        if value.starts_with('/') && !value.starts_with("//") {
            Some(format!("{}{value}", site.base_url))
        } else if value.starts_with('#') {
            Some(format!("{post_url}{value}"))
        } else {
            None
        }
    };
    let rewrite = |attribute: &'static str| {
        move |element: &mut lol_html::html_content::Element<'_, '_>| {
            if let Some(url) = element.get_attribute(attribute).and_then(|v| absolute(&v)) {
                element.set_attribute(attribute, &url)?;
            }
            Ok(())
        }
    };
    // A `srcset` (an image's variants) is candidates, each a URL and a width.
    let rewrite_srcset = |element: &mut lol_html::html_content::Element<'_, '_>| {
        if let Some(srcset) = element.get_attribute("srcset") {
            let candidates: Vec<String> = srcset
                .split(',')
                .map(|candidate| {
                    let candidate = candidate.trim();
                    let (url, width) = candidate.split_once(' ').unwrap_or((candidate, ""));
                    let url = absolute(url).unwrap_or_else(|| url.to_owned());
                    format!("{url} {width}").trim_end().to_owned()
                })
                .collect();
            element.set_attribute("srcset", &candidates.join(", "))?;
        }
        Ok(())
    };
    let settings = lol_html::RewriteStrSettings::new()
        .append_element_content_handler(lol_html::element!("[href]", rewrite("href")))
        .append_element_content_handler(lol_html::element!("[src]", rewrite("src")))
        .append_element_content_handler(lol_html::element!("[srcset]", rewrite_srcset));
    // The stored HTML came out of the sanitiser, so it parses; should rewriting ever fail, the
    // root-relative original is still a working document.
    lol_html::rewrite_str(html, settings).unwrap_or_else(|_| html.to_owned())
}

/// The posts' bodies a full-text feed shows, by slug, as the store read them.
pub type Bodies = HashMap<Slug, String>;

/// The full body of `entry` for a full-text feed, with absolute URLs; None for an excerpt feed,
/// a body not read, or a post longer than [`FEED_BODY_MAX_BYTES`].
fn full_text(
    site: &SiteConfig,
    url: &str,
    entry: &ListingEntry,
    bodies: &Bodies,
) -> Option<String> {
    match site.feed_content {
        FeedContent::Full => bodies
            .get(&entry.slug)
            .filter(|body| body.len() <= FEED_BODY_MAX_BYTES)
            .map(|body| absolute_content(site, url, body)),
        FeedContent::Excerpt => None,
    }
}

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

/// Writes the feed of `entries` (newest first) in `format`, with the `bodies` of a full-text
/// feed; its `Content-Type` is `format.media_type()`.
pub fn document(
    format: FeedFormat,
    site: &SiteConfig,
    info: &FeedInfo<'_>,
    entries: &[ListingEntry],
    bodies: &Bodies,
) -> String {
    match format {
        FeedFormat::Rss => xml_chars_only(rss(site, info, entries, bodies)),
        FeedFormat::Atom => xml_chars_only(atom(site, info, entries, bodies)),
        FeedFormat::Json => json_feed(site, info, entries, bodies),
    }
}

/// An XML document without the characters XML 1.0 cannot hold (controls other than tab and
/// line breaks, U+FFFE, U+FFFF): ingest keeps them out of new posts, and this keeps a feed
/// well-formed whatever is stored, so one post cannot break the feed for every reader.
fn xml_chars_only(document: String) -> String {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r') || !(c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}')
    };
    if document.chars().all(allowed) {
        document
    } else {
        document.chars().filter(|&c| allowed(c)).collect()
    }
}

/// Writes an RSS 2.0 document of `entries` (newest first).
fn rss(
    site: &SiteConfig,
    info: &FeedInfo<'_>,
    entries: &[ListingEntry],
    bodies: &Bodies,
) -> String {
    let items = entries
        .iter()
        .map(|entry| {
            let url = site.absolute(&paths::post(&entry.slug));
            ItemBuilder::default()
                .title(Some(entry.title.clone()))
                .link(Some(url.clone()))
                .guid(Some(
                    GuidBuilder::default()
                        .value(url.clone())
                        .permalink(true)
                        .build(),
                ))
                .pub_date(Some(dates::rfc2822(entry.published)))
                .description(Some(absolute_content(site, &url, &entry.excerpt_html)))
                .content(full_text(site, &url, entry, bodies))
                .categories(
                    entry
                        .categories
                        .iter()
                        .map(|c| {
                            CategoryBuilder::default()
                                .name(c.name.clone())
                                .domain(Some(site.absolute(&paths::category(c))))
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
    self_link.set_mime_type(Some(FeedFormat::Rss.media_type().essence_str().to_owned()));
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

/// Writes an Atom 1.0 document of `entries` (newest first).
fn atom(
    site: &SiteConfig,
    info: &FeedInfo<'_>,
    entries: &[ListingEntry],
    bodies: &Bodies,
) -> String {
    use atom_syndication::{
        CategoryBuilder as AtomCategory, EntryBuilder, FeedBuilder, FixedDateTime,
        GeneratorBuilder, LinkBuilder, PersonBuilder, Text,
    };
    let when = |t: time::OffsetDateTime| {
        FixedDateTime::parse_from_rfc3339(&dates::rfc3339(t)).unwrap_or_default()
    };
    let link = |href: String, rel: &str, mime: Option<&str>| {
        LinkBuilder::default()
            .href(href)
            .rel(rel.to_owned())
            .mime_type(mime.map(str::to_owned))
            .build()
    };
    let items = entries
        .iter()
        .map(|entry| {
            let url = site.absolute(&paths::post(&entry.slug));
            EntryBuilder::default()
                .title(entry.title.as_str())
                .id(url.clone())
                .updated(when(entry.published))
                .published(Some(when(entry.published)))
                .links(vec![link(url.clone(), "alternate", Some("text/html"))])
                .authors(
                    entry
                        .authors
                        .iter()
                        .map(|name| PersonBuilder::default().name(name.clone()).build())
                        .collect::<Vec<_>>(),
                )
                .categories(
                    entry
                        .categories
                        .iter()
                        .map(|c| {
                            AtomCategory::default()
                                .term(c.slug.to_string())
                                .label(Some(c.name.clone()))
                                .scheme(Some(site.absolute(paths::CATEGORY_SCHEME)))
                                .build()
                        })
                        .collect::<Vec<_>>(),
                )
                .summary(Some(Text::html(absolute_content(
                    site,
                    &url,
                    &entry.excerpt_html,
                ))))
                .content(full_text(site, &url, entry, bodies).map(|body| {
                    atom_syndication::ContentBuilder::default()
                        .value(Some(body))
                        .content_type(Some("html".to_owned()))
                        .build()
                }))
                .build()
        })
        .collect::<Vec<_>>();
    let updated = entries.first().map_or_else(
        || when(time::OffsetDateTime::UNIX_EPOCH),
        |e| when(e.published),
    );
    FeedBuilder::default()
        .title(info.title.as_str())
        .id(site.absolute(info.feed_path))
        .updated(updated)
        .subtitle(Some(Text::plain(site.description.clone())))
        .links(vec![
            link(
                site.absolute(info.page_path),
                "alternate",
                Some("text/html"),
            ),
            link(
                site.absolute(info.feed_path),
                "self",
                Some(FeedFormat::Atom.media_type().essence_str()),
            ),
        ])
        .generator(Some(
            GeneratorBuilder::default().value("blog-shared").build(),
        ))
        .lang(Some("en".to_owned()))
        .entries(items)
        .build()
        .to_string()
}

/// JSON Feed 1.1 (<https://www.jsonfeed.org/version/1.1/>), written through serde.
pub mod json {
    use serde::Serialize;

    /// The top-level feed object.
    #[derive(Debug, Serialize)]
    pub struct Feed {
        /// Always `https://jsonfeed.org/version/1.1`.
        pub version: &'static str,
        /// The feed's title.
        pub title: String,
        /// The page the feed mirrors.
        pub home_page_url: String,
        /// The feed's own URL.
        pub feed_url: String,
        /// One line about the blog.
        pub description: String,
        /// The feed's language.
        pub language: &'static str,
        /// The posts, newest first.
        pub items: Vec<Item>,
    }

    /// One post.
    #[derive(Debug, Serialize)]
    pub struct Item {
        /// The post's permanent URL, which is also its id.
        pub id: String,
        /// Its URL.
        pub url: String,
        /// Its title.
        pub title: String,
        /// The teaser, sanitised HTML.
        pub content_html: String,
        /// RFC 3339.
        pub date_published: String,
        /// Who wrote it.
        pub authors: Vec<Author>,
        /// Its categories' names.
        pub tags: Vec<String>,
    }

    /// A post's author.
    #[derive(Debug, Serialize)]
    pub struct Author {
        /// Their name.
        pub name: String,
    }
}

/// Writes a JSON Feed 1.1 document of `entries` (newest first).
fn json_feed(
    site: &SiteConfig,
    info: &FeedInfo<'_>,
    entries: &[ListingEntry],
    bodies: &Bodies,
) -> String {
    let feed = json::Feed {
        version: "https://jsonfeed.org/version/1.1",
        title: info.title.clone(),
        home_page_url: site.absolute(info.page_path),
        feed_url: site.absolute(info.feed_path),
        description: site.description.clone(),
        language: "en",
        items: entries
            .iter()
            .map(|entry| {
                let url = site.absolute(&paths::post(&entry.slug));
                json::Item {
                    id: url.clone(),
                    url: url.clone(),
                    title: entry.title.clone(),
                    content_html: full_text(site, &url, entry, bodies)
                        .unwrap_or_else(|| absolute_content(site, &url, &entry.excerpt_html)),
                    date_published: dates::rfc3339(entry.published),
                    authors: entry
                        .authors
                        .iter()
                        .map(|name| json::Author { name: name.clone() })
                        .collect(),
                    tags: entry.categories.iter().map(|c| c.name.clone()).collect(),
                }
            })
            .collect(),
    };
    serde_json::to_string(&feed).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_content_gets_absolute_urls() {
        let site = SiteConfig::new("https://blog.example.com").unwrap();
        let html = r##"<p><a href="/posts/other">a</a> <a href="#top">b</a> <img src="/posts/pic.png" alt="x"> <a href="https://x.example/">c</a> <a href="//cdn.example/x">d</a> <a title="/not-a-url">e</a></p>"##;
        let absolute = absolute_content(&site, "https://blog.example.com/posts/this", html);
        assert_eq!(
            absolute,
            r##"<p><a href="https://blog.example.com/posts/other">a</a> <a href="https://blog.example.com/posts/this#top">b</a> <img src="https://blog.example.com/posts/pic.png" alt="x"> <a href="https://x.example/">c</a> <a href="//cdn.example/x">d</a> <a title="/not-a-url">e</a></p>"##
        );
    }

    #[test]
    fn text_that_looks_like_an_attribute_is_not_rewritten() {
        let site = SiteConfig::new("https://blog.example.com").unwrap();
        let html = crate::content::markdown::render(
            "Write `<a href=\"/x\">` or `src=\"#y\"`, then [link](/z).",
            &[],
        )
        .body_html;
        let absolute = absolute_content(&site, "https://blog.example.com/posts/this", &html);
        assert!(
            absolute.contains(r#"<code>&lt;a href="/x"&gt;</code>"#),
            "{absolute}"
        );
        assert!(
            absolute.contains(r##"<code>src="#y"</code>"##),
            "{absolute}"
        );
        assert!(
            absolute.contains(r#"<a href="https://blog.example.com/z""#),
            "{absolute}"
        );
    }
}
