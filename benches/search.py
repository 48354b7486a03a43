#!/usr/bin/env python3
"""Full-text search at 1,000 and 10,000 posts: what building the index costs, and what a reader
downloads and waits for, in Chromium on loopback.

    cargo build --release --locked -p blog-cli -p blog-search --bins --example build_index
    benches/search.py [--sizes 1000,10000] [--short] [--queries 50] [--key-delay 120] [--work DIR]
        [--reuse] [--json FILE]

One corpus of the largest size (benches/corpus.py, seed 1; `--short` for 150-600-word bodies);
each smaller size is its first posts. For each size:

1. `blog serve --seed` loads the posts into a fresh database (in-process, the fastest way there
   is: the time is printed), and builds the index after them ("Search index: … built in X s").
2. The server is stopped, and the index is built again by `build_index` (an example of the
   blog-search crate: the same `blog_search::rebuild`, alone in its process): its seconds, and
   its peak memory (the process's maximum resident set, from `wait4`'s rusage), so that the
   figure is the build's and not that of a server which also seeded the posts.
3. `blog serve` on the same database again, ready once it prints that the index is current;
   then Chromium (benches/search_browser.mjs) opens /search and types the queries, key by key
   (`--key-delay` ms apart), into the same page: for each, the bytes downloaded (the first query
   with the page's own load), the time from the last key press to the results drawn, the
   requests that were not /search/… files (the origin's), and the first three results.
4. Publish → searchable: `blog publish` of one new post with a word of its own, and the seconds
   from its return until /search/current.json names an index holding it, and until Chromium
   finds it.

Queries: for `--queries` posts drawn at random (seed 1), two or three (alternately) of the post's
rarest words of five letters or more, rarest across the corpus of that size (words of its title,
body without link addresses, categories, tags and authors: what the index holds; counted by
their Snowball stem, as Pagefind matches them). Relevance is
the share of queries whose post is among the first three results. Since a generated corpus has
a small vocabulary, the script also counts how many posts hold every word of a query: where more
than three do, no ranking can promise the post a place in the first three.

Prints a table per size and the growth from the smallest to the largest; `--json FILE` keeps
every figure.
"""
import argparse
import collections
import json
import os
import pathlib
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
TOKEN = "bench"
WORD = re.compile(r"[^\W\d_]+")
LINK_TARGET = re.compile(r"\]\([^)]*\)")
FRONT_VALUES = ("title", "authors", "categories", "tags")
BUDGET = {"first_kb": 300, "further_kb": 50, "latency_ms": 100, "relevance": 0.9}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def corpus(out: pathlib.Path, posts: int, short: bool) -> None:
    command = [sys.executable, str(HERE / "corpus.py"), str(out), "--posts", str(posts), "--seed", "1"]
    if short:
        command.append("--short")
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    print("\n".join(f"  {line}" for line in output.splitlines()[:3]))


def stemmer():
    """Snowball's English stemmer, the algorithm Pagefind stems with (installed on first use)."""
    try:
        import snowballstemmer
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "snowballstemmer==3.1.1"], check=True)
        import snowballstemmer
    return snowballstemmer.stemmer("english")


def indexed_words(path: pathlib.Path) -> set[str]:
    """The post's words, lower-case, from the text the index holds."""
    text = path.read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    values = [line.split(":", 1)[1] for line in front.splitlines()
              if line.split(":", 1)[0].strip() in FRONT_VALUES]
    words = WORD.findall(" ".join(values) + " " + LINK_TARGET.sub("]", body))
    return {w.lower() for w in words}


def queries(folder: pathlib.Path, count: int) -> tuple[list[dict], dict]:
    """`count` queries of a random post's rarest words, by the posts that hold their stem: the
    index finds `tracing` for `traces`, so a rare form of a common stem is no rare word."""
    stem = stemmer().stemWord
    posts: dict[str, dict[str, str]] = {}  # slug → stem → a word of 5+ letters the post writes
    stems: dict[str, set[str]] = {}  # slug → the stems of all its words, short ones too
    for path in sorted(folder.glob("*.md")):
        words = indexed_words(path)
        stems[path.stem] = {stem(w) for w in words}
        posts[path.stem] = {}
        for word in sorted(w for w in words if len(w) >= 5):
            posts[path.stem].setdefault(stem(word), word)
    frequency = collections.Counter(s for held in stems.values() for s in held)
    chosen = random.Random(1).sample(sorted(posts), count)
    out = []
    for i, slug in enumerate(chosen):
        rarest = sorted(posts[slug], key=lambda s: (frequency[s], s))[: 2 + i % 2]
        holding = sum(1 for held in stems.values() if all(s in held for s in rarest))
        out.append({"query": " ".join(posts[slug][s] for s in rarest), "slug": slug,
                    "posts_with_all_words": holding, "frequencies": [frequency[s] for s in rarest]})
    return out, {"distinct_words": len(frequency)}


class Server:
    """`blog serve` on `db`, stopped by `stop()`."""

    def __init__(self, blog: str, db: pathlib.Path, seed: pathlib.Path, log: pathlib.Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self.log = open(log, "w+")
        self.process = subprocess.Popen(
            [blog, "serve", "--addr", f"127.0.0.1:{self.port}", "--db", str(db), "--seed", str(seed),
             "--token", TOKEN],
            stdout=self.log, stderr=subprocess.STDOUT, text=True)

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            self.log.seek(0)
            match = re.search(pattern, self.log.read())
            if match:
                return match
            if self.process.poll() is not None:
                self.log.seek(0)
                raise SystemExit(f"blog serve stopped:\n{self.log.read()[-3000:]}")
            time.sleep(0.05)
        raise SystemExit(f"blog serve printed no /{pattern}/ within {timeout:.0f} s: see {self.log_path}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()
        self.log.close()


def pointer(base: str) -> dict | None:
    try:
        with urllib.request.urlopen(f"{base}/search/current.json", timeout=10) as answer:
            return json.load(answer)
    except OSError:
        return None


def build_alone(build_index: str, db: pathlib.Path) -> dict:
    """`build_index DB` as a process of its own: its report, and its peak resident memory."""
    process = subprocess.Popen([build_index, str(db)], stdout=subprocess.PIPE, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"build_index {db} failed ({process.returncode}): {output}")
    report = json.loads(output.strip().splitlines()[-1])
    report["peak_rss_mb"] = usage.ru_maxrss / 1024  # Linux reports kilobytes
    return report


def browser(base: str, work: pathlib.Path, name: str, items: list[dict], key_delay: int) -> dict:
    path = work / f"{name}.json"
    path.write_text(json.dumps(items))
    run = subprocess.run(["node", str(HERE / "search_browser.mjs"), base, str(path), str(key_delay)],
                         capture_output=True, text=True, cwd=ROOT)
    if run.returncode != 0:
        raise SystemExit(f"search_browser.mjs failed:\n{run.stderr[-3000:]}")
    return json.loads(run.stdout)


def publish_to_searchable(blog: str, server: Server, work: pathlib.Path, posts: int, key_delay: int) -> dict:
    folder = work / "late"
    folder.mkdir(exist_ok=True)
    word = f"quasarfinch{posts}"
    (folder / "a-late-post.md").write_text(
        f"---\ntitle: \"A late post\"\ndate: 2025-01-02\ncategories: [Culture]\n---\n"
        f"Published while the blog holds {posts} posts: the {word} is its own word.\n")
    run = subprocess.run([blog, "publish", str(folder), "--endpoint", server.base, "--token", TOKEN],
                         capture_output=True, text=True)
    returned = time.perf_counter()
    if run.returncode != 0:
        raise SystemExit(f"blog publish failed: {run.stdout}{run.stderr}")
    while (pointer(server.base) or {}).get("posts") != posts + 1:
        if time.perf_counter() - returned > 900:
            raise SystemExit("the new post never reached the index")
        time.sleep(0.1)
    indexed = time.perf_counter() - returned
    found = browser(server.base, work, "late", [{"query": word, "slug": "a-late-post"}], key_delay)
    found_s = time.perf_counter() - returned
    hit = found["queries"][0]["top"][:1] == ["/posts/a-late-post"]
    delete(server.base, "a-late-post")  # the database holds the corpus alone again, for --reuse
    return {"indexed_s": indexed, "found_s": found_s, "found": hit}


def delete(base: str, slug: str) -> None:
    """DELETE /posts/SLUG, from version 1 (a post this run created) or the version a 412 names."""
    version = '"v1"'
    for _ in range(2):
        request = urllib.request.Request(f"{base}/posts/{slug}", method="DELETE", headers={
            "authorization": f"Bearer {TOKEN}", "if-match": version})
        try:
            with urllib.request.urlopen(request, timeout=30):
                return
        except urllib.error.HTTPError as error:
            if error.code != 412:
                raise SystemExit(f"DELETE /posts/{slug}: {error.code} {error.read()[:300]!r}")
            version = error.headers.get("etag")
    raise SystemExit(f"DELETE /posts/{slug}: the version kept changing")


def run_size(args, work: pathlib.Path, source: pathlib.Path, size: int) -> dict:
    print(f"\n== {size} posts")
    folder = work / f"posts-{size}"
    db = work / f"blog-{size}.sqlite3"
    if not (args.reuse and db.exists()):
        for stale in work.glob(f"blog-{size}.sqlite3*"):
            stale.unlink()
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        for path in sorted(source.glob("*.md"))[:size]:
            os.link(path, folder / path.name)
    result: dict = {"posts": size}

    if args.reuse and db.exists():
        result["seed_s"] = result["serve_build_s"] = None
        print(f"  reusing {db}")
    else:
        started = time.perf_counter()
        server = Server(args.blog, db, folder, work / f"serve-{size}.log")
        server.wait_for("running at", 3600)
        result["seed_s"] = time.perf_counter() - started
        built = server.wait_for(r"Search index: (\d+) posts, (\d+) files, (\d+) KB, built in ([\d.]+) s", 3600)
        server.stop()
        result["serve_build_s"] = float(built.group(4))
        print(f"  loaded in {result['seed_s']:.0f} s; blog serve built the index in {built.group(4)} s")

    if result["seed_s"] is None:
        # The build's figures are the earlier run's: this one re-measures the reader's side.
        result.update(build_s=None, build_peak_mb=None, index_files=None, index_mb=None)
    else:
        alone = build_alone(args.build_index, db)
        result.update(build_s=alone["seconds"], build_peak_mb=alone["peak_rss_mb"], index_files=alone["files"],
                      index_mb=alone["bytes"] / 1e6)
        print(f"  build_index: {alone['seconds']:.1f} s, peak {alone['peak_rss_mb']:.0f} MB, "
              f"{alone['files']} files, {alone['bytes'] / 1e6:.1f} MB")

    server = Server(args.blog, db, folder, work / f"serve-{size}-again.log")
    try:
        server.wait_for(r"Search index: \d+ posts, current", 3600)
        items, vocabulary = queries(folder, args.queries)
        result["distinct_words"] = vocabulary["distinct_words"]
        seen = browser(server.base, work, f"queries-{size}", items, args.key_delay)
        result["queries"] = seen["queries"]
        result["between_origin"] = seen.get("between", [])
        result["publish"] = publish_to_searchable(args.blog, server, work, size, args.key_delay)
    finally:
        server.stop()
    return result


def summarise(r: dict) -> dict:
    q = r["queries"]
    first, further = q[0], q[1:]
    latency20 = [x["latency_ms"] for x in q[:20]]
    hits = [f"/posts/{x['slug']}" in x["top"] for x in q]
    clear = [h for h, x in zip(hits, q) if x["posts_with_all_words"] <= 3]
    return {
        "first_kb": (first["bytes"]) / 1024,
        "page_kb": first["page_bytes"] / 1024,
        "further_kb_median": statistics.median(x["bytes"] for x in further) / 1024,
        "further_kb_max": max(x["bytes"] for x in further) / 1024,
        "latency_ms_median20": statistics.median(latency20),
        "latency_ms_max20": max(latency20),
        "latency_ms_first": first["latency_ms"],
        "origin_per_query": sum(len(x["origin"]) for x in further) / len(further),
        "origin_first": first["origin"],
        "relevance": sum(hits) / len(hits),
        "relevance_clear": (sum(clear) / len(clear)) if clear else None,
        "clear_queries": len(clear),
        "ambiguous_median": statistics.median(x["posts_with_all_words"] for x in q),
    }


def print_table(results: list[dict]) -> None:
    cols = [(r, summarise(r)) for r in results]
    rows = [("", *[f"{r['posts']:,} posts" for r in results], "budget")]

    def row(label: str, cell, budget: str = "") -> None:
        rows.append((label, *[cell(r, s) for r, s in cols], budget))

    row("load (blog serve --seed), s", lambda r, s: f"{r['seed_s']:.0f}" if r["seed_s"] else "-")
    row("index build, s (build_index)", lambda r, s: f"{r['build_s']:.1f}" if r["build_s"] else "-")
    row("index build, s (blog serve's log)", lambda r, s: f"{r['serve_build_s']:.1f}" if r["serve_build_s"] else "-")
    row("index build, peak memory, MB", lambda r, s: f"{r['build_peak_mb']:.0f}" if r["build_s"] else "-")
    row("index: files / MB", lambda r, s: f"{r['index_files']} / {r['index_mb']:.1f}" if r["build_s"] else "-")
    row("first query: /search/… KB (+ the page)", lambda r, s: f"{s['first_kb']:.0f} (+{s['page_kb']:.0f})",
        f"≤ {BUDGET['first_kb']}")
    row("further query, KB: median / max", lambda r, s: f"{s['further_kb_median']:.0f} / {s['further_kb_max']:.0f}",
        f"≤ {BUDGET['further_kb']}")
    row("last key → results drawn, ms: median of 20 (max)",
        lambda r, s: f"{s['latency_ms_median20']:.0f} ({s['latency_ms_max20']:.0f})", f"≤ {BUDGET['latency_ms']}")
    row("  the first query's", lambda r, s: f"{s['latency_ms_first']:.0f}")
    row("origin requests per further query", lambda r, s: f"{s['origin_per_query']:.2f}", "0")
    row("relevance: the post in the top 3", lambda r, s: f"{s['relevance']:.0%}", f"≥ {BUDGET['relevance']:.0%}")
    row("  where ≤ 3 posts hold every word",
        lambda r, s: f"{s['relevance_clear']:.0%} of {s['clear_queries']}" if s["clear_queries"] else "-")
    row("  posts holding every word: median", lambda r, s: f"{s['ambiguous_median']:.0f}")
    row("publish → in the index, s", lambda r, s: f"{r['publish']['indexed_s']:.1f}")
    row("publish → found in Chromium, s",
        lambda r, s: f"{r['publish']['found_s']:.1f}{'' if r['publish']['found'] else ' (NOT FOUND)'}")
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    for cells in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip())
    for r, s in cols:
        if s["origin_first"] or r["between_origin"]:
            print(f"{r['posts']:,} posts: origin requests with the page's load: {s['origin_first']}; "
                  f"between queries: {r['between_origin']}")
    if len(results) > 1 and all(r["build_s"] for r in results):
        a, b = results[0], results[-1]
        print(f"growth {a['posts']:,} → {b['posts']:,} posts (×{b['posts'] / a['posts']:.0f}): build time "
              f"×{b['build_s'] / a['build_s']:.1f}, peak memory ×{b['build_peak_mb'] / a['build_peak_mb']:.1f}, "
              f"index size ×{b['index_mb'] / a['index_mb']:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--short", action="store_true", help="150-600-word bodies")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--key-delay", type=int, default=120, help="ms between key presses")
    parser.add_argument("--blog", default="target/release/blog")
    parser.add_argument("--build-index", default="target/release/examples/build_index")
    parser.add_argument("--work", type=pathlib.Path, help="keep the corpus, databases and logs here")
    parser.add_argument("--json", type=pathlib.Path, help="write every figure here")
    parser.add_argument("--reuse", action="store_true",
                        help="with --work: keep a size's database from an earlier run (its late post "
                             "removed) and measure the reader's side only, not loading or building again")
    args = parser.parse_args()
    args.blog = str(pathlib.Path(args.blog).resolve())
    args.build_index = str(pathlib.Path(args.build_index).resolve())
    sizes = sorted(int(s) for s in args.sizes.split(","))
    work = args.work or pathlib.Path(tempfile.mkdtemp(prefix="search-bench."))
    work.mkdir(parents=True, exist_ok=True)
    git = lambda *a: subprocess.run(["git", "-C", str(ROOT), *a], capture_output=True, text=True).stdout.strip()
    commit = (git("rev-parse", "--short", "HEAD") or "unknown") + \
        (" (working tree modified)" if git("status", "--porcelain", "--untracked-files=no") else "")
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {commit}, "
          f"{os.cpu_count()} cores, load average {load()}; keys {args.key_delay} ms apart")
    source = work / f"corpus-{max(sizes)}{'-short' if args.short else ''}"
    if not any(source.glob("*.md")):
        print(f"corpus: {max(sizes)} posts{' (short bodies)' if args.short else ''}")
        corpus(source, max(sizes), args.short)
    results = []
    try:
        for size in sizes:
            shutil.rmtree(work / "late", ignore_errors=True)
            results.append(run_size(args, work, source, size))
    finally:
        if args.json:
            args.json.write_text(json.dumps(results, indent=1))
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)

    print()
    print_table(results)


if __name__ == "__main__":
    main()
