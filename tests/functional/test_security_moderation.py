"""Moderation (the security review): rejecting a published post takes its derivatives down
(bucket and CDN), removing invalidates the CDN, and nobody decides items on their own post."""
from __future__ import annotations

import os

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib.screening.settings import ScreeningSettings
from tests.fixtures.art import artwork, encode
from tests.functional.screening_support import get_post, moderator, use
from tests.functional.test_moderation import decide, item_for
from tests.helpers import call, create_and_upload, drain, s3, signup


@pytest.fixture
def run(easel_app):
    return lambda: drain(easel_app.handle_uploads)


@pytest.fixture
def cdn(monkeypatch):
    """A distribution on the moto endpoint configured as the stage's CDN."""
    from tests.conftest import _drop_process_caches

    cf = boto3.client("cloudfront", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
    dist = cf.create_distribution(DistributionConfig={
        "CallerReference": f"easel-moderation-{os.getpid()}-{id(monkeypatch)}", "Comment": "media", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "media", "DomainName": "media.s3.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "media", "ViewerProtocolPolicy": "https-only",
                                 "TrustedSigners": {"Enabled": False, "Quantity": 0}, "MinTTL": 0,
                                 "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}}},
    })["Distribution"]["Id"]
    monkeypatch.setenv("CDN_DISTRIBUTION_ID", dist)
    _drop_process_caches()
    yield lambda: [i["Id"] for i in cf.list_invalidations(DistributionId=dist)["InvalidationList"].get("Items", [])]
    monkeypatch.delenv("CDN_DISTRIBUTION_ID")
    _drop_process_caches()


def _published_and_reported(client, run, monkeypatch):
    use(monkeypatch, ScreeningSettings())
    artist, reporter = signup(client), signup(client)
    post_id = create_and_upload(client, artist["access_token"], encode(artwork()), "image/jpeg")
    run()
    keys = [v["url"].split("/media/", 1)[1] for v in get_post(client, post_id)["images"][0]["variants"]]
    assert call(client, "POST", f"/v1/posts/{post_id}/report", {"reason": "ai_generated"},
                token=reporter["access_token"])[0] == 201
    return artist, post_id, keys


def test_rejecting_a_published_post_takes_its_derivatives_down(client, run, monkeypatch, cdn):
    artist, post_id, keys = _published_and_reported(client, run, monkeypatch)
    mod = moderator(client, signup(client))
    item = item_for(client, mod, post_id, "report")
    status, resp, _ = decide(client, mod, item["id"], "reject", note="AI after all")
    assert status == 200 and resp["post"]["status"] == "rejected", resp
    for key in keys:
        with pytest.raises(ClientError):
            s3().head_object(Bucket=os.environ["MEDIA_BUCKET"], Key=key)
    assert cdn(), "the CDN was not told to forget the derivatives"


def test_removing_a_post_invalidates_the_cdn(client, run, monkeypatch, cdn):
    artist, post_id, _ = _published_and_reported(client, run, monkeypatch)
    mod = moderator(client, signup(client))
    item = item_for(client, mod, post_id, "report")
    assert decide(client, mod, item["id"], "remove")[0] == 200
    assert cdn()


def test_a_moderator_cannot_decide_an_item_about_their_own_post(client, run, monkeypatch):
    artist, post_id, _ = _published_and_reported(client, run, monkeypatch)
    artist_mod = moderator(client, artist)
    item = item_for(client, artist_mod, post_id, "report")
    status, body, _ = decide(client, artist_mod, item["id"], "approve", note="looks fine to me")
    assert status == 403 and body["error"]["code"] == "own_post"
    other = moderator(client, signup(client))
    assert decide(client, other, item["id"], "approve")[0] == 200
