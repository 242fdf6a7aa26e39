"""Discovery: snapshot pages built off the request path by the scheduled handler (run here
the way the local worker runs it), read with cursors, mature work hidden or blurred, public
pages cacheable with ETag/304."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.adapters.tables import utcnow
from local.worker import ScheduleRunner
from tests.fixtures.photos import jpeg_with_gps
from tests.helpers import call, create_and_upload, drain, signup
from tests.social_helpers import seed_published_post, set_show_mature


@pytest.fixture
def rebuild(easel_app):
    runner = ScheduleRunner(easel_app.app, interval_s=0)
    # Only the discovery builder: the other schedules (the budget guard) are not under test here.
    runner.handlers = [(name, h) for name, h in runner.handlers if name == "build_discovery"]
    assert len(runner.handlers) == 1
    return runner.run_once


def _all_pages(client, token=None, max_pages=40):
    items, cursor = [], None
    for _ in range(max_pages):
        status, page, _ = call(client, "GET", "/v1/discover" + (f"?cursor={cursor}" if cursor else ""), token=token)
        assert status == 200, page
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    return items


def test_a_published_upload_appears_in_discover_after_the_scheduled_build(client, easel_app, rebuild):
    artist = signup(client)
    post_id = create_and_upload(client, artist["access_token"], jpeg_with_gps(400, 300), title="Tide pools",
                                tags=["Sea Life"])
    drain(easel_app.handle_uploads)  # the publish hook writes RECENT#<day> and TAG#sea-life
    rebuild()
    status, page, headers = call(client, "GET", "/v1/discover")
    assert status == 200
    assert post_id in [p["id"] for p in _all_pages(client)]
    assert headers["cache-control"].startswith("public") and "s-maxage=" in headers["cache-control"]
    etag = headers["etag"]
    status, body, headers304 = call(client, "GET", "/v1/discover", headers={"If-None-Match": etag})
    assert status == 304 and not body and headers304["etag"] == etag


def test_rising_older_work_is_blended_into_the_first_page(client, rebuild):
    artist = signup(client)
    old = seed_published_post(artist, title="Old but loved", created=utcnow() - timedelta(days=2),
                              likes=100_000, comments=10, reposts=5)  # outranks any other test's work in the shared endpoint
    fresh = [seed_published_post(artist, title=f"Fresh {i}") for i in range(25)]
    rebuild()
    status, page, _ = call(client, "GET", "/v1/discover")
    ids = [p["id"] for p in page["items"]]
    assert len(ids) == 20
    assert old in ids, "engagement should lift older work onto the first page"
    assert ids.index(old) == 2  # every third slot goes to rising work
    assert ids[0] == fresh[-1]  # recency still leads
    assert page["next_cursor"]


def test_cursor_pages_through_the_snapshot_without_duplicates(client, rebuild):
    artist = signup(client)
    mine = {seed_published_post(artist, title=f"Series {i}") for i in range(23)}
    rebuild()
    ids = [p["id"] for p in _all_pages(client)]
    assert len(ids) == len(set(ids))
    assert mine <= set(ids)


def test_a_tampered_or_foreign_cursor_is_refused(client, rebuild):
    artist = signup(client)
    for i in range(21):
        seed_published_post(artist, title=f"P{i}")
    rebuild()
    _, page, _ = call(client, "GET", "/v1/discover")
    cursor = page["next_cursor"]
    status, body, _ = call(client, "GET", f"/v1/discover?cursor={cursor[:-2]}xx")
    assert status == 400 and body["error"]["field"] == "cursor"
    status, body, _ = call(client, "GET", "/v1/tags/anything/posts?cursor=" + cursor)
    assert status == 400 and body["error"]["field"] == "cursor"


def test_mature_work_is_hidden_from_anonymous_and_blurred_unless_opted_in(client, rebuild):
    artist, viewer = signup(client), signup(client)
    mature = seed_published_post(artist, title="Figure study", labels=["mature"])
    plain = seed_published_post(artist, title="Still life")
    rebuild()

    anonymous = {p["id"]: p for p in _all_pages(client)}
    assert plain in anonymous and mature not in anonymous
    assert anonymous[plain]["blurred"] is False and anonymous[plain]["mature"] is False

    status, _, headers = call(client, "GET", "/v1/discover", token=viewer["access_token"])
    assert status == 200 and headers["cache-control"] == "private, no-store" and "etag" not in headers
    signed_in = {p["id"]: p for p in _all_pages(client, viewer["access_token"])}
    assert signed_in[mature]["mature"] is True and signed_in[mature]["blurred"] is True
    assert signed_in[plain]["blurred"] is False

    set_show_mature(viewer["id"], True)
    opted_in = {p["id"]: p for p in _all_pages(client, viewer["access_token"])}
    assert opted_in[mature]["blurred"] is False


def test_withdrawn_posts_drop_out_of_an_existing_snapshot(client, rebuild):
    from chalicelib.adapters.tables import PostItem

    artist = signup(client)
    gone = seed_published_post(artist, title="Soon held")
    rebuild()
    assert gone in [p["id"] for p in _all_pages(client)]
    PostItem(*PostItem.key(gone)).update(actions=[PostItem.status.set("held_for_review")])
    assert gone not in [p["id"] for p in _all_pages(client)]


def test_signed_in_discover_says_which_posts_the_viewer_liked(client, rebuild):
    artist, viewer = signup(client), signup(client)
    liked = seed_published_post(artist, title="Liked one")
    other = seed_published_post(artist, title="Not liked")
    status, body, _ = call(client, "POST", f"/v1/posts/{liked}/like", token=viewer["access_token"])
    assert status == 200, body
    rebuild()

    status, _, headers = call(client, "GET", "/v1/discover", token=viewer["access_token"])
    assert status == 200 and headers["cache-control"] == "private, no-store" and "etag" not in headers
    mine = {p["id"]: p for p in _all_pages(client, viewer["access_token"])}
    assert mine[liked]["liked_by_me"] is True and mine[other]["liked_by_me"] is False
    theirs = {p["id"]: p for p in _all_pages(client, artist["access_token"])}
    assert theirs[liked]["liked_by_me"] is False  # per viewer, not per post

    # Anonymous pages stay shareable: no viewer-specific field, public with an ETag.
    status, _, headers = call(client, "GET", "/v1/discover")
    assert headers["cache-control"].startswith("public") and headers["etag"]
    anonymous = {p["id"]: p for p in _all_pages(client)}
    assert "liked_by_me" not in anonymous[liked] and "liked_by_me" not in anonymous[other]

    call(client, "DELETE", f"/v1/posts/{liked}/like", token=viewer["access_token"])
    assert {p["id"]: p for p in _all_pages(client, viewer["access_token"])}[liked]["liked_by_me"] is False
