"""Portfolio import (services/imports.py) in process against the moto endpoint: archives built
by the tests in Instagram's layouts, the worker drained by hand."""
from __future__ import annotations

import dataclasses
import io
import zipfile

import pytest

from tests.fixtures.ai_images import a1111_png
from tests.fixtures.art import artwork, encode
from tests.fixtures.instagram import (
    bomb_zip, carousel, export_zip, media, single, with_symlink,
)
from tests.helpers import call, drain, post_upload, signup

TS = 1_600_000_000  # 2020-09-13


@pytest.fixture
def run_worker(easel_app):
    return lambda: drain(easel_app.handle_uploads, max_rounds=60)


def art(seed: int) -> bytes:
    return encode(artwork(seed=seed, size=(480, 360)))


def start_import(client, token: str, archive: bytes, source: str = "instagram") -> str:
    status, created, _ = call(client, "POST", "/v1/imports", {"source": source, "content_length": len(archive)},
                              token=token)
    assert status == 201, created
    assert created["import"]["state"] == "uploading"
    assert ["content-length-range", 1, 5 * 1024 ** 3] in _policy_conditions(created["upload"])
    resp = post_upload(created["upload"], archive, "export.zip")
    assert resp.status_code in (200, 204), resp.text
    return created["import"]["id"]


def _policy_conditions(upload: dict) -> list:
    import base64
    import json

    return json.loads(base64.b64decode(upload["fields"]["policy"]))["conditions"]


def get_import(client, token: str, import_id: str, **params) -> dict:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    status, body, _ = call(client, "GET", f"/v1/imports/{import_id}" + (f"?{query}" if query else ""), token=token)
    assert status == 200, body
    return body


def all_items(client, token: str, import_id: str) -> list[dict]:
    items, cursor = [], None
    while True:
        page = get_import(client, token, import_id, limit=50, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def test_an_instagram_export_becomes_posts_once(client, run_worker):
    artist, fan = signup(client), signup(client)
    assert call(client, "POST", f"/v1/users/{artist['handle']}/follow", token=fan["access_token"])[0] == 200
    posts = [  # Instagram lists newest first
        single("media/posts/202009/ai.png", TS + 500, "Made this #aiart"),
        single("media/posts/202009/gone.jpg", TS + 400, "Lost file"),
        single("../../etc/passwd", TS + 350, "Hostile"),
        {"media": [media("media/posts/202009/clip.mp4", TS + 300, "A reel")]},
        carousel(["media/posts/202009/c1.jpg", "media/posts/202009/c2.jpg", "media/posts/202009/c3.jpg"],
                 TS + 200, "Sketchbook week\nthree pages #sketch #ink"),
        single("media/posts/202009/cafe.jpg", TS + 100, "Café au lait ☕️ à Paris\nwatercolour #aquarelle #café"),
    ]
    files = {"media/posts/202009/ai.png": a1111_png(), "media/posts/202009/clip.mp4": b"\0\0\0\x18ftypmp42",
             "media/posts/202009/c1.jpg": art(1), "media/posts/202009/c2.jpg": art(2),
             "media/posts/202009/c3.jpg": art(3), "media/posts/202009/cafe.jpg": art(4)}
    archive = export_zip(posts, files)
    import_id = start_import(client, artist["access_token"], archive)
    run_worker()
    result = get_import(client, artist["access_token"], import_id)
    assert result["state"] == "done", result
    assert result["counts"] == {"published": 2, "held_for_review": 0, "rejected": 1, "skipped": 1, "failed": 2,
                                "pending": 0}
    items = {i["path"].rsplit("#", 1)[1]: i for i in all_items(client, artist["access_token"], import_id)}
    assert items["0"]["status"] == "rejected" and "declared AI-generated" in items["0"]["reason"]
    assert items["1"]["status"] == "failed" and "missing from the archive" in items["1"]["reason"]
    assert items["2"]["status"] == "failed" and "'..' path component" in items["2"]["reason"]
    assert items["3"]["status"] == "skipped" and "videos and reels" in items["3"]["reason"]
    cafe, sketch = items["5"], items["4"]
    status, post, _ = call(client, "GET", f"/v1/posts/{cafe['post_id']}")
    assert status == 200 and post["title"] == "Café au lait ☕️ à Paris"  # repaired accents and emoji
    assert post["tags"] == ["aquarelle", "café"] and post["first_posted_at"] == "2020-09-13T12:28:20Z"
    status, post, _ = call(client, "GET", f"/v1/posts/{sketch['post_id']}")
    assert post["title"] == "Sketchbook week" and len(post["images"]) == 3 and post["tags"] == ["sketch", "ink"]
    # The refused work is there for its author, with the signal and the usual appeal.
    status, refused, _ = call(client, "GET", f"/v1/posts/{items['0']['post_id']}", token=artist["access_token"])
    assert refused["status"] == "rejected" and refused["screening"]["reasons"] == ["ai_generated"]
    # The portfolio is in the original order (newest first), not import order.
    status, portfolio, _ = call(client, "GET", f"/v1/users/{artist['handle']}/posts")
    assert [p["id"] for p in portfolio["items"]] == [sketch["post_id"], cafe["post_id"]]
    # Followers' feeds: one entry for the whole import.
    status, feed, _ = call(client, "GET", "/v1/feed", token=fan["access_token"])
    assert [p["id"] for p in feed["items"]] == [sketch["post_id"]]
    status, listing, _ = call(client, "GET", "/v1/imports", token=artist["access_token"])
    assert [i["id"] for i in listing["items"]] == [import_id]

    # The same archive again: nothing is added, each entry says which post it already is.
    again = start_import(client, artist["access_token"], archive)
    run_worker()
    second = get_import(client, artist["access_token"], again)
    assert second["state"] == "done" and second["counts"]["published"] == 0
    assert second["counts"]["skipped"] == 4 and second["counts"]["failed"] == 2
    reasons = [i["reason"] for i in all_items(client, artist["access_token"], again) if i["status"] == "skipped"]
    assert sum("Already imported (post " in r for r in reasons) == 3
    status, portfolio, _ = call(client, "GET", f"/v1/users/{artist['handle']}/posts")
    assert len(portfolio["items"]) == 2
    status, feed, _ = call(client, "GET", "/v1/feed", token=fan["access_token"])
    assert len(feed["items"]) == 1


@pytest.mark.parametrize("layout", ["activity_content", "activity_media"])
def test_the_other_instagram_layouts_and_a_top_level_folder(client, run_worker, layout):
    artist = signup(client)
    archive = export_zip([single("media/posts/202101/a.jpg", TS, "Hello #world")],
                         {"media/posts/202101/a.jpg": art(10 + len(layout))}, layout,
                         prefix="instagram-artist-2024-01-01/" if layout == "activity_media" else "")
    import_id = start_import(client, artist["access_token"], archive)
    run_worker()
    result = get_import(client, artist["access_token"], import_id)
    assert result["state"] == "done" and result["counts"]["published"] == 1, result


def test_a_long_carousel_becomes_consecutive_posts_in_a_collection(client, run_worker):
    artist = signup(client)
    uris = [f"media/posts/202102/p{i}.jpg" for i in range(12)]
    archive = export_zip([carousel(uris, TS, "Twelve studies")], {u: art(100 + i) for i, u in enumerate(uris)})
    import_id = start_import(client, artist["access_token"], archive)
    run_worker()
    result = get_import(client, artist["access_token"], import_id)
    assert result["state"] == "done" and result["counts"]["published"] == 2, result
    status, cols, _ = call(client, "GET", f"/v1/users/{artist['handle']}/collections")
    assert [c["title"] for c in cols["items"]] == ["Twelve studies"] and cols["items"][0]["posts_count"] == 2


@pytest.mark.parametrize("name,archive,code", [
    ("not a zip", b"this is a text file, not a zip archive at all", "not_a_zip"),
    ("truncated", export_zip([], {"media/x.jpg": bytes(range(256)) * 64})[:-40], "truncated_zip"),
    ("bomb", bomb_zip(), "zip_bomb"),
    ("malformed json", None, "malformed_json"),
    ("no posts file", None, "no_posts_file"),
    ("duplicate names", None, "duplicate_entries"),
], ids=["not-a-zip", "truncated", "bomb", "malformed-json", "no-posts-file", "duplicate-names"])
# Explicit ids: the archives carry the build time, and pytest-xdist needs every worker to
# collect the same test names.
def test_bad_archives_fail_clearly_and_harm_nothing(client, run_worker, name, archive, code):
    artist = signup(client)
    if name == "malformed json":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("content/posts_1.json", '[{"media": [' * 50)
        archive = buf.getvalue()
    elif name == "no posts file":
        archive = export_zip([], {})
        archive = with_symlink(archive, "content/link.json", "/etc/passwd")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("readme.txt", "hello")
        archive = buf.getvalue()
    elif name == "duplicate names":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf, pytest.warns(UserWarning):
            zf.writestr("content/posts_1.json", "[]")
            zf.writestr("content/posts_1.json", "[]")
        archive = buf.getvalue()
    import_id = start_import(client, artist["access_token"], archive)
    run_worker()
    result = get_import(client, artist["access_token"], import_id)
    assert result["state"] == "failed" and result["error"]["code"] == code, result
    assert result["error"]["message"]
    status, portfolio, _ = call(client, "GET", f"/v1/users/{artist['handle']}/posts")
    assert portfolio["items"] == []


def test_symlink_entries_are_never_followed(client, run_worker):
    artist = signup(client)
    archive = export_zip([single("media/posts/202103/link.jpg", TS, "Symlink")], {})
    archive = with_symlink(archive, "media/posts/202103/link.jpg", "/etc/passwd")
    import_id = start_import(client, artist["access_token"], archive)
    run_worker()
    result = get_import(client, artist["access_token"], import_id)
    assert result["state"] == "done" and result["counts"]["failed"] == 1, result
    assert any("symbolic link" in n for n in result["notes"])


def test_guard_and_allowance_make_entries_wait_then_resume(client, easel_app, run_worker, monkeypatch):
    from chalicelib import container
    from chalicelib.services import imports as imports_module

    artist = signup(client)
    uris = [f"media/posts/202104/w{i}.jpg" for i in range(3)]
    archive = export_zip([single(u, TS + i, f"Work {i}") for i, u in enumerate(uris)],
                         {u: art(200 + i) for i, u in enumerate(uris)})
    service = container.imports()
    monkeypatch.setattr(imports_module, "WAIT_S", 0)  # SQS would wait 15 minutes
    monkeypatch.setattr(service, "settings", dataclasses.replace(service.settings, import_works_per_day=2))
    monkeypatch.setattr(service, "_level", lambda: "saver")
    import_id = start_import(client, artist["access_token"], archive)
    drain(easel_app.handle_uploads, max_rounds=4)
    result = get_import(client, artist["access_token"], import_id)
    assert result["state"] == "importing" and result["counts"]["pending"] == 3
    assert all(i["status"] == "waiting" and "budget guard" in i["reason"]
               for i in all_items(client, artist["access_token"], import_id))
    monkeypatch.setattr(service, "_level", lambda: "normal")
    drain(easel_app.handle_uploads, max_rounds=12)
    result = get_import(client, artist["access_token"], import_id)
    assert result["counts"]["published"] == 2 and result["counts"]["pending"] == 1, result
    waiting = [i for i in all_items(client, artist["access_token"], import_id) if i["status"] == "waiting"]
    assert len(waiting) == 1 and "allowance" in waiting[0]["reason"]
    monkeypatch.setattr(service, "settings", dataclasses.replace(service.settings, import_works_per_day=3))
    run_worker()
    result = get_import(client, artist["access_token"], import_id)
    assert result["state"] == "done" and result["counts"]["published"] == 3, result


def test_someone_elses_import_is_not_found(client):
    a, b = signup(client), signup(client)
    status, created, _ = call(client, "POST", "/v1/imports", {"source": "instagram", "content_length": 100},
                              token=a["access_token"])
    assert call(client, "GET", f"/v1/imports/{created['import']['id']}", token=b["access_token"])[0] == 404
    status, body, _ = call(client, "POST", "/v1/imports", {"source": "tiktok", "content_length": 100},
                           token=a["access_token"])
    assert status == 400 and body["error"]["field"] == "source"
    status, body, _ = call(client, "POST", "/v1/imports", {"source": "easel", "content_length": 6 * 1024 ** 3},
                           token=a["access_token"])
    assert status == 400 and body["error"]["code"] == "file_too_large"
