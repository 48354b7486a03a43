//! `blog import --dry-run`: the plan, printed per file (slug, old addresses, date and where it
//! came from, authors as read, shortcodes replaced and unknown, links kept), then every distinct
//! author string and how it is read; and after a real import, what the author should look at.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::Plan;
use crate::api::Uploader;
use crate::prepare::missing_files;

/// Prints the plan: every file with what will become of it (the files it references that the
/// site does not hold among it), or why it is skipped or refused.
pub fn print_plan(plan: &Plan, uploader: &Uploader) {
    let mut missing = 0;
    for (upload, report) in plan.uploads.iter().zip(&plan.reports) {
        let path = upload.path.display();
        if let Some(reason) = &upload.skip {
            println!("skip       {path}: {reason}");
            continue;
        }
        if let Some(reason) = &upload.refused {
            println!("would fail {path}: {reason}");
            continue;
        }
        let text = String::from_utf8(upload.bytes().unwrap_or_default()).unwrap_or_default();
        let post = match uploader.local_post(upload, &text) {
            Ok(post) => post,
            Err(error) => {
                let reason = blog_shared::report::report(error.as_ref());
                println!("would fail {path}: {reason}");
                continue;
            }
        };
        println!("publish    {path} → /posts/{}", post.slug);
        let from = report
            .date_from
            .as_ref()
            .map_or_else(|| "front matter `date`".to_owned(), ToString::to_string);
        let date = post
            .published
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        println!("           date {date} (from {from})");
        if !post.authors.is_empty() {
            println!("           authors {}", post.authors.join("; "));
        }
        for note in &upload.notes {
            println!("           {note}");
        }
        for old in post.aliases.iter().chain(post.old_paths.iter().flatten()) {
            println!("           old address {old}");
        }
        for (name, count) in &report.replaced {
            println!("           replaced {name} ×{count}");
        }
        for (name, count) in &report.unknown {
            println!("           unknown shortcode {name} ×{count}: removed from the page");
        }
        if report.links_rewritten > 0 {
            println!(
                "           links to posts rewritten: {}",
                report.links_rewritten
            );
        }
        for link in &report.links_kept {
            println!("           link kept as written (no imported post): {link}");
        }
        let roots = uploader.roots(upload);
        match missing_files(&upload.path, &text, upload.old_url.as_deref(), &roots) {
            Ok(files) => {
                for file in &files {
                    println!(
                        "           missing `{}` (looked in {})",
                        file.reference,
                        file.looked.join(", ")
                    );
                }
                missing += files.len();
            }
            Err(error) => println!(
                "           its files: {}",
                blog_shared::report::report(error.as_ref())
            ),
        }
    }
    print!("{}", authors_read(plan));
    let skipped = plan.uploads.iter().filter(|u| u.skip.is_some()).count();
    let missing = match missing {
        0 => String::new(),
        1 => ", 1 missing file".to_owned(),
        n => format!(", {n} missing files"),
    };
    println!(
        "{} files: {} to publish, {skipped} skipped{missing}; nothing was written (dry run)",
        plan.uploads.len(),
        plan.uploads.len() - skipped
    );
}

/// Every distinct author string of the site and how it is read.
fn authors_read(plan: &Plan) -> String {
    let mut read: BTreeMap<&str, &[String]> = BTreeMap::new();
    for report in &plan.reports {
        for (written, names) in &report.authors {
            read.insert(written, names);
        }
    }
    let mut out = String::new();
    if read.is_empty() {
        return out;
    }
    let _ = writeln!(out, "Authors (map any read wrongly with --authors FILE):");
    for (written, names) in read {
        let _ = writeln!(out, "  \"{written}\" → {}", names.join("; "));
    }
    out
}

/// Before an import's uploads: each file's unknown shortcodes and the links kept as written, with their
/// totals, so that nothing the old site's templates did is lost without a word.
pub fn notices(plan: &Plan) -> String {
    let mut out = String::new();
    let (mut unknown, mut kept, mut rewritten) = (0, 0, 0);
    for (upload, report) in plan.uploads.iter().zip(&plan.reports) {
        rewritten += report.links_rewritten;
        for (name, count) in &report.unknown {
            unknown += count;
            let _ = writeln!(
                out,
                "unknown shortcode {name} ×{count} in {}: removed from the page",
                upload.path.display()
            );
        }
        kept += report.links_kept.len();
    }
    if rewritten + kept + unknown == 0 {
        return out;
    }
    let _ = writeln!(
        out,
        "Links to posts rewritten: {rewritten}; links to the old site's other pages kept as written: {kept}; unknown shortcodes removed: {unknown}."
    );
    out
}
