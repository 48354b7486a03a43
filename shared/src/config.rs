//! Site configuration, read once from the environment at start-up.

use std::env;

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
}
