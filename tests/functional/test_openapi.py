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
