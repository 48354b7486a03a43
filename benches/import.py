#!/usr/bin/env python3
"""A real blog's import, end to end: a generated years-old Jekyll site of several hundred posts
with the mess real ones have (a yearly `survey`, a weekly `team-meeting`, capitals and dots in
file names, categories in its `pretty` permalinks, posts with their own `permalink:`,
`redirect_from`, two posts declaring one alias, a byte order mark, CRLF, blank lines before the
front matter, `A and B` authors) goes through `blog import` into `blog serve` on loopback, on
the embedded store. Then every file is checked from outside: its post opens with its own
title, and the address Jekyll gave it (worked out here, independently of the importer) answers
301 to that post. A second import must change nothing.

    cargo build --release -p blog-cli && benches/import.py [--posts 400] [--blog target/release/blog]

Prints the files, posts, redirects checked and the times; exits non-zero if anything is lost.
"""
import argparse
import http.client
import pathlib
import random
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse


def generate(site: pathlib.Path, count: int) -> list[dict]:
    """Writes the site; returns, per post file, its path, title and Jekyll's address for it."""
    posts = site / "_posts"
    posts.mkdir(parents=True)
    (site / "_config.yml").write_text("title: An old blog\npermalink: pretty\n")
    (site / "about.md").write_text("---\nlayout: page\ntitle: About\n---\nA page.\n")
    rng = random.Random(11)
    words = ["latency", "queue", "shard", "deploy", "cache", "trace", "schema", "index"]
    files = []
    start = 1262304000  # 2010-01-01
    step = max(1, 5400 // count)  # fifteen years of posts, all in the past
    for i in range(count):
        day = time.gmtime(start + i * step * 86400 + (i % 3) * 3600)
        date = time.strftime("%Y-%m-%d", day)
        y, m, d = date.split("-")
        kind = i % 10
        if kind == 0:
            name, title = "survey", f"Developer survey, week {i}"
        elif kind in (1, 2):
            name, title = "team-meeting", f"Team meeting {date}"
        elif kind == 3:
            name, title = f"Release-{i // 10}.{i % 7}", f"Release {i // 10}.{i % 7}"
        else:
            name, title = f"post-{i:04d}", f"Post number {i}"
        categories = rng.sample(["Backend", "Ops", "Culture", "Mobile"], k=i % 3)
        author = ["Ann Lee", "Ann Lee and Bo Chen", "A, B and C"][i % 3]
        front = [
            "layout: post",
            f'title: "{title}"',
            f"author: {author}",
            f"categories: [{', '.join(categories)}]",
        ]
        if i % 50 == 7:  # a post-NNNN: unique names, as on a real site that built
            front.append("permalink: /archive/:year/:title.html")
            url = f"/archive/{y}/{name}.html"
        else:
            cats = "/".join(c.lower() for c in categories)
            url = f"/{cats}/{y}/{m}/{d}/{name}/" if cats else f"/{y}/{m}/{d}/{name}/"
        aliases = []
        if i % 40 == 5:
            aliases.append(f"/old/p{i}.html")
        if i % 100 in (11, 12):
            aliases.append(f"/shared/{i // 100}.html")  # two posts declare it: the first keeps it
        if aliases:
            front.append("redirect_from: [" + ", ".join(aliases) + "]")
        body = "\n\n".join(" ".join(rng.choice(words) for _ in range(50)) for _ in range(6))
        text = "---\n" + "\n".join(front) + "\n---\n" + body + "\n"
        raw = text.encode()
        if i % 13 == 0:
            raw = text.replace("\n", "\r\n").encode()
        if i % 19 == 0:
            raw = b"\n\n" + raw
        if i % 17 == 0:
            raw = b"\xef\xbb\xbf" + raw  # an editor's byte order mark comes first
        path = posts / f"{date}-{name}.md"
        path.write_bytes(raw)
        files.append({"path": str(path), "title": title, "old": url, "aliases": aliases})
    return files


def request(port: int, path: str) -> tuple[int, str, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", urllib.parse.quote(path, safe="/%"))
    response = connection.getresponse()
    body = response.read().decode("utf-8", "replace")
    connection.close()
    return response.status, response.getheader("location") or "", body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=400)
    parser.add_argument("--blog", default="target/release/blog")
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp())
    lost = []
    try:
        files = generate(work / "site", args.posts)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen(
            [args.blog, "serve", "--addr", f"127.0.0.1:{port}", "--db", str(work / "db.sqlite3"),
             "--seed", str(work / "none"), "--token", "bench"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        for line in server.stdout:
            if "running at" in line:
                break
        auth = ["--endpoint", f"http://127.0.0.1:{port}", "--token", "bench"]
        try:
            began = time.perf_counter()
            run = subprocess.run([args.blog, "import", str(work / "site"), *auth],
                                 capture_output=True, text=True, check=False)
            elapsed = time.perf_counter() - began
            summary = run.stdout.strip().splitlines()[-1]
            went = dict(re.findall(r"^created\s+(\S+) → (\S+)$", run.stdout, re.M))
            renamed = len(re.findall(r"renamed to", run.stdout))
            redirects = 0
            for file in files:
                url = went.get(file["path"])
                if url is None:
                    lost.append(f"{file['path']}: not created")
                    continue
                post_path = urllib.parse.urlparse(url).path
                status, _, body = request(port, post_path)
                if status != 200 or f">{file['title']}<" not in body:
                    lost.append(f"{file['path']}: {post_path} answered {status}")
                for old in [file["old"], *file["aliases"]]:
                    status, location, _ = request(port, old)
                    if (status, urllib.parse.urlparse(location).path) == (301, post_path):
                        redirects += 1
                    elif not old.startswith("/shared/"):
                        lost.append(f"{file['path']}: {old} answered {status} {location}")
            began = time.perf_counter()
            again = subprocess.run([args.blog, "import", str(work / "site"), *auth],
                                   capture_output=True, text=True, check=False)
            again_elapsed = time.perf_counter() - began
            again_summary = again.stdout.strip().splitlines()[-1]
            if f" 0 created, 0 updated, {len(files)} unchanged" not in again_summary:
                lost.append(f"the second import changed something: {again_summary}")
        finally:
            server.kill()
        print(f"files: {len(files) + 1} ({len(files)} posts, 1 page)")
        print(f"import: {elapsed:.2f} s, {elapsed / len(files) * 1000:.2f} ms a post  [{summary}]")
        print(f"renamed to resolve slug collisions: {renamed}")
        print(f"posts open with their own title: {len(went)}; old addresses answering 301 to their post: {redirects}")
        print(f"import again: {again_elapsed:.2f} s  [{again_summary}]")
        for problem in lost:
            print("LOST", problem)
        if lost:
            raise SystemExit(1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
