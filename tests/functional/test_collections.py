"""Collections (series): create, rename, add/remove, reorder, list, delete; owner only."""
from __future__ import annotations

from tests.community_helpers import publish
from tests.helpers import call, signup


def _ids(page):
    return [p["id"] for p in page["items"]]


def test_collection_lifecycle(client, easel_app):
    artist = signup(client)
    token = artist["access_token"]
    a, b, c = publish(client, easel_app, artist, count=3)
    status, col, _ = call(client, "POST", "/v1/collections", {"title": "Harbour series", "description": "2024"},
                          token=token)
    assert status == 201 and col["id"] and col["posts_count"] == 0 and col["owner"]["handle"] == artist["handle"]
    cid = col["id"]
    for pid in (a, b, c, b):  # adding twice is a no-op
        status, col, _ = call(client, "POST", f"/v1/collections/{cid}/posts", {"post_id": pid}, token=token)
        assert status == 200, col
    assert col["posts_count"] == 3 and col["cover_post_id"] == a
    status, page, headers = call(client, "GET", f"/v1/collections/{cid}/posts")
    assert status == 200 and _ids(page) == [a, b, c] and "s-maxage" in headers["cache-control"]
    assert page["collection"]["title"] == "Harbour series"
    status, col, _ = call(client, "PUT", f"/v1/collections/{cid}/order", {"post_ids": [c, a, b]}, token=token)
    assert status == 200 and col["cover_post_id"] == c
    status, page, _ = call(client, "GET", f"/v1/collections/{cid}/posts?limit=2")
    assert _ids(page) == [c, a] and page["next_cursor"]
    status, rest, _ = call(client, "GET", f"/v1/collections/{cid}/posts?limit=2&cursor={page['next_cursor']}")
    assert _ids(rest) == [b] and rest["next_cursor"] is None
    status, col, _ = call(client, "PATCH", f"/v1/collections/{cid}", {"title": "Harbours", "description": ""},
                          token=token)
    assert status == 200 and col["title"] == "Harbours" and col["description"] == ""
    status, col, _ = call(client, "DELETE", f"/v1/collections/{cid}/posts/{a}", token=token)
    assert status == 200 and col["posts_count"] == 2
    assert _ids(call(client, "GET", f"/v1/collections/{cid}/posts")[1]) == [c, b]
    # A deleted post drops out of the listing at read time.
    call(client, "DELETE", f"/v1/posts/{c}", token=token)
    assert _ids(call(client, "GET", f"/v1/collections/{cid}/posts")[1]) == [b]
    status, body, _ = call(client, "DELETE", f"/v1/collections/{cid}", token=token)
    assert status == 200 and body == {"id": cid, "deleted": True}
    assert call(client, "GET", f"/v1/collections/{cid}/posts")[0] == 404


def test_a_post_in_several_collections_and_listing_by_user(client, easel_app):
    artist = signup(client)
    token = artist["access_token"]
    [pid] = publish(client, easel_app, artist)
    ids = []
    for title in ("Studies", "Favourites", "Blue"):
        cid = call(client, "POST", "/v1/collections", {"title": title}, token=token)[1]["id"]
        call(client, "POST", f"/v1/collections/{cid}/posts", {"post_id": pid}, token=token)
        ids.append(cid)
    status, page, _ = call(client, "GET", f"/v1/users/{artist['handle']}/collections")
    assert status == 200 and [c["id"] for c in page["items"]] == ids
    assert [c["title"] for c in page["items"]] == ["Studies", "Favourites", "Blue"]
    assert all(c["posts_count"] == 1 for c in page["items"])
    status, page, _ = call(client, "GET", f"/v1/users/{artist['handle']}/collections?limit=2")
    status, rest, _ = call(client, "GET", f"/v1/users/{artist['handle']}/collections?limit=2&cursor={page['next_cursor']}")
    assert [c["id"] for c in page["items"] + rest["items"]] == ids
    assert call(client, "GET", "/v1/users/nobody_zz_here/collections")[0] == 404


def test_only_the_owner_edits_and_only_own_published_posts_go_in(client, easel_app):
    artist, other = signup(client), signup(client)
    [mine] = publish(client, easel_app, artist)
    [theirs] = publish(client, easel_app, other)
    status, draft, _ = call(client, "POST", "/v1/posts", {"title": "wip", "content_type": "image/png",
                                                          "content_length": 10}, token=artist["access_token"])
    cid = call(client, "POST", "/v1/collections", {"title": "Mine"}, token=artist["access_token"])[1]["id"]
    for method, path, payload in [
        ("PATCH", f"/v1/collections/{cid}", {"title": "Stolen"}),
        ("DELETE", f"/v1/collections/{cid}", None),
        ("POST", f"/v1/collections/{cid}/posts", {"post_id": theirs}),
        ("DELETE", f"/v1/collections/{cid}/posts/{mine}", None),
        ("PUT", f"/v1/collections/{cid}/order", {"post_ids": []}),
    ]:
        status, body, _ = call(client, method, path, payload, token=other["access_token"])
        assert status == 403 and body["error"]["code"] == "not_owner", (method, path, body)
    for pid in (theirs, draft["post"]["id"], "01NOPE"):
        status, body, _ = call(client, "POST", f"/v1/collections/{cid}/posts", {"post_id": pid},
                               token=artist["access_token"])
        assert status == 400 and body["error"]["field"] == "post_id" and body["error"]["code"] == "not_your_post"
    call(client, "POST", f"/v1/collections/{cid}/posts", {"post_id": mine}, token=artist["access_token"])
    status, body, _ = call(client, "PUT", f"/v1/collections/{cid}/order", {"post_ids": [mine, theirs]},
                           token=artist["access_token"])
    assert status == 400 and body["error"]["field"] == "post_ids"
    for payload, field in [({}, "title"), ({"title": ""}, "title"), ({"title": "t" * 101}, "title"),
                           ({"title": "ok", "description": "d" * 2001}, "description")]:
        status, body, _ = call(client, "POST", "/v1/collections", payload, token=artist["access_token"])
        assert status == 400 and body["error"]["field"] == field
    assert call(client, "POST", "/v1/collections", {"title": "x"})[0] == 401
    assert call(client, "PATCH", "/v1/collections/01NOPE", {"title": "x"}, token=artist["access_token"])[0] == 404
