//! Hugo sites made at random from Hugo 0.111's documented options, for the import oracle: the
//! configuration in any place Hugo reads it (`hugo.toml`, `config.toml`, `hugo.yaml`,
//! `hugo.json`, `config/_default/` whole or split into `permalinks.toml`, `languages.yaml`…),
//! permalink patterns per section, `uglyURLs` on, off or per section, `disablePathToLower`,
//! two languages in content folders or in file-name suffixes (`a.fr.md`), the default language
//! in a folder or not, page bundles, `.md`/`.markdown`/`.mdown`, `url`, `slug`, absolute and
//! relative `aliases`, YAML and TOML front matter, links by `relref`, images from `static/`.
//!
//! The same seed always makes the same site.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Map, Value, json};

/// Patterns a section's `[permalinks]` may take (tokens Hugo 0.111 knows).
const PATTERNS: &[&str] = &[
    "/:year/:month/:day/:slug/",
    "/:year/:slug/",
    "/:section/:title/",
    "/:sections/:filename/",
    "/articles/:slugorfilename/",
    "/:year/:month/:filename/",
    "/:yearday/:title/",
    "/:monthname/:slug/",
    "/:weekdayname/:year/:slug/",
];

const SECTIONS: &[&str] = &["post", "posts", "blog", "notes"];

const WORDS: &[&str] = &[
    "rust", "Moving", "lambda", "Cache", "deploy", "tokio", "Edge", "index", "Queue", "shard",
    "Café", "über",
];

/// A site made at random.
pub struct Made {
    /// What was chosen, one line.
    pub chosen: String,
    /// Its `baseURL`: where its output was served.
    pub base_url: String,
}

/// Makes a random Hugo site in `dir` from `seed`.
pub fn make(seed: u64, dir: &Path) -> Made {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut said = Vec::new();
    let mut config = Map::new();
    let base_url = if rng.u8(..4) == 0 {
        "https://gen.example.org/blog/"
    } else {
        "https://gen.example.org/"
    };
    said.push(format!("baseURL {base_url}"));
    config.insert("baseURL".into(), json!(base_url));
    config.insert("title".into(), json!("Generated"));

    let sections: Vec<&str> = {
        let mut all = SECTIONS.to_vec();
        rng.shuffle(&mut all);
        all[..rng.usize(1..=2)].to_vec()
    };
    let mut permalinks = Map::new();
    for section in &sections {
        if rng.bool() {
            let pattern = PATTERNS[rng.usize(..PATTERNS.len())];
            permalinks.insert((*section).to_owned(), json!(pattern));
        }
    }
    if !permalinks.is_empty() {
        said.push(format!("permalinks {}", Value::Object(permalinks.clone())));
        config.insert("permalinks".into(), Value::Object(permalinks));
    }
    match rng.u8(..4) {
        0 => {}
        1 => {
            config.insert("uglyURLs".into(), json!(true));
            said.push("uglyURLs".into());
        }
        _ => {
            let per: Map<String, Value> = sections
                .iter()
                .map(|s| ((*s).to_owned(), json!(rng.bool())))
                .collect();
            said.push(format!("uglyURLs {}", Value::Object(per.clone())));
            config.insert("uglyURLs".into(), Value::Object(per));
        }
    }
    if rng.u8(..4) == 0 {
        config.insert("disablePathToLower".into(), json!(true));
        said.push("disablePathToLower".into());
    }
    // Languages: none, in content folders, or in file-name suffixes.
    let languages = rng.u8(..3);
    let in_subdir = rng.bool();
    // The site's content in a folder of another name.
    let content_dir = if languages != 1 && rng.u8(..4) == 0 {
        config.insert("contentDir".into(), json!("articles"));
        said.push("contentDir articles".into());
        "articles"
    } else {
        "content"
    };
    match languages {
        0 if in_subdir && rng.bool() => {
            config.insert("defaultContentLanguageInSubdir".into(), json!(true));
            said.push("defaultContentLanguageInSubdir with one language".into());
        }
        0 => {}
        mode => {
            let mut en = Map::new();
            let mut fr = Map::new();
            en.insert("weight".into(), json!(1));
            fr.insert("weight".into(), json!(2));
            if mode == 1 {
                en.insert("contentDir".into(), json!("content/en"));
                fr.insert("contentDir".into(), json!("content/fr"));
            }
            config.insert("defaultContentLanguage".into(), json!("en"));
            config.insert("defaultContentLanguageInSubdir".into(), json!(in_subdir));
            config.insert(
                "languages".into(),
                json!({"en": Value::Object(en), "fr": Value::Object(fr)}),
            );
            said.push(format!(
                "languages {} (default in a folder: {in_subdir})",
                if mode == 1 {
                    "in content folders"
                } else {
                    "by file-name suffix"
                }
            ));
        }
    }
    said.push(write_config(&mut rng, dir, config));

    // Layouts, a static image and a PDF among the content.
    let layouts = dir.join("layouts/_default");
    std::fs::create_dir_all(&layouts).unwrap();
    std::fs::write(layouts.join("single.html"), SINGLE).unwrap();
    std::fs::write(layouts.join("list.html"), LIST).unwrap();
    std::fs::create_dir_all(dir.join("static/images")).unwrap();
    std::fs::write(dir.join("static/images/pixel.png"), pixel_png()).unwrap();

    let language_codes: &[&str] = if languages == 0 {
        &["en"]
    } else {
        &["en", "fr"]
    };
    let mut n = 0;
    let mut written: Vec<(String, String)> = Vec::new();
    for language in language_codes {
        for section in &sections {
            for _ in 0..rng.usize(1..=3) {
                n += 1;
                let file = post(
                    &mut rng,
                    &dir.join(content_dir),
                    n,
                    language,
                    section,
                    languages,
                    &written,
                );
                written.push(((*language).to_owned(), file));
            }
        }
    }
    said.push(format!("{n} posts"));
    Made {
        chosen: said.join("; "),
        base_url: base_url.to_owned(),
    }
}

/// Writes one post in the content folder `content`; returns its path within its language's.
fn post(
    rng: &mut fastrand::Rng,
    content: &Path,
    n: usize,
    language: &str,
    section: &str,
    languages: u8,
    earlier: &[(String, String)],
) -> String {
    let word = WORDS[rng.usize(..WORDS.len())];
    let name = format!("{word}-{n}");
    let extension = ["md", "md", "markdown", "mdown"][rng.usize(..4)];
    let nested = rng.u8(..4) == 0;
    let bundle = rng.u8(..4) == 0;
    let folder = if nested {
        format!("{section}/sub{n}")
    } else {
        section.to_owned()
    };
    let suffix = if languages == 2 && language != "en" {
        format!(".{language}")
    } else {
        String::new()
    };
    let within = if bundle {
        format!("{folder}/{name}/index{suffix}.md")
    } else {
        format!("{folder}/{name}{suffix}.{extension}")
    };
    let content = if languages == 1 {
        content.join(language)
    } else {
        content.to_owned()
    };
    let path = content.join(&within);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    // A nested folder is a section of its own when it has an `_index.md`.
    if nested && rng.bool() {
        std::fs::write(
            content.join(&folder).join("_index.md"),
            format!("---\ntitle: Sub {n}\n---\n"),
        )
        .unwrap();
    }
    if bundle {
        std::fs::write(path.with_file_name("diagram.png"), pixel_png()).unwrap();
    }

    let mut meta = Map::new();
    let title = format!(
        "{} {n}: {}, part {}!",
        capital(word),
        WORDS[rng.usize(..WORDS.len())],
        rng.u8(1..9)
    );
    meta.insert("title".into(), json!(title));
    let (hour, offset) = (rng.u8(0..24), ["Z", "+02:00", "-05:00"][rng.usize(..3)]);
    meta.insert(
        "date".into(),
        json!(format!(
            "{}-{:02}-{:02}T{hour:02}:{:02}:00{offset}",
            rng.u16(2012..2024),
            rng.u8(1..13),
            rng.u8(1..29),
            rng.u8(0..60)
        )),
    );
    match rng.u8(..6) {
        0 => {
            let url = match rng.u8(..3) {
                0 => format!("/exact/{name}/"),
                1 => format!("/exact/{name}.html"),
                _ => format!("/exact/{name}"),
            };
            meta.insert("url".into(), json!(url));
        }
        1 | 2 => {
            meta.insert("slug".into(), json!(format!("{} Slug {n}", capital(word))));
        }
        _ => {}
    }
    if rng.bool() {
        let alias = match rng.u8(..4) {
            0 => format!("/old/{name}/"),
            1 => format!("/old/{name}.html"),
            2 => format!("old-{name}"),
            _ => format!("/legacy/{name}"),
        };
        meta.insert("aliases".into(), json!([alias]));
    }
    let mut body = String::from("Some text.\n\n![A pixel](/images/pixel.png)\n");
    if bundle {
        body.push_str("\n![Its diagram](diagram.png)\n");
    }
    // A link to an earlier post of the same language, the way Hugo authors write one.
    if let Some((_, other)) = earlier.iter().rev().find(|(l, _)| l == language)
        && rng.bool()
    {
        let target = other.replace(&format!(".{language}."), ".");
        let _ = write!(
            body,
            "\nSee [the earlier post]({{{{< relref \"{target}\" >}}}}).\n"
        );
    }
    let front = if rng.bool() {
        format!(
            "---\n{}---\n",
            serde_saphyr::to_string(&Value::Object(meta)).unwrap()
        )
    } else {
        format!("+++\n{}+++\n", toml_of(&meta, ""))
    };
    std::fs::write(&path, format!("{front}{body}")).unwrap();
    within
}

/// Writes the configuration in one of the places Hugo reads it; says which.
fn write_config(rng: &mut fastrand::Rng, dir: &Path, config: Map<String, Value>) -> String {
    let place = rng.u8(..6);
    let (path, split) = match place {
        0 => ("hugo.toml", false),
        1 => ("config.toml", false),
        2 => ("hugo.yaml", false),
        3 => ("hugo.json", false),
        4 => ("config/_default/hugo.toml", false),
        _ => ("config/_default/hugo.toml", true),
    };
    let mut main = config.clone();
    let full = dir.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    let mut split_out = Vec::new();
    if split {
        for key in ["permalinks", "languages", "uglyURLs"] {
            if let Some(Value::Object(table)) = main.remove(key) {
                let yaml = rng.bool();
                let name = if yaml {
                    format!("config/_default/{key}.yaml")
                } else {
                    format!("config/_default/{key}.toml")
                };
                let text = if yaml {
                    serde_saphyr::to_string(&Value::Object(table)).unwrap()
                } else {
                    toml_of(&table, "")
                };
                std::fs::write(dir.join(&name), text).unwrap();
                split_out.push(name);
            } else if let Some(value) = main.get(key).cloned() {
                // A flag, not a table: it stays in the main file.
                main.insert(key.to_owned(), value);
            }
        }
    }
    let text = match path.rsplit('.').next() {
        Some("yaml") => serde_saphyr::to_string(&Value::Object(main)).unwrap(),
        Some("json") => serde_json::to_string_pretty(&Value::Object(main)).unwrap(),
        _ => toml_of(&main, ""),
    };
    std::fs::write(&full, text).unwrap();
    if split_out.is_empty() {
        format!("configuration in {path}")
    } else {
        format!("configuration in {path} and {}", split_out.join(", "))
    }
}

/// A table as TOML: scalars and arrays first, then each sub-table under its header.
fn toml_of(table: &Map<String, Value>, prefix: &str) -> String {
    let mut out = String::new();
    for (key, value) in table {
        match value {
            Value::Object(_) => {}
            Value::Array(items) => {
                let items: Vec<String> = items.iter().map(Value::to_string).collect();
                let _ = writeln!(out, "{key} = [{}]", items.join(", "));
            }
            scalar => {
                let _ = writeln!(out, "{key} = {scalar}");
            }
        }
    }
    for (key, value) in table {
        if let Value::Object(inner) = value {
            let name = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            let _ = writeln!(out, "\n[{name}]");
            out.push_str(&toml_of(inner, &name));
        }
    }
    out
}

/// A small PNG, made here so that its bytes are the test's own.
fn pixel_png() -> Vec<u8> {
    let image =
        image::RgbImage::from_fn(3, 2, |x, y| image::Rgb([40 * x as u8, 90 * y as u8, 200]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut bytes, image::ImageFormat::Png)
        .expect("a PNG");
    bytes.into_inner()
}

fn capital(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The post template every generated site has: the oracle's markers.
const SINGLE: &str = include_str!("../fixtures/import/hugo-real/layouts/_default/single.html");
const LIST: &str = include_str!("../fixtures/import/hugo-real/layouts/_default/list.html");
