"""The web app on the local platform, same origin as the API: `web/dist` (built by `make run`)
at `/`, every client-side route (`/@ada`, `/p/<id>`, …) answered with index.html, the API at
/v1 and media at /media left to the app. Same headers as CloudFront sends in production
(infra/webapp.py): a strict CSP, `X-Robots-Tag: noai, noimageai`, year-long caching for
hashed assets and a short one for index.html."""
from __future__ import annotations

import mimetypes
import os
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import unquote, urlsplit

from infra.webapp import ASSET_CACHE_CONTROL, HTML_CACHE_CONTROL, X_ROBOTS_TAG, content_security_policy

ROOT = Path(__file__).resolve().parents[1]
DIST = Path(os.environ.get("WEB_DIST", ROOT / "web" / "dist"))
# Paths the API (or the local stand-ins for CloudFront/S3) answers; never the app.
API_PREFIXES = ("/v1/", "/media/", "/dev/", "/.well-known/")
API_PATHS = {"/v1", "/robots.txt"}
TYPES = {".webmanifest": "application/manifest+json", ".js": "text/javascript", ".svg": "image/svg+xml"}


def is_app_path(path: str) -> bool:
    return not (path in API_PATHS or path.startswith(API_PREFIXES))


def security_headers() -> dict[str, str]:
    # Locally the presigned POSTs go to the moto endpoint.
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    return {"Content-Security-Policy": content_security_policy([endpoint] if endpoint else []),
            "X-Robots-Tag": X_ROBOTS_TAG, "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "strict-origin-when-cross-origin"}


def serve(handler: BaseHTTPRequestHandler) -> bool:
    """Answer a GET/HEAD for the app; False when the path belongs to the API (or the app is not
    built, so the API's JSON 404 stays the answer)."""
    path = unquote(urlsplit(handler.path).path)
    index = DIST / "index.html"
    if not is_app_path(path) or not index.is_file():
        return False
    target = (DIST / path.lstrip("/")).resolve()
    if target.is_file() and target.is_relative_to(DIST.resolve()):
        cache = ASSET_CACHE_CONTROL if path.startswith("/assets/") else HTML_CACHE_CONTROL
        status = 200
    elif path.startswith("/assets/") or "." in path.rsplit("/", 1)[-1]:
        target, cache, status = None, "no-store", 404  # a missing file is not a client route
    else:
        target, cache, status = index, HTML_CACHE_CONTROL, 200  # client-side route
    if target is None:
        body, ctype = b"Not found\n", "text/plain; charset=utf-8"
    else:
        body = target.read_bytes()
        ctype = TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype in ("application/manifest+json",):
            ctype += "; charset=utf-8"
    handler.send_response(status)
    for key, value in {"Content-Type": ctype, "Content-Length": str(len(body)), "Cache-Control": cache,
                       **security_headers()}.items():
        handler.send_header(key, value)
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)
    return True
