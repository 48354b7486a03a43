//! `blog`: the blog's author and operator command line.
//!
//! - `blog serve` runs the whole site in one process on the embedded store, seeded on first run
//!   from `examples/posts/`, with the ingest routes behind a bearer token.
//! - `blog publish` uploads Markdown files or folders through the ingest API.
//! - `blog import` publishes an existing Jekyll, Hugo or Zola blog the same way, its old links
//!   kept.
//! - `blog export` writes every post back out as Markdown that `blog publish` takes back.

mod auth;
mod export;
mod import;
mod prepare;
mod publish;
mod serve;

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
        /// Print the plan (file → slug, renamings, old addresses, skipped files) and write
        /// nothing.
        #[arg(long)]
        dry_run: bool,
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
    async fn uploader(self) -> Result<publish::Uploader> {
        let credentials = auth::Credentials::resolve(self.token, self.region).await?;
        publish::Uploader::new(&self.endpoint, credentials)
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
        Command::Publish { paths, target } => {
            let uploads = publish::markdown_files(&paths)?;
            anyhow::ensure!(
                !uploads.is_empty(),
                "no Markdown files (*.md) in {}",
                show(&paths)
            );
            let uploader = target.uploader().await?;
            Ok(publish::run(&uploader, uploads).await)
        }
        Command::Import {
            dir,
            category,
            from,
            dry_run,
            target,
        } => {
            anyhow::ensure!(dir.is_dir(), "{} is not a folder", dir.display());
            let layout = from.unwrap_or_else(|| import::Layout::detect(&dir));
            let mut uploader = target.uploader().await?;
            uploader.default_category = category;
            uploader.import = Some(layout.generator());
            uploader.static_dirs = layout.static_dirs();
            let plan = import::plan(&dir, layout, &uploader)?;
            anyhow::ensure!(
                !plan.uploads.is_empty(),
                "no Markdown files in {}",
                dir.display()
            );
            println!(
                "Importing {} as a {} site ({} files).",
                dir.display(),
                layout.name(),
                plan.uploads.len()
            );
            if dry_run {
                import::print_plan(&plan, &uploader);
                return Ok(true);
            }
            Ok(publish::run(&uploader, plan.uploads).await)
        }
        Command::Export { dir, target } => {
            let uploader = target.uploader().await?;
            let count = export::export(&uploader, &dir).await?;
            println!("{count} posts exported to {}", dir.display());
            Ok(true)
        }
    }
}

fn show(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
