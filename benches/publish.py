#!/usr/bin/env python3
"""Publishing's speed, end to end: `blog import` of a generated Jekyll folder (new, unchanged,
then every post edited: POST, 409, PUT) and single-file `blog publish` (process start included)
against `blog serve` on loopback, on the embedded store.

    cargo build --release -p blog-cli && benches/publish.py [--posts 120] [--blog target/release/blog]
"""
import argparse
import os
import pathlib
import random
import shutil
import socket
import statistics
import subprocess
import tempfile
import time


def generate(folder: pathlib.Path, count: int, edited: bool) -> None:
    posts = folder / "_posts"
    posts.mkdir(parents=True, exist_ok=True)
    words = ["latency", "queue", "shard", "deploy", "cache", "trace", "schema", "index"]
    rng = random.Random(7)
    for i in range(count):
        day = time.strftime("%Y-%m-%d", time.gmtime(1325376000 + i * 29 * 86400))
        paragraphs = "\n\n".join(
            f"Paragraph {p} of post {i}: " + " ".join(rng.choice(words) for _ in range(60)) for p in range(8)
        )
        code = '```go\nfunc main() {\n\tfmt.Println("hello")\n}\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n'
        body = f"---\nlayout: post\ntitle: \"Post number {i}\"\nauthor: Author {i % 7}\ncategories: c{i % 5}\n---\n{paragraphs}\n\n{code}"
        if edited:
            body += "\nEdited.\n"
        (posts / f"{day}-post-number-{i:03d}.md").write_text(body)


def timed(command: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    output = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    return elapsed, (output.stdout.strip().splitlines() or [""])[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=120)
    parser.add_argument("--blog", default="target/release/blog")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp())
    try:
        generate(work / "site", args.posts, edited=False)
        generate(work / "edited", args.posts, edited=True)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        endpoint = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [args.blog, "serve", "--addr", f"127.0.0.1:{port}", "--db", str(work / "db.sqlite3"),
             "--seed", str(work / "none"), "--token", "bench"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        for line in server.stdout:
            if "running at" in line:
                break
        auth = ["--endpoint", endpoint, "--token", "bench"]
        try:
            for label, folder in [("new", "site"), ("unchanged", "site"), ("edited (POST, 409, PUT)", "edited")]:
                elapsed, summary = timed([args.blog, "import", str(work / folder), *auth])
                print(f"import {args.posts} posts, {label}: {elapsed * 1000:.0f} ms, "
                      f"{elapsed / args.posts * 1000:.2f} ms a post  [{summary}]")
            one = next((work / "site" / "_posts").iterdir())
            runs = sorted(timed([args.blog, "publish", str(one), *auth])[0] for _ in range(args.runs))
            print(f"publish one file (process start included), {args.runs} runs: "
                  f"median {statistics.median(runs) * 1000:.1f} ms, max {runs[-1] * 1000:.1f} ms")
        finally:
            server.kill()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
