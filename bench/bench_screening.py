"""Screen a generated corpus through the cascade's pure steps and print, per step: images
decided there, time per image, and modelled cost per 1,000 uploads (vendor calls included).

    python bench/bench_screening.py [--n 200] [--ai-share 0.15] [--repost-share 0.05]
                                     [--vendor-ms 400] [--lambda-gb 2]

No AWS: the hash lookups are modelled as 136 Queries (0.5 RRU each) and timed in memory;
the vendor is modelled (its price and latency are arguments), never called.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chalicelib.provenance import scan_provenance  # noqa: E402
from chalicelib.screening import hashing, nsfw  # noqa: E402
from chalicelib.screening.settings import ScreeningSettings  # noqa: E402
from tests.fixtures.ai_images import a1111_png  # noqa: E402
from tests.fixtures.art import artwork, encode, mirrored, resized  # noqa: E402

LAMBDA_GB_S = 0.0000133334  # arm64
RRU = 0.125 / 1e6
WRU = 0.625 / 1e6


def corpus(n: int, ai_share: float, repost_share: float, rng: random.Random) -> tuple[list[tuple[str, bytes]], list[int]]:
    published = [artwork(seed=10_000 + i, size=(800, 600)) for i in range(20)]
    items = []
    for i in range(n):
        roll = rng.random()
        if roll < ai_share:
            items.append(("ai_metadata", a1111_png()))
        elif roll < ai_share + repost_share:
            src = rng.choice(published)
            items.append(("repost", encode(mirrored(src) if rng.random() < 0.5 else resized(src, 0.6))))
        else:
            items.append(("clean", encode(artwork(seed=i, size=(1200, 900)), quality=88)))
    return items, [hashing.hash_image(p).phash for p in published] + [hashing.hash_image(mirrored(p)).phash for p in published]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--ai-share", type=float, default=0.15)
    ap.add_argument("--repost-share", type=float, default=0.05)
    ap.add_argument("--vendor-ms", type=float, default=400.0)
    ap.add_argument("--vendor-usd", type=float, default=ScreeningSettings().hive_cost_usd)
    ap.add_argument("--lambda-gb", type=float, default=2.0)
    args = ap.parse_args()
    s = ScreeningSettings()
    rng = random.Random(1)
    items, index = corpus(args.n, args.ai_share, args.repost_share, rng)
    nsfw.score_image(artwork(seed=1))  # model load is a cold-start cost, not per image
    steps = {k: {"decided": 0, "seconds": 0.0, "seen": 0, "usd": 0.0} for k in
             ("provenance", "near_duplicates", "nsfw", "vendor")}
    from chalicelib.images import make_derivatives
    from chalicelib.images.credentials import ContentCredentials, new_test_chain

    chain = new_test_chain()
    creds = ContentCredentials(lambda: chain, public_base_url="https://easel.example")
    creds.sign(make_derivatives(encode(artwork(seed=2)), creator="x", widths=(320,))[0].data, "image/webp",
               title="warm-up", author_handle="x")  # signer creation is a cold-start cost
    publish = {"images": 0, "derive_s": 0.0, "sign_s": 0.0, "derivatives": 0, "bytes_in": 0, "bytes_out": 0}
    from PIL import Image
    import io

    for kind, data in items:
        t = time.perf_counter()
        prov = scan_provenance(data)
        steps["provenance"]["seen"] += 1
        steps["provenance"]["seconds"] += time.perf_counter() - t
        if prov.verdict == "ai":
            steps["provenance"]["decided"] += 1
            continue
        t = time.perf_counter()
        with Image.open(io.BytesIO(data)) as im:
            im.draft("RGB", (512, 512))
            picture = im.convert("RGB")
        h = hashing.hash_image(picture)
        probes = hashing.probe_bands(h.phash)
        hit = h.reliable and any(hashing.distance(h.phash, p) <= s.repost_max_distance for p in index)
        steps["near_duplicates"]["seen"] += 1
        steps["near_duplicates"]["seconds"] += time.perf_counter() - t
        steps["near_duplicates"]["usd"] += 2 * len(probes) * 0.5 * RRU
        if hit:
            steps["near_duplicates"]["decided"] += 1
            continue
        t = time.perf_counter()
        nsfw.score_image(picture)
        steps["nsfw"]["seen"] += 1
        steps["nsfw"]["seconds"] += time.perf_counter() - t
        steps["vendor"]["seen"] += 1
        steps["vendor"]["seconds"] += args.vendor_ms / 1000
        steps["vendor"]["usd"] += args.vendor_usd
        steps["vendor"]["decided"] += 1  # the vendor's score settles every image that reaches it
        # Publishing: WebP derivatives, then Content Credentials on each (what signing adds).
        t = time.perf_counter()
        derived = make_derivatives(data, creator="bench", widths=(320, 640, 1280, 2048))
        publish["derive_s"] += time.perf_counter() - t
        publish["images"] += 1
        for d in derived:
            t = time.perf_counter()
            signed = creds.sign(d.data, d.content_type, title=d.label, author_handle="bench")
            publish["sign_s"] += time.perf_counter() - t
            publish["derivatives"] += 1
            publish["bytes_in"] += len(d.data)
            publish["bytes_out"] += len(signed)
    n = len(items)
    print(f"corpus: {n} uploads ({args.ai_share:.0%} AI metadata, {args.repost_share:.0%} reposts), "
          f"Lambda {args.lambda_gb} GB arm64, vendor ${args.vendor_usd}/call {args.vendor_ms:.0f} ms (modelled)")
    print(f"{'step':<16}{'reached':>8}{'decided':>9}{'ms/image':>10}{'$ per 1k uploads':>18}")
    total = 0.0
    for name, st in steps.items():
        ms = 1000 * st["seconds"] / st["seen"] if st["seen"] else 0.0
        compute = st["seconds"] * args.lambda_gb * LAMBDA_GB_S
        usd_1k = (st["usd"] + compute) * 1000 / n
        total += usd_1k
        print(f"{name:<16}{st['seen']:>8}{st['decided']:>9}{ms:>10.1f}{usd_1k:>18.4f}")
    without = args.vendor_usd * 1000
    print(f"{'total':<16}{'':>8}{'':>9}{'':>10}{total:>18.4f}   (vendor on every upload: ${without:.2f} per 1k)")
    if publish["images"]:
        per_image_sign = 1000 * publish["sign_s"] / publish["images"]
        print(f"publish: {publish['images']} images, derivatives {1000 * publish['derive_s'] / publish['images']:.1f} "
              f"ms/image; C2PA signing adds {per_image_sign:.1f} ms/image "
              f"({1000 * publish['sign_s'] / publish['derivatives']:.2f} ms per derivative, "
              f"+{(publish['bytes_out'] - publish['bytes_in']) / publish['derivatives']:.0f} bytes each), "
              f"${per_image_sign / 1000 * args.lambda_gb * LAMBDA_GB_S * 1000:.6f} per 1k images")
    print("note: vendor time is billed Lambda time while waiting; NSFW labels, never decides; "
          "index writes on publish add 8 WRU per image ($%.6f)." % (8 * WRU))


if __name__ == "__main__":
    main()
