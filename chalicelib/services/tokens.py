"""Access tokens: short-lived EdDSA JWTs with a `kid`, verified against the current and
previous keys so that tokens signed before a rotation stay valid until they expire.

PyJWT and cryptography are imported where a key or a token is first handled, not at module
import: `app.py` imports this module on every cold start (via the HTTP edge), and requests
without a token (public pages, health, robots) never need them (bench/bench_cold_start.py)."""
from __future__ import annotations

import base64
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from chalicelib.errors import Unauthorized

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "EdDSA"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: Ed25519PrivateKey | None
    public: Ed25519PublicKey


@dataclass(frozen=True)
class Principal:
    user_id: str
    handle: str
    session_id: str
    roles: frozenset[str]
    # As of when the token was issued; `AccountService.ensure_can_post` re-reads when False.
    email_verified: bool = False

    def has_role(self, role: str) -> bool:
        return role in self.roles


def new_signing_key() -> dict[str, str]:
    """A fresh Ed25519 key as stored in the secret: {"kid", "private_pem"}."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return {"kid": uuid.uuid4().hex[:16], "private_pem": pem}


def new_keyring_secret() -> dict[str, Any]:
    return {"current": new_signing_key(), "previous": [], "cursor_key": secrets.token_hex(32)}


# Keys kept after rotation. One is enough while rotations are further apart than an access
# token's lifetime plus the key-ring cache (15 + 5 minutes); see docs/identity.md.
KEEP_PREVIOUS_KEYS = 1


def rotate_keyring_secret(raw: dict[str, Any], keep_previous: int = KEEP_PREVIOUS_KEYS) -> dict[str, Any]:
    """current -> previous, a new current; the cursor MAC key is left alone (cursors in
    clients' hands stay valid). Pure: the caller reads and writes the secret."""
    previous = [raw["current"], *raw.get("previous", [])][:keep_previous]
    return {**raw, "current": new_signing_key(), "previous": previous}


class KeyRing:
    """Parsed once per secret version; `loader` returns the secret JSON
    ({"current": {"kid","private_pem"}, "previous": [...], "cursor_key": hex})."""

    def __init__(self, loader: Callable[[bool], dict[str, Any]]) -> None:
        self._loader = loader
        self._raw_id: int | None = None
        self._keys: dict[str, SigningKey] = {}
        self._current: SigningKey | None = None
        self._cursor_key = b""

    def _refresh(self, force: bool = False) -> None:
        raw = self._loader(force)
        if id(raw) == self._raw_id:
            return
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        keys: dict[str, SigningKey] = {}
        entries = [raw["current"], *raw.get("previous", [])]
        for entry in entries:
            private = serialization.load_pem_private_key(entry["private_pem"].encode(), password=None)
            assert isinstance(private, Ed25519PrivateKey)
            keys[entry["kid"]] = SigningKey(entry["kid"], private, private.public_key())
        self._keys = keys
        self._current = keys[raw["current"]["kid"]]
        self._cursor_key = bytes.fromhex(raw["cursor_key"])
        self._raw_id = id(raw)

    def current(self) -> SigningKey:
        self._refresh()
        assert self._current is not None
        return self._current

    def find(self, kid: str) -> SigningKey | None:
        self._refresh()
        key = self._keys.get(kid)
        if key is None:  # maybe rotated since our last read: one forced re-read
            self._refresh(force=True)
            key = self._keys.get(kid)
        return key

    def cursor_key(self) -> bytes:
        self._refresh()
        return self._cursor_key

    def jwks(self) -> dict[str, Any]:
        from cryptography.hazmat.primitives import serialization

        self._refresh()
        out = []
        for key in self._keys.values():
            raw = key.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            out.append({"kty": "OKP", "crv": "Ed25519", "kid": key.kid, "use": "sig", "alg": ALGORITHM,
                        "x": base64.urlsafe_b64encode(raw).rstrip(b"=").decode()})
        return {"keys": out}


class TokenService:
    def __init__(self, keyring: KeyRing, *, issuer: str, audience: str, ttl_s: int) -> None:
        self.keyring = keyring
        self.issuer = issuer
        self.audience = audience
        self.ttl_s = ttl_s

    def issue(self, *, user_id: str, handle: str, session_id: str, roles: frozenset[str] | set[str],
              now: float | None = None, email_verified: bool = False) -> str:
        import jwt

        now = time.time() if now is None else now
        key = self.keyring.current()
        claims = {"iss": self.issuer, "aud": self.audience, "sub": user_id, "handle": handle,
                  "sid": session_id, "roles": sorted(roles), "ev": bool(email_verified),
                  "iat": int(now), "exp": int(now) + self.ttl_s}
        return jwt.encode(claims, key.private, algorithm=ALGORITHM, headers={"kid": key.kid})

    def verify(self, token: str) -> Principal:
        import jwt

        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthorized("The access token is malformed.", code="invalid_token") from None
        if header.get("alg") != ALGORITHM or not isinstance(header.get("kid"), str):
            raise Unauthorized("The access token is not signed as required.", code="invalid_token")
        key = self.keyring.find(header["kid"])
        if key is None:
            raise Unauthorized("The access token was signed by an unknown key.", code="invalid_token")
        try:
            claims = jwt.decode(token, key.public, algorithms=[ALGORITHM], audience=self.audience,
                                issuer=self.issuer, leeway=5,
                                options={"require": ["exp", "iat", "sub", "sid", "iss", "aud"]})
        except jwt.ExpiredSignatureError:
            raise Unauthorized("The access token has expired.", code="token_expired") from None
        except jwt.PyJWTError:
            raise Unauthorized("The access token is invalid.", code="invalid_token") from None
        roles = claims.get("roles") or []
        return Principal(user_id=claims["sub"], handle=str(claims.get("handle", "")),
                         session_id=claims["sid"], roles=frozenset(r for r in roles if isinstance(r, str)),
                         email_verified=claims.get("ev") is True)
