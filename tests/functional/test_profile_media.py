"""Avatars and banners through the posts' upload pipeline, over the moto server: presigned
upload, the one screening cascade, derivatives with the do-not-train marks, the profile views;
never in portfolios, feeds, discovery, the hash index or posts_count; replacement and removal
delete media; AI-marked images refused with the reason shown; held ones applied by a moderator's
approval; only the latest attempt applies. And the `screening` notifications of the cascade:
one per decision, also under redelivery, none for a moderator's approval."""
from __future__ import annotations

import io
import json
import os

import boto3
import pytest
from PIL import Image

from chalicelib.adapters.erasure_store import ErasureRepository
from chalicelib.adapters.screening_store import HashIndex, ImageRepository
from chalicelib.adapters.tables import PostItem, iso, utcnow
from chalicelib.adapters.tables_screening import PostImageItem
from chalicelib.adapters.tables_social import RecentItem
from chalicelib.screening.settings import ScreeningSettings
from tests.community_helpers import follow
from tests.fixtures.ai_images import a1111_png
from tests.fixtures.art import artwork, encode
from tests.functional.screening_support import moderator, use
from tests.functional.test_openapi import _validator
from tests.helpers import call, create_and_upload, drain, post_upload, s3, signup

NO_VENDOR = ScreeningSettings()


@pytest.fixture
def run(easel_app):
    return lambda: drain(easel_app.handle_uploads)


def start(client, user, kind, data, content_type="image/jpeg"):
    status, created, _ = call(client, "POST", f"/v1/me/{kind}",
                              {"content_type": content_type, "content_length": len(data)},
                              token=user["access_token"])
    assert status == 201, created
    return created


def upload(client, user, kind, data, content_type="image/jpeg"):
    created = start(client, user, kind, data, content_type)
    resp = post_upload(created["upload"], data)
    assert resp.status_code in (200, 204), resp.text
    return created["media"]["id"]


def me(client, user):
    status, body, _ = call(client, "GET", "/v1/me", token=user["access_token"])
    assert status == 200, body
    return body


def public(client, user):
    status, body, _ = call(client, "GET", f"/v1/users/{user['handle']}")
    assert status == 200, body
    return body


def objects(bucket_env, prefix):
    return [o["Key"] for o in s3().list_objects_v2(Bucket=os.environ[bucket_env], Prefix=prefix).get("Contents", [])]


def screening_notes(client, user):
    status, page, _ = call(client, "GET", "/v1/notifications?limit=50", token=user["access_token"])
    assert status == 200, page
    return [n for n in page["items"] if n["kind"] == "screening"]


def test_avatar_upload_is_screened_then_shown_with_marked_derivatives_and_nowhere_else(client, run, monkeypatch):
    use(monkeypatch, NO_VENDOR)
    artist, fan = signup(client), signup(client)
    follow(client, fan, artist)
    data = encode(artwork())
    created = start(client, artist, "avatar", data)
    media_id = created["media"]["id"]
    assert created["media"] == {"id": media_id, "kind": "avatar", "status": "awaiting_upload"}
    assert set(created["upload"]) == {"url", "fields", "expires_in"}
    assert created["upload"]["fields"]["key"] == f"uploads/{artist['id']}/{media_id}/0"
    # Before screening: nothing on the profile, the attempt is visible to its owner only.
    before = me(client, artist)
    assert before["avatar"] is None and before["banner"] is None
    assert before["profile_images"]["avatar"]["status"] == "awaiting_upload"
    assert before["profile_images"]["banner"] is None
    assert post_upload(created["upload"], data).status_code in (200, 204)
    assert public(client, artist)["avatar"] is None  # never visible before it passes screening
    run()

    mine = me(client, artist)
    avatar = mine["avatar"]
    assert avatar["id"] == media_id
    assert sorted(v["width"] for v in avatar["variants"]) == [64, 256, 512]
    assert avatar["url"] == max(avatar["variants"], key=lambda v: v["width"])["url"]
    assert mine["profile_images"]["avatar"] == {**mine["profile_images"]["avatar"], "id": media_id,
                                                "kind": "avatar", "status": "applied", "reasons": []}
    assert public(client, artist)["avatar"] == avatar and public(client, artist)["banner"] is None
    # The derivatives: WebP, no EXIF, the do-not-train XMP mark (the posts' make_derivatives).
    for variant in avatar["variants"]:
        key = variant["url"].split("/media/", 1)[1]
        assert key.startswith(f"p/{media_id}/")
        body = s3().get_object(Bucket=os.environ["MEDIA_BUCKET"], Key=key)["Body"].read()
        with Image.open(io.BytesIO(body)) as im:
            assert im.format == "WEBP" and not im.getexif()
            xmp = im.info.get("xmp", b"")
        assert b"DMI-PROHIBITED-AIMLTRAINING" in (xmp if isinstance(xmp, bytes) else xmp.encode())
    # Not a post: no portfolio, feed, discovery/tag index, hash index or posts_count.
    assert mine["posts_count"] == 0
    assert call(client, "GET", f"/v1/users/{artist['handle']}/posts")[1]["items"] == []
    assert call(client, "GET", "/v1/feed", token=fan["access_token"])[1]["items"] == []
    item = PostItem.get(*PostItem.key(media_id), consistent_read=True)
    assert item.status == "applied" and item.purpose == "avatar" and item.gsi1pk is None
    # In the owner's post ledger, so account erasure removes it with the posts.
    assert ErasureRepository().ledger_post_ids(artist["id"]) == [media_id]
    day = iso(utcnow())[:10]
    assert RecentItem.count(RecentItem.partition(day), RecentItem.sk == media_id) == 0
    image = PostImageItem.get(*PostImageItem.key(media_id, 0), consistent_read=True)
    from chalicelib.screening import hashing

    probes = hashing.probe_bands(hashing.from_hex(image.hashes["phash"]))
    assert all(c.post_id != media_id for c in HashIndex().candidates(probes))
    # The post routes do not know it: no reading, liking, reposting, pinning or deleting it as a post.
    for method, path in [("GET", f"/v1/posts/{media_id}"), ("POST", f"/v1/posts/{media_id}/like"),
                         ("POST", f"/v1/posts/{media_id}/repost"), ("DELETE", f"/v1/posts/{media_id}")]:
        status, body, _ = call(client, method, path, token=fan["access_token"] if method == "POST" else
                               artist["access_token"])
        assert status == 404, (path, body)
    status, body, _ = call(client, "PUT", "/v1/me/portfolio-order", {"post_ids": [media_id]},
                           token=artist["access_token"])
    assert status == 400 and body["error"]["code"] == "not_your_post"
    # One screening notification, about the avatar.
    notes = screening_notes(client, artist)
    assert len(notes) == 1 and notes[0]["post_id"] == media_id and notes[0]["actor"] is None
    assert notes[0]["data"] == {"decision": "published", "reasons": [], "purpose": "avatar"}


def test_a_new_avatar_replaces_the_old_one_and_deletes_its_media(client, run, monkeypatch):
    use(monkeypatch, NO_VENDOR)
    artist = signup(client)
    first = upload(client, artist, "avatar", encode(artwork()))
    run()
    assert me(client, artist)["avatar"]["id"] == first and objects("MEDIA_BUCKET", f"p/{first}/")
    second = upload(client, artist, "avatar", encode(artwork()))
    run()
    assert me(client, artist)["avatar"]["id"] == second and public(client, artist)["avatar"]["id"] == second
    assert objects("MEDIA_BUCKET", f"p/{first}/") == []
    assert objects("UPLOADS_BUCKET", f"uploads/{artist['id']}/{first}/") == []
    assert objects("MEDIA_BUCKET", f"p/{second}/")
    assert PostItem.get(*PostItem.key(first), consistent_read=True).status == "replaced"


def test_only_the_latest_attempt_is_applied(client, run, monkeypatch):
    use(monkeypatch, NO_VENDOR)
    artist = signup(client)
    older_data, newer_data = encode(artwork()), encode(artwork())
    older, newer = start(client, artist, "avatar", older_data), start(client, artist, "avatar", newer_data)
    # The newer one is screened first, the older one finishes afterwards: it must not win.
    post_upload(newer["upload"], newer_data)
    run()
    post_upload(older["upload"], older_data)
    run()
    older_id, newer_id = older["media"]["id"], newer["media"]["id"]
    assert me(client, artist)["avatar"]["id"] == newer_id
    assert PostItem.get(*PostItem.key(older_id), consistent_read=True).status == "replaced"
    assert objects("MEDIA_BUCKET", f"p/{older_id}/") == []


def test_an_ai_marked_avatar_is_refused_with_the_reason_and_the_profile_unchanged(client, run, monkeypatch):
    use(monkeypatch, NO_VENDOR)
    artist = signup(client)
    good = upload(client, artist, "avatar", encode(artwork()))
    run()
    bad = upload(client, artist, "avatar", a1111_png(), "image/png")
    run()
    mine = me(client, artist)
    assert mine["avatar"]["id"] == good and public(client, artist)["avatar"]["id"] == good
    attempt = mine["profile_images"]["avatar"]
    assert attempt["id"] == bad and attempt["status"] == "rejected" and attempt["reasons"] == ["ai_generated"]
    assert attempt["decided_at"]
    assert objects("MEDIA_BUCKET", f"p/{bad}/") == []  # no derivative was ever written
    assert objects("UPLOADS_BUCKET", f"rejected/{artist['id']}/{bad}/")  # the original moved aside, as for posts
    assert objects("UPLOADS_BUCKET", f"uploads/{artist['id']}/{bad}/") == []
    assert objects("MEDIA_BUCKET", f"p/{good}/")
    notes = {n["post_id"]: n["data"] for n in screening_notes(client, artist)}
    assert notes[bad] == {"decision": "rejected", "reasons": ["ai_generated"], "purpose": "avatar"}


def test_removing_the_avatar_clears_it_and_deletes_its_media(client, run, monkeypatch):
    use(monkeypatch, NO_VENDOR)
    artist = signup(client)
    media_id = upload(client, artist, "avatar", encode(artwork()))
    run()
    status, body, _ = call(client, "DELETE", "/v1/me/avatar", token=artist["access_token"])
    assert status == 200 and body == {"kind": "avatar", "removed": True}
    mine = me(client, artist)
    assert mine["avatar"] is None and mine["profile_images"]["avatar"] is None
    assert public(client, artist)["avatar"] is None
    assert objects("MEDIA_BUCKET", f"p/{media_id}/") == []
    assert objects("UPLOADS_BUCKET", f"uploads/{artist['id']}/{media_id}/") == []
    assert PostItem.get(*PostItem.key(media_id), consistent_read=True).status == "deleted"
    status, body, _ = call(client, "DELETE", "/v1/me/avatar", token=artist["access_token"])
    assert status == 200 and body == {"kind": "avatar", "removed": False}
    # A removal also drops a pending upload: it is never applied afterwards.
    data = encode(artwork())
    pending = start(client, artist, "avatar", data)
    call(client, "DELETE", "/v1/me/avatar", token=artist["access_token"])
    post_upload(pending["upload"], data)
    run()
    assert me(client, artist)["avatar"] is None
    assert objects("MEDIA_BUCKET", f"p/{pending['media']['id']}/") == []


def test_a_banner_has_its_own_widths_and_leaves_the_avatar_alone(client, run, monkeypatch):
    use(monkeypatch, NO_VENDOR)
    artist = signup(client)
    avatar = upload(client, artist, "avatar", encode(artwork()))
    data = encode(artwork(size=(1800, 500)))
    created = start(client, artist, "banner", data)
    _validator("/v1/me/banner", "post", 201).validate(created)
    banner = created["media"]["id"]
    post_upload(created["upload"], data)
    run()
    mine = me(client, artist)
    _validator("/v1/me", "get", 200).validate(mine)  # the documented shapes, images present
    _validator("/v1/users/{handle}", "get", 200).validate(public(client, artist))
    assert mine["avatar"]["id"] == avatar and mine["banner"]["id"] == banner
    assert sorted(v["width"] for v in mine["banner"]["variants"]) == [640, 1500]
    assert mine["banner"]["url"].endswith(f"/p/{banner}/0-1500.webp")
    assert mine["profile_images"]["banner"]["status"] == "applied"
    assert public(client, artist)["banner"] == mine["banner"]
    status, body, _ = call(client, "DELETE", "/v1/me/banner", token=artist["access_token"])
    assert status == 200 and body["removed"] is True
    _validator("/v1/me/banner", "delete", 200).validate(body)
    mine = me(client, artist)
    assert mine["banner"] is None and mine["avatar"]["id"] == avatar
    assert {n["data"]["purpose"] for n in screening_notes(client, artist)} == {"avatar", "banner"}


@pytest.mark.parametrize("payload, field, code", [
    ({"content_length": 10}, "content_type", "validation_error"),
    ({"content_type": "image/svg+xml", "content_length": 10}, "content_type", "unsupported_media_type"),
    ({"content_type": "image/jpeg", "content_length": 10**12}, "content_length", "file_too_large"),
    ({"content_type": "image/jpeg", "content_length": 0}, "content_length", "validation_error"),
    ({"content_type": "image/jpeg", "content_length": "10"}, "content_length", "validation_error"),
    ({"content_type": "image/jpeg", "content_length": 10, "title": "x"}, "title", "unknown_field"),
])
def test_profile_image_validation_names_the_field(client, payload, field, code):
    user = signup(client)
    for kind in ("avatar", "banner"):
        status, body, _ = call(client, "POST", f"/v1/me/{kind}", payload, token=user["access_token"])
        assert status == 400 and body["error"]["field"] == field and body["error"]["code"] == code, body


def test_profile_image_routes_need_a_token_and_a_json_object(client):
    for method in ("POST", "DELETE"):
        status, body, _ = call(client, method, "/v1/me/avatar", {"content_type": "image/jpeg", "content_length": 1})
        assert status == 401 and body["error"]["code"] == "missing_token"
    user = signup(client)
    status, body, _ = call(client, "POST", "/v1/me/banner", [1], token=user["access_token"])
    assert status == 400 and "error" in body


def test_a_redelivered_event_gives_one_notification(client, run, monkeypatch):
    proc = use(monkeypatch, NO_VENDOR)
    artist = signup(client)
    media_id = upload(client, artist, "avatar", encode(artwork()))
    run()
    key = f"uploads/{artist['id']}/{media_id}/0"
    # The same S3 event again, through the queue, and once more straight into the processor.
    sqs = boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
    event = {"Records": [{"eventName": "ObjectCreated:Post", "s3": {
        "bucket": {"name": os.environ["UPLOADS_BUCKET"]}, "object": {"key": key}}}]}
    sqs.send_message(QueueUrl=os.environ["UPLOAD_QUEUE_URL"], MessageBody=json.dumps(event))
    run()
    assert proc.process(os.environ["UPLOADS_BUCKET"], key).result.startswith("skipped:")
    # Two finalisers racing: the one whose conditional decide loses notifies nobody.
    stale = PostItem.get(*PostItem.key(media_id), consistent_read=True)
    stale.status = "processing"
    images = ImageRepository().list_for_post(media_id)
    assert proc.finalize(stale, images, key).result == "skipped:decided_concurrently"
    assert len(screening_notes(client, artist)) == 1
    assert me(client, artist)["avatar"]["id"] == media_id


def test_screening_notifications_for_a_published_and_a_rejected_post(client, run, monkeypatch):
    use(monkeypatch, NO_VENDOR)
    artist = signup(client)
    good = create_and_upload(client, artist["access_token"], encode(artwork()), "image/jpeg")
    bad = create_and_upload(client, artist["access_token"], a1111_png(), "image/png")
    run()
    notes = {n["post_id"]: n for n in screening_notes(client, artist)}
    assert set(notes) == {good, bad}
    assert notes[good]["data"] == {"decision": "published", "reasons": [], "purpose": "post"}
    assert notes[bad]["data"] == {"decision": "rejected", "reasons": ["ai_generated"], "purpose": "post"}
    assert all(n["actor"] is None and n["read"] is False for n in notes.values())
    status, page, _ = call(client, "GET", "/v1/notifications", token=artist["access_token"])
    assert page["unread_count"] == 2


def test_a_held_avatar_is_applied_by_a_moderators_approval(client, run, monkeypatch):
    # Every image scores as mature at threshold 0: a profile image is then held for people.
    use(monkeypatch, ScreeningSettings(nsfw_label_threshold=0.0))
    artist, mod = signup(client), moderator(client, signup(client))
    media_id = upload(client, artist, "avatar", encode(artwork()))
    run()
    mine = me(client, artist)
    assert mine["avatar"] is None
    assert mine["profile_images"]["avatar"]["status"] == "held_for_review"
    assert mine["profile_images"]["avatar"]["reasons"] == ["mature_profile_image"]
    assert objects("MEDIA_BUCKET", f"p/{media_id}/") == []
    status, page, _ = call(client, "GET", "/v1/moderation/queue?kind=held&reason=mature_profile_image&limit=50",
                           token=mod["access_token"])
    item = next(i for i in page["items"] if i["post_id"] == media_id)
    status, body, _ = call(client, "POST", f"/v1/moderation/items/{item['id']}/decision",
                           {"decision": "approve", "note": "a portrait, fine"}, token=mod["access_token"])
    assert status == 200 and body["outcome"] == "publishing", body
    run()
    mine = me(client, artist)
    assert mine["avatar"]["id"] == media_id and mine["profile_images"]["avatar"]["status"] == "applied"
    assert objects("MEDIA_BUCKET", f"p/{media_id}/")
    assert mine["posts_count"] == 0
    # The cascade notified the hold once; the approval is the moderation service's to notify.
    assert [n["data"]["decision"] for n in screening_notes(client, artist)] == ["held_for_review"]


def test_account_erasure_removes_profile_images_like_posts(client, run, monkeypatch):
    from chalicelib import container
    from tests.helpers import PASSWORD

    use(monkeypatch, NO_VENDOR)
    artist = signup(client)
    applied = upload(client, artist, "avatar", encode(artwork()))
    refused = upload(client, artist, "banner", a1111_png(), "image/png")
    run()
    assert objects("MEDIA_BUCKET", f"p/{applied}/") and objects("UPLOADS_BUCKET", f"rejected/{artist['id']}/{refused}/")
    status, body, _ = call(client, "DELETE", "/v1/me", {"password": PASSWORD}, token=artist["access_token"])
    assert status == 202, body
    run()  # pass 1; pass 2 (delayed by the token lifetime) is delivered here at once
    container.erasure().handle_job({"type": "erase_account", "user_id": artist["id"], "pass": 2})
    for media_id in (applied, refused):
        assert ErasureRepository().post(media_id) is None
        assert ImageRepository().list_for_post(media_id) == []
        assert objects("MEDIA_BUCKET", f"p/{media_id}/") == []
    assert objects("UPLOADS_BUCKET", f"uploads/{artist['id']}/") == []
    assert objects("UPLOADS_BUCKET", f"rejected/{artist['id']}/") == []
    assert ErasureRepository().ledger_post_ids(artist["id"]) == []
