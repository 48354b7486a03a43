#!/usr/bin/env python3
"""Cold start of the Lambda binaries: time from process spawn to the first response it posts,
and its peak memory, against a fake Lambda Runtime API on loopback. Binaries are run
alternately, so each is measured under the same machine load; the first one named is the
baseline the others are compared with.

    benches/cold_start.py --runs 30 --event tests/fixtures/apigw-v2-category.json \
        --env BLOG_DB=/tmp/blog.sqlite3 --env BLOG_BASE_URL=https://blog.example.com \
        baseline=target/release/list-posts candidate=/tmp/other/list-posts
"""
import argparse
import http.server
import json
import os
import queue
import statistics
import subprocess
import threading
import time

API = "/2018-06-01/runtime"


def serve(event: bytes, responses: "queue.Queue[tuple[float, bytes]]"):
    served = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.path != f"{API}/invocation/next":
                self.send_error(404)
                return
            # One event per process; a second poll waits for the process to be stopped.
            if served.is_set():
                time.sleep(3600)
            served.set()
            self.send_response(200)
            self.send_header("lambda-runtime-aws-request-id", "bench")
            self.send_header("lambda-runtime-deadline-ms", str(int(time.time() * 1000) + 30000))
            self.send_header("lambda-runtime-invoked-function-arn", "arn:aws:lambda:eu-west-1:123456789012:function:bench")
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(event)))
            self.end_headers()
            self.wfile.write(event)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            responses.put((time.perf_counter(), body))
            self.send_response(202)
            self.send_header("content-length", "0")
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, served


def peak_rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def run_once(binary: str, event: bytes, env: dict) -> tuple[float, int]:
    responses: "queue.Queue[tuple[float, bytes]]" = queue.Queue()
    server, _ = serve(event, responses)
    full_env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        **env,
    }
    start = time.perf_counter()
    process = subprocess.Popen([binary], env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        answered, body = responses.get(timeout=30)
        rss = peak_rss_kib(process.pid)
    finally:
        process.kill()
        process.wait()
        server.shutdown()
    status = json.loads(body).get("statusCode")
    if status != 200:
        raise SystemExit(f"{binary} answered {status}: {body[:300]!r}")
    return (answered - start) * 1000, rss


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--event", required=True)
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the function")
    parser.add_argument("binaries", nargs="+", help="LABEL=PATH; the first is the baseline")
    args = parser.parse_args()
    event = open(args.event, "rb").read()
    env = dict(item.split("=", 1) for item in args.env)
    labelled = [b.split("=", 1) if "=" in b else (b, b) for b in args.binaries]
    times = {label: [] for label, _ in labelled}
    memory = {label: [] for label, _ in labelled}
    for _ in range(args.runs):
        for label, path in labelled:
            ms, rss = run_once(path, event, env)
            times[label].append(ms)
            memory[label].append(rss)
    base = statistics.median(times[labelled[0][0]])
    print(f"{'binary':<14} {'size MB':>8} {'median ms':>10} {'p90 ms':>8} {'peak RSS MiB':>13} {'vs baseline':>12}")
    for label, path in labelled:
        runs = sorted(times[label])
        median = statistics.median(runs)
        p90 = runs[int(len(runs) * 0.9) - 1] if len(runs) >= 10 else runs[-1]
        size = os.path.getsize(path) / 1e6
        rss = statistics.median(memory[label]) / 1024
        print(f"{label:<14} {size:>8.1f} {median:>10.1f} {p90:>8.1f} {rss:>13.1f} {median / base:>11.2f}x")


if __name__ == "__main__":
    main()
