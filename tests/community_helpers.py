"""Helpers for the community functional tests: published posts through the real pipeline."""
from __future__ import annotations

from typing import Any

from tests.fixtures.photos import jpeg_with_gps
from tests.helpers import call, create_and_upload, drain


def publish(client: Any, easel_app: Any, user: dict, count: int = 1, **fields: Any) -> list[str]:
    """Creates and uploads `count` posts, runs the worker, returns ids (oldest first)."""
    ids = [create_and_upload(client, user["access_token"], jpeg_with_gps(330, 200), "image/jpeg",
                             title=fields.get("title", f"work {i}")) for i in range(count)]
    drain(easel_app.handle_uploads)
    for pid in ids:
        status, post, _ = call(client, "GET", f"/v1/posts/{pid}", token=user["access_token"])
        assert status == 200 and post["status"] == "published", post
    return ids


def feed_ids(client: Any, user: dict) -> list[str]:
    status, page, _ = call(client, "GET", "/v1/feed", token=user["access_token"])
    assert status == 200, page
    return [p["id"] for p in page["items"]]


def follow(client: Any, follower: dict, followee: dict) -> None:
    status, body, _ = call(client, "POST", f"/v1/users/{followee['handle']}/follow", token=follower["access_token"])
    assert status == 200, body
