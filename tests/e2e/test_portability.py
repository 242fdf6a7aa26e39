"""Portability end to end against the platform `make run` starts (moto, API, worker as separate
processes), over HTTP only: an Instagram export in each layout's shape, built here, imported
once and then again; an export -> import round trip; bad archives; and c2pa-python reading the
Content Credentials of a published derivative."""
from __future__ import annotations

import io
import time
import zipfile
from typing import Callable

import pytest
import requests

from chalicelib.images.credentials import read_manifest
from tests.fixtures.ai_images import a1111_png
from tests.fixtures.art import artwork, encode
from tests.fixtures.instagram import bomb_zip, carousel, export_zip, media, single
from tests.helpers import PASSWORD, unique_handle

pytestmark = pytest.mark.e2e
TS = 1_500_000_000


def _user(base: str) -> dict:
    handle = unique_handle("pt")
    r = requests.post(f"{base}/v1/auth/signup", timeout=10, json={
        "handle": handle, "email": f"{handle}@example.com", "password": PASSWORD})
    assert r.status_code == 201, r.text
    return {"handle": handle, "auth": {"Authorization": f"Bearer {r.json()['tokens']['access_token']}"}}


def _until(check: Callable[[], object], timeout_s: float = 120, what: str = "") -> object:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for: {what}")


def _import(base: str, user: dict, archive: bytes, source: str = "instagram") -> dict:
    r = requests.post(f"{base}/v1/imports", headers=user["auth"], timeout=10,
                      json={"source": source, "content_length": len(archive)})
    assert r.status_code == 201, r.text
    upload, import_id = r.json()["upload"], r.json()["import"]["id"]
    sent = requests.post(upload["url"], data=upload["fields"], files={"file": ("export.zip", archive)}, timeout=60)
    assert sent.status_code in (200, 204), sent.text

    def finished() -> dict | None:
        body = requests.get(f"{base}/v1/imports/{import_id}?limit=50", headers=user["auth"], timeout=10).json()
        return body if body["state"] in ("done", "failed") else None
    return _until(finished, what=f"import {import_id}")  # type: ignore[return-value]


def _art(seed: int) -> bytes:
    return encode(artwork(seed=seed, size=(420, 320)))


def test_instagram_import_once_credentials_and_bad_archives(platform):
    base = platform.api_url
    artist, fan = _user(base), _user(base)
    assert requests.post(f"{base}/v1/users/{artist['handle']}/follow", headers=fan["auth"],
                         timeout=10).status_code == 200
    posts = [
        single("media/posts/201707/ai.png", TS + 60, "New piece #ai"),
        single("media/posts/201707/missing.jpg", TS + 50, "Where did it go"),
        single("/etc/shadow", TS + 40, "Absolute"),
        {"media": [media("media/posts/201707/reel.mp4", TS + 30, "Process reel")]},
        carousel(["media/posts/201707/a.jpg", "media/posts/201707/b.jpg"], TS + 20, "Diptych #diptyque"),
        single("media/posts/201707/n.jpg", TS + 10, "Noël à Zürich 🎄\nencre #noël"),
    ]
    files = {"media/posts/201707/ai.png": a1111_png(), "media/posts/201707/reel.mp4": b"\0\0\0\x18ftypmp42",
             "media/posts/201707/a.jpg": _art(31), "media/posts/201707/b.jpg": _art(32),
             "media/posts/201707/n.jpg": _art(33)}
    archive = export_zip(posts, files, "activity_content")
    result = _import(base, artist, archive)
    assert result["state"] == "done", result
    assert result["counts"] == {"published": 2, "held_for_review": 0, "rejected": 1, "skipped": 1, "failed": 2,
                                "pending": 0}
    by_seq = {int(i["path"].rsplit("#", 1)[1]): i for i in result["items"]}
    assert by_seq[0]["status"] == "rejected" and "declared AI-generated" in by_seq[0]["reason"]
    assert "missing from the archive" in by_seq[1]["reason"] and "absolute path" in by_seq[2]["reason"]
    assert "videos and reels" in by_seq[3]["reason"]
    noel = requests.get(f"{base}/v1/posts/{by_seq[5]['post_id']}", timeout=10).json()
    assert noel["title"] == "Noël à Zürich 🎄" and noel["tags"] == ["noël"]
    assert noel["first_posted_at"] == "2017-07-14T02:40:10Z"
    diptych = requests.get(f"{base}/v1/posts/{by_seq[4]['post_id']}", timeout=10).json()
    assert len(diptych["images"]) == 2
    feed = requests.get(f"{base}/v1/feed", headers=fan["auth"], timeout=10).json()
    assert len(feed["items"]) == 1  # one entry for the whole import

    # Content Credentials on a published derivative, read by c2pa-python.
    data = requests.get(noel["images"][0]["url"], timeout=10).content
    manifest = read_manifest(data, "image/webp")
    assert manifest is not None
    labels = {a["label"]: a["data"] for a in manifest["assertions"]}
    assert {k: e["use"] for k, e in labels["cawg.training-mining"]["entries"].items()} == {
        "cawg.ai_generative_training": "notAllowed", "cawg.ai_inference": "notAllowed",
        "cawg.ai_training": "notAllowed", "cawg.data_mining": "notAllowed"}
    assert labels["stds.schema-org.CreativeWork"]["author"][0]["name"] == artist["handle"]

    # The same archive again adds nothing.
    again = _import(base, artist, archive)
    assert again["counts"]["published"] == 0 and again["counts"]["skipped"] == 4, again
    portfolio = requests.get(f"{base}/v1/users/{artist['handle']}/posts", timeout=10).json()
    assert len(portfolio["items"]) == 2

    # Bad archives: a clear error, nothing created.
    for bad, code in ((b"GIF89a this is an image header, not a zip archive", "not_a_zip"), (bomb_zip(), "zip_bomb")):
        failed = _import(base, artist, bad)
        assert failed["state"] == "failed" and failed["error"]["code"] == code, failed
    assert len(requests.get(f"{base}/v1/users/{artist['handle']}/posts", timeout=10).json()["items"]) == 2


def test_export_erase_import_round_trip(platform):
    base = platform.api_url
    ada = _user(base)
    ids = []
    for seed, title, tags in ((41, "Dunes", ["sand"]), (42, "Tide", ["sea", "ink"])):
        art = _art(seed)
        r = requests.post(f"{base}/v1/posts", headers=ada["auth"], timeout=10, json={
            "title": title, "tags": tags, "content_type": "image/jpeg", "content_length": len(art)})
        upload = r.json()["upload"]
        requests.post(upload["url"], data=upload["fields"], files={"file": ("a.jpg", art)}, timeout=30)
        ids.append(r.json()["post"]["id"])
        _until(lambda pid=ids[-1]: requests.get(f"{base}/v1/posts/{pid}", timeout=10).status_code == 200,
               what="publication")
    col = requests.post(f"{base}/v1/collections", headers=ada["auth"], json={"title": "Coast"}, timeout=10).json()
    for pid in ids:
        requests.post(f"{base}/v1/collections/{col['id']}/posts", headers=ada["auth"], json={"post_id": pid},
                      timeout=10)
    assert requests.post(f"{base}/v1/me/archive", headers=ada["auth"], timeout=10).status_code == 202
    ready = _until(lambda: (lambda b: b if b["state"] == "ready" else None)(
        requests.get(f"{base}/v1/me/archive", headers=ada["auth"], timeout=10).json()), what="archive")
    archive = requests.get(ready["download_url"], timeout=30).content  # type: ignore[index]
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        assert {"posts.json", "profile.json", "collections.json", "comments.json"} <= set(zf.namelist())
    assert requests.delete(f"{base}/v1/me", headers=ada["auth"], json={"password": PASSWORD},
                           timeout=10).status_code == 202
    _until(lambda: requests.get(f"{base}/v1/posts/{ids[0]}", timeout=10).status_code == 404, what="erasure")
    bo = _user(base)
    result = _import(base, bo, archive, source="easel")
    assert result["state"] == "done" and result["counts"]["published"] == 2, result
    portfolio = requests.get(f"{base}/v1/users/{bo['handle']}/posts", timeout=10).json()["items"]
    assert [(p["title"], p["tags"]) for p in portfolio] == [("Tide", ["sea", "ink"]), ("Dunes", ["sand"])]
    cols = requests.get(f"{base}/v1/users/{bo['handle']}/collections", timeout=10).json()["items"]
    assert [(c["title"], c["posts_count"]) for c in cols] == [("Coast", 2)]
