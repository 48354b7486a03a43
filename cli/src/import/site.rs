//! What an old site's configuration says about its addresses, read where its generator reads it.

use std::path::Path;

use anyhow::{Context, Result};
use blog_shared::content::permalinks::OldSite;

use super::Layout;

mod zola;

/// What the site's configuration says about its addresses.
pub fn old_site(dir: &Path, layout: Layout) -> Result<OldSite> {
    let mut site = OldSite::new(layout.generator());
    match layout {
        Layout::Jekyll => {
            let config = dir.join("_config.yml");
            if config.is_file() {
                let text = read(&config)?;
                let value: serde_json::Value = serde_saphyr::from_str(&text)
                    .with_context(|| format!("{} is not YAML", config.display()))?;
                site.jekyll_permalink = value["permalink"].as_str().map(str::to_owned);
            }
        }
        Layout::Hugo => {
            let value = hugo_config(dir)?;
            if let Some(permalinks) = value.get("permalinks").and_then(|p| p.as_object()) {
                for (section, pattern) in permalinks {
                    if let Some(pattern) = pattern.as_str() {
                        site.hugo_permalinks
                            .insert(section.clone(), pattern.to_owned());
                    }
                }
            }
            let flag = |name: &str| {
                value
                    .as_object()
                    .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
                    .and_then(|(_, v)| v.as_bool())
                    .unwrap_or(false)
            };
            site.hugo_keep_case = flag("disablePathToLower");
            site.hugo_ugly_urls = flag("uglyURLs");
        }
        Layout::Zola => site.zola = zola::config(dir)?,
    }
    Ok(site)
}

/// Hugo's configuration as JSON, from whichever file the site has.
fn hugo_config(dir: &Path) -> Result<serde_json::Value> {
    for name in ["hugo.toml", "config.toml"] {
        let path = dir.join(name);
        if path.is_file() {
            let table: toml::Table = toml::from_str(&read(&path)?)
                .with_context(|| format!("{} is not TOML", path.display()))?;
            return serde_json::to_value(table).context("reading Hugo's configuration");
        }
    }
    for name in ["hugo.yaml", "config.yaml", "hugo.yml", "config.yml"] {
        let path = dir.join(name);
        if path.is_file() {
            return serde_saphyr::from_str(&read(&path)?)
                .with_context(|| format!("{} is not YAML", path.display()));
        }
    }
    Ok(serde_json::Value::Null)
}

pub fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// The site's configuration as JSON, read where its generator reads it: what shortcodes and
/// Liquid look values up in (`params`, `baseurl`), and where its base URL is.
pub fn config(dir: &Path, layout: Layout) -> Result<serde_json::Value> {
    match layout {
        Layout::Hugo => hugo_config(dir),
        Layout::Jekyll => {
            let path = dir.join("_config.yml");
            if !path.is_file() {
                return Ok(serde_json::Value::Null);
            }
            serde_saphyr::from_str(&read(&path)?)
                .with_context(|| format!("{} is not YAML", path.display()))
        }
        Layout::Zola => {
            let path = dir.join("config.toml");
            if !path.is_file() {
                return Ok(serde_json::Value::Null);
            }
            let table: toml::Table = toml::from_str(&read(&path)?)
                .with_context(|| format!("{} is not TOML", path.display()))?;
            serde_json::to_value(table).context("reading Zola's configuration")
        }
    }
}

/// The old site's own base URLs, as its configuration names them (Hugo's `baseURL`, Zola's
/// `base_url`, Jekyll's `url` with its `baseurl`): links that start with one lead within it.
pub fn base_urls(config: &serde_json::Value) -> Vec<String> {
    let text = |key: &str| {
        config
            .as_object()
            .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)))
            .and_then(|(_, v)| v.as_str())
            .map(|s| s.trim().trim_end_matches('/').to_owned())
            .filter(|s| s.starts_with("http://") || s.starts_with("https://"))
    };
    let mut bases: Vec<String> = ["baseURL", "base_url", "url"]
        .into_iter()
        .filter_map(text)
        .collect();
    // Jekyll's `baseurl` is a path below `url`; both spellings of the scheme lead within.
    let mut more = Vec::new();
    for base in &bases {
        if let Some(rest) = base.strip_prefix("https://") {
            more.push(format!("http://{rest}"));
        } else if let Some(rest) = base.strip_prefix("http://") {
            more.push(format!("https://{rest}"));
        }
    }
    bases.extend(more);
    bases
}
