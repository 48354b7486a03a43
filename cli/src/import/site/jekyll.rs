//! A Jekyll site's addresses as Jekyll 4 works them out from `_config.yml`: its `permalink`
//! (for posts, in [`blog_shared::content::permalinks`]), its `baseurl` (every address, and every
//! `redirect_from`, lives below it), its `timezone` (a post's date, and so its address, is the
//! day it was in that zone) and its collections: a collection with `output: true` has a page per
//! document, at its own `permalink` (`/:collection/:path:output_ext` unless set).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use blog_shared::content::file_names::file_stem;
use blog_shared::content::frontmatter::FrontMatter;
use blog_shared::content::permalinks::{
    Generator, OldFile, OldSite, jekyll_slugify as slugify, old_urls,
};
use serde_json::Value;
use time::{OffsetDateTime, UtcOffset};

use super::read;

/// What a Jekyll site's `_config.yml` says about its addresses.
#[derive(Debug, Clone)]
pub struct Site {
    /// The site's `permalink`, as the shared crate reads it.
    posts: OldSite,
    /// `baseurl`, without a trailing `/` (empty at the root).
    baseurl: String,
    /// `timezone`.
    timezone: Option<jiff::tz::TimeZone>,
    /// Collections with `output: true`: a name to its `permalink`.
    collections: BTreeMap<String, Option<String>>,
}

impl Site {
    /// The configuration of the Jekyll site in `dir`.
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join("_config.yml");
        let config: Value = if path.is_file() {
            serde_saphyr::from_str(&read(&path)?)
                .with_context(|| format!("{} is not YAML", path.display()))?
        } else {
            Value::Null
        };
        let mut posts = OldSite::new(Generator::Jekyll);
        posts.jekyll_permalink = config["permalink"].as_str().map(str::to_owned);
        let baseurl = config["baseurl"]
            .as_str()
            .unwrap_or_default()
            .trim()
            .trim_end_matches('/')
            .to_owned();
        let baseurl = if baseurl.is_empty() || baseurl.starts_with('/') {
            baseurl
        } else {
            format!("/{baseurl}")
        };
        let timezone = match config["timezone"].as_str() {
            Some(name) => Some(jiff::tz::TimeZone::get(name).with_context(|| {
                format!("{}: `timezone: {name}` is no time zone", path.display())
            })?),
            None => None,
        };
        let mut collections = BTreeMap::new();
        if let Some(all) = config["collections"].as_object() {
            for (name, collection) in all {
                if name != "posts" && collection["output"].as_bool() == Some(true) {
                    let permalink = collection["permalink"].as_str().map(str::to_owned);
                    collections.insert(name.clone(), permalink);
                }
            }
        }
        Ok(Self {
            posts,
            baseurl,
            timezone,
            collections,
        })
    }

    /// `baseurl`: the path the site was served under, empty for its root.
    pub fn baseurl(&self) -> &str {
        &self.baseurl
    }

    /// The folders whose documents are posts: `_posts`, and each collection with output.
    pub fn post_folders(&self) -> Vec<String> {
        std::iter::once("_posts".to_owned())
            .chain(self.collections.keys().map(|c| format!("_{c}")))
            .collect()
    }

    /// `date` as the site's clock showed it.
    pub fn local(&self, date: OffsetDateTime) -> OffsetDateTime {
        let Some(zone) = &self.timezone else {
            return date;
        };
        let Ok(instant) = jiff::Timestamp::from_second(date.unix_timestamp()) else {
            return date;
        };
        let seconds = zone.to_offset(instant).seconds();
        UtcOffset::from_whole_seconds(seconds).map_or(date, |offset| date.to_offset(offset))
    }

    /// The address Jekyll wrote the document at `path` (within the site) at, with its
    /// directory-style variants.
    pub fn addresses(
        &self,
        path: &str,
        meta: &FrontMatter,
        title: &str,
        date: OffsetDateTime,
        date_has_offset: bool,
    ) -> Vec<String> {
        let date = if date_has_offset {
            self.local(date)
        } else {
            date
        };
        let collection = path
            .split('/')
            .next()
            .and_then(|first| first.strip_prefix('_'))
            .filter(|name| self.collections.contains_key(*name));
        let page = match collection {
            Some(name) => {
                let pattern = meta
                    .permalink
                    .clone()
                    .or_else(|| self.collections[name].clone())
                    .unwrap_or_else(|| "/:collection/:path:output_ext".to_owned());
                let within = path.split_once('/').map_or("", |(_, rest)| rest);
                let without_extension = within.rsplit_once('.').map_or(within, |(stem, _)| stem);
                let name_part = file_stem(within.rsplit('/').next().unwrap_or(within));
                let slug = meta.slug.clone().unwrap_or_else(|| name_part.to_owned());
                let expanded = pattern
                    .replace(":collection", name)
                    .replace(":path", without_extension)
                    .replace(":name", &slugify(name_part))
                    .replace(":title", &slug)
                    .replace(":output_ext", ".html");
                blog_shared::paths::old_address(&expanded)
            }
            None => {
                let file = OldFile {
                    path,
                    meta,
                    title,
                    date,
                };
                old_urls(&self.posts, &file)
                    .into_iter()
                    .next()
                    .unwrap_or_default()
            }
        };
        blog_shared::content::permalinks::with_variants(&self.under_base(&page))
    }

    /// An address of the site (a page's, a `redirect_from`) below its `baseurl`.
    pub fn under_base(&self, path: &str) -> String {
        let path = path.trim();
        format!("{}/{}", self.baseurl, path.trim_start_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn baseurl_timezone_and_collections_shape_the_addresses() {
        let dir = tempfile::TempDir::new().unwrap();
        std::fs::write(
            dir.path().join("_config.yml"),
            "baseurl: /blog\ntimezone: America/New_York\npermalink: pretty\n\
             collections:\n  recipes:\n    output: true\n    permalink: /r/:name/\n  notes: {}\n",
        )
        .unwrap();
        let site = Site::read(dir.path()).unwrap();
        assert_eq!(site.post_folders(), ["_posts", "_recipes"]);
        let meta = FrontMatter::default();
        let date = datetime!(2020-01-01 01:30 UTC);
        assert_eq!(
            site.addresses("_posts/2020-01-01-new-year.md", &meta, "x", date, true)[0],
            "/blog/2019/12/31/new-year/",
            "New York's day"
        );
        assert_eq!(
            site.addresses("_recipes/Hot Soup.md", &meta, "x", date, true)[0],
            "/blog/r/hot-soup/"
        );
    }
}
