#!/usr/bin/env python3
"""What a reader can make `blog serve` hold: its resident memory and open file descriptors under
the attacks of a security review, for one or two builds of `blog` in one run (before and after a
change), each on a fresh database.

    cargo build --release -p blog-cli && benches/serve_attacks.py [--blog target/release/blog]
        [--before /path/to/an/older/blog]

The attacks, each against a fresh `blog serve`:

- cache: 2,000 requests for new URLs (`/robots.txt?n=<i>`), each with an `Accept-Encoding` of
  200 KB (`gzip;q=0, xxxx…`), one connection each; then 2,000 more with 60 KB (under the
  header cap of a build that has one). Resident memory before and after each, and the status
  codes seen.
- file: one stored 20 MiB file, and 40 connections that request it and read only the status
  line. Resident memory before, and 3 s after; the status codes (200 sent, 503 turned away).
- connections: 2,000 connections that send half a request's headers and then nothing.
  Descriptors open 1 s after, and after 20 s; whether a reader's request is answered then.

Prints one table per build. The test suite checks the same bounds (tests/e2e/serve_limits.rs);
this gives the figures.
"""
import argparse
import hashlib
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def open_files(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class Serve:
    def __init__(self, blog, folder):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.process = subprocess.Popen(
            [blog, "serve", "--addr", f"127.0.0.1:{self.port}", "--db",
             os.path.join(folder, "blog.sqlite3"), "--token", "attack-token",
             "--seed", os.path.join(folder, "no-seed")],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for line in self.process.stdout:
            if "running at" in line:
                break
        self.pid = self.process.pid

    def stop(self):
        self.process.kill()
        self.process.wait()


def request(port, head, read_all=True, timeout=30):
    """Sends `head` on a new connection: the status code, or the error."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(head)
            received = b""
            while read_all or b"\r\n" not in received:
                chunk = s.recv(65536)
                if not chunk:
                    break
                received += chunk
            match = re.match(rb"HTTP/1\.1 (\d+)", received)
            return match.group(1).decode() if match else "closed"
    except OSError as error:
        return type(error).__name__


def counts(codes):
    seen = {}
    for code in codes:
        seen[code] = seen.get(code, 0) + 1
    return ", ".join(f"{n}x {c}" for c, n in sorted(seen.items()))


def cache_attack(blog):
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        serve = Serve(blog, folder)
        for size in (200_000, 60_000):
            before = rss_kib(serve.pid)
            codes = []
            for n in range(2000):
                head = (f"GET /robots.txt?n={size}-{n} HTTP/1.1\r\nHost: blog\r\n"
                        f"Connection: close\r\nAccept-Encoding: gzip;q=0, {'x' * size}\r\n\r\n")
                codes.append(request(serve.port, head.encode()))
            after = rss_kib(serve.pid)
            rows.append((f"cache, 2,000 x {size // 1000} KB Accept-Encoding",
                         f"{before / 1024:.0f} -> {after / 1024:.0f} MB", counts(codes)))
        serve.stop()
    return rows


def file_attack(blog):
    with tempfile.TemporaryDirectory() as folder:
        data = bytes(i * 7 % 251 for i in range(20 * 1024 * 1024))
        sha = hashlib.sha256(data).hexdigest()
        key = f"media/{sha}/recording.pdf"
        db = sqlite3.connect(os.path.join(folder, "blog.sqlite3"))
        db.execute("CREATE TABLE IF NOT EXISTS blobs (key TEXT PRIMARY KEY, media_type TEXT NOT "
                   "NULL, size INTEGER NOT NULL, verified TEXT, bytes BLOB NOT NULL) STRICT")
        db.execute("INSERT INTO blobs VALUES (?, 'application/pdf', ?, ?, ?)",
                   (key, len(data), f"{sha} {len(data)}", data))
        db.commit()
        db.close()
        serve = Serve(blog, folder)
        before = rss_kib(serve.pid)
        held, codes = [], []
        for _ in range(40):
            s = socket.create_connection(("127.0.0.1", serve.port), timeout=30)
            s.sendall(f"GET /{key} HTTP/1.1\r\nHost: blog\r\n\r\n".encode())
            codes.append(s.recv(12)[9:12].decode())
            held.append(s)
        time.sleep(3)
        during = rss_kib(serve.pid)
        for s in held:
            s.close()
        serve.stop()
    return [("file, 40 stalled readers of 20 MiB",
             f"{before / 1024:.0f} -> {during / 1024:.0f} MB", counts(codes))]


def connection_attack(blog):
    with tempfile.TemporaryDirectory() as folder:
        serve = Serve(blog, folder)
        request(serve.port, b"GET /robots.txt HTTP/1.1\r\nHost: blog\r\nConnection: close\r\n\r\n")
        before = open_files(serve.pid)
        held = []
        for _ in range(2000):
            s = socket.create_connection(("127.0.0.1", serve.port), timeout=30)
            s.sendall(b"GET / HTTP/1.1\r\nHost: blog\r\nX-Slow: ")
            held.append(s)
        time.sleep(1)
        during = open_files(serve.pid)
        time.sleep(19)
        later = open_files(serve.pid)
        code = request(serve.port, b"GET /robots.txt HTTP/1.1\r\nHost: blog\r\nConnection: close\r\n\r\n",
                       timeout=60)
        for s in held:
            s.close()
        serve.stop()
    return [("connections, 2,000 half-sent requests",
             f"{before} -> {during} fds, {later} after 20 s", f"a reader then: {code}")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--blog", default="target/release/blog")
    parser.add_argument("--before", help="an older build of blog, measured first")
    args = parser.parse_args()
    builds = ([("before", args.before)] if args.before else []) + [("after", args.blog)]
    for name, blog in builds:
        print(f"== {name}: {blog}")
        for attack in (cache_attack, file_attack, connection_attack):
            for what, held, seen in attack(blog):
                print(f"{what:45} {held:32} {seen}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
