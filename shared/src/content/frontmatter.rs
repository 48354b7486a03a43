//! Front matter: YAML between `---` lines (Jekyll, Hugo) or TOML between `+++` lines (Zola,
//! Hugo), read into one shape whatever the format.
//!
//! Front matter is untrusted input, so YAML is read with limits on aliases and nesting (an alias
//! bomb fails fast), and every error names the format and what is wrong.

use serde::Deserialize;
use serde_json::Value;

/// The syntax of a front matter block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Between `---` lines.
    Yaml,
    /// Between `+++` lines.
    Toml,
}

impl Format {
    fn delimiter(self) -> &'static str {
        match self {
            Self::Yaml => "---",
            Self::Toml => "+++",
        }
    }
}

/// A source file cut into its front matter and its Markdown body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document<'a> {
    /// The front matter's syntax.
    pub format: Format,
    /// The text between the delimiters.
    pub front_matter: &'a str,
    /// Everything after the closing delimiter.
    pub body: &'a str,
}

/// Why the front matter could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrontMatterError {
    /// The file does not start with `---` or `+++`.
    #[error(
        "the post has no front matter: start the file with a `---` line (YAML) or a `+++` line (TOML)"
    )]
    Missing,
    /// The opening delimiter has no closing partner.
    #[error("the front matter is not terminated: add a closing `{0}` line after it")]
    Unterminated(&'static str),
    /// The YAML or TOML does not parse.
    #[error("the {format} front matter does not parse: {message}")]
    Syntax {
        /// "YAML" or "TOML".
        format: &'static str,
        /// The parser's own words.
        message: String,
    },
    /// It parses, but is not a table of keys.
    #[error("the front matter must be a table of keys like `title: ...`")]
    NotATable,
    /// A key holds the wrong kind of value.
    #[error("front matter field `{field}`: {message}")]
    Field {
        /// The offending key, as a path (`taxonomies.categories[1]`).
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

/// Cuts `source` into front matter and body.
pub fn split(source: &str) -> Result<Document<'_>, FrontMatterError> {
    let mut source = source.strip_prefix('\u{feff}').unwrap_or(source);
    // Blank lines before the opening delimiter are common in files written by hand.
    loop {
        let (line, rest) = split_line(source);
        if line.trim().is_empty() && !rest.is_empty() {
            source = rest;
        } else {
            break;
        }
    }
    let (first, rest) = split_line(source);
    let format = match first.trim_end() {
        "---" => Format::Yaml,
        "+++" => Format::Toml,
        _ => return Err(FrontMatterError::Missing),
    };
    let mut offset = 0;
    let mut remaining = rest;
    while !remaining.is_empty() {
        let (line, after) = split_line(remaining);
        if line.trim_end() == format.delimiter() {
            return Ok(Document {
                format,
                front_matter: &rest[..offset],
                body: after,
            });
        }
        offset += remaining.len() - after.len();
        remaining = after;
    }
    Err(FrontMatterError::Unterminated(format.delimiter()))
}

/// The first line of `text` (without its line ending) and everything after it.
fn split_line(text: &str) -> (&str, &str) {
    match text.find('\n') {
        Some(i) => (
            text[..i].strip_suffix('\r').unwrap_or(&text[..i]),
            &text[i + 1..],
        ),
        None => (text, ""),
    }
}

/// One value or a list of them: `author: A` and `authors: [A, B]` are both common.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// A single string.
    One(String),
    /// A list of strings.
    Many(Vec<String>),
}

impl OneOrMany {
    /// The values as a list.
    pub fn into_vec(self) -> Vec<String> {
        match self {
            Self::One(one) => vec![one],
            Self::Many(many) => many,
        }
    }
}

/// Zola's and Hugo's taxonomies table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Taxonomies {
    /// `taxonomies.categories`.
    pub categories: Option<OneOrMany>,
    /// `taxonomies.tags`.
    pub tags: Option<OneOrMany>,
}

/// Every key the blog reads; others (`layout:`, `weight`, …) are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct FrontMatter {
    /// Required.
    pub title: Option<String>,
    /// Required unless the file name gives it (`2018-09-19-slug.md`).
    pub date: Option<String>,
    /// When the content last changed (Zola's `updated`, Hugo's `lastmod`).
    #[serde(alias = "lastmod")]
    pub updated: Option<String>,
    /// One author.
    pub author: Option<OneOrMany>,
    /// Several authors.
    pub authors: Option<OneOrMany>,
    /// A list, or one string.
    pub categories: Option<OneOrMany>,
    /// Jekyll's single category.
    pub category: Option<String>,
    /// Free-form tags.
    pub tags: Option<OneOrMany>,
    /// Zola/Hugo taxonomies.
    pub taxonomies: Option<Taxonomies>,
    /// The URL name; else from the file name or the title.
    pub slug: Option<String>,
    /// The excerpt, in Markdown.
    pub summary: Option<String>,
    /// The excerpt if there is no summary; also the page description.
    pub description: Option<String>,
    /// Stored, but not public.
    pub draft: Option<bool>,
    /// Old paths that redirect here (Jekyll's jekyll-redirect-from calls them `redirect_from`).
    #[serde(alias = "redirect_from")]
    pub aliases: Option<Vec<String>>,
    /// Jekyll's permalink, an old path that redirects here.
    pub permalink: Option<String>,
    /// Hugo's `url`: the post's whole old path.
    pub url: Option<String>,
    /// Zola's `path`: the post's whole old path.
    pub path: Option<String>,
    /// What makes this post the same post across uploads, whatever its file is called.
    pub id: Option<Scalar>,
}

/// A key that may be written as text or as a number (`id: 42`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    /// Text.
    Text(String),
    /// A whole number.
    Number(i64),
}

impl std::fmt::Display for Scalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Text(text) => f.write_str(text),
            Self::Number(n) => write!(f, "{n}"),
        }
    }
}

/// The front matter block of `document` as a JSON value, whatever its syntax (TOML's dates as
/// their RFC 3339 text): every key it holds, read with the same limits as [`parse`].
pub fn value(document: &Document<'_>) -> Result<Value, FrontMatterError> {
    match document.format {
        Format::Yaml => parse_yaml(document.front_matter),
        Format::Toml => parse_toml(document.front_matter),
    }
}

/// Parses the front matter block of `document`.
pub fn parse(document: &Document<'_>) -> Result<FrontMatter, FrontMatterError> {
    let value = value(document)?;
    match value {
        Value::Object(_) => {}
        // An empty YAML block is a null: treat it as a table with no keys.
        Value::Null => return Ok(FrontMatter::default()),
        _ => return Err(FrontMatterError::NotATable),
    }
    serde_path_to_error::deserialize(value).map_err(|error| FrontMatterError::Field {
        field: error.path().to_string(),
        message: error.into_inner().to_string(),
    })
}

fn parse_yaml(text: &str) -> Result<Value, FrontMatterError> {
    // Front matter is small: tight budgets make a billion-laughs document fail at once.
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: 32,
            max_documents: 1,
            max_nodes: 20_000,
            max_total_scalar_bytes: 1 << 20,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: 10_000,
            max_replay_stack_depth: 8,
            max_alias_expansions_per_anchor: 100,
        },
    };
    serde_saphyr::from_str_with_options(text, options).map_err(|error| FrontMatterError::Syntax {
        format: "YAML",
        message: error.to_string(),
    })
}

fn parse_toml(text: &str) -> Result<Value, FrontMatterError> {
    let table: toml::Table = toml::from_str(text).map_err(|error| FrontMatterError::Syntax {
        format: "TOML",
        message: error.message().to_owned(),
    })?;
    Ok(toml_to_json(toml::Value::Table(table)))
}

/// TOML has a date-time type that JSON lacks: it becomes its RFC 3339 text, as YAML gives it.
fn toml_to_json(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => Value::from(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => Value::Object(
            table
                .into_iter()
                .map(|(k, v)| (k, toml_to_json(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_and_toml_front_matter_read_the_same() {
        let yaml =
            "---\ntitle: Hello\ndate: 2018-09-19\ncategories: [A, B]\nlayout: post\n---\nBody\n";
        let toml = "+++\ntitle = \"Hello\"\ndate = 2018-09-19\n[taxonomies]\ncategories = [\"A\", \"B\"]\n+++\nBody\n";
        let from_yaml = parse(&split(yaml).unwrap()).unwrap();
        let from_toml = parse(&split(toml).unwrap()).unwrap();
        assert_eq!(from_yaml.title.as_deref(), Some("Hello"));
        assert_eq!(from_yaml.date, from_toml.date);
        assert_eq!(
            from_yaml.categories,
            from_toml.taxonomies.unwrap().categories
        );
        assert_eq!(split(yaml).unwrap().body, "Body\n");
    }

    #[test]
    fn crlf_files_and_a_byte_order_mark_are_fine() {
        let doc = split("\u{feff}---\r\ntitle: x\r\n---\r\nBody").unwrap();
        assert_eq!(doc.body, "Body");
        assert_eq!(parse(&doc).unwrap().title.as_deref(), Some("x"));
    }

    #[test]
    fn blank_lines_before_the_front_matter_are_skipped() {
        let doc = split("\u{feff}\r\n  \n---\r\ntitle: x\r\n---\r\nBody").unwrap();
        assert_eq!(doc.body, "Body");
        assert_eq!(parse(&doc).unwrap().title.as_deref(), Some("x"));
    }

    #[test]
    fn missing_and_unterminated_front_matter_are_named() {
        assert_eq!(split("# Just markdown"), Err(FrontMatterError::Missing));
        assert_eq!(
            split("---\ntitle: x\n"),
            Err(FrontMatterError::Unterminated("---"))
        );
        assert_eq!(
            split("+++\ntitle = 1\n---\n"),
            Err(FrontMatterError::Unterminated("+++"))
        );
    }

    #[test]
    fn a_wrong_type_names_its_field() {
        let err = parse(&split("---\ntitle: [1, 2]\n---\n").unwrap()).unwrap_err();
        assert!(
            matches!(&err, FrontMatterError::Field { field, .. } if field == "title"),
            "{err}"
        );
        let err = parse(&split("---\ndraft: maybe\n---\n").unwrap()).unwrap_err();
        assert!(err.to_string().contains("draft"), "{err}");
    }

    #[test]
    fn a_yaml_alias_bomb_fails_fast() {
        let bomb = "---\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
                    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
                    e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n---\n";
        let err = parse(&split(bomb).unwrap()).unwrap_err();
        assert!(
            matches!(err, FrontMatterError::Syntax { format: "YAML", .. }),
            "{err}"
        );
    }

    #[test]
    fn syntax_errors_name_the_format() {
        let err = parse(&split("---\ntitle: [unclosed\n---\n").unwrap()).unwrap_err();
        assert!(err.to_string().contains("YAML"), "{err}");
        let err = parse(&split("+++\ntitle = \n+++\n").unwrap()).unwrap_err();
        assert!(err.to_string().contains("TOML"), "{err}");
    }
}
