"""Account erasure end to end: the platform `make run` starts (moto, API, worker as separate
processes), driven over HTTP only. The final pass and the handle's grace period are shortened
by configuration (ERASURE_FINAL_PASS_DELAY_SECONDS, HANDLE_GRACE_SECONDS) so the test can
watch both happen; production keeps 900 s and 30 days."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterator

import pytest
import requests

from local.platform import Platform
from tests.e2e.conftest import running_platform
from tests.fixtures.photos import jpeg_with_gps
from tests.helpers import PASSWORD, unique_handle

pytestmark = pytest.mark.e2e
GRACE_S = 45  # longer than the final pass (15 s) plus the checks before the release


@pytest.fixture(scope="module")
def erasure_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    yield from running_platform(Path(tmp_path_factory.mktemp("erasure-logs")),
                                ERASURE_FINAL_PASS_DELAY_SECONDS="15", HANDLE_GRACE_SECONDS=str(GRACE_S))


def _signup(base: str, handle: str | None = None, email: str | None = None) -> requests.Response:
    handle = handle or unique_handle("e2e")
    return requests.post(f"{base}/v1/auth/signup", timeout=10, json={
        "handle": handle, "email": email or f"{handle}@example.com", "password": PASSWORD})


def _user(base: str) -> dict:
    r = _signup(base)
    assert r.status_code == 201, r.text
    return {"handle": r.json()["user"]["handle"], "id": r.json()["user"]["id"], **r.json()["tokens"]}


def _auth(user: dict) -> dict:
    return {"Authorization": f"Bearer {user['access_token']}"}


def _until(check: Callable[[], bool], timeout_s: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for: {what}")


def test_an_artist_deletes_their_account_and_it_is_erased(erasure_platform):
    base = erasure_platform.api_url
    ada, bo = _user(base), _user(base)
    assert requests.post(f"{base}/v1/users/{ada['handle']}/follow", headers=_auth(bo), timeout=10).status_code == 200
    photo = jpeg_with_gps(640, 400)
    r = requests.post(f"{base}/v1/posts", headers=_auth(ada), timeout=10,
                      json={"title": "Harbour", "content_type": "image/jpeg", "content_length": len(photo)})
    post_id, upload = r.json()["post"]["id"], r.json()["upload"]
    assert requests.post(upload["url"], data=upload["fields"], files={"file": ("h.jpg", photo)},
                         timeout=30).status_code in (200, 204)
    _until(lambda: requests.get(f"{base}/v1/posts/{post_id}", timeout=10).status_code == 200, what="publication")
    media_url = requests.get(f"{base}/v1/posts/{post_id}", timeout=10).json()["images"][0]["url"]
    assert requests.get(media_url, timeout=10).status_code == 200
    assert requests.post(f"{base}/v1/posts/{post_id}/like", headers=_auth(bo), timeout=10).status_code == 200
    conv = requests.post(f"{base}/v1/conversations", headers=_auth(bo), json={"handle": ada["handle"]},
                         timeout=10).json()
    assert requests.post(f"{base}/v1/conversations/{conv['id']}/messages", headers=_auth(bo),
                         json={"text": "love your harbour"}, timeout=10).status_code == 201
    r = requests.post(f"{base}/v1/posts", headers=_auth(bo), timeout=10,
                      json={"title": "Bo's", "content_type": "image/jpeg", "content_length": len(photo)})
    bo_post_id, bo_upload = r.json()["post"]["id"], r.json()["upload"]
    requests.post(bo_upload["url"], data=bo_upload["fields"], files={"file": ("b.jpg", photo)}, timeout=30)
    _until(lambda: requests.get(f"{base}/v1/posts/{bo_post_id}", timeout=10).status_code == 200, what="Bo's post")

    r = requests.request("DELETE", f"{base}/v1/me", headers=_auth(ada), json={"password": PASSWORD}, timeout=10)
    assert r.status_code == 202, r.text
    assert requests.get(f"{base}/v1/users/{ada['handle']}", timeout=10).status_code == 404

    # Pass 1 (the worker): the post, its media and Bo's follow of Ada are gone.
    _until(lambda: requests.get(f"{base}/v1/posts/{post_id}", timeout=10).status_code == 404, what="post erased")
    _until(lambda: requests.get(media_url, timeout=10).status_code == 404, what="media erased")
    _until(lambda: requests.get(f"{base}/v1/me", headers=_auth(bo), timeout=10).json()["following_count"] == 0,
           what="Bo's following count repaired")
    # Ada's access token still works for a few minutes; what it writes now is caught by pass 2.
    late = requests.post(f"{base}/v1/posts/{bo_post_id}/comments", headers=_auth(ada), json={"text": "late"},
                         timeout=10)
    assert late.status_code == 201, late.text  # (if pass 2 ran before this, the wait below times out)
    assert requests.get(f"{base}/v1/posts/{bo_post_id}", timeout=10).json()["comments_count"] == 1
    _until(lambda: requests.get(f"{base}/v1/posts/{bo_post_id}", timeout=10).json()["comments_count"] == 0,
           what="the final pass removing the late comment")
    assert requests.get(f"{base}/v1/posts/{bo_post_id}/comments", timeout=10).json()["items"] == []
    # Bo keeps his own message; the conversation is read-only now.
    msgs = requests.get(f"{base}/v1/conversations/{conv['id']}/messages", headers=_auth(bo), timeout=10).json()
    assert [m["text"] for m in msgs["items"]] == ["love your harbour"]
    r = requests.post(f"{base}/v1/conversations/{conv['id']}/messages", headers=_auth(bo), json={"text": "?"},
                      timeout=10)
    assert r.status_code == 410 and r.json()["error"]["code"] == "account_deleted"

    # The handle is reserved for the grace period, then free for someone new.
    r = _signup(base, ada["handle"], f"other-{ada['handle']}@example.com")
    assert r.status_code == 409 and r.json()["error"]["code"] == "handle_taken"
    _until(lambda: _signup(base, ada["handle"], f"other-{ada['handle']}@example.com").status_code == 201,
           timeout_s=GRACE_S + 30, what="the handle released after its grace period")
    assert requests.get(f"{base}/v1/users/{ada['handle']}", timeout=10).json()["id"] != ada["id"]
