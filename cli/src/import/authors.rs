//! Authors as the old site meant them: the strings its front matter holds (`author`, `authors`)
//! read as names, the way a reader of the old site read them. `Jane Doe, Executive Director`
//! and `Jane Doe (Acme)` are one person; `[Jane Doe](https://…)` is Jane Doe; `A and B` and
//! `A, B and C` are several; each entry of a list is one person. Where this reading is wrong,
//! `blog import --authors FILE` maps a site's author string to the names it stands for.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Deserialize;

/// `--authors FILE`: a site's author strings, each to the name or names it stands for
/// (YAML: `"Jane Doe, Executive Director": Jane Doe`, `"The Team": [Ann Lee, Bo Chen]`).
#[derive(Debug, Default, Clone)]
pub struct AuthorMap(BTreeMap<String, Vec<String>>);

#[derive(Deserialize)]
#[serde(untagged)]
enum Names {
    One(String),
    Many(Vec<String>),
}

impl AuthorMap {
    /// The map in `path`, or a refusal naming what is wrong with it.
    pub fn read(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let map: BTreeMap<String, Names> = serde_saphyr::from_str(&text).with_context(|| {
            format!(
                "{} is not a map of author strings to names (YAML: `\"Jane Doe, CEO\": Jane Doe`)",
                path.display()
            )
        })?;
        let mut out = BTreeMap::new();
        for (written, names) in map {
            let names = match names {
                Names::One(name) => vec![name],
                Names::Many(names) => names,
            };
            let names: Vec<String> = names.iter().map(|n| n.trim().to_owned()).collect();
            anyhow::ensure!(
                !names.is_empty() && names.iter().all(|n| !n.is_empty()),
                "{}: `{written}` maps to no name",
                path.display()
            );
            out.insert(written.trim().to_owned(), names);
        }
        Ok(Self(out))
    }

    /// The names the author string `written` stands for: as the map says, else as read.
    pub fn names(&self, written: &str, in_list: bool) -> Vec<String> {
        match self.0.get(written.trim()) {
            Some(names) => names.clone(),
            None if in_list => vec![one_person(written)],
            None => read_authors(written),
        }
    }
}

/// The people one author string names: several where it reads as a list of names (`A and B`,
/// `A, B and C`, `A, B, and C`, `A & B`), else one, its title or affiliation left off.
pub fn read_authors(written: &str) -> Vec<String> {
    let text = written.trim();
    let (head, last) = match split_last_and(text) {
        Some(parts) => parts,
        None => {
            return vec![one_person(text)]
                .into_iter()
                .filter(|n| !n.is_empty())
                .collect();
        }
    };
    // A comma separates names only in a list that ends in "and".
    let mut names: Vec<String> = head
        .split(',')
        .map(one_person)
        .filter(|n| !n.is_empty())
        .collect();
    names.push(one_person(last));
    names.retain(|n| !n.is_empty());
    names.dedup();
    names
}

/// `text` split at its last ` and ` (or ` & `), when there is one between two words.
fn split_last_and(text: &str) -> Option<(&str, &str)> {
    [" and ", " & ", ", and ", ",and "]
        .iter()
        .filter_map(|sep| text.rfind(sep).map(|at| (at, sep.len())))
        .max_by_key(|(at, len)| (*at, std::cmp::Reverse(*len)))
        .map(|(at, len)| (text[..at].trim_end_matches(','), &text[at + len..]))
        .filter(|(head, last)| !head.trim().is_empty() && !last.trim().is_empty())
}

/// One person's name from how a site wrote it: a Markdown link's text, without a title after a
/// comma (`Jane Doe, Executive Director`) or an affiliation in brackets (`Jane Doe (Acme)`).
pub fn one_person(written: &str) -> String {
    let mut name = written.trim();
    if let Some(rest) = name.strip_prefix('[')
        && let Some(end) = rest.find("](")
        && rest.ends_with(')')
    {
        name = &rest[..end];
    }
    let name = name.split(',').next().unwrap_or(name);
    let name = match name.find(" (") {
        Some(at) if name.trim_end().ends_with(')') => &name[..at],
        _ => name,
    };
    name.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_with_a_title_or_an_affiliation_is_one_person() {
        assert_eq!(read_authors("Jane Doe, Executive Director"), ["Jane Doe"]);
        assert_eq!(read_authors("Jane Doe (Acme)"), ["Jane Doe"]);
        assert_eq!(
            read_authors("[Jane Doe](https://example.com/jane)"),
            ["Jane Doe"]
        );
        assert_eq!(read_authors("Alexandra Anderson"), ["Alexandra Anderson"]);
    }

    #[test]
    fn lists_that_end_in_and_name_several_people() {
        assert_eq!(read_authors("Ann Lee and Bo Chen"), ["Ann Lee", "Bo Chen"]);
        assert_eq!(read_authors("A, B and C"), ["A", "B", "C"]);
        assert_eq!(read_authors("A, B, and C"), ["A", "B", "C"]);
        assert_eq!(read_authors("Ann Lee & Bo Chen"), ["Ann Lee", "Bo Chen"]);
        assert_eq!(
            read_authors("[Ann Lee](https://a.example) and Bo Chen (Acme)"),
            ["Ann Lee", "Bo Chen"]
        );
    }

    #[test]
    fn a_map_overrides_the_reading_and_list_entries_stay_whole() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("authors.yml");
        std::fs::write(
            &file,
            "\"Research and Development\": R&D Team\n\"The Team\": [Ann Lee, Bo Chen]\n",
        )
        .unwrap();
        let map = AuthorMap::read(&file).unwrap();
        assert_eq!(map.names("Research and Development", false), ["R&D Team"]);
        assert_eq!(map.names("The Team", true), ["Ann Lee", "Bo Chen"]);
        assert_eq!(
            map.names("Ann Lee and Bo Chen", true),
            ["Ann Lee and Bo Chen"]
        );
        std::fs::write(&file, "x: []\n").unwrap();
        let error = AuthorMap::read(&file).unwrap_err().to_string();
        assert!(error.contains("maps to no name"), "{error}");
    }
}
