"""Screening configuration: per-stage thresholds and the vendor, from the environment.

Kept apart from chalicelib/config.py so the API's settings stay small; read once per cold start.
Every value is recorded with each decision (see `as_record`), so a decision can be explained
later even after the thresholds change.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from functools import lru_cache


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise RuntimeError(f"environment variable {name} must be a number, got {raw!r}") from exc


def _int(name: str, default: int) -> int:
    return int(_float(name, default))


@dataclass(frozen=True)
class ScreeningSettings:
    # Near-duplicates: maximum Hamming distance (of 64 bits) between pHashes that counts as
    # the same picture. Re-encodes/resizes measure 0-4, small crops 4-10, unrelated ~32.
    # The band index finds every candidate within 7 bits (exact band + 1-bit probes), so
    # values above 7 only verify candidates found by chance; 7 is the default.
    repost_max_distance: int = 7
    known_ai_max_distance: int = 7
    # NSFW (opennsfw p(nsfw)): at or above -> the `mature` label. Never refuses.
    nsfw_label_threshold: float = 0.8
    # AI-detection vendor score (Hive ai_generated): >= reject -> rejected; >= review -> held.
    ai_reject_threshold: float = 0.95
    ai_review_threshold: float = 0.5
    # Vendor
    hive_api_key: str | None = None
    # Deployed stages set SCREENING_VENDOR_REQUIRED: with no key, what would need the vendor
    # is held for review instead of published. The key itself lives in Secrets Manager
    # (HIVE_API_KEY_SECRET names it; `vendor_key` reads it), HIVE_API_KEY is for local use.
    vendor_required: bool = False
    hive_api_key_secret: str | None = None
    hive_api_url: str = "https://api.thehive.ai/api/v2/task/sync"
    hive_timeout_s: float = 10.0
    hive_max_attempts: int = 3
    hive_cost_usd: float = 0.001  # per call, modelled; recorded against each upload
    breaker_failures: int = 5      # consecutive failures that open the circuit
    breaker_cooldown_s: int = 60   # open for this long, then one trial call (half-open)
    # Deferred uploads (vendor down): re-enqueued with this base delay, doubling, capped at 900 s.
    retry_base_delay_s: int = 30
    # Vendor risk policy (chalicelib/screening/vendor_policy.py): which inconclusive uploads
    # are sent to the vendor. "risk" (default) or "all".
    vendor_policy: str = "risk"
    vendor_new_account_days: float = 30.0
    vendor_first_posts: int = 3
    vendor_sample_rate: float = 0.04

    @property
    def vendor_configured(self) -> bool:
        return bool(self.vendor_key())

    def vendor_key(self) -> str | None:
        if self.hive_api_key:
            return self.hive_api_key
        if self.hive_api_key_secret:
            return _secret_key(self.hive_api_key_secret)
        return None

    def thresholds(self) -> dict:
        """What gets stored with every decision (never the key)."""
        data = asdict(self)
        for private in ("hive_api_key", "hive_api_url", "hive_api_key_secret"):
            data.pop(private)
        return data


def _secret_key(secret_id: str) -> str | None:
    """{"api_key": "..."} from Secrets Manager (cached per cold start by the adapter). A
    secret that cannot be read counts as no key: held for review, never published unseen."""
    from chalicelib.adapters.secrets import get_json_secret

    try:
        return str(get_json_secret(secret_id).get("api_key") or "") or None
    except Exception:  # noqa: BLE001 - a missing/unreadable secret must not crash screening
        import logging

        logging.getLogger("easel").warning("vendor key secret unreadable", exc_info=True)
        return None


@lru_cache(maxsize=1)
def get_screening_settings() -> ScreeningSettings:
    d = ScreeningSettings()
    return ScreeningSettings(
        repost_max_distance=_int("SCREEN_REPOST_MAX_DISTANCE", d.repost_max_distance),
        known_ai_max_distance=_int("SCREEN_KNOWN_AI_MAX_DISTANCE", d.known_ai_max_distance),
        nsfw_label_threshold=_float("SCREEN_NSFW_LABEL_THRESHOLD", d.nsfw_label_threshold),
        ai_reject_threshold=_float("SCREEN_AI_REJECT_THRESHOLD", d.ai_reject_threshold),
        ai_review_threshold=_float("SCREEN_AI_REVIEW_THRESHOLD", d.ai_review_threshold),
        hive_api_key=os.environ.get("HIVE_API_KEY") or None,
        vendor_required=os.environ.get("SCREENING_VENDOR_REQUIRED", "").strip().lower() in ("1", "true", "yes"),
        hive_api_key_secret=os.environ.get("HIVE_API_KEY_SECRET") or None,
        hive_api_url=os.environ.get("HIVE_API_URL") or d.hive_api_url,
        hive_timeout_s=_float("HIVE_TIMEOUT_SECONDS", d.hive_timeout_s),
        hive_max_attempts=max(1, _int("HIVE_MAX_ATTEMPTS", d.hive_max_attempts)),
        hive_cost_usd=_float("HIVE_COST_PER_CALL_USD", d.hive_cost_usd),
        breaker_failures=max(1, _int("HIVE_BREAKER_FAILURES", d.breaker_failures)),
        breaker_cooldown_s=_int("HIVE_BREAKER_COOLDOWN_SECONDS", d.breaker_cooldown_s),
        retry_base_delay_s=_int("SCREEN_RETRY_BASE_DELAY_SECONDS", d.retry_base_delay_s),
        vendor_policy="all" if os.environ.get("SCREEN_VENDOR_POLICY", "").strip().lower() == "all" else "risk",
        vendor_new_account_days=max(0.0, _float("SCREEN_VENDOR_NEW_ACCOUNT_DAYS", d.vendor_new_account_days)),
        vendor_first_posts=max(0, _int("SCREEN_VENDOR_FIRST_POSTS", d.vendor_first_posts)),
        vendor_sample_rate=min(1.0, max(0.0, _float("SCREEN_VENDOR_SAMPLE_RATE", d.vendor_sample_rate))),
    )
