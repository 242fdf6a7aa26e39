"""The deployed stack invalidates deleted media on the CDN: exercised through the route with a
distribution on the moto endpoint, so the IAM audit (tests/conftest.py) sees the API make
cloudfront:CreateInvalidation and checks it against the API role."""
from __future__ import annotations

import os

import boto3

from tests.community_helpers import publish
from tests.helpers import call, signup


def test_deleting_a_post_invalidates_the_configured_cdn_through_the_api(client, easel_app, monkeypatch):
    from tests.conftest import _drop_process_caches

    cf = boto3.client("cloudfront", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
    dist = cf.create_distribution(DistributionConfig={
        "CallerReference": "easel-iam", "Comment": "media", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "media", "DomainName": "media.s3.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "media", "ViewerProtocolPolicy": "https-only",
                                 "TrustedSigners": {"Enabled": False, "Quantity": 0}, "MinTTL": 0,
                                 "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}}},
    })["Distribution"]["Id"]
    monkeypatch.setenv("CDN_DISTRIBUTION_ID", dist)
    _drop_process_caches()
    try:
        artist = signup(client)
        [post_id] = publish(client, easel_app, artist)
        status, body, _ = call(client, "DELETE", f"/v1/posts/{post_id}", token=artist["access_token"])
        assert status in (200, 202), body
        items = cf.list_invalidations(DistributionId=dist)["InvalidationList"].get("Items", [])
        assert items, "no invalidation reached the distribution"
    finally:
        monkeypatch.delenv("CDN_DISTRIBUTION_ID")
        _drop_process_caches()
