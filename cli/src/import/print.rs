//! `blog import --dry-run`: the plan, printed.

use super::Plan;
use crate::api::Uploader;
use crate::prepare::missing_files;

/// Prints the plan: every file with its slug, renamings, old addresses and the files it
/// references that the site does not hold, or why it is skipped.
pub fn print_plan(plan: &Plan, uploader: &Uploader) {
    let mut missing = 0;
    for upload in &plan.uploads {
        let path = upload.path.display();
        if let Some(reason) = &upload.skip {
            println!("skip       {path}: {reason}");
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
        for note in &upload.notes {
            println!("           {note}");
        }
        for old in post.aliases.iter().chain(post.old_paths.iter().flatten()) {
            println!("           old address {old}");
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
