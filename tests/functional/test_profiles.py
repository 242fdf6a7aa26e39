"""Profiles and settings, the artist's portfolio order, editing and deleting posts."""
from __future__ import annotations

import os

import boto3
import pytest

from tests.community_helpers import feed_ids, follow, publish
from tests.helpers import call, s3, signup


def test_me_requires_a_token_and_starts_with_defaults(client):
    status, body, _ = call(client, "GET", "/v1/me")
    assert status == 401 and body["error"]["code"] == "missing_token"
    user = signup(client)
    status, me, headers = call(client, "GET", "/v1/me", token=user["access_token"])
    assert status == 200 and headers["cache-control"] == "private, no-store"
    assert me["handle"] == user["handle"] and me["email"] == f"{user['handle']}@example.com"
    assert me["links"] == [] and me["open_to_work"] is False
    assert me["settings"] == {"show_mature": False, "hide_likes": False}


def test_patch_me_changes_only_the_fields_sent(client):
    user = signup(client)
    token = user["access_token"]
    links = [{"label": "Site", "url": "https://ada.example"}, {"label": "Instagram", "url": "http://instagram.com/ada"}]
    status, me, _ = call(client, "PATCH", "/v1/me", {"display_name": "Ada L.", "bio": "Ink & gouache",
                                                     "links": links, "open_to_work": True}, token=token)
    assert status == 200, me
    assert me["display_name"] == "Ada L." and me["links"] == links and me["open_to_work"] is True
    status, me, _ = call(client, "PATCH", "/v1/me", {"show_mature": True, "hide_likes": True}, token=token)
    assert me["display_name"] == "Ada L." and me["bio"] == "Ink & gouache" and me["links"] == links
    assert me["settings"] == {"show_mature": True, "hide_likes": True}
    # The public profile carries the public fields, never settings or e-mail.
    status, public, _ = call(client, "GET", f"/v1/users/{user['handle']}")
    assert public["display_name"] == "Ada L." and public["bio"] == "Ink & gouache"
    assert public["links"] == links and public["open_to_work"] is True
    assert "email" not in public and "settings" not in public and "show_mature" not in public
    # Clearing: an empty display name falls back to the handle, links can be emptied.
    status, me, _ = call(client, "PATCH", "/v1/me", {"display_name": "", "links": []}, token=token)
    assert me["display_name"] == user["handle"] and me["links"] == [] and me["bio"] == "Ink & gouache"


@pytest.mark.parametrize("payload, field", [
    ({"links": [{"label": "x", "url": "javascript:alert(1)"}]}, "links[0].url"),
    ({"links": [{"label": "x", "url": "ftp://files.example"}]}, "links[0].url"),
    ({"links": [{"label": "x", "url": "https://"}]}, "links[0].url"),
    ({"links": [{"label": "x", "url": "https://user:pw@evil.example"}]}, "links[0].url"),
    ({"links": [{"label": "x", "url": "https://a[b.example"}]}, "links[0].url"),  # urlsplit raised: was a 500
    ({"links": [{"label": "x", "url": "https://a.example/" + "a" * 600}]}, "url"),
    ({"links": [{"label": "", "url": "https://a.example"}]}, "label"),
    ({"links": [{"label": "x", "url": "https://a.example", "rel": "me"}]}, "links[0]"),
    ({"links": [{"label": f"l{i}", "url": f"https://a{i}.example"} for i in range(11)]}, "links"),
    ({"links": "https://a.example"}, "links"),
    ({"bio": "b" * 1001}, "bio"),
    ({"display_name": "d" * 51}, "display_name"),
    ({"open_to_work": "yes"}, "open_to_work"),
    ({"hide_likes": 1}, "hide_likes"),
    ({"avatar": "x"}, "avatar"),
])
def test_patch_me_validates_each_field(client, payload, field):
    user = signup(client)
    status, body, _ = call(client, "PATCH", "/v1/me", payload, token=user["access_token"])
    assert status == 400, body
    assert body["error"]["field"] == field


def test_edit_own_post_only(client, easel_app):
    artist, other = signup(client), signup(client)
    [post_id] = publish(client, easel_app, artist)
    status, post, _ = call(client, "PATCH", f"/v1/posts/{post_id}",
                           {"title": "Renamed", "tags": ["#Ink", "ink"]}, token=artist["access_token"])
    assert status == 200, post
    assert post["title"] == "Renamed" and post["tags"] == ["ink"] and post["description"] is None
    status, public, _ = call(client, "GET", f"/v1/posts/{post_id}")
    assert public["title"] == "Renamed"
    status, body, _ = call(client, "PATCH", f"/v1/posts/{post_id}", {"title": "Mine now"}, token=other["access_token"])
    assert status == 404  # no hint that someone else's post exists in an editable form
    status, body, _ = call(client, "PATCH", f"/v1/posts/{post_id}", {"title": ""}, token=artist["access_token"])
    assert status == 400 and body["error"]["field"] == "title"
    status, body, _ = call(client, "PATCH", f"/v1/posts/{post_id}", {"status": "published"},
                           token=artist["access_token"])
    assert status == 400 and body["error"]["field"] == "status"
    assert call(client, "PATCH", f"/v1/posts/{post_id}", {"title": "x"})[0] == 401


def test_delete_post_removes_it_everywhere(client, easel_app):
    artist, fan = signup(client), signup(client)
    follow(client, fan, artist)
    keep, gone = publish(client, easel_app, artist, count=2)
    status, post, _ = call(client, "GET", f"/v1/posts/{gone}")
    media_keys = [v["url"].split("/media/", 1)[1] for v in post["images"][0]["variants"]]
    assert media_keys and feed_ids(client, fan) == [gone, keep]
    assert call(client, "DELETE", f"/v1/posts/{gone}", token=fan["access_token"])[0] == 404

    status, body, _ = call(client, "DELETE", f"/v1/posts/{gone}", token=artist["access_token"])
    assert status == 200 and body == {"id": gone, "status": "deleted"}
    assert call(client, "GET", f"/v1/posts/{gone}")[0] == 404
    assert call(client, "GET", f"/v1/posts/{gone}", token=artist["access_token"])[0] == 404
    assert feed_ids(client, fan) == [keep]  # the feed entry stays; it is dropped at read time
    status, portfolio, _ = call(client, "GET", f"/v1/users/{artist['handle']}/posts")
    assert [p["id"] for p in portfolio["items"]] == [keep]
    assert call(client, "GET", f"/v1/users/{artist['handle']}")[1]["posts_count"] == 1
    media = s3().list_objects_v2(Bucket=os.environ["MEDIA_BUCKET"], Prefix=f"p/{gone}/")
    assert media.get("KeyCount") == 0
    assert s3().list_objects_v2(Bucket=os.environ["MEDIA_BUCKET"], Prefix=f"p/{keep}/").get("KeyCount", 0) > 0
    originals = s3().list_objects_v2(Bucket=os.environ["UPLOADS_BUCKET"], Prefix=f"uploads/{artist['id']}/{gone}/")
    assert originals.get("KeyCount") == 0
    # The portfolio index no longer lists it (gsi1 keys removed), and a second delete is a 404.
    from chalicelib.adapters.tables import PostItem

    item = PostItem.get(*PostItem.key(gone))
    assert item.status == "deleted" and item.gsi1pk is None and item.gsi1sk is None
    assert call(client, "DELETE", f"/v1/posts/{gone}", token=artist["access_token"])[0] == 404


def test_delete_tells_the_cdn_to_forget_the_media_when_a_distribution_is_set(client, easel_app):
    """CDN_DISTRIBUTION_ID is unset locally (the invalidation is skipped); here the service is
    built with a distribution that exists on the moto endpoint, and the invalidation lands there."""
    from chalicelib import container
    from chalicelib.adapters.community_aws import CdnInvalidator
    from chalicelib.adapters.store import PostRepository
    from chalicelib.services.posts import PostService
    from chalicelib.services.tokens import Principal

    cf = boto3.client("cloudfront", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
    dist = cf.create_distribution(DistributionConfig={
        "CallerReference": "easel-test", "Comment": "media", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "media", "DomainName": "media.s3.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "media", "ViewerProtocolPolicy": "https-only",
                                 "TrustedSigners": {"Enabled": False, "Quantity": 0}, "MinTTL": 0,
                                 "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}}},
    })["Distribution"]["Id"]
    artist = signup(client)
    [post_id] = publish(client, easel_app, artist)
    service = PostService(PostRepository(), container.storage(), container.settings(), cdn=CdnInvalidator(dist))
    principal = Principal(user_id=artist["id"], handle=artist["handle"], session_id="s", roles=frozenset())
    assert service.delete(principal, post_id)["status"] == "deleted"
    invalidations = cf.list_invalidations(DistributionId=dist)["InvalidationList"].get("Items", [])
    assert len(invalidations) == 1
    detail = cf.get_invalidation(DistributionId=dist, Id=invalidations[0]["Id"])["Invalidation"]
    assert detail["InvalidationBatch"]["Paths"]["Items"] == [f"/media/p/{post_id}/*"]
    assert CdnInvalidator(None).forget(["/x"]) is None  # unset: skipped, no call


def test_portfolio_order_pins_posts_before_the_newest_first_rest(client, easel_app):
    artist, other = signup(client), signup(client)
    a, b, c, d = publish(client, easel_app, artist, count=4)
    [foreign] = publish(client, easel_app, other)
    token = artist["access_token"]
    status, body, _ = call(client, "PUT", "/v1/me/portfolio-order", {"post_ids": [b, d]}, token=token)
    assert status == 200 and body == {"post_ids": [b, d]}
    status, page, _ = call(client, "GET", f"/v1/users/{artist['handle']}/posts")
    assert [p["id"] for p in page["items"]] == [b, d, c, a]
    assert [p.get("pinned", False) for p in page["items"]] == [True, True, False, False]
    # Paging: pinned posts appear once, on the first page only.
    seen, cursor = [], None
    for _ in range(5):
        path = f"/v1/users/{artist['handle']}/posts?limit=2" + (f"&cursor={cursor}" if cursor else "")
        status, page, _ = call(client, "GET", path)
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [b, d, c, a]
    assert call(client, "GET", "/v1/me", token=token)[1]["pinned_post_ids"] == [b, d]
    for payload in ({"post_ids": [foreign]}, {"post_ids": [a, a]}, {"post_ids": "a"},
                    {"post_ids": [f"x{i}" for i in range(51)]}):
        status, body, _ = call(client, "PUT", "/v1/me/portfolio-order", payload, token=token)
        assert status == 400 and body["error"]["field"] == "post_ids", body
    assert call(client, "PUT", "/v1/me/portfolio-order", {"post_ids": []}, token=token)[0] == 200
    status, page, _ = call(client, "GET", f"/v1/users/{artist['handle']}/posts")
    assert [p["id"] for p in page["items"]] == [d, c, b, a]
