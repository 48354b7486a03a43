// What the scripted browser checks (and benches/search_browser.mjs) share: a list of failed
// checks, each printed as it fails, so that a script runs every check and reports them all at
// the end; Debian's Chromium launched through playwright-core (from .venv/node, never a
// downloaded browser); axe-core's audit of a page; what has the keyboard's focus.
import { createRequire } from "node:module";

const require = createRequire(new URL("../.venv/node/", import.meta.url));
/** playwright-core, as installed by scripts/lib/site.sh's need_node_tools. */
export const { chromium } = require("playwright-core");
export const PLAYWRIGHT_VERSION = require("playwright-core/package.json").version;
const AXE = require.resolve("axe-core/axe.min.js");
export const AXE_VERSION = require("axe-core/package.json").version;
/** WCAG 2.1 level AA is levels A and AA of 2.0 and of 2.1; and axe's best practices. */
export const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"];

/** Failed checks, in the order they failed. */
export const failures = [];

/** Records `message` as a failure unless `ok`; answers `ok`. */
export function check(ok, message) {
  if (!ok) {
    failures.push(message);
    console.error(`FAIL: ${message}`);
  }
  return ok;
}

/** Debian's headless Chromium, with nothing of its own going to the network. */
export function launchChromium() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

/**
 * Runs axe-core (injected from disk) on `page` as it is now; each violation is a failure,
 * printed with its rule, nodes and suggested fix. Answers the number of violations.
 */
export async function axeAudit(page, label) {
  await page.addScriptTag({ path: AXE });
  const results = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] }),
    AXE_TAGS,
  );
  const nodes = results.violations.reduce((n, v) => n + v.nodes.length, 0);
  const incomplete = results.incomplete.map((r) => `${r.id} (${r.nodes.length})`);
  console.log(
    `== ${label}: ${results.violations.length} violation(s) on ${nodes} node(s), ${results.passes.length} rules passed` +
      (incomplete.length ? `; axe could not decide: ${incomplete.join(", ")}` : ""),
  );
  for (const v of results.violations) {
    failures.push(`${label}: ${v.id}`);
    console.error(`FAIL ${label}: ${v.id} (${v.impact}): ${v.help} [${v.tags.filter((t) => AXE_TAGS.includes(t)).join(", ")}] ${v.helpUrl}`);
    for (const node of v.nodes) {
      console.error(`   node ${node.target.join(" ")}`);
      console.error(`     ${node.failureSummary.replace(/\n/g, "\n     ")}`);
    }
  }
  return results.violations.length;
}

/** The element that has the keyboard's focus: what it is, and whether it shows that it has. */
export function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return {
      tag: el.tagName.toLowerCase(),
      id: el.id,
      text: (el.getAttribute("aria-label") || el.textContent).trim().replace(/\s+/g, " ").slice(0, 60),
      href: el.getAttribute("href"),
      outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0,
      visible: box.width > 1 && box.height > 1 && box.bottom > 0 && box.right > 0 && box.top < innerHeight && box.left < innerWidth,
      scrollable: el.scrollWidth > el.clientWidth,
    };
  });
}
