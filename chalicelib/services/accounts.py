"""Sign-up, login, sessions, e-mail verification and password reset (Easel's own identity layer).

Passwords: argon2id. Refresh tokens: opaque `<session_id>.<secret>`; only a SHA-256 of the
secret is stored; every use rotates it and a rotated secret presented again revokes the
session (OAuth 2.0 Security BCP reuse detection). Failed logins are counted per account and
per client address with exponential backoff and a temporary lockout. E-mailed tokens are
single-use, expiring, and stored as SHA-256 hashes."""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from ulid import ULID

from chalicelib.adapters.store import (
    AttemptRepository, MailTokenRepository, SessionRepository, UserRepository,
)
from chalicelib.adapters.tables import AttemptItem, MailTokenItem, SessionItem, UserItem, iso, utcnow
from chalicelib.domain import validation as v
from chalicelib.domain.passwords import MAX_PASSWORD_LENGTH, validate_new_password
from chalicelib.errors import AppError, Forbidden, NotFound, TooManyRequests, Unauthorized, ValidationError
from chalicelib.observability import logger
from chalicelib.services.mail import MailService
from chalicelib.services.tokens import Principal, TokenService

# argon2id at OWASP's recommended minimum (19 MiB, t=2, p=1): ~25-60 ms on a 1 GB Lambda;
# see docs/identity.md for the measurement and the trade-off.
PASSWORD_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16)
# Verified against when the handle does not exist, so both paths cost one argon2 verification.
_DUMMY_HASH = PASSWORD_HASHER.hash("easel-dummy-password-for-uniform-timing")
MIN_PASSWORD = 10
# A refresh token presented again within this many seconds of its rotation (a retried request
# whose response was lost, two tabs refreshing at once) gets the same new pair instead of
# ending the session; later it is reuse, and the session ends (OAuth 2.0 Security BCP).
REFRESH_GRACE_S = 30
MAX_PASSWORD = MAX_PASSWORD_LENGTH
KEEP_PREVIOUS_SECRETS = 5

@dataclass(frozen=True)
class SessionPolicy:
    idle_s: int = 30 * 24 * 3600
    absolute_s: int = 90 * 24 * 3600


@dataclass(frozen=True)
class LoginPolicy:
    """Brute-force limits. Per account: `free` failures, then a wait doubling from 1 s with
    each failure, and at `max_failures` a lockout of `lockout_s`. The same per client address
    with higher numbers (many people share an address behind NAT)."""
    window_s: int = 15 * 60
    free: int = 5
    max_failures: int = 10
    ip_free: int = 20
    ip_max_failures: int = 100
    lockout_s: int = 15 * 60


@dataclass(frozen=True)
class MailPolicy:
    verify_ttl_s: int = 48 * 3600
    reset_ttl_s: int = 3600
    mails_per_window: int = 5
    window_s: int = 3600
    # Password-reset requests answer no sooner than this, so that an address with an account
    # (lookup + token + SES call) and one without take the same time.
    reset_floor_s: float = 0.35
    # Sign-ups per client address per window: each one mails an address (SES reputation).
    signups_per_window: int = 20


def login_counter_key(account: str, source: str | None) -> tuple[str, str]:
    """The failure counter of one account from one source (client address; a live session's
    password re-checks count per session instead)."""
    return AttemptItem.key("acct", f"{account}|{source or 'unknown'}")


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _grace_pad(old_secret: str) -> bytes:
    return hashlib.sha512(b"easel-refresh-grace|" + old_secret.encode()).digest()


def _seal(new_secret: str, old_secret: str) -> str:
    """The new secret, readable only by whoever presents the old one (the table holds hashes
    of secrets, never a usable secret)."""
    return bytes(a ^ b for a, b in zip(new_secret.encode(), _grace_pad(old_secret))).hex()


def _unseal(blob: str, old_secret: str) -> str | None:
    try:
        return bytes(a ^ b for a, b in zip(bytes.fromhex(blob), _grace_pad(old_secret))).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:32]


class AccountService:
    def __init__(self, users: UserRepository, sessions: SessionRepository, tokens: TokenService,
                 policy: SessionPolicy = SessionPolicy(), min_password: int = MIN_PASSWORD, *,
                 attempts: AttemptRepository | None = None, mail_tokens: MailTokenRepository | None = None,
                 mail: MailService | None = None, login_policy: LoginPolicy = LoginPolicy(),
                 mail_policy: MailPolicy = MailPolicy(), auto_confirm: bool = False,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep) -> None:
        self.users = users
        self.sessions = sessions
        self.tokens = tokens
        self.policy = policy
        self.min_password = min_password
        self.attempts = attempts or AttemptRepository()
        self.mail_tokens = mail_tokens or MailTokenRepository()
        self.mail = mail
        self.login_policy = login_policy
        self.mail_policy = mail_policy
        self.auto_confirm = auto_confirm
        self.clock = clock
        self.sleep = sleep

    # -- sign-up / login -------------------------------------------------------------
    def signup(self, body: Any, *, user_agent: str | None = None, client_ip: str | None = None) -> dict:
        body = v.require_object(body)
        handle = v.handle(body.get("handle"))
        email = v.email(body.get("email"))
        password = self._validate_password(body.get("password"))
        if client_ip:  # a throttle on sign-ups (and on probing which addresses are taken)
            counter = self.attempts.record_failure(AttemptItem.key("signup", client_ip), now=self.clock(),
                                                   window_s=self.mail_policy.window_s)
            if int(counter.failures) > self.mail_policy.signups_per_window:
                raise TooManyRequests("Too many sign-ups from this address; try again later.",
                                      code="too_many_signups",
                                      headers={"Retry-After": str(max(1, int(counter.window_ends - self.clock())))})
        now = utcnow()
        user = UserItem(*UserItem.key(str(ULID())), handle=handle, email=email,
                        password_hash=PASSWORD_HASHER.hash(password), created_at=iso(now))
        user.user_id = user.pk.split("#", 1)[1]
        self.users.create(user)
        logger.info("user signed up", user_id=user.user_id)
        if self._mail_allowed(user.user_id, email):
            self._send_verification(user)
        return {"user": {"id": user.user_id, "handle": handle, "email_verified": False},
                "tokens": self._start_session(user, user_agent)}

    def login(self, body: Any, *, user_agent: str | None = None, client_ip: str | None = None) -> dict:
        body = v.require_object(body)
        raw_handle = body.get("handle")
        password = body.get("password")
        if not isinstance(raw_handle, str) or not isinstance(password, str):
            raise ValidationError("'handle' and 'password' are required strings.", field="handle")
        identifier = raw_handle.strip().lower()[:320]
        user_id = self._user_id_for(identifier)
        # Counters are kept for identifiers without an account too: lockouts look the same.
        # Per (account, source): failures from one address slow and lock that address's
        # attempts on this account only, so nobody can lock an artist out of their account
        # from elsewhere; spraying many accounts from one address hits the address counter.
        acct_key = login_counter_key(user_id or f"id:{identifier}", client_ip)
        ip_key = AttemptItem.key("ip", client_ip) if client_ip else None
        keys = [acct_key] + ([ip_key] if ip_key else [])
        user, counters = self.attempts.load(keys, user_id)
        now = self.clock()
        self._refuse_if_blocked(counters.values(), now)
        if not self._verify_password(user, password[:MAX_PASSWORD]):
            self._count_failure(acct_key, now, self.login_policy.free, self.login_policy.max_failures)
            if ip_key:
                self._count_failure(ip_key, now, self.login_policy.ip_free, self.login_policy.ip_max_failures)
            raise Unauthorized("Wrong handle or password.", code="invalid_credentials")
        assert user is not None
        if acct_key in counters:  # a success forgives the account's earlier failures
            self.attempts.clear(acct_key)
        if PASSWORD_HASHER.check_needs_rehash(user.password_hash):
            self.users.set_password_hash(user, PASSWORD_HASHER.hash(password))
        return {"tokens": self._start_session(user, user_agent)}

    def _user_id_for(self, identifier: str) -> str | None:
        """Login by handle or by e-mail address: one lookup item read either way."""
        if "@" in identifier:
            return self.users.id_for_email(identifier) if v.EMAIL_RE.match(identifier) else None
        return self.users.id_for_handle(identifier) if v.HANDLE_RE.match(identifier) else None

    def _refuse_if_blocked(self, counters: Any, now: float) -> None:
        wait = 0.0
        for c in counters:
            # DynamoDB deletes expired items lazily (hours to days): the TTL is checked here.
            if c.expires_at is not None and c.expires_at.timestamp() <= now:
                continue
            for until in (c.locked_until, c.next_allowed_at):
                if until is not None and until > now:
                    wait = max(wait, until - now)
        if wait > 0:
            retry = max(1, int(wait + 0.999))
            raise TooManyRequests("Too many failed attempts; try again later.", code="too_many_attempts",
                                  headers={"Retry-After": str(retry)})

    def _count_failure(self, key: tuple[str, str], now: float, free: int, max_failures: int) -> None:
        p = self.login_policy
        counter = self.attempts.record_failure(key, now=now, window_s=p.window_s)
        failures = int(counter.failures)
        if failures >= max_failures:
            until = now + p.lockout_s
            self.attempts.block(key, next_allowed_at=None, locked_until=until, expires=until)
            logger.warning("login locked", key=key[0].split("#", 2)[1], failures=failures)
        elif failures > free:
            delay = min(2 ** (failures - free - 1), p.lockout_s)
            self.attempts.block(key, next_allowed_at=now + delay, locked_until=None,
                                expires=max(float(counter.window_ends), now + delay))

    def _verify_password(self, user: UserItem | None, password: str) -> bool:
        try:
            PASSWORD_HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return user is not None and not user.deletion_requested_at  # an account being erased: no entry

    def _validate_password(self, password: Any, field: str = "password") -> str:
        return validate_new_password(password, min_length=self.min_password, field=field)

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
                                   roles=set(user.roles or ()), email_verified=bool(user.email_verified))
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
        if not self._alive(session, now):
            raise Unauthorized("The session has expired; sign in again.", code="session_expired")
        presented = _hash_secret(secret)
        if not hmac.compare_digest(presented, session.secret_hash):
            again = self._within_grace(session, secret, presented, now)
            if again is not None:
                return self._grace_pair(session, again)
            if any(hmac.compare_digest(presented, old) for old in (session.previous_hashes or [])):
                # A rotated token came back: someone holds a copy. End the whole session family.
                self.sessions.revoke(session_id)
                logger.warning("refresh token reuse; session revoked", session_id=session_id,
                               user_id=session.user_id)
                raise Unauthorized("The session has ended; sign in again.", code="session_ended")
            raise Unauthorized("The refresh token is invalid.", code="invalid_refresh_token")
        user = self.users.get(session.user_id)
        if user is None or user.deletion_requested_at:
            raise Unauthorized("The session has ended; sign in again.", code="session_ended")
        new_secret = secrets.token_urlsafe(32)
        ttl = int(min(now + self.policy.idle_s, session.absolute_expiry))
        grace = (presented, _seal(new_secret, secret), int(now + REFRESH_GRACE_S))
        if not self.sessions.rotate(session, _hash_secret(new_secret), keep_previous=KEEP_PREVIOUS_SECRETS,
                                    last_used_at=iso(utcnow()),
                                    expires=datetime.fromtimestamp(ttl, tz=timezone.utc), grace=grace):
            # Lost a race with a concurrent refresh of the same token: the winner's pair, if
            # it rotated from this very token moments ago; anything else is reuse.
            current = self.sessions.get(session_id)
            again = self._within_grace(current, secret, presented, now) if current is not None else None
            if again is not None:
                return self._grace_pair(current, again)
            self.sessions.revoke(session_id)
            raise Unauthorized("The session has ended; sign in again.", code="session_ended")
        return {"tokens": self._token_pair(user, session_id, new_secret)}

    def _within_grace(self, session: SessionItem, secret: str, presented: str, now: float) -> str | None:
        """The secret this token was rotated into, if that happened under REFRESH_GRACE_S ago
        and nothing has rotated since (the pair handed out then is still the current one)."""
        if session.revoked or not session.grace_from or not session.grace_blob or not session.grace_until:
            return None
        if session.grace_until < now or not hmac.compare_digest(presented, session.grace_from):
            return None
        new_secret = _unseal(session.grace_blob, secret)
        if new_secret is None or not hmac.compare_digest(_hash_secret(new_secret), session.secret_hash):
            return None
        return new_secret

    def _grace_pair(self, session: SessionItem, new_secret: str) -> dict:
        user = self.users.get(session.user_id)
        if user is None or user.deletion_requested_at:
            raise Unauthorized("The session has ended; sign in again.", code="session_ended")
        logger.info("refresh retried within the grace window", session_id=session.session_id)
        return {"tokens": self._token_pair(user, session.session_id, new_secret)}

    @staticmethod
    def _alive(session: SessionItem, now: float) -> bool:
        idle_expired = session.expires_at is not None and session.expires_at.timestamp() < now
        return not session.revoked and not idle_expired and session.absolute_expiry >= now

    def require_live_session(self, principal: Principal) -> SessionItem:
        """For sensitive routes: an access token outlives a logout by up to its 15 minutes;
        these routes pay one read to refuse it at once (see docs/identity.md)."""
        session = self.sessions.get(principal.session_id)
        if session is None or session.user_id != principal.user_id or not self._alive(session, time.time()):
            raise Unauthorized("The session has ended; sign in again.", code="session_ended")
        return session

    def live_principal(self, principal: Principal) -> Principal:
        """Moderator, founder and delete routes: the session must still be live, and roles and
        verification come from the account now, not from when the token was issued."""
        self.require_live_session(principal)
        user = self.users.get(principal.user_id)
        if user is None or user.deletion_requested_at:
            raise Unauthorized("The session has ended; sign in again.", code="session_ended")
        return dataclasses.replace(principal, roles=frozenset(user.roles or ()),
                                   email_verified=bool(user.email_verified))

    def list_sessions(self, principal: Principal) -> dict:
        now = time.time()
        live = [s for s in self.sessions.list_for_user(principal.user_id) if self._alive(s, now)]
        if not any(s.session_id == principal.session_id for s in live):
            raise Unauthorized("The session has ended; sign in again.", code="session_ended")
        live.sort(key=lambda s: s.last_used_at, reverse=True)
        return {"items": [{"id": s.session_id, "created_at": s.created_at, "last_used_at": s.last_used_at,
                           "user_agent": s.user_agent, "current": s.session_id == principal.session_id}
                          for s in live]}

    def end_session(self, principal: Principal, session_id: str) -> None:
        self.require_live_session(principal)
        session = self.sessions.get(session_id) if 0 < len(session_id) <= 64 else None
        # Someone else's session and no session at all answer alike: nothing to learn.
        if session is None or session.user_id != principal.user_id or session.revoked:
            raise NotFound("No such session.", code="session_not_found")
        self.sessions.revoke(session_id)

    def logout(self, principal: Principal) -> None:
        """Idempotent; ends only the session the access token belongs to."""
        session = self.sessions.get(principal.session_id)
        if session is not None and session.user_id == principal.user_id and not session.revoked:
            self.sessions.revoke(principal.session_id)

    def logout_all(self, principal: Principal) -> dict:
        self.require_live_session(principal)
        return {"sessions_ended": self._end_sessions(principal.user_id, keep=None)}

    def _end_sessions(self, user_id: str, *, keep: str | None) -> int:
        now = time.time()
        ids = [s.session_id for s in self.sessions.list_for_user(user_id)
               if s.session_id != keep and self._alive(s, now)]
        return self.sessions.revoke_many(ids)

    def confirm_password(self, principal: Principal, password: str, *, field: str = "password") -> UserItem:
        """Sensitive actions (password change, account deletion) re-check the password on a
        live session; failures count towards the account's lockout like failed logins, so a
        stolen access token cannot guess on."""
        self.require_live_session(principal)
        # Counted per session: a stolen access token cannot guess on, and failed logins
        # elsewhere never stop the account's owner from changing the password or leaving.
        acct_key = login_counter_key(principal.user_id, f"session:{principal.session_id}")
        user, counters = self.attempts.load([acct_key], principal.user_id)
        now = self.clock()
        self._refuse_if_blocked(counters.values(), now)
        if user is None or user.deletion_requested_at:
            raise Unauthorized("The session has ended; sign in again.", code="session_ended")
        if not self._verify_password(user, password[:MAX_PASSWORD]):
            self._count_failure(acct_key, now, self.login_policy.free, self.login_policy.max_failures)
            raise Forbidden("The password is wrong.", code="wrong_password", field=field)
        return user

    def end_all_sessions(self, user_id: str) -> int:
        return self._end_sessions(user_id, keep=None)

    def change_password(self, principal: Principal, body: Any) -> dict:
        body = v.require_object(body)
        current, new = body.get("current_password"), body.get("new_password")
        if not isinstance(current, str):
            raise ValidationError("'current_password' is required.", field="current_password")
        user = self.confirm_password(principal, current, field="current_password")
        new = self._validate_password(new, field="new_password")
        self.users.set_password_hash(user, PASSWORD_HASHER.hash(new))
        ended = self._end_sessions(user.user_id, keep=principal.session_id)
        logger.info("password changed", user_id=user.user_id, sessions_ended=ended)
        return {"status": "password_changed", "sessions_ended": ended}

    # -- e-mail: verification and password reset --------------------------------------------
    def _issue_mail_token(self, user: UserItem, purpose: str, ttl_s: int) -> str:
        token = secrets.token_urlsafe(32)
        now = time.time()
        self.mail_tokens.create(MailTokenItem(
            *MailTokenItem.key(_hash_secret(token)), purpose=purpose, user_id=user.user_id, email=user.email,
            password_fingerprint=_fingerprint(user.password_hash) if purpose == "reset" else None,
            created_at=iso(utcnow()), valid_until=int(now + ttl_s),
            expires_at=datetime.fromtimestamp(now + ttl_s, tz=timezone.utc)))
        return token

    def _mail_allowed(self, user_id: str, email: str | None = None) -> bool:
        """At most `mails_per_window` identity mails per account per window, and as many per
        address (no mail bombing): the address counter outlives the account, so erasing and
        signing up again does not re-mail a victim's inbox."""
        p = self.mail_policy
        keys = [AttemptItem.key("mail", user_id)]
        if email:
            keys.append(AttemptItem.key("mailto", hashlib.sha256(email.strip().lower().encode()).hexdigest()))
        allowed = True
        for key in keys:
            counter = self.attempts.record_failure(key, now=self.clock(), window_s=p.window_s)
            allowed = allowed and int(counter.failures) <= p.mails_per_window
        return allowed

    def _send_verification(self, user: UserItem) -> None:
        if self.mail is None:
            return
        try:
            token = self._issue_mail_token(user, "verify", self.mail_policy.verify_ttl_s)
            self.mail.send_verification(to=user.email, handle=user.handle, token=token,
                                        valid_hours=self.mail_policy.verify_ttl_s // 3600)
        except AppError:
            # Sign-up has succeeded; the user can ask for another mail (POST /v1/auth/verify/resend).
            logger.exception("verification mail not sent", user_id=user.user_id)

    def resend_verification(self, principal: Principal) -> dict:
        user = self.users.get(principal.user_id)
        if user is None:
            raise Unauthorized("The session has ended; sign in again.", code="session_ended")
        if user.email_verified:
            return {"status": "already_verified"}
        if self._mail_allowed(user.user_id, user.email):
            self._send_verification(user)
        return {"status": "sent"}

    def _redeem(self, body: Any, purpose: str) -> tuple[MailTokenItem, UserItem]:
        body = v.require_object(body)
        token = body.get("token")
        invalid = ValidationError("The link is invalid, used or expired.", code="invalid_token", field="token")
        if not isinstance(token, str) or not 20 <= len(token) <= 100:
            raise invalid
        item = self.mail_tokens.get(_hash_secret(token))
        if item is None or item.purpose != purpose or item.used_at or item.valid_until <= time.time():
            raise invalid
        user = self.users.get(item.user_id, consistent=True)
        if user is None or user.email.lower() != item.email.lower():
            raise invalid
        if purpose == "reset" and item.password_fingerprint != _fingerprint(user.password_hash):
            raise invalid  # the password changed since this link was sent
        return item, user

    def verify_email(self, body: Any) -> dict:
        item, user = self._redeem(body, "verify")
        if not self.mail_tokens.consume(item) or not self.users.set_email_verified(user.user_id, item.email):
            raise ValidationError("The link is invalid, used or expired.", code="invalid_token", field="token")
        logger.info("e-mail verified", user_id=user.user_id)
        return {"status": "verified", "email_verified": True}

    def request_password_reset(self, body: Any) -> dict:
        """Always the same answer (202) after the same time, account or not."""
        started = time.monotonic()
        try:
            body = v.require_object(body)
            raw = body.get("email")
            email = raw.strip() if isinstance(raw, str) else ""
            user_id = self.users.id_for_email(email) if v.EMAIL_RE.match(email) and len(email) <= 320 else None
            user = self.users.get(user_id) if user_id else None
            if user is not None and self.mail is not None and self._mail_allowed(user.user_id, user.email):
                token = self._issue_mail_token(user, "reset", self.mail_policy.reset_ttl_s)
                self.mail.send_password_reset(to=user.email, handle=user.handle, token=token,
                                              valid_minutes=self.mail_policy.reset_ttl_s // 60)
        finally:
            elapsed = time.monotonic() - started
            if elapsed < self.mail_policy.reset_floor_s:
                self.sleep(self.mail_policy.reset_floor_s - elapsed)
            else:
                logger.warning("password-reset request slower than its floor", elapsed_s=round(elapsed, 3))
        return {"status": "accepted",
                "message": "If an account has that address, a reset link is on its way."}

    def confirm_password_reset(self, body: Any, *, client_ip: str | None = None) -> dict:
        """Works for a locked account too: it proves the mailbox, clears the lockout and ends
        every session (whoever guessed or stole the old password is signed out)."""
        body = v.require_object(body)
        password = self._validate_password(body.get("password"))  # before the token is spent
        item, user = self._redeem(body, "reset")
        if not self.mail_tokens.consume(item):
            raise ValidationError("The link is invalid, used or expired.", code="invalid_token", field="token")
        self.users.set_password_hash(user, PASSWORD_HASHER.hash(password))
        if not user.email_verified:  # the mailbox has just been proven
            self.users.set_email_verified(user.user_id, item.email)
        ended = self._end_sessions(user.user_id, keep=None)
        self.attempts.clear(login_counter_key(user.user_id, client_ip))  # this source's lockout
        logger.info("password reset", user_id=user.user_id, sessions_ended=ended)
        return {"status": "password_reset", "sessions_ended": ended}

    # -- what a stage lets unverified accounts do -------------------------------------------
    def ensure_verified(self, principal: Principal) -> None:
        """Writes other people see or receive (posts, comments, messages, follows, reports,
        jobs) need a verified e-mail address unless the stage confirms automatically (dev):
        an unverified address costs a spammer nothing."""
        self.ensure_can_post(principal)

    def ensure_can_post(self, principal: Principal) -> None:
        """Raise `Forbidden` (code `email_unverified`) when this stage requires a verified
        e-mail address to create posts (AUTO_CONFIRM false) and the account has none. Free
        when the token says verified; otherwise one read, so a just-verified user need not
        wait for a token refresh."""
        if self.auto_confirm or principal.email_verified:
            return
        user = self.users.get(principal.user_id)
        if user is None or not user.email_verified:
            raise Forbidden("Confirm your e-mail address first (see the mail we sent you).",
                            code="email_unverified")
