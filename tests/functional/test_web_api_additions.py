"""API additions the web app needed (issue 12): alt text per image, and whether the signed-in
viewer follows a profile (the Follow button's aria-pressed after a reload)."""
from __future__ import annotations

from tests.community_helpers import follow
from tests.fixtures.photos import jpeg_with_gps
from tests.helpers import call, drain, post_upload, signup


def test_alt_text_per_image_is_stored_and_listed(client, easel_app):
    user = signup(client)
    a, b = jpeg_with_gps(330, 200), jpeg_with_gps(300, 220)
    status, created, _ = call(client, "POST", "/v1/posts", {"title": "Two studies", "images": [
        {"content_type": "image/jpeg", "content_length": len(a), "alt": "  A heron in ink  "},
        {"content_type": "image/jpeg", "content_length": len(b)}]}, token=user["access_token"])
    assert status == 201, created
    for upload, data in zip(created["uploads"], (a, b)):
        assert post_upload(upload, data).status_code in (200, 204)
    drain(easel_app.handle_uploads)
    status, post, _ = call(client, "GET", f"/v1/posts/{created['post']['id']}", token=user["access_token"])
    assert post["status"] == "published", post
    assert [img.get("alt") for img in post["images"]] == ["A heron in ink", None]

    status, body, _ = call(client, "POST", "/v1/posts", {"title": "x", "images": [
        {"content_type": "image/jpeg", "content_length": 10, "alt": "y" * 1001}]}, token=user["access_token"])
    assert status == 400 and body["error"]["field"] == "images[0].alt"


def test_profile_says_whether_the_viewer_follows(client):
    ada, bo = signup(client), signup(client)
    status, anon, headers = call(client, "GET", f"/v1/users/{ada['handle']}")
    assert status == 200 and "followed_by_me" not in anon and "public" in headers["cache-control"]
    status, before, headers = call(client, "GET", f"/v1/users/{ada['handle']}", token=bo["access_token"])
    assert before["followed_by_me"] is False and headers["cache-control"] == "private, no-store"
    follow(client, bo, ada)
    status, after, _ = call(client, "GET", f"/v1/users/{ada['handle']}", token=bo["access_token"])
    assert after["followed_by_me"] is True and after["followers_count"] == 1
    status, own, _ = call(client, "GET", f"/v1/users/{ada['handle']}", token=ada["access_token"])
    assert own["followed_by_me"] is False
