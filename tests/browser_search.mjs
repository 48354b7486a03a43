// Full-text search as a reader uses it, in Debian's Chromium driven by playwright-core, against
// `blog serve` (started by scripts/check-search on a fresh database seeded from examples/posts).
// Posts are published as an author does (`blog publish`), each with a word no other post has;
// the script waits for the index that holds them (/search/current.json names a build with the
// posts expected), then types into the search page with real key presses and asserts what the
// page shows:
//
// - a word in one post's body only finds that post, first and alone, the word marked, and the
//   pager stays hidden for one page of results;
// - a draft's word finds nothing; a scheduled post's word finds nothing before its time, and the
//   post once its time has passed (blog serve builds the index again then);
// - a post deleted through the ingest API (DELETE with If-Match) vanishes from the results;
// - the category filter narrows the results to that category's posts;
// - the header's search box on another page leads to /search?q=… with the results;
// - the keyboard alone: Tab reaches the field, both filters and every result link, each with a
//   focus outline; the pager turns by Enter and moves focus to the results; a filter changes
//   with the arrow keys;
// - a post whose title and body hold `<img src=x onerror=…>` (in prose and in a code block) is
//   found and shown as text: no element is injected and no script runs (a control injects the
//   same text as markup and must see it run, so the check cannot pass by not looking);
// - typing searches from the third letter on (one or two would load much of the index), and
//   Enter searches for two;
// - what a reader types before the index has loaded (Pagefind's script held back 1.5 s) is kept
//   and searched for;
// - without JavaScript the page says what search needs and links every category, and shows no
//   pager that could not work;
// - axe-core on the page with results drawn, light and dark, desktop and a 375 px phone (no
//   horizontal scrolling there either): 0 violations.
//
// It also prints how long a published post takes to become searchable: from `blog publish`'s
// return to the post found in the page.
//
// Usage: BLOG_INGEST_TOKEN=… node tests/browser_search.mjs BASE_URL WORK_DIR [BLOG_BINARY]
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AXE_VERSION, PLAYWRIGHT_VERSION, axeAudit, check, failures, focused, launchChromium } from "./browser_checks.mjs";

const [base, work, blog = "target/debug/blog"] = process.argv.slice(2);
const token = process.env.BLOG_INGEST_TOKEN;
if (!base || !work || !token) {
  console.error("usage: BLOG_INGEST_TOKEN=… node tests/browser_search.mjs BASE_URL WORK_DIR [BLOG_BINARY]");
  process.exit(2);
}
/** How far ahead the scheduled post is dated: long enough for the checks before its time. */
const SCHEDULED_AHEAD_MS = 25_000;
/** Words no seed post has, one per behaviour (Pagefind stems a query as it stems the text). */
const WORD = {
  body: "zephyrquokka",
  draft: "marmosetdraft",
  scheduled: "ocelotlater",
  deleted: "pangolingone",
  hostile: "zanzibarite",
  // In a dozen archived notes and two other posts: more than one page of results, three
  // categories.
  shared: "wombatry",
};
const PAYLOAD = {
  title: "<img src=x onerror=window.pwnedTitle=1>",
  prose: "<img src=x onerror=window.pwnedProse=1>",
  code: "<img src=x onerror=window.pwnedCode=1>",
};
const NOTES = 12;

// --- the author's side --------------------------------------------------------------------

function post(dir, slug, front, body) {
  mkdirSync(dir, { recursive: true });
  const lines = Object.entries(front).map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
  writeFileSync(join(dir, `${slug}.md`), `---\n${lines.join("\n")}\n---\n${body}\n`);
}

/** `blog publish PATH`, as an author runs it; fails the check on a non-zero exit. */
function publish(path) {
  const run = spawnSync(blog, ["publish", path, "--endpoint", base], {
    env: { ...process.env, BLOG_INGEST_TOKEN: token },
    encoding: "utf8",
  });
  if (!check(run.status === 0, `blog publish ${path} exited ${run.status}: ${run.stdout}${run.stderr}`)) {
    throw new Error("publishing failed");
  }
  return run.stdout;
}

/** Deletes a post through the ingest API, with the version the API lists for it. */
async function remove(slug) {
  const auth = { authorization: `Bearer ${token}` };
  let version = null;
  let from = null;
  do {
    const listed = await (await fetch(`${base}/posts${from ? `?from=${encodeURIComponent(from)}` : ""}`, { headers: auth })).json();
    version = listed.posts.find((p) => p.slug === slug)?.version ?? null;
    from = listed.next;
  } while (version === null && from);
  if (version === null) throw new Error(`GET /posts does not list ${slug}`);
  const answer = await fetch(`${base}/posts/${slug}`, { method: "DELETE", headers: { ...auth, "if-match": `"v${version}"` } });
  check(answer.status === 204, `DELETE /posts/${slug} answered ${answer.status}, expected 204`);
}

/** What /search/current.json names now (never from a cache), or null before the first build. */
async function pointer() {
  const answer = await fetch(`${base}/search/current.json`, { cache: "no-store" });
  return answer.ok ? answer.json() : null;
}

/** Waits for the pointer to name a build that `until` accepts (by the posts it holds). */
async function indexWith(until, timeout = 60_000) {
  const start = Date.now();
  for (;;) {
    const now = await pointer();
    if (now && until(now)) return now;
    if (Date.now() - start > timeout) throw new Error(`no new search index within ${timeout / 1000} s (still ${JSON.stringify(now)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// --- the reader's side --------------------------------------------------------------------

/** A new browser context (empty cache: the pointer is cached a minute) on the search page. */
async function openSearch(browser, path = "/search", options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(new URL(path, base).href, { waitUntil: "domcontentloaded" });
  page.errors = errors;
  return { context, page };
}

/** The results as drawn: link, title, byline, excerpt text and marked words. */
function drawn(page) {
  return page.$$eval("#search-results > li", (items) =>
    items.map((li) => ({
      href: li.querySelector("h3 > a")?.getAttribute("href"),
      title: li.querySelector("h3 > a")?.textContent,
      byline: li.querySelector("p.byline")?.textContent,
      excerpt: li.querySelector("p:not(.byline)")?.textContent ?? "",
      marks: [...li.querySelectorAll("mark")].map((m) => m.textContent.toLowerCase()),
      text: li.textContent,
    })),
  );
}

/** Waits until the status speaks of `query` (the results for it are drawn), and answers them. */
async function settled(page, query) {
  await page.waitForFunction(
    (q) => document.getElementById("search-status").textContent.includes(`“${q}”`),
    query,
    { timeout: 15_000 },
  );
  return {
    status: await page.locator("#search-status").textContent(),
    results: await drawn(page),
    pager: await page.locator("#search-pages").isVisible(),
  };
}

/** Types `query` into the search field, key by key, replacing what it held. */
async function type(page, query) {
  await page.locator("#search-q").focus();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Backspace");
  await page.keyboard.type(query, { delay: 25 });
  return settled(page, query);
}

async function search(browser, query) {
  const { context, page } = await openSearch(browser);
  try {
    return await type(page, query);
  } finally {
    await context.close();
  }
}

/** Presses Tab until `stop` says so (or 80 times); answers every stop, outline checked. */
async function tabUntil(page, label, stop) {
  const stops = [];
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press("Tab");
    const now = await focused(page);
    stops.push(now);
    check(now.outline || now.tag === "body", `${label}: Tab stop ${stops.length} (${now.tag}#${now.id} "${now.text}") shows no focus outline`);
    if (stop(now)) break;
  }
  return stops;
}

// --- the checks ---------------------------------------------------------------------------

async function publishAndFind(browser) {
  const before = await pointer();
  check(before, "/search/current.json names no index after blog serve started");
  post(join(work, "body"), "a-note-on-naming-things", {
    title: "A note on naming things", date: "2021-05-04", authors: ["Dana Reyes"], categories: ["Culture"],
  }, `Names are the first documentation a reader meets.\n\nThe ${WORD.body} is a word this post alone uses, deep in its body, as does ${WORD.shared}.`);
  publish(join(work, "body", "a-note-on-naming-things.md"));
  const published = performance.now();
  const build = await indexWith((p) => p.posts === before.posts + 1);
  const indexed = performance.now();
  // The reader's side: the search page opened with the word, as the header's box opens it.
  const { context, page } = await openSearch(browser, `/search?q=${WORD.body}`);
  const { results } = await settled(page, WORD.body).finally(() => context.close());
  const found = performance.now();
  check(results[0]?.href === "/posts/a-note-on-naming-things", `publish → searchable: “${WORD.body}” found ${JSON.stringify(results)}`);
  console.log(`== publish → searchable: the index was written ${((indexed - published) / 1000).toFixed(2)} s after \`blog publish\` returned; ` +
    `the post was found in the search page ${((found - published) / 1000).toFixed(2)} s after (build ${build.build}, ${build.posts} posts)`);
  return build;
}

async function publishTheRest(after) {
  const dir = join(work, "rest");
  post(dir, "an-unfinished-draft", { title: "An unfinished draft", date: "2021-06-01", categories: ["Culture"], draft: true },
    `Not for readers yet: ${WORD.draft}.`);
  post(dir, "a-post-about-to-go", { title: "A post about to go", date: "2021-07-01", categories: ["Culture"] },
    `This post, and its ${WORD.deleted}, will be deleted.`);
  post(dir, "markup-in-a-post", { title: `Markup ${PAYLOAD.title} in a title`, date: "2020-01-01", categories: ["Security"] },
    `Prose quoting markup as text: \\${PAYLOAD.prose} ${WORD.hostile}, ${WORD.shared}.\n\n` +
    "```html\n" + `${PAYLOAD.code} ${WORD.hostile}\n<script>window.pwnedScript=1</script>\n` + "```");
  for (let n = 1; n <= NOTES; n++) {
    const nn = String(n).padStart(2, "0");
    post(dir, `archived-note-${nn}`, { title: `Archived note ${nn}`, date: `2014-01-${nn}`, categories: ["Archive"] },
      `An old note on ${WORD.shared}.`);
  }
  publish(dir);
  // The draft is not in it.
  return indexWith((p) => p.posts === after.posts + 2 + NOTES);
}

/** Publishes a post dated a little ahead; answers its time. */
function publishScheduled() {
  const dir = join(work, "scheduled");
  // Whole seconds, as the front matter says it.
  const scheduledAt = new Date(Math.floor((Date.now() + SCHEDULED_AHEAD_MS) / 1000) * 1000);
  post(dir, "coming-soon", { title: "Coming soon", date: scheduledAt.toISOString().replace(".000Z", "Z"), categories: ["Culture"] },
    `Readers find the ${WORD.scheduled} once this post is out.`);
  publish(dir);
  return scheduledAt;
}

async function findsOnlyPublic(browser, scheduledAt) {
  const early = await search(browser, WORD.scheduled);
  check(Date.now() < scheduledAt.getTime(), `the checks before the scheduled post's time took too long: it is out already`);
  check(early.results.length === 0, `a scheduled post's word (“${WORD.scheduled}”) finds ${JSON.stringify(early.results.map((r) => r.href))} before its time`);
  const body = await search(browser, WORD.body);
  check(body.results.length === 1 && body.results[0].href === "/posts/a-note-on-naming-things",
    `a word in one post's body (“${WORD.body}”) finds ${JSON.stringify(body.results.map((r) => r.href))}, not that post alone`);
  check(body.results[0]?.marks.includes(WORD.body), `“${WORD.body}” is not marked in the excerpt: ${JSON.stringify(body.results[0])}`);
  check(body.status === `1 post found for “${WORD.body}”.`, `the status says “${body.status}”`);
  check(!body.pager, `one result, and the pager (“More results”) is shown`);

  const draft = await search(browser, WORD.draft);
  check(draft.results.length === 0 && draft.status === `No posts found for “${WORD.draft}”.`,
    `a draft's word (“${WORD.draft}”) finds ${JSON.stringify(draft.results.map((r) => r.href))} (“${draft.status}”)`);

  console.log(`== found: “${WORD.body}” → ${body.results[0]?.href}; the draft's and the scheduled post's words → nothing`);
}

async function deletedVanishes(browser, build, scheduledAt) {
  const before = await search(browser, WORD.deleted);
  check(before.results[0]?.href === "/posts/a-post-about-to-go", `“${WORD.deleted}” does not find the post before its deletion: ${JSON.stringify(before.results)}`);
  await remove("a-post-about-to-go");
  // One post fewer; one more if the build ran after the scheduled post's time.
  const after = await indexWith((p) => p.posts === build.posts - 1 + (new Date(p.built) >= scheduledAt ? 1 : 0));
  const gone = await search(browser, WORD.deleted);
  check(gone.results.length === 0, `a deleted post's word (“${WORD.deleted}”) still finds ${JSON.stringify(gone.results.map((r) => r.href))}`);
  console.log(`== deleted: “${WORD.deleted}” found the post, then nothing once it was deleted (build ${after.build})`);
}

async function filterNarrows(browser) {
  const { context, page } = await openSearch(browser);
  try {
    const all = await type(page, WORD.shared);
    const total = Number(all.status.match(/^(\d+)/)?.[1]);
    await page.locator(".search-filters:not([hidden])").waitFor();
    await page.selectOption("#search-category", "Archive");
    await page.waitForFunction((n) => /^\d+/.test(document.getElementById("search-status").textContent) &&
      Number(document.getElementById("search-status").textContent.match(/^\d+/)[0]) !== n, total, { timeout: 15_000 });
    const narrowed = await settled(page, WORD.shared);
    const count = Number(narrowed.status.match(/^(\d+)/)?.[1]);
    check(total === NOTES + 2, `“${WORD.shared}” finds ${total} posts, expected ${NOTES + 2}`);
    check(count === NOTES, `the category Archive narrows “${WORD.shared}” to ${count} posts, expected ${NOTES}`);
    check(narrowed.results.every((r) => r.href.startsWith("/posts/archived-note-")),
      `the category Archive shows posts of other categories: ${narrowed.results.map((r) => r.href)}`);
    check(new URL(page.url()).searchParams.get("category") === "Archive", `the address does not keep the filter: ${page.url()}`);
    console.log(`== category filter: “${WORD.shared}” ${total} posts, in Archive ${count}`);
  } finally {
    await context.close();
  }
}

async function headerForm(browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(`${base}/category/microservices`);
    await page.locator("#site-search-q").focus();
    await page.keyboard.type(WORD.body, { delay: 25 });
    await Promise.all([page.waitForURL(/\/search\?/), page.keyboard.press("Enter")]);
    const url = new URL(page.url());
    check(url.pathname === "/search" && url.searchParams.get("q") === WORD.body, `the header's search box led to ${page.url()}`);
    const { results } = await settled(page, WORD.body);
    check(await page.locator("#search-q").inputValue() === WORD.body, "the search page's field does not hold the header's query");
    check(results[0]?.href === "/posts/a-note-on-naming-things", `the header's search box shows ${JSON.stringify(results)}`);
    console.log(`== header search box: /category/microservices → ${url.pathname}${url.search}, ${results.length} result(s)`);
  } finally {
    await context.close();
  }
}

async function keyboard(browser) {
  const { context, page } = await openSearch(browser, `/search?q=${WORD.shared}`);
  const label = "keyboard on /search";
  try {
    await settled(page, WORD.shared);
    await page.locator(".search-filters:not([hidden])").waitFor();
    const stops = await tabUntil(page, label, (s) => s.id === "search-older" || s.tag === "body");
    const ids = stops.map((s) => s.id);
    const links = stops.filter((s) => s.tag === "a" && s.href?.startsWith("/posts/"));
    for (const id of ["search-q", "search-category", "search-author"]) {
      check(ids.includes(id), `${label}: Tab never reaches #${id} (stops: ${ids.join(", ")})`);
    }
    check(ids.indexOf("search-q") < ids.indexOf("search-category") && ids.indexOf("search-category") < ids.indexOf("search-author"),
      `${label}: the field and filters are not reached in reading order: ${ids.join(", ")}`);
    check(links.length === 10, `${label}: Tab reaches ${links.length} result links, expected the first page's 10`);
    check(ids.at(-1) === "search-older", `${label}: Tab never reaches the pager's “More results” button`);
    // The pager, by keyboard: Enter turns the page and puts focus on the results.
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.getElementById("search-page").textContent === "Page 2 of 2", null, { timeout: 5000 });
    const landed = await focused(page);
    const second = await drawn(page);
    check(landed.id === "search-results-heading", `${label}: after turning the page, focus is on ${JSON.stringify(landed)}, not the results`);
    check(second.length === NOTES + 2 - 10, `${label}: the second page shows ${second.length} results, expected ${NOTES + 2 - 10}`);
    const next = await tabUntil(page, label, (s) => s.tag === "a" || s.tag === "body");
    check(next.at(-1)?.href === second[0]?.href, `${label}: Tab after turning the page reaches ${JSON.stringify(next.at(-1))}, not the first result of page 2`);
    // A filter, by keyboard: focus it and press ArrowDown.
    await page.locator("#search-category").focus();
    const was = await page.locator("#search-status").textContent();
    await page.keyboard.press("ArrowDown");
    await page.waitForFunction((s) => document.getElementById("search-status").textContent !== s, was, { timeout: 5000 }).catch(() => {});
    const chosen = await page.locator("#search-category").inputValue();
    const now = await page.locator("#search-status").textContent();
    check(chosen !== "" && now !== was, `${label}: ArrowDown on the category filter chose “${chosen}” and the status stayed “${now}”`);
    console.log(`== ${label}: ${stops.length} Tab stops to the pager (field, filters, ${links.length} result links), Enter → page 2 with focus on the results; ArrowDown on the category filter → “${chosen}”: “${now}”`);
  } finally {
    await context.close();
  }
}

async function hostile(browser) {
  const { context, page } = await openSearch(browser);
  try {
    const { results } = await type(page, WORD.hostile);
    const hit = results[0];
    check(hit?.href === "/posts/markup-in-a-post", `“${WORD.hostile}” does not find the post with markup in it: ${JSON.stringify(results)}`);
    check(hit?.title === `Markup ${PAYLOAD.title} in a title`, `the title with markup is not shown as its text: ${JSON.stringify(hit?.title)}`);
    check(hit?.excerpt.includes(PAYLOAD.prose), `the prose's markup is not shown as text in the excerpt: ${JSON.stringify(hit?.excerpt)}`);
    const injected = await page.$$eval("#search-results *", (els) => els.filter((e) => !["LI", "H3", "A", "P", "MARK"].includes(e.tagName)).map((e) => e.outerHTML));
    check(injected.length === 0, `the results hold elements from a post's text: ${injected.join(" ")}`);
    await page.waitForTimeout(300);
    const ran = () => page.evaluate(() => Object.keys(window).filter((k) => k.startsWith("pwned")));
    const before = await ran();
    check(before.length === 0, `a post's text ran script in the search page: ${before}`);
    // The control: the same text, parsed as markup, does run.
    await page.evaluate((html) => { const div = document.createElement("div"); div.innerHTML = html; document.body.append(div); }, hit?.excerpt ?? "");
    await page.waitForFunction(() => window.pwnedProse === 1, null, { timeout: 5000 }).catch(() => {});
    const control = await ran();
    check(control.includes("pwnedProse"), `the control did not run: the excerpt's text ${JSON.stringify(hit?.excerpt)} holds no live markup, so the check proved nothing`);
    console.log(`== hostile post: found, its markup shown as text (no element, no script; the control ran ${control.join(", ")})`);
  } finally {
    await context.close();
  }
}

async function twoLetters(browser) {
  const { context, page } = await openSearch(browser);
  try {
    await page.locator(".search-filters:not([hidden])").waitFor();
    await page.locator("#search-q").focus();
    await page.keyboard.type("go", { delay: 25 });
    await page.waitForTimeout(500);
    const typed = { status: await page.locator("#search-status").textContent(), results: (await drawn(page)).length };
    check(typed.status === "" && typed.results === 0, `two letters typed searched already: “${typed.status}”, ${typed.results} results`);
    await page.keyboard.press("Enter");
    const entered = await settled(page, "go");
    check(entered.results.length > 0, `Enter after two letters (“go”) found nothing: “${entered.status}”`);
    console.log(`== two letters: no search while typing; Enter: “${entered.status}”`);
  } finally {
    await context.close();
  }
}

async function typedBeforeTheIndex(browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    // A slow network: Pagefind's script arrives a second and a half late.
    await page.route("**/pagefind.js", async (route) => {
      await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    });
    await page.goto(`${base}/search`, { waitUntil: "domcontentloaded" });
    await page.locator("#search-q").focus();
    await page.keyboard.type(WORD.body, { delay: 25 });
    const loaded = await page.locator(".search-filters").isVisible();
    const { results } = await settled(page, WORD.body);
    check(!loaded && results[0]?.href === "/posts/a-note-on-naming-things",
      `typed before the index loaded (${loaded ? "it had loaded already" : "it had not"}): “${WORD.body}” found ${JSON.stringify(results)}`);
    console.log(`== typed before the index loaded: the query was kept and found ${results[0]?.href}`);
  } finally {
    await context.close();
  }
}

async function withoutJavaScript(browser) {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  try {
    await page.goto(`${base}/search?q=${WORD.body}`);
    // (Playwright's text locators skip <noscript>: the rendered text is what a reader sees.)
    const text = await page.locator("main").innerText();
    check(text.includes("Search runs in your browser and needs JavaScript"), `without JavaScript the search page does not say it needs JavaScript: ${JSON.stringify(text)}`);
    const buttons = await page.$$eval("#search-pages button", (bs) => bs.filter((b) => b.offsetParent).length);
    check(buttons === 0, `without JavaScript the search page shows ${buttons} pager buttons that cannot work`);
    const links = await page.$$eval("main a[href^='/category/']", (as) => as.filter((a) => a.offsetParent).map((a) => a.getAttribute("href")));
    const index = await (await fetch(`${base}/categories`)).text();
    const categories = [...new Set([...index.matchAll(/href="(\/category\/[^"/?#]+)"/g)].map((m) => m[1]))];
    check(categories.length > 0 && categories.every((c) => links.includes(c)),
      `without JavaScript the search page links ${links.join(", ")}, not every category (${categories.join(", ")})`);
    console.log(`== without JavaScript: the message and ${links.length} category links`);
  } finally {
    await context.close();
  }
}

async function accessible(browser) {
  const counts = [];
  for (const [name, viewport] of [["desktop", { width: 1280, height: 900 }], ["phone", { width: 375, height: 812 }]]) {
    for (const scheme of ["light", "dark"]) {
      const { context, page } = await openSearch(browser, `/search?q=${WORD.shared}`, { colorScheme: scheme, viewport, isMobile: name === "phone" });
      const label = `/search?q=${WORD.shared} [${scheme}, ${viewport.width}px]`;
      try {
        const { results } = await settled(page, WORD.shared);
        await page.locator(".search-filters:not([hidden])").waitFor();
        const seen = await page.evaluate(() => ({
          dark: matchMedia("(prefers-color-scheme: dark)").matches,
          overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
          pager: !document.getElementById("search-pages").hidden,
        }));
        check(results.length === 10 && seen.pager, `${label}: axe would look at ${results.length} results and ${seen.pager ? "a" : "no"} pager`);
        check(seen.dark === (scheme === "dark"), `${label}: the page sees prefers-color-scheme ${seen.dark ? "dark" : "light"}`);
        check(seen.overflow <= 0, `${label}: the page scrolls sideways by ${seen.overflow}px`);
        counts.push({ page: label, violations: await axeAudit(page, label) });
        check(page.errors.length === 0, `${label}: script errors: ${page.errors.join("; ")}`);
      } finally {
        await context.close();
      }
    }
  }
  console.table(counts);
}

async function scheduledAppears(browser, scheduledAt) {
  // The index built at (or after) the post's time, whichever write or schedule built it.
  const start = Date.now();
  let now = await pointer();
  while (!(new Date(now?.built) >= scheduledAt)) {
    if (Date.now() - start > SCHEDULED_AHEAD_MS + 30_000) throw new Error(`no index built after the scheduled post's time ${scheduledAt.toISOString()}: ${JSON.stringify(now)}`);
    await new Promise((r) => setTimeout(r, 200));
    now = await pointer();
  }
  const late = await search(browser, WORD.scheduled);
  check(late.results[0]?.href === "/posts/coming-soon", `once its time passed, the scheduled post's word (“${WORD.scheduled}”) finds ${JSON.stringify(late.results.map((r) => r.href))}`);
  console.log(`== scheduled: “${WORD.scheduled}” found the post after its time (${scheduledAt.toISOString()}; build ${now.build}, built ${now.built})`);
}

const browser = await launchChromium();
try {
  console.log(`== Chromium ${browser.version()} via playwright-core ${PLAYWRIGHT_VERSION}, axe-core ${AXE_VERSION}`);
  const first = await publishAndFind(browser);
  const build = await publishTheRest(first);
  const scheduledAt = publishScheduled();
  await findsOnlyPublic(browser, scheduledAt);
  await deletedVanishes(browser, build, scheduledAt);
  await filterNarrows(browser);
  await headerForm(browser);
  await keyboard(browser);
  await hostile(browser);
  await typedBeforeTheIndex(browser);
  await twoLetters(browser);
  await withoutJavaScript(browser);
  await accessible(browser);
  await scheduledAppears(browser, scheduledAt);
} catch (error) {
  check(false, error.stack);
} finally {
  await browser.close();
}
if (failures.length) {
  console.error(`\n${failures.length} search check(s) failed:\n- ${failures.join("\n- ")}`);
  process.exit(1);
}
console.log("search: every check passed");
