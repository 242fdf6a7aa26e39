"""Drives the platform `make run` starts — moto server, Chalice's local server, the event
worker as separate processes — the way a client would: over HTTP only."""
from __future__ import annotations

import io
import time

import pytest
import requests
from PIL import Image

from tests.fixtures.photos import jpeg_with_gps
from tests.helpers import PASSWORD, unique_handle

pytestmark = pytest.mark.e2e


def _signup(base: str) -> dict:
    handle = unique_handle("e2e")
    r = requests.post(f"{base}/v1/auth/signup", json={"handle": handle, "email": f"{handle}@example.com",
                                                       "password": PASSWORD}, timeout=10)
    assert r.status_code == 201, r.text
    return {"handle": handle, **r.json()["tokens"]}


def test_a_client_signs_up_uploads_and_a_follower_sees_it(platform):
    base = platform.api_url
    artist, fan = _signup(base), _signup(base)
    auth = lambda u: {"Authorization": f"Bearer {u['access_token']}"}  # noqa: E731
    assert requests.post(f"{base}/v1/users/{artist['handle']}/follow", headers=auth(fan), timeout=10).status_code == 200

    photo = jpeg_with_gps(1400, 900)
    r = requests.post(f"{base}/v1/posts", headers=auth(artist), timeout=10,
                      json={"title": "Night market", "content_type": "image/jpeg", "content_length": len(photo)})
    assert r.status_code == 201, r.text
    post_id, upload = r.json()["post"]["id"], r.json()["upload"]
    # Exactly the presigned fields plus the file, as a browser form would send them.
    up = requests.post(upload["url"], data=upload["fields"], files={"file": ("night.jpg", photo)}, timeout=30)
    assert up.status_code in (200, 204), up.text

    deadline = time.monotonic() + 60  # the worker is a separate process polling SQS
    items: list = []
    while time.monotonic() < deadline:
        items = requests.get(f"{base}/v1/feed", headers=auth(fan), timeout=10).json()["items"]
        if items:
            break
        time.sleep(0.5)
    assert [p["id"] for p in items] == [post_id]
    image = items[0]["images"][0]
    media = requests.get(image["url"], timeout=10)
    assert media.status_code == 200
    assert media.headers["Content-Type"] == "image/webp"
    assert media.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert media.headers["X-Robots-Tag"] == "noai, noimageai"
    assert media.headers["tdm-reservation"] == "1"
    with Image.open(io.BytesIO(media.content)) as im:
        assert not im.getexif()
        xmp = im.info.get("xmp", b"")
    assert b"GPS" not in media.content
    assert b"DMI-PROHIBITED-AIMLTRAINING" in (xmp if isinstance(xmp, bytes) else xmp.encode())
    assert artist["handle"].encode() in (xmp if isinstance(xmp, bytes) else xmp.encode())


def test_marks_health_and_errors_over_http(platform):
    base = platform.api_url
    assert requests.get(f"{base}/v1/health", timeout=10).json() == {"status": "ok"}
    robots = requests.get(f"{base}/robots.txt", timeout=10).text
    for bot in ("GPTBot", "ClaudeBot", "CCBot", "Google-Extended", "Bytespider"):
        assert f"User-agent: {bot}\nDisallow: /" in robots
    tdm = requests.get(f"{base}/.well-known/tdmrep.json", timeout=10).json()
    assert tdm[0]["tdm-reservation"] == 1
    r = requests.get(f"{base}/v1/no/such/route", timeout=10)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = requests.get(f"{base}/v1/no-such-route", headers={"Authorization": "Bearer abc"}, timeout=10)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"  # not the gateway's SigV4 403
    r = requests.put(f"{base}/v1/health", timeout=10)
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
    r = requests.get(f"{base}/media/p/nope/0-320.webp", timeout=10)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = requests.get(f"{base}/v1/feed", timeout=10)
    assert r.status_code == 401 and set(r.json()["error"]) >= {"code", "message"}
