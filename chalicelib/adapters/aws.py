"""Lazily created, cached AWS clients. The only place boto3 clients are built."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

from chalicelib.config import get_settings

_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=3, read_timeout=10)


@lru_cache(maxsize=None)
def client(service: str) -> Any:
    settings = get_settings()
    kwargs: dict[str, Any] = {"region_name": settings.region, "config": _CONFIG}
    if settings.endpoint_url:
        kwargs["endpoint_url"] = settings.endpoint_url
    if service == "s3":
        # Path-style keeps presigned URLs valid against the local endpoint as well as AWS.
        kwargs["config"] = _CONFIG.merge(Config(s3={"addressing_style": "path"}, signature_version="s3v4"))
    return boto3.session.Session().client(service, **kwargs)


def error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


THROTTLING_CODES = frozenset({
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "Throttling", "SlowDown", "ServiceUnavailable", "InternalServerError", "InternalError",
    "TransactionConflictException",
})
