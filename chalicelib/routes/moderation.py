"""Moderation routes (Blueprint): the review queue, items and decisions; appeals; reports.
Wiring only: parse, call one service method, map the result."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.http import authenticate, body, json_response, query, router

bp = Blueprint(__name__)
route = router(bp)  # type: ignore[arg-type]


def _service():  # type: ignore[no-untyped-def]
    from chalicelib.services.moderation import moderation_service

    return moderation_service()


@route("/v1/moderation/queue", methods=["GET"])
def moderation_queue() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    return json_response(_service().queue_page(principal, kind=query(request, "kind"), reason=query(request, "reason"),
                                               cursor=query(request, "cursor"), limit_raw=query(request, "limit"),
                                               min_age_raw=query(request, "min_age_hours")))


@route("/v1/moderation/items/{item_id}", methods=["GET"])
def moderation_item(item_id: str) -> Response:
    return json_response(_service().item_detail(authenticate(bp.current_request), item_id))


@route("/v1/moderation/items/{item_id}/decision", methods=["POST"])
def moderation_decision(item_id: str) -> Response:
    principal = authenticate(bp.current_request)
    return json_response(_service().decide(principal, item_id, body(bp.current_request)))


@route("/v1/moderation/known-ai", methods=["POST", "GET"])
def moderation_known_ai() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    if request.method == "GET":
        return json_response(_service().list_known_ai(principal, cursor=query(request, "cursor"),
                                                      limit_raw=query(request, "limit")))
    return json_response(_service().add_known_ai(principal, body(request)), 201)


@route("/v1/moderation/known-ai/{entry_id}", methods=["DELETE"])
def moderation_known_ai_entry(entry_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    return json_response(_service().delete_known_ai(principal, entry_id, phash=query(request, "phash")))


@route("/v1/posts/{post_id}/appeal", methods=["POST", "GET"])
def post_appeal(post_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    if request.method == "GET":
        return json_response(_service().appeals_of(principal, post_id))
    return json_response(_service().appeal(principal, post_id, body(request)), 201)


@route("/v1/posts/{post_id}/report", methods=["POST"])
def post_report(post_id: str) -> Response:
    principal = authenticate(bp.current_request)
    return json_response(_service().report(principal, post_id, body(bp.current_request)), 201)
