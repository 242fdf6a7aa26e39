"""Portability routes (issue 18): portfolio imports and the downloadable archive.
Wiring only: parse, call one service, map the result (chalicelib/services/{imports,archives}.py)."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import container
from chalicelib.http import authenticate, body, json_response, query, router

bp = Blueprint(__name__)
route = router(bp)  # type: ignore[arg-type]


@route("/v1/imports", methods=["POST", "GET"])
def imports() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    if request.method == "POST":
        container.accounts().ensure_can_post(principal)
        return json_response(container.imports().create(principal, body(request)), 201)
    return json_response(container.imports().list(principal, limit_raw=query(request, "limit"),
                                                  cursor=query(request, "cursor")))


@route("/v1/imports/{import_id}", methods=["GET"])
def one_import(import_id: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    return json_response(container.imports().get(principal, import_id, limit_raw=query(request, "limit"),
                                                 cursor=query(request, "cursor")))


@route("/v1/me/archive", methods=["POST", "GET"])
def archive() -> Response:
    request = bp.current_request
    principal = authenticate(request)
    if request.method == "POST":
        return json_response(container.archives().request(principal), 202)
    return json_response(container.archives().status(principal))
