# Sourced (not run) by the checks that look at the site in a browser or a checker:
# scripts/check-html, check-browser, check-a11y and check-lighthouse.
#
#   need_chromium "the accessibility check"   # Debian's chromium, installed when run as root
#   install_node_tools                        # tests/node-requirements.txt into .venv/node
#   start_site                                # `blog serve` on a fresh database and a free port
#
# start_site sets `dir` (a temporary folder, removed on exit), `base` (the site's URL) and
# `serve_pid`, and stops the server on exit; the caller must be at the repository's root.

# Debian's chromium, which every browser check drives (never a browser a tool downloads).
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

# The npm tools of tests/node-requirements.txt, each at its pinned version, installed together
# into .venv/node: an `npm install --no-save` of one package removes every other one. No
# browser is downloaded.
install_node_tools() {
  local node_tools tool
  node_tools=$(grep -v '^#' tests/node-requirements.txt)
  for tool in $node_tools; do
    if ! grep -qs "\"version\": \"${tool##*@}\"" ".venv/node/node_modules/${tool%@*}/package.json"; then
      echo "Installing" $node_tools…
      PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --silent --no-save --no-audit --no-fund \
        --prefix .venv/node $node_tools
      return
    fi
  done
}

# Builds the CLI and serves the seed posts (examples/posts) with `blog serve` on a new database
# and a free loopback port, publishing with the token `check`. Waits for it, up to a minute on a
# busy machine, and fails with its log if it does not come up.
start_site() {
  cargo build --locked -p blog-cli
  dir=$(mktemp -d)
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  target/debug/blog serve --addr "127.0.0.1:$port" --db "$dir/blog.sqlite3" --seed examples/posts \
    --token check >"$dir/serve.log" 2>&1 &
  serve_pid=$!
  trap 'kill "$serve_pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
  base="http://127.0.0.1:$port"
  local _
  for _ in $(seq 1 600); do
    grep -q "running at" "$dir/serve.log" && return
    if ! kill -0 "$serve_pid" 2>/dev/null; then
      cat "$dir/serve.log" >&2
      echo "blog serve stopped before it was running" >&2
      exit 1
    fi
    sleep 0.1
  done
  cat "$dir/serve.log" >&2
  echo "blog serve was not running after a minute" >&2
  exit 1
}
