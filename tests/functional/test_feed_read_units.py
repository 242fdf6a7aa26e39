"""Feed read units (issue 15): a page of publication fan-out entries reads the entries, the
viewer's item, the posts and ONE feed-state item — no follow, mute or like edge per entry — and
the viewer's mutes, unfollows, blocks and likes still show at once."""
from __future__ import annotations

from datetime import timedelta

from chalicelib import metering
from chalicelib.adapters.costs_store import UsageRepository
from chalicelib.adapters.tables import utcnow
from tests.fixtures.photos import jpeg_with_gps
from tests.helpers import call, create_and_upload, drain, signup

FEATURE = "GET /v1/feed"


def _usage(user: str) -> dict[str, float]:
    metering.flush()
    now = utcnow()
    out: dict[str, float] = {}
    for hour in {now.strftime("%Y%m%d%H"), (now - timedelta(hours=1)).strftime("%Y%m%d%H")}:
        for f, u, counters in UsageRepository().hour_rows(hour, 4):
            if f == FEATURE and u == user:
                for k, v in counters.items():
                    out[k] = out.get(k, 0.0) + v
    return out


def _feed(client, fan) -> list[dict]:
    status, body, _ = call(client, "GET", "/v1/feed?limit=20", token=fan["access_token"])
    assert status == 200, body
    return body["items"]


def test_feed_page_reads_one_state_item_and_reflects_mutes_unfollows_blocks_and_likes(client, easel_app):
    a, b, fan = signup(client), signup(client), signup(client)
    for artist in (a, b):
        assert call(client, "POST", f"/v1/users/{artist['handle']}/follow", token=fan["access_token"])[0] == 200
    posts = {artist["id"]: [create_and_upload(client, artist["access_token"], jpeg_with_gps(), title=f"t{i}")
                            for i in range(2)] for artist in (a, b)}
    drain(easel_app.handle_uploads)

    assert len(_feed(client, fan)) == 4  # the first page also builds the state item (once)
    before = _usage(fan["id"])
    items = _feed(client, fan)
    d = {k: _usage(fan["id"]).get(k, 0) - before.get(k, 0) for k in ("n", "rru")}
    assert len(items) == 4 and d["n"] == 1
    # Query of the entries (< 4 KB: 0.5) + the viewer's item (0.5) + BatchGetItem of 4 posts and
    # the state item (5 x 0.5). Per-entry edges would have added 2 follows + 4 likes + 2 mutes.
    assert d["rru"] == 3.5

    liked = posts[a["id"]][0]
    assert call(client, "POST", f"/v1/posts/{liked}/like", token=fan["access_token"])[0] == 200
    assert {i["id"]: i["liked_by_me"] for i in _feed(client, fan)}[liked] is True
    assert call(client, "DELETE", f"/v1/posts/{liked}/like", token=fan["access_token"])[0] == 200
    assert {i["id"]: i["liked_by_me"] for i in _feed(client, fan)}[liked] is False

    assert call(client, "POST", f"/v1/users/{b['handle']}/mute", token=fan["access_token"])[0] == 200
    assert {i["author"]["id"] for i in _feed(client, fan)} == {a["id"]}
    assert call(client, "DELETE", f"/v1/users/{b['handle']}/mute", token=fan["access_token"])[0] == 200
    assert len(_feed(client, fan)) == 4

    assert call(client, "DELETE", f"/v1/users/{a['handle']}/follow", token=fan["access_token"])[0] == 200
    assert {i["author"]["id"] for i in _feed(client, fan)} == {b["id"]}
    assert call(client, "POST", f"/v1/users/{a['handle']}/follow", token=fan["access_token"])[0] == 200
    assert len(_feed(client, fan)) == 4

    assert call(client, "POST", f"/v1/users/{b['handle']}/block", token=fan["access_token"])[0] == 200
    assert {i["author"]["id"] for i in _feed(client, fan)} == {a["id"]}


def test_mutes_made_before_the_state_item_existed_still_hide(client, easel_app):
    """A user whose mutes predate the state item: the first page builds it from the mute edges."""
    from chalicelib.adapters.community_store import RelationRepository
    from chalicelib.adapters.feed_state_store import FeedStateItem

    a, fan = signup(client), signup(client)
    assert call(client, "POST", f"/v1/users/{a['handle']}/follow", token=fan["access_token"])[0] == 200
    create_and_upload(client, a["access_token"], jpeg_with_gps())
    drain(easel_app.handle_uploads)
    RelationRepository().mute(fan["id"], a["id"], utcnow().isoformat())  # the edge only, as before
    FeedStateItem(*FeedStateItem.key(fan["id"])).delete()
    assert _feed(client, fan) == []
    assert a["id"] in (FeedStateItem.get(*FeedStateItem.key(fan["id"])).muted or set())
