"""Opaque, tamper-safe pagination cursors: HMAC-SHA256 signed, bound to a scope
(e.g. the feed of one user) so a cursor from one listing cannot page another."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from chalicelib.errors import ValidationError


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_cursor(key: bytes, scope: str, position: dict[str, Any]) -> str:
    payload = json.dumps({"s": scope, "p": position}, separators=(",", ":"), sort_keys=True).encode()
    mac = hmac.new(key, payload, hashlib.sha256).digest()[:16]
    return f"{_b64(payload)}.{_b64(mac)}"


def decode_cursor(key: bytes, scope: str, cursor: str | None) -> dict[str, Any] | None:
    if cursor is None or cursor == "":
        return None
    try:
        payload_text, mac_text = cursor.split(".", 1)
        payload = _unb64(payload_text)
        mac = _unb64(mac_text)
    except (ValueError, UnicodeEncodeError):
        raise ValidationError("'cursor' is not valid.", field="cursor") from None
    expected = hmac.new(key, payload, hashlib.sha256).digest()[:16]
    if not hmac.compare_digest(mac, expected):
        raise ValidationError("'cursor' is not valid.", field="cursor")
    data = json.loads(payload)
    if data.get("s") != scope or not isinstance(data.get("p"), dict):
        raise ValidationError("'cursor' does not belong to this listing.", field="cursor")
    return data["p"]
