// Every page type, as axe-core (the accessibility engine, pinned in tests/node-requirements.txt)
// judges it in Debian's Chromium driven by playwright-core, in the light and the dark colour
// scheme (playwright's colorScheme emulation): WCAG 2.0 and 2.1 A and AA, and axe's best
// practices. Every violation fails the check and is printed with its rule, each node's selector
// and the fix axe suggests. axe is injected from .venv/node, never fetched.
//
// So that the check cannot pass by not looking, it also asserts that
// - each page answered the status its type has (200, 400, 404) and the scheme took effect (the
//   page's own background is light or dark, as the scheme asks);
// - the home page's second page was reached by its "Older posts" link;
// - the post with code has a code block wider than its box at a phone's width (a scrollable
//   region, which axe then requires to be reachable by keyboard);
// and, with the keyboard: the first Tab stop is a visible skip link that moves focus to the main
// content, every Tab stop shows a focus outline, and a scrollable code block, once focused,
// scrolls with the arrow keys.
//
// Usage: node tests/browser_a11y.mjs BASE_URL
import { AXE_TAGS as TAGS, AXE_VERSION, PLAYWRIGHT_VERSION, axeAudit, check, failures, focused, launchChromium } from "./browser_checks.mjs";

const base = process.argv[2];
if (!base) {
  console.error("usage: node tests/browser_a11y.mjs BASE_URL");
  process.exit(2);
}
const SCHEMES = ["light", "dark"];
const CODE_POST = "/posts/tracing-a-slow-request-end-to-end"; // tests/fixtures/long-post
const PAGES = [
  { name: "home", path: "/", status: 200 },
  { name: "home, second page", olderOf: "/", status: 200 },
  { name: "category", path: "/category/microservices", status: 200 },
  { name: "author", path: "/author/steve-conover", status: 200 },
  { name: "categories index", path: "/categories", status: 200 },
  { name: "post with code, tables, footnotes, contents", path: CODE_POST, status: 200 },
  { name: "post with code and contents (seed)", path: "/posts/inside-a-soundcloud-microservice", status: 200 },
  { name: "post with images", path: "/posts/serving-files-from-a-serverless-blog", status: 200 },
  { name: "400 (a damaged page link)", path: "/?after=%%%", status: 400 },
  { name: "404", path: "/no/such/page", status: 404 },
];


/** The path of the home page's "Older posts" link, as a reader follows it. */
async function olderPath(browser, from) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(new URL(from, base).href);
  const href = await page.locator("a[rel=next]").first().getAttribute("href").catch(() => null);
  await context.close();
  return href;
}

/** Scrolls to the end and back, so that lazy images load before axe looks at them. */
async function loadEverything(page) {
  await page.evaluate(async () => {
    for (let y = 0; y < document.documentElement.scrollHeight; y += window.innerHeight / 2) {
      window.scrollTo(0, y);
      await new Promise((r) => setTimeout(r, 50));
    }
    window.scrollTo(0, 0);
  });
  await page
    .waitForFunction(() => [...document.images].every((i) => i.complete), null, { timeout: 10000 })
    .catch(() => {});
}

async function audit(browser, entry, path, scheme) {
  const context = await browser.newContext({ colorScheme: scheme, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const label = `${entry.name} ${path} [${scheme}]`;
  const response = await page.goto(new URL(path, base).href, { waitUntil: "load" });
  check(response.status() === entry.status, `${label}: answered ${response.status()}, expected ${entry.status}`);
  await loadEverything(page);
  const seen = await page.evaluate(() => {
    const background = getComputedStyle(document.documentElement).backgroundColor;
    const rgb = background.match(/[\d.]+/g).map(Number);
    const [r, g, b] = rgb.map((c) => c / 255).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return {
      dark: matchMedia("(prefers-color-scheme: dark)").matches,
      background,
      opaque: rgb.length === 3 || rgb[3] === 1,
      luminance: 0.2126 * r + 0.7152 * g + 0.0722 * b,
    };
  });
  check(seen.dark === (scheme === "dark"), `${label}: the page sees prefers-color-scheme ${seen.dark ? "dark" : "light"}`);
  check(seen.opaque, `${label}: the page's background is ${seen.background}, not a colour of its own`);
  check(scheme === "dark" ? seen.luminance < 0.05 : seen.luminance > 0.9, `${label}: a ${scheme} page with the background ${seen.background}`);

  const violations = await axeAudit(page, label);
  await context.close();
  return violations;
}

/** The keyboard alone: skip link, focus outlines, and a code block scrolled with arrow keys. */
async function keyboard(browser, path, scheme, viewport) {
  const context = await browser.newContext({ colorScheme: scheme, viewport });
  const page = await context.newPage();
  const label = `keyboard on ${path} [${scheme}, ${viewport.width}px]`;
  await page.goto(new URL(path, base).href, { waitUntil: "load" });
  await page.keyboard.press("Tab");
  const skip = await focused(page);
  if (!check(skip.tag === "a" && skip.href === "#content", `${label}: the first Tab stop is ${JSON.stringify(skip)}, not a skip link to #content`)) {
    await context.close();
    return { pres: 0, scrolledCode: null };
  }
  check(skip.visible && skip.outline, `${label}: the focused skip link is not visible with an outline: ${JSON.stringify(skip)}`);
  await page.keyboard.press("Enter");
  const landed = await focused(page);
  check(landed.tag === "main" && landed.id === "content", `${label}: the skip link moved focus to ${JSON.stringify(landed)}, not the main content`);

  const stops = [];
  let scrolledCode = null;
  for (let i = 0; i < 300; i++) {
    await page.keyboard.press("Tab");
    const now = await focused(page);
    if (now.tag === "body" || (stops.length && now.tag === "a" && now.href === "#content")) break;
    stops.push(now);
    check(now.outline, `${label}: Tab stop ${stops.length} (${now.tag} "${now.text}") shows no focus outline`);
    if (now.tag === "pre" && now.scrollable && scrolledCode === null) {
      for (let k = 0; k < 10; k++) await page.keyboard.press("ArrowRight");
      // Chromium scrolls smoothly: the block is still moving when the keys have been pressed
      // (a CI run read 0 px at once). Wait, a little, for it to have moved at all.
      await page.waitForFunction(() => document.activeElement.scrollLeft > 0, null, { timeout: 2000 }).catch(() => {});
      scrolledCode = await page.evaluate(() => document.activeElement.scrollLeft);
    }
  }
  const pres = await page.evaluate(() => [...document.querySelectorAll("main pre")].filter((p) => p.scrollWidth > p.clientWidth).length);
  const outlined = stops.filter((s) => s.outline).length;
  console.log(`== ${label}: skip link → ${landed.tag}, then ${stops.length} Tab stops, ${outlined} with a focus outline; ${pres} code block(s) wider than their box${scrolledCode !== null ? `, one scrolled ${scrolledCode}px by ArrowRight` : ""}`);
  await context.close();
  return { pres, scrolledCode };
}

const browser = await launchChromium();
const counts = [];
try {
  console.log(`== axe-core ${AXE_VERSION} (${TAGS.join(", ")}) in Chromium ${browser.version()} via playwright-core ${PLAYWRIGHT_VERSION}`);
  for (const entry of PAGES) {
    let path = entry.path;
    if (entry.olderOf) {
      path = await olderPath(browser, entry.olderOf);
      if (!check(path, `${entry.olderOf} has no "Older posts" link (a[rel=next]): no second page to check`)) continue;
    }
    const row = { page: `${entry.name} ${path}` };
    for (const scheme of SCHEMES) {
      row[scheme] = await audit(browser, entry, path, scheme).catch((e) => {
        check(false, `${entry.name} ${path} [${scheme}]: ${e.message}`);
        return "error";
      });
    }
    counts.push(row);
  }
  for (const scheme of SCHEMES) {
    const failed = (path) => (e) => check(false, `keyboard on ${path} [${scheme}]: ${e.message}`) || { pres: 0, scrolledCode: null };
    await keyboard(browser, "/category/microservices", scheme, { width: 1280, height: 900 }).catch(failed("/category/microservices"));
    const phone = await keyboard(browser, CODE_POST, scheme, { width: 390, height: 844 }).catch(failed(CODE_POST));
    if (check(phone.pres > 0, `${CODE_POST} has no code block wider than a phone's screen: the scrollable-region check saw nothing to check`)) {
      check(phone.scrolledCode > 0, `${CODE_POST} [${scheme}]: no scrollable code block was reached by Tab and scrolled by ArrowRight (scrolled: ${phone.scrolledCode})`);
    }
  }
} finally {
  await browser.close();
}
console.log("\naxe violations per page and colour scheme:");
console.table(counts);
if (failures.length) {
  console.error(`\n${failures.length} accessibility check(s) failed:\n- ${failures.join("\n- ")}`);
  process.exit(1);
}
console.log(`every page type has no axe violation (${TAGS.join(", ")}) in the light and the dark scheme`);
