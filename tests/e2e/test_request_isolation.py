"""Issue 19: every answer of the local platform belongs to its own request.

Several users at once, each reading `GET /v1/me`, writing `PATCH /v1/me` with a body only
that request carries, and creating collections with titles only that request carries — fired
from a thread pool at the running platform, over HTTP, as browsers and the load benchmark do.
Chalice's threaded local server kept the request being handled in one attribute of the app, so
two requests in flight crossed: a PATCH applied another user's bio, a GET ran with a
collection's body. Measured against that server, this test failed on every run (see the note
in docs/local-platform.md); against the pool of single-request environments it must pass."""
from __future__ import annotations

import random
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.helpers import PASSWORD, unique_handle

pytestmark = pytest.mark.e2e

USERS = 4
CLIENTS = 12
ROUNDS_PER_USER = 45  # 180 requests in all: the crossing showed in 2-7 of 160 PATCHes per run


def _signup(base: str) -> dict:
    handle = unique_handle("iso")
    r = requests.post(f"{base}/v1/auth/signup", json={"handle": handle, "email": f"{handle}@example.com",
                                                       "password": PASSWORD}, timeout=30)
    assert r.status_code == 201, r.text
    return {"handle": handle, "token": r.json()["tokens"]["access_token"], "bios": set()}


def _one(base: str, user: dict, kind: str) -> str | None:
    """Send one request; return a description of what went wrong, or None."""
    headers = {"Authorization": f"Bearer {user['token']}"}
    tag = f"{user['handle']}-{uuid.uuid4().hex[:10]}"
    if kind == "read":
        r = requests.get(f"{base}/v1/me", headers=headers, timeout=60)
        if r.status_code != 200 or r.json().get("handle") != user["handle"]:
            return f"GET /v1/me for {user['handle']}: {r.status_code} {r.text[:200]}"
    elif kind == "write":
        user["bios"].add(tag)
        r = requests.patch(f"{base}/v1/me", headers=headers, json={"bio": tag}, timeout=60)
        if r.status_code != 200 or r.json().get("handle") != user["handle"] or r.json().get("bio") != tag:
            return f"PATCH /v1/me bio={tag}: {r.status_code} {r.text[:200]}"
    else:
        r = requests.post(f"{base}/v1/collections", headers=headers, json={"title": tag}, timeout=60)
        body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
        if r.status_code != 201 or body.get("title") != tag or body.get("owner", {}).get("handle") != user["handle"]:
            return f"POST /v1/collections title={tag}: {r.status_code} {r.text[:200]}"
    return None


def test_concurrent_requests_from_several_users_never_cross(platform):
    base = platform.api_url
    users = [_signup(base) for _ in range(USERS)]
    rng = random.Random(19)
    work = [(u, rng.choice(("read", "write", "create"))) for u in users for _ in range(ROUNDS_PER_USER)]
    rng.shuffle(work)
    with ThreadPoolExecutor(CLIENTS) as pool:
        problems = [p for p in pool.map(lambda w: _one(base, *w), work) if p]
    assert problems == [], f"{len(problems)} of {len(work)} answers did not belong to their request:\n" + \
        "\n".join(problems[:10])

    # What was stored belongs to its owner too: each user's bio is one that user sent.
    for user in users:
        me = requests.get(f"{base}/v1/me", headers={"Authorization": f"Bearer {user['token']}"}, timeout=30).json()
        if user["bios"]:
            assert me["bio"] in user["bios"], (user["handle"], me["bio"])


def test_requests_in_flight_are_served_by_different_environments(platform):
    """The pool answers overlapping requests in parallel (several environments), each one
    request at a time; the environment's number is a local-only response header."""
    base = platform.api_url
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: requests.get(f"{base}/v1/health", timeout=30), range(64)))
    assert all(a.status_code == 200 for a in answers)
    assert all(a.headers.get("Connection") == "close" for a in answers)
    assert len({a.headers["X-Local-Environment"] for a in answers}) >= 2
