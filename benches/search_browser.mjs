// The reader's side of benches/search.py: Debian's Chromium (playwright-core, as the checks
// drive it) opens /search on `blog serve` and types each query key by key, as a reader does,
// into the same page (the field emptied between queries). For each query it measures
//
// - the bytes downloaded (each response's headers and body as they came over the wire, from
//   Chromium's network events through playwright's request sizes, in the page and in Pagefind's
//   worker; the worker's own script, whose body size those events leave at 0, from Resource
//   Timing's transferSize), from emptying the field to the results drawn and the network quiet:
//   the first query also counts the page's own load (the /search page itself, listed apart);
// - the time from the last key press to the results drawn, taken in the page: keydown (and
//   beforeinput) listeners and a MutationObserver on the status line, which the page writes
//   right after the results;
// - every request that is not a /search/… file: the origin's, which the CDN would not take;
// - the first three results' addresses, for relevance.
//
// Usage: node benches/search_browser.mjs BASE_URL QUERIES.json [KEY_DELAY_MS]  → JSON on stdout
// QUERIES.json: [{"query": "...", "slug": "..."}, …]
import { readFileSync } from "node:fs";
import { launchChromium } from "../tests/browser_checks.mjs";

const [base, queriesFile, delayArg = "120"] = process.argv.slice(2);
if (!base || !queriesFile) {
  console.error("usage: node benches/search_browser.mjs BASE_URL QUERIES.json [KEY_DELAY_MS]");
  process.exit(2);
}
const queries = JSON.parse(readFileSync(queriesFile, "utf8"));
const KEY_DELAY = Number(delayArg);

/** Waits until no request has been in flight for `quiet` ms. */
async function networkQuiet(page, inflight, quiet = 300, timeout = 60_000) {
  const start = Date.now();
  let since = Date.now();
  while (Date.now() - start < timeout) {
    if (inflight.size) since = Date.now();
    else if (Date.now() - since >= quiet) return;
    await page.waitForTimeout(25);
  }
  throw new Error(`the network never went quiet: ${[...inflight].join(", ")}`);
}

const browser = await launchChromium();
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
const inflight = new Set();
let log = [];
const pending = [];
const workers = [];
page.on("worker", (w) => workers.push(w));
page.on("request", (r) => inflight.add(r));
const settle = (r, failed) => {
  pending.push((async () => {
    const sizes = failed ? null : await r.sizes().catch(() => null);
    const response = failed ? null : await r.response().catch(() => null);
    log.push({
      url: r.url(),
      status: response?.status() ?? 0,
      body: sizes?.responseBodySize ?? 0,
      bytes: sizes ? sizes.responseBodySize + sizes.responseHeadersSize : 0,
    });
    inflight.delete(r);
  })());
};
page.on("requestfinished", (r) => settle(r, false));
page.on("requestfailed", (r) => settle(r, true));

/** Resource Timing's transfer sizes, in the page and its workers, by address. */
async function transferSizes() {
  const read = () => performance.getEntriesByType("resource").map((e) => [e.name, e.transferSize]);
  const entries = [...(await page.evaluate(read))];
  for (const w of workers) entries.push(...(await w.evaluate(read).catch(() => [])));
  return new Map(entries);
}

/** The requests since the last call: bytes, and those the origin would answer. */
async function take() {
  await Promise.all(pending.splice(0));
  const sizes = await transferSizes();
  const taken = log;
  log = [];
  for (const r of taken) {
    if (r.status === 200 && r.body === 0 && sizes.get(r.url)) r.bytes = sizes.get(r.url);
  }
  const path = (r) => new URL(r.url).pathname;
  return {
    requests: taken.length,
    bytes: taken.filter((r) => path(r).startsWith("/search/")).reduce((n, r) => n + r.bytes, 0),
    page_bytes: taken.filter((r) => path(r) === "/search").reduce((n, r) => n + r.bytes, 0),
    origin: taken.filter((r) => !path(r).startsWith("/search/") && path(r) !== "/search").map(path),
    // Each file by kind (Pagefind's folders and extensions: index, fragment, filter, wasm…).
    kinds: taken.reduce((kinds, r) => {
      const kind = path(r).startsWith("/search/") ? path(r).split("/").slice(3).join("/").replace(/[._]?[0-9a-f]{6,}.*$|\?.*$/, "") : path(r);
      kinds[kind] = (kinds[kind] ?? 0) + r.bytes;
      return kinds;
    }, {}),
  };
}

await page.addInitScript(() => {
  window.__lastKey = 0;
  // keydown, and beforeinput for characters typed as text (playwright types letters that are
  // not on a US keyboard, ø or ł, without a keydown).
  for (const type of ["keydown", "beforeinput"]) {
    document.addEventListener(type, (e) => { if (e.target.id === "search-q") window.__lastKey = performance.now(); }, true);
  }
  window.__drawn = new Map();
  addEventListener("DOMContentLoaded", () => {
    const status = document.getElementById("search-status");
    new MutationObserver(() => {
      const m = status.textContent.match(/“(.*)”/);
      if (m && !window.__drawn.has(m[1])) window.__drawn.set(m[1], performance.now() - window.__lastKey);
    }).observe(status, { childList: true, characterData: true, subtree: true });
  });
});

const out = { queries: [], load: null };
try {
  await page.goto(`${base}/search`, { waitUntil: "domcontentloaded" });
  for (const [i, q] of queries.entries()) {
    const input = page.locator("#search-q");
    if (i > 0) {
      await input.focus();
      await page.keyboard.press("Control+A");
      await page.keyboard.press("Backspace");
      await page.waitForFunction(() => document.getElementById("search-results").children.length === 0);
      await networkQuiet(page, inflight);
      const between = await take();
      if (between.origin.length) out.between = (out.between ?? []).concat(between.origin);
    } else {
      await input.focus();
    }
    await page.evaluate(() => window.__drawn.clear());
    await page.keyboard.type(q.query, { delay: KEY_DELAY });
    await page.waitForFunction((query) => window.__drawn.has(query), q.query, { timeout: 60_000 });
    await networkQuiet(page, inflight);
    const traffic = await take();
    const latency = await page.evaluate((query) => window.__drawn.get(query), q.query);
    const top = await page.$$eval("#search-results > li h3 > a", (as) => as.slice(0, 3).map((a) => a.getAttribute("href")));
    const found = Number((await page.locator("#search-status").textContent()).match(/^\d+/)?.[0] ?? 0);
    out.queries.push({ ...q, latency_ms: latency, ...traffic, top, found });
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
