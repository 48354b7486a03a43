//! `blog serve`: the whole site in one process on the embedded store, seeded from
//! `examples/posts/` when the database is empty, with the ingest routes behind a bearer token,
//! the pages kept as a CDN would keep them until the database changes ([`page_cache`]), and
//! its connections held within deadlines and caps ([`connections`]), and its search index
//! built again after writes and when a scheduled post appears ([`search`]).

mod connections;
mod page_cache;
mod search;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use blog_shared::http::{self, IngestAuth};
use blog_shared::model::{Listing, visible_until};
use blog_shared::store::blobs::{Blobs, SqliteBlobs};
use blog_shared::store::{ListingQuery, SqliteStore, Store};
use blog_shared::{AppState, Favicon, SiteConfig, seed};
use time::OffsetDateTime;

use connections::Limits;
use page_cache::PageCache;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
    /// The embedded database file (created if missing).
    #[arg(long, env = "BLOG_DB", default_value = ".blog/blog.sqlite3")]
    db: PathBuf,
    /// Folder of Markdown posts that seeds an empty database.
    #[arg(long, default_value = "examples/posts")]
    seed: PathBuf,
    /// The public URL of the site, for feeds and canonical links [default: http://ADDR].
    #[arg(long, env = "BLOG_BASE_URL")]
    base_url: Option<String>,
    /// The site's icon: a stored image's path (/media/<sha256>/<name>) or an http(s):// URL
    /// [default: the blog's own].
    #[arg(long, env = Favicon::VARIABLE, value_parser = Favicon::parse)]
    favicon: Option<Favicon>,
    /// The bearer token authors publish with [default: a new random one, printed].
    #[arg(long, env = "BLOG_INGEST_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Seconds a request's headers may take to arrive, and a connection may sit idle.
    #[arg(long, default_value_t = Limits::default().header_timeout.as_secs_f64())]
    header_timeout: f64,
    /// Seconds a response's write may wait for a reader who takes no bytes.
    #[arg(long, default_value_t = Limits::default().write_timeout.as_secs_f64())]
    write_timeout: f64,
    /// How many connections are open at once (more wait for one to close).
    #[arg(long, default_value_t = Limits::default().max_connections)]
    max_connections: usize,
}

pub async fn serve(args: ServeArgs) -> Result<()> {
    let base_url = args
        .base_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", args.addr));
    let site = SiteConfig {
        favicon: args.favicon.clone().unwrap_or_default(),
        ..SiteConfig::new(&base_url)?
    };
    let store = SqliteStore::open(&args.db)
        .await
        .with_context(|| format!("opening the embedded database {}", args.db.display()))?;
    seed_if_empty(&store, &args.seed).await?;

    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| {
            format!(
                "listening on {} (is another server using it? try --addr)",
                args.addr
            )
        })?;
    // Trimmed as the `Authorization` header's value is, or " x " could never be sent.
    let token = match args
        .token
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
    {
        Some(token) => token,
        None => {
            let token = new_token()?;
            println!("Authors publish with this token (set BLOG_INGEST_TOKEN to choose one):");
            println!("  export BLOG_INGEST_TOKEN={token}");
            token
        }
    };
    println!(
        "The blog is running at {base_url}/ (database {}). Press Ctrl-C to stop.",
        args.db.display()
    );
    // Posts' files live in the same database; upload slots are signed with the token.
    let blobs = SqliteBlobs::open(&args.db, token.as_bytes())
        .await
        .with_context(|| format!("opening the files in {}", args.db.display()))?;
    let auth = IngestAuth::Token(token.into());
    let cache = PageCache::new(store.change_probe().await?);
    let probe = store.change_probe().await?;
    let (store, blobs): (Arc<dyn Store>, Arc<dyn Blobs>) = (Arc::new(store), Arc::new(blobs));
    search::keep_current(Arc::clone(&store), Arc::clone(&blobs), probe);
    let state = AppState::new(store, site).with_media(blobs);
    let app = http::site_with_ingest(state, auth).layer(axum::middleware::from_fn_with_state(
        cache,
        page_cache::layer,
    ));
    let limits = Limits {
        header_timeout: std::time::Duration::try_from_secs_f64(args.header_timeout)
            .ok()
            .filter(|t| !t.is_zero())
            .context("--header-timeout must be a positive number of seconds")?,
        write_timeout: std::time::Duration::try_from_secs_f64(args.write_timeout)
            .ok()
            .filter(|t| !t.is_zero())
            .context("--write-timeout must be a positive number of seconds")?,
        max_connections: args.max_connections.max(1),
        ..Limits::default()
    };
    connections::serve(listener, app, limits, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    println!("Stopped.");
    Ok(())
}

/// 32 random bytes, hex: a token nobody guesses.
fn new_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness for a token: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

async fn seed_if_empty(store: &SqliteStore, dir: &Path) -> Result<()> {
    let probe = ListingQuery {
        listing: Listing::All,
        newest_first: true,
        exclusive_start: None,
        visible_until: visible_until(OffsetDateTime::now_utc() + time::Duration::days(365 * 100)),
        limit: 1,
    };
    if !store.listing(&probe).await?.entries.is_empty() {
        return Ok(());
    }
    if !dir.is_dir() {
        eprintln!(
            "The database is empty and {} is not a folder: starting with no posts.",
            dir.display()
        );
        return Ok(());
    }
    let report = seed::seed(store, dir)
        .await
        .with_context(|| format!("seeding from {}", dir.display()))?;
    println!(
        "Seeded {} posts from {}.",
        report.created + report.unchanged,
        dir.display()
    );
    for path in report.conflicts {
        eprintln!(
            "Skipped {}: its slug is taken by a post with other content.",
            path.display()
        );
    }
    Ok(())
}
