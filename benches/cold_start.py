#!/usr/bin/env python3
"""Cold start of the Lambda binaries: time from process spawn to the first response it posts,
and its peak memory (VmHWM), against a fake Lambda Runtime API on loopback. Binaries are run
alternately, so each is measured under the same machine load, and each figure is reported as a
ratio to the baseline's from the same run.

The deployment goal (cold start <= 1.1x a minimal lambda_http + aws-sdk-dynamodb function doing
the same Query, peak RSS <= 16 MiB), from the repository's root:

    benches/cold_start.py dynamodb [--runs 20] [--no-build]

builds, for this machine, `list-posts` as `scripts/build-lambdas` builds it (release profile,
`--no-default-features`: no embedded store) and the baseline crate `benches/cold-start-baseline`
(release profile, its own build, so its features are its own); installs moto into `.venv` if
needed (as `scripts/test` does) and starts its server on loopback; creates the table and
publishes `examples/posts` through the `ingest` function (debug build); then runs, alternately,
one event per process, `GET /` on `list-posts` and on the baseline, each doing the home page's
one Query against that server (fake credentials, `AWS_ENDPOINT_URL_DYNAMODB`). Ratios are to
the baseline.

Any binaries, on whatever store their environment names (the first is the baseline):

    benches/cold_start.py binaries --runs 30 --event tests/fixtures/apigw-v2-category.json \
        --env BLOG_DB=/tmp/blog.sqlite3 --env BLOG_BASE_URL=https://blog.example.com \
        baseline=target/release/list-posts candidate=/tmp/other/list-posts
"""
import argparse
import http.server
import json
import os
import pathlib
import queue
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request

API = "/2018-06-01/runtime"
ROOT = pathlib.Path(__file__).resolve().parent.parent
# The deployment goal (the goal 6).
GOAL_RATIO = 1.1
GOAL_RSS_MIB = 16


def serve(events: "list[bytes]", responses: "queue.Queue[tuple[float, bytes]]", polls: "list[float]"):
    """A fake Runtime API handing out `events` in order, one per poll (each poll's time is
    appended to `polls`); a poll after the last waits for the process to be stopped."""
    pending = list(events)
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.path != f"{API}/invocation/next":
                self.send_error(404)
                return
            with lock:
                polls.append(time.perf_counter())
                event = pending.pop(0) if pending else None
            if event is None:
                time.sleep(3600)
                return
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
    return server


def peak_rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def invoke(binary: str, events: "list[bytes]", env: dict) -> "tuple[list[tuple[float, bytes]], int, float]":
    """Spawns `binary`, hands it `events`, and returns each answer (milliseconds since spawn,
    body), its peak RSS in KiB when the last one came, and when it first asked for an event
    (milliseconds since spawn: its init)."""
    responses: "queue.Queue[tuple[float, bytes]]" = queue.Queue()
    polls: "list[float]" = []
    server = serve(events, responses, polls)
    full_env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        **env,
    }
    answers = []
    start = time.perf_counter()
    process = subprocess.Popen([binary], env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in events:
            try:
                answered, body = responses.get(timeout=60)
            except queue.Empty:
                process.kill()
                raise SystemExit(f"{binary} did not answer: {process.communicate()[1][-2000:]!r}")
            answers.append(((answered - start) * 1000, body))
        rss = peak_rss_kib(process.pid)
    finally:
        process.kill()
        process.wait()
        server.shutdown()
    return answers, rss, (polls[0] - start) * 1000


def run_once(binary: str, event: bytes, env: dict) -> "tuple[float, int, float]":
    [(ms, body)], rss, init_ms = invoke(binary, [event], env)
    status = json.loads(body).get("statusCode")
    if status != 200:
        raise SystemExit(f"{binary} answered {status}: {body[:300]!r}")
    return ms, rss, init_ms


def measure(labelled: "list[tuple[str, str, dict]]", event: bytes, env: dict, runs: int):
    """Runs every (label, binary, its own environment) `runs` times, alternately; returns
    {label: ([ms], [KiB], [init ms])}."""
    figures = {label: ([], [], []) for label, _, _ in labelled}
    for _ in range(runs):
        for label, path, own in labelled:
            for figure, value in zip(figures[label], run_once(path, event, {**env, **own})):
                figure.append(value)
    return figures


def p90(values: "list[float]") -> float:
    runs = sorted(values)
    return runs[int(len(runs) * 0.9) - 1] if len(runs) >= 10 else runs[-1]


def report(labelled: "list[tuple[str, str, dict]]", figures) -> "dict[str, tuple[float, float]]":
    """Prints each binary's figures beside the baseline's (the first); returns each one's
    (time ratio, peak RSS in MiB)."""
    base_label = labelled[0][0]
    base_ms = statistics.median(figures[base_label][0])
    base_rss = statistics.median(figures[base_label][1])
    # Spawn to first response, split at the first poll: init (main until `run`), then the
    # first event.
    print(
        f"{'binary':<14} {'size MB':>8} {'median ms':>10} {'p90 ms':>8} {'time ratio':>11}"
        f" {'init ms':>8} {'event ms':>9} {'peak RSS MiB':>13} {'RSS ratio':>10}"
    )
    ratios = {}
    for label, path, _ in labelled:
        ms, rss, init = figures[label]
        median = statistics.median(ms)
        rss_median = statistics.median(rss)
        init_median = statistics.median(init)
        event_median = statistics.median(m - i for m, i in zip(ms, init))
        size = os.path.getsize(path) / 1e6
        print(
            f"{label:<14} {size:>8.1f} {median:>10.1f} {p90(ms):>8.1f} {median / base_ms:>10.2f}x"
            f" {init_median:>8.1f} {event_median:>9.1f}"
            f" {rss_median / 1024:>13.1f} {rss_median / base_rss:>9.2f}x"
        )
        ratios[label] = (median / base_ms, max(rss) / 1024)
    return ratios


def binaries(args):
    event = open(args.event, "rb").read()
    env = dict(item.split("=", 1) for item in args.env)
    labelled = [(*b.split("=", 1), {}) if "=" in b else (b, b, {}) for b in args.binaries]
    report(labelled, measure(labelled, event, env, args.runs))


# --- The deployment goal: list-posts against the baseline, on a DynamoDB-compatible server ---


def cargo(*args: str):
    print("+ cargo", " ".join(args), flush=True)
    subprocess.run(["cargo", *args], cwd=ROOT, check=True)


def moto_venv() -> pathlib.Path:
    """The test tools' venv (`scripts/test` makes the same one), made if missing or stale."""
    venv = ROOT / ".venv"
    requirements = ROOT / "tests" / "requirements.txt"
    installed = venv / "requirements.txt"
    if not installed.exists() or installed.read_bytes() != requirements.read_bytes():
        print(f"Installing the test tools into {venv}…", flush=True)
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", "-r", str(requirements)],
            check=True,
        )
        installed.write_bytes(requirements.read_bytes())
    return venv


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto(venv: pathlib.Path, log) -> "tuple[subprocess.Popen, str]":
    port = free_port()
    process = subprocess.Popen(
        [str(venv / "bin" / "moto_server"), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
            return process, endpoint
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the DynamoDB-compatible server (moto) did not start")


def dynamodb(endpoint: str, target: str, request: dict) -> dict:
    """One DynamoDB JSON API call. moto reads the region from the credential scope and checks
    no signature."""
    http_request = urllib.request.Request(
        endpoint,
        data=json.dumps(request).encode(),
        headers={
            "content-type": "application/x-amz-json-1.0",
            "x-amz-target": f"DynamoDB_20120810.{target}",
            "authorization": "AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/dynamodb/aws4_request,"
            " SignedHeaders=host, Signature=0",
        },
    )
    with urllib.request.urlopen(http_request, timeout=10) as response:
        return json.load(response)


def create_table(endpoint: str, table: str):
    """The blog's key schema, as `blog_shared::store::create_table` makes it."""
    dynamodb(endpoint, "CreateTable", {
        "TableName": table,
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
    })


def publish_examples(ingest: str, env: dict):
    """Publishes every post of examples/posts through the ingest function, as an IAM caller
    (the captured API Gateway event of tests/fixtures, with each post as its body)."""
    template = json.loads((ROOT / "tests" / "fixtures" / "apigw-v2-ingest-iam.json").read_text())
    events = []
    posts = sorted((ROOT / "examples" / "posts").glob("*.md"))
    for post in posts:
        event = dict(template, body=post.read_text())
        events.append(json.dumps(event).encode())
    answers, _, _ = invoke(ingest, events, env)
    for post, (_, body) in zip(posts, answers):
        status = json.loads(body).get("statusCode")
        if status not in (200, 201):
            raise SystemExit(f"publishing {post.name} answered {status}: {body[:500]!r}")
    return len(posts)


def home_page_event() -> bytes:
    """A captured API Gateway event of a listing page, made the home page (`GET /`)."""
    event = json.loads((ROOT / "tests" / "fixtures" / "apigw-v2-category.json").read_text())
    event.pop("pathParameters", None)
    event["routeKey"] = "GET /"
    event["rawPath"] = "/"
    event["requestContext"]["routeKey"] = "GET /"
    event["requestContext"]["http"]["path"] = "/"
    return json.dumps(event).encode()


def goal(args):
    release = ROOT / "target" / "release"
    if not args.no_build:
        # As scripts/build-lambdas builds the deployed functions: no embedded store.
        cargo("build", "--release", "--locked", "--no-default-features", "-p", "list-posts")
        # Its own build: the baseline's features are unified with nothing of the blog's.
        cargo("build", "--release", "--locked", "-p", "cold-start-baseline")
        # Only to fill the table.
        cargo("build", "--locked", "-p", "ingest")
    venv = moto_venv()
    with tempfile.TemporaryFile() as log:
        moto, endpoint = start_moto(venv, log)
        try:
            table = "blog-cold-start"
            create_table(endpoint, table)
            env = {
                "BLOG_TABLE": table,
                "BLOG_BASE_URL": "https://blog.example.com",
                "AWS_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": "bench",
                "AWS_SECRET_ACCESS_KEY": "bench",
                "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
            }
            count = publish_examples(str(ROOT / "target" / "debug" / "ingest"), env)
            print(f"moto at {endpoint}, table {table}: {count} posts published through ingest")
            baseline = str(release / "cold-start-baseline")
            labelled = [
                # The goal's yardstick: the one Query.
                ("baseline", baseline, {}),
                ("list-posts", str(release / "list-posts"), {}),
            ]
            event = home_page_event()
            # One discarded round: moto loads its DynamoDB backend on the first call.
            measure(labelled, event, env, 1)
            figures = measure(labelled, event, env, args.runs)
        finally:
            moto.kill()
            moto.wait()
    print(f"{args.runs} alternating runs each, GET / on moto (the baseline: a Query of LIST#_all, Limit 11;")
    print("list-posts: the same Query reading two rows past now, Limit 13, and the page rendered)")
    ratios = report(labelled, figures)
    ratio, rss = ratios["list-posts"]
    verdict = lambda ok: "met" if ok else "NOT met"
    print(f"goal: cold start <= {GOAL_RATIO}x the baseline: {ratio:.2f}x, {verdict(ratio <= GOAL_RATIO)}")
    print(f"goal: peak RSS <= {GOAL_RSS_MIB} MiB: {rss:.1f} MiB (highest of all runs), {verdict(rss <= GOAL_RSS_MIB)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    goal_parser = commands.add_parser("dynamodb", help="list-posts against the baseline crate, on moto")
    goal_parser.add_argument("--runs", type=int, default=20)
    goal_parser.add_argument("--no-build", action="store_true", help="use the binaries already in target/")
    goal_parser.set_defaults(run=goal)
    any_parser = commands.add_parser("binaries", help="any binaries; the first is the baseline")
    any_parser.add_argument("--runs", type=int, default=20)
    any_parser.add_argument("--event", required=True)
    any_parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the function")
    any_parser.add_argument("binaries", nargs="+", help="LABEL=PATH; the first is the baseline")
    any_parser.set_defaults(run=binaries)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
