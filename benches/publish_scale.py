#!/usr/bin/env python3
"""Does publishing one post cost the same whatever the blog holds? `blog publish` of one new post,
and of an edit of an existing one, against `blog serve` holding 100, 1,000 and 10,000 posts, all
in one run, so the three figures are measured under the same machine load and compared as ratios.

    cargo build --release -p blog-cli && benches/publish_scale.py [--sizes 100,1000,10000] [--runs 15]
        [--short-seed] [--blog target/release/blog]

For each size, a fresh `blog serve` on a temp database is seeded with that many posts of one
corpus (benches/corpus.py, seed 1; the smaller stores hold the first posts of the bigger ones),
through `blog serve --seed`, which publishes each file in-process before listening; the time
that takes is printed (here, 2 cores: 10,000 real-length posts, 248 MB of Markdown, in about
4.5-5 minutes, ~29 ms a post at every size, into a 1.35 GB database). `--short-seed` seeds
with 150-600-word bodies instead (quicker to build a store of 10,000; a post's cost should not
depend on its neighbours' lengths either way). Then, alternating between the servers so each
run sees the same load:

- new: `blog publish FILE` of a post none of them holds (a real-length post of a second corpus,
  the same file for every size; one warm-up post first, not counted): POST, 201;
- edit: `blog publish FILE` of an existing post (one of the first 100, so every store has it)
  with a paragraph added: POST, 409, PUT with If-Match, 200;

each a new `blog` process (process start included), each run a different post; and, to see the
server's share without the CLI around it, the same writes as single HTTP requests from this
script (a new post's POST, 201; an edit's POST, 409 with the stored version; its PUT, 200).
Prints, per size, the median (min-max) of each, and the ratios 10,000/100 (last size over
first; the median of the runs' ratios, each run having sent the same file to every size).
"""
import argparse
import http.client
import json
import os
import pathlib
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = pathlib.Path(__file__).resolve().parent
TOKEN = "bench"


def corpus(out: pathlib.Path, posts: int, seed: int, prefix: str = "", short: bool = False) -> dict:
    manifest = out.with_suffix(".json")
    command = [sys.executable, str(HERE / "corpus.py"), str(out), "--posts", str(posts),
               "--seed", str(seed), "--manifest", str(manifest)]
    if prefix:
        command += ["--slug-prefix", prefix]
    if short:
        command.append("--short")
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    print("\n".join(f"  {line}" for line in output.splitlines()[:3]))
    return json.loads(manifest.read_text())


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`blog serve` on its own database, seeded from `seed_dir` (timed)."""

    def __init__(self, blog: str, work: pathlib.Path, size: int, seed_dir: pathlib.Path):
        self.size = size
        self.port = free_port()
        self.db = work / f"blog-{size}.sqlite3"
        self.log = open(work / f"serve-{size}.log", "w+")
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [blog, "serve", "--addr", f"127.0.0.1:{self.port}", "--db", str(self.db),
             "--seed", str(seed_dir), "--token", TOKEN],
            stdout=self.log, stderr=subprocess.STDOUT, text=True,
        )
        while True:
            self.log.seek(0)
            text = self.log.read()
            if "running at" in text:
                break
            if self.process.poll() is not None:
                raise SystemExit(f"blog serve ({size} posts) stopped:\n{text[-3000:]}")
            time.sleep(0.05)
        self.seconds = time.perf_counter() - started
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def db_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.db.parent.glob(self.db.name + "*"))

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()
        self.log.close()


def publish(blog: str, server: Server, file: pathlib.Path, expect: str) -> float:
    """Seconds for `blog publish FILE`, process start to exit; checks what it says it did."""
    started = time.perf_counter()
    run = subprocess.run([blog, "publish", str(file), "--endpoint", server.endpoint, "--token", TOKEN],
                         capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    summary = (run.stdout.strip().splitlines() or [""])[-1]
    if run.returncode != 0 or f"1 {expect}" not in summary:
        raise SystemExit(f"publish {file.name} to {server.size} posts: expected 1 {expect}, got "
                         f"exit {run.returncode}: {run.stdout[-1500:]}{run.stderr[-1500:]}")
    return elapsed


def request(server: Server, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        connection.request(method, path, body=body or None, headers={
            "authorization": f"Bearer {TOKEN}", "content-type": "text/markdown; charset=utf-8",
            **(headers or {})})
        response = connection.getresponse()
        return response.status, response.getheader("etag"), response.read()
    finally:
        connection.close()


def raw_write(server: Server, method: str, path: str, file: pathlib.Path, expect: int,
              if_match: str | None = None) -> tuple[float, str | None]:
    """Seconds for one write request of `file`'s bytes, as `blog publish` sends it; its ETag."""
    headers = {"content-disposition": f'attachment; filename="{file.name}"',
               "blog-source": urllib.parse.quote(file.name)}
    if if_match:
        headers["if-match"] = if_match
    body = file.read_bytes()
    started = time.perf_counter()
    status, etag, answer = request(server, method, path, body, headers)
    elapsed = time.perf_counter() - started
    if status != expect:
        raise SystemExit(f"{method} {path} to {server.size} posts: {status}, expected {expect}: {answer[:500]!r}")
    return elapsed, etag


def edited(source: pathlib.Path, target_dir: pathlib.Path, label: str) -> pathlib.Path:
    """A copy of `source` under its own name (so the same source, the same post), changed."""
    target_dir.mkdir(parents=True)
    target = target_dir / source.name
    target.write_text(source.read_text() + f"\nEdited: {label}, with one more paragraph at the end.\n")
    return target


def summary(values: list[float]) -> str:
    return (f"{statistics.median(values) * 1000:7.1f} ms "
            f"({min(values) * 1000:.1f}-{max(values) * 1000:.1f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--short-seed", action="store_true")
    parser.add_argument("--blog", default="target/release/blog")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    blog = str(pathlib.Path(args.blog).resolve())
    work = pathlib.Path(tempfile.mkdtemp(prefix="publish-scale."))
    servers: list[Server] = []
    try:
        git = lambda *a: subprocess.run(["git", "-C", str(HERE), *a], capture_output=True, text=True).stdout.strip()
        commit = (git("rev-parse", "--short", "HEAD") or "unknown") + \
            (" (working tree modified)" if git("status", "--porcelain", "--untracked-files=no") else "")
        built = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(os.path.getmtime(blog)))
        print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {commit}, "
              f"{os.cpu_count()} cores, load average {load()}; blog: {blog} (built {built})")

        print(f"seed corpus: {max(sizes)} posts{' (short bodies)' if args.short_seed else ''}")
        started = time.perf_counter()
        seed = corpus(work / "seed", max(sizes), seed=1, short=args.short_seed)
        print(f"  generated in {time.perf_counter() - started:.1f} s")
        probes = 1 + args.runs  # a warm-up post, then one per run
        print(f"posts to publish: {probes} new real-length posts")
        new = corpus(work / "new", probes, seed=2, prefix="new-")
        raw = corpus(work / "raw", probes, seed=3, prefix="raw-")
        edits = [p["file"] for p in seed["posts"][: min(sizes)]][: 2 * probes]
        if len(edits) < 2 * probes:
            raise SystemExit(f"--runs {args.runs} needs the smallest size to be at least {2 * probes}")

        for size in sizes:
            folder = work / f"seed-{size}"
            folder.mkdir()
            for post in seed["posts"][:size]:
                os.link(work / "seed" / post["file"], folder / post["file"])
            server = Server(blog, work, size, folder)
            servers.append(server)
            print(f"seeded {size:>6} posts in {server.seconds:6.1f} s "
                  f"({server.seconds / size * 1000:.1f} ms a post), database {server.db_bytes() / 1e6:.0f} MB")

        kinds = {"new": "publish new", "edit": "publish edit", "raw POST": "POST 201 (server)",
                 "raw POST 409": "POST 409 (server)", "raw PUT": "PUT 200 (server)"}
        times = {(size, kind): [] for size in sizes for kind in kinds}
        for run in range(probes):
            new_file = work / "new" / new["posts"][run]["file"]
            edit_file = edited(work / "seed" / edits[run], work / "edit" / str(run), f"run {run}")
            raw_file = work / "raw" / raw["posts"][run]["file"]
            raw_edit = edited(work / "seed" / edits[probes + run], work / "raw-edit" / str(run), f"run {run}")
            raw_slug = raw_edit.stem
            # The order of the servers turns every run, so none always goes first.
            for server in servers[run % len(servers):] + servers[: run % len(servers)]:
                measured = {
                    "new": publish(blog, server, new_file, "created"),
                    "edit": publish(blog, server, edit_file, "updated"),
                    "raw POST": raw_write(server, "POST", "/posts", raw_file, 201)[0],
                }
                measured["raw POST 409"], etag = raw_write(server, "POST", "/posts", raw_edit, 409)
                if not etag:
                    raise SystemExit("a 409 without the stored post's ETag")
                measured["raw PUT"], _ = raw_write(server, "PUT", f"/posts/{raw_slug}", raw_edit, 200, etag)
                if run > 0:  # run 0 warms each server up
                    for kind, seconds in measured.items():
                        times[(server.size, kind)].append(seconds)

        print(f"\none write, {args.runs} runs each (median, min-max); `blog publish` includes process start")
        print(f"{'posts held':>10}" + "".join(f"  {label:>24}" for label in kinds.values()))
        for size in sizes:
            print(f"{size:>10}" + "".join(f"  {summary(times[(size, k)]):>24}" for k in kinds))
        print(f"load average after the runs: {load()} (other work on the machine widens the ranges)")
        first, last = sizes[0], sizes[-1]
        # Run by run, the same file went to every size: the median of those paired ratios.
        ratio = lambda kind: statistics.median(
            b / a for a, b in zip(times[(first, kind)], times[(last, kind)]))
        print(f"{last}/{first} (median of the runs' ratios): " +
              ", ".join(f"{label} {ratio(kind):.2f}x" for kind, label in kinds.items()))
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
