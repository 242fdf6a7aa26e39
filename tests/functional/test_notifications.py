"""Notifications: who did what, unread count from a counter item, mark read, TTL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.community_helpers import follow, publish
from tests.helpers import call, signup


def _notes(client, user, **params):
    qs = "&".join(f"{k}={v}" for k, v in params.items())
    status, body, headers = call(client, "GET", "/v1/notifications" + (f"?{qs}" if qs else ""),
                                 token=user["access_token"])
    assert status == 200, body
    assert headers["cache-control"] == "private, no-store"
    return body


def test_follow_like_comment_repost_notify_the_artist_not_themselves(client, easel_app):
    artist, fan = signup(client), signup(client)
    follow(client, fan, artist)
    [post_id] = publish(client, easel_app, artist)
    call(client, "POST", f"/v1/posts/{post_id}/like", token=fan["access_token"])
    call(client, "POST", f"/v1/posts/{post_id}/like", token=fan["access_token"])  # idempotent: one note
    call(client, "POST", f"/v1/posts/{post_id}/comments", {"text": "Wonderful light"}, token=fan["access_token"])
    call(client, "POST", f"/v1/posts/{post_id}/repost", token=fan["access_token"])
    # Acting on your own work notifies nobody.
    call(client, "POST", f"/v1/posts/{post_id}/like", token=artist["access_token"])
    call(client, "POST", f"/v1/posts/{post_id}/comments", {"text": "thanks!"}, token=artist["access_token"])
    body = _notes(client, artist)
    # The upload handler's screening outcome (no actor) sits between the follow and the like.
    assert [n["kind"] for n in body["items"]] == ["repost", "comment", "like", "screening", "follow"]
    screening = body["items"].pop(3)
    assert screening["actor"] is None and screening["post_id"] == post_id
    assert screening["data"] == {"decision": "published", "reasons": [], "purpose": "post"}
    assert all(n["actor"] == {"id": fan["id"], "handle": fan["handle"]} for n in body["items"])
    assert body["items"][0]["post_id"] == post_id and body["items"][3]["post_id"] is None
    assert body["items"][1]["data"]["excerpt"] == "Wonderful light"
    assert body["unread_count"] == 5 and not any(n["read"] for n in body["items"])
    assert _notes(client, fan)["items"] == [] and _notes(client, fan)["unread_count"] == 0
    assert call(client, "GET", "/v1/notifications")[0] == 401


def test_mark_read_by_ids_then_all(client):
    from chalicelib.services.notifications import notify

    user, actor = signup(client), signup(client)
    for i in range(5):
        assert notify(user["id"], "screening", None, post_id=f"P{i}", data={"decision": "published"}) is True
    assert notify(user["id"], "moderation", actor["id"], data={"decision": "restored"}) is True
    body = _notes(client, user, limit=4)
    assert body["unread_count"] == 6 and len(body["items"]) == 4 and body["next_cursor"]
    rest = _notes(client, user, limit=4, cursor=body["next_cursor"])
    assert len(rest["items"]) == 2 and rest["next_cursor"] is None
    assert body["items"][0]["kind"] == "moderation" and body["items"][0]["actor"]["handle"] == actor["handle"]
    first_two = [n["id"] for n in body["items"][:2]]
    for _ in range(2):  # marking the same ids twice only counts once
        status, result, _ = call(client, "POST", "/v1/notifications/read", {"ids": first_two},
                                 token=user["access_token"])
        assert status == 200 and result == {"unread_count": 4}
    body = _notes(client, user)
    assert [n["read"] for n in body["items"]] == [True, True, False, False, False, False]
    status, result, _ = call(client, "POST", "/v1/notifications/read", token=user["access_token"])
    assert status == 200 and result == {"unread_count": 0}
    body = _notes(client, user)
    assert body["unread_count"] == 0 and all(n["read"] for n in body["items"])
    # Ids already covered by 'read all' do not drive the count below zero or off.
    call(client, "POST", "/v1/notifications/read", {"ids": [n["id"] for n in body["items"]]}, token=user["access_token"])
    notify(user["id"], "like", actor["id"], post_id="P9")
    assert _notes(client, user)["unread_count"] == 1
    for payload in ({"ids": "x"}, {"ids": [1]}, {"ids": ["a"] * 101}):
        status, err, _ = call(client, "POST", "/v1/notifications/read", payload, token=user["access_token"])
        assert status == 400 and err["error"]["field"] == "ids"


def test_blocked_users_do_not_notify_and_notes_expire(client, easel_app):
    from chalicelib.adapters.tables_community import NotificationItem

    artist, pest = signup(client), signup(client)
    [post_id] = publish(client, easel_app, artist)
    call(client, "POST", f"/v1/users/{pest['handle']}/block", token=artist["access_token"])
    call(client, "POST", f"/v1/users/{artist['handle']}/follow", token=pest["access_token"])  # refused
    from chalicelib.services.notifications import notify

    assert notify(artist["id"], "message", pest["id"]) is False
    assert notify(artist["id"], "like", artist["id"], post_id=post_id) is False  # never yourself
    body = _notes(client, artist)  # only the upload handler's screening outcome
    assert [n["kind"] for n in body["items"]] == ["screening"] and body["unread_count"] == 1
    call(client, "DELETE", f"/v1/users/{pest['handle']}/block", token=artist["access_token"])
    call(client, "POST", f"/v1/posts/{post_id}/like", token=pest["access_token"])
    body = _notes(client, artist)
    assert [n["kind"] for n in body["items"]] == ["like", "screening"]
    item = NotificationItem.get(*NotificationItem.key(artist["id"], body["items"][0]["id"]))
    expires = item.expires_at
    now = datetime.now(timezone.utc)
    assert now + timedelta(days=89) < expires < now + timedelta(days=91)  # TTL attribute: DynamoDB deletes it


def test_actorless_notes_ignore_blocks_and_a_caller_that_read_the_block_edge_can_skip_it(client):
    """Moderation decisions have no actor, so a block cannot hide them; messages pass
    blocks_checked=True because the send already read both block edges (and refuses when blocked)."""
    from chalicelib.services.notifications import notify

    artist, pest = signup(client), signup(client)
    call(client, "POST", f"/v1/users/{pest['handle']}/block", token=artist["access_token"])
    assert notify(artist["id"], "moderation", None, post_id="P1", data={"decision": "approve"}) is True
    assert notify(artist["id"], "message", pest["id"]) is False  # the block edge is read
    assert notify(artist["id"], "message", pest["id"], blocks_checked=True) is True  # the caller vouched
    assert notify(artist["id"], "message", artist["id"], blocks_checked=True) is False  # still never yourself
    body = _notes(client, artist)
    assert [(n["kind"], n["actor"]) for n in body["items"]] == [
        ("message", {"id": pest["id"], "handle": pest["handle"]}), ("moderation", None)]
