//! Site configuration, read once from the environment at start-up.

use std::env;

use crate::model::media::{MEDIA_TYPES, is_media_name, is_sha256};

/// Why the configuration is unusable. Each names the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is unset or empty.
    #[error("environment variable {0} is required: {1}")]
    Missing(&'static str, &'static str),
    /// A variable is set to something unusable.
    #[error("environment variable {name}: {problem}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// What is wrong.
        problem: String,
    },
}

/// What the pages and feeds need to know about the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteConfig {
    /// Shown at the top of every page and as the feeds' title.
    pub title: String,
    /// One line about the blog, for feeds.
    pub description: String,
    /// The public origin readers use (`https://blog.example.com`), with no trailing slash.
    /// Feeds and canonical links are built from it, never from the request's `Host`, which
    /// behind CloudFront is API Gateway's and on the direct endpoint can be forged. Empty when
    /// unconfigured in Lambda: then each request's API Gateway domain is used (the stack cannot
    /// hand its own API's URL to its functions: that would be a dependency cycle).
    pub base_url: String,
    /// Posts per listing page and per feed.
    pub page_size: usize,
    /// What feed entries carry.
    pub feed_content: FeedContent,
    /// The icon every page names (`<link rel="icon">`) and `/favicon.ico` leads to.
    pub favicon: Favicon,
}

/// The site's icon: `BLOG_FAVICON`, read by the functions readers reach
/// ([`SiteConfig::readers_from_env`]) and by `blog serve --favicon`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Favicon {
    /// Unset: the blog's own, served at [`crate::paths::FAVICON_ICO`] and
    /// [`crate::paths::FAVICON_SVG`].
    #[default]
    Own,
    /// An image the operator chose: a stored file's path (`/media/<sha256>/<name>`, uploaded
    /// with a post) or an `http(s)://` URL. Pages link it, and the default icon's addresses
    /// redirect to it.
    At(String),
}

impl Favicon {
    /// The variable that names it.
    pub const VARIABLE: &str = "BLOG_FAVICON";

    /// Reads `value` (surrounding blanks ignored; empty is the default icon), or says why it
    /// names no image a page could link.
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(Self::Own);
        }
        if let Some(rest) = value.strip_prefix(crate::paths::MEDIA)
            && let Some(("", rest)) = rest.split_once('/')
        {
            // The extensions of the image types the blog stores: `png`, `jpg`…
            let images = || {
                MEDIA_TYPES
                    .iter()
                    .filter(|(media_type, _)| media_type.starts_with("image/"))
                    .map(|(_, extension)| *extension)
            };
            let stored_image = rest.split_once('/').is_some_and(|(sha256, name)| {
                is_sha256(sha256)
                    && is_media_name(name)
                    && name
                        .rsplit_once('.')
                        .is_some_and(|(_, extension)| images().any(|e| e == extension))
            });
            return if stored_image {
                Ok(Self::At(value.to_owned()))
            } else {
                Err(format!(
                    "`{value}` is no stored image's path: /media/<sha256>/<name>, the name ending in .{}",
                    images().collect::<Vec<_>>().join(", .")
                ))
            };
        }
        let absolute = value
            .parse::<http::Uri>()
            .ok()
            .filter(|uri| matches!(uri.scheme_str(), Some("https" | "http")))
            .is_some_and(|uri| uri.host().is_some_and(|host| !host.is_empty()));
        if absolute {
            Ok(Self::At(value.to_owned()))
        } else {
            Err(format!(
                "`{value}` is neither a stored image's path (/media/<sha256>/<name>) nor an http(s):// URL"
            ))
        }
    }

    /// Reads [`Favicon::VARIABLE`]; unset or empty, the default icon.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::parse(&env::var(Self::VARIABLE).unwrap_or_default()).map_err(|problem| {
            ConfigError::Invalid {
                name: Self::VARIABLE,
                problem,
            }
        })
    }
}

/// What feed entries carry: `BLOG_FEED_CONTENT=full` (the default) or `excerpt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedContent {
    /// The whole post (a post too long for a listing row falls back to its excerpt).
    Full,
    /// The excerpt, with the link to read on.
    Excerpt,
}

impl SiteConfig {
    /// The defaults, for the site served at `base_url`.
    pub fn new(base_url: &str) -> Result<Self, ConfigError> {
        Ok(Self {
            title: "Backstage Blog".to_owned(),
            description: "Stories from the engineers who build and run the platform.".to_owned(),
            base_url: normalise_base_url(base_url)?,
            page_size: 10,
            feed_content: FeedContent::Full,
            favicon: Favicon::Own,
        })
    }

    /// Reads `BLOG_BASE_URL`, `BLOG_TITLE` and `BLOG_DESCRIPTION`, all optional. Without
    /// `BLOG_BASE_URL`, each request's own API Gateway domain is the origin (see
    /// [`SiteConfig::base_url`]).
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut config = match env::var("BLOG_BASE_URL")
            .ok()
            .filter(|v| !v.trim().is_empty())
        {
            Some(base_url) => Self::new(&base_url)?,
            None => Self {
                base_url: String::new(),
                ..Self::new("https://localhost")?
            },
        };
        config.feed_content = match env::var("BLOG_FEED_CONTENT").ok().as_deref().map(str::trim) {
            None | Some("" | "full") => FeedContent::Full,
            Some("excerpt") => FeedContent::Excerpt,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "BLOG_FEED_CONTENT",
                    problem: format!("`{other}` is neither `full` nor `excerpt`"),
                });
            }
        };
        if let Some(title) = env::var("BLOG_TITLE").ok().filter(|v| !v.trim().is_empty()) {
            config.title = title;
        }
        if let Some(description) = env::var("BLOG_DESCRIPTION")
            .ok()
            .filter(|v| !v.trim().is_empty())
        {
            config.description = description;
        }
        Ok(config)
    }

    /// [`SiteConfig::from_env`], and what only the functions readers reach (`list-posts`,
    /// `get-post`, `feed`) read: the icon ([`Favicon::VARIABLE`]). The ingest and media
    /// functions render no page and leave it out.
    pub fn readers_from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            favicon: Favicon::from_env()?,
            ..Self::from_env()?
        })
    }

    /// Whether the origin comes from each request's API Gateway domain, not configuration.
    pub fn origin_from_gateway(&self) -> bool {
        self.base_url.is_empty()
    }

    /// This configuration with `https://{domain}` as its origin: `domain` is the API Gateway
    /// domain from the request context, which API Gateway sets and a client cannot.
    pub fn at_gateway_domain(&self, domain: &str) -> Result<Self, ConfigError> {
        Ok(Self {
            base_url: normalise_base_url(&format!("https://{domain}"))?,
            ..self.clone()
        })
    }

    /// The absolute URL of a root-relative `path`.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

/// Accepts `http(s)://host[:port]` with nothing after it but an optional `/`.
fn normalise_base_url(url: &str) -> Result<String, ConfigError> {
    let invalid = |problem: &str| ConfigError::Invalid {
        name: "BLOG_BASE_URL",
        problem: format!("{problem}: `{url}`"),
    };
    let trimmed = url.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .ok_or_else(|| invalid("must start with https:// or http://"))?;
    if rest.is_empty() {
        return Err(invalid("has no host"));
    }
    if rest.contains(['/', '?', '#', ' ']) {
        return Err(invalid(
            "must be an origin only, with no path, query or fragment",
        ));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_url_is_an_origin() {
        assert_eq!(
            SiteConfig::new("https://blog.example.com/")
                .unwrap()
                .base_url,
            "https://blog.example.com"
        );
        assert_eq!(
            SiteConfig::new("http://127.0.0.1:3000")
                .unwrap()
                .absolute("/feed.xml"),
            "http://127.0.0.1:3000/feed.xml"
        );
        for bad in [
            "blog.example.com",
            "https://",
            "https://x.com/blog",
            "ftp://x.com",
        ] {
            assert!(SiteConfig::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_icon_is_a_stored_image_or_a_web_address() {
        let stored = format!("/media/{}/icon.png", "ab".repeat(32));
        assert_eq!(Favicon::parse(" "), Ok(Favicon::Own));
        assert_eq!(Favicon::parse(&stored), Ok(Favicon::At(stored.clone())));
        assert_eq!(
            Favicon::parse(" https://cdn.example.com/icon.svg\n"),
            Ok(Favicon::At("https://cdn.example.com/icon.svg".to_owned()))
        );
        let stored_problem = Favicon::parse(&stored.replace(".png", ".pdf")).unwrap_err();
        assert!(
            stored_problem.contains("no stored image's path")
                && stored_problem.contains(".png, .jpg, .gif, .webp, .svg"),
            "{stored_problem}"
        );
        for bad in [
            "/media/abc/icon.png",
            "/media/icon.png",
            "favicon.ico",
            "/favicon.ico",
            "ftp://x.example/icon.png",
            "https://",
            "https://x.example/a b.png",
            "javascript:alert(1)",
        ] {
            assert!(Favicon::parse(bad).is_err(), "{bad}");
        }
        let error = ConfigError::Invalid {
            name: Favicon::VARIABLE,
            problem: Favicon::parse("favicon.ico").unwrap_err(),
        };
        assert_eq!(
            error.to_string(),
            "environment variable BLOG_FAVICON: `favicon.ico` is neither a stored image's path (/media/<sha256>/<name>) nor an http(s):// URL"
        );
    }
}
