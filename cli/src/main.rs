//! `blog`: the blog's author and operator command line.
//!
//! - `blog serve` runs the whole site in one process on the embedded store, seeded on first run
//!   from `examples/posts/`, with the ingest routes behind a bearer token.
//! - `blog publish` uploads Markdown files or folders through the ingest API.
//! - `blog import` publishes an existing Jekyll, Hugo or Zola blog the same way, its old links
//!   kept.
//! - `blog export` writes every post back out as Markdown that `blog publish` takes back.
//!
//! This file holds the command line's types and one call per command. The folders name what
//! the commands are made of: `serve/` (the local site, its page cache and its connections),
//! `api/` (the one client of the blog's HTTP API: endpoint, authentication, posts, files) and
//! `prepare/` (a post's files before upload: found, read and typed, stripped, resized, cached);
//! `publish.rs`, `import/` and `export.rs` are the commands over them.

mod api;
mod export;
mod import;
mod prepare;
mod publish;
mod serve;
mod shadowed;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "blog", version, about = "Run, write and publish the blog")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole site locally on the embedded store.
    Serve(serve::ServeArgs),
    /// Upload Markdown posts (files or folders): create new ones, update changed ones.
    Publish {
        /// Markdown files, or folders of them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        checks: Checks,
        #[command(flatten)]
        target: Target,
    },
    /// Publish an existing Jekyll, Hugo or Zola blog's posts, keeping its old links working.
    Import {
        /// The blog's folder (its root, or its `_posts`/`content` folder).
        dir: PathBuf,
        /// The category of posts that name none.
        #[arg(long)]
        category: Option<String>,
        /// The generator the folder was written for [default: detected].
        #[arg(long, value_enum)]
        from: Option<import::Layout>,
        /// A YAML file mapping the site's author strings to the names they stand for, where
        /// the importer's reading is wrong (`"Jane Doe, CEO": Jane Doe`).
        #[arg(long, value_name = "FILE")]
        authors: Option<PathBuf>,
        /// Print the plan (per file: slug, old addresses, date and where it came from,
        /// authors as read, shortcodes replaced and unknown; skipped files) and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Refuse a post that references a file the folder does not hold [default: publish it
        /// with the reference as written, list the file, and exit non-zero].
        #[arg(long, conflicts_with = "allow_missing")]
        strict: bool,
        #[command(flatten)]
        checks: Checks,
        #[command(flatten)]
        target: Target,
    },
    /// Write every post (drafts and scheduled ones too) back out as Markdown, with its slug and
    /// old addresses, into a folder that `blog publish` takes back.
    Export {
        /// The folder to write into.
        dir: PathBuf,
        #[command(flatten)]
        target: Target,
    },
    /// List the stored old addresses that one of the blog's own routes serves (`/search`,
    /// `/favicon.ico`, …): stored before the route existed, they are never reached. Exits
    /// non-zero when there are any.
    Shadowed {
        #[command(flatten)]
        target: Target,
    },
}

/// What a publish lets through that it would refuse by default.
#[derive(Debug, clap::Args)]
struct Checks {
    /// Publish a post that references a file the folder does not hold, with the reference as
    /// written, list the file, and succeed (by default `publish` refuses such a post, and
    /// `import` publishes it and exits non-zero).
    #[arg(long)]
    allow_missing: bool,
    /// Let a file update the post it matches even when the title, date and authors all
    /// change (by default refused, as another post that shares the file's path).
    #[arg(long)]
    replace: bool,
}

impl Checks {
    /// The uploader, told what to let through; `missing` is what becomes of a post with a
    /// missing file when `--allow-missing` is not given.
    fn apply(&self, uploader: &mut api::Uploader, missing: api::MissingFiles) {
        uploader.missing_files = if self.allow_missing {
            api::MissingFiles::Allow
        } else {
            missing
        };
        uploader.replace = self.replace;
    }
}

/// Where to publish, and as whom.
#[derive(Debug, clap::Args)]
struct Target {
    /// The blog's URL (`http://127.0.0.1:3000` for `blog serve`, the API URL in AWS).
    #[arg(long, env = "BLOG_ENDPOINT")]
    endpoint: String,
    /// The local ingest token; without one, requests are signed with your AWS credentials.
    #[arg(long, env = "BLOG_INGEST_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The API's AWS region, when signing [default: from your AWS configuration].
    #[arg(long)]
    region: Option<String>,
}

impl Target {
    async fn uploader(self) -> Result<api::Uploader> {
        let credentials = api::auth::Credentials::resolve(self.token, self.region).await?;
        api::Uploader::new(&self.endpoint, credentials)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse().command).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {}", blog_shared::report::report(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

/// Runs a command; `Ok(false)` when it ran but something in it failed (already reported).
async fn run(command: Command) -> Result<bool> {
    match command {
        Command::Serve(args) => serve::serve(args).await.map(|()| true),
        Command::Publish {
            paths,
            checks,
            target,
        } => {
            let uploader = async {
                let mut uploader = target.uploader().await?;
                let refuse = uploader.missing_files;
                checks.apply(&mut uploader, refuse);
                Ok(uploader)
            };
            publish::publish(&paths, uploader).await
        }
        Command::Import {
            dir,
            category,
            from,
            authors,
            dry_run,
            strict,
            checks,
            target,
        } => {
            let uploader = async {
                let mut uploader = target.uploader().await?;
                let missing = if strict {
                    api::MissingFiles::Refuse(
                        "without --strict, `blog import` publishes it with the reference as written",
                    )
                } else {
                    api::MissingFiles::Publish
                };
                checks.apply(&mut uploader, missing);
                Ok(uploader)
            };
            let authors = authors.as_deref();
            import::import(&dir, from, category, authors, dry_run, uploader).await
        }
        Command::Export { dir, target } => {
            let uploader = target.uploader().await?;
            let exported = export::export(&uploader, &dir).await?;
            match exported.with_missing_files {
                0 => {}
                1 => println!(
                    "1 exported post references files the blog does not hold (listed above): `blog publish --allow-missing` publishes it back"
                ),
                n => println!(
                    "{n} exported posts reference files the blog does not hold (listed above): `blog publish --allow-missing` publishes them back"
                ),
            }
            println!("{} posts exported to {}", exported.posts, dir.display());
            Ok(true)
        }
        Command::Shadowed { target } => {
            let uploader = target.uploader().await?;
            let found = shadowed::shadowed(&uploader).await?;
            if found == 0 {
                println!("No stored old address is at a path the blog's routes serve.");
            } else {
                println!(
                    "{found} old addresses are never reached: publish their posts without them"
                );
            }
            Ok(found == 0)
        }
    }
}
