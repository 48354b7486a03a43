//! `blog publish`, and the run every upload command ends with: the Markdown files of the
//! folders given (never through a symbolic link out of them), each sent through the API
//! (`crate::api`), then what happened to every file, and a summary that accounts for each.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use crate::api::{MissingFiles, Outcome, Upload, Uploader, upload_name};
use crate::prepare::{MARKDOWN_EXTENSIONS, MissingFile};

/// `blog publish PATHS`: every Markdown file under `paths`, uploaded with the uploader
/// `uploader` resolves to (asked for only once there is something to publish). Whether none
/// failed.
pub async fn publish(
    paths: &[PathBuf],
    uploader: impl Future<Output = Result<Uploader>>,
) -> Result<bool> {
    let uploads = markdown_files(paths)?;
    anyhow::ensure!(
        !uploads.is_empty(),
        "no Markdown files (*.{}) in {}",
        MARKDOWN_EXTENSIONS.join(", *."),
        paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(run(&uploader.await?, uploads).await)
}

/// Every Markdown file under `paths` (files as given, folders walked), in a stable order, each
/// with its path within what was given: a folder's files relative to it, a file by its name
/// (a page bundle's `index.md` with its folder's).
pub fn markdown_files(paths: &[PathBuf]) -> Result<Vec<Upload>> {
    markdown_files_within(paths, None)
}

/// [`markdown_files`], every folder walked within `boundary` (an imported site's folder, around
/// its content folder) rather than within itself.
pub fn markdown_files_within(paths: &[PathBuf], boundary: Option<&Path>) -> Result<Vec<Upload>> {
    let mut uploads = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut files = Vec::new();
            walk(path, boundary.unwrap_or(path), &mut files)?;
            for (file, skip) in files {
                let source_path = relative(&file, path);
                uploads.push(Upload {
                    path: file,
                    source_path,
                    root: path.clone(),
                    skip,
                    ..Upload::default()
                });
            }
        } else if path.is_file() {
            let name = upload_name(path);
            let source_path = if name == file_name(path) {
                name
            } else {
                format!("{}/{}", file_stem(&name), file_name(path))
            };
            uploads.push(Upload {
                path: path.clone(),
                source_path,
                root: path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .map_or_else(|| PathBuf::from("."), Path::to_owned),
                ..Upload::default()
            });
        } else {
            anyhow::bail!("{} is neither a file nor a folder", path.display());
        }
    }
    Ok(uploads)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned()
}

fn file_stem(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}

/// `file`'s path below `root`, `/`-separated.
pub fn relative(file: &Path, root: &Path) -> String {
    let within = file.strip_prefix(root).unwrap_or(file);
    within
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Why a file or folder found in a walk is not read.
pub type SkipReason = Option<String>;

/// Every Markdown file below `dir`, hidden ones left out, in name order, each with the reason
/// it is skipped, if it is. A folder is walked only where it really is within `boundary` (`dir`
/// itself, or a folder around it): `dir` must lead there, a symbolic link to a folder is not
/// followed (it could lead out of the folder, or back into it for ever), and a symbolic link to
/// a file is read only when the file is within; each link left is listed with why, so that the
/// summary accounts for it.
fn walk(dir: &Path, boundary: &Path, files: &mut Vec<(PathBuf, SkipReason)>) -> Result<()> {
    let resolve = |folder: &Path| {
        std::fs::canonicalize(folder)
            .with_context(|| format!("resolving the folder {}", folder.display()))
    };
    let inside = resolve(boundary)?;
    let real = resolve(dir)?;
    anyhow::ensure!(
        real.starts_with(&inside),
        "{} leads outside {} (to {}): its files are not read",
        dir.display(),
        boundary.display(),
        real.display()
    );
    walk_inside(dir, &inside, files)
}

fn walk_inside(dir: &Path, inside: &Path, files: &mut Vec<(PathBuf, SkipReason)>) -> Result<()> {
    let mut entries = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("reading {}", dir.display()))?;
    entries.sort();
    for path in entries {
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        let link = std::fs::symlink_metadata(&path)
            .with_context(|| format!("reading {}", path.display()))?
            .file_type()
            .is_symlink();
        let markdown = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| MARKDOWN_EXTENSIONS.contains(&e));
        if link {
            let target = std::fs::canonicalize(&path);
            let skip = match &target {
                Err(_) if markdown => Some("symbolic link that leads nowhere".to_owned()),
                Err(_) => None,
                Ok(real) if real.is_dir() => Some(format!(
                    "symbolic link to a folder, not followed (to {})",
                    real.display()
                )),
                Ok(_) if !markdown => None,
                Ok(real) if !real.starts_with(inside) => Some(format!(
                    "symbolic link out of the folder (to {})",
                    real.display()
                )),
                Ok(_) => {
                    files.push((path, None));
                    continue;
                }
            };
            if let Some(reason) = skip {
                files.push((path, Some(reason)));
            }
        } else if path.is_dir() {
            walk_inside(&path, inside, files)?;
        } else if markdown {
            files.push((path, None));
        }
    }
    Ok(())
}

/// Uploads every file one by one with a progress bar when there are several, and prints what
/// happened to each and a summary that accounts for every file. Returns whether none failed
/// and, when `uploader` publishes posts with missing files and counts them against the run
/// (an import without `--allow-missing`), whether no post references a file the folder does
/// not hold.
pub async fn run(uploader: &Uploader, uploads: Vec<Upload>) -> bool {
    let started = Instant::now();
    let bar = if uploads.len() > 1 {
        let bar = ProgressBar::new(uploads.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut results = Vec::with_capacity(uploads.len());
    for upload in uploads {
        bar.set_message(upload.path.display().to_string());
        let (outcome, missing) = match (&upload.skip, &upload.refused) {
            (Some(reason), _) => (Outcome::Skipped(reason.clone()), Vec::new()),
            (None, Some(reason)) => (Outcome::Failed(reason.clone()), Vec::new()),
            (None, None) => uploader.upload(&upload).await,
        };
        bar.inc(1);
        results.push(Published {
            upload,
            outcome,
            missing,
        });
    }
    bar.finish_and_clear();
    let (uploaded, bytes, stored) = uploader.transferred();
    if uploaded + stored > 0 {
        println!("files: {uploaded} uploaded ({bytes} bytes), {stored} already stored");
    }
    print_summary(&results, started.elapsed());
    let failed = results
        .iter()
        .any(|r| matches!(r.outcome, Outcome::Failed(_)));
    let missing_fails = uploader.missing_files == MissingFiles::Publish
        && results.iter().any(|r| !r.missing.is_empty());
    !(failed || missing_fails)
}

/// What became of one file.
struct Published {
    upload: Upload,
    outcome: Outcome,
    /// The files its post references that the folder does not hold, published as written.
    missing: Vec<MissingFile>,
}

fn print_summary(results: &[Published], elapsed: Duration) {
    for Published {
        upload,
        outcome,
        missing,
    } in results
    {
        let path = upload.path.display();
        match outcome {
            Outcome::Created(url) => println!("created    {path} → {url}"),
            Outcome::Updated(url) => println!("updated    {path} → {url}"),
            Outcome::Unchanged(url) => println!("unchanged  {path} → {url}"),
            Outcome::Skipped(reason) => println!("skipped    {path}: {reason}"),
            Outcome::Failed(reason) => println!("FAILED     {path}: {reason}"),
        }
        if !matches!(outcome, Outcome::Skipped(_)) {
            for note in &upload.notes {
                println!("           {note}");
            }
        }
        for file in missing {
            println!(
                "           missing `{}` (looked in {}): left as written",
                file.reference,
                file.looked.join(", ")
            );
        }
    }
    let outcomes: Vec<&Outcome> = results.iter().map(|r| &r.outcome).collect();
    let mut line = summary_line(&outcomes, elapsed);
    let missing: usize = results.iter().map(|r| r.missing.len()).sum();
    if missing > 0 {
        let posts = results.iter().filter(|r| !r.missing.is_empty()).count();
        line.push_str(&format!(
            "; {missing} missing file{} in {posts} post{} (listed above)",
            if missing == 1 { "" } else { "s" },
            if posts == 1 { "" } else { "s" },
        ));
    }
    println!("{line}");
}

/// `N files: C created, U updated, S unchanged, K skipped (reasons), F failed (files)`: every
/// file counted once.
fn summary_line(outcomes: &[&Outcome], elapsed: Duration) -> String {
    let count = |f: fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    let (created, updated, unchanged, skipped, failed) = (
        count(|o| matches!(o, Outcome::Created(_))),
        count(|o| matches!(o, Outcome::Updated(_))),
        count(|o| matches!(o, Outcome::Unchanged(_))),
        count(|o| matches!(o, Outcome::Skipped(_))),
        count(|o| matches!(o, Outcome::Failed(_))),
    );
    // The invariant the summary states: no file is lost between the plan and the report.
    assert_eq!(
        created + updated + unchanged + skipped + failed,
        outcomes.len(),
        "every file has one outcome"
    );
    let mut reasons: Vec<(String, usize)> = Vec::new();
    for outcome in outcomes {
        if let Outcome::Skipped(reason) = outcome {
            let kind = reason.split([':', '(']).next().unwrap_or(reason).trim();
            match reasons.iter_mut().find(|(r, _)| r == kind) {
                Some((_, n)) => *n += 1,
                None => reasons.push((kind.to_owned(), 1)),
            }
        }
    }
    let skipped_reasons = if reasons.is_empty() {
        String::new()
    } else {
        let listed: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
        format!(" ({})", listed.join("; "))
    };
    let failed_reasons = if failed == 0 {
        String::new()
    } else {
        " (reasons above)".to_owned()
    };
    format!(
        "{} file{}: {created} created, {updated} updated, {unchanged} unchanged, {skipped} skipped{skipped_reasons}, {failed} failed{failed_reasons} in {:.3} s",
        outcomes.len(),
        if outcomes.len() == 1 { "" } else { "s" },
        elapsed.as_secs_f64(),
    )
}
