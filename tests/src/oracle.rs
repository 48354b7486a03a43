//! The import oracle: an old site's generator output (Hugo's `public/`, Jekyll's `_site/`, a
//! recorded Zola tree) is the truth, and a blog the site was imported into is checked against
//! every post page of it, item by item:
//!
//! - the page's address (with the variants a web server answers for it: `/a/`, `/a`,
//!   `/a/index.html`) answers 301 to a post of the same title (or is that post);
//! - every redirect page the generator wrote (a meta refresh to a post page) answers 301 to that
//!   same post;
//! - every image and file link of the page's body that the output holds loads from the blog's
//!   page of the post with the same bytes (or, for an image whose bytes differ, the same decoded
//!   pixels: the blog strips camera metadata from JPEG, PNG and WebP originals);
//! - every link of the body to another post page leads, in the blog's page, to that post's
//!   page (`/posts/<slug>`) directly;
//! - the date the page shows is the date the blog shows.
//!
//! A post page is found by the marker every fixture site's post template writes:
//! `<meta name="oracle-source" content="SOURCE">` (the source file from the site's root), with
//! `<h1 class="oracle-title">`, `<time class="oracle-date" datetime="YYYY-MM-DD">` and the body
//! in `<div class="oracle-body">`.
//!
//! Use: [`hugo`] or [`jekyll`] builds a site (or [`Output::new`] takes a recorded tree), then
//! [`Output::compare`] with the blog's URL gives a [`Report`]; [`Report::assert_clean`] fails
//! the test with every mismatch.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::Url;
use scraper::{ElementRef, Html, Selector};

/// A generator's output tree and where it was served.
#[derive(Debug, Clone)]
pub struct Output {
    /// The folder the generator wrote.
    pub dir: PathBuf,
    /// The path the tree was served under (`/`, or Jekyll's `baseurl` / the path of Hugo's
    /// `baseURL`), with a trailing `/`.
    pub base: String,
    /// Hosts whose absolute links are the old site's own (its `baseURL`'s).
    pub hosts: Vec<String>,
}

/// One thing the blog does not do as the old site did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The post page's source file (or the redirect page's address).
    pub source: String,
    /// What was checked, and what was found.
    pub problem: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.problem)
    }
}

/// What a comparison found.
#[derive(Debug, Default)]
pub struct Report {
    /// Post pages in the output.
    pub posts: usize,
    /// Redirect pages in the output that lead to a post page.
    pub redirects: usize,
    /// Individual checks made (addresses, files, links, dates).
    pub checks: usize,
    /// Every check that failed.
    pub mismatches: Vec<Mismatch>,
}

impl Report {
    /// Panics, listing every mismatch, unless there are none (or the output held no post).
    pub fn assert_clean(&self, what: &str) {
        assert!(self.posts > 0, "{what}: the output holds no post page");
        assert!(
            self.mismatches.is_empty(),
            "{what}: {} of {} checks on {} post pages and {} redirect pages failed:\n{}",
            self.mismatches.len(),
            self.checks,
            self.posts,
            self.redirects,
            self.mismatches
                .iter()
                .map(|m| format!("  - {m}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} of {} checks on {} post pages and {} redirect pages failed",
            self.mismatches.len(),
            self.checks,
            self.posts,
            self.redirects
        )?;
        for mismatch in &self.mismatches {
            writeln!(f, "  - {mismatch}")?;
        }
        Ok(())
    }
}

impl Report {
    /// As [`Report::assert_clean`], but the post pages of the sources in `known` may mismatch
    /// (each with the reason the test gives): each must still mismatch, so that a fix tells the
    /// test to drop it.
    pub fn assert_clean_but(&self, what: &str, known: &[(&str, &str)]) {
        for (source, why) in known {
            assert!(
                self.mismatches.iter().any(|m| m.source == *source),
                "{what}: {source} now matches the old site ({why}): drop it from the known \
                 mismatches"
            );
        }
        let rest = Report {
            mismatches: self
                .mismatches
                .iter()
                .filter(|m| !known.iter().any(|(source, _)| m.source == *source))
                .cloned()
                .collect(),
            ..*self
        };
        rest.assert_clean(what);
    }
}

/// Builds `site` with Hugo into `out` from a copy (Hugo leaves a lock file beside its source),
/// offline; panics with Hugo's output if it fails. The copy's path is the site parameter
/// `oracleroot` (`HUGO_PARAMS_ORACLEROOT`), for templates that name a source from the root.
pub fn hugo(site: &Path, out: &Path) -> Output {
    let copy = tempfile::TempDir::new().expect("a temporary folder");
    crate::copy_dir(site, copy.path());
    run_generator(
        Command::new("hugo")
            .arg("--quiet")
            .arg("--source")
            .arg(copy.path())
            .arg("--destination")
            .arg(out)
            .env("HUGO_PARAMS_ORACLEROOT", copy.path()),
    );
    Output::new(out)
}

/// Builds `site` with Jekyll into `out` from a writable copy (Jekyll writes beside its source).
pub fn jekyll(site: &Path, out: &Path) -> Output {
    let copy = tempfile::TempDir::new().expect("a temporary folder");
    crate::copy_dir(site, copy.path());
    run_generator(
        Command::new("jekyll")
            .arg("build")
            .arg("--quiet")
            .arg("--source")
            .arg(copy.path())
            .arg("--destination")
            .arg(out),
    );
    Output::new(out)
}

fn run_generator(command: &mut Command) {
    let output = command.output().unwrap_or_else(|e| {
        panic!("{command:?} did not start ({e}): scripts/test installs hugo and jekyll")
    });
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A post page of the output.
#[derive(Debug, Clone)]
struct Page {
    source: String,
    /// Every address it was served at, the page's own first.
    addresses: Vec<String>,
    title: String,
    date: Option<String>,
    body: String,
}

/// A post's page in the blog, as an oracle page's address led to it.
#[derive(Debug, Clone)]
struct Found {
    path: String,
    html: String,
}

impl Output {
    /// A tree served at the root of its site.
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_owned(),
            base: "/".to_owned(),
            hosts: Vec::new(),
        }
    }

    /// The same tree served at `url` (`https://old.example.org/blog/`): its path is the base
    /// of every address, its host the old site's own.
    pub fn served_at(mut self, url: &str) -> Self {
        let url = Url::parse(url).expect("an absolute URL");
        self.base = format!("{}/", url.path().trim_end_matches('/'));
        self.hosts.extend(url.host_str().map(str::to_owned));
        self
    }

    /// Checks the blog at `blog` (`http://127.0.0.1:PORT`) against every post page of the tree.
    pub async fn compare(&self, blog: &str) -> Report {
        let mut report = Report::default();
        let mut pages: Vec<Page> = Vec::new();
        let mut redirects: Vec<(String, String)> = Vec::new();
        for file in html_files(&self.dir) {
            let relative = file
                .strip_prefix(&self.dir)
                .expect("within")
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let html = Html::parse_document(&text);
            let address = format!("{}{relative}", self.base);
            if let Some(source) = attr(&html, "meta[name=oracle-source]", "content") {
                pages.push(Page {
                    source,
                    addresses: variants(&address),
                    title: text_of(&html, ".oracle-title").unwrap_or_default(),
                    date: attr(&html, "time.oracle-date", "datetime"),
                    body: select(&html, ".oracle-body")
                        .first()
                        .map(|e| e.inner_html())
                        .unwrap_or_default(),
                });
            } else if let Some(target) = refresh_target(&html)
                && let Some(target) = self.local_path(&address, &target)
            {
                for from in variants(&address) {
                    redirects.push((from, target.clone()));
                }
            }
        }
        report.posts = pages.len();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client");
        let blog = Url::parse(blog).expect("the blog's URL");

        // Every address of every post page: the post, and where the blog serves it.
        let mut found: BTreeMap<String, Found> = BTreeMap::new();
        for page in &pages {
            for address in &page.addresses {
                report.checks += 1;
                match answer(&client, &blog, address, &page.title).await {
                    Ok(post) => {
                        found.entry(page.source.clone()).or_insert(post);
                    }
                    Err(problem) => report.mismatch(&page.source, format!("{address}: {problem}")),
                }
            }
        }
        // Every redirect page to a post page.
        let owner = |path: &str| pages.iter().find(|p| p.addresses.iter().any(|a| a == path));
        for (from, to) in &redirects {
            let Some(page) = owner(to) else { continue };
            report.checks += 1;
            let Some(post) = found.get(&page.source) else {
                report.mismatch(from, format!("redirects to {to}, whose post was not found"));
                continue;
            };
            match redirect(&client, &blog, from).await {
                Ok(Some(location)) if location == post.path => {}
                Ok(other) => report.mismatch(
                    from,
                    format!(
                        "the old site redirected it to {to} ({}); the blog answers {}",
                        post.path,
                        other.unwrap_or_else(|| "without a redirect".to_owned())
                    ),
                ),
                Err(problem) => report.mismatch(from, problem),
            }
        }
        let mut counted = std::collections::BTreeSet::new();
        for (from, to) in &redirects {
            if owner(to).is_some() {
                counted.insert(from.trim_end_matches("index.html").trim_end_matches('/'));
            }
        }
        report.redirects = counted.len();

        // The body of every post page that was found.
        for page in &pages {
            let Some(post) = found.get(&page.source) else {
                continue;
            };
            self.compare_body(&client, &blog, page, post, &pages, &found, &mut report)
                .await;
        }
        report
    }

    #[allow(clippy::too_many_arguments)]
    async fn compare_body(
        &self,
        client: &reqwest::Client,
        blog: &Url,
        page: &Page,
        post: &Found,
        pages: &[Page],
        found: &BTreeMap<String, Found>,
        report: &mut Report,
    ) {
        let oracle = Html::parse_fragment(&page.body);
        let ours = Html::parse_document(&post.html);
        let ours_body = select(&ours, ".post-body")
            .first()
            .map(|e| e.html())
            .unwrap_or_default();
        let ours_body = Html::parse_fragment(&ours_body);
        let here = &page.addresses[0];

        if let Some(date) = &page.date {
            report.checks += 1;
            let shown = attr(&ours, "article time", "datetime").unwrap_or_default();
            if !shown.starts_with(date.as_str()) {
                report.mismatch(
                    &page.source,
                    format!("the old site showed the date {date}; the blog shows `{shown}`"),
                );
            }
        }

        // No template syntax the old site's page did not show reaches readers.
        report.checks += 1;
        let theirs_text: String = oracle.root_element().text().collect();
        let ours_text: String = ours_body.root_element().text().collect();
        for syntax in ["{{<", "{{%", "{%", "{{ "] {
            if ours_text.matches(syntax).count() > theirs_text.matches(syntax).count() {
                report.mismatch(
                    &page.source,
                    format!(
                        "the blog's page shows template syntax `{syntax}` the old site's did not"
                    ),
                );
            }
        }

        // Images and links to files the output holds.
        let images = select(&oracle, "img[src]")
            .into_iter()
            .filter_map(|e| e.value().attr("src").map(|s| ("img", "src", s.to_owned())));
        let links = select(&oracle, "a[href]")
            .into_iter()
            .filter_map(|e| e.value().attr("href").map(|s| ("a", "href", s.to_owned())));
        for (tag, attribute, url) in images.chain(links).collect::<Vec<_>>() {
            let Some(path) = self.local_path(here, &url) else {
                continue;
            };
            let Some(file) = self.file_at(&path) else {
                continue;
            };
            if file.extension().is_some_and(|e| e == "html") {
                continue;
            }
            report.checks += 1;
            let name = path.rsplit('/').next().unwrap_or_default().to_owned();
            let theirs = std::fs::read(&file).unwrap_or_default();
            let candidates: Vec<String> = select(&ours_body, &format!("{tag}[{attribute}]"))
                .into_iter()
                .filter_map(|e| e.value().attr(attribute).map(str::to_owned))
                .filter(|u| decoded(u.rsplit('/').next().unwrap_or_default()) == decoded(&name))
                .collect();
            let Some(src) = candidates.first() else {
                report.mismatch(
                    &page.source,
                    format!("`{url}` ({tag}): the blog's page has no {tag} of that file's name"),
                );
                continue;
            };
            match fetch(client, blog, &post.path, src).await {
                Ok(bytes) if same_file(&theirs, &bytes) => {}
                Ok(bytes) => report.mismatch(
                    &page.source,
                    format!(
                        "`{url}` ({tag}): the blog's `{src}` has other content ({} bytes, the old \
                         site's {} bytes)",
                        bytes.len(),
                        theirs.len()
                    ),
                ),
                Err(problem) => {
                    report.mismatch(&page.source, format!("`{url}` ({tag}): `{src}` {problem}"))
                }
            }
        }

        // Links to other post pages, matched by their text, in order.
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for link in select(&oracle, "a[href]") {
            let url = link.value().attr("href").unwrap_or_default();
            let Some(path) = self.local_path(here, url) else {
                continue;
            };
            let path = path.split('#').next().unwrap_or_default().to_owned();
            let Some(target) = self.post_at(&path, pages) else {
                continue;
            };
            report.checks += 1;
            let text = link.text().collect::<String>().trim().to_owned();
            let nth = seen.entry(text.clone()).or_default();
            let ours_link = select(&ours_body, "a[href]")
                .into_iter()
                .filter(|a| a.text().collect::<String>().trim() == text)
                .nth(*nth);
            *nth += 1;
            let Some(expected) = found.get(&target.source) else {
                report.mismatch(
                    &page.source,
                    format!(
                        "links to {} ({}), which is not in the blog",
                        url, target.source
                    ),
                );
                continue;
            };
            let href = ours_link.and_then(|a| a.value().attr("href"));
            let leads = href.and_then(|h| blog.join(&post.path).ok()?.join(h).ok());
            if leads.as_ref().map(Url::path) != Some(expected.path.as_str()) {
                report.mismatch(
                    &page.source,
                    format!(
                        "link \"{text}\" to `{url}` ({}) should lead to {}; the blog's leads to {}",
                        target.source,
                        expected.path,
                        href.unwrap_or("nothing (no link of that text)")
                    ),
                );
            }
        }
    }

    /// The path (from the site's root, with the base) a URL in the page at `page` leads to,
    /// None if it leads off the old site.
    fn local_path(&self, page: &str, url: &str) -> Option<String> {
        let origin = Url::parse("http://oracle.invalid/").expect("a URL");
        let resolved = origin.join(page).ok()?.join(url).ok()?;
        let host = resolved.host_str().unwrap_or_default();
        if host != "oracle.invalid" && !self.hosts.iter().any(|h| h == host) {
            return None;
        }
        if !matches!(resolved.scheme(), "http" | "https") {
            return None;
        }
        let mut path = resolved.path().to_owned();
        if let Some(fragment) = resolved.fragment() {
            path = format!("{path}#{fragment}");
        }
        Some(path)
    }

    /// The output's file at an address, as a static server finds it.
    fn file_at(&self, path: &str) -> Option<PathBuf> {
        let path = path.split('#').next().unwrap_or_default();
        let within = path.strip_prefix(self.base.as_str())?;
        let mut file = self.dir.join(decoded(within));
        if path.ends_with('/') || file.is_dir() {
            file = file.join("index.html");
        }
        file.is_file().then_some(file)
    }

    /// The post page an address serves: its own, or the one its redirect page leads to.
    fn post_at<'a>(&self, path: &str, pages: &'a [Page]) -> Option<&'a Page> {
        let direct = |p: &str| {
            pages
                .iter()
                .find(|page| page.addresses.iter().any(|a| a == p))
        };
        if let Some(page) = direct(path) {
            return Some(page);
        }
        let file = self.file_at(path)?;
        let html = Html::parse_document(&std::fs::read_to_string(file).ok()?);
        direct(&self.local_path(path, &refresh_target(&html)?)?)
    }
}

impl Report {
    fn mismatch(&mut self, source: &str, problem: String) {
        self.mismatches.push(Mismatch {
            source: source.to_owned(),
            problem,
        });
    }
}

/// The addresses a static server answers for a file: `/a/index.html` also as `/a/` and `/a`.
fn variants(address: &str) -> Vec<String> {
    let encoded = |p: &str| {
        Url::parse("http://oracle.invalid/")
            .expect("a URL")
            .join(p)
            .map(|u| u.path().to_owned())
            .unwrap_or_else(|_| p.to_owned())
    };
    match address.strip_suffix("index.html") {
        Some(dir) if dir.ends_with('/') => {
            let mut all = vec![encoded(dir)];
            if dir.len() > 1 {
                all.push(encoded(dir.trim_end_matches('/')));
            }
            all.push(encoded(address));
            all
        }
        _ => vec![encoded(address)],
    }
}

/// What the blog answers at `address`: the post (where it serves it, and its page) if it
/// redirects to a post of `title` or is one, else why not.
async fn answer(
    client: &reqwest::Client,
    blog: &Url,
    address: &str,
    title: &str,
) -> Result<Found, String> {
    let url = blog.join(address).map_err(|e| e.to_string())?;
    let response = client
        .get(url.clone())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let (path, html) = match status {
        301 => {
            let location = location(&url, &response).ok_or("a 301 without a Location")?;
            if !location.starts_with("/posts/") {
                return Err(format!("301 to {location}, not a post's page"));
            }
            let page = client
                .get(blog.join(&location).map_err(|e| e.to_string())?)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if page.status() != 200 {
                return Err(format!(
                    "301 to {location}, which answers {}",
                    page.status()
                ));
            }
            (location, page.text().await.map_err(|e| e.to_string())?)
        }
        200 => (
            url.path().to_owned(),
            response.text().await.map_err(|e| e.to_string())?,
        ),
        other => return Err(format!("answers {other}, not 301 to the post")),
    };
    let shown = text_of(&Html::parse_document(&html), "article h1").unwrap_or_default();
    if shown != title {
        return Err(format!(
            "leads to {path}, titled \"{shown}\", not \"{title}\""
        ));
    }
    Ok(Found { path, html })
}

/// Where the blog redirects `address` to (a path), None if it does not redirect.
async fn redirect(
    client: &reqwest::Client,
    blog: &Url,
    address: &str,
) -> Result<Option<String>, String> {
    let url = blog.join(address).map_err(|e| e.to_string())?;
    let response = client
        .get(url.clone())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    match response.status().as_u16() {
        301 => Ok(location(&url, &response)),
        200 => Ok(None),
        other => Ok(Some(format!("status {other}"))),
    }
}

fn location(url: &Url, response: &reqwest::Response) -> Option<String> {
    let value = response.headers().get("location")?.to_str().ok()?;
    Some(url.join(value).ok()?.path().to_owned())
}

/// The bytes at `src` in the blog's page at `page`.
async fn fetch(
    client: &reqwest::Client,
    blog: &Url,
    page: &str,
    src: &str,
) -> Result<Vec<u8>, String> {
    let url = blog
        .join(page)
        .and_then(|p| p.join(src))
        .map_err(|e| e.to_string())?;
    let response = client.get(url).send().await.map_err(|e| e.to_string())?;
    if response.status() != 200 {
        return Err(format!("answers {}", response.status()));
    }
    Ok(response.bytes().await.map_err(|e| e.to_string())?.to_vec())
}

/// The same bytes, or the same image: equal decoded pixels (the blog strips metadata).
fn same_file(theirs: &[u8], ours: &[u8]) -> bool {
    if theirs == ours {
        return true;
    }
    match (
        image::load_from_memory(theirs),
        image::load_from_memory(ours),
    ) {
        (Ok(a), Ok(b)) => a.to_rgba8() == b.to_rgba8(),
        _ => false,
    }
}

/// A URL's path (or a part of one) with its percent-escapes decoded.
fn decoded(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

fn html_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(folder) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "html") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn select<'a>(html: &'a Html, selector: &str) -> Vec<ElementRef<'a>> {
    let selector = Selector::parse(selector).expect("a selector");
    html.select(&selector).collect()
}

/// Where a redirect page's meta refresh leads, also inside `<noscript>` (Zola's alias pages
/// redirect by script and keep the meta refresh for browsers without one; a parser that runs
/// scripts, as browsers and this one do, reads a `<noscript>` in `<head>` as text).
fn refresh_target(html: &Html) -> Option<String> {
    let content = attr(html, "meta[http-equiv=refresh]", "content").or_else(|| {
        select(html, "noscript").iter().find_map(|noscript| {
            let inner = Html::parse_fragment(&noscript.text().collect::<String>());
            attr(&inner, "meta[http-equiv=refresh]", "content")
        })
    })?;
    let (_, target) = content.split_once('=')?;
    Some(target.trim().trim_matches('\'').to_owned())
}

fn attr(html: &Html, selector: &str, name: &str) -> Option<String> {
    select(html, selector)
        .first()
        .and_then(|e| e.value().attr(name))
        .map(str::to_owned)
}

fn text_of(html: &Html, selector: &str) -> Option<String> {
    select(html, selector)
        .first()
        .map(|e| e.text().collect::<String>().trim().to_owned())
}
