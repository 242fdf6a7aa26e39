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


# The bootstrap verifies this identity in local SES; production verifies the domain in SES.
DEFAULT_MAIL_SENDER = "Easel <no-reply@easel.invalid>"


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
    # -- identity (issue 3); defaults are the production values, stages override by env --
    auto_confirm: bool = False  # may an account whose e-mail is unverified create posts?
    min_password_length: int = 10
    session_idle_s: int = 30 * 24 * 3600
    session_absolute_s: int = 90 * 24 * 3600
    login_window_s: int = 15 * 60  # failure counters reset this long after the first failure
    login_free_attempts: int = 5  # per account: failures before backoff starts
    login_max_failures: int = 10  # per account: failures in a window that lock it
    ip_free_attempts: int = 20  # per client address (NAT: many people share one)
    ip_max_failures: int = 100
    login_lockout_s: int = 15 * 60
    mail_sender: str = DEFAULT_MAIL_SENDER
    verify_token_ttl_s: int = 48 * 3600
    reset_token_ttl_s: int = 3600
    reset_mails_per_window: int = 5  # per account per login window; more are dropped silently
    # Community: CloudFront distribution told to forget deleted media (unset locally: skipped),
    # the queue that carries background jobs (repost fan-out), notification retention.
    cdn_distribution_id: str | None = None
    upload_queue_name: str = "easel-dev-uploads"
    notification_ttl_days: int = 90
    # Account erasure (DELETE /v1/me): how long an erased artist's handle stays reserved, and
    # when the final sweep runs (after every access token issued before the request expired;
    # SQS delays cap at 900 s, so does this).
    handle_grace_s: int = 30 * 24 * 3600
    erasure_final_pass_delay_s: int = 900
    # Long background jobs (erasure, the large-account walk) stop after this much work per
    # invocation (or earlier, when the Lambda has less time left) and re-enqueue themselves.
    job_budget_s: int = 30
    # Portability (issue 18, docs/portability.md): the C2PA signer secret, import and export limits.
    c2pa_signer_secret: str = "easel/dev/c2pa-signer"
    max_import_bytes: int = 5 * 1024 ** 3  # S3 presigned POST allows up to 5 GB
    import_works_per_day: int = 1000
    import_max_entries: int = 50_000
    import_max_total_bytes: int = 20 * 1024 ** 3
    import_max_ratio: int = 200
    import_max_json_bytes: int = 64 * 1024 * 1024
    archive_url_ttl_s: int = 7 * 24 * 3600


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
        # .chalice/config.json sets AUTO_CONFIRM per stage; unset, only dev confirms automatically.
        auto_confirm=_bool("AUTO_CONFIRM", stage == "dev"),
        min_password_length=max(8, _int("MIN_PASSWORD_LENGTH", 10)),
        session_idle_s=_int("SESSION_IDLE_SECONDS", 30 * 24 * 3600),
        session_absolute_s=_int("SESSION_ABSOLUTE_SECONDS", 90 * 24 * 3600),
        login_window_s=_int("LOGIN_WINDOW_SECONDS", 15 * 60),
        login_free_attempts=_int("LOGIN_FREE_ATTEMPTS", 5),
        login_max_failures=_int("LOGIN_MAX_FAILURES", 10),
        ip_free_attempts=_int("LOGIN_IP_FREE_ATTEMPTS", 20),
        ip_max_failures=_int("LOGIN_IP_MAX_FAILURES", 100),
        login_lockout_s=_int("LOGIN_LOCKOUT_SECONDS", 15 * 60),
        mail_sender=os.environ.get("MAIL_SENDER", DEFAULT_MAIL_SENDER),
        verify_token_ttl_s=_int("VERIFY_TOKEN_TTL_SECONDS", 48 * 3600),
        reset_token_ttl_s=_int("RESET_TOKEN_TTL_SECONDS", 3600),
        reset_mails_per_window=_int("RESET_MAILS_PER_WINDOW", 5),
        cdn_distribution_id=os.environ.get("CDN_DISTRIBUTION_ID") or None,
        upload_queue_name=os.environ.get("UPLOAD_QUEUE_NAME", f"easel-{stage}-uploads"),
        notification_ttl_days=_int("NOTIFICATION_TTL_DAYS", 90),
        handle_grace_s=_int("HANDLE_GRACE_SECONDS", 30 * 24 * 3600),
        erasure_final_pass_delay_s=max(0, min(900, _int("ERASURE_FINAL_PASS_DELAY_SECONDS", 900))),
        job_budget_s=_int("JOB_BUDGET_SECONDS", 30),
        c2pa_signer_secret=os.environ.get("C2PA_SIGNER_SECRET", f"easel/{stage}/c2pa-signer"),
        max_import_bytes=_int("MAX_IMPORT_BYTES", 5 * 1024 ** 3),
        import_works_per_day=_int("IMPORT_WORKS_PER_DAY", 1000),
        import_max_entries=_int("IMPORT_MAX_ENTRIES", 50_000),
        import_max_total_bytes=_int("IMPORT_MAX_TOTAL_BYTES", 20 * 1024 ** 3),
        import_max_ratio=_int("IMPORT_MAX_RATIO", 200),
        import_max_json_bytes=_int("IMPORT_MAX_JSON_BYTES", 64 * 1024 * 1024),
        archive_url_ttl_s=min(7 * 24 * 3600, _int("ARCHIVE_URL_TTL_SECONDS", 7 * 24 * 3600)),
    )
