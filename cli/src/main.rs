//! `blog`: the blog's author and operator command line.
//!
//! - `blog serve` runs the whole site in one process on the embedded store, seeded on first run
//!   from `examples/posts/`, with the ingest routes behind a bearer token.
//! - `blog publish` uploads Markdown files or folders through the ingest API.
//! - `blog import` publishes an existing Jekyll, Hugo or Zola blog the same way.

mod auth;
mod import;
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
            let files = publish::markdown_files(&paths)?;
            anyhow::ensure!(
                !files.is_empty(),
                "no Markdown files (*.md) in {}",
                show(&paths)
            );
            let uploader = target.uploader().await?;
            Ok(publish::run(&uploader, files.into_iter().map(|f| (f, None)).collect()).await)
        }
        Command::Import {
            dir,
            category,
            from,
            target,
        } => {
            anyhow::ensure!(dir.is_dir(), "{} is not a folder", dir.display());
            let layout = from.unwrap_or_else(|| import::Layout::detect(&dir));
            let files = import::plan(&dir, layout)?;
            anyhow::ensure!(!files.is_empty(), "no Markdown files in {}", dir.display());
            println!(
                "Importing {} as a {} site ({} files).",
                dir.display(),
                layout.name(),
                files.len()
            );
            let mut uploader = target.uploader().await?;
            uploader.default_category = category;
            uploader.import_format = Some(layout.name());
            Ok(publish::run(&uploader, files).await)
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
