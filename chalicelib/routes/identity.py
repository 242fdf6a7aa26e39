"""Identity routes beyond sign-up/login/refresh (which app.py keeps): sessions, logout,
password change and reset, e-mail verification, role audit; plus the local-only outbox."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib import container
from chalicelib.http import authenticate, body, json_response, router, source_ip

bp = Blueprint(__name__)
route = router(bp)  # type: ignore[arg-type]  # a Blueprint routes like an app

# Served only by the local platform (app.py registers it when SERVE_LOCAL_ROUTES is on).
dev_bp = Blueprint(__name__ + ".dev")
dev_route = router(dev_bp)  # type: ignore[arg-type]


def _request() -> Request:
    request = bp.current_request
    assert request is not None
    return request


def _no_content() -> Response:
    return Response(body="", status_code=204, headers={"Cache-Control": "private, no-store"})


# -- sessions --------------------------------------------------------------------------------
@route("/v1/auth/sessions", methods=["GET"])
def list_sessions() -> Response:
    principal = authenticate(_request())
    return json_response(container.accounts().list_sessions(principal))


@route("/v1/auth/sessions/{session_id}", methods=["DELETE"])
def end_session(session_id: str) -> Response:
    principal = authenticate(_request())
    container.accounts().end_session(principal, session_id)
    return _no_content()


@route("/v1/auth/logout", methods=["POST"])
def logout() -> Response:
    principal = authenticate(_request())
    container.accounts().logout(principal)
    return _no_content()


@route("/v1/auth/logout-all", methods=["POST"])
def logout_all() -> Response:
    principal = authenticate(_request())
    return json_response(container.accounts().logout_all(principal))


@route("/v1/auth/password", methods=["POST"])
def change_password() -> Response:
    request = _request()
    principal = authenticate(request)
    return json_response(container.accounts().change_password(principal, body(request)))


# -- e-mail flows -----------------------------------------------------------------------------
@route("/v1/auth/verify", methods=["POST"])
def verify_email() -> Response:
    return json_response(container.accounts().verify_email(body(_request())))


@route("/v1/auth/verify/resend", methods=["POST"])
def resend_verification() -> Response:
    principal = authenticate(_request())
    return json_response(container.accounts().resend_verification(principal), 202)


@route("/v1/auth/password-reset", methods=["POST"])
def request_password_reset() -> Response:
    return json_response(container.accounts().request_password_reset(body(_request())), 202)


@route("/v1/auth/password-reset/confirm", methods=["POST"])
def confirm_password_reset() -> Response:
    return json_response(container.accounts().confirm_password_reset(body(_request()),
                                                                     client_ip=source_ip(_request())))


# -- roles ------------------------------------------------------------------------------------
@route("/v1/admin/users/{handle}/role-changes", methods=["GET"])
def role_changes(handle: str) -> Response:
    principal = authenticate(_request())
    return json_response(container.roles().history(principal, handle))


# -- local platform only ------------------------------------------------------------------------
@dev_route("/dev/outbox", methods=["GET"])
def outbox() -> Response:
    """Mail sent through the local SES (moto), newest first, from the archive the local mailer keeps."""
    from chalicelib.adapters.mail import read_sent_messages

    items: list[dict[str, Any]] = read_sent_messages(container.settings().uploads_bucket)
    return json_response({"items": list(reversed(items))})
