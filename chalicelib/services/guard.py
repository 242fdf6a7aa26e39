"""The budget guard: levels normal -> saver -> survival, chosen from the month's forecast
against the budget, and the levers each level pulls.

- Evaluated on a schedule, on budget alarm notifications and on demand by founders.
- Step-ups are immediate; automatic step-downs wait `GUARD_STEPDOWN_COOLDOWN_S` after the last
  transition, unless the budget changed since (a founder's decision takes effect at once).
- A founder can pin a level; the pin wins until removed.
- Every transition is logged, emitted as a metric, stored as an event (shown on the dashboard
  and polled by founders) and, when FOUNDERS_EMAIL and SES_SENDER are set, mailed.
- `current_level()` is cached per container for GUARD_CACHE_S seconds (a DynamoDB read at
  most that often); reading the feed is never gated by any level.
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Callable

from ulid import ULID

from chalicelib.adapters.costs_store import DeferredRepository, GuardRepository, QuotaRepository
from chalicelib.adapters.tables import iso, utcnow
from chalicelib.adapters.tables_costs import DeferredUploadItem, GuardEventItem, GuardItem
from chalicelib.errors import TooManyRequests, ValidationError
from chalicelib.observability import logger, metrics
from chalicelib.services.costs import CostService, cost_service, require_founder
from chalicelib.services.tokens import Principal

LEVELS = ("normal", "saver", "survival")
RANK = {name: i for i, name in enumerate(LEVELS)}
# Per-user upload limits (per hour, per day) at each level; abuse is a cost attack.
DEFAULT_UPLOAD_LIMITS = {"normal": (20, 100), "saver": (10, 40), "survival": (2, 5)}
# An account's first 24 hours at `normal`: room to bring a portfolio (issue 14). saver and
# survival keep their caps for everyone: a new account is also the cheapest cost attack.
NEW_ARTIST_UPLOAD_LIMITS = (100, 120)
NEW_ARTIST_WINDOW = timedelta(hours=24)
CDN_CACHE_FACTOR = {"normal": 1, "saver": 5, "survival": 20}
SAVER_MAX_WIDTH = 1280
RESUME_BATCH = 25

_cache: dict[str, Any] = {"level": None, "at": 0.0}


def _cache_seconds() -> float:
    return float(os.environ.get("GUARD_CACHE_S", "30"))


def _remember(level: str) -> None:
    _cache.update(level=level, at=time.monotonic())


def current_level() -> str:
    """The level in force, cached briefly per container (never raises: on a read failure the
    last known level, else normal)."""
    if _cache["level"] is not None and time.monotonic() - _cache["at"] < _cache_seconds():
        return str(_cache["level"])
    try:
        state = GuardRepository().get()
        level = state.level if state else "normal"
    except Exception:  # noqa: BLE001 - the guard must not take the platform down
        logger.warning("guard state unreadable; keeping the last level")
        level = _cache["level"] or "normal"
    _remember(level)
    return level


# -- levers ------------------------------------------------------------------------------------
def upload_limits(level: str | None = None, *, user_id: str | None = None,
                  now: datetime | None = None) -> tuple[int, int]:
    """(per hour, per day) for this level; at `normal` an account in its first day has the
    new-artist allowance, so an artist can bring a portfolio (~100 works) on day one."""
    level = level or current_level()
    if level == "normal" and user_id is not None and _is_new_account(user_id, now or utcnow()):
        raw = os.environ.get("UPLOAD_LIMITS_NEW_ARTIST")
        return tuple(int(x) for x in raw.split(",")) if raw else NEW_ARTIST_UPLOAD_LIMITS  # type: ignore[return-value]
    raw = os.environ.get(f"UPLOAD_LIMITS_{level.upper()}")  # e.g. "20,100" = per hour, per day
    if raw:
        per_hour, per_day = (int(x) for x in raw.split(","))
        return per_hour, per_day
    return DEFAULT_UPLOAD_LIMITS[level]


def _is_new_account(user_id: str, now: datetime) -> bool:
    """Account ids are ULIDs: their first 48 bits are the sign-up time (no read needed)."""
    from ulid import ULID

    try:
        created = ULID.from_str(user_id).datetime
    except (ValueError, TypeError):
        return False
    return timedelta(0) <= now - created < NEW_ARTIST_WINDOW


def admit_upload(user_id: str, *, now: datetime | None = None) -> None:
    """Counts one new upload for this user or raises 429 with Retry-After (at every level)."""
    now = now or utcnow()
    per_hour, per_day = upload_limits(user_id=user_id, now=now)
    hit = QuotaRepository().take(user_id, now.strftime("%Y%m%d"), now.strftime("%H"), per_day=per_day,
                                 per_hour=per_hour, expires=now + timedelta(days=2))
    if hit is None:
        return
    next_hour = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    next_day = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    daily = hit["day"] >= per_day
    retry = int(((next_day if daily else next_hour) - now).total_seconds()) + 1
    what = f"{per_day} uploads a day" if daily else f"{per_hour} uploads an hour"
    raise TooManyRequests(f"Upload limit reached ({what}); try again later.", code="upload_quota_exceeded",
                          headers={"Retry-After": str(retry)})


def uploads_deferred(level: str | None = None) -> bool:
    return (level or current_level()) == "survival"


def defer_upload(processor: Any, bucket: str, key: str) -> bool:
    """Hook at the top of UploadProcessor.process: in survival, mark the post `queued` and
    remember the object; it is screened when the level allows (`resume_deferred`)."""
    if not uploads_deferred() or bucket != processor.storage.uploads_bucket:
        return False
    from chalicelib.adapters.tables import PostItem
    from chalicelib.services.posts import parse_upload_key

    parsed = parse_upload_key(key)
    if parsed is None:
        return False
    _author, post_id, _index = parsed
    post = processor.posts.get(post_id, consistent=True)
    if post is None or post.status not in ("awaiting_upload", "processing", "queued"):
        return False
    if post.status != "queued":
        try:
            post.update(actions=[PostItem.status.set("queued")],
                        condition=PostItem.status.is_in("awaiting_upload", "processing"))
        except Exception as exc:  # noqa: BLE001 - decided concurrently: let process() handle it
            if getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException":
                return False
            raise
    DeferredRepository().add(DeferredUploadItem(*DeferredUploadItem.key(post_id), bucket=bucket,
                                                object_key=key, deferred_at=iso(utcnow())))
    logger.info("upload deferred by the budget guard", post_id=post_id, level="survival")
    return True


def derivative_widths(widths: tuple[int, ...], level: str | None = None) -> tuple[int, ...]:
    """saver/survival: no derivative wider than 1280 px (storage, processing, egress)."""
    if (level or current_level()) == "normal":
        return widths
    return tuple(w for w in widths if w <= SAVER_MAX_WIDTH) or widths[:1]


def vendor_checks(inconclusive: bool, level: str | None = None) -> bool:
    """Paid AI/NSFW vendor calls: all uploads at normal, only inconclusive ones at saver."""
    level = level or current_level()
    return level == "normal" or (level == "saver" and inconclusive)


def jobs_paused(level: str | None = None) -> bool:
    return (level or current_level()) == "survival"


def public_cache_control(cache_control: str, level: str | None = None) -> str:
    factor = CDN_CACHE_FACTOR[level or current_level()]
    if factor == 1:
        return cache_control

    def scale(match: re.Match) -> str:
        return f"{match.group(1)}={min(int(match.group(2)) * factor, 86400)}"
    return re.sub(r"\b(max-age|s-maxage)=(\d+)", scale, cache_control)


def levers() -> list[dict]:
    """What each level does, from the same settings the levers read (shown before a founder
    pins a level or changes the budget; docs/costs.md has the table)."""
    out = []
    for level in LEVELS:
        per_hour, per_day = upload_limits(level)
        capped = SAVER_MAX_WIDTH + 1 not in derivative_widths((SAVER_MAX_WIDTH, SAVER_MAX_WIDTH + 1), level)
        words = [f"Uploads per user: {per_hour} an hour, {per_day} a day (then 429 with Retry-After)."]
        if level == "normal":
            raw = os.environ.get("UPLOAD_LIMITS_NEW_ARTIST")
            new_hour, new_day = (int(x) for x in raw.split(",")) if raw else NEW_ARTIST_UPLOAD_LIMITS
            words.append(f"Accounts in their first day: {new_hour} an hour, {new_day} a day (a portfolio on day one).")
        if uploads_deferred(level):
            words.append("New uploads are accepted but queued; they are screened when the level drops.")
        factor = CDN_CACHE_FACTOR[level]
        words.append("Public reads cached at the CDN for their normal lifetime." if factor == 1 else
                     f"Public reads cached {factor}x longer at the CDN (at most a day).")
        if capped:
            words.append(f"No image derivative wider than {SAVER_MAX_WIDTH} px.")
        words.append("Paid AI checks: none (uploads are queued)." if uploads_deferred(level) else
                     "Paid AI checks only for uploads the free steps left inconclusive.")
        if jobs_paused(level):
            words.append("Non-essential jobs paused (discover serves its last snapshot).")
        words.append("Reading the feed is never limited.")
        out.append({"level": level, "upload_limits": {"per_hour": per_hour, "per_day": per_day},
                    "uploads_queued": uploads_deferred(level), "cdn_cache_factor": factor,
                    "max_derivative_px": SAVER_MAX_WIDTH if capped else None, "jobs_paused": jobs_paused(level),
                    "summary": words})
    return out


# -- evaluation --------------------------------------------------------------------------------
@dataclass
class Budget:
    monthly_usd: float
    saver: float
    survival: float
    updated_at: str | None


class GuardService:
    def __init__(self, repo: GuardRepository, costs: CostService, deferred: DeferredRepository,
                 *, clock: Callable[[], datetime] = utcnow, enqueue: Callable[[str, str], None] | None = None) -> None:
        self.repo = repo
        self.costs = costs
        self.deferred = deferred
        self.clock = clock
        self.enqueue = enqueue or _enqueue_upload

    def state(self) -> dict:
        item = self.repo.get()
        if item is None:
            return {"level": "normal", "since": None, "reason": "initial", "pinned": None}
        return {"level": item.level, "since": item.since, "reason": item.reason, "pinned": item.pinned,
                "evaluated_at": item.evaluated_at, "forecast_month_usd": item.forecast_usd}

    def get(self, principal: Principal) -> dict:
        require_founder(principal)
        out = self.state()
        out["history"] = [{"from": e.from_level, "to": e.to_level, "reason": e.reason, "at": e.at}
                          for e in self.repo.recent_events()]
        out["levers"] = levers()
        return out

    def pin(self, principal: Principal, body: Any) -> dict:
        require_founder(principal)
        if not isinstance(body, dict) or "pin" not in body:
            raise ValidationError("'pin' is required (a level or null).", field="pin")
        pin = body["pin"]
        if pin is not None and pin not in LEVELS:
            raise ValidationError("'pin' must be normal, saver, survival or null.", field="pin")
        item = self.repo.get() or GuardItem(*GuardItem.key(), level="normal", since=iso(self.clock()),
                                            reason="initial")
        item.pinned = pin
        self.repo.save(item)
        # A founder's pin or unpin is a decision: it takes effect at this evaluation, so an unpin
        # goes straight to the level the forecast asks for, without the step-down cool-down.
        return self.evaluate(trigger=f"{'pin' if pin else 'unpin'} by {principal.handle}", founder_decision=True)

    def evaluate(self, *, trigger: str = "schedule", fold: bool = False, founder_decision: bool = False) -> dict:
        now = self.clock()
        if fold:
            self.costs.fold_pending()
        budget = self.costs.budget()
        monthly = float(budget["monthly_usd"])
        saver, survival = budget["thresholds"]["saver"], budget["thresholds"]["survival"]
        mtd, forecast = self.costs.month_to_date()
        ratio = forecast / monthly if monthly > 0 else float("inf")
        target = "survival" if ratio >= survival else "saver" if ratio >= saver else "normal"
        reason = f"forecast ${forecast:.2f} is {ratio:.0%} of the ${monthly:.2f} budget ({trigger})"
        item = self.repo.get() or GuardItem(*GuardItem.key(), level="normal", since=iso(now), reason="initial")
        if item.pinned:
            target, reason = item.pinned, f"pinned by a founder; {reason}"
        elif RANK[target] < RANK[item.level] and not founder_decision:
            cooldown = timedelta(seconds=int(os.environ.get("GUARD_STEPDOWN_COOLDOWN_S", "3600")))
            budget_changed = budget["updated_at"] is not None and budget["updated_at"] > item.since
            if now - _parse(item.since) < cooldown and not budget_changed:
                target, reason = item.level, f"step-down to {target} waits for the cool-down; {reason}"
        previous = item.level
        if target != previous:
            item.level, item.since = target, iso(now)
            self._transition(previous, target, reason, now)
        item.reason = reason
        item.evaluated_at = iso(now)
        item.forecast_usd = round(forecast, 6)
        self.repo.save(item)
        _remember(item.level)
        resumed = self.resume_deferred() if item.level != "survival" else 0
        out = self.state()
        out.update(month_to_date_usd=round(mtd, 6), budget_usd=monthly, resumed_uploads=resumed)
        return out

    def _transition(self, old: str, new: str, reason: str, now: datetime) -> None:
        from aws_lambda_powertools.metrics import MetricUnit

        logger.warning("budget guard transition", from_level=old, to_level=new, reason=reason)
        metrics.add_metric(name="GuardLevel", unit=MetricUnit.Count, value=RANK[new])
        metrics.add_metric(name=f"GuardTransition_{new}", unit=MetricUnit.Count, value=1)
        self.repo.add_event(GuardEventItem(*GuardEventItem.key(str(ULID())), from_level=old, to_level=new,
                                           reason=reason, at=iso(now), expires_at=now + timedelta(days=400)))
        _notify_founders(old, new, reason)

    def resume_deferred(self, limit: int = RESUME_BATCH) -> int:
        """Screens uploads deferred during survival: post back to awaiting_upload, then the
        S3 event is re-sent to the upload queue (the handler is idempotent per object)."""
        from chalicelib.adapters.tables import PostItem

        resumed = 0
        for entry in self.deferred.oldest(limit):
            post_id = entry.sk
            try:
                PostItem(*PostItem.key(post_id)).update(actions=[PostItem.status.set("awaiting_upload")],
                                                        condition=PostItem.status == "queued")
            except Exception as exc:  # noqa: BLE001
                if getattr(exc, "cause_response_code", "") != "ConditionalCheckFailedException":
                    raise
            self.enqueue(entry.bucket, entry.object_key)
            self.deferred.remove(entry)
            resumed += 1
        return resumed


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _enqueue_upload(bucket: str, key: str) -> None:
    import json

    from chalicelib.adapters.aws import client

    sqs = client("sqs")
    url = os.environ.get("UPLOAD_QUEUE_URL") or sqs.get_queue_url(
        QueueName=os.environ.get("UPLOAD_QUEUE_NAME", "easel-dev-uploads"))["QueueUrl"]
    body = {"Records": [{"eventName": "ObjectCreated:Post", "s3": {"bucket": {"name": bucket},
                                                                     "object": {"key": key}}}]}
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))


def _notify_founders(old: str, new: str, reason: str) -> None:
    to, sender = os.environ.get("FOUNDERS_EMAIL"), os.environ.get("SES_SENDER")
    if not to or not sender:
        return
    try:
        from chalicelib.adapters.aws import client

        client("ses").send_email(Source=sender, Destination={"ToAddresses": [to]}, Message={
            "Subject": {"Data": f"Easel budget guard: {old} -> {new}"}, "Body": {"Text": {"Data": reason}}})
    except Exception:  # noqa: BLE001 - the event item is the durable notice
        logger.warning("founder notification mail failed", exc_info=True)


@lru_cache(maxsize=1)
def guard_service() -> GuardService:
    return GuardService(GuardRepository(), cost_service(), DeferredRepository())
