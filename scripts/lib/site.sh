# What the checks that look at the running site share (scripts/check-html, check-browser,
# check-a11y, check-search, check-lighthouse), sourced from the repository's root:
#
#   need_chromium WHAT   Debian's Chromium, installed as root when missing (WHAT: who needs it)
#   need_node_tools      tests/node-requirements.txt's tools, pinned, in .venv/node
#   start_site           `blog serve` (debug build) on a fresh database seeded from
#                        examples/posts and a free loopback port; sets `dir` (its temporary
#                        folder, removed at exit), `base` (its URL), `serve_pid`, `token`
#
# The server is stopped and the folder removed when the sourcing script exits.

need_chromium() {
  command -v chromium >/dev/null && return
  if [ "$(id -u)" = 0 ]; then
    echo "Installing chromium…"
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else
    echo "$1 needs Debian's chromium: apt-get install chromium" >&2
    exit 1
  fi
}

# tests/node-requirements.txt's tools, pinned, in .venv/node (scripts/node-tools).
need_node_tools() {
  scripts/node-tools
}

start_site() {
  local port
  cargo build --locked -p blog-cli
  dir=$(mktemp -d)
  token=check
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  target/debug/blog serve --addr "127.0.0.1:$port" --db "$dir/blog.sqlite3" --seed examples/posts --token "$token" >"$dir/serve.log" 2>&1 &
  serve_pid=$!
  trap 'kill "$serve_pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
  for _ in $(seq 1 300); do
    grep -qs "running at" "$dir/serve.log" && break
    if ! kill -0 "$serve_pid" 2>/dev/null; then
      cat "$dir/serve.log" >&2
      echo "blog serve stopped before it listened" >&2
      exit 1
    fi
    sleep 0.1
  done
  grep -q "running at" "$dir/serve.log" || { cat "$dir/serve.log" >&2; echo "blog serve did not listen within 30 s" >&2; exit 1; }
  base="http://127.0.0.1:$port"
}
