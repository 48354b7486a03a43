//! What a Zola site's configuration (`zola.toml`, else `config.toml`, as Zola 0.22 looks for
//! them) says about its addresses: `[slugify] paths` and `paths_keep_dates`,
//! `default_language` and `[languages]`.

use std::path::Path;

use anyhow::{Context, Result, bail};
use blog_shared::content::permalinks::{ZolaSite, ZolaSlugify};

/// The site in `dir` as its configuration describes it; Zola's defaults if it has none.
pub fn config(dir: &Path) -> Result<ZolaSite> {
    let mut site = ZolaSite::default();
    let Some(path) = ["zola.toml", "config.toml"]
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
    else {
        return Ok(site);
    };
    let table: toml::Table = toml::from_str(&super::read(&path)?)
        .with_context(|| format!("{} is not TOML", path.display()))?;
    if let Some(slugify) = table.get("slugify").and_then(toml::Value::as_table) {
        site.slugify = match slugify.get("paths").and_then(toml::Value::as_str) {
            None | Some("on") => ZolaSlugify::On,
            Some("safe") => ZolaSlugify::Safe,
            Some("off") => ZolaSlugify::Off,
            Some(other) => bail!(
                "{}: `[slugify] paths = \"{other}\"` is none of Zola's `on`, `safe`, `off`",
                path.display()
            ),
        };
        site.keep_dates = slugify
            .get("paths_keep_dates")
            .and_then(toml::Value::as_bool)
            .unwrap_or(false);
    }
    if let Some(language) = table.get("default_language").and_then(toml::Value::as_str) {
        site.default_language = language.to_owned();
    }
    if let Some(languages) = table.get("languages").and_then(toml::Value::as_table) {
        site.languages = languages
            .keys()
            .filter(|code| **code != site.default_language)
            .cloned()
            .collect();
    }
    Ok(site)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_slugify_and_languages_and_refuses_an_unknown_strategy() {
        let dir = tempfile::TempDir::new().unwrap();
        let write = |text: &str| std::fs::write(dir.path().join("config.toml"), text).unwrap();
        assert_eq!(config(dir.path()).unwrap(), ZolaSite::default());
        write(
            "base_url = \"x\"\ndefault_language = \"de\"\n[slugify]\npaths = \"safe\"\n\
             paths_keep_dates = true\n[languages.fr]\n[languages.de]\n",
        );
        let site = config(dir.path()).unwrap();
        assert_eq!(site.slugify, ZolaSlugify::Safe);
        assert!(site.keep_dates);
        assert_eq!(site.default_language, "de");
        assert_eq!(site.languages, ["fr"]);
        write("[slugify]\npaths = \"lower\"\n");
        let error = config(dir.path()).unwrap_err().to_string();
        assert!(
            error.contains("\"lower\"") && error.contains("`safe`"),
            "{error}"
        );
    }
}
