"""Smoke test a deployed stage: health, public reads, the not-found shape, the marks.

    python -m infra.smoke --stage dev            (reads the ApiUrl output of stack easel-dev)
    python -m infra.smoke --url https://dxxxx.cloudfront.net

Standard library only (+ boto3 for the stack lookup). Exit 0 = every check passed.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request


def stack_output(stage: str, key: str = "ApiUrl") -> str:
    import boto3

    stack = boto3.client("cloudformation").describe_stacks(StackName=f"easel-{stage}")["Stacks"][0]
    return next(o["OutputValue"] for o in stack["Outputs"] if o["OutputKey"] == key)


def fetch(url: str, retries: int = 5) -> tuple[int, dict[str, str], bytes]:
    last: Exception | None = None
    for attempt in range(retries):  # a fresh distribution can take a minute to answer
        try:
            req = urllib.request.Request(url, headers={"User-Agent": "easel-smoke/1"})
            with urllib.request.urlopen(req, timeout=15) as resp:  # noqa: S310 - https URL from our stack
                return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()
        except (urllib.error.URLError, TimeoutError) as exc:
            last = exc
            time.sleep(2 ** attempt)
    raise RuntimeError(f"{url}: {last}")


def run(base: str) -> list[str]:
    base = base.rstrip("/")
    failures: list[str] = []

    def check(ok: bool, what: str) -> None:
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            failures.append(what)

    status, headers, body = fetch(f"{base}/v1/health")
    check(status == 200 and json.loads(body) == {"status": "ok"}, f"GET /v1/health -> {status}")
    status, headers, body = fetch(f"{base}/.well-known/tdmrep.json")
    check(status == 200 and json.loads(body)[0]["tdm-reservation"] == 1, f"GET tdmrep.json -> {status} (public read)")
    check(headers.get("x-robots-tag") == "noai, noimageai", "X-Robots-Tag: noai, noimageai from CloudFront")
    status, _, body = fetch(f"{base}/robots.txt")
    check(status == 200 and b"GPTBot" in body, f"GET /robots.txt -> {status}")
    status, _, body = fetch(f"{base}/v1/no-such-route")
    try:
        err = json.loads(body)["error"]
    except (ValueError, KeyError, TypeError):
        err = {}
    check(status == 404 and err.get("code") == "not_found", f"GET unknown route -> {status} {err}")
    # The web app is the default origin: a client-side route answers with index.html.
    status, headers, body = fetch(f"{base}/@easel")
    check(status == 200 and b'content="noai, noimageai"' in body, f"GET /@easel -> {status} (the app, noai meta)")
    csp = headers.get("content-security-policy", "")
    check("default-src 'self'" in csp and "unsafe-inline" not in csp, "strict Content-Security-Policy on the app")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--stage")
    group.add_argument("--url")
    args = parser.parse_args()
    base = args.url or stack_output(args.stage)
    print(f"smoke testing {base}")
    failures = run(base)
    print(f"{7 - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
