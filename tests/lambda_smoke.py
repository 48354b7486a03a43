"""Checks the site that `cargo lambda watch` serves, after a post was published through it:
the category page (parsed as HTML) lists the post, the category feed (parsed by feedparser)
carries it, and /favicon.ico is the blog's icon, byte for byte (run from the repository's root).
Usage: lambda_smoke.py BASE_URL CATEGORY TITLE"""
import sys
import urllib.request
from html.parser import HTMLParser

import feedparser


class Titles(HTMLParser):
    """The text of every <h2> inside an <article>."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.in_title = False
        self.titles = []

    def handle_starttag(self, tag, attrs):
        if tag == "article":
            self.depth += 1
        elif tag == "h2" and self.depth:
            self.in_title = True
            self.titles.append("")

    def handle_endtag(self, tag):
        if tag == "article":
            self.depth -= 1
        elif tag == "h2":
            self.in_title = False

    def handle_data(self, data):
        if self.in_title:
            self.titles[-1] += data


def get(url):
    with urllib.request.urlopen(url, timeout=120) as response:
        return response.status, response.read()


base, category, title = sys.argv[1:4]
status, page = get(f"{base}/category/{category}")
titles = Titles()
titles.feed(page.decode("utf-8"))
assert status == 200, status
assert title in [t.strip() for t in titles.titles], titles.titles

status, feed = get(f"{base}/category/{category}/feed.xml")
parsed = feedparser.parse(feed)
assert status == 200 and parsed.bozo == 0, (status, parsed.get("bozo_exception"))
assert title in [entry.title for entry in parsed.entries], [entry.title for entry in parsed.entries]
# The site's icon: binary bytes from the feed function, decoded by the emulator as API Gateway does.
with urllib.request.urlopen(f"{base}/favicon.ico", timeout=120) as response:
    icon = response.read()
    assert response.status == 200 and response.headers["content-type"] == "image/x-icon", (
        response.status,
        response.headers["content-type"],
    )
with open("shared/assets/favicon.ico", "rb") as f:
    assert icon == f.read(), f"/favicon.ico is not the blog's icon: {icon[:16]!r}…"
print(f"cargo lambda watch: '{title}' is on /category/{category} and in its feed; /favicon.ico is the icon")
