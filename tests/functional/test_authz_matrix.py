"""Authorization matrix generated from the app's route table (issue 14): every route and
method is sent as {anonymous, a plain user, a moderator, a founder} and answered as its access
class says. A route missing from ACCESS fails the test, so a new route needs an entry.

Path parameters are dummy ids: the matrix is about who may reach a route, so a class that
admits the caller may answer 400/404 (no such thing), never 401/403 for the wrong reason.
The owner / another user / blocked user columns of the ownership-gated routes are covered by
their feature tests (collections, posts, messages, blocks), not generated here."""
from __future__ import annotations

import re
from typing import Any

import pytest

from chalicelib.adapters.tables import UserItem
from tests.functional.costs_helpers import founder
from tests.helpers import PASSWORD, call, signup

PUBLIC, SIGNED_IN, MODERATOR, FOUNDER = "public", "signed_in", "moderator", "founder"
# Own credentials instead of a bearer token: a refresh token, a mailed link, the webhook secret.
OWN = "own_credentials"

ACCESS: dict[str, str] = {
    "GET /.well-known/jwks.json": PUBLIC, "GET /.well-known/tdmrep.json": PUBLIC, "GET /robots.txt": PUBLIC,
    "GET /dev/outbox": PUBLIC, "GET /media/p/{post_id}/{name}": PUBLIC, "GET /v1/health": PUBLIC,
    "GET /v1/openapi.json": PUBLIC,
    "POST /v1/auth/signup": PUBLIC, "POST /v1/auth/login": PUBLIC, "POST /v1/auth/refresh": OWN,
    "POST /v1/auth/password-reset": PUBLIC, "POST /v1/auth/password-reset/confirm": OWN,
    "POST /v1/auth/verify": OWN, "POST /v1/webhooks/donations": OWN,
    "POST /v1/auth/logout": SIGNED_IN, "POST /v1/auth/logout-all": SIGNED_IN, "POST /v1/auth/password": SIGNED_IN,
    "GET /v1/auth/sessions": SIGNED_IN, "DELETE /v1/auth/sessions/{session_id}": SIGNED_IN,
    "POST /v1/auth/verify/resend": SIGNED_IN,
    "GET /v1/discover": PUBLIC, "GET /v1/tags": PUBLIC, "GET /v1/tags/{tag}/posts": PUBLIC,
    "GET /v1/users/{handle}": PUBLIC, "GET /v1/users/{handle}/posts": PUBLIC, "GET /v1/users/{handle}/likes": PUBLIC,
    "GET /v1/users/{handle}/collections": PUBLIC, "GET /v1/posts/{post_id}": PUBLIC,
    "GET /v1/posts/{post_id}/comments": PUBLIC, "GET /v1/collections/{collection_id}/posts": PUBLIC,
    "GET /v1/jobs": PUBLIC, "GET /v1/jobs/{job_id}": PUBLIC,
    "GET /v1/feed": SIGNED_IN, "GET /v1/notifications": SIGNED_IN, "POST /v1/notifications/read": SIGNED_IN,
    "GET /v1/me": SIGNED_IN, "PATCH /v1/me": SIGNED_IN, "DELETE /v1/me": SIGNED_IN,
    "POST /v1/me/avatar": SIGNED_IN, "DELETE /v1/me/avatar": SIGNED_IN, "POST /v1/me/banner": SIGNED_IN,
    "DELETE /v1/me/banner": SIGNED_IN, "PUT /v1/me/portfolio-order": SIGNED_IN,
    "POST /v1/posts": SIGNED_IN, "PATCH /v1/posts/{post_id}": SIGNED_IN, "DELETE /v1/posts/{post_id}": SIGNED_IN,
    "POST /v1/posts/{post_id}/like": SIGNED_IN, "DELETE /v1/posts/{post_id}/like": SIGNED_IN,
    "POST /v1/posts/{post_id}/comments": SIGNED_IN, "DELETE /v1/posts/{post_id}/comments/{comment_id}": SIGNED_IN,
    "POST /v1/posts/{post_id}/repost": SIGNED_IN, "DELETE /v1/posts/{post_id}/repost": SIGNED_IN,
    "POST /v1/posts/{post_id}/report": SIGNED_IN, "GET /v1/posts/{post_id}/appeal": SIGNED_IN,
    "POST /v1/posts/{post_id}/appeal": SIGNED_IN,
    "POST /v1/users/{handle}/follow": SIGNED_IN, "DELETE /v1/users/{handle}/follow": SIGNED_IN,
    "POST /v1/users/{handle}/block": SIGNED_IN, "DELETE /v1/users/{handle}/block": SIGNED_IN,
    "POST /v1/users/{handle}/mute": SIGNED_IN, "DELETE /v1/users/{handle}/mute": SIGNED_IN,
    "POST /v1/collections": SIGNED_IN, "PATCH /v1/collections/{collection_id}": SIGNED_IN,
    "DELETE /v1/collections/{collection_id}": SIGNED_IN, "PUT /v1/collections/{collection_id}/order": SIGNED_IN,
    "POST /v1/collections/{collection_id}/posts": SIGNED_IN,
    "DELETE /v1/collections/{collection_id}/posts/{post_id}": SIGNED_IN,
    "GET /v1/conversations": SIGNED_IN, "POST /v1/conversations": SIGNED_IN,
    "POST /v1/conversations/{conversation_id}/accept": SIGNED_IN,
    "GET /v1/conversations/{conversation_id}/messages": SIGNED_IN,
    "POST /v1/conversations/{conversation_id}/messages": SIGNED_IN,
    "POST /v1/conversations/{conversation_id}/read": SIGNED_IN,
    "POST /v1/jobs": SIGNED_IN, "PATCH /v1/jobs/{job_id}": SIGNED_IN, "DELETE /v1/jobs/{job_id}": SIGNED_IN,
    "GET /v1/moderation/queue": MODERATOR, "GET /v1/moderation/items/{item_id}": MODERATOR,
    "POST /v1/moderation/items/{item_id}/decision": MODERATOR, "GET /v1/moderation/known-ai": MODERATOR,
    "POST /v1/moderation/known-ai": MODERATOR, "DELETE /v1/moderation/known-ai/{entry_id}": MODERATOR,
    "GET /v1/admin/costs": FOUNDER, "GET /v1/admin/budget": FOUNDER, "PUT /v1/admin/budget": FOUNDER,
    "GET /v1/admin/prices": FOUNDER, "PUT /v1/admin/prices": FOUNDER, "GET /v1/admin/guard": FOUNDER,
    "PUT /v1/admin/guard": FOUNDER, "POST /v1/admin/guard/evaluate": FOUNDER, "GET /v1/admin/donations": FOUNDER,
    "POST /v1/admin/donations": FOUNDER, "GET /v1/admin/users/{handle}/role-changes": FOUNDER,
    "GET /v1/admin/costs/daily": FOUNDER, "GET /v1/admin/costs/monthly": FOUNDER,
    "GET /v1/imports": SIGNED_IN, "GET /v1/imports/{import_id}": SIGNED_IN, "POST /v1/imports": SIGNED_IN,
    "GET /v1/me/archive": SIGNED_IN, "POST /v1/me/archive": SIGNED_IN,
}
# Roles are separate, not a ladder: a founder is not a moderator unless granted both.
EVERYONE = {"anonymous", "user", "moderator", "founder"}
ADMITS = {PUBLIC: EVERYONE, OWN: EVERYONE, SIGNED_IN: {"user", "moderator", "founder"},
          MODERATOR: {"moderator"}, FOUNDER: {"founder"}}
# Changes that would spoil the callers' own state for the rest of the matrix (their sessions,
# their account, the platform's guard level): sent only as anonymous, where they must be refused.
ONLY_ANONYMOUS = {"POST /v1/auth/logout", "POST /v1/auth/logout-all", "DELETE /v1/me", "POST /v1/auth/password",
                  "PUT /v1/admin/guard", "POST /v1/admin/guard/evaluate", "PUT /v1/admin/budget",
                  "PUT /v1/admin/prices", "POST /v1/admin/donations",
                  "POST /v1/imports", "POST /v1/me/archive"}  # start background jobs


def routes(app: Any) -> list[str]:
    return sorted(f"{method} {path}" for path, methods in app.routes.items() for method in methods)


def _concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: "nobody_0" if m.group(1) == "handle" else "01M99ZZZZZZZZZZZZZZZZZZZZZ", path)


@pytest.fixture(scope="module")
def callers(easel_app: Any) -> dict[str, str | None]:
    from chalice.test import Client

    with Client(easel_app.app) as c:
        user = signup(c)
        moderator = signup(c)
        UserItem(*UserItem.key(moderator["id"])).update(actions=[UserItem.roles.add({"moderator"})])
        status, body, _ = call(c, "POST", "/v1/auth/login", {"handle": moderator["handle"], "password": PASSWORD})
        assert status == 200, body
        boss = founder(c)
    return {"anonymous": None, "user": user["access_token"], "moderator": body["tokens"]["access_token"],
            "founder": boss["access_token"]}


def test_every_route_has_an_access_class(easel_app: Any) -> None:
    missing = [r for r in routes(easel_app.app) if r not in ACCESS]
    assert not missing, f"routes without an entry in ACCESS (add one): {missing}"
    stale = [r for r in ACCESS if r not in routes(easel_app.app)]
    assert not stale, f"entries for routes that no longer exist: {stale}"


def test_the_matrix(client: Any, easel_app: Any, callers: dict[str, str | None]) -> None:
    wrong: list[str] = []
    for route in routes(easel_app.app):
        access = ACCESS.get(route)
        if access is None:
            continue  # reported by the test above
        method, path = route.split(" ", 1)
        for who, token in callers.items():
            if who != "anonymous" and route in ONLY_ANONYMOUS:
                continue
            body = {} if method in ("POST", "PUT", "PATCH") else None
            status, answer, _ = call(client, method, _concrete(path), body, token=token)
            if status >= 500:
                wrong.append(f"{who:9} {route}: {status} {answer}")
            elif who in ADMITS[access]:
                if status in (401, 403) and not (answer or {}).get("error", {}).get("code") in (
                        "invalid_refresh_token", "invalid_token", "invalid_signature", "blocked", "likes_hidden"):
                    wrong.append(f"{who:9} {route}: {status} {answer} but {access} admits {who}")
            elif who == "anonymous":
                if status != 401:
                    wrong.append(f"{who:9} {route}: {status}, expected 401 ({access})")
            elif status != 403:
                wrong.append(f"{who:9} {route}: {status}, expected 403 ({access})")
    assert not wrong, "\n".join(wrong)
