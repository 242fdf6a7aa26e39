"""Sign-up, login, refresh and access-token checks through the app, against moto over HTTP."""
from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.helpers import PASSWORD, call, signup, unique_handle


def test_signup_returns_user_and_tokens(client):
    handle = unique_handle()
    status, body, headers = call(client, "POST", "/v1/auth/signup",
                                 {"handle": handle.upper(), "email": f"{handle}@example.com",
                                  "password": PASSWORD})
    assert status == 201
    assert body["user"]["handle"] == handle  # stored lower-case
    assert set(body["tokens"]) >= {"access_token", "refresh_token", "expires_in"}
    assert 0 < body["tokens"]["expires_in"] <= 900
    assert headers["cache-control"] == "private, no-store"
    header = jwt.get_unverified_header(body["tokens"]["access_token"])
    assert header["alg"] == "EdDSA" and header["kid"]


def test_handles_are_unique_case_insensitively(client):
    user = signup(client)
    status, body, _ = call(client, "POST", "/v1/auth/signup",
                           {"handle": user["handle"].upper(), "email": "other@example.com", "password": PASSWORD})
    assert status == 409
    assert body["error"]["code"] == "handle_taken"


@pytest.mark.parametrize("payload, field", [
    ({"handle": "ab", "email": "a@example.com", "password": PASSWORD}, "handle"),
    ({"handle": "has space", "email": "a@example.com", "password": PASSWORD}, "handle"),
    ({"handle": "x" * 31, "email": "a@example.com", "password": PASSWORD}, "handle"),
    ({"handle": "valid_name", "email": "not-an-email", "password": PASSWORD}, "email"),
    ({"handle": "valid_name", "email": "a@example.com", "password": "short"}, "password"),
    ({"handle": "valid_name", "email": "a@example.com"}, "password"),
])
def test_signup_validation_names_the_field(client, payload, field):
    status, body, _ = call(client, "POST", "/v1/auth/signup", payload)
    assert status == 400
    assert body["error"]["field"] == field
    assert body["error"]["code"] and body["error"]["message"]


def test_malformed_json_is_a_clear_400(client):
    status, body, _ = call(client, "POST", "/v1/auth/signup", "{not json")
    assert status == 400 and body["error"]["field"] == "body"
    status, body, _ = call(client, "POST", "/v1/auth/signup", "[1,2]")
    assert status == 400 and body["error"]["field"] == "body"


def test_login_and_wrong_credentials_look_the_same(client):
    user = signup(client)
    status, body, _ = call(client, "POST", "/v1/auth/login", {"handle": user["handle"], "password": PASSWORD})
    assert status == 200 and body["tokens"]["access_token"]
    wrong = call(client, "POST", "/v1/auth/login", {"handle": user["handle"], "password": "wrong password!"})
    unknown = call(client, "POST", "/v1/auth/login", {"handle": unique_handle(), "password": PASSWORD})
    assert wrong[0] == unknown[0] == 401
    assert wrong[1] == unknown[1]  # same body: no handle enumeration


def test_refresh_rotates_and_reuse_revokes_the_session(client):
    user = signup(client)
    status, body, _ = call(client, "POST", "/v1/auth/refresh", {"refresh_token": user["refresh_token"]})
    assert status == 200
    second = body["tokens"]["refresh_token"]
    assert second != user["refresh_token"]
    status, body, _ = call(client, "POST", "/v1/auth/refresh", {"refresh_token": second})
    assert status == 200
    third = body["tokens"]["refresh_token"]
    # A rotated-out token comes back after a later rotation (past the grace window that
    # covers retries, tests/functional/test_security_accounts.py): theft. The session ends...
    status, body, _ = call(client, "POST", "/v1/auth/refresh", {"refresh_token": user["refresh_token"]})
    assert status == 401 and body["error"]["code"] == "session_ended"
    # ...including the newest token.
    status, body, _ = call(client, "POST", "/v1/auth/refresh", {"refresh_token": third})
    assert status == 401


def test_garbage_refresh_token_is_401(client):
    for token in ["", "nodot", "a.b", "x" * 300]:
        status, body, _ = call(client, "POST", "/v1/auth/refresh", {"refresh_token": token})
        assert status == 401, token


def _b64(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def test_bad_access_tokens_get_401(client):
    user = signup(client)
    good = user["access_token"]
    claims = jwt.decode(good, options={"verify_signature": False})
    kid = jwt.get_unverified_header(good)["kid"]
    none_token = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{_b64(claims)}."
    head, payload, sig = good.split(".")
    tampered = f"{head}.{_b64({**claims, 'sub': 'someone-else'})}.{sig}"
    foreign_key = Ed25519PrivateKey.generate()
    foreign = jwt.encode(claims, foreign_key, algorithm="EdDSA", headers={"kid": kid})
    expired = jwt.encode({**claims, "iat": int(time.time()) - 4000, "exp": int(time.time()) - 3000},
                         foreign_key, algorithm="EdDSA", headers={"kid": kid})
    for token in [none_token, tampered, foreign, expired, "garbage", good + "x"]:
        status, body, _ = call(client, "GET", "/v1/feed", token=token)
        assert status == 401, token
        assert body["error"]["code"] in {"invalid_token", "token_expired"}
    status, _, _ = call(client, "GET", "/v1/feed", token=good)
    assert status == 200


def test_expired_token_signed_by_our_key_is_rejected(client, easel_app):
    from chalicelib import container

    user = signup(client)
    old = container.tokens().issue(user_id=user["id"], handle=user["handle"], session_id="s",
                                   roles=set(), now=time.time() - 3600)
    status, body, _ = call(client, "GET", "/v1/feed", token=old)
    assert status == 401 and body["error"]["code"] == "token_expired"


def test_wrong_issuer_or_audience_is_rejected(client):
    from chalicelib import container

    key = container.keyring().current()
    user = signup(client)
    now = int(time.time())
    base = {"sub": user["id"], "sid": "s", "iat": now, "exp": now + 60}
    for extra in ({"iss": "someone-else", "aud": "easel-api"}, {"iss": "easel-dev", "aud": "other-api"}):
        token = jwt.encode({**base, **extra}, key.private, algorithm="EdDSA", headers={"kid": key.kid})
        status, _, _ = call(client, "GET", "/v1/feed", token=token)
        assert status == 401


def test_jwks_publishes_the_public_key(client):
    status, body, _ = call(client, "GET", "/.well-known/jwks.json")
    assert status == 200
    assert body["keys"] and body["keys"][0]["kty"] == "OKP" and "d" not in body["keys"][0]


def test_stages_without_auto_confirm_require_a_verified_email_to_post(client):
    import copy

    from chalicelib import container
    from chalicelib.errors import Forbidden

    user = signup(client)
    principal = container.tokens().verify(user["access_token"])
    strict = copy.copy(container.accounts())
    strict.auto_confirm = False  # as in staging and prod (.chalice/config.json AUTO_CONFIRM=false)
    with pytest.raises(Forbidden) as refused:
        strict.ensure_can_post(principal)
    assert refused.value.code == "email_unverified"
    container.accounts().ensure_can_post(principal)  # dev auto-confirms: no error
