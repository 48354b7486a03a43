//! What an old site's templates did, readers still see, and no template syntax: Hugo sites with
//! built-in and site-made shortcodes, and Jekyll sites with Liquid, imported through `blog
//! import` into `blog serve`. Figures keep their captions, code is highlighted, players and
//! gists become plain links, parameters their values, links between posts (shortcodes, Liquid
//! tags, plain links to old addresses) lead to the posts' new URLs, authors are read as the
//! site meant them, and what the importer could not know is named in the dry run.

use blog_tests::{ServeProcess, attrs, fixture, get_page, run_blog, texts};

const TOKEN: &str = "translate-token";

async fn import(blog: &ServeProcess, site: &str, more: &[&str]) -> blog_tests::CliRun {
    let site = fixture(&format!("import/{site}")).display().to_string();
    let mut args = vec!["import", &site, "--endpoint", &blog.url, "--token", TOKEN];
    args.extend_from_slice(more);
    run_blog(&args).await
}

/// The post's body as readers get it: its HTML and its links.
async fn body(blog: &ServeProcess, slug: &str) -> (String, Vec<String>) {
    let (status, page) = get_page(&format!("{}/posts/{slug}", blog.url)).await;
    assert_eq!(status, 200, "{slug}");
    let html = page
        .select(&scraper::Selector::parse(".post-body").unwrap())
        .map(|e| e.inner_html())
        .collect::<String>();
    (html, attrs(&page, ".post-body a", "href"))
}

#[tokio::test]
async fn hugo_shortcodes_become_what_readers_can_see_and_links_lead_to_the_new_posts() {
    let dir = tempfile::TempDir::new().unwrap();
    let blog = ServeProcess::start(TOKEN, dir.path()).await;

    let plan = import(&blog, "hugo-shortcodes", &["--dry-run"]).await;
    assert!(plan.success, "{plan:?}");
    assert!(
        plan.stdout
            .contains("unknown shortcode mysite-banner ×1: removed from the page"),
        "{}",
        plan.stdout
    );
    for read in [
        "\"Jane Doe, Executive Director\" → Jane Doe",
        "\"Bo Chen (Acme)\" → Bo Chen",
        "\"[Ann Lee](https://example.org/ann)\" → Ann Lee",
        "\"Ann Lee and Bo Chen\" → Ann Lee; Bo Chen",
        "link kept as written (no imported post): /about/",
    ] {
        assert!(plan.stdout.contains(read), "{read}: {}", plan.stdout);
    }

    let run = import(&blog, "hugo-shortcodes", &[]).await;
    assert!(run.success, "{run:?}");
    assert!(
        run.summary().starts_with("3 files: 3 created"),
        "{}",
        run.stdout
    );

    let (html, links) = body(&blog, "architecture").await;
    // The one shortcode left is the one the author escaped to show its syntax, as Hugo showed it.
    assert_eq!(html.matches("{{&lt;").count(), 1, "{html}");
    assert!(!html.contains("{{<") && !html.contains("mysite"), "{html}");
    assert!(html.contains("The Platform Team wrote this."), "{html}");
    assert!(
        html.contains("<figcaption>Figure 1: the whole system</figcaption>"),
        "{html}"
    );
    assert!(html.contains("alt=\"The diagram\""), "{html}");
    assert!(html.contains("language-go"), "{html}");
    assert!(
        !html.contains("Subscribe!"),
        "a site's own shortcode is not guessed: {html}"
    );
    assert!(
        html.contains("{{&lt; figure src=\"x.png\" &gt;}}"),
        "shown as written: {html}"
    );
    for link in [
        "https://www.youtube.com/watch?v=w7Ft2ymGmfc",
        "https://vimeo.com/146022717",
        "https://gist.github.com/spf13/7896402",
        "/posts/follow-up",
    ] {
        assert!(links.iter().any(|l| l == link), "{link} in {links:?}");
    }
    let (status, page) = get_page(&format!("{}/posts/architecture", blog.url)).await;
    assert_eq!(status, 200);
    assert_eq!(texts(&page, ".byline a"), ["Jane Doe"]);
    let image = attrs(&page, ".post-body img", "src");
    assert_eq!(image.len(), 1, "{image:?}");
    let loaded = reqwest::get(format!("{}{}", blog.url, image[0]))
        .await
        .unwrap();
    assert_eq!(loaded.status(), 200, "{}", image[0]);

    let (_, links) = body(&blog, "follow-up").await;
    assert_eq!(
        links,
        [
            "/posts/architecture#top",
            "/posts/architecture",
            "/posts/architecture",
            "/posts/bundle-post",
            "/about/"
        ]
    );
    let (_, page) = get_page(&format!("{}/posts/follow-up", blog.url)).await;
    assert_eq!(texts(&page, ".byline a"), ["Ann Lee", "Bo Chen"]);
    let (html, _) = body(&blog, "bundle-post").await;
    assert!(
        html.contains("<figcaption>The same photo</figcaption>"),
        "{html}"
    );
    assert_eq!(
        attrs(
            &get_page(&format!("{}/posts/bundle-post", blog.url)).await.1,
            ".post-body img",
            "src"
        )
        .len(),
        2
    );
}

#[tokio::test]
async fn jekyll_liquid_becomes_what_readers_can_see_and_links_lead_to_the_new_posts() {
    let dir = tempfile::TempDir::new().unwrap();
    let blog = ServeProcess::start(TOKEN, dir.path()).await;

    let run = import(&blog, "jekyll-liquid", &[]).await;
    assert!(run.success, "{run:?}");
    assert!(
        run.stdout.contains("unknown shortcode include ×1 in"),
        "{}",
        run.stdout
    );

    let (html, links) = body(&blog, "first").await;
    assert!(!html.contains("{%") && !html.contains("comment"), "{html}");
    assert!(
        html.contains("Written by the Storage Team for Liquid, the first."),
        "{html}"
    );
    assert!(html.contains("language-ruby"), "{html}");
    assert!(
        html.contains("Write {{ site.title }} to show the title."),
        "raw stays: {html}"
    );
    assert!(!html.contains("editor"), "{html}");
    assert_eq!(links, ["/posts/second", "/posts/second"]);
    let (_, page) = get_page(&format!("{}/posts/first", blog.url)).await;
    assert_eq!(texts(&page, ".byline a"), ["Sam Roe"]);

    let (_, links) = body(&blog, "second").await;
    assert_eq!(links, ["/posts/first", "/posts/first"]);
    let (_, page) = get_page(&format!("{}/posts/second", blog.url)).await;
    assert_eq!(texts(&page, ".byline a"), ["Kim Park"]);
    // The excerpt the site set is the one listings show.
    let (_, listing) = get_page(&format!("{}/", blog.url)).await;
    assert!(
        texts(&listing, ".excerpt")
            .iter()
            .any(|e| e.contains("The first one, with Liquid.")),
        "{:?}",
        texts(&listing, ".excerpt")
    );
}
