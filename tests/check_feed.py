"""Reads a feed on standard input with Python's feedparser and prints what it understood, as JSON."""
import json
import sys

import feedparser

parsed = feedparser.parse(sys.stdin.buffer.read())
print(json.dumps({
    "bozo": int(parsed.bozo),
    "bozo_exception": str(parsed.get("bozo_exception", "")),
    "version": parsed.version,
    "title": parsed.feed.get("title"),
    "link": parsed.feed.get("link"),
    "entries": [
        {
            "title": entry.get("title"),
            "link": entry.get("link"),
            "id": entry.get("id"),
            "published": entry.get("published"),
            "author": entry.get("author"),
            "tags": [tag.get("term") for tag in entry.get("tags", [])],
        }
        for entry in parsed.entries
    ],
}))
