"""Accounts (the security review): live sessions and live roles on moderator/founder/delete
routes, no writes others see from unverified accounts where the stage verifies, a grace
window for retried refreshes, lockouts per (account, source), and the viewer's own address
behind CloudFront with requests around CloudFront refused."""
from __future__ import annotations

import secrets
import time

import pytest

from tests.functional.screening_support import moderator
from tests.helpers import PASSWORD, call, signup, verify_email


@pytest.fixture(autouse=True)
def client_address(monkeypatch):
    from chalice.local import LambdaEventConverter

    ip = f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", ip)
    return ip


def _logout(client, user):
    assert call(client, "POST", "/v1/auth/logout", token=user["access_token"])[0] == 204


# -- live session and roles -------------------------------------------------------------------------
def test_moderator_routes_refuse_the_access_token_of_an_ended_session(client):
    mod = moderator(client, signup(client))
    assert call(client, "GET", "/v1/moderation/queue", token=mod["access_token"])[0] == 200
    _logout(client, mod)
    status, body, _ = call(client, "GET", "/v1/moderation/queue", token=mod["access_token"])
    assert status == 401 and body["error"]["code"] == "session_ended"


def test_a_revoked_role_takes_effect_at_once(client):
    from chalicelib import container

    mod = moderator(client, signup(client))
    container.roles().revoke(mod["handle"], "moderators", actor="test")
    status, body, _ = call(client, "GET", "/v1/moderation/queue", token=mod["access_token"])
    assert status == 403, body
    status, body, _ = call(client, "GET", "/v1/admin/costs", token=mod["access_token"])
    assert status == 403, body


def test_delete_routes_refuse_the_access_token_of_an_ended_session(client):
    user = signup(client)
    status, created, _ = call(client, "POST", "/v1/collections", {"title": "Skies"}, token=user["access_token"])
    assert status == 201, created
    _logout(client, user)
    status, body, _ = call(client, "DELETE", f"/v1/collections/{created['id']}", token=user["access_token"])
    assert status == 401 and body["error"]["code"] == "session_ended"


# -- unverified accounts ---------------------------------------------------------------------------
@pytest.fixture
def strict_stage(monkeypatch, easel_app):
    """As staging and prod (.chalice/config.json AUTO_CONFIRM=false)."""
    from chalicelib import container

    monkeypatch.setattr(container.accounts(), "auto_confirm", False)


def test_unverified_accounts_cannot_write_what_others_see(client, strict_stage):
    author, newcomer = signup(client), signup(client)
    t = newcomer["access_token"]
    attempts = [
        ("POST", f"/v1/users/{author['handle']}/follow", None),
        ("POST", "/v1/posts/01ANYPOSTID/comments", {"body": "hello"}),
        ("POST", "/v1/posts/01ANYPOSTID/report", {"reason": "spam"}),
        ("POST", "/v1/posts/01ANYPOSTID/repost", None),
        ("POST", "/v1/conversations", {"handle": author["handle"], "body": "hi"}),
        ("POST", "/v1/conversations/01ANYCONV/messages", {"body": "hi"}),
        ("POST", "/v1/jobs", {"title": "Painter"}),
        ("POST", "/v1/posts", {"title": "x", "content_type": "image/jpeg", "content_length": 10}),
    ]
    for method, path, payload in attempts:
        status, body, _ = call(client, method, path, payload, token=t)
        assert status == 403 and body["error"]["code"] == "email_unverified", (path, status, body)
    verify_email(client, newcomer)
    status, body, _ = call(client, "POST", f"/v1/users/{author['handle']}/follow", token=t)
    assert status == 200, body
    # Reading, liking one's own way around, unfollowing: not gated.
    assert call(client, "DELETE", f"/v1/users/{author['handle']}/follow", token=t)[0] == 200


# -- refresh grace -----------------------------------------------------------------------------------
def test_a_retried_refresh_gets_the_same_new_pair_and_later_reuse_still_ends_the_session(client):
    from chalicelib.adapters.tables import SessionItem

    user = signup(client)
    first = call(client, "POST", "/v1/auth/refresh", {"refresh_token": user["refresh_token"]})
    again = call(client, "POST", "/v1/auth/refresh", {"refresh_token": user["refresh_token"]})  # lost response
    assert first[0] == again[0] == 200, again
    assert first[1]["tokens"]["refresh_token"] == again[1]["tokens"]["refresh_token"]
    newest = first[1]["tokens"]["refresh_token"]
    session_id = newest.split(".")[0]
    SessionItem(*SessionItem.key(session_id)).update(actions=[SessionItem.grace_until.set(int(time.time()) - 1)])
    status, body, _ = call(client, "POST", "/v1/auth/refresh", {"refresh_token": user["refresh_token"]})
    assert status == 401 and body["error"]["code"] == "session_ended"
    assert call(client, "POST", "/v1/auth/refresh", {"refresh_token": newest})[0] == 401


def test_the_grace_secret_is_not_stored_usable():
    from chalicelib.services.accounts import _seal, _unseal

    blob = _seal("new-secret-value", "old-secret")
    assert "new-secret-value" not in blob and _unseal(blob, "old-secret") == "new-secret-value"
    assert _unseal(blob, "another-secret") != "new-secret-value"


# -- lockouts per (account, source) -----------------------------------------------------------------
@pytest.fixture
def tight_policy(monkeypatch, easel_app):
    from chalicelib import container
    from chalicelib.services.accounts import LoginPolicy

    accounts = container.accounts()
    monkeypatch.setattr(accounts, "login_policy", LoginPolicy(free=0, max_failures=2, lockout_s=600,
                                                              ip_free=100, ip_max_failures=100))


def test_failures_from_one_address_do_not_lock_the_owner_out_from_another(client, tight_policy, monkeypatch):
    from chalice.local import LambdaEventConverter

    victim = signup(client)
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", "198.51.100.66")  # the attacker
    for _ in range(2):
        call(client, "POST", "/v1/auth/login", {"handle": victim["handle"], "password": "guess guess guess"})
    status, _, _ = call(client, "POST", "/v1/auth/login", {"handle": victim["handle"], "password": PASSWORD})
    assert status == 429  # the attacker's address is locked out of this account
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", "203.0.113.5")  # the owner, elsewhere
    status, body, _ = call(client, "POST", "/v1/auth/login", {"handle": victim["handle"], "password": PASSWORD})
    assert status == 200, body
    # And the owner's live session can still change the password (counted per session).
    status, body, _ = call(client, "POST", "/v1/auth/password",
                           {"current_password": PASSWORD, "new_password": "another long passphrase"},
                           token=victim["access_token"])
    assert status == 200, body


# -- behind CloudFront --------------------------------------------------------------------------------
@pytest.fixture
def behind_cloudfront(monkeypatch):
    monkeypatch.setenv("ORIGIN_VERIFY_SECRET", "s3cret-from-the-stack")
    yield {"X-Origin-Verify": "s3cret-from-the-stack"}


def test_requests_that_did_not_come_through_cloudfront_are_refused(client, behind_cloudfront):
    status, body, _ = call(client, "GET", "/v1/health")
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, body, _ = call(client, "GET", "/v1/health", headers={"X-Origin-Verify": "wrong"})
    assert status == 403
    assert call(client, "GET", "/v1/health", headers=behind_cloudfront)[0] == 200


def test_address_limits_key_on_the_viewer_not_the_edge(client, behind_cloudfront, tight_policy):
    from chalicelib.adapters.tables import AttemptItem

    status, created, _ = call(client, "POST", "/v1/auth/signup",
                              {"handle": f"v_{secrets.token_hex(4)}", "email": f"v{secrets.token_hex(4)}@example.com",
                               "password": PASSWORD}, headers=behind_cloudfront)
    assert status == 201, created
    viewer = "198.51.100.23"
    headers = {**behind_cloudfront, "CloudFront-Viewer-Address": f"{viewer}:46532"}
    call(client, "POST", "/v1/auth/login", {"handle": created["user"]["handle"], "password": "wrong wrong wrong"},
         headers=headers)
    item = AttemptItem.get(*AttemptItem.key("ip", viewer), consistent_read=True)
    assert item.failures == 1


# -- sign-up throttle and mail bombing ----------------------------------------------------------------
def test_sign_ups_per_address_are_limited(client, monkeypatch, easel_app):
    import dataclasses

    from chalicelib import container

    accounts = container.accounts()
    monkeypatch.setattr(accounts, "mail_policy", dataclasses.replace(accounts.mail_policy, signups_per_window=2))
    for _ in range(2):
        signup(client)
    handle = f"s_{secrets.token_hex(4)}"
    status, body, headers = call(client, "POST", "/v1/auth/signup",
                                 {"handle": handle, "email": f"{handle}@example.com", "password": PASSWORD})
    assert status == 429 and body["error"]["code"] == "too_many_signups" and int(headers["retry-after"]) > 0


def test_identity_mail_is_counted_per_address_across_accounts(easel_app, monkeypatch):
    """Erase and sign up again with the victim's address: a new account, the same counter."""
    import dataclasses

    from chalicelib import container

    accounts = container.accounts()
    monkeypatch.setattr(accounts, "mail_policy", dataclasses.replace(accounts.mail_policy, mails_per_window=1))
    address = f"victim{secrets.token_hex(4)}@example.com"
    assert accounts._mail_allowed(f"acct-{secrets.token_hex(4)}", address)
    assert not accounts._mail_allowed(f"acct-{secrets.token_hex(4)}", address.upper())
