"""Blocks and mutes."""
from __future__ import annotations

from tests.community_helpers import feed_ids, follow, publish
from tests.helpers import call, drain, signup


def test_block_removes_follows_both_ways_and_uses_the_shared_key_layout(client):
    me, pest = signup(client), signup(client)
    follow(client, me, pest)
    follow(client, pest, me)
    status, body, _ = call(client, "POST", f"/v1/users/{pest['handle']}/block", token=me["access_token"])
    assert status == 200 and body["blocked"] is True
    for user in (me, pest):
        profile = call(client, "GET", f"/v1/users/{user['handle']}")[1]
        assert profile["followers_count"] == 0 and profile["following_count"] == 0
    status, body, _ = call(client, "POST", f"/v1/users/{me['handle']}/follow", token=pest["access_token"])
    assert status == 403 and body["error"]["code"] == "blocked"
    assert call(client, "POST", f"/v1/users/{pest['handle']}/follow", token=me["access_token"])[0] == 403
    # Blocking twice is harmless; the key layout is the one the messages service reads.
    assert call(client, "POST", f"/v1/users/{pest['handle']}/block", token=me["access_token"])[0] == 200
    from chalicelib.adapters.tables_community import BlockItem

    edge = BlockItem.get(f"BLOCK#{me['id']}", pest["id"])
    assert (edge.gsi1pk, edge.gsi1sk) == (f"BLOCKED_BY#{pest['id']}", me["id"])
    assert [(i.pk, i.sk) for i in BlockItem.gsi1.query(f"BLOCKED_BY#{pest['id']}")] == \
        [(f"BLOCK#{me['id']}", pest["id"])]
    status, body, _ = call(client, "POST", f"/v1/users/{me['handle']}/block", token=me["access_token"])
    assert status == 400 and body["error"]["code"] == "cannot_target_self"
    assert call(client, "POST", "/v1/users/nobody_zz_here/block", token=me["access_token"])[0] == 404
    # Unblock: following is possible again.
    assert call(client, "DELETE", f"/v1/users/{pest['handle']}/block", token=me["access_token"])[1]["blocked"] is False
    follow(client, pest, me)


def test_a_blocked_user_cannot_see_or_touch_the_blockers_work(client, easel_app):
    artist, pest = signup(client), signup(client)
    [post_id] = publish(client, easel_app, artist)
    call(client, "POST", f"/v1/users/{pest['handle']}/block", token=artist["access_token"])
    token = pest["access_token"]
    assert call(client, "GET", f"/v1/posts/{post_id}", token=token)[0] == 404
    assert call(client, "GET", f"/v1/users/{artist['handle']}/posts", token=token)[0] == 404
    assert call(client, "POST", f"/v1/posts/{post_id}/like", token=token)[0] == 404
    assert call(client, "POST", f"/v1/posts/{post_id}/comments", {"text": "hey"}, token=token)[0] == 404
    assert call(client, "POST", f"/v1/posts/{post_id}/repost", token=token)[0] == 404
    assert call(client, "GET", f"/v1/posts/{post_id}/comments", token=token)[0] == 404
    # Signed out the work is public as before (a block is between two accounts).
    assert call(client, "GET", f"/v1/posts/{post_id}")[0] == 200
    # The blocker is refused with a reason when touching the blocked user's work.
    [pest_post] = publish(client, easel_app, pest)
    status, body, _ = call(client, "POST", f"/v1/posts/{pest_post}/like", token=artist["access_token"])
    assert status == 403 and body["error"]["code"] == "blocked"
    status, body, _ = call(client, "POST", f"/v1/posts/{pest_post}/comments", {"text": "x"},
                           token=artist["access_token"])
    assert status == 403 and body["error"]["code"] == "blocked"
    call(client, "DELETE", f"/v1/users/{pest['handle']}/block", token=artist["access_token"])
    assert call(client, "GET", f"/v1/posts/{post_id}", token=token)[0] == 200
    assert call(client, "POST", f"/v1/posts/{post_id}/comments", {"text": "thanks"}, token=token)[0] == 201


def test_reposts_of_a_blockers_work_stay_hidden_from_the_blocked_user(client, easel_app):
    artist, friend, pest = signup(client), signup(client), signup(client)
    follow(client, pest, friend)
    [post_id] = publish(client, easel_app, artist)
    call(client, "POST", f"/v1/posts/{post_id}/repost", token=friend["access_token"])
    drain(easel_app.handle_uploads)
    assert feed_ids(client, pest) == [post_id]
    call(client, "POST", f"/v1/users/{pest['handle']}/block", token=artist["access_token"])
    assert feed_ids(client, pest) == []


def test_mute_hides_posts_and_reposts_silently(client, easel_app):
    me, loud, reposter = signup(client), signup(client), signup(client)
    follow(client, me, loud)
    follow(client, me, reposter)
    [post_id] = publish(client, easel_app, loud)
    [other] = publish(client, easel_app, reposter)
    assert set(feed_ids(client, me)) == {post_id, other}
    status, body, _ = call(client, "POST", f"/v1/users/{loud['handle']}/mute", token=me["access_token"])
    assert status == 200 and body["muted"] is True
    assert feed_ids(client, me) == [other]
    # A repost of the muted artist's work by someone I follow stays hidden too.
    call(client, "POST", f"/v1/posts/{post_id}/repost", token=reposter["access_token"])
    drain(easel_app.handle_uploads)
    assert feed_ids(client, me) == [other]
    # Muting the reposter hides their reposts and their own work.
    call(client, "DELETE", f"/v1/users/{loud['handle']}/mute", token=me["access_token"])
    assert feed_ids(client, me)[0] == post_id  # the repost, newest
    call(client, "POST", f"/v1/users/{reposter['handle']}/mute", token=me["access_token"])
    assert feed_ids(client, me) == [post_id]  # loud's own post; the repost and reposter's work hidden
    # The muted account notices nothing: still following, profile counters unchanged.
    assert call(client, "GET", f"/v1/users/{reposter['handle']}")[1]["followers_count"] == 1
    assert call(client, "DELETE", f"/v1/users/{reposter['handle']}/mute", token=me["access_token"])[1]["muted"] is False
