// The search page's results, drawn in the reader's browser with Pagefind's own script, which is
// loaded from the current build's folder (`/search/<build>/pagefind.js`, named by the pointer
// /search/current.json). Nothing here asks the site's functions anything.
const PER_PAGE = 10;
// Typing searches from the third character on: Pagefind matches the last word as a prefix, and
// one or two letters would download a large part of the index (and the excerpts of posts the
// reader is not looking for). Enter searches for whatever is typed.
const MIN_TYPED = 3;
const form = document.getElementById("search-form");
const input = document.getElementById("search-q");
const category = document.getElementById("search-category");
const author = document.getElementById("search-author");
const status = document.getElementById("search-status");
const heading = document.getElementById("search-results-heading");
const list = document.getElementById("search-results");
const pages = document.getElementById("search-pages");
const newer = document.getElementById("search-newer");
const older = document.getElementById("search-older");
const pageLabel = document.getElementById("search-page");
let pagefind = null;
let latest = 0;
let results = [];
let page = 0;
// The address's query fills the field at once, not once the index has loaded: what a reader
// types meanwhile is kept, and searched for when the index is there.
const address = new URL(location.href);
input.value = address.searchParams.get("q") || "";

// An excerpt as text, with only Pagefind's <mark>s kept as elements: nothing of a post's text is
// ever parsed into live markup.
function excerpt(html) {
  const template = document.createElement("template");
  template.innerHTML = html;
  const out = document.createElement("p");
  for (const node of template.content.childNodes) {
    if (node.nodeName === "MARK") {
      const mark = document.createElement("mark");
      mark.textContent = node.textContent;
      out.append(mark);
    } else {
      out.append(node.textContent);
    }
  }
  return out;
}

function option(select, values) {
  for (const value of Object.keys(values || {}).sort((a, b) => a.localeCompare(b))) {
    const choice = document.createElement("option");
    choice.value = value;
    choice.textContent = value;
    select.append(choice);
  }
}

async function load() {
  const pointer = await fetch("/search/current.json");
  if (!pointer.ok) throw new Error("no index yet");
  const { build } = await pointer.json();
  pagefind = await import(`/search/${build}/pagefind.js`);
  await pagefind.options({ excerptLength: 24 });
  await pagefind.init();
  const filters = await pagefind.filters();
  option(category, filters.category);
  option(author, filters.author);
  category.value = address.searchParams.get("category") || "";
  author.value = address.searchParams.get("author") || "";
  document.querySelector(".search-filters").hidden = false;
}

function remember(query) {
  const url = new URL(location.href);
  for (const [name, value] of [["q", query], ["category", category.value], ["author", author.value]]) {
    if (value) url.searchParams.set(name, value); else url.searchParams.delete(name);
  }
  history.replaceState(null, "", url);
}

async function search() {
  if (!pagefind) return;
  const mine = ++latest;
  const query = input.value.trim();
  remember(query);
  const filters = {};
  if (category.value) filters.category = category.value;
  if (author.value) filters.author = author.value;
  if (!query && !Object.keys(filters).length) {
    results = [];
    list.replaceChildren();
    pages.hidden = true;
    status.textContent = "";
    return;
  }
  const found = await pagefind.search(query || null, { filters });
  if (mine !== latest || !found) return;
  results = found.results;
  page = 0;
  await draw(mine, false);
}

async function draw(mine, focus) {
  const shown = results.slice(page * PER_PAGE, (page + 1) * PER_PAGE);
  const data = await Promise.all(shown.map((result) => result.data()));
  if (mine !== latest) return;
  const items = data.map((post) => {
    const item = document.createElement("li");
    const title = document.createElement("h3");
    const link = document.createElement("a");
    link.href = post.url;
    link.textContent = post.meta.title || post.url;
    title.append(link);
    const byline = document.createElement("p");
    byline.className = "byline";
    byline.textContent = post.meta.byline || "";
    item.append(title, byline, excerpt(post.excerpt));
    return item;
  });
  list.replaceChildren(...items);
  const total = results.length;
  const query = input.value.trim();
  status.textContent = total === 0
    ? `No posts found${query ? ` for “${query}”` : ""}.`
    : `${total} ${total === 1 ? "post" : "posts"} found${query ? ` for “${query}”` : ""}.`;
  const last = Math.max(0, Math.ceil(total / PER_PAGE) - 1);
  pages.hidden = last === 0;
  newer.disabled = page === 0;
  older.disabled = page >= last;
  pageLabel.textContent = `Page ${page + 1} of ${last + 1}`;
  if (focus) heading.focus();
}

async function turn(by) {
  page += by;
  await draw(latest, true);
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  search();
});
input.addEventListener("input", () => {
  const typed = input.value.trim().length;
  if (typed === 0 || typed >= MIN_TYPED) {
    search();
    return;
  }
  latest++;
  results = [];
  list.replaceChildren();
  pages.hidden = true;
  status.textContent = "";
});
category.addEventListener("change", search);
author.addEventListener("change", search);
newer.addEventListener("click", () => turn(-1));
older.addEventListener("click", () => turn(1));

load().then(search, () => {
  status.textContent = "Search is not available yet: the index has not been built. Try again in a minute.";
});
