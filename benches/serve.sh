#!/usr/bin/env bash
# `blog serve` against nginx serving the same page bytes from a file: how far the read path is
# from the cost of just sending the bytes. One script starts both servers on loopback, on the
# same machine, and measures them alternately under the same load.
#
#     benches/serve.sh [--blog target/release/blog] [--rounds 3] [--seconds 10] [--posts 1000] [--gzip]
#
# Without --blog it builds target/release/blog (`cargo build --release -p blog-cli`). Then:
#   1. generates a corpus of --posts realistic posts (benches/corpus.py, seed 1) in a temp dir;
#   2. starts `blog serve` on a fresh temp database on a free loopback port and publishes the
#      corpus with `blog publish`;
#   3. fetches (curl, no Accept-Encoding, as wrk asks) the first page of the largest category
#      and a post page (the post of median size), and writes those exact bytes to files at the
#      same paths in an nginx root;
#   4. starts nginx (nginx-light) in the foreground from a minimal nginx.conf in the temp dir,
#      on another loopback port: Debian's default production settings (worker_processes auto,
#      sendfile, tcp_nopush, keepalive_timeout 65, keepalive_requests at its default 1000),
#      access_log off;
#   5. checks that both servers answer the same bytes for each URL, warms both up (2 s each);
#   6. runs `wrk -t2 -c32 -d10s` for each page, nginx and blog serve alternately (the order
#      swapped every round), --rounds times;
#   7. prints requests/s and p50/p99 latency of each run, and per page the medians over the
#      rounds and the ratio blog/nginx (median of the rounds' ratios).
# --gzip: wrk's requests say `Accept-Encoding: gzip`, as browsers and CDNs do; the blog's gzipped
# answer is stored beside each page as `PAGE.gz`, which nginx sends as it is (`gzip_static on`,
# as a site would serve precompressed pages), so both send the same compressed bytes too (checked).
# Both servers are stopped on exit (trap). wrk and nginx-light are installed with apt if missing.
# wrk shares the 2 cores with the server it measures, for both servers alike.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
blog=""
rounds=3
seconds=10
posts=1000
gzip=""
while [ $# -gt 0 ]; do
  case "$1" in
    --blog) blog=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --posts) posts=$2; shift 2 ;;
    --gzip) gzip=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [ -z "$blog" ]; then
  echo "building target/release/blog (cargo build --release -p blog-cli)"
  (cd "$here" && cargo build --release -p blog-cli --quiet)
  blog=$here/target/release/blog
fi
blog=$(realpath "$blog")

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing with apt: ${missing[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

work=$(mktemp -d /tmp/serve-bench.XXXXXX)
blog_pid=""
nginx_pid=""
cleanup() {
  set +e  # stop everything, whatever fails
  for pid in $blog_pid $nginx_pid; do
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

commit=$(cd "$here" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(cd "$here" && git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " (working tree modified)" || true)
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit$dirty, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "blog: $blog (built $(date -u -r "$blog" '+%Y-%m-%d %H:%M UTC'))"
echo "nginx: $("$nginx_bin" -v 2>&1 | sed 's/.*: //'), wrk: $(wrk -v 2>&1 | head -1 | awk '{print $2}')"

# 1. The corpus.
python3 "$here/benches/corpus.py" "$work/corpus" --posts "$posts" --manifest "$work/manifest.json" | sed 's/^/corpus: /'

# 2. blog serve on a fresh database, the corpus published into it.
blog_port=$(free_port)
"$blog" serve --addr "127.0.0.1:$blog_port" --db "$work/blog.sqlite3" --seed "$work/no-seed" \
  --token bench >"$work/blog.log" 2>&1 &
blog_pid=$!
for _ in $(seq 100); do
  grep -qs "running at" "$work/blog.log" && break
  kill -0 "$blog_pid" 2>/dev/null || { cat "$work/blog.log"; echo "blog serve did not start" >&2; exit 1; }
  sleep 0.1
done
blog_url=http://127.0.0.1:$blog_port
start=$(date +%s.%N)
if ! "$blog" publish "$work/corpus" --endpoint "$blog_url" --token bench >"$work/publish.log" 2>&1; then
  grep -iE "fail|error" "$work/publish.log" | head -20
  echo "blog publish failed (above)" >&2
  exit 1
fi
echo "published in $(python3 -c "import time; print(f'{time.time() - $start:.1f}')") s: $(tail -1 "$work/publish.log")"

# 3. The two pages, and their bytes in an nginx root.
read -r category_path post_path < <(python3 - "$work/manifest.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
largest = max(m["categories"].values(), key=lambda c: c["posts"])
by_size = sorted(m["posts"], key=lambda p: p["bytes"])
print(f"/category/{largest['slug']}", f"/posts/{by_size[len(by_size) // 2]['slug']}")
EOF
)
www=$work/www
mkdir -p "$www"
for path in "$category_path" "$post_path"; do
  mkdir -p "$www$(dirname "$path")"
  status=$(curl -sS -o "$www$path" -w '%{http_code}' "$blog_url$path")
  [ "$status" = 200 ] || { echo "$blog_url$path answered $status" >&2; exit 1; }
  if [ -n "$gzip" ]; then
    encoded=$(curl -sS -H "Accept-Encoding: gzip" -o "$www$path.gz" -w '%header{content-encoding}' "$blog_url$path")
    [ "$encoded" = gzip ] || { echo "$blog_url$path: no gzip answer to Accept-Encoding: gzip" >&2; exit 1; }
  fi
done
chmod -R a+rX "$work"  # nginx's workers run as nobody

# 4. nginx, in the foreground, as a production config would have it.
nginx_port=$(free_port)
mkdir -p "$work/nginx/tmp"
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
daemon off;
events { worker_connections 768; }
http {
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    keepalive_timeout 65;
    gzip on;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path $work/nginx/tmp/body;
    proxy_temp_path $work/nginx/tmp/proxy;
    fastcgi_temp_path $work/nginx/tmp/fastcgi;
    uwsgi_temp_path $work/nginx/tmp/uwsgi;
    scgi_temp_path $work/nginx/tmp/scgi;
    server {
        listen 127.0.0.1:$nginx_port;
        root $www;
        location / {
            default_type text/html;
            charset utf-8;  # a plain type, so that gzip_types (text/html) matches it
            gzip_static on;
            try_files \$uri =404;
        }
    }
}
EOF
"$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" >>"$work/nginx/error.log" 2>&1 &
nginx_pid=$!
nginx_url=http://127.0.0.1:$nginx_port
for _ in $(seq 100); do
  curl -s -o /dev/null "$nginx_url/" && break
  kill -0 "$nginx_pid" 2>/dev/null || { cat "$work/nginx/error.log"; echo "nginx did not start" >&2; exit 1; }
  sleep 0.1
done

# 5. The same bytes from both, for each URL (and the same gzipped bytes, with --gzip).
encoding=()
[ -n "$gzip" ] && encoding=(-H "Accept-Encoding: gzip")
for path in "$category_path" "$post_path"; do
  for accept in "" ${gzip:+gzip}; do
    curl -sS -f ${accept:+-H "Accept-Encoding: $accept"} -o "$work/from-blog" "$blog_url$path"
    curl -sS -f ${accept:+-H "Accept-Encoding: $accept"} -o "$work/from-nginx" "$nginx_url$path"
    if ! cmp -s "$work/from-blog" "$work/from-nginx"; then
      echo "$path${accept:+ (Accept-Encoding: $accept)}: blog serve and nginx answer different bytes" >&2
      exit 1
    fi
    echo "same bytes from both: $path${accept:+ gzipped} ($(wc -c <"$work/from-blog") bytes, sha256 $(sha256sum "$work/from-blog" | cut -c1-12))"
  done
done

# 6. wrk, alternately.
cat >"$work/report.lua" <<'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
EOF
run() {  # run URL SECONDS -> "requests duration_us p50_us p99_us socket_errors status_errors"
  wrk -t2 -c32 -d"$2"s --latency "${encoding[@]}" -s "$work/report.lua" "$1" | awk '/^RESULT/ {$1=""; print substr($0, 2)}'
}
echo "warming up (2 s each)"
for path in "$category_path" "$post_path"; do
  run "$nginx_url$path" 2 >/dev/null
  run "$blog_url$path" 2 >/dev/null
done
results=$work/results.tsv
: >"$results"
echo "wrk -t2 -c32 -d${seconds}s${gzip:+ -H 'Accept-Encoding: gzip'}, $rounds rounds"
for round in $(seq "$rounds"); do
  if [ $((round % 2)) = 1 ]; then order="nginx blog"; else order="blog nginx"; fi
  for path in "$category_path" "$post_path"; do
    for server in $order; do
      if [ "$server" = nginx ]; then url=$nginx_url$path; else url=$blog_url$path; fi
      line=$(run "$url" "$seconds")
      [ -n "$line" ] || { echo "wrk gave no result for $url" >&2; exit 1; }
      printf '%s\t%s\t%s\t%s\n' "$round" "$path" "$server" "$line" >>"$results"
      echo "$round $server $path $line" | awk '{printf "  round %s %-6s %-40s %9.0f req/s  p50 %7.3f ms  p99 %7.3f ms  errors: %d socket, %d non-2xx\n", $1, $2, $3, $4 / ($5 / 1e6), $6 / 1000, $7 / 1000, $8, $9}'
    done
  done
done

# 7. Medians and ratios.
echo "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews both servers' figures)"
python3 - "$results" <<'EOF'
import collections, statistics, sys
runs = collections.defaultdict(dict)
errors = 0
for line in open(sys.argv[1]):
    rnd, path, server, requests, duration, p50, p99, socket_errors, status_errors = line.split()
    runs[(path, server)][rnd] = (int(requests) / (int(duration) / 1e6), int(p50) / 1000, int(p99) / 1000)
    errors += int(socket_errors) + int(status_errors)
print()
width = max(len(p) for p, _ in runs)
print(f"{'page':{width}} {'server':6} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}   (medians of rounds)")
for path in dict.fromkeys(p for p, _ in runs):
    for server in ("nginx", "blog"):
        r = runs[(path, server)].values()
        print(f"{path:{width}} {server:6} {statistics.median(x[0] for x in r):9.0f} "
              f"{statistics.median(x[1] for x in r):8.3f} {statistics.median(x[2] for x in r):8.3f}")
for path in dict.fromkeys(p for p, _ in runs):
    blog, nginx = runs[(path, "blog")], runs[(path, "nginx")]
    rps = statistics.median(blog[k][0] / nginx[k][0] for k in blog)
    p50 = statistics.median(blog[k][1] / nginx[k][1] for k in blog)
    p99 = statistics.median(blog[k][2] / nginx[k][2] for k in blog)
    print(f"blog/nginx {path}: requests/s {rps:.3f}, p50 latency {p50:.2f}x, p99 latency {p99:.2f}x")
if errors:
    print(f"ERRORS: {errors} socket errors or non-2xx answers during the runs")
    sys.exit(1)
EOF
