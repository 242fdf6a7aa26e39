"""HTTP edge: JSON responses, the one place domain errors become HTTP errors, request
authentication, and the middleware every route runs through. Only this module and app.py
import chalice."""
from __future__ import annotations

import functools
import hashlib
import json
import os
import uuid
from typing import Any, Callable

from chalice import Chalice, Response
from chalice.app import Request

from chalicelib import container, function_url, metering
from chalicelib.errors import AppError, Unauthorized, ValidationError
from chalicelib.observability import logger, trace_if_sampled
from chalicelib.services.tokens import Principal

JSON = "application/json"
NO_STORE = "private, no-store"
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                    "X-Robots-Tag": "noai, noimageai", "tdm-reservation": "1"}
# Chalice's own errors (405, 415, unhandled 500) are rewritten into Easel's error shape.
_CHALICE_CODES = {405: "method_not_allowed", 415: "unsupported_media_type", 400: "bad_request",
                  500: "internal_error", 404: "not_found", 403: "forbidden"}


class EaselChalice(Chalice):
    """Chalice, also answering a Lambda function URL (payload format 2.0) behind CloudFront:
    the event is turned into the REST format Chalice routes on and the answer back
    (chalicelib/function_url.py). REST (1.0) events go straight through, as before."""

    _url_routes: list | None = None

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        if not function_url.is_url_event(event):
            return super().__call__(event, context)
        if not function_url.origin_verified(event, os.environ.get("ORIGIN_VERIFY_SECRET")):
            answer = function_url.error(403, "forbidden", "Requests reach the API through its CDN.")
        else:
            if self._url_routes is None:
                self._url_routes = function_url.compile_routes(self.routes)
            rest = function_url.to_rest_event(event, self._url_routes)
            if rest is None:  # what API Gateway's MISSING_AUTHENTICATION_TOKEN mapping answers
                answer = function_url.error(404, "not_found", "No such route.")
            else:
                return function_url.to_url_response(super().__call__(rest, context))
        answer["headers"].update(SECURITY_HEADERS)
        return answer


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None,
                  cache_control: str = NO_STORE) -> Response:
    merged = {"Content-Type": JSON, "Cache-Control": cache_control}
    merged.update(headers or {})
    return Response(body=json.dumps(body, separators=(",", ":")), status_code=status, headers=merged)


def error_response(exc: AppError) -> Response:
    return json_response(exc.body(), exc.status, headers=exc.headers)


def router(app: Chalice) -> Callable[..., Callable[[Callable[..., Response]], Callable[..., Response]]]:
    """`app.route` plus domain-error conversion: views raise AppError, clients get JSON."""

    def route(path: str, **kwargs: Any) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
        def decorator(view: Callable[..., Response]) -> Callable[..., Response]:
            @functools.wraps(view)
            def wrapped(*args: Any, **kw: Any) -> Response:
                try:
                    return view(*args, **kw)
                except AppError as exc:
                    return error_response(exc)
            return app.route(path, **kwargs)(wrapped)
        return decorator
    return route


MAX_JSON_DEPTH = 32  # no request body of the API nests deeper than a few levels


def body(request: Request) -> Any:
    raw = request.raw_body
    if not raw:
        raise ValidationError("A JSON body is required.", field="body")
    return parse_json(raw)


def parse_json(raw: bytes | str, field: str = "body") -> Any:
    """JSON from a client: invalid, or nested past MAX_JSON_DEPTH (json.loads itself raises
    RecursionError on a few thousand levels), is a 400, never a 500."""
    try:
        parsed = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ValidationError("The body is not valid JSON (or nests too deeply).", field=field) from None
    if json_depth(parsed) > MAX_JSON_DEPTH:
        raise ValidationError(f"The body nests deeper than {MAX_JSON_DEPTH} levels.", field=field,
                              code="too_deep")
    return parsed


def json_depth(value: Any) -> int:
    """Iterative (a recursive walk would hit the very limit it guards)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                return deepest
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def authenticate(request: Request, *, required: bool = True) -> Principal | None:
    header = request.headers.get("authorization")
    if not header:
        if required:
            raise Unauthorized("Sign in first: send 'Authorization: Bearer <access_token>'.",
                               code="missing_token")
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("The Authorization header must be 'Bearer <access_token>'.", code="invalid_token")
    principal = container.tokens().verify(token.strip())
    metering.set_user(principal.user_id)  # cost attribution (chalicelib/metering)
    return principal


def source_ip(request: Request) -> str | None:
    identity = (request.context or {}).get("identity") or {}
    ip = identity.get("sourceIp")
    return str(ip) if ip else None


def query(request: Request, name: str) -> str | None:
    params = request.query_params or {}
    return params.get(name)


def entity_tag(payload: str | bytes) -> str:
    data = payload.encode() if isinstance(payload, str) else payload
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    candidates = {part.strip().removeprefix("W/") for part in header.split(",")}
    return "*" in candidates or etag in candidates


def conditional_get(request: Request, response: Response) -> Response:
    """Public GET responses carry an ETag (hash of the body, so it changes whenever the content
    does) and answer a matching If-None-Match with 304: CloudFront and browsers revalidate
    for the price of a Lambda call without the body. Personal responses are left alone."""
    cache_control = response.headers.get("Cache-Control", "")
    if request.method != "GET" or response.status_code != 200 or not cache_control.startswith("public"):
        return response
    payload = response.body if isinstance(response.body, (str, bytes)) else json.dumps(response.body)
    etag = entity_tag(payload)
    if _etag_matches(request.headers.get("if-none-match"), etag):
        headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-type", "content-length")}
        headers["ETag"] = etag
        return Response(body="", status_code=304, headers=headers)
    response.headers["ETag"] = etag
    return response


def install_middleware(app: Chalice) -> None:
    metering.install()

    @app.middleware("http")
    def edge(event: Request, get_response: Callable[[Request], Response]) -> Response:
        trace_if_sampled()
        meter_token = _meter_start(event)
        request_id = event.headers.get("x-request-id") or uuid.uuid4().hex
        logger.set_correlation_id(request_id)
        try:
            response = get_response(event)
        except Exception:  # noqa: BLE001 - last line of defence: no stack traces to clients
            logger.exception("unhandled error", path=event.path)
            response = json_response({"error": {"code": "internal_error",
                                                "message": "An internal error occurred."}}, 500)
        if response.status_code >= 400 and isinstance(response.body, dict) and "Code" in response.body:
            code = _CHALICE_CODES.get(response.status_code, "error")
            headers = {k: v for k, v in response.headers.items() if k.lower() != "content-type"}
            response = json_response({"error": {"code": code, "message": str(response.body.get("Message"))}},
                                     response.status_code, headers=headers)
        response = conditional_get(event, response)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers["X-Request-Id"] = request_id
        if response.status_code >= 500:
            logger.error("server error", path=event.path, status=response.status_code)
        _meter_finish(meter_token, response,
                      api_request=(event.context or {}).get("easelDoor") != function_url.DOOR)
        return _cost_guard_cache_control(response)


# -- cost control (chalicelib/metering, chalicelib/services/guard.py) ------------------------
def _meter_start(event: Request) -> Any:
    """One metered invocation per request, attributed to the route template."""
    if not metering.enabled():
        return None
    return metering.start(f"{event.method} {(event.context or {}).get('resourcePath') or 'unrouted'}")


def _meter_finish(token: Any, response: Response, *, api_request: bool = True) -> None:
    """`api_request`: the request came through API Gateway (priced per request); a function
    URL request (chalicelib/function_url.py) has no such charge."""
    if token is not None:
        metering.finish(token, memory_mb=metering.api_memory_mb(), api_request=api_request, sink=metering.sink,
                        status=response.status_code)


def _cost_guard_cache_control(response: Response) -> Response:
    """Budget guard lever: at saver/survival, public reads are cached longer at the CDN."""
    cache = response.headers.get("Cache-Control", "")
    if response.status_code == 200 and cache.startswith("public") and "immutable" not in cache:
        from chalicelib.services.guard import public_cache_control

        response.headers["Cache-Control"] = public_cache_control(cache)
    return response
