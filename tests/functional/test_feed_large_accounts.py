"""Merge on read for large accounts (docs/feeds.md): above FANOUT_LIMIT followers an account's
posts are not fanned out; its followers' feeds merge its portfolio at read time. FANOUT_LIMIT
is 10,000 in the stage; the threshold crossing is exercised with a service configured at 1."""
from __future__ import annotations

import dataclasses

from chalicelib.adapters.store import PostRepository
from chalicelib.adapters.tables import FeedItem, PostItem, UserItem
from chalicelib.services.tokens import Principal
from tests.community_helpers import feed_ids, follow, publish
from tests.helpers import call, drain, signup


def _principal(user: dict) -> Principal:
    return Principal(user_id=user["id"], handle=user["handle"], session_id="s", roles=frozenset())


def _follows_large(user: dict) -> set[str]:
    return set(UserItem.get(*UserItem.key(user["id"]), consistent_read=True).follows_large or [])


def test_a_large_accounts_posts_are_merged_into_feeds_not_fanned_out(client, easel_app):
    from chalicelib import container

    ada, bo, cy, dan = (signup(client) for _ in range(4))
    follow(client, bo, ada)
    [old_post] = publish(client, easel_app, ada, title="before")  # fanned out: ada is small
    assert feed_ids(client, bo) == [old_post]

    # Cy's follow takes ada over the limit (a service configured at 1 follower): ada becomes
    # large_pending, cy's own set gets ada at once, and a background walk adds ada to bo's set.
    base = container.social()
    strict = dataclasses.replace(base.settings, fanout_limit=1)
    service = type(base)(base.users, base.graph, base.feeds, base.posts, strict, base.cursor_key,
                         relations=base.relations, entries=base.entries, enqueue=base.enqueue)
    service.follow(_principal(cy), ada["handle"])
    item = UserItem.get(*UserItem.key(ada["id"]), consistent_read=True)
    assert item.large_pending is True and not item.large_account
    assert _follows_large(cy) == {ada["id"]} and _follows_large(bo) == set()
    # Until the walk has finished, posts still fan out: no follower can miss one meanwhile.
    status, created, _ = call(client, "POST", "/v1/posts", {"title": "during", "content_type": "image/jpeg",
                                                            "content_length": 10}, token=ada["access_token"])
    assert status == 201
    pending_post = created["post"]["id"]
    during = PostRepository().get(pending_post, consistent=True)
    during.status = "published"
    container.upload_processor()._fan_out(during)  # the publish step's fan-out, as the handler runs it
    bo_entries = {i.sk for i in FeedItem.query(FeedItem.partition(bo["id"]), consistent_read=True)}
    assert pending_post in bo_entries
    PostItem(*PostItem.key(pending_post)).delete()

    drain(easel_app.handle_uploads)  # the large_account_followers walk, which then marks ada large
    assert _follows_large(bo) == {ada["id"]}
    item = UserItem.get(*UserItem.key(ada["id"]), consistent_read=True)
    assert item.large_account is True

    new_posts = publish(client, easel_app, ada, count=2, title="after")
    # No feed entries were written for the new posts...
    for follower in (bo, cy):
        entries = {i.sk for i in FeedItem.query(FeedItem.partition(follower["id"]), consistent_read=True)}
        assert not entries & set(new_posts)
    # ...yet both followers see them, merged by time with what was fanned out before.
    assert feed_ids(client, bo) == [new_posts[1], new_posts[0], old_post]
    assert feed_ids(client, cy)[:2] == [new_posts[1], new_posts[0]]

    # Paging one at a time crosses both sources without gaps or repeats.
    seen, cursor = [], None
    for _ in range(5):
        path = "/v1/feed?limit=1" + (f"&cursor={cursor}" if cursor else "")
        status, page, _ = call(client, "GET", path, token=bo["access_token"])
        assert status == 200, page
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [new_posts[1], new_posts[0], old_post]

    # A new follower through the API joins the merge directly.
    follow(client, dan, ada)
    assert _follows_large(dan) == {ada["id"]}
    # Mutes and unfollows apply to merged posts as to fanned-out ones.
    assert call(client, "POST", f"/v1/users/{ada['handle']}/mute", token=cy["access_token"])[0] == 200
    assert not set(feed_ids(client, cy)) & set(new_posts)
    assert call(client, "DELETE", f"/v1/users/{ada['handle']}/follow", token=bo["access_token"])[0] == 200
    assert feed_ids(client, bo) == [] and _follows_large(bo) == set()


def test_the_large_account_job_ignores_malformed_messages(easel_app):
    from chalicelib import container

    assert container.social().handle_job({"type": "large_account_followers", "user_id": None}) == "skipped:malformed"
    assert container.social().handle_job({"type": "other"}) is None


def test_the_followers_walk_resumes_where_its_budget_ran_out(client, easel_app):
    from chalicelib import container

    ada = signup(client)
    fans = [signup(client) for _ in range(4)]
    for f in fans:
        follow(client, f, ada)
    social = container.social()
    # A budget of 0 s: one follower per invocation, the job re-enqueues itself with its position.
    first = social.handle_job({"type": "large_account_followers", "user_id": ada["id"]}, budget_s=0)
    assert first == "large_account_followers:continued:1"
    assert sum(ada["id"] in _follows_large(f) for f in fans) == 1
    assert not UserItem.get(*UserItem.key(ada["id"]), consistent_read=True).large_account
    drain(easel_app.handle_uploads)  # the continuation(s), with the normal budget
    assert all(_follows_large(f) == {ada["id"]} for f in fans)
    assert UserItem.get(*UserItem.key(ada["id"]), consistent_read=True).large_account is True
