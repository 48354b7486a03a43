//! A file of the old site translated into the blog's own Markdown before it is sent, so that the
//! server reads every imported post as it reads any other: the front matter gets the date from
//! wherever the old site took it ([`super::dates`]), its authors as the site meant them
//! ([`super::authors`]) and its `excerpt` as the summary; the body loses the old site's template
//! syntax ([`super::shortcodes`]) and its links between posts lead to the posts' new URLs
//! ([`super::links`]). Every other key of the front matter is kept as written.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use blog_shared::content::frontmatter;
use serde_json::{Map, Value};

use super::Layout;
use super::authors::AuthorMap;
use super::dates::{self, DateSource};
use super::links::{self, Targets};
use super::shortcodes::{self, Replaced};

/// A file's front matter, read and made the blog's own.
#[derive(Debug)]
pub struct Front {
    /// Every key of the front matter.
    pub meta: Map<String, Value>,
    /// The body, as written.
    pub body: String,
    /// Where the date was found, if the importer wrote it in.
    pub date_from: Option<DateSource>,
    /// Each author string as written, and the names it was read as.
    pub authors: Vec<(String, Vec<String>)>,
}

impl Front {
    /// The front matter of `source` (the file `file` of a `layout` site whose configuration is
    /// `config`) with its date, authors and excerpt made the blog's own; a refusal when no date
    /// can be found.
    pub fn read(
        source: &str,
        file: &Path,
        layout: Layout,
        config: &Value,
        map: &AuthorMap,
    ) -> Result<Self> {
        let document = frontmatter::split(source)?;
        let meta = match frontmatter::value(&document)? {
            Value::Object(meta) => meta,
            Value::Null => Map::new(),
            _ => anyhow::bail!("the front matter is not a table of fields"),
        };
        let mut front = Self {
            meta,
            body: document.body.to_owned(),
            date_from: None,
            authors: Vec::new(),
        };
        let value = Value::Object(front.meta.clone());
        match dates::find(&value, file, layout, config) {
            Ok(Some((date, source))) => {
                front.meta.insert("date".to_owned(), Value::String(date));
                front.date_from = Some(source);
            }
            Ok(None) => {}
            Err(refusal) => anyhow::bail!("{refusal}"),
        }
        front.read_authors(map);
        if !front.meta.contains_key("summary")
            && !front.meta.contains_key("description")
            && let Some(excerpt) = front.meta.get("excerpt").cloned()
        {
            front.meta.insert("summary".to_owned(), excerpt);
        }
        Ok(front)
    }

    /// `author` and `authors` as one list of names.
    fn read_authors(&mut self, map: &AuthorMap) {
        let written = self
            .meta
            .get("authors")
            .or_else(|| self.meta.get("author"))
            .cloned();
        let (strings, in_list) = match written {
            Some(Value::String(one)) => (vec![one], false),
            Some(Value::Array(many)) => (
                many.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
                true,
            ),
            _ => return,
        };
        let mut names: Vec<String> = Vec::new();
        for string in strings {
            let read = map.names(&string, in_list);
            for name in &read {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
            self.authors.push((string, read));
        }
        self.meta.remove("author");
        self.meta.insert(
            "authors".to_owned(),
            Value::Array(names.into_iter().map(Value::String).collect()),
        );
    }

    /// The Markdown the blog reads: this front matter as YAML, and `body`.
    pub fn to_markdown(&self, body: &str) -> Result<String> {
        let yaml = serde_saphyr::to_string(&self.meta).context("writing the front matter")?;
        let mut text = String::with_capacity(yaml.len() + body.len() + 8);
        text.push_str("---\n");
        text.push_str(&yaml);
        if !yaml.ends_with('\n') {
            text.push('\n');
        }
        text.push_str("---\n");
        text.push_str(body);
        Ok(text)
    }
}

/// What the body of one post became.
pub struct Body {
    /// The body.
    pub text: String,
    /// Each shortcode or tag replaced, and how often.
    pub replaced: BTreeMap<String, usize>,
    /// Each one not known, removed, and how often.
    pub unknown: BTreeMap<String, usize>,
    /// How many links now lead to a post's new URL.
    pub links_rewritten: usize,
    /// Links to the old site's pages no imported post had, kept as written.
    pub links_kept: Vec<String>,
}

/// `body` with its template syntax replaced and its links to posts rewritten.
pub fn body(
    body: &str,
    layout: Layout,
    context: &shortcodes::Context<'_>,
    targets: &Targets<'_>,
) -> Body {
    let Replaced {
        body: text,
        replaced,
        unknown,
    } = match layout {
        Layout::Hugo => shortcodes::hugo(body, context),
        Layout::Jekyll => shortcodes::liquid(body, context),
        Layout::Zola => shortcodes::zola(body),
    };
    let links = links::rewrite(&text, targets);
    Body {
        text: links.body,
        replaced,
        unknown,
        links_rewritten: links.rewritten,
        links_kept: links.kept,
    }
}

/// A value of the page's front matter (`name`, `params.name`, `page.name`) or, failing that,
/// of the site's configuration (`site.name`, `params.name`), as text.
pub fn lookup(meta: &Map<String, Value>, site: &Value, name: &str) -> Option<String> {
    let path: Vec<&str> = name.split('.').collect();
    let dig = |root: &Value, path: &[&str]| -> Option<String> {
        let mut at = root;
        for key in path {
            at = at
                .as_object()?
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)?;
        }
        match at {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    };
    let page = Value::Object(meta.clone());
    match path.as_slice() {
        ["page", rest @ ..] => dig(&page, rest),
        ["site", rest @ ..] => dig(site, rest),
        rest => dig(&page, rest)
            .or_else(|| dig(&page, &[&["params"], rest].concat()))
            .or_else(|| dig(site, &[&["params"], rest].concat())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_front_matter_is_made_the_blogs_own_and_keeps_every_other_key() {
        let source = "+++\ntitle = \"Some post\"\npath = \"2024/03/21/some-post\"\nauthor = \"Jane Doe, Executive Director\"\nexcerpt = \"Short.\"\n[extra]\nlead = true\n+++\nBody {{< x >}}\n";
        let front = Front::read(
            source,
            Path::new("/nonexistent/content/some-post.md"),
            Layout::Zola,
            &Value::Null,
            &AuthorMap::default(),
        )
        .unwrap();
        assert_eq!(
            front.date_from,
            Some(DateSource::Address("2024/03/21/some-post".to_owned()))
        );
        assert_eq!(
            front.authors,
            [(
                "Jane Doe, Executive Director".to_owned(),
                vec!["Jane Doe".to_owned()]
            )]
        );
        let text = front.to_markdown(&front.body).unwrap();
        let post = blog_shared::content::read_post(&text, &blog_shared::content::Origin::default())
            .unwrap();
        assert_eq!(post.title, "Some post");
        assert_eq!(post.published.date().to_string(), "2024-03-21");
        assert_eq!(post.authors, ["Jane Doe"]);
        assert!(
            text.contains("lead: true") && text.ends_with("Body {{< x >}}\n"),
            "{text}"
        );
        let refused = Front::read(
            "+++\ntitle = \"x\"\n+++\n",
            Path::new("/nonexistent/x.md"),
            Layout::Zola,
            &Value::Null,
            &AuthorMap::default(),
        );
        assert!(
            refused
                .unwrap_err()
                .to_string()
                .starts_with("no date: give it a `date`")
        );
    }

    #[test]
    fn values_are_looked_up_in_the_page_then_the_site() {
        let meta: Map<String, Value> =
            serde_json::from_str(r#"{"team": "Core", "params": {"x": 1}}"#).unwrap();
        let site: Value =
            serde_json::from_str(r#"{"baseurl": "/blog", "params": {"Owner": "Ann"}}"#).unwrap();
        assert_eq!(lookup(&meta, &site, "team").as_deref(), Some("Core"));
        assert_eq!(lookup(&meta, &site, "x").as_deref(), Some("1"));
        assert_eq!(lookup(&meta, &site, "owner").as_deref(), Some("Ann"));
        assert_eq!(
            lookup(&meta, &site, "site.baseurl").as_deref(),
            Some("/blog")
        );
        assert_eq!(lookup(&meta, &site, "page.team").as_deref(), Some("Core"));
        assert_eq!(lookup(&meta, &site, "nothing"), None);
    }
}
