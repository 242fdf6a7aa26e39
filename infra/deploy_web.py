"""Upload the built web app (web/dist) to the stage's web bucket and tell CloudFront.

    python -m infra.deploy_web --stage dev      (after `make deploy`; `make deploy-web` builds first)

Hashed files under assets/ are uploaded first with a year of caching (immutable) and never
deleted here, so a tab still running the previous build can load its chunks; index.html, the
manifest and icons follow with a short cache, then one CloudFront invalidation of the unhashed
paths makes the new build visible within seconds."""
from __future__ import annotations

import argparse
import mimetypes
import time
from pathlib import Path

from infra.smoke import stack_output
from infra.webapp import ASSET_CACHE_CONTROL, HTML_CACHE_CONTROL

DIST = Path(__file__).resolve().parents[1] / "web" / "dist"
TYPES = {".webmanifest": "application/manifest+json", ".js": "text/javascript"}


def plan(dist: Path) -> list[tuple[Path, str, str, str]]:
    """(file, key, content type, cache-control): assets first, index.html last."""
    out = []
    for path in sorted(p for p in dist.rglob("*") if p.is_file() and not p.name.startswith(".")):
        key = path.relative_to(dist).as_posix()
        if key == "budget.json":
            continue
        ctype = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        cache = ASSET_CACHE_CONTROL if key.startswith("assets/") else HTML_CACHE_CONTROL
        out.append((path, key, ctype, cache))
    return sorted(out, key=lambda x: (not x[1].startswith("assets/"), x[1] == "index.html", x[1]))


def main() -> None:
    import boto3

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stage", required=True)
    args = parser.parse_args()
    if not (DIST / "index.html").exists():
        raise SystemExit("web/dist is missing: run `make web` first")
    bucket = stack_output(args.stage, "WebBucketName")
    distribution = stack_output(args.stage, "WebDistributionId")
    s3 = boto3.client("s3")
    unhashed = []
    for path, key, ctype, cache in plan(DIST):
        s3.upload_file(str(path), bucket, key, ExtraArgs={"ContentType": ctype, "CacheControl": cache})
        if not key.startswith("assets/"):
            unhashed.append("/" + key)
        print(f"uploaded {key} ({ctype}; {cache})")
    boto3.client("cloudfront").create_invalidation(DistributionId=distribution, InvalidationBatch={
        "Paths": {"Quantity": len(unhashed) + 1, "Items": ["/", *unhashed]},
        "CallerReference": f"web-{int(time.time())}"})
    print(f"invalidated {len(unhashed) + 1} unhashed paths on {distribution}")


if __name__ == "__main__":
    main()
