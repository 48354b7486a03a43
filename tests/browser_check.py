"""Checks a category page as a browser rendered it: reads the DOM Chromium serialised
(`--dump-dom`) and asserts that the seed's posts appear in order, each with its title, its
date-and-author line and a `Read more…` link to it. Usage: browser_check.py DOM_FILE SEED_FILE"""
import re
import sys
from html.parser import HTMLParser


class Listing(HTMLParser):
    """Collects, per <article>, the title text, the byline text and the Read more link."""

    def __init__(self):
        super().__init__()
        self.articles = []
        self.capture = None
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "article":
            self.articles.append({"title": "", "byline": "", "more": None, "title_href": None})
        elif self.articles and tag == "h2":
            self.capture = "title"
        elif self.articles and tag == "p" and "byline" in (attrs.get("class") or ""):
            self.capture = "byline"
        elif self.articles and tag == "a":
            if self.capture == "title":
                self.articles[-1]["title_href"] = attrs.get("href")
            if "read-more" in (attrs.get("class") or ""):
                self.articles[-1]["more"] = attrs.get("href")
                self.capture = "more"

    def handle_endtag(self, tag):
        if tag in ("h2", "p", "a") and self.capture in ("title", "byline", "more"):
            if not (tag == "a" and self.capture in ("title", "byline")):
                self.capture = None

    def handle_data(self, data):
        if self.capture in ("title", "byline"):
            self.articles[-1][self.capture] += data
        elif self.capture == "more":
            self.articles[-1].setdefault("more_text", "")
            self.articles[-1]["more_text"] += data


def squeeze(text):
    return " ".join(text.split())


dom_file, seed_file = sys.argv[1:3]
listing = Listing()
listing.feed(open(dom_file, encoding="utf-8").read())
lines = [line.strip() for line in open(seed_file, encoding="utf-8") if line.strip()]
seed = [(lines[i - 1], line) for i, line in enumerate(lines) if re.match(r"^[A-Z][a-z]+ \d+(st|nd|rd|th), \d{4} by ", line)]

shown = [(squeeze(a["title"]), squeeze(a["byline"])) for a in listing.articles]
assert shown[: len(seed)] == seed, f"the rendered page shows {shown}, the seed {seed}"
for article in listing.articles:
    assert squeeze(article.get("more_text", "")) == "Read more…", article
    assert article["more"] and article["more"] == article["title_href"], article
print(f"the rendered category page shows the {len(seed)} seed posts in order, with their date lines and Read more… links")
