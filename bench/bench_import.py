"""Import benchmark: an Instagram-style export of N works built from real images (Debian's
gnome-backgrounds / mate-backgrounds, under /usr/share/backgrounds), imported on its own local
platform (moto + API + worker), timed to the last final state; Lambda GB-s and cost per
imported work from what the meter recorded; the peak Python memory of reading the archive
(central directory + posts file + one member, by ranged GETs) measured with tracemalloc.

    python bench/bench_import.py --n 20        # the small run (a shared 2-core machine)
    python bench/bench_import.py --n 1000      # the full run (IMPORT_WORKS_PER_DAY must allow it: default 1000)

Images cycle through the packages' files (each work is its own archive member and its own
post; the artist's own repeats are not flagged as reposts). apt-get install gnome-backgrounds
mate-backgrounds if they are missing.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from local.moto_server import free_port  # noqa: E402
from local.platform import Platform  # noqa: E402

BACKGROUNDS = Path("/usr/share/backgrounds")
PASSWORD = "correct horse battery staple"
LAMBDA_GB_S = 0.0000133334  # arm64 (the stack's functions), per GB-s


def real_images() -> list[Path]:
    found = sorted(p for p in BACKGROUNDS.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp")
                   and p.stat().st_size < 20 * 1024 * 1024)
    if not found:
        sys.exit("no images under /usr/share/backgrounds: apt-get install gnome-backgrounds mate-backgrounds")
    return found


def build_archive(n: int, path: Path) -> tuple[int, int]:
    images = real_images()
    posts = []
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        for i in range(n):
            src = images[i % len(images)]
            uri = f"media/posts/2019{(i % 12) + 1:02d}/{i:05d}{src.suffix.lower()}"
            zf.write(src, uri)
            posts.append({"media": [{"uri": uri, "creation_timestamp": 1_550_000_000 + i * 3600,
                                     "title": f"Study {i} \u00e2\u0080\u0094 {src.stem} #background #study"}]})
        zf.writestr("content/posts_1.json", json.dumps(posts[::-1]))
    return path.stat().st_size, len(images)


def read_memory(archive: Path) -> dict:
    """What the read job holds: the central directory, the posts file, one member."""
    from chalicelib.adapters.portability_store import ArchiveObjects
    from chalicelib.domain import portability as P

    bucket = os.environ["UPLOADS_BUCKET"]
    key = "bench/import-memory.zip"
    import boto3

    boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"]).upload_file(str(archive), bucket, key)
    objects = ArchiveObjects(bucket)
    size = objects.size(key) or 0
    tracemalloc.start()
    started = time.perf_counter()
    zf, raw = objects.open_zip(key, size)
    index = P.check_members(zf.infolist(), max_entries=50_000, max_total=20 * 1024 ** 3, max_ratio=200,
                            max_member=50 * 1024 * 1024)
    root, files = P.instagram_posts_files(list(index.names))
    docs = {f: json.loads(zf.read(f)) for f in files}
    planned = P.plan_instagram(docs, root, index.names)
    read_s = time.perf_counter() - started
    _, peak_read = tracemalloc.get_traced_memory()
    member = zf.read(planned[0].media[0])
    _, peak_member = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"archive_bytes": size, "entries": len(index.names), "posts": len(planned), "read_s": round(read_s, 3),
            "ranged_gets": raw.requests, "bytes_fetched": raw.bytes_read,
            "peak_mb_read": round(peak_read / 1e6, 2), "peak_mb_with_one_member": round(peak_member / 1e6, 2),
            "member_bytes": len(member)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=3600)
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-import-"))
    archive = workdir / "export.zip"
    size, distinct = build_archive(args.n, archive)
    print(f"archive: {args.n} works from {distinct} distinct Debian backgrounds, {size / 1e6:.1f} MB")
    platform = Platform(api_port=free_port(), moto_port=free_port(), log_dir=workdir / "logs",
                        extra_env={"METER_SHARDS": "4", "IMPORT_WORKS_PER_DAY": str(max(1000, args.n))})
    platform.start()
    try:
        os.environ.update({k: platform.env[k] for k in (
            "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION",
            "STAGE", "TABLE_NAME", "UPLOADS_BUCKET", "MEDIA_BUCKET", "UPLOAD_QUEUE_URL", "SIGNING_KEYS_SECRET")})
        os.environ["METER_SHARDS"] = "4"
        from bench.bench_costs import diff, usage_by_feature

        base = platform.api_url
        r = requests.post(f"{base}/v1/auth/signup", timeout=30, json={
            "handle": "bench_importer", "email": "bench@example.com", "password": PASSWORD})
        auth = {"Authorization": f"Bearer {r.json()['tokens']['access_token']}"}
        before = usage_by_feature()
        started = time.monotonic()
        created = requests.post(f"{base}/v1/imports", headers=auth, timeout=30,
                                json={"source": "instagram", "content_length": size}).json()
        with archive.open("rb") as fh:
            sent = requests.post(created["upload"]["url"], data=created["upload"]["fields"],
                                 files={"file": ("export.zip", fh)}, timeout=600)
        assert sent.status_code in (200, 204), sent.text
        uploaded = time.monotonic() - started
        state = {}
        while time.monotonic() - started < args.timeout:
            state = requests.get(f"{base}/v1/imports/{created['import']['id']}?limit=1", headers=auth,
                                 timeout=30).json()
            if state["state"] in ("done", "failed"):
                break
            time.sleep(1)
        elapsed = time.monotonic() - started
        used = diff(usage_by_feature(), before)
        memory = read_memory(archive)
    finally:
        platform.stop()
    counts = state.get("counts", {})
    imported = max(1, counts.get("published", 0) + counts.get("held_for_review", 0) + counts.get("rejected", 0))
    gb_s = sum(f.get("gbms", 0.0) for f in used.values()) / 1000
    print(f"state: {state.get('state')} counts: {counts}")
    print(f"time to the last final state: {elapsed:.1f} s ({uploaded:.1f} s uploading the ZIP), "
          f"{elapsed / max(1, args.n):.2f} s per work on this machine (one local worker)")
    print(f"Lambda: {gb_s:.1f} GB-s metered, {gb_s / imported:.3f} GB-s per imported work, "
          f"${gb_s * LAMBDA_GB_S / imported * 1000:.4f} per 1,000 works (compute only; DynamoDB/S3/SQS per "
          f"feature: {json.dumps({k: {u: round(v, 1) for u, v in c.items() if u in ('n', 'rru', 'wru', 'sq', 's3p')} for k, c in used.items()})})")
    print(f"reading the archive: {json.dumps(memory)}")
    print(f"reproduce: python bench/bench_import.py --n {args.n}   (full: --n 1000)")


if __name__ == "__main__":
    main()
