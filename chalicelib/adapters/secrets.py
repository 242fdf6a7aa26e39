"""Secrets Manager reads, once per cold start (cached), refreshed on demand after rotation."""
from __future__ import annotations

import json
import time
from typing import Any

from chalicelib.adapters.aws import THROTTLING_CODES, client, error_code
from chalicelib.errors import Unavailable

_cache: dict[str, tuple[float, dict[str, Any]]] = {}
# A warm container re-reads after this long, so a rotated key reaches every container without
# a redeploy; between reads the key ring costs nothing.
REFRESH_AFTER_S = 300.0


def get_json_secret(secret_id: str, *, force: bool = False) -> dict[str, Any]:
    now = time.monotonic()
    hit = _cache.get(secret_id)
    if hit and not force and now - hit[0] < REFRESH_AFTER_S:
        return hit[1]
    try:
        value = json.loads(client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"])
    except Exception as exc:  # noqa: BLE001 - converted to a domain error below
        if hit:  # keep serving with the cached keys rather than failing every request
            return hit[1]
        if error_code(exc) in THROTTLING_CODES:
            raise Unavailable() from exc
        raise
    _cache[secret_id] = (now, value)
    return value


def put_json_secret(secret_id: str, value: dict[str, Any]) -> None:
    client("secretsmanager").put_secret_value(SecretId=secret_id, SecretString=json.dumps(value))
    _cache.pop(secret_id, None)
