"""Sign-up, login and refresh-token sessions (Easel's own identity layer).

Passwords: argon2id. Refresh tokens: opaque `<session_id>.<secret>`; only a SHA-256 of the
secret is stored; every use rotates it and a rotated secret presented again revokes the
session (OAuth 2.0 Security BCP reuse detection)."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from ulid import ULID

from chalicelib.adapters.store import SessionRepository, UserRepository
from chalicelib.adapters.tables import SessionItem, UserItem, iso, utcnow
from chalicelib.domain import validation as v
from chalicelib.errors import Unauthorized, ValidationError
from chalicelib.observability import logger
from chalicelib.services.tokens import TokenService

# argon2id at OWASP's recommended minimum (19 MiB, t=2, p=1): ~25-60 ms on a 1 GB Lambda;
# see docs/identity.md for the measurement and the trade-off.
PASSWORD_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16)
# Verified against when the handle does not exist, so both paths cost one argon2 verification.
_DUMMY_HASH = PASSWORD_HASHER.hash("easel-dummy-password-for-uniform-timing")
MIN_PASSWORD = 10
MAX_PASSWORD = 256
KEEP_PREVIOUS_SECRETS = 5


@dataclass(frozen=True)
class SessionPolicy:
    idle_s: int = 30 * 24 * 3600
    absolute_s: int = 90 * 24 * 3600


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class AccountService:
    def __init__(self, users: UserRepository, sessions: SessionRepository, tokens: TokenService,
                 policy: SessionPolicy = SessionPolicy(), min_password: int = MIN_PASSWORD) -> None:
        self.users = users
        self.sessions = sessions
        self.tokens = tokens
        self.policy = policy
        self.min_password = min_password

    # -- sign-up / login -------------------------------------------------------------
    def signup(self, body: Any, *, user_agent: str | None = None) -> dict:
        body = v.require_object(body)
        handle = v.handle(body.get("handle"))
        email = v.email(body.get("email"))
        password = self._validate_password(body.get("password"))
        now = utcnow()
        user = UserItem(*UserItem.key(str(ULID())), handle=handle, email=email,
                        password_hash=PASSWORD_HASHER.hash(password), created_at=iso(now))
        user.user_id = user.pk.split("#", 1)[1]
        self.users.create(user)
        logger.info("user signed up", user_id=user.user_id)
        return {"user": {"id": user.user_id, "handle": handle},
                "tokens": self._start_session(user, user_agent)}

    def login(self, body: Any, *, user_agent: str | None = None) -> dict:
        body = v.require_object(body)
        raw_handle = body.get("handle")
        password = body.get("password")
        if not isinstance(raw_handle, str) or not isinstance(password, str):
            raise ValidationError("'handle' and 'password' are required strings.", field="handle")
        user = self.users.get_by_handle(raw_handle.strip().lower()) if v.HANDLE_RE.match(
            raw_handle.strip().lower()) else None
        if not self._verify_password(user, password[:MAX_PASSWORD]):
            raise Unauthorized("Wrong handle or password.", code="invalid_credentials")
        assert user is not None
        if PASSWORD_HASHER.check_needs_rehash(user.password_hash):
            self.users.set_password_hash(user, PASSWORD_HASHER.hash(password))
        return {"tokens": self._start_session(user, user_agent)}

    def _verify_password(self, user: UserItem | None, password: str) -> bool:
        try:
            PASSWORD_HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return user is not None

    def _validate_password(self, password: Any) -> str:
        if not isinstance(password, str):
            raise ValidationError("'password' is required.", field="password")
        if len(password) < self.min_password:
            raise ValidationError(f"'password' must be at least {self.min_password} characters.",
                                  field="password")
        if len(password) > MAX_PASSWORD:
            raise ValidationError(f"'password' must be at most {MAX_PASSWORD} characters.", field="password")
        return password

    # -- sessions ----------------------------------------------------------------------
    def _start_session(self, user: UserItem, user_agent: str | None) -> dict:
        now = time.time()
        session_id = secrets.token_urlsafe(16)
        secret = secrets.token_urlsafe(32)
        stamp = iso(utcnow())
        session = SessionItem(*SessionItem.key(session_id), session_id=session_id, user_id=user.user_id,
                              secret_hash=_hash_secret(secret), created_at=stamp, last_used_at=stamp,
                              absolute_expiry=int(now + self.policy.absolute_s),
                              user_agent=(user_agent or "")[:200] or None,
                              expires_at=datetime.fromtimestamp(now + self.policy.idle_s, tz=timezone.utc))
        self.sessions.create(session)
        return self._token_pair(user, session_id, secret)

    def _token_pair(self, user: UserItem, session_id: str, secret: str) -> dict:
        access = self.tokens.issue(user_id=user.user_id, handle=user.handle, session_id=session_id,
                                   roles=set(user.roles or ()))
        return {"access_token": access, "refresh_token": f"{session_id}.{secret}",
                "token_type": "Bearer", "expires_in": self.tokens.ttl_s}

    def refresh(self, body: Any) -> dict:
        body = v.require_object(body)
        token = body.get("refresh_token")
        if not isinstance(token, str) or "." not in token or len(token) > 200:
            raise Unauthorized("The refresh token is invalid.", code="invalid_refresh_token")
        session_id, secret = token.split(".", 1)
        session = self.sessions.get(session_id)
        now = time.time()
        if session is None or session.revoked:
            raise Unauthorized("The session has ended; sign in again.", code="session_ended")
        idle_expired = session.expires_at is not None and session.expires_at.timestamp() < now
        if idle_expired or session.absolute_expiry < now:
            raise Unauthorized("The session has expired; sign in again.", code="session_expired")
        presented = _hash_secret(secret)
        if not hmac.compare_digest(presented, session.secret_hash):
            if any(hmac.compare_digest(presented, old) for old in (session.previous_hashes or [])):
                # A rotated token came back: someone holds a copy. End the whole session family.
                self.sessions.revoke(session_id)
                logger.warning("refresh token reuse; session revoked", session_id=session_id,
                               user_id=session.user_id)
                raise Unauthorized("The session has ended; sign in again.", code="session_ended")
            raise Unauthorized("The refresh token is invalid.", code="invalid_refresh_token")
        user = self.users.get(session.user_id)
        if user is None:
            raise Unauthorized("The session has ended; sign in again.", code="session_ended")
        new_secret = secrets.token_urlsafe(32)
        ttl = int(min(now + self.policy.idle_s, session.absolute_expiry))
        if not self.sessions.rotate(session, _hash_secret(new_secret), keep_previous=KEEP_PREVIOUS_SECRETS,
                                    last_used_at=iso(utcnow()),
                                    expires=datetime.fromtimestamp(ttl, tz=timezone.utc)):
            # Lost a race with a concurrent refresh of the same token: that is reuse too.
            self.sessions.revoke(session_id)
            raise Unauthorized("The session has ended; sign in again.", code="session_ended")
        return {"tokens": self._token_pair(user, session_id, new_secret)}
