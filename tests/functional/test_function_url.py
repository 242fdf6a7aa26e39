"""The API behind a Lambda function URL (payload format 2.0): documented events replayed against
the real handler (`app.app`, as Lambda calls it) on the moto endpoint — routing on the matched
template, path parameters, multi-value query strings, JSON and base64 bodies, the origin secret,
unknown routes, and that the meter charges no API Gateway request for them."""
from __future__ import annotations

import base64
import copy
import json
from pathlib import Path

import pytest

from chalicelib import function_url, metering
from tests.helpers import PASSWORD, signup

EVENT = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "events" / "function_url_get.json").read_text())


class Context:
    function_name = "easel-test-api"
    memory_limit_in_mb = 512
    aws_request_id = "id"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 15000


def url_event(method: str, path: str, query: str = "", headers: dict | None = None, body: str | None = None,
              b64: bool = False) -> dict:
    event = copy.deepcopy(EVENT)
    event["rawPath"], event["rawQueryString"] = path, query
    event["requestContext"]["http"].update(method=method, path=path)
    event["headers"].update(headers or {})
    if query:
        event["queryStringParameters"] = {}
        for part in query.split("&"):
            k, _, v = part.partition("=")
            prev = event["queryStringParameters"].get(k)
            event["queryStringParameters"][k] = f"{prev},{v}" if prev else v  # how 2.0 joins repeats
    if body is not None:
        event["body"] = base64.b64encode(body.encode()).decode() if b64 else body
        event["isBase64Encoded"] = b64
    return event


def invoke(easel_app, event: dict) -> tuple[int, dict, dict]:
    answer = easel_app.app(event, Context())
    assert "multiValueHeaders" not in answer and all(isinstance(v, str) for v in answer["headers"].values())
    body = answer["body"]
    if answer.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return answer["statusCode"], json.loads(body) if body else {}, answer["headers"]


def test_documented_events_route_through_chalice(client, easel_app, monkeypatch):
    monkeypatch.delenv("ORIGIN_VERIFY_SECRET", raising=False)
    user = signup(client)
    status, body, headers = invoke(easel_app, url_event("GET", "/v1/health"))
    assert status == 200 and body == {"status": "ok"} and headers["X-Content-Type-Options"] == "nosniff"
    # A path parameter, as API Gateway would have matched `/v1/users/{handle}`.
    status, body, _ = invoke(easel_app, url_event("GET", f"/v1/users/{user['handle']}"))
    assert status == 200 and body["handle"] == user["handle"]
    # A JSON body, plain and base64-encoded (function URLs encode non-text content types).
    login = json.dumps({"handle": user["handle"], "password": PASSWORD})
    for b64 in (False, True):
        status, body, _ = invoke(easel_app, url_event("POST", "/v1/auth/login", headers={
            "content-type": "application/json"}, body=login, b64=b64))
        assert status == 200 and body["tokens"]["access_token"], body
    token = body["tokens"]["access_token"]
    # The Authorization header and a repeated query parameter (the raw string keeps both).
    status, body, _ = invoke(easel_app, url_event("GET", "/v1/feed", "limit=5&limit=3", headers={
        "authorization": f"Bearer {token}"}))
    assert status == 200 and body["items"] == []
    # Errors keep Easel's shape: a bad limit, a missing token, an unknown route, a wrong method.
    status, body, _ = invoke(easel_app, url_event("GET", "/v1/feed", "limit=abc", headers={
        "authorization": f"Bearer {token}"}))
    assert status == 400 and body["error"]["code"]
    status, body, _ = invoke(easel_app, url_event("GET", "/v1/feed"))
    assert status == 401 and body["error"]["code"] == "missing_token"
    status, body, _ = invoke(easel_app, url_event("GET", "/v1/nothing/here"))
    assert status == 404 and body["error"]["code"] == "not_found"
    status, body, _ = invoke(easel_app, url_event("DELETE", "/v1/health"))
    assert status == 405 and body["error"]["code"] == "method_not_allowed"


def test_requests_without_the_origin_secret_are_refused(easel_app, monkeypatch):
    monkeypatch.setenv("ORIGIN_VERIFY_SECRET", "s3cret-from-cloudfront")
    status, body, _ = invoke(easel_app, url_event("GET", "/v1/health"))
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, _, _ = invoke(easel_app, url_event("GET", "/v1/health", headers={"x-origin-verify": "wrong"}))
    assert status == 403
    status, body, _ = invoke(easel_app, url_event("GET", "/v1/health", headers={
        "x-origin-verify": "s3cret-from-cloudfront"}))
    assert status == 200 and body == {"status": "ok"}


def test_a_function_url_request_is_metered_without_an_api_gateway_charge(client, easel_app, monkeypatch):
    from tests.functional.test_metering import delta, usage

    monkeypatch.delenv("ORIGIN_VERIFY_SECRET", raising=False)
    user = signup(client)
    metering.flush()
    before = usage("GET /v1/users/{handle}", "system")
    invoke(easel_app, url_event("GET", f"/v1/users/{user['handle']}"))
    metering.flush()
    d = delta(before, usage("GET /v1/users/{handle}", "system"))
    assert d["n"] == 1 and d["lr"] == 1 and "ar" not in d


@pytest.mark.parametrize("path, expected", [
    ("/v1/posts/01ABC", ("/v1/posts/{post_id}", {"post_id": "01ABC"})),
    ("/v1/users/someone/posts", ("/v1/users/{handle}/posts", {"handle": "someone"})),
    ("/v1/health", ("/v1/health", {})),
    ("/v1/posts/a/b/c/d/e", None),
])
def test_route_matching_prefers_literal_segments(easel_app, path, expected):
    routes = function_url.compile_routes(easel_app.app.routes)
    assert function_url.match(routes, path) == expected


def test_repeated_headers_and_cookies_in_the_response():
    answer = function_url.to_url_response({"statusCode": 200, "body": "", "headers": {"A": "1"},
                                           "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"], "Vary": ["x", "y"]}})
    assert answer["headers"] == {"A": "1", "Vary": "x, y"} and answer["cookies"] == ["a=1", "b=2"]
