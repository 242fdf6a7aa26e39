"""The slice end to end inside the test process: post -> presigned POST to moto over HTTP ->
S3 notification -> SQS -> the Lambda handler (via the local worker) -> decision -> fan-out ->
feed. Only the HTTP API client is in-process (chalice.test.Client); AWS is the moto server."""
from __future__ import annotations

import base64
import io
import json
import os

import boto3
import pytest
from PIL import Image

from chalicelib.images.credentials import read_manifest
from tests.fixtures.ai_images import a1111_png
from tests.fixtures.photos import jpeg_with_gps
from tests.helpers import call, create_and_upload, drain, post_upload, s3, signup


@pytest.fixture
def run_worker(easel_app):
    return lambda: drain(easel_app.handle_uploads)


def _feed(client, token, **params):
    qs = "&".join(f"{k}={v}" for k, v in params.items())
    return call(client, "GET", "/v1/feed" + (f"?{qs}" if qs else ""), token=token)


def test_create_post_requires_a_token(client):
    status, body, _ = call(client, "POST", "/v1/posts", {"title": "x", "content_type": "image/png",
                                                          "content_length": 10})
    assert status == 401 and body["error"]["code"] == "missing_token"


@pytest.mark.parametrize("payload, field, code", [
    ({"content_type": "image/png", "content_length": 10}, "title", "validation_error"),
    ({"title": "x", "content_type": "image/tiff", "content_length": 10}, "content_type", "unsupported_media_type"),
    ({"title": "x", "content_type": "text/html", "content_length": 10}, "content_type", "unsupported_media_type"),
    ({"title": "x", "content_type": "image/png", "content_length": 50 * 1024 * 1024 + 1}, "content_length",
     "file_too_large"),
    ({"title": "x", "content_type": "image/png", "content_length": 0}, "content_length", "validation_error"),
    ({"title": "x", "content_type": "image/png", "content_length": "12"}, "content_length", "validation_error"),
    ({"title": "x", "content_type": "image/png", "content_length": 10, "tags": "art"}, "tags", "validation_error"),
])
def test_bad_post_declarations_are_refused_at_once(client, payload, field, code):
    user = signup(client)
    status, body, _ = call(client, "POST", "/v1/posts", payload, token=user["access_token"])
    assert status == 400, body
    assert body["error"]["field"] == field and body["error"]["code"] == code


def test_presigned_post_pins_key_type_and_size(client):
    user = signup(client)
    status, body, _ = call(client, "POST", "/v1/posts", {"title": "Policy", "content_type": "image/webp",
                                                          "content_length": 1234, "tags": ["#Ink", "ink", "Oil Paint"]},
                           token=user["access_token"])
    assert status == 201
    post, upload = body["post"], body["upload"]
    assert post["status"] == "awaiting_upload" and post["tags"] == ["ink", "oil-paint"]
    fields = upload["fields"]
    assert fields["key"] == f"uploads/{user['id']}/{post['id']}/0"
    assert fields["Content-Type"] == "image/webp"
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert {"key": fields["key"]} in conditions
    assert {"Content-Type": "image/webp"} in conditions
    assert ["content-length-range", 1, 1234] in conditions
    assert policy["expiration"]  # 15 minutes; moto does NOT enforce POST policies, so the
    # upload handler re-checks size and real format itself (tested below).


def test_publish_flow_feed_portfolio_and_clean_derivatives(client, run_worker):
    artist = signup(client)
    fan = signup(client)
    status, _, _ = call(client, "POST", f"/v1/users/{artist['handle']}/follow", token=fan["access_token"])
    assert status == 200
    photo = jpeg_with_gps(1600, 1000)
    post_id = create_and_upload(client, artist["access_token"], photo, "image/jpeg", title="Harbour at dusk",
                                description="Gouache", tags=["gouache"])
    # Before the worker runs the post is private to its author.
    assert call(client, "GET", f"/v1/posts/{post_id}")[0] == 404
    assert run_worker() >= 1

    status, mine, _ = call(client, "GET", f"/v1/posts/{post_id}", token=artist["access_token"])
    assert status == 200 and mine["status"] == "published", mine
    assert mine["screening"]["decision"] == "published"
    status, public, headers = call(client, "GET", f"/v1/posts/{post_id}")
    assert status == 200 and "screening" not in public
    assert "s-maxage" in headers["cache-control"]
    assert public["author"]["handle"] == artist["handle"]
    image = public["images"][0]
    assert image["url"].startswith("http://127.0.0.1:8000/media/p/")
    widths = sorted(v["width"] for v in image["variants"])
    assert widths == [320, 640, 1280, 1600]  # never upscaled past the original's 1600 px

    # The derivatives in the media bucket: no EXIF/GPS, the do-not-train XMP mark present.
    for variant in image["variants"]:
        key = variant["url"].split("/media/", 1)[1]
        data = s3().get_object(Bucket=os.environ["MEDIA_BUCKET"], Key=key)["Body"].read()
        with Image.open(io.BytesIO(data)) as im:
            assert im.format == "WEBP"
            assert not im.getexif()
            xmp = im.info.get("xmp", b"")
        assert b"GPS" not in data and b"Exif" not in data
        assert b"DMI-PROHIBITED-AIMLTRAINING" in (xmp if isinstance(xmp, bytes) else xmp.encode())
        # Content Credentials (issue 18): signed, not for training, the author named.
        manifest = read_manifest(data, "image/webp")
        assert manifest is not None, key
        labels = {a["label"]: a["data"] for a in manifest["assertions"]}
        assert all(e["use"] == "notAllowed" for e in labels["cawg.training-mining"]["entries"].values())
        assert labels["stds.schema-org.CreativeWork"]["author"][0]["name"] == artist["handle"]

    status, page, headers = _feed(client, fan["access_token"])
    assert status == 200 and headers["cache-control"] == "private, no-store"
    assert [p["id"] for p in page["items"]] == [post_id]
    status, portfolio, _ = call(client, "GET", f"/v1/users/{artist['handle']}/posts")
    assert [p["id"] for p in portfolio["items"]] == [post_id]
    status, profile, _ = call(client, "GET", f"/v1/users/{artist['handle']}")
    assert profile["posts_count"] == 1 and profile["followers_count"] == 1


def test_declared_ai_origin_is_rejected_with_its_signals(client, run_worker):
    artist = signup(client)
    post_id = create_and_upload(client, artist["access_token"], a1111_png(), "image/png")
    run_worker()
    status, mine, _ = call(client, "GET", f"/v1/posts/{post_id}", token=artist["access_token"])
    assert mine["status"] == "rejected"
    assert mine["screening"]["reasons"] == ["ai_generated"]
    assert "signals" not in mine["screening"]  # the artist sees the reason, not the detector internals
    from tests.functional.screening_support import stored_screening

    assert stored_screening(post_id)["signals"]["provenance"]  # what was found, for moderators
    assert call(client, "GET", f"/v1/posts/{post_id}")[0] == 404
    # The original moved out of uploads/ to rejected/, where a lifecycle rule expires it after
    # the appeal window.
    listed = s3().list_objects_v2(Bucket=os.environ["UPLOADS_BUCKET"], Prefix=f"rejected/{artist['id']}/{post_id}/")
    assert listed.get("KeyCount") == 1


def test_corrupt_upload_is_rejected_not_lost(client, run_worker):
    artist = signup(client)
    good = jpeg_with_gps(400, 300)
    post_id = create_and_upload(client, artist["access_token"], good[: len(good) // 2], "image/jpeg")
    run_worker()
    status, mine, _ = call(client, "GET", f"/v1/posts/{post_id}", token=artist["access_token"])
    assert mine["status"] == "rejected" and mine["screening"]["reasons"] == ["corrupt_image"]


def test_real_format_comes_from_the_bytes_not_the_declaration(client, run_worker):
    artist = signup(client)
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), (200, 30, 30)).save(buf, "PNG")
    # Declared as JPEG, really a PNG: the declaration only shaped the upload policy.
    post_id = create_and_upload(client, artist["access_token"], buf.getvalue(), "image/jpeg")
    run_worker()
    status, mine, _ = call(client, "GET", f"/v1/posts/{post_id}", token=artist["access_token"])
    assert mine["status"] == "published"
    # And a non-image is refused with a clear reason.
    post_id = create_and_upload(client, artist["access_token"], b"<html>not an image</html>", "image/png")
    run_worker()
    status, mine, _ = call(client, "GET", f"/v1/posts/{post_id}", token=artist["access_token"])
    assert mine["status"] == "rejected" and mine["screening"]["reasons"] == ["unsupported_format"]


def test_redelivered_events_give_one_post_and_one_fanout(client, easel_app, run_worker):
    artist = signup(client)
    fan = signup(client)
    call(client, "POST", f"/v1/users/{artist['handle']}/follow", token=fan["access_token"])
    post_id = create_and_upload(client, artist["access_token"], jpeg_with_gps(500, 400), "image/jpeg")
    key = f"uploads/{artist['id']}/{post_id}/0"
    event_body = json.dumps({"Records": [{"eventName": "ObjectCreated:Post", "s3": {
        "bucket": {"name": os.environ["UPLOADS_BUCKET"]}, "object": {"key": key}}}]})
    sqs = boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
    for _ in range(2):  # duplicates, as SQS at-least-once delivery allows
        sqs.send_message(QueueUrl=os.environ["UPLOAD_QUEUE_URL"], MessageBody=event_body)
    run_worker()
    sqs.send_message(QueueUrl=os.environ["UPLOAD_QUEUE_URL"], MessageBody=event_body)  # a late redelivery
    run_worker()
    status, page, _ = _feed(client, fan["access_token"])
    assert [p["id"] for p in page["items"]] == [post_id]
    status, profile, _ = call(client, "GET", f"/v1/users/{artist['handle']}")
    assert profile["posts_count"] == 1


def test_a_poisoned_message_does_not_fail_the_batch(client, easel_app):
    from local.worker import FakeLambdaContext

    artist = signup(client)
    created = call(client, "POST", "/v1/posts", {"title": "t", "content_type": "image/jpeg",
                                                  "content_length": 50_000}, token=artist["access_token"])[1]
    post_upload(created["upload"], jpeg_with_gps(300, 200))
    key = created["upload"]["fields"]["key"]
    good = json.dumps({"Records": [{"eventName": "ObjectCreated:Post", "s3": {
        "bucket": {"name": os.environ["UPLOADS_BUCKET"]}, "object": {"key": key}}}]})
    event = {"Records": [
        {"messageId": "bad", "receiptHandle": "r1", "body": "{not json", "attributes": {}, "messageAttributes": {},
         "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:1:q", "awsRegion": "us-east-1"},
        {"messageId": "good", "receiptHandle": "r2", "body": good, "attributes": {}, "messageAttributes": {},
         "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:1:q", "awsRegion": "us-east-1"},
    ]}
    result = easel_app.handle_uploads(event, FakeLambdaContext("handle_uploads"))
    assert result == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    status, mine, _ = call(client, "GET", f"/v1/posts/{created['post']['id']}", token=artist["access_token"])
    assert mine["status"] == "published"


def test_follow_is_idempotent_and_counts_stay_consistent(client):
    a, b = signup(client), signup(client)
    for _ in range(3):
        status, body, _ = call(client, "POST", f"/v1/users/{b['handle']}/follow", token=a["access_token"])
        assert status == 200 and body["following"] is True
    assert call(client, "GET", f"/v1/users/{b['handle']}")[1]["followers_count"] == 1
    assert call(client, "GET", f"/v1/users/{a['handle']}")[1]["following_count"] == 1
    for _ in range(2):
        status, body, _ = call(client, "DELETE", f"/v1/users/{b['handle']}/follow", token=a["access_token"])
        assert status == 200 and body["following"] is False
    assert call(client, "GET", f"/v1/users/{b['handle']}")[1]["followers_count"] == 0
    assert call(client, "GET", f"/v1/users/{a['handle']}")[1]["following_count"] == 0
    for method in ("POST", "DELETE"):  # unfollowing yourself was a 500 (one transaction, one item twice)
        status, body, _ = call(client, method, f"/v1/users/{a['handle']}/follow", token=a["access_token"])
        assert status == 400 and body["error"]["code"] == "cannot_follow_self"
    assert call(client, "POST", "/v1/users/nobody_here_zz/follow", token=a["access_token"])[0] == 404
    assert call(client, "GET", "/v1/users/nobody_here_zz")[0] == 404


def test_feed_paging_cursor_and_unfollow(client, run_worker):
    artist, fan = signup(client), signup(client)
    call(client, "POST", f"/v1/users/{artist['handle']}/follow", token=fan["access_token"])
    ids = [create_and_upload(client, artist["access_token"], jpeg_with_gps(330, 200), "image/jpeg", title=f"n{i}")
           for i in range(3)]
    run_worker()
    seen, cursor = [], None
    for _ in range(5):
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        status, page, _ = _feed(client, fan["access_token"], **params)
        assert status == 200
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))  # newest first, no duplicates across pages
    # A tampered cursor, or one from another listing, is refused.
    status, page, _ = _feed(client, fan["access_token"], limit=1)
    bad = page["next_cursor"][:-2] + ("AA" if not page["next_cursor"].endswith("AA") else "BB")
    assert _feed(client, fan["access_token"], cursor=bad)[0] == 400
    status, body, _ = call(client, "GET", f"/v1/users/{artist['handle']}/posts?cursor={page['next_cursor']}")
    assert status == 400 and body["error"]["field"] == "cursor"
    for limit in (0, 51, "x"):
        assert _feed(client, fan["access_token"], limit=limit)[0] == 400
    # Unfollowing hides the artist's work from the feed at once (filtered at read time).
    call(client, "DELETE", f"/v1/users/{artist['handle']}/follow", token=fan["access_token"])
    assert _feed(client, fan["access_token"])[1]["items"] == []


def test_new_follow_backfills_recent_work(client, run_worker):
    artist, late_fan = signup(client), signup(client)
    post_id = create_and_upload(client, artist["access_token"], jpeg_with_gps(330, 200), "image/jpeg")
    run_worker()
    call(client, "POST", f"/v1/users/{artist['handle']}/follow", token=late_fan["access_token"])
    assert [p["id"] for p in _feed(client, late_fan["access_token"])[1]["items"]] == [post_id]
