//! The search page: a form, and an empty list the reader's browser fills with Pagefind's
//! results. Without JavaScript it says what search needs and links the categories.

use askama::Template;

use super::pages::{CategorySummary, Layout};

/// The search page.
#[derive(Debug, Template)]
#[template(path = "search.html")]
pub struct SearchView {
    /// The page frame.
    pub layout: Layout,
    /// The categories with posts, by name: where a reader without JavaScript can go instead.
    pub categories: Vec<CategorySummary>,
}
