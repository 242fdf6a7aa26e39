"""Screening cannot be bypassed: the bytes published are the bytes screened (the presigned
form stays valid for its TTL and can overwrite the key), a deployed stage without a vendor key
holds for review, the key comes from Secrets Manager, and authors see no detector internals."""
from __future__ import annotations

import json
import os

import boto3
import pytest

from chalicelib.screening.settings import ScreeningSettings
from tests.fixtures.art import artwork, encode
from tests.functional.screening_support import get_post, stored_screening, use
from tests.helpers import call, create_and_upload, drain, post_upload, signup

NO_VENDOR = ScreeningSettings()


@pytest.fixture
def run(easel_app):
    return lambda: drain(easel_app.handle_uploads)


def test_swapping_a_screened_image_before_the_post_publishes_is_refused(client, run, monkeypatch):
    """Image 0 passes; the same (still valid) form then overwrites it with bytes nobody
    screened; image 1 arrives and the post is finalised in another invocation, which re-reads
    image 0 from S3. Before the fix those unscreened bytes were published."""
    use(monkeypatch, NO_VENDOR)
    artist = signup(client)
    screened, swapped, second = encode(artwork(1, size=(600, 500))), encode(artwork(2, size=(900, 500))), \
        encode(artwork(3, size=(700, 500)))
    body = {"title": "Series", "images": [{"content_type": "image/jpeg", "content_length": len(d)}
                                          for d in (screened, second)]}
    status, created, _ = call(client, "POST", "/v1/posts", body, token=artist["access_token"])
    assert status == 201, created
    post_id = created["post"]["id"]
    post_upload(created["uploads"][0], screened)
    run()
    assert get_post(client, post_id, artist["access_token"])["status"] == "processing"
    post_upload(created["uploads"][0], swapped)  # the form is valid for UPLOAD_URL_TTL_SECONDS
    post_upload(created["uploads"][1], second)
    run()
    post = get_post(client, post_id, artist["access_token"])
    assert post["status"] == "rejected", post
    assert post["screening"]["reasons"] == ["changed_after_screening"]
    assert 900 not in [img.get("width") for img in post["images"]]


def test_a_stage_that_requires_the_vendor_holds_what_it_could_not_ask(client, run, monkeypatch):
    use(monkeypatch, ScreeningSettings(vendor_required=True))
    artist = signup(client)
    post_id = create_and_upload(client, artist["access_token"], encode(artwork()), "image/jpeg")
    run()
    post = get_post(client, post_id, artist["access_token"])
    assert post["status"] == "held_for_review" and post["screening"]["reasons"] == ["vendor_not_configured"]
    assert stored_screening(post_id)["signals"]["vendor_skipped"] == "no_api_key"


def test_the_vendor_key_is_read_from_secrets_manager():
    sm = boto3.client("secretsmanager", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
    sm.create_secret(Name="easel/dev/screening-vendor", SecretString=json.dumps({"api_key": "from-the-secret"}))
    s = ScreeningSettings(vendor_required=True, hive_api_key_secret="easel/dev/screening-vendor")
    assert s.vendor_configured and s.vendor_key() == "from-the-secret"
    assert "hive_api_key_secret" not in s.thresholds() and "hive_api_key" not in s.thresholds()
    empty = ScreeningSettings(vendor_required=True, hive_api_key_secret="easel/dev/no-such-secret")
    assert not empty.vendor_configured  # unreadable: no key, so held for review, never published unseen


def test_deployed_stage_settings_come_from_the_environment(monkeypatch):
    from chalicelib.screening.settings import get_screening_settings

    monkeypatch.setenv("SCREENING_VENDOR_REQUIRED", "true")
    monkeypatch.setenv("HIVE_API_KEY_SECRET", "easel/dev/screening-vendor")
    get_screening_settings.cache_clear()
    try:
        s = get_screening_settings()
        assert s.vendor_required and s.hive_api_key_secret == "easel/dev/screening-vendor"
    finally:
        get_screening_settings.cache_clear()
