"""The meter in the code path: every request and handler invocation writes ONE usage row
(hour, shard, feature, user) whose DynamoDB units follow the published sizing rules — moto's
ConsumedCapacity is a constant and is never read."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib import metering
from chalicelib.adapters.costs_store import UsageRepository
from chalicelib.adapters.tables import utcnow
from tests.fixtures.photos import jpeg_with_gps
from tests.helpers import call, create_and_upload, drain, signup

SHARDS = 4


def usage(feature: str, user: str) -> dict[str, float]:
    now = utcnow()
    totals: dict[str, float] = {}
    for hour in {now.strftime("%Y%m%d%H"), (now - timedelta(hours=1)).strftime("%Y%m%d%H")}:
        for f, u, counters in UsageRepository().hour_rows(hour, SHARDS):
            if f == feature and u == user:
                for k, v in counters.items():
                    totals[k] = totals.get(k, 0.0) + v
    return totals


def delta(before: dict, after: dict) -> dict:
    return {k: round(after.get(k, 0) - before.get(k, 0), 6) for k in set(before) | set(after)
            if round(after.get(k, 0) - before.get(k, 0), 6)}


def test_anonymous_profile_read_is_one_invocation_with_two_eventually_consistent_reads(client):
    user = signup(client)
    feature = "GET /v1/users/{handle}"
    before = usage(feature, "system")
    status, _, _ = call(client, "GET", f"/v1/users/{user['handle']}")
    assert status == 200
    d = delta(before, usage(feature, "system"))
    # Handle lookup + profile: two GetItems of items < 4 KB, eventually consistent = 0.5 RRU each.
    assert d["n"] == 1 and d["ar"] == 1 and d["lr"] == 1
    assert d["rru"] == 1.0 and "wru" not in d
    assert d["mw"] == 1  # the meter's own write: one UpdateItem of a < 1 KB row
    assert d["gbms"] >= 0.5  # at least 1 ms x 512 MB
    assert d["usd"] > 0 and d["lb"] > 0


def test_follow_is_attributed_to_the_acting_user_with_transaction_and_index_units(client):
    artist, fan = signup(client), signup(client)
    status, _, _ = call(client, "POST", f"/v1/users/{artist['handle']}/follow", token=fan["access_token"])
    assert status == 200
    d = usage("POST /v1/users/{handle}/follow", fan["id"])
    # The edge alone, conditionally (PutItem <1 KB = 1 WRU) plus its KEYS_ONLY gsi1 entry (1 WRU);
    # then the two counters, each a plain UpdateItem ADD outside any transaction (1 WRU each;
    # docs/data-model.md, hot counters); the follow notification: its item (1 WRU) and the
    # followee's unread counter (1 WRU); the follower's feed state (the followee out of
    # `unfollowed`: 1 WRU, docs/feeds.md).
    assert d["wru"] == 7
    # handle + user GetItems, portfolio Query on gsi1 (empty: minimum 0.5), profile re-read = 2.0;
    # the block check both ways (one BatchGetItem, 2 x 0.5) and the notification's block check
    # (0.5) = 1.5.
    assert d["rru"] == 3.5
    assert d["n"] == 1


def test_upload_handler_invocation_meters_s3_and_the_post_view_estimates_cdn_bytes(client, easel_app):
    artist = signup(client)
    post_id = create_and_upload(client, artist["access_token"], jpeg_with_gps(1600, 1000))
    drain(easel_app.handle_uploads)
    d = usage("handle_uploads", "system")
    assert d["n"] >= 1 and d["s3p"] >= 1 + 3  # the original's upload + one PUT per derivative
    assert d["s3b"] > 0 and d["gbms"] > 0 and d["wru"] > 0 and "ar" not in d

    status, post, _ = call(client, "GET", f"/v1/posts/{post_id}")
    assert status == 200 and post["status"] == "published"
    d = usage("GET /v1/posts/{post_id}", "system")
    from chalicelib.adapters.tables import PostItem

    variants = PostItem.get(*PostItem.key(post_id)).images[0]["variants"]
    large = max((v for v in variants if v["width"] <= 1280), key=lambda v: v["width"])
    assert d["mb"] >= large["bytes"] and d["mr"] >= 1  # estimated CDN egress of the large view


def test_vendor_calls_and_media_are_recorded_on_the_current_invocation():
    captured = []
    token = metering.start("screening", user="u1")
    metering.record_vendor_call(0.001)
    metering.record_vendor_call(0.001)
    inv = metering.finish(token, memory_mb=2048, api_request=False, sink=captured.append)
    assert captured == [inv]
    assert inv.counters["vc"] == 2 and inv.counters["vu"] == pytest.approx(0.002)
    assert inv.counters["gbms"] >= 2 and "ar" not in inv.counters
    metering.record_vendor_call(1.0)  # outside an invocation: ignored, never raises


def test_a_failing_sink_never_fails_the_invocation():
    def broken(_inv):
        raise RuntimeError("table gone")

    token = metering.start("x")
    assert metering.finish(token, memory_mb=128, api_request=True, sink=broken) is not None


def test_a_warm_container_folds_its_invocations_into_one_batch_write(client, monkeypatch):
    """METER_FLUSH_EVERY=3 (deployed: infra/stages.py): two requests stay in memory, the third
    writes one item holding all three; the batch's WRU are shared as `mw` (summing to them)."""
    user = signup(client)
    feature = "GET /v1/users/{handle}"
    metering.flush()
    monkeypatch.setenv("METER_FLUSH_EVERY", "3")
    monkeypatch.setenv("METER_FLUSH_MAX_AGE_S", "600")
    before = usage(feature, "system")
    for expected_n in (0, 0, 3):
        status, _, _ = call(client, "GET", f"/v1/users/{user['handle']}")
        assert status == 200
        d = delta(before, usage(feature, "system"))
        assert d.get("n", 0) == expected_n
    assert d["rru"] == 3.0 and d["ar"] == 3
    # One PutItem of < 1 KB for three invocations: 1 WRU shared among them.
    assert d["mw"] == pytest.approx(1.0, abs=1e-5)
    # What is left in memory is written by flush() (the local worker calls it when idle).
    status, _, _ = call(client, "GET", f"/v1/users/{user['handle']}")
    assert delta(before, usage(feature, "system"))["n"] == 3
    metering.flush()
    assert delta(before, usage(feature, "system"))["n"] == 4
