#!/usr/bin/env python3
"""Publishing posts with images, end to end: `blog publish` of generated posts, each with camera
photos (4000 x 3000 JPEG with EXIF) and a diagram (1600 x 900 PNG), against `blog serve` on
loopback (the embedded store), beside the same posts without images as the baseline, at two
sizes (so cost that grows with the input shows as a ratio), then publishing again unchanged
(which must upload nothing).

    cargo build --release -p blog-cli && benches/media.py [--posts 4] [--photos 2]

Images are made with Pillow (installed into .venv if missing): noise over gradients, so JPEG
compresses them as it would a photo, not as flat colour.
"""
import argparse
import os
import pathlib
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def pillow():
    try:
        import PIL  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "Pillow"], check=True)
    from PIL import Image, ImageDraw

    return Image, ImageDraw


def photo(path: pathlib.Path, seed: int) -> None:
    Image, _ = pillow()
    rng = random.Random(seed)
    small = Image.new("RGB", (400, 300))
    small.putdata([
        (int(x * 0.6) + rng.randrange(40), int(y * 0.8) + rng.randrange(40), (x + y) % 256)
        for y in range(300) for x in range(400)
    ])
    big = small.resize((4000, 3000), Image.BICUBIC)
    noise = Image.effect_noise((4000, 3000), 24).convert("RGB")
    image = Image.blend(big, noise, 0.25)
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"
    exif[0x8825] = {2: (51.0, 30.0, 2.5), 4: (0.0, 7.0, 39.0)}  # GPS latitude, longitude
    image.save(path, "JPEG", quality=90, exif=exif)


def diagram(path: pathlib.Path, seed: int) -> None:
    Image, ImageDraw = pillow()
    rng = random.Random(seed)
    image = Image.new("RGB", (1600, 900), "white")
    draw = ImageDraw.Draw(image)
    for i in range(12):
        x, y = rng.randrange(1400), rng.randrange(800)
        draw.rectangle([x, y, x + 180, y + 80], outline="black", width=3, fill=(220, 235, 250))
        draw.text((x + 10, y + 30), f"service {i}", fill="black")
    image.save(path, "PNG")


def generate(folder: pathlib.Path, posts: int, photos: int, with_images: bool, seed: int) -> None:
    for i in range(posts):
        post = folder / f"post-{seed}-{i}"
        post.mkdir(parents=True)
        body = [f"---\ntitle: \"Post {seed} {i}\"\ndate: 2020-01-{i % 28 + 1:02d}\ncategories: [Bench]\n---\n"]
        body.append("Some text about the system. " * 40 + "\n")
        if with_images:
            for p in range(photos):
                photo(post / f"photo-{p}.jpg", seed * 1000 + i * 10 + p)
                body.append(f"\n![Photo {p}](photo-{p}.jpg)\n")
            diagram(post / "diagram.png", seed * 1000 + i)
            body.append("\n![The architecture](diagram.png)\n")
        (post / "index.md").write_text("".join(body))


def publish(blog: str, folder: pathlib.Path, url: str) -> tuple[float, str]:
    start = time.perf_counter()
    out = subprocess.run(
        [blog, "publish", str(folder), "--endpoint", url, "--token", "bench"],
        capture_output=True, text=True, check=False,
    )
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"publish failed:\n{out.stdout}\n{out.stderr}")
    files = next((l for l in out.stdout.splitlines() if l.startswith("files: ")), "files: none")
    return elapsed, files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=4)
    parser.add_argument("--photos", type=int, default=2)
    parser.add_argument("--blog", default="target/release/blog")
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp())
    port = socket.socket()
    port.bind(("127.0.0.1", 0))
    address = f"127.0.0.1:{port.getsockname()[1]}"
    port.close()
    server = subprocess.Popen(
        [args.blog, "serve", "--addr", address, "--db", str(work / "blog.sqlite3"),
         "--seed", str(work / "none"), "--token", "bench"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        while "running at" not in (server.stdout.readline() or "running at"):
            pass
        url = f"http://{address}"
        print(f"{args.posts} and {2 * args.posts} posts, each with {args.photos} photos "
              f"(4000x3000 JPEG) and a diagram (1600x900 PNG); baseline: the same posts without images")
        results = {}
        for size, seed in [(args.posts, 1), (2 * args.posts, 2)]:
            for images in (False, True):
                folder = work / f"{size}-{images}"
                generate(folder, size, args.photos, images, seed * 10 + images)
                source = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
                first, files = publish(args.blog, folder, url)
                again, files_again = publish(args.blog, folder, url)
                results[(size, images)] = first
                label = "with images" if images else "text only "
                print(f"  {size:3d} posts {label}: {source / 1e6:7.1f} MB of sources, "
                      f"first publish {first:6.2f} s ({files}); again {again:5.2f} s ({files_again})")
        for size in (args.posts, 2 * args.posts):
            print(f"  {size} posts: with images / text only = {results[(size, True)] / results[(size, False)]:.1f}x")
        growth = results[(2 * args.posts, True)] / results[(args.posts, True)]
        print(f"  twice the posts with images: {growth:.2f}x the time (linear is 2)")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
