"""The API contract and caching: the OpenAPI document matches the app's routes exactly
(read dynamically, so a route added by anyone later must be documented), is valid OpenAPI
3.1, and real responses validate against it; public GETs carry ETags and answer 304."""
from __future__ import annotations

from datetime import date, timedelta

import jsonschema
import pytest
from referencing import Registry, Resource

from chalicelib.openapi import document
from tests.helpers import call, signup

METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def _app_operations(easel_app) -> set[tuple[str, str]]:
    return {(path, method.lower()) for path, methods in easel_app.app.routes.items() for method in methods}


def _doc_operations(doc) -> set[tuple[str, str]]:
    return {(path, method) for path, item in doc["paths"].items() for method in item if method in METHODS}


def test_every_route_is_documented_and_every_documented_route_exists(easel_app):
    app_ops, doc_ops = _app_operations(easel_app), _doc_operations(document())
    assert app_ops - doc_ops == set(), "routes missing from chalicelib/openapi.py"
    assert doc_ops - app_ops == set(), "documented routes the app does not have"


def test_the_document_is_valid_openapi_31_and_every_operation_has_schemas():
    from openapi_spec_validator import validate

    doc = document()
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "default" in responses, (path, method)
            ok = [s for s in responses if s.startswith("2")]
            assert ok and all("content" in responses[s] for s in ok if s != "204"), (path, method)
            for name in [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]:
                assert "{" + name + "}" in path


def test_the_document_is_served(client):
    status, body, headers = call(client, "GET", "/v1/openapi.json")
    assert status == 200 and body == document()
    assert headers["etag"] and "s-maxage=" in headers["cache-control"]


def _validator(path: str, method: str, status: int) -> jsonschema.Draft202012Validator:
    doc = document()
    responses = doc["paths"][path][method]["responses"]
    schema = (responses.get(str(status)) or responses["default"])["content"]["application/json"]["schema"]
    registry = Registry().with_resource("urn:easel", Resource.opaque(doc))
    schema = {**schema, "$ref": "urn:easel" + schema["$ref"]} if "$ref" in schema else schema
    return jsonschema.Draft202012Validator(schema, registry=registry)


@pytest.mark.parametrize("path, method, status", [("/v1/jobs", "post", 400), ("/v1/feed", "get", 401)])
def test_errors_match_the_documented_error_shape(client, path, method, status):
    got, body, _ = call(client, method.upper(), path, {"title": 1} if method == "post" else None,
                        token=signup(client)["access_token"] if status == 400 else None)
    assert got == status
    _validator(path, method, status).validate(body)


def test_real_responses_match_their_schemas(client):
    ada, bob = signup(client), signup(client)
    closes = (date.today() + timedelta(days=10)).isoformat()
    status, job, _ = call(client, "POST", "/v1/jobs", {
        "title": "Colourist", "organisation": "Ink & Co", "remote": True, "employment_type": "contract",
        "description": "Flat colours.", "apply_email": "hi@ink.example", "tags": ["comics"], "closes_at": closes},
        token=ada["access_token"])
    _validator("/v1/jobs", "post", 201).validate(job)
    _validator("/v1/jobs", "get", 200).validate(call(client, "GET", "/v1/jobs?tag=comics")[1])
    status, conv, _ = call(client, "POST", "/v1/conversations", {"handle": bob["handle"]}, token=ada["access_token"])
    _validator("/v1/conversations", "post", 201).validate(conv)
    status, msg, _ = call(client, "POST", f"/v1/conversations/{conv['id']}/messages", {"text": "hi"},
                          token=ada["access_token"])
    _validator("/v1/conversations/{conversation_id}/messages", "post", 201).validate(msg)
    _validator("/v1/conversations", "get", 200).validate(call(client, "GET", "/v1/conversations",
                                                              token=bob["access_token"])[1])
    _validator("/v1/discover", "get", 200).validate(call(client, "GET", "/v1/discover")[1])
    _validator("/v1/users/{handle}", "get", 200).validate(call(client, "GET", f"/v1/users/{ada['handle']}")[1])


def test_public_gets_revalidate_with_etags_that_change_with_the_content(client):
    artist, fan = signup(client), signup(client)
    path = f"/v1/users/{artist['handle']}"
    status, _, headers = call(client, "GET", path)
    etag = headers["etag"]
    assert "s-maxage=" in headers["cache-control"]
    assert call(client, "GET", path, headers={"If-None-Match": etag})[0] == 304
    assert call(client, "GET", path, headers={"If-None-Match": f'W/{etag}, "other"'})[0] == 304
    call(client, "POST", f"/v1/users/{artist['handle']}/follow", token=fan["access_token"])
    status, body, headers2 = call(client, "GET", path, headers={"If-None-Match": etag})
    assert status == 200 and body["followers_count"] == 1 and headers2["etag"] != etag


def test_personal_responses_are_private_and_carry_no_etag(client):
    user = signup(client)
    for path in ("/v1/feed", "/v1/conversations"):
        status, _, headers = call(client, "GET", path, token=user["access_token"])
        assert status == 200 and headers["cache-control"] == "private, no-store" and "etag" not in headers
        # An If-None-Match never turns a personal response into a 304.
        assert call(client, "GET", path, token=user["access_token"], headers={"If-None-Match": "*"})[0] == 200


def test_community_moderation_and_founder_responses_match_their_schemas(client, easel_app, monkeypatch):
    """The routes added by the community, moderation and cost-control work, validated on real answers."""
    import json
    import uuid
    from urllib.parse import urlencode

    from chalicelib.services import donations
    from tests.community_helpers import follow, publish
    from tests.functional.costs_helpers import founder
    from tests.functional.screening_support import moderator

    def ok(path, method, status, got):
        assert got[0] == status, (path, method, got[1])
        _validator(path, method, status).validate(got[1])
        return got[1]

    artist, fan = signup(client), signup(client)
    follow(client, fan, artist)
    [post_id] = publish(client, easel_app, artist)
    a, f = artist["access_token"], fan["access_token"]
    pid = f"/v1/posts/{post_id}"
    ok("/v1/me", "get", 200, call(client, "GET", "/v1/me", token=a))
    ok("/v1/me", "patch", 200, call(client, "PATCH", "/v1/me", {"bio": "ink", "links": [
        {"label": "Site", "url": "https://a.example"}], "open_to_work": True}, token=a))
    ok("/v1/me/portfolio-order", "put", 200, call(client, "PUT", "/v1/me/portfolio-order", {"post_ids": [post_id]},
                                                  token=a))
    ok("/v1/posts/{post_id}/like", "post", 200, call(client, "POST", f"{pid}/like", token=f))
    ok("/v1/posts/{post_id}/repost", "post", 200, call(client, "POST", f"{pid}/repost", token=f))
    comment = ok("/v1/posts/{post_id}/comments", "post", 201, call(client, "POST", f"{pid}/comments", {"text": "hi"},
                                                                   token=f))
    ok("/v1/posts/{post_id}/comments", "get", 200, call(client, "GET", f"{pid}/comments"))
    ok("/v1/posts/{post_id}", "get", 200, call(client, "GET", pid, token=a))  # with screening
    ok("/v1/posts/{post_id}", "get", 200, call(client, "GET", pid, token=f))  # with liked_by_me
    ok("/v1/users/{handle}/posts", "get", 200, call(client, "GET", f"/v1/users/{artist['handle']}/posts"))  # pinned
    ok("/v1/feed", "get", 200, call(client, "GET", "/v1/feed", token=f))
    ok("/v1/users/{handle}/likes", "get", 200, call(client, "GET", f"/v1/users/{fan['handle']}/likes", token=f))
    ok("/v1/posts/{post_id}", "patch", 200, call(client, "PATCH", pid, {"title": "Renamed"}, token=a))
    collection = ok("/v1/collections", "post", 201, call(client, "POST", "/v1/collections", {"title": "Series"},
                                                         token=a))
    cid = f"/v1/collections/{collection['id']}"
    ok("/v1/collections/{collection_id}/posts", "post", 200, call(client, "POST", f"{cid}/posts",
                                                                  {"post_id": post_id}, token=a))
    ok("/v1/collections/{collection_id}/posts", "get", 200, call(client, "GET", f"{cid}/posts"))
    ok("/v1/collections/{collection_id}/order", "put", 200, call(client, "PUT", f"{cid}/order",
                                                                 {"post_ids": [post_id]}, token=a))
    ok("/v1/users/{handle}/collections", "get", 200, call(client, "GET", f"/v1/users/{artist['handle']}/collections"))
    ok("/v1/notifications", "get", 200, call(client, "GET", "/v1/notifications", token=a))
    ok("/v1/notifications/read", "post", 200, call(client, "POST", "/v1/notifications/read", token=a))
    report = call(client, "POST", f"{pid}/report", {"reason": "other", "details": "?"}, token=f)
    ok("/v1/posts/{post_id}/report", "post", 201, report)
    mod = moderator(client, signup(client))
    queue = ok("/v1/moderation/queue", "get", 200, call(client, "GET", "/v1/moderation/queue?kind=report",
                                                        token=mod["access_token"]))
    item = next(i for i in queue["items"] if i["post_id"] == post_id)
    ok("/v1/moderation/items/{item_id}", "get", 200, call(client, "GET", f"/v1/moderation/items/{item['id']}",
                                                          token=mod["access_token"]))
    ok("/v1/moderation/items/{item_id}/decision", "post", 200, call(
        client, "POST", f"/v1/moderation/items/{item['id']}/decision", {"decision": "label_mature"},
        token=mod["access_token"]))
    ok("/v1/posts/{post_id}/appeal", "post", 201, call(client, "POST", f"{pid}/appeal", {"statement": "Not mature."},
                                                       token=a))
    ok("/v1/posts/{post_id}/appeal", "get", 200, call(client, "GET", f"{pid}/appeal", token=a))
    entry = ok("/v1/moderation/known-ai", "post", 201, call(client, "POST", "/v1/moderation/known-ai",
                                                            {"phash": "00ff00ff00ff00ff"}, token=mod["access_token"]))
    ok("/v1/moderation/known-ai", "get", 200, call(client, "GET", "/v1/moderation/known-ai?limit=2",
                                                   token=mod["access_token"]))
    ok("/v1/moderation/known-ai/{entry_id}", "delete", 200, call(
        client, "DELETE", f"/v1/moderation/known-ai/{entry['id']}", token=mod["access_token"]))
    ok("/v1/users/{handle}/mute", "post", 200, call(client, "POST", f"/v1/users/{artist['handle']}/mute", token=f))
    ok("/v1/users/{handle}/block", "post", 200, call(client, "POST", f"/v1/users/{fan['handle']}/block", token=a))
    ok("/v1/posts/{post_id}/comments/{comment_id}", "delete", 200,
       call(client, "DELETE", f"{pid}/comments/{comment['id']}", token=a))
    ok("/v1/collections/{collection_id}", "delete", 200, call(client, "DELETE", cid, token=a))
    ok("/v1/posts/{post_id}", "delete", 200, call(client, "DELETE", pid, token=a))

    boss = founder(client)
    b = boss["access_token"]
    ok("/v1/admin/costs", "get", 200, call(client, "GET", "/v1/admin/costs?group_by=feature", token=b))
    ok("/v1/admin/budget", "get", 200, call(client, "GET", "/v1/admin/budget", token=b))
    ok("/v1/admin/prices", "get", 200, call(client, "GET", "/v1/admin/prices", token=b))
    ok("/v1/admin/guard", "get", 200, call(client, "GET", "/v1/admin/guard", token=b))
    ok("/v1/admin/guard/evaluate", "post", 200, call(client, "POST", "/v1/admin/guard/evaluate", token=b))
    ok("/v1/admin/donations", "post", 201, call(client, "POST", "/v1/admin/donations",
                                                {"amount": "5", "currency": "USD"}, token=b))
    ok("/v1/admin/donations", "get", 200, call(client, "GET", "/v1/admin/donations", token=b))
    monkeypatch.setenv("DONATIONS_WEBHOOK_TOKEN", "tok")
    donations.webhook_token.cache_clear()
    try:
        data = {"verification_token": "tok", "kofi_transaction_id": str(uuid.uuid4()), "amount": "3.00",
                "currency": "USD", "timestamp": "2025-06-05T10:00:00Z"}
        resp = client.http.post("/v1/webhooks/donations",
                                headers={"Content-Type": "application/x-www-form-urlencoded"},
                                body=urlencode({"data": json.dumps(data)}))
        ok("/v1/webhooks/donations", "post", 200, (resp.status_code, json.loads(resp.body)))
    finally:
        donations.webhook_token.cache_clear()
