"""Founders' routes (costs, budget, guard, donations, prices) and the donations webhook.
Wiring only: parse, call one service, map the result."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.http import authenticate, body, json_response, query, router

admin = Blueprint(__name__)
route = router(admin)  # type: ignore[arg-type]


def _costs():  # type: ignore[no-untyped-def]
    from chalicelib.services.costs import cost_service

    return cost_service()


def _guard():  # type: ignore[no-untyped-def]
    from chalicelib.services.guard import guard_service

    return guard_service()


def _donations():  # type: ignore[no-untyped-def]
    from chalicelib.services.donations import donation_service

    return donation_service()


@route("/v1/admin/costs", methods=["GET"])
def costs_report() -> Response:
    request = admin.current_request
    principal = authenticate(request)
    return json_response(_costs().report(principal, query(request, "from"), query(request, "to"),
                                         query(request, "group_by")))


@route("/v1/admin/costs/daily", methods=["GET"])
def costs_daily() -> Response:
    request = admin.current_request
    return json_response(_costs().daily(authenticate(request), query(request, "month")))


@route("/v1/admin/costs/monthly", methods=["GET"])
def costs_monthly() -> Response:
    request = admin.current_request
    return json_response(_costs().monthly(authenticate(request), query(request, "months")))


@route("/v1/admin/budget", methods=["GET", "PUT"])
def budget() -> Response:
    request = admin.current_request
    principal = authenticate(request)
    if request.method == "GET":
        return json_response(_costs().get_budget(principal))
    return json_response(_costs().put_budget(principal, body(request)))


@route("/v1/admin/prices", methods=["GET", "PUT"])
def prices() -> Response:
    request = admin.current_request
    principal = authenticate(request)
    from chalicelib.services.costs import require_founder

    require_founder(principal)
    if request.method == "GET":
        return json_response(_costs().price_table())
    return json_response(_costs().add_price_version(body(request)))


@route("/v1/admin/guard", methods=["GET", "PUT"])
def guard() -> Response:
    request = admin.current_request
    principal = authenticate(request)
    if request.method == "GET":
        return json_response(_guard().get(principal))
    return json_response(_guard().pin(principal, body(request)))


@route("/v1/admin/guard/evaluate", methods=["POST"])
def guard_evaluate() -> Response:
    principal = authenticate(admin.current_request)
    from chalicelib.services.costs import require_founder

    require_founder(principal)
    return json_response(_guard().evaluate(trigger=f"on demand by {principal.handle}"))


@route("/v1/admin/donations", methods=["GET", "POST"])
def donations() -> Response:
    request = admin.current_request
    principal = authenticate(request)
    if request.method == "GET":
        return json_response(_donations().ledger(principal))
    return json_response(_donations().add_manual(principal, body(request)), 201)


@route("/v1/webhooks/donations", methods=["POST"],
       content_types=["application/x-www-form-urlencoded", "application/json"])
def donations_webhook() -> Response:
    return json_response(_donations().kofi_webhook(admin.current_request.raw_body))
