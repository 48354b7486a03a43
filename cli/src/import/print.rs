//! `blog import --dry-run`: the plan, printed.

use super::Plan;
use crate::api::Uploader;

/// Prints the plan: every file with its slug, renamings, old addresses, or why it is skipped.
pub fn print_plan(plan: &Plan, uploader: &Uploader) {
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
    }
    let skipped = plan.uploads.iter().filter(|u| u.skip.is_some()).count();
    println!(
        "{} files: {} to publish, {skipped} skipped; nothing was written (dry run)",
        plan.uploads.len(),
        plan.uploads.len() - skipped
    );
}
