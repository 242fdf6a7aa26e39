"""Your archive (services/archives.py) and the round trip: export -> erase -> import into a new
account reproduces posts, images, order, dates, tags and collections."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
import requests
from PIL import Image

from chalicelib.images.gps import strip_gps
from tests.fixtures.art import artwork, encode
from tests.fixtures.photos import jpeg_with_gps
from tests.functional.test_imports import all_items, get_import, start_import
from tests.helpers import PASSWORD, call, create_and_upload, drain, signup


@pytest.fixture
def run_worker(easel_app):
    return lambda: drain(easel_app.handle_uploads, max_rounds=60)


def test_strip_gps_keeps_everything_else_byte_for_byte():
    photo = jpeg_with_gps(200, 120, orientation=6)
    stripped = strip_gps(photo)
    assert len(stripped) == len(photo) and stripped != photo
    with Image.open(io.BytesIO(stripped)) as a, Image.open(io.BytesIO(photo)) as b:
        assert not a.getexif().get_ifd(0x8825) and b.getexif().get_ifd(0x8825)
        assert a.getexif().get(274) == 6 and a.tobytes() == b.tobytes()
    sos = photo.index(b"\xff\xda")
    assert stripped[sos:] == photo[sos:]  # the compressed image data is untouched


def test_export_then_import_elsewhere_reproduces_the_portfolio(client, run_worker, easel_app):
    ada = signup(client)
    first = create_and_upload(client, ada["access_token"], jpeg_with_gps(640, 400), title="Harbour",
                              description="Gouache, 2019", tags=["gouache", "harbour"])
    second = create_and_upload(client, ada["access_token"], encode(artwork(seed=7, size=(500, 400))),
                               title="Fox", tags=["ink"])
    run_worker()
    status, col, _ = call(client, "POST", "/v1/collections", {"title": "Best of"}, token=ada["access_token"])
    for pid in (second, first):
        assert call(client, "POST", f"/v1/collections/{col['id']}/posts", {"post_id": pid},
                    token=ada["access_token"])[0] == 200
    assert call(client, "POST", f"/v1/posts/{first}/comments", {"text": "my own note"},
                token=ada["access_token"])[0] == 201

    status, queued, _ = call(client, "POST", "/v1/me/archive", token=ada["access_token"])
    assert status == 202 and queued["state"] == "queued", queued
    status, again, headers = call(client, "POST", "/v1/me/archive", token=ada["access_token"])
    assert status == 429 and again["error"]["code"] == "archive_daily_limit" and int(headers["retry-after"]) > 0
    run_worker()
    status, ready, _ = call(client, "GET", "/v1/me/archive", token=ada["access_token"])
    assert ready["state"] == "ready" and ready["size"] > 0 and ready["download_url"], ready
    from urllib.parse import parse_qs, urlparse

    assert 86400 < int(parse_qs(urlparse(ready["download_url"]).query)["X-Amz-Expires"][0]) <= 7 * 86400
    outbox = call(client, "GET", "/dev/outbox")[1]["items"]
    assert any(m["subject"] == "Your Easel archive is ready" and m["to"] == f"{ada['handle']}@example.com"
               for m in outbox)
    data = requests.get(ready["download_url"], timeout=30).content
    assert len(data) == ready["size"]
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        posts = json.loads(zf.read("posts.json"))["posts"]
        assert [p["id"] for p in posts] == [first, second]
        original = zf.read(posts[0]["images"][0]["path"])
        with Image.open(io.BytesIO(original)) as im:
            assert not im.getexif().get_ifd(0x8825)  # GPS removed
        assert json.loads(zf.read("collections.json"))["collections"][0]["post_ids"] == [second, first]
        assert [c["text"] for c in json.loads(zf.read("comments.json"))["comments"]] == ["my own note"]
        assert json.loads(zf.read("profile.json"))["profile"]["handle"] == ada["handle"]

    # Ada moves: her account is erased (its images leave the repost index), then she imports.
    assert call(client, "DELETE", "/v1/me", {"password": PASSWORD}, token=ada["access_token"])[0] == 202
    run_worker()
    bo = signup(client)
    import_id = start_import(client, bo["access_token"], data, source="easel")
    run_worker()
    result = get_import(client, bo["access_token"], import_id)
    assert result["state"] == "done" and result["counts"]["published"] == 2, (result, all_items(
        client, bo["access_token"], import_id))
    status, portfolio, _ = call(client, "GET", f"/v1/users/{bo['handle']}/posts")
    got = portfolio["items"]
    assert [p["title"] for p in got] == ["Fox", "Harbour"]  # same order, newest first
    assert [p["tags"] for p in got] == [["ink"], ["gouache", "harbour"]]
    assert got[1]["description"] == "Gouache, 2019"
    assert [p["first_posted_at"][:16] for p in got] == [p["first_posted_at"][:16] for p in reversed(posts)]
    assert all(len(p["images"]) == 1 for p in got)
    status, cols, _ = call(client, "GET", f"/v1/users/{bo['handle']}/collections")
    assert [c["title"] for c in cols["items"]] == ["Best of"]
    status, inside, _ = call(client, "GET", f"/v1/collections/{cols['items'][0]['id']}/posts")
    assert [p["title"] for p in inside["items"]] == ["Fox", "Harbour"]
