"""Typed settings, parsed from the environment once per cold start.

Per-stage values come from `.chalice/config.json` (deployed) or from the local platform
(`local/platform.py`), which sets the same variables.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:  # a typo in config must fail loudly at cold start
        raise RuntimeError(f"environment variable {name} must be an integer, got {raw!r}") from exc


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _widths(raw: str | None) -> tuple[int, ...]:
    if not raw:
        return (320, 640, 1280, 2048)
    return tuple(sorted({int(part) for part in raw.split(",") if part.strip()}))


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    endpoint_url: str | None  # the embedded moto endpoint locally; None in AWS
    table_name: str
    uploads_bucket: str
    media_bucket: str
    signing_keys_secret: str
    media_base_url: str  # CloudFront in production, the local server's /media locally
    public_base_url: str
    token_issuer: str
    token_audience: str
    access_token_ttl_s: int
    refresh_token_ttl_s: int
    upload_url_ttl_s: int
    max_upload_bytes: int
    max_image_pixels: int
    max_image_frames: int
    max_total_pixels: int
    derivative_widths: tuple[int, ...]
    fanout_limit: int  # above this many followers an account's posts are merged at read time
    feed_ttl_days: int
    serve_local_routes: bool  # /media and /dev/* exist only on the local platform
    page_limit_default: int = 20
    page_limit_max: int = 50


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    stage = os.environ.get("STAGE", "dev")
    public = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    return Settings(
        stage=stage,
        region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None,
        table_name=os.environ.get("TABLE_NAME", f"easel-{stage}"),
        uploads_bucket=os.environ.get("UPLOADS_BUCKET", f"easel-{stage}-uploads"),
        media_bucket=os.environ.get("MEDIA_BUCKET", f"easel-{stage}-media"),
        signing_keys_secret=os.environ.get("SIGNING_KEYS_SECRET", f"easel/{stage}/signing-keys"),
        media_base_url=os.environ.get("MEDIA_BASE_URL", f"{public}/media").rstrip("/"),
        public_base_url=public,
        token_issuer=os.environ.get("TOKEN_ISSUER", f"easel-{stage}"),
        token_audience=os.environ.get("TOKEN_AUDIENCE", "easel-api"),
        access_token_ttl_s=min(_int("ACCESS_TOKEN_TTL_SECONDS", 900), 900),
        refresh_token_ttl_s=_int("REFRESH_TOKEN_TTL_SECONDS", 30 * 24 * 3600),
        upload_url_ttl_s=_int("UPLOAD_URL_TTL_SECONDS", 900),
        max_upload_bytes=_int("MAX_UPLOAD_BYTES", 50 * 1024 * 1024),
        max_image_pixels=_int("MAX_IMAGE_PIXELS", 40_000_000),
        max_image_frames=_int("MAX_IMAGE_FRAMES", 300),
        max_total_pixels=_int("MAX_TOTAL_PIXELS", 400_000_000),
        derivative_widths=_widths(os.environ.get("DERIVATIVE_WIDTHS")),
        fanout_limit=_int("FANOUT_LIMIT", 10_000),
        feed_ttl_days=_int("FEED_TTL_DAYS", 180),
        serve_local_routes=_bool("SERVE_LOCAL_ROUTES", False),
    )
