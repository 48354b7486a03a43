//! A post as Pagefind reads it: a small HTML document of its title, its body as stored
//! (sanitised at ingest), and, marked for Pagefind, what a result shows (its byline) and what
//! readers filter and sort by (categories, authors, date). Its tags, categories and authors are
//! words of the post too.

use askama::Template;
use blog_shared::dates::{LongDate, sortable};
use blog_shared::model::ListingEntry;
use blog_shared::store::Body;

#[derive(Template)]
#[template(path = "record.html")]
struct RecordDocument<'a> {
    title: &'a str,
    byline: String,
    sortable: String,
    categories: Vec<&'a str>,
    authors: &'a [String],
    tags: &'a [String],
    body_html: &'a str,
}

/// The document Pagefind indexes for the post of `entry`.
pub(crate) fn document(entry: &ListingEntry, body: &Body) -> Result<String, askama::Error> {
    RecordDocument {
        title: &entry.title,
        byline: byline(entry),
        sortable: sortable(entry.published),
        categories: entry.categories.iter().map(|c| c.name.as_str()).collect(),
        authors: &entry.authors,
        tags: &body.tags,
        body_html: &body.html,
    }
    .render()
}

/// `September 19th, 2018 by Steve Conover and Jane Doe`, as a listing's row says it.
fn byline(entry: &ListingEntry) -> String {
    let date = LongDate(entry.published).to_string();
    match entry.authors.as_slice() {
        [] => date,
        [one] => format!("{date} by {one}"),
        [rest @ .., last] => format!("{date} by {} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use blog_shared::model::{Category, Slug};
    use time::macros::datetime;

    fn entry(authors: &[&str]) -> ListingEntry {
        ListingEntry {
            slug: Slug::parse("a-post").unwrap(),
            title: "Fish & <chips>".into(),
            authors: authors.iter().map(|a| (*a).to_owned()).collect(),
            published: datetime!(2018-09-19 10:00 UTC),
            categories: vec![Category::from_name("Microservices").unwrap()],
            excerpt_html: String::new(),
        }
    }

    #[test]
    fn a_byline_reads_as_a_listing_writes_it() {
        assert_eq!(byline(&entry(&[])), "September 19th, 2018");
        assert_eq!(
            byline(&entry(&["Steve Conover"])),
            "September 19th, 2018 by Steve Conover"
        );
        assert_eq!(
            byline(&entry(&["A", "B", "C"])),
            "September 19th, 2018 by A, B and C"
        );
    }

    #[test]
    fn names_are_text_and_the_body_is_the_stored_html() {
        let body = Body {
            slug: Slug::parse("a-post").unwrap(),
            html: "<p>Body <em>text</em></p>".into(),
            tags: vec!["<tag>".into()],
        };
        let html = document(&entry(&["Steve"]), &body).unwrap();
        assert!(html.contains("Fish &#38; &#60;chips&#62;"), "{html}");
        assert!(html.contains("&#60;tag&#62;"), "{html}");
        assert!(html.contains("<p>Body <em>text</em></p>"), "{html}");
        assert!(html.contains(r#"<p data-pagefind-filter="category">Microservices</p>"#));
    }
}
