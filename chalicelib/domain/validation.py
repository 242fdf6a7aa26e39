"""Boundary validation of request bodies: every failure names its field."""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from chalicelib.errors import ValidationError

HANDLE_RE = re.compile(r"^[a-z0-9_]{3,30}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")
TAG_RE = re.compile(r"[^\w-]+", re.UNICODE)

ALLOWED_CONTENT_TYPES = {
    "image/jpeg": "jpeg", "image/png": "png", "image/webp": "webp",
    "image/avif": "avif", "image/gif": "gif",
}
MAX_TITLE = 200
MAX_DESCRIPTION = 5000
MAX_TAGS = 20
MAX_TAG_LENGTH = 40


def require_object(body: Any) -> dict:
    if not isinstance(body, dict):
        raise ValidationError("The request body must be a JSON object.", field="body")
    return body


def string(body: dict, name: str, *, required: bool = True, max_length: int = 1000,
           min_length: int = 0, strip: bool = True) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise ValidationError(f"'{name}' is required.", field=name)
        return None
    if not isinstance(value, str):
        raise ValidationError(f"'{name}' must be a string.", field=name)
    if strip:
        value = value.strip()
    if "\x00" in value:
        raise ValidationError(f"'{name}' must not contain NUL characters.", field=name)
    if len(value) < min_length:
        raise ValidationError(f"'{name}' must be at least {min_length} characters.", field=name)
    if len(value) > max_length:
        raise ValidationError(f"'{name}' must be at most {max_length} characters.", field=name)
    return value


# Invisible or direction-changing characters: bidi embeddings/overrides/isolates and marks can
# make a name read as someone else's (or reverse the text around it); zero-width and other
# format characters make two identical-looking names differ. ZWJ/ZWNJ stay allowed (emoji
# sequences, Persian and Indic scripts need them).
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_JOINERS = {"\u200c", "\u200d"}


def plain_text(value: str | None, name: str, *, multiline: bool = False) -> str | None:
    """Display names (one line) and bios (several): no control characters other than line
    breaks/tabs in multi-line text, no bidi controls, no invisible format characters."""
    if value is None:
        return None
    for ch in value:
        if ch in _BIDI:
            raise ValidationError(f"'{name}' must not contain text-direction control characters.",
                                  field=name, code="invalid_characters")
        cat = unicodedata.category(ch)
        if cat == "Cc" and not (multiline and ch in "\n\t\r"):
            raise ValidationError(f"'{name}' must not contain control characters.", field=name,
                                  code="invalid_characters")
        if cat in ("Cf", "Co", "Cs", "Cn") and ch not in _JOINERS:
            raise ValidationError(f"'{name}' must not contain invisible or unassigned characters.",
                                  field=name, code="invalid_characters")
    return value


def integer(body: dict, name: str, *, minimum: int, maximum: int | None = None) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"'{name}' must be an integer.", field=name)
    if value < minimum:
        raise ValidationError(f"'{name}' must be at least {minimum}.", field=name)
    if maximum is not None and value > maximum:
        raise ValidationError(f"'{name}' must be at most {maximum}.", field=name)
    return value


def handle(value: Any, field: str = "handle") -> str:
    if not isinstance(value, str):
        raise ValidationError("'handle' must be a string.", field=field)
    normalised = value.strip().lower()
    if not HANDLE_RE.match(normalised):
        raise ValidationError("'handle' must be 3-30 characters of a-z, 0-9 and _.", field=field)
    return normalised


def email(value: Any) -> str:
    if not isinstance(value, str) or not EMAIL_RE.match(value.strip()) or len(value) > 320:
        raise ValidationError("'email' must be a valid e-mail address.", field="email")
    return value.strip()


def tags(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ValidationError("'tags' must be a list of strings.", field="tags")
    out: list[str] = []
    for raw in value:
        tag = normalise_tag(raw)
        if not tag:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise ValidationError(f"Each tag must be at most {MAX_TAG_LENGTH} characters.", field="tags")
        if tag not in out:
            out.append(tag)
    if len(out) > MAX_TAGS:
        raise ValidationError(f"At most {MAX_TAGS} tags.", field="tags")
    return out


def normalise_tag(raw: str) -> str:
    tag = unicodedata.normalize("NFKC", raw).strip().lower().lstrip("#")
    return TAG_RE.sub("-", tag).strip("-")


def page_limit(raw: str | None, default: int, maximum: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError("'limit' must be an integer.", field="limit") from None
    if value < 1 or value > maximum:
        raise ValidationError(f"'limit' must be between 1 and {maximum}.", field="limit")
    return value
