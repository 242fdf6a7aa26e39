"""Tags: normalised tag listings (newest first, cursor) and bounded prefix suggestions."""
from __future__ import annotations

import secrets

from tests.helpers import call, signup
from tests.social_helpers import seed_published_post, set_show_mature


def _tag() -> str:
    return "t" + secrets.token_hex(4)


def test_tag_listing_is_normalised_newest_first_and_pages(client):
    artist = signup(client)
    tag = _tag()
    ids = [seed_published_post(artist, title=f"W{i}", tags=[tag]) for i in range(5)]
    seed_published_post(artist, title="Other", tags=[_tag()])
    status, page, headers = call(client, "GET", f"/v1/tags/%23{tag.upper()}/posts?limit=3")
    assert status == 200, page
    assert page["tag"] == tag
    assert [p["id"] for p in page["items"]] == ids[::-1][:3]
    assert headers["cache-control"].startswith("public") and headers["etag"]
    status, page2, _ = call(client, "GET", f"/v1/tags/{tag}/posts?limit=3&cursor={page['next_cursor']}")
    assert [p["id"] for p in page2["items"]] == ids[::-1][3:]
    assert page2["next_cursor"] is None


def test_a_cursor_of_one_tag_cannot_page_another(client):
    artist = signup(client)
    a, b = _tag(), _tag()
    for _ in range(3):
        seed_published_post(artist, tags=[a])
    _, page, _ = call(client, "GET", f"/v1/tags/{a}/posts?limit=1")
    status, body, _ = call(client, "GET", f"/v1/tags/{b}/posts?cursor={page['next_cursor']}")
    assert status == 400 and body["error"]["field"] == "cursor"


def test_invalid_tag_names_the_field(client):
    status, body, _ = call(client, "GET", "/v1/tags/%23%23%23/posts")
    assert status == 400 and body["error"]["field"] == "tag"
    status, body, _ = call(client, "GET", "/v1/tags/" + "a" * 41 + "/posts")
    assert status == 400 and body["error"]["field"] == "tag"


def test_mature_posts_in_tag_listings_follow_the_viewer_setting(client):
    artist, viewer = signup(client), signup(client)
    tag = _tag()
    mature = seed_published_post(artist, tags=[tag], labels=["mature"])
    plain = seed_published_post(artist, tags=[tag])
    _, page, _ = call(client, "GET", f"/v1/tags/{tag}/posts")
    assert [p["id"] for p in page["items"]] == [plain]
    _, page, headers = call(client, "GET", f"/v1/tags/{tag}/posts", token=viewer["access_token"])
    assert headers["cache-control"] == "private, no-store"
    assert {p["id"]: p["blurred"] for p in page["items"]} == {mature: True, plain: False}
    set_show_mature(viewer["id"], True)
    _, page, _ = call(client, "GET", f"/v1/tags/{tag}/posts", token=viewer["access_token"])
    assert {p["id"]: p["blurred"] for p in page["items"]} == {mature: False, plain: False}


def test_suggestions_rank_by_use_within_the_prefix(client):
    artist = signup(client)
    stem = "zq" + secrets.token_hex(3)
    popular, rare = f"{stem}-popular", f"{stem}-rare"
    for _ in range(3):
        seed_published_post(artist, tags=[popular])
    seed_published_post(artist, tags=[rare])
    seed_published_post(artist, tags=["zz" + secrets.token_hex(3)])
    status, body, headers = call(client, "GET", f"/v1/tags?prefix={stem.upper()}")
    assert status == 200, body
    assert body["items"] == [{"tag": popular, "count": 3}, {"tag": rare, "count": 1}]
    assert "s-maxage=" in headers["cache-control"]


def test_suggestions_need_two_characters(client):
    for query in ("", "?prefix=", "?prefix=a", "?prefix=%23"):
        status, body, _ = call(client, "GET", "/v1/tags" + query)
        assert status == 400 and body["error"]["field"] == "prefix", (query, body)


def test_signed_in_tag_listing_carries_liked_by_me_and_is_private(client):
    artist, viewer = signup(client), signup(client)
    tag = _tag()
    liked = seed_published_post(artist, tags=[tag])
    other = seed_published_post(artist, tags=[tag])
    assert call(client, "POST", f"/v1/posts/{liked}/like", token=viewer["access_token"])[0] == 200

    status, page, headers = call(client, "GET", f"/v1/tags/{tag}/posts", token=viewer["access_token"])
    assert status == 200, page
    assert headers["cache-control"] == "private, no-store" and "etag" not in headers
    assert {p["id"]: p["liked_by_me"] for p in page["items"]} == {liked: True, other: False}

    status, page, headers = call(client, "GET", f"/v1/tags/{tag}/posts")
    assert headers["cache-control"].startswith("public") and headers["etag"]
    assert [p["id"] for p in page["items"]] == [other, liked]
    assert all("liked_by_me" not in p for p in page["items"])
    status, _, _ = call(client, "GET", f"/v1/tags/{tag}/posts", headers={"If-None-Match": headers["etag"]})
    assert status == 304


def test_a_full_signed_in_tag_page_splits_its_batch_get_and_keeps_every_like(client):
    """limit=50 signed in = 50 posts + 50 like edges + the viewer's item: 101 keys, over
    BatchGetItem's 100; the adapter splits the call and nothing is lost."""
    artist, viewer = signup(client), signup(client)
    tag = _tag()
    ids = [seed_published_post(artist, tags=[tag]) for _ in range(50)]
    for pid in ids[:3] + ids[-2:]:
        assert call(client, "POST", f"/v1/posts/{pid}/like", token=viewer["access_token"])[0] == 200
    status, page, _ = call(client, "GET", f"/v1/tags/{tag}/posts?limit=50", token=viewer["access_token"])
    assert status == 200 and len(page["items"]) == 50
    assert {p["id"] for p in page["items"] if p["liked_by_me"]} == set(ids[:3] + ids[-2:])
