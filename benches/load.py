#!/usr/bin/env python3
"""Mixed load on `blog serve`: 64 connections (wrk, 2 threads) read pages and feeds for 60 s
while an author publishes a new post or edits an existing one every second. Then every write
the blog accepted is checked against what it stores: the version it answered is the version
stored, and the stored post carries that write's words.

    cargo build --release -p blog-cli && benches/load.py [--seconds 60] [--blog target/release/blog]

Prints wrk's totals and latency percentiles (p99 among them), the errors (non-2xx/3xx answers,
socket errors, refused writes) and the lost writes; exits non-zero if any.
"""
import argparse
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

LUA = r"""
local paths = {
  "/", "/?after=%s", "/category/microservices", "/category/data-engineering", "/author/steve-conover",
  "/categories", "/posts/inside-a-soundcloud-microservice", "/posts/counting-unique-listeners-with-hyperloglog",
  "/posts/a-service-template-for-every-team", "/feed.xml", "/atom.xml", "/feed.json",
  "/category/microservices/feed.xml", "/sitemap.xml", "/category/load",
}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors_connect=%d errors_read=%d errors_write=%d errors_status=%d errors_timeout=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def call(method: str, url: str, token: str, body: bytes = b"", headers: dict | None = None):
    request = urllib.request.Request(url, data=body or None, method=method)
    request.add_header("authorization", f"Bearer {token}")
    request.add_header("content-type", "text/markdown; charset=utf-8")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def author(base: str, token: str, stop: threading.Event, accepted: dict, problems: list) -> None:
    """Every second: a new post, or an edit of one written before. Records what was accepted."""
    n = 0
    while not stop.is_set():
        started = time.monotonic()
        if n % 2 == 0 or not accepted:
            slug = f"load-{n // 2}"
            words = f"first words {n}"
            source = f"---\ntitle: Load {n // 2}\ndate: 2020-01-01\ncategories: [Load]\n---\n{words}\n"
            status, headers, body = call("POST", f"{base}/posts", token, source.encode(),
                                         {"content-disposition": f'attachment; filename="{slug}.md"',
                                          "blog-source": f"{slug}.md"})
            if status == 201:
                accepted[slug] = (json.loads(body)["version"], words, source)
            else:
                problems.append(f"POST {slug}: {status} {body[:200]!r}")
        else:
            slug = sorted(accepted)[n % len(accepted)]
            version, _, source = accepted[slug]
            words = f"edited words {n}"
            source = re.sub(r"\n[^\n]*words \d+\n$", f"\n{words}\n", source)
            status, headers, body = call("PUT", f"{base}/posts/{slug}", token, source.encode(),
                                         {"if-match": f'"v{version}"',
                                          "content-disposition": f'attachment; filename="{slug}.md"',
                                          "blog-source": f"{slug}.md"})
            if status == 200:
                accepted[slug] = (json.loads(body)["version"], words, source)
            else:
                problems.append(f"PUT {slug} from v{version}: {status} {body[:200]!r}")
        n += 1
        stop.wait(max(0.0, 1.0 - (time.monotonic() - started)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--blog", default="target/release/blog")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    work = pathlib.Path(tempfile.mkdtemp())
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        token = "load"
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [args.blog, "serve", "--addr", f"127.0.0.1:{port}", "--db", str(work / "db.sqlite3"),
             "--token", token],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        for line in server.stdout:
            if "running at" in line:
                break
        try:
            # An Older link to read a second page by.
            with urllib.request.urlopen(f"{base}/", timeout=10) as response:
                home = response.read().decode()
            cursor = re.search(r'href="/\?after=([^"]+)"', home).group(1)
            script = work / "mixed.lua"
            script.write_text(LUA.replace("%s", cursor))
            stop = threading.Event()
            accepted: dict = {}
            problems: list = []
            writer = threading.Thread(target=author, args=(base, token, stop, accepted, problems))
            writer.start()
            while not accepted and not problems and writer.is_alive():
                time.sleep(0.01)  # the author's first post exists before readers ask for it
            run = subprocess.run(
                ["wrk", "-t2", "-c64", f"-d{args.seconds}s", "--latency", "-s", str(script), base],
                capture_output=True, text=True, check=False,
            )
            stop.set()
            writer.join()
            result = dict(re.findall(r"(\w+)=(\d+)", next(
                line for line in run.stdout.splitlines() if line.startswith("RESULT"))))
            result = {k: int(v) for k, v in result.items()}
            lost = []
            for slug, (version, words, _) in sorted(accepted.items()):
                with urllib.request.urlopen(f"{base}/posts/{slug}", timeout=10) as response:
                    page = response.read().decode()
                status, _, _ = call("PUT", f"{base}/posts/{slug}", token,
                                    accepted[slug][2].encode(),
                                    {"if-match": f'"v{version}"', "blog-source": f"{slug}.md",
                                     "content-disposition": f'attachment; filename="{slug}.md"'})
                # The same content again at the accepted version is 200 and writes nothing.
                if words not in page or status != 200:
                    lost.append(f"{slug}: v{version} '{words}' not what is stored")
        finally:
            server.kill()
        status_errors = result["errors_status"]
        socket_errors = sum(result[k] for k in ("errors_connect", "errors_read", "errors_write", "errors_timeout"))
        print(f"reads: {result['requests']} in {args.seconds} s ({result['requests'] / args.seconds:.0f}/s) over 64 connections")
        print(f"latency: p50 {result['p50_us'] / 1000:.2f} ms, p90 {result['p90_us'] / 1000:.2f} ms, "
              f"p99 {result['p99_us'] / 1000:.2f} ms, max {result['max_us'] / 1000:.2f} ms")
        print(f"errors: {socket_errors} socket, {status_errors} non-2xx/3xx")
        print(f"writes: {len(accepted)} posts, every accepted write checked; refused: {len(problems)}; lost: {len(lost)}")
        for line in problems + lost:
            print("PROBLEM", line)
        if socket_errors or status_errors or problems or lost:
            raise SystemExit(1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
