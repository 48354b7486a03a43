// A post with files, as a reader's browser shows it: Debian's Chromium, driven by playwright-core
// (from .venv/node; Playwright's own browsers are never downloaded), opens the post at a desktop
// and a phone viewport, scrolls to its end so that lazy images load, and checks that
//
// - every image of the article loaded (`complete`, `naturalWidth > 0`) and has `width` and
//   `height` attributes, its box the shape they say;
// - nothing moved while images arrived: the page's cumulative layout shift (the 'layout-shift'
//   entries, buffered) is exactly 0;
// - the browser picked a copy of the wide PNG narrower than the original at the phone's size,
//   and never a copy narrower than the box it fills in CSS pixels (stretched, blurry) while a
//   wider one exists;
// - the hostile SVG (tests/fixtures/media-post/hostile.svg), opened at its /media URL or framed
//   by a blog page, runs none of its script (title unchanged, no message, no console marker),
//   and its response carries the sandboxing Content-Security-Policy. A control frames the same
//   bytes without that policy (a blob: URL) and must see the script run, so the check cannot
//   pass by not looking.
//
// Screenshots: target/screenshots/post-with-images.png and post-with-images-phone.png.
// Usage: node tests/browser_media.mjs BASE_URL POST_PATH
import { createRequire } from "node:module";
import { check, failures } from "./browser_checks.mjs";
import { mkdirSync } from "node:fs";

const require = createRequire(new URL("../.venv/node/", import.meta.url));
const { chromium } = require("playwright-core");

const [base, postPath] = process.argv.slice(2);
if (!base || !postPath) {
  console.error("usage: node tests/browser_media.mjs BASE_URL POST_PATH");
  process.exit(2);
}
const postUrl = new URL(postPath, base).href;
const SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox";
const VIEWPORTS = [
  { name: "desktop", shot: "post-with-images.png", viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, isMobile: false },
  { name: "phone", shot: "post-with-images-phone.png", viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true },
];


/** The `w` candidates of a srcset, widest last. */
function candidates(srcset) {
  return (srcset || "")
    .split(",")
    .map((c) => c.trim().split(/\s+/))
    .filter(([url]) => url)
    .map(([url, d]) => ({ url, width: d && d.endsWith("w") ? Number(d.slice(0, -1)) : null }))
    .sort((a, b) => (a.width ?? 0) - (b.width ?? 0));
}

/** Waits until no request of the page has been in flight for `quiet` ms. */
async function networkIdle(page, inflight, quiet = 500, timeout = 15000) {
  const start = Date.now();
  let idleSince = Date.now();
  while (Date.now() - start < timeout) {
    if (inflight.size) idleSince = Date.now();
    else if (Date.now() - idleSince >= quiet) return;
    await page.waitForTimeout(50);
  }
  throw new Error(`the network never went idle: ${[...inflight].join(", ")}`);
}

function track(page) {
  const inflight = new Set();
  const bad = [];
  page.on("request", (r) => inflight.add(r.url()));
  page.on("requestfinished", (r) => inflight.delete(r.url()));
  page.on("requestfailed", (r) => {
    inflight.delete(r.url());
    bad.push(`${r.url()}: ${r.failure()?.errorText}`);
  });
  page.on("response", (r) => {
    if (r.status() >= 400 && !r.url().endsWith("/favicon.ico")) bad.push(`${r.url()}: HTTP ${r.status()}`);
  });
  page.on("pageerror", (e) => bad.push(`page error: ${e.message}`));
  return { inflight, bad };
}

async function checkPost(browser, v) {
  const context = await browser.newContext({
    viewport: v.viewport,
    deviceScaleFactor: v.deviceScaleFactor,
    isMobile: v.isMobile,
    hasTouch: v.isMobile,
  });
  const page = await context.newPage();
  const { inflight, bad } = track(page);
  const label = `${v.name} ${v.viewport.width}×${v.viewport.height}@${v.deviceScaleFactor}x`;
  const response = await page.goto(postUrl, { waitUntil: "load" });
  check(response.status() === 200, `${label}: ${postUrl} answered ${response.status()}`);

  // Down to the end, a half screen at a time, as a reader scrolls: lazy images load on the way.
  for (let i = 0; i < 200; i++) {
    const atEnd = await page.evaluate(() => {
      window.scrollBy(0, Math.ceil(window.innerHeight / 2));
      return window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 1;
    });
    await page.waitForTimeout(100);
    if (atEnd) break;
  }
  await networkIdle(page, inflight);
  await page
    .waitForFunction(() => [...document.querySelectorAll("article img")].every((i) => i.complete), null, { timeout: 10000 })
    .catch(() => {});

  const images = await page.evaluate(() =>
    [...document.querySelectorAll("article img")].map((img) => ({
      src: img.getAttribute("src"),
      alt: img.getAttribute("alt"),
      currentSrc: img.currentSrc,
      complete: img.complete,
      naturalWidth: img.naturalWidth,
      naturalHeight: img.naturalHeight,
      width: img.getAttribute("width"),
      height: img.getAttribute("height"),
      boxWidth: img.getBoundingClientRect().width,
      boxHeight: img.getBoundingClientRect().height,
      srcset: img.getAttribute("srcset"),
      sizes: img.getAttribute("sizes"),
      sources: img.parentElement.tagName === "PICTURE"
        ? [...img.parentElement.querySelectorAll("source")].map((s) => ({ type: s.type, srcset: s.getAttribute("srcset") }))
        : [],
    })),
  );
  // Every shift since the page began, as the Web Vitals library counts them (none after input).
  const cls = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const shifts = [];
        const observer = new PerformanceObserver((list) => shifts.push(...list.getEntries()));
        observer.observe({ type: "layout-shift", buffered: true });
        setTimeout(() => {
          shifts.push(...observer.takeRecords());
          observer.disconnect();
          const counted = shifts.filter((s) => !s.hadRecentInput);
          resolve({
            value: counted.reduce((sum, s) => sum + s.value, 0),
            entries: counted.map((s) => ({
              value: s.value,
              nodes: (s.sources || []).map((src) => src.node?.outerHTML?.slice(0, 120) ?? "?"),
            })),
          });
        }, 500);
      }),
  );

  console.log(`== ${label}: ${images.length} images, cumulative layout shift ${cls.value}`);
  check(images.length >= 2, `${label}: the article shows ${images.length} images, expected the PNG and the SVG diagram`);
  for (const img of images) {
    const name = img.src?.split("/").pop();
    console.log(`   ${name}: showing ${img.currentSrc.split("/").pop()} (${img.naturalWidth}×${img.naturalHeight}) in a ${img.boxWidth}×${img.boxHeight} box`);
    check(img.complete && img.naturalWidth > 0, `${label}: ${img.src} did not load (complete ${img.complete}, naturalWidth ${img.naturalWidth}, currentSrc ${img.currentSrc})`);
    check(img.width !== null && img.height !== null, `${label}: ${img.src} has no width/height attributes (width=${img.width} height=${img.height})`);
    check(img.alt, `${label}: ${img.src} has no alt text`);
    if (img.width && img.height && img.boxWidth > 0) {
      const expected = (img.boxWidth * Number(img.height)) / Number(img.width);
      check(Math.abs(img.boxHeight - expected) <= 1, `${label}: ${img.src} is ${img.boxWidth}×${img.boxHeight}, not the ${img.width}:${img.height} its attributes reserve`);
    }
    if (img.srcset) {
      const all = candidates(img.srcset);
      const largest = all[all.length - 1];
      const chosen = [...all, ...img.sources.flatMap((s) => candidates(s.srcset))].find((c) => new URL(c.url, base).href === img.currentSrc);
      console.log(`   ${name}: srcset ${all.map((c) => `${c.width}w`).join(" ")}${img.sources.map((s) => `; <source type="${s.type}"> ${candidates(s.srcset).map((c) => `${c.width}w`).join(" ")}`).join("")}; chose ${img.currentSrc.split("/").pop()} (${chosen ? `${chosen.width}w` : "not a candidate"})`);
      if (!check(chosen, `${label}: ${img.src} shows ${img.currentSrc}, none of its candidates`)) continue;
      // For a `w` candidate naturalWidth is the slot `sizes` gave it (its pixels over its density).
      const slot = img.naturalWidth;
      console.log(`   ${name}: ${chosen.width} px for a ${slot}-px slot (sizes="${img.sizes}") and a ${img.boxWidth}-px box at ${v.deviceScaleFactor}x: ${(chosen.width / img.boxWidth).toFixed(2)} image pixels per CSS pixel`);
      if (v.name === "phone") {
        check(chosen.url !== largest.url && chosen.width < largest.width,
          `${label}: the browser chose ${img.currentSrc} (${chosen.width}w), not a variant narrower than the original ${largest.url} (${largest.width}w)`);
      }
      check(Math.abs(slot - img.boxWidth) <= 1,
        `${label}: ${name} fills a ${img.boxWidth}-px box but its sizes="${img.sizes}" tells the browser ${slot} px: the browser picks its copy for the wrong width`);
      // A copy narrower than its box is stretched (blurry): acceptable only if nothing wider exists.
      check(chosen.width >= Math.floor(img.boxWidth) || chosen.width >= largest.width,
        `${label}: ${name} shows ${img.currentSrc.split("/").pop()}, ${chosen.width} px wide, stretched over a ${img.boxWidth}-px box, though wider copies exist (${all.map((c) => `${c.width}w`).join(", ")}): the browser may only pick from the first matching <source>, and the one offered is ${JSON.stringify(img.sources)}`);
    }
  }
  check(cls.value === 0, `${label}: cumulative layout shift ${cls.value}, not 0: ${JSON.stringify(cls.entries)}`);
  check(bad.length === 0, `${label}: failed requests or page errors: ${bad.join("; ")}`);

  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `target/screenshots/${v.shot}`, fullPage: true });
  console.log(`screenshot: target/screenshots/${v.shot}`);
  const svgLink = await page.evaluate(() => document.querySelector('article a[href$="/hostile.svg"]')?.href ?? null);
  await context.close();
  return svgLink;
}

async function checkHostileSvg(browser, svgUrl) {
  console.log(`== the hostile SVG: ${svgUrl}`);
  const context = await browser.newContext();
  const page = await context.newPage();
  const consoleLines = [];
  page.on("console", (m) => consoleLines.push({ text: m.text(), url: m.location().url }));

  // Opened directly, as a reader following the post's link does.
  const response = await page.goto(svgUrl, { waitUntil: "load" });
  await page.waitForTimeout(500);
  const headers = response.headers();
  check(response.status() === 200, `${svgUrl} answered ${response.status()}`);
  check(headers["content-type"] === "image/svg+xml", `${svgUrl}: Content-Type ${headers["content-type"]}, expected image/svg+xml`);
  check(headers["content-security-policy"] === SVG_POLICY, `${svgUrl}: Content-Security-Policy ${JSON.stringify(headers["content-security-policy"])}, expected "${SVG_POLICY}"`);
  check(headers["x-content-type-options"] === "nosniff", `${svgUrl}: X-Content-Type-Options ${headers["x-content-type-options"]}, expected nosniff`);
  const title = await page.title();
  check(title !== "pwned", `opened directly, ${svgUrl} ran its script: the document's title is "${title}"`);
  const origin = await page.evaluate(() => window.origin).catch((e) => `(not readable: ${e.message})`);
  console.log(`   opened directly: title "${title}", origin ${origin}`);

  // Framed (an <iframe>, an <object>, an <embed>) by a page of the blog: the script, if it ran,
  // would run with the blog's origin, change its own title and message the page.
  await page.goto(postUrl, { waitUntil: "load" });
  const framed = await page.evaluate(async (svg) => {
    const messages = [];
    window.addEventListener("message", (e) => messages.push(String(e.data)));
    const frames = [];
    const add = (tag, attr, url) => {
      const el = document.createElement(tag);
      el[attr] = url;
      if (tag !== "iframe") el.type = "image/svg+xml";
      el.width = 320;
      el.height = 120;
      document.body.append(el);
      frames.push(el);
      return new Promise((resolve) => {
        el.addEventListener("load", resolve, { once: true });
        setTimeout(resolve, 3000);
      });
    };
    const titles = () =>
      frames.map((el) => {
        try {
          const doc = el.tagName === "EMBED" ? el.getSVGDocument() : el.contentDocument;
          return `${el.tagName.toLowerCase()}: ${doc ? `title "${doc.title}"` : "no access (an opaque origin)"}`;
        } catch (e) {
          return `${el.tagName.toLowerCase()}: no access (${e.name})`;
        }
      });
    await Promise.all([add("iframe", "src", svg), add("object", "data", svg), add("embed", "src", svg)]);
    await new Promise((r) => setTimeout(r, 1000));
    const served = { messages: [...messages], titles: titles() };
    frames.splice(0).forEach((el) => el.remove());
    messages.length = 0;

    // The control: the same bytes, same origin, without the policy. The script must run here.
    const bytes = await (await fetch(svg)).blob();
    const blobUrl = URL.createObjectURL(new Blob([bytes], { type: "image/svg+xml" }));
    await add("iframe", "src", blobUrl);
    await new Promise((r) => setTimeout(r, 1000));
    const control = { messages: [...messages], titles: titles() };
    frames.forEach((el) => el.remove());
    return { served, control };
  }, svgUrl);
  console.log(`   framed by the blog: messages ${JSON.stringify(framed.served.messages)}; ${framed.served.titles.join("; ")}`);
  console.log(`   control (same bytes from a blob: URL, no policy): messages ${JSON.stringify(framed.control.messages)}; ${framed.control.titles.join("; ")}`);
  check(!framed.served.messages.includes("pwned"), `framed by a blog page, ${svgUrl} ran its script: it sent ${JSON.stringify(framed.served.messages)}`);
  check(!framed.served.titles.some((t) => t.includes("pwned")), `framed by a blog page, ${svgUrl} ran its script: ${framed.served.titles.join("; ")}`);
  check(framed.control.messages.includes("pwned"),
    `the control did not see the hostile SVG's script run without the policy (messages ${JSON.stringify(framed.control.messages)}): the check above proves nothing`);

  // Each console line says which document logged it: only the control's may carry the marker.
  const marked = consoleLines.filter((l) => l.text.includes("PWNED"));
  const served = marked.filter((l) => !l.url.startsWith("blob:"));
  const blocked = consoleLines.filter((l) => /Blocked script execution|sandboxed/.test(l.text));
  console.log(`   console: ${marked.length - served.length} marker line(s) from the control, ${served.length} from the served SVG; ${blocked.length} "blocked" line(s)${blocked.length ? `, e.g. ${JSON.stringify(blocked[0].text)}` : ""}`);
  check(served.length === 0, `${svgUrl} ran its script: the console shows ${JSON.stringify(served)}`);
  check(marked.length > served.length, `the control logged no marker: the console check proves nothing`);
  await context.close();
}

mkdirSync("target/screenshots", { recursive: true });
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  console.log(`== Chromium ${browser.version()} via playwright-core ${require("playwright-core/package.json").version}`);
  let svgUrl = null;
  for (const v of VIEWPORTS) svgUrl = (await checkPost(browser, v)) ?? svgUrl;
  if (check(svgUrl, `${postUrl} links to no hostile.svg`)) {
    await checkHostileSvg(browser, svgUrl);
  }
} finally {
  await browser.close();
}
if (failures.length) {
  console.error(`\n${failures.length} browser check(s) of ${postUrl} failed:\n- ${failures.join("\n- ")}`);
  process.exit(1);
}
console.log(`the post with files loads every image at its reserved size with no layout shift, and its hostile SVG runs no script`);
