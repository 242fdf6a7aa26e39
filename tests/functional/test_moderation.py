"""People in the loop, over the moto server: the queue (oldest first, filters, cursor), item
detail with a short-lived original URL and the full decision record, decisions (approve
publishes through the upload handler with derivatives and fan-out; reject; label_mature;
remove deletes media), the audit trail, 403 for non-moderators, appeals and reports."""
from __future__ import annotations

import os

import pytest
import requests
from botocore.exceptions import ClientError

from chalicelib.screening.settings import ScreeningSettings
from tests.fixtures.art import artwork, encode, resized
from tests.functional.screening_support import get_post, moderator, use
from tests.helpers import call, create_and_upload, drain, s3, signup


@pytest.fixture
def run(easel_app):
    return lambda: drain(easel_app.handle_uploads)


@pytest.fixture
def mod(client):
    return moderator(client, signup(client))


def held_repost(client, run, monkeypatch):
    """Artist A publishes; artist B uploads a resized copy -> held (possible_repost)."""
    use(monkeypatch, ScreeningSettings())
    a, b = signup(client), signup(client)
    art = artwork()
    original = create_and_upload(client, a["access_token"], encode(art), "image/jpeg")
    run()
    copy_bytes = encode(resized(art, 0.5))
    copy = create_and_upload(client, b["access_token"], copy_bytes, "image/jpeg")
    run()
    assert get_post(client, copy, b["access_token"])["status"] == "held_for_review"
    return a, b, original, copy, copy_bytes


def item_for(client, mod, post_id, kind):
    cursor = None
    for _ in range(50):
        qs = f"?kind={kind}&limit=50" + (f"&cursor={cursor}" if cursor else "")
        status, page, _ = call(client, "GET", "/v1/moderation/queue" + qs, token=mod["access_token"])
        assert status == 200, page
        for item in page["items"]:
            if item["post_id"] == post_id:
                return item
        cursor = page["next_cursor"]
        if not cursor:
            return None
    return None


def decide(client, mod, item_id, decision, note="checked", **extra):
    return call(client, "POST", f"/v1/moderation/items/{item_id}/decision",
                {"decision": decision, "note": note, **extra}, token=mod["access_token"])


def test_moderation_routes_answer_403_to_non_moderators_and_401_to_anonymous(client):
    user = signup(client)
    for method, path, body in [("GET", "/v1/moderation/queue", None), ("GET", "/v1/moderation/items/x", None),
                               ("POST", "/v1/moderation/items/x/decision", {"decision": "approve"}),
                               ("POST", "/v1/moderation/known-ai", {"phash": "0" * 16}),
                               ("GET", "/v1/moderation/known-ai", None),
                               ("DELETE", "/v1/moderation/known-ai/01HZZZZZZZZZZZZZZZZZZZZZZZ", None)]:
        status, resp, _ = call(client, method, path, body, token=user["access_token"])
        assert status == 403 and resp["error"]["code"] == "not_a_moderator", (path, resp)
        status, resp, _ = call(client, method, path, body)
        assert status == 401 and resp["error"]["code"] == "missing_token"


def test_queue_lists_held_items_oldest_first_with_filters_and_cursor(client, run, monkeypatch, mod):
    _, _, _, first, _ = held_repost(client, run, monkeypatch)
    _, _, _, second, _ = held_repost(client, run, monkeypatch)
    status, page, _ = call(client, "GET", "/v1/moderation/queue?kind=held&reason=possible_repost&limit=50",
                           token=mod["access_token"])
    assert status == 200
    ids = [i["post_id"] for i in page["items"]]
    assert ids.index(first) < ids.index(second)  # oldest first
    item = page["items"][ids.index(first)]
    assert set(item) == {"id", "kind", "post_id", "reason", "reports_count", "created_at"}
    assert item["kind"] == "held" and item["reason"] == "possible_repost"
    status, page1, _ = call(client, "GET", "/v1/moderation/queue?kind=held&limit=1", token=mod["access_token"])
    status, page2, _ = call(client, "GET", f"/v1/moderation/queue?kind=held&limit=1&cursor={page1['next_cursor']}",
                            token=mod["access_token"])
    assert status == 200 and page2["items"][0]["id"] > page1["items"][0]["id"]
    status, bad, _ = call(client, "GET", f"/v1/moderation/queue?kind=report&cursor={page1['next_cursor']}",
                          token=mod["access_token"])
    assert status == 400 and bad["error"]["field"] == "cursor"
    status, bad, _ = call(client, "GET", "/v1/moderation/queue?kind=nope", token=mod["access_token"])
    assert status == 400 and bad["error"]["field"] == "kind"


def test_item_detail_has_a_signed_original_url_and_the_decision_record(client, run, monkeypatch, mod):
    _, _, original, copy, copy_bytes = held_repost(client, run, monkeypatch)
    item = item_for(client, mod, copy, "held")
    status, detail, _ = call(client, "GET", f"/v1/moderation/items/{item['id']}", token=mod["access_token"])
    assert status == 200
    assert "X-Amz-Signature" in detail["original_url"] and "X-Amz-Expires=300" in detail["original_url"]
    assert requests.get(detail["original_url"], timeout=10).content == copy_bytes
    record = detail["decision_record"]["images"][0]["record"]
    assert record["details"]["match"]["post_id"] == original
    assert record["thresholds"]["repost_max_distance"] == 7
    assert record["detectors"]["phash"] and record["detectors"]["nsfw"]
    assert record["signals"]["vendor_skipped"] == "decided_by_earlier_step"


def test_approve_publishes_through_the_handler_with_derivatives_and_fanout(client, run, monkeypatch, mod):
    _, thief, _, copy, _ = held_repost(client, run, monkeypatch)
    fan = signup(client)
    call(client, "POST", f"/v1/users/{thief['handle']}/follow", token=fan["access_token"])
    item = item_for(client, mod, copy, "held")
    status, resp, _ = decide(client, mod, item["id"], "approve", note="a study after the original, credited")
    assert status == 200 and resp["outcome"] == "publishing" and resp["item"]["status"] == "decided"
    assert get_post(client, copy, thief["access_token"])["status"] == "processing"
    run()
    post = get_post(client, copy)
    assert post["status"] == "published" and post["images"][0]["variants"]
    status, feed, _ = call(client, "GET", "/v1/feed", token=fan["access_token"])
    assert copy in [p["id"] for p in feed["items"]]
    assert item_for(client, mod, copy, "held") is None  # left the queue
    status, again, _ = decide(client, mod, item["id"], "reject")
    assert status == 409 and again["error"]["code"] == "already_decided"
    status, detail, _ = call(client, "GET", f"/v1/moderation/items/{item['id']}", token=mod["access_token"])
    assert [a["action"] for a in detail["audit"]] == ["held:approve"]
    assert detail["audit"][0]["actor_id"] == mod["id"] and detail["audit"][0]["note"].startswith("a study")


def test_label_mature_publishes_with_the_label(client, run, monkeypatch, mod):
    _, thief, _, copy, _ = held_repost(client, run, monkeypatch)
    item = item_for(client, mod, copy, "held")
    assert decide(client, mod, item["id"], "label_mature")[0] == 200
    run()
    post = get_post(client, copy)
    assert post["status"] == "published" and post["labels"] == ["mature"]


def test_reject_then_appeal_once_then_approve_comes_back_to_the_author(client, run, monkeypatch, mod):
    _, thief, _, copy, _ = held_repost(client, run, monkeypatch)
    item = item_for(client, mod, copy, "held")
    status, resp, _ = decide(client, mod, item["id"], "reject", note="same as the earlier post")
    assert status == 200 and resp["post"]["status"] == "rejected"
    other = signup(client)
    status, resp, _ = call(client, "POST", f"/v1/posts/{copy}/appeal", {"statement": "mine"},
                           token=other["access_token"])
    assert status == 404
    status, resp, _ = call(client, "POST", f"/v1/posts/{copy}/appeal", {"statement": "It is my own work",
                           "evidence_urls": ["https://example.com/wip.mp4"]}, token=thief["access_token"])
    assert status == 201 and resp["appeal"]["status"] == "open"
    status, resp, _ = call(client, "POST", f"/v1/posts/{copy}/appeal", {"statement": "again"},
                           token=thief["access_token"])
    assert status == 409 and resp["error"]["code"] == "appeal_open"
    status, resp, _ = call(client, "POST", f"/v1/posts/{copy}/appeal", {"statement": "x", "evidence_urls": ["ftp://x"]},
                           token=thief["access_token"])
    assert status == 400 and resp["error"]["field"] == "evidence_urls"
    appeal = item_for(client, mod, copy, "appeal")
    assert appeal["reason"] == "rejected"
    status, detail, _ = call(client, "GET", f"/v1/moderation/items/{appeal['id']}", token=mod["access_token"])
    assert detail["appeal"]["evidence_urls"] == ["https://example.com/wip.mp4"]
    assert requests.get(detail["original_url"], timeout=10).status_code == 200  # moved aside, still viewable
    assert decide(client, mod, appeal["id"], "approve", note="process video convinces")[0] == 200
    run()
    assert get_post(client, copy)["status"] == "published"
    status, mine, _ = call(client, "GET", f"/v1/posts/{copy}/appeal", token=thief["access_token"])
    assert mine["items"][0]["decision"] == "approve" and mine["items"][0]["note"] == "process video convinces"
    post = get_post(client, copy, thief["access_token"])
    # The approval that published it is in the author's view of the post, with its note (issue 14).
    assert [m["decision"] for m in post["screening"]["moderation"]] == ["reject", "approve"]
    assert post["screening"]["moderation"][0]["note"] == "same as the earlier post"
    assert post["screening"]["moderation"][1]["note"] == "process video convinces"
    assert post["screening"]["moderation"][1]["kind"] == "appeal"


def test_only_rejected_held_or_labelled_posts_can_be_appealed(client, run, monkeypatch):
    use(monkeypatch, ScreeningSettings())
    artist = signup(client)
    post_id = create_and_upload(client, artist["access_token"], encode(artwork()), "image/jpeg")
    run()
    status, resp, _ = call(client, "POST", f"/v1/posts/{post_id}/appeal", {"statement": "why"},
                           token=artist["access_token"])
    assert status == 409 and resp["error"]["code"] == "not_appealable"


def test_remove_hides_the_post_and_deletes_its_media(client, run, monkeypatch, mod):
    use(monkeypatch, ScreeningSettings())
    artist, reporter = signup(client), signup(client)
    post_id = create_and_upload(client, artist["access_token"], encode(artwork()), "image/jpeg")
    run()
    media_keys = [v["url"].split("/media/", 1)[1] for v in get_post(client, post_id)["images"][0]["variants"]]
    bucket = os.environ["MEDIA_BUCKET"]
    assert all(s3().head_object(Bucket=bucket, Key=k) for k in media_keys)
    call(client, "POST", f"/v1/posts/{post_id}/report", {"reason": "harassment", "details": "targets a person"},
         token=reporter["access_token"])
    item = item_for(client, mod, post_id, "report")
    status, resp, _ = decide(client, mod, item["id"], "remove", note="harassment")
    assert status == 200 and resp["post"]["status"] == "removed"
    status, _, _ = call(client, "GET", f"/v1/posts/{post_id}")
    assert status == 404
    for key in media_keys:
        with pytest.raises(ClientError):
            s3().head_object(Bucket=bucket, Key=key)
    with pytest.raises(ClientError):  # the original too
        s3().head_object(Bucket=os.environ["UPLOADS_BUCKET"], Key=f"uploads/{artist['id']}/{post_id}/0")
    status, profile, _ = call(client, "GET", f"/v1/users/{artist['handle']}")
    assert profile["posts_count"] == 0
    assert get_post(client, post_id, artist["access_token"])["status"] == "removed"


def test_reports_collapse_per_post_and_count_distinct_reporters(client, run, monkeypatch, mod):
    use(monkeypatch, ScreeningSettings())
    artist, r1, r2 = signup(client), signup(client), signup(client)
    post_id = create_and_upload(client, artist["access_token"], encode(artwork()), "image/jpeg")
    status, resp, _ = call(client, "POST", f"/v1/posts/{post_id}/report", {"reason": "stolen"},
                           token=r1["access_token"])
    assert status == 404  # not published yet
    run()
    status, resp, _ = call(client, "POST", f"/v1/posts/{post_id}/report", {"reason": "stolen"})
    assert status == 401
    status, resp, _ = call(client, "POST", f"/v1/posts/{post_id}/report", {"reason": "ugly"}, token=r1["access_token"])
    assert status == 400 and resp["error"]["field"] == "reason"
    for user, reason in ((r1, "ai_generated"), (r1, "ai_generated"), (r2, "stolen"), (r1, "other")):
        status, resp, _ = call(client, "POST", f"/v1/posts/{post_id}/report", {"reason": reason},
                               token=user["access_token"])
        assert status == 201
    item = item_for(client, mod, post_id, "report")
    assert item["reports_count"] == 2 and item["reason"] == "ai_generated"
    status, page, _ = call(client, "GET", "/v1/moderation/queue?kind=report&reason=ai_generated&limit=50",
                           token=mod["access_token"])
    assert [i["id"] for i in page["items"]].count(item["id"]) == 1
    status, resp, _ = decide(client, mod, item["id"], "label_mature")
    assert status == 200 and resp["outcome"] == "labels_updated"
    assert get_post(client, post_id)["labels"] == ["mature"]


def test_reject_with_known_ai_flag_refuses_later_copies(client, run, monkeypatch, mod):
    use(monkeypatch, ScreeningSettings())
    artist, other, reporter = signup(client), signup(client), signup(client)
    art = artwork()
    post_id = create_and_upload(client, artist["access_token"], encode(art), "image/jpeg")
    run()
    call(client, "POST", f"/v1/posts/{post_id}/report", {"reason": "ai_generated"}, token=reporter["access_token"])
    item = item_for(client, mod, post_id, "report")
    status, resp, _ = decide(client, mod, item["id"], "reject", note="generator output", known_ai=True)
    assert status == 200 and resp["post"]["status"] == "rejected"
    assert get_post(client, post_id, artist["access_token"])["status"] == "rejected"
    later = create_and_upload(client, other["access_token"], encode(resized(art, 0.7)), "image/jpeg")
    run()
    post = get_post(client, later, other["access_token"])
    assert post["status"] == "rejected" and post["screening"]["reasons"] == ["known_ai_image"]


def test_known_ai_route_validates_and_adds(client, mod):
    status, resp, _ = call(client, "POST", "/v1/moderation/known-ai", {"phash": "xyz"}, token=mod["access_token"])
    assert status == 400 and resp["error"]["field"] == "phash"
    status, resp, _ = call(client, "POST", "/v1/moderation/known-ai", {"phash": "00ff00ff00ff00ff", "note": "n"},
                           token=mod["access_token"])
    assert status == 201 and resp["phash"] == "00ff00ff00ff00ff"


def moderation_notes(client, user):
    status, body, _ = call(client, "GET", "/v1/notifications?limit=50", token=user["access_token"])
    assert status == 200, body
    return [n for n in body["items"] if n["kind"] == "moderation"]


def test_a_held_decision_notifies_the_author_exactly_once_without_the_moderator(client, run, monkeypatch, mod):
    _, thief, _, copy, _ = held_repost(client, run, monkeypatch)
    assert moderation_notes(client, thief) == []
    item = item_for(client, mod, copy, "held")
    assert decide(client, mod, item["id"], "approve", note="credited study")[0] == 200
    assert decide(client, mod, item["id"], "reject")[0] == 409  # lost the race: no second notification
    run()  # publishing through the upload handler adds no moderation notification
    [note] = moderation_notes(client, thief)
    assert note["post_id"] == copy and note["actor"] is None
    assert note["data"]["decision"] == "approve" and note["data"]["item_kind"] == "held"
    assert note["data"]["outcome"] == "publishing" and note["data"]["reasons"] == ["possible_repost"]
    assert note["data"]["note"] == "credited study"
    assert mod["id"] not in str(note) and mod["handle"] not in str(note)
    assert moderation_notes(client, mod) == []


def test_reject_and_the_appeal_decisions_each_notify_once(client, run, monkeypatch, mod):
    _, thief, _, copy, _ = held_repost(client, run, monkeypatch)
    item = item_for(client, mod, copy, "held")
    assert decide(client, mod, item["id"], "reject", note="é" * 1990)[0] == 200  # a long note is cut to fit
    [rejected] = moderation_notes(client, thief)
    assert rejected["data"]["decision"] == "reject" and rejected["data"]["status"] == "rejected"
    assert rejected["data"]["note"].endswith("…") and len(rejected["data"]["note"]) <= 501

    call(client, "POST", f"/v1/posts/{copy}/appeal", {"statement": "mine"}, token=thief["access_token"])
    appeal = item_for(client, mod, copy, "appeal")
    assert decide(client, mod, appeal["id"], "reject", note="not convinced")[0] == 200
    notes = moderation_notes(client, thief)
    assert [(n["data"]["item_kind"], n["data"]["outcome"]) for n in notes] == [
        ("appeal", "appeal_denied"), ("held", "rejected")]

    call(client, "POST", f"/v1/posts/{copy}/appeal", {"statement": "video attached"}, token=thief["access_token"])
    appeal = item_for(client, mod, copy, "appeal")
    assert decide(client, mod, appeal["id"], "approve", note="process video convinces")[0] == 200
    run()
    notes = moderation_notes(client, thief)
    assert len(notes) == 3 and notes[0]["data"]["decision"] == "approve"
    assert notes[0]["data"]["item_kind"] == "appeal" and notes[0]["data"]["reasons"] == ["rejected"]


def test_report_decisions_notify_the_author_only_when_the_post_changes(client, run, monkeypatch, mod):
    use(monkeypatch, ScreeningSettings())
    artist, reporter = signup(client), signup(client)
    post_id = create_and_upload(client, artist["access_token"], encode(artwork()), "image/jpeg")
    run()
    call(client, "POST", f"/v1/posts/{post_id}/report", {"reason": "stolen"}, token=reporter["access_token"])
    item = item_for(client, mod, post_id, "report")
    assert decide(client, mod, item["id"], "approve", note="no evidence")[1]["outcome"] == "report_dismissed"
    assert moderation_notes(client, artist) == []  # a dismissed report changes nothing for the author

    call(client, "POST", f"/v1/posts/{post_id}/report", {"reason": "harassment"}, token=reporter["access_token"])
    item = item_for(client, mod, post_id, "report")
    assert decide(client, mod, item["id"], "remove", note="targets a person")[0] == 200
    [note] = moderation_notes(client, artist)
    assert note["data"] == {"decision": "remove", "outcome": "removed", "item_kind": "report",
                            "reasons": ["harassment"], "note": "targets a person", "status": "removed",
                            "labels": []}
    assert reporter["id"] not in str(note) and reporter["handle"] not in str(note)
    assert moderation_notes(client, reporter) == []  # reporters are not told outcomes (docs/screening.md)


def known_ai_entries(client, mod, wanted, max_pages=40):
    """Pages the (shared) known-AI list newest first until every wanted id was seen."""
    found, cursor, seen_ids = {}, None, []
    for _ in range(max_pages):
        qs = "?limit=5" + (f"&cursor={cursor}" if cursor else "")
        status, page, headers = call(client, "GET", "/v1/moderation/known-ai" + qs, token=mod["access_token"])
        assert status == 200, page
        assert headers["cache-control"] == "private, no-store"
        seen_ids += [e["id"] for e in page["items"]]
        found.update({e["id"]: e for e in page["items"] if e["id"] in wanted})
        cursor = page["next_cursor"]
        if not cursor or set(wanted) <= set(found):
            break
    assert seen_ids == sorted(seen_ids, reverse=True)  # newest first (ULIDs)
    return found


def test_known_ai_entries_are_listed_and_a_deleted_entry_stops_matching(client, run, monkeypatch, mod):
    from chalicelib.screening.hashing import hash_bytes, to_hex

    use(monkeypatch, ScreeningSettings())
    artist = signup(client)
    art = artwork()
    phash = to_hex(hash_bytes(encode(art)).phash)
    status, added, _ = call(client, "POST", "/v1/moderation/known-ai", {"phash": phash, "note": "generator demo"},
                            token=mod["access_token"])
    assert status == 201
    status, other, _ = call(client, "POST", "/v1/moderation/known-ai", {"phash": "0123456789abcdef"},
                            token=mod["access_token"])
    listed = known_ai_entries(client, mod, {added["id"], other["id"]})
    entry = listed[added["id"]]
    assert entry["phash"] == phash and entry["note"] == "generator demo" and entry["backfilled"] is False
    assert entry["added_by"] == {"id": mod["id"], "handle": mod["handle"]} and entry["source_post_id"] is None
    assert listed[other["id"]]["note"] is None

    refused = create_and_upload(client, artist["access_token"], encode(resized(art, 0.5)), "image/jpeg")
    run()
    assert get_post(client, refused, artist["access_token"])["screening"]["reasons"] == ["known_ai_image"]

    status, resp, _ = call(client, "DELETE", f"/v1/moderation/known-ai/{added['id']}", token=mod["access_token"])
    assert status == 200 and resp == {"id": added["id"], "deleted": True}
    status, resp, _ = call(client, "DELETE", f"/v1/moderation/known-ai/{added['id']}", token=mod["access_token"])
    assert status == 404 and resp["error"]["code"] == "not_found"
    assert call(client, "DELETE", "/v1/moderation/known-ai/not-an-id", token=mod["access_token"])[0] == 404
    assert added["id"] not in known_ai_entries(client, mod, {added["id"]}, max_pages=3)

    again = create_and_upload(client, artist["access_token"], encode(resized(art, 0.5)), "image/jpeg")
    run()
    post = get_post(client, again, artist["access_token"])
    assert post["status"] == "published", post["screening"]
    assert "known_ai_image" not in post["screening"]["reasons"]
    status, page, _ = call(client, "GET", "/v1/moderation/known-ai?cursor=x.y", token=mod["access_token"])
    assert status == 400 and page["error"]["field"] == "cursor"

    from chalicelib.adapters.screening_store import AuditRepository

    [deleted] = [a for a in AuditRepository().list_for_post("-") if a.action == "known_ai:delete"
                 and (a.detail or {}).get("entry_id") == added["id"]]
    assert deleted.actor_id == mod["id"] and deleted.detail["phash"] == phash and deleted.detail["bands_removed"] == 4


def test_a_known_ai_entry_from_a_decision_lists_its_post_and_is_deletable(client, run, monkeypatch, mod):
    use(monkeypatch, ScreeningSettings())
    artist, reporter = signup(client), signup(client)
    post_id = create_and_upload(client, artist["access_token"], encode(artwork()), "image/jpeg")
    run()
    call(client, "POST", f"/v1/posts/{post_id}/report", {"reason": "ai_generated"}, token=reporter["access_token"])
    item = item_for(client, mod, post_id, "report")
    assert decide(client, mod, item["id"], "reject", note="generator output", known_ai=True)[0] == 200
    status, page, _ = call(client, "GET", "/v1/moderation/known-ai?limit=10", token=mod["access_token"])
    mine = [e for e in page["items"] if e["source_post_id"] == post_id]
    assert len(mine) == 2 and {e["note"] for e in mine} == {"generator output"}  # the hash and its mirror
    for e in mine:
        assert call(client, "DELETE", f"/v1/moderation/known-ai/{e['id']}", token=mod["access_token"])[0] == 200
    status, detail, _ = call(client, "GET", f"/v1/moderation/items/{item['id']}", token=mod["access_token"])
    assert [a["action"] for a in detail["audit"]].count("known_ai:delete") == 2  # in the post's own trail


def test_entries_made_before_entry_records_are_backfilled_or_deleted_by_phash(client, mod):
    """Older entries have band items only. `python -m local.admin backfill-known-ai` (a one-off
    Scan) makes them listable; until then DELETE finds one by its pHash."""
    from chalicelib.adapters.screening_store import KnownAiIndex
    from chalicelib.adapters.tables import iso, utcnow
    from chalicelib.adapters.tables_screening import KnownAiBandItem
    from chalicelib.screening.hashing import band_hex, bands, from_hex, probe_bands
    from ulid import ULID

    def legacy(phash):  # what KnownAiIndex.add wrote before entry records existed
        entry_id = str(ULID())
        for number, band in enumerate(bands(from_hex(phash))):
            KnownAiBandItem(*KnownAiBandItem.key(number, band_hex(band), entry_id), phash=phash, entry_id=entry_id,
                            note="old", added_by=mod["id"], created_at=iso(utcnow())).save()
        return entry_id

    def matches(phash):
        return [c.entry_id for c in KnownAiIndex().candidates(probe_bands(from_hex(phash)))]

    old_a, old_b = legacy("a1b2c3d4e5f60718"), legacy("0f1e2d3c4b5a6978")
    assert old_a not in known_ai_entries(client, mod, {old_a}, max_pages=3)
    status, resp, _ = call(client, "DELETE", f"/v1/moderation/known-ai/{old_b}", token=mod["access_token"])
    assert status == 404 and "phash" in resp["error"]["message"]
    status, resp, _ = call(client, "DELETE", f"/v1/moderation/known-ai/{old_b}?phash=ffffffffffffffff",
                           token=mod["access_token"])
    assert status == 404  # not that entry's hash
    assert old_b in matches("0f1e2d3c4b5a6978")
    status, resp, _ = call(client, "DELETE", f"/v1/moderation/known-ai/{old_b}?phash=0F1E2D3C4B5A6978",
                           token=mod["access_token"])
    assert status == 200 and old_b not in matches("0f1e2d3c4b5a6978")

    assert KnownAiIndex().backfill_entries() >= 1
    assert KnownAiIndex().backfill_entries() == 0  # idempotent
    entry = known_ai_entries(client, mod, {old_a})[old_a]
    assert entry["backfilled"] is True and entry["note"] == "old" and entry["added_by"]["id"] == mod["id"]
    assert call(client, "DELETE", f"/v1/moderation/known-ai/{old_a}", token=mod["access_token"])[0] == 200
    assert old_a not in matches("a1b2c3d4e5f60718")


def test_a_decision_whose_effect_fails_reopens_the_item(client, run, monkeypatch, mod):
    """The item is closed first (two moderators cannot both act); if applying the decision then
    fails, the item is open again and the decision can be retried. Moto cannot throttle, so the
    failure comes from a post-operations collaborator that raises Unavailable (the store's
    translation of throttling) — a stand-in at the service boundary, not a patched boto3."""
    from chalicelib.adapters.screening_store import PostModerationOps
    from chalicelib.errors import Unavailable
    from chalicelib.services.moderation import moderation_service
    from chalicelib.services.tokens import Principal

    class ThrottledOps(PostModerationOps):
        def reopen_for_publish(self, post, *, approval):  # type: ignore[override]
            raise Unavailable()

    _, _, _, copy, _ = held_repost(client, run, monkeypatch)
    item = item_for(client, mod, copy, "held")
    import copy as copying

    service = copying.copy(moderation_service())  # the shared instance stays as it is
    service.post_ops = ThrottledOps()
    principal = Principal(user_id=mod["id"], handle=mod["handle"], session_id="s", roles=frozenset({"moderator"}))
    with pytest.raises(Unavailable):
        service.decide(principal, item["id"], {"decision": "approve", "note": "fine"})
    assert item_for(client, mod, copy, "held") is not None  # back in the queue
    status, detail, _ = call(client, "GET", f"/v1/moderation/items/{item['id']}", token=mod["access_token"])
    assert status == 200 and detail["status"] == "open", detail
    # The retry through the API goes through and publishes.
    status, body, _ = decide(client, mod, item["id"], "approve")
    assert status == 200 and body["outcome"] == "publishing", body
    run()
    assert get_post(client, copy, mod["access_token"])["status"] == "published"
