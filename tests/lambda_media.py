"""Checks the files of a post that `cargo lambda watch` serves, after the post was published
through it (tests/fixtures/media-post): the post page (the get-post function) shows its images,
and every /media/ URL on it (`src`, `srcset`, `href`), fetched through the watch router from the
media function, answers 200 with its type's Content-Type, its type's first bytes (image bodies
cross the Lambda emulation base64-encoded: a body left encoded, or encoded twice, fails here),
bytes whose SHA-256 is the one its URL names, `Cache-Control: public, max-age=31536000,
immutable`, `X-Content-Type-Options: nosniff`, an ETag, and for an SVG the sandboxing
Content-Security-Policy. Usage: lambda_media.py BASE_URL POST_PATH"""
import hashlib
import re
import sys
import urllib.request
from html.parser import HTMLParser

IMMUTABLE = "public, max-age=31536000, immutable"
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
TYPES = {"png": "image/png", "webp": "image/webp", "svg": "image/svg+xml"}


def signature_ok(media_type, body):
    if media_type == "image/png":
        return body.startswith(b"\x89PNG\r\n\x1a\n")
    if media_type == "image/webp":
        return body[:4] == b"RIFF" and body[8:12] == b"WEBP"
    if media_type == "image/svg+xml":
        head = body.lstrip(b"\xef\xbb\xbf \t\r\n")
        return head.startswith((b"<svg", b"<?xml")) and b"<svg" in body[:512]
    return False


class MediaUrls(HTMLParser):
    """Every /media/ URL an <img>, a <source> or a link of the article names, in order, once."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.urls = []
        self.images = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "article":
            self.depth += 1
        if not self.depth:
            return
        self.images += tag == "img"
        found = [attrs.get("src"), attrs.get("href")]
        found += [c.strip().split()[0] for c in (attrs.get("srcset") or "").split(",") if c.strip()]
        for url in found:
            if url and url.startswith("/media/") and url not in self.urls:
                self.urls.append(url)

    def handle_endtag(self, tag):
        if tag == "article":
            self.depth -= 1


def get(url):
    with urllib.request.urlopen(url, timeout=120) as response:
        return response.status, response.headers, response.read()


base, post = sys.argv[1:3]
status, _, page = get(f"{base}{post}")
assert status == 200, (post, status)
media = MediaUrls()
media.feed(page.decode("utf-8"))
names = [url.rsplit("/", 1)[1] for url in media.urls]
assert media.images >= 2, f"{post} shows {media.images} images, expected the PNG and the SVG diagram"
expected = {"architecture.png", "request-flow.svg", "hostile.svg"}
assert expected <= set(names), f"{post} names {names}, expected at least {sorted(expected)}"
assert any(re.fullmatch(r"architecture-\d+w\.(png|webp)", n) for n in names), f"no resized copy of the PNG in {names}"

for url in media.urls:
    match = re.fullmatch(r"/media/([0-9a-f]{64})/([^/]+)\.([a-z0-9]+)", url)
    assert match, f"{url} is not /media/<sha256>/<name>"
    sha256, extension = match.group(1), match.group(3)
    status, headers, body = get(f"{base}{url}")
    media_type = TYPES.get(extension)
    problems = []
    if status != 200:
        problems.append(f"status {status}")
    if headers.get("Content-Type") != media_type:
        problems.append(f"Content-Type {headers.get('Content-Type')!r}, expected {media_type!r}")
    if not signature_ok(media_type, body):
        problems.append(f"body starts {body[:16]!r}, not a {media_type}")
    if hashlib.sha256(body).hexdigest() != sha256:
        problems.append(f"{len(body)} bytes whose SHA-256 is {hashlib.sha256(body).hexdigest()}")
    if headers.get("Cache-Control") != IMMUTABLE:
        problems.append(f"Cache-Control {headers.get('Cache-Control')!r}, expected {IMMUTABLE!r}")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"X-Content-Type-Options {headers.get('X-Content-Type-Options')!r}")
    if not headers.get("ETag"):
        problems.append("no ETag")
    policy = headers.get("Content-Security-Policy")
    if media_type == "image/svg+xml" and policy != SVG_POLICY:
        problems.append(f"Content-Security-Policy {policy!r}, expected {SVG_POLICY!r}")
    if media_type != "image/svg+xml" and policy is not None and "sandbox" in policy:
        problems.append(f"a sandboxing Content-Security-Policy on a {media_type}: {policy!r}")
    assert not problems, f"GET {url} through cargo lambda watch: " + "; ".join(problems)
    print(f"  {status} {media_type:<13} {len(body):>6} bytes  {url.rsplit('/', 1)[1]}")
print(f"cargo lambda watch: {post} and its {len(media.urls)} files, each {IMMUTABLE!r}, its bytes its address")
