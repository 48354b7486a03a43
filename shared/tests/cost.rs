//! Cost that grows with input, not faster: for each shape of input an attacker or an unlucky
//! author can send, rendering the input doubled takes at most about twice as long. Two sizes
//! compared in one run, each the best of several tries; no absolute time is asserted.
//!
//! What is timed is the CPU time of the thread that renders, not the wall clock: the other tests
//! nextest runs beside this one, and whatever else the machine runs, stretch a wall clock (once
//! to a ratio of 3.04 for a line that scales ×2.0–2.1 on a quiet machine) but not that.

use std::time::Duration;

use blog_shared::parse_post;

/// CPU time this thread has used so far.
fn thread_cpu() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec; the clock exists on every Linux.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(status, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// The best of five timings of publishing's whole parse and render of `source`, in this
/// thread's CPU time.
fn best_time(source: &str) -> Duration {
    (0..5)
        .map(|_| {
            let started = thread_cpu();
            // Accepted or refused, the work is what is measured.
            let _ = parse_post(source, None);
            thread_cpu() - started
        })
        .min()
        .unwrap_or_default()
}

/// Asserts that the post `make(2n)` costs at most about twice `make(n)` (3×, for noise; a
/// quadratic cost gives 4×).
fn grows_linearly(shape: &str, n: usize, make: impl Fn(usize) -> String) {
    let small = make(n);
    let large = make(2 * n);
    // Warm up once (highlighting's syntaxes load on first use).
    best_time(&small);
    let (a, b) = (best_time(&small), best_time(&large));
    let ratio = b.as_secs_f64() / a.as_secs_f64().max(1e-9);
    println!("{shape}: {n} → {a:?}, {} → {b:?}, ×{ratio:.2}", 2 * n);
    assert!(
        ratio < 3.0,
        "{shape}: doubling the input multiplied the work by {ratio:.2} ({a:?} → {b:?})"
    );
}

fn post(body: &str) -> String {
    format!("---\ntitle: Cost\ndate: 2020-01-01\n---\n{body}")
}

#[test]
fn identical_headings() {
    grows_linearly("identical headings", 2_000, |n| post(&"## h\n\n".repeat(n)));
}

#[test]
fn deep_block_quotes() {
    grows_linearly("nested block quotes", 10_000, |n| {
        post(&format!("{}x\n", "> ".repeat(n)))
    });
}

#[test]
fn deep_html() {
    grows_linearly("nested <div>", 10_000, |n| {
        post(&format!("{}x{}", "<div>".repeat(n), "</div>".repeat(n)))
    });
}

#[test]
fn many_footnotes() {
    grows_linearly("footnotes", 800, |n| {
        let refs: String = (0..n).map(|i| format!("Claim[^{i}]. ")).collect();
        let defs: String = (0..n).map(|i| format!("[^{i}]: Source {i}.\n")).collect();
        post(&format!("{refs}\n\n{defs}"))
    });
}

#[test]
fn long_lines() {
    grows_linearly("one long line", 50_000, |n| post(&"word ".repeat(n)));
}

#[test]
fn a_huge_code_block() {
    grows_linearly("highlighted code", 400, |n| {
        post(&format!(
            "```rust\n{}```\n",
            "fn main() { let x = \"s\"; /* c */ }\n".repeat(n)
        ))
    });
}

#[test]
fn a_huge_code_line() {
    grows_linearly("one long highlighted line", 1_500, |n| {
        post(&format!("```rust\n{}\n```\n", "let x = 1; ".repeat(n)))
    });
}
