"""Community routes: discovery, tags, direct messages, the jobs board, and the API contract.
Wiring only: parse, call one service, map the result (services live in chalicelib/services)."""
from __future__ import annotations

from urllib.parse import unquote

from chalice import Blueprint, Rate, Response
from chalice.app import CloudWatchEvent

from chalicelib import container
from chalicelib.http import authenticate, body, json_response, query, router

bp = Blueprint(__name__)
route = router(bp)  # type: ignore[arg-type]

PUBLIC_LISTING = "public, max-age=30, s-maxage=60"
PUBLIC_STABLE = "public, max-age=300, s-maxage=600"


# -- discovery and tags ----------------------------------------------------------------------------
@route("/v1/discover", methods=["GET"])
def discover() -> Response:
    request = bp.current_request
    viewer = authenticate(request, required=False)
    page = container.discovery().discover(viewer, cursor=query(request, "cursor"))
    # Signed-in pages carry viewer-specific `blurred` flags: never shared by a cache.
    return json_response(page, cache_control="private, no-store" if viewer else PUBLIC_LISTING)


@route("/v1/tags", methods=["GET"])
def tag_suggestions() -> Response:
    return json_response(container.tags().suggest(query(bp.current_request, "prefix")),
                         cache_control=PUBLIC_STABLE)


@route("/v1/tags/{tag}/posts", methods=["GET"])
def tag_posts(tag: str) -> Response:
    request = bp.current_request
    viewer = authenticate(request, required=False)
    # API Gateway (REST) hands path parameters over still percent-encoded ('%23ink').
    page = container.tags().posts_for_tag(unquote(tag), viewer, limit_raw=query(request, "limit"),
                                          cursor=query(request, "cursor"))
    return json_response(page, cache_control="private, no-store" if viewer else PUBLIC_LISTING)


@bp.schedule(Rate(10, unit=Rate.MINUTES))
def build_discovery(event: CloudWatchEvent) -> dict:
    """Off the request path: rebuild the discovery snapshot (local/worker.py runs it on a timer).
    In survival the budget guard pauses it: discover keeps serving the last snapshot."""
    from chalicelib.services.guard import jobs_paused

    if jobs_paused():
        return {"skipped": "budget guard (survival): serving the last snapshot"}
    return container.discovery().build_snapshot()


# -- messages (always personal: private, no-store) -----------------------------------------------------
@route("/v1/conversations", methods=["POST", "GET"])
def conversations() -> Response:
    request = bp.current_request
    principal = authenticate(request, verified=request.method == "POST")
    if request.method == "POST":
        view, created = container.messages().start(principal, body(request))
        return json_response(view, 201 if created else 200)
    return json_response(container.messages().list(principal, limit_raw=query(request, "limit"),
                                                   cursor=query(request, "cursor")))


@route("/v1/conversations/{conversation_id}/messages", methods=["GET", "POST"])
def conversation_messages(conversation_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request, verified=request.method == "POST")
    if request.method == "POST":
        return json_response(container.messages().send(principal, conversation_id, body(request)), 201)
    return json_response(container.messages().messages(principal, conversation_id,
                                                       limit_raw=query(request, "limit"),
                                                       cursor=query(request, "cursor")))


@route("/v1/conversations/{conversation_id}/read", methods=["POST"])
def conversation_read(conversation_id: str) -> Response:
    principal = authenticate(bp.current_request)
    return json_response(container.messages().mark_read(principal, conversation_id))


@route("/v1/conversations/{conversation_id}/accept", methods=["POST"])
def conversation_accept(conversation_id: str) -> Response:
    principal = authenticate(bp.current_request)
    return json_response(container.messages().accept(principal, conversation_id))


# -- jobs board ----------------------------------------------------------------------------------------
@route("/v1/jobs", methods=["POST", "GET"])
def jobs() -> Response:
    request = bp.current_request
    if request.method == "POST":
        principal = authenticate(request, verified=True)
        return json_response(container.jobs().create(principal, body(request)), 201)
    page = container.jobs().list(tag=query(request, "tag"), kind=query(request, "type"),
                                 remote_raw=query(request, "remote"), limit_raw=query(request, "limit"),
                                 cursor=query(request, "cursor"))
    return json_response(page, cache_control=PUBLIC_LISTING)


@route("/v1/jobs/{job_id}", methods=["GET", "PATCH", "DELETE"])
def job(job_id: str) -> Response:
    request = bp.current_request
    if request.method == "GET":
        return json_response(container.jobs().get(job_id), cache_control=PUBLIC_LISTING)
    principal = authenticate(request)
    if request.method == "PATCH":
        return json_response(container.jobs().update(principal, job_id, body(request)))
    return json_response(container.jobs().delete(principal, job_id))


# -- the API contract ----------------------------------------------------------------------------------
@route("/v1/openapi.json", methods=["GET"])
def openapi() -> Response:
    from chalicelib.openapi import document

    return json_response(document(), cache_control=PUBLIC_STABLE)
