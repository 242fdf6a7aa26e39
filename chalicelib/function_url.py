"""The API's front door without API Gateway: a Lambda function URL behind CloudFront.

A function URL hands the function the HTTP API's *payload format 2.0* (`rawPath`,
`rawQueryString`, `requestContext.http`, comma-joined repeated headers and query parameters,
`cookies` apart). Chalice's handler reads the REST API's format 1.0 and routes on
`requestContext.resourcePath` — the matched route *template* (`/v1/posts/{post_id}`), which
API Gateway computes and a function URL does not. `to_rest_event` does what API Gateway did:
match the path against the app's route templates, fill `pathParameters`, and build the 1.0
event (multi-value query parameters from the raw query string); `to_url_response` turns
Chalice's answer back into the 2.0 response (no `multiValueHeaders`: repeated headers are
joined, `Set-Cookie` goes to `cookies`). Pure (dicts in, dicts out): no chalice import.

CloudFront is the only caller that may reach the URL: it adds a secret origin header
(`x-origin-verify`, the value in `ORIGIN_VERIFY_SECRET`); a request without it is refused
here before any route runs (`origin_verified`). Throttling and WAF rules stay at CloudFront;
reserved concurrency caps the function (docs/costs.md, "The API's front door").
"""
from __future__ import annotations

import hmac
import re
from typing import Any, Iterable
from urllib.parse import parse_qsl, unquote

ORIGIN_HEADER = "x-origin-verify"
DOOR = "function_url"

_Route = tuple[re.Pattern[str], str, int]


def compile_routes(templates: Iterable[str]) -> list[_Route]:
    """(regex, template, literal length) per route, most specific first, as API Gateway
    prefers a literal segment over a path variable."""
    out = []
    for template in templates:
        parts = []
        literal = 0
        for segment in template.strip("/").split("/") if template != "/" else []:
            m = re.fullmatch(r"\{(\w+)(\+?)\}", segment)
            if m:
                parts.append(f"(?P<{m.group(1)}>{'.+' if m.group(2) else '[^/]+'})")
            else:
                parts.append(re.escape(segment))
                literal += len(segment) + 1
        out.append((re.compile("^/" + "/".join(parts) + "$"), template, literal))
    return sorted(out, key=lambda r: -r[2])


def match(routes: list[_Route], path: str) -> tuple[str, dict[str, str]] | None:
    for pattern, template, _ in routes:
        m = pattern.match(path)
        if m:
            return template, {k: unquote(v) for k, v in m.groupdict().items()}
    return None


def is_url_event(event: Any) -> bool:
    return isinstance(event, dict) and event.get("version") == "2.0" and "rawPath" in event \
        and isinstance(event.get("requestContext"), dict) and "http" in event["requestContext"]


def origin_verified(event: dict[str, Any], secret: str | None) -> bool:
    """True when no secret is configured (local runs) or the header carries it."""
    if not secret:
        return True
    given = (event.get("headers") or {}).get(ORIGIN_HEADER, "")
    return hmac.compare_digest(given.encode(), secret.encode())


def to_rest_event(event: dict[str, Any], routes: list[_Route]) -> dict[str, Any] | None:
    """The REST (1.0) event Chalice expects, or None when no route matches the path."""
    ctx = event["requestContext"]
    http = ctx["http"]
    path = event.get("rawPath") or http.get("path") or "/"
    found = match(routes, path)
    if found is None:
        return None
    template, params = found
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items() if k.lower() != ORIGIN_HEADER}
    if event.get("cookies"):
        headers["cookie"] = "; ".join(event["cookies"])
    multi: dict[str, list[str]] = {}
    for key, value in parse_qsl(event.get("rawQueryString") or "", keep_blank_values=True):
        multi.setdefault(key, []).append(value)
    return {
        "resource": template, "path": path, "httpMethod": http["method"],
        "headers": headers, "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in multi.items()} or None,
        "multiValueQueryStringParameters": multi or None,
        "pathParameters": params or None, "stageVariables": None,
        "requestContext": {
            "resourcePath": template, "httpMethod": http["method"], "path": path,
            "requestId": ctx.get("requestId"), "accountId": ctx.get("accountId"), "apiId": ctx.get("apiId"),
            "domainName": ctx.get("domainName"), "stage": "$default", "requestTimeEpoch": ctx.get("timeEpoch"),
            "identity": {"sourceIp": http.get("sourceIp"), "userAgent": http.get("userAgent")},
            "protocol": http.get("protocol"), "easelDoor": DOOR,
        },
        "body": event.get("body"), "isBase64Encoded": bool(event.get("isBase64Encoded")),
    }


def to_url_response(response: dict[str, Any]) -> dict[str, Any]:
    """Chalice's 1.0 response as a 2.0 one: single-valued headers, `Set-Cookie` in `cookies`."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    merged: dict[str, list[str]] = {}
    for name, value in (response.get("headers") or {}).items():
        merged.setdefault(name, []).append(str(value))
    for name, values in (response.get("multiValueHeaders") or {}).items():
        merged.setdefault(name, []).extend(str(v) for v in values)
    for name, values in merged.items():
        if name.lower() == "set-cookie":
            cookies.extend(values)
        else:
            headers[name] = ", ".join(values)
    out = {"statusCode": response.get("statusCode", 200), "headers": headers, "body": response.get("body", ""),
           "isBase64Encoded": bool(response.get("isBase64Encoded"))}
    if cookies:
        out["cookies"] = cookies
    return out


def error(status: int, code: str, message: str) -> dict[str, Any]:
    import json

    return {"statusCode": status, "headers": {"Content-Type": "application/json", "Cache-Control": "private, no-store"},
            "body": json.dumps({"error": {"code": code, "message": message}}, separators=(",", ":")),
            "isBase64Encoded": False}
