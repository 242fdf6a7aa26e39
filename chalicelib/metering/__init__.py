"""Metering: what each invocation consumes, attributed to a user and a feature.

Entry points hook it in one place each: the HTTP middleware (`chalicelib/http.py`) and the
`metered_event` decorator on event handlers (app.py). Services may call `record_vendor_call`
and `set_user`. See docs/costs.md for the design and what the meter itself costs.
"""
from __future__ import annotations

import functools
import os
import random
from typing import Any, Callable

from chalicelib.metering.meter import (  # noqa: F401 - the public API
    MEDIA_VIEWS, Invocation, current, finish, install, record, record_media, record_vendor_call, set_user,
    start,
)
from chalicelib.observability import trace_if_sampled

DEFAULT_API_MEMORY_MB = 512


def api_memory_mb() -> int:
    """Configured memory: Lambda sets AWS_LAMBDA_FUNCTION_MEMORY_SIZE; locally the stage's
    `lambda_memory_size` default (METER_API_MEMORY_MB)."""
    raw = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE") or os.environ.get("METER_API_MEMORY_MB")
    return int(raw) if raw and raw.isdigit() else DEFAULT_API_MEMORY_MB


def enabled() -> bool:
    return os.environ.get("METER_ENABLED", "1").lower() not in ("0", "false", "no", "off")


def ddb_sink(inv: Invocation) -> None:
    """One UpdateItem (atomic ADDs) on the (hour, shard, feature, user) usage row. The row
    holds only counters (< 1 KB), so the write costs 1 WRU; that unit is recorded as `mw`."""
    from chalicelib.adapters.costs_store import UsageRepository, usage_update_params
    from chalicelib.adapters.tables import utcnow
    from chalicelib.metering.units import item_size, write_units
    from chalicelib.metering.usage import total_usd
    from chalicelib.prices import PriceBook

    now = utcnow()
    shards = int(os.environ.get("METER_SHARDS", "4"))
    shard = random.randrange(max(1, shards))
    counters = dict(inv.counters)
    counters["mw"] = 1.0
    expires = int(now.timestamp()) + 8 * 24 * 3600
    params = usage_update_params(now.strftime("%Y%m%d%H"), shard, inv.feature[:200], inv.user, counters, expires)
    # The row after this ADD has at most these attributes: key + one number per counter.
    size = item_size(params["Key"]) + sum(len(n) for n in params["ExpressionAttributeNames"].values()) + \
        sum(len(v["N"]) // 2 + 2 for v in params["ExpressionAttributeValues"].values())
    counters["mw"] = write_units(size)
    counters["usd"] = total_usd(counters, PriceBook().latest())
    params = usage_update_params(now.strftime("%Y%m%d%H"), shard, inv.feature[:200], inv.user, counters, expires)
    UsageRepository().add(params)


def metered_event(feature: str, *, default_memory_mb: int = 2048) -> Callable:
    """Decorator for Chalice event handlers (SQS, schedule, SNS): one metered invocation."""

    def decorator(func: Callable[[Any], Any]) -> Callable[[Any], Any]:
        @functools.wraps(func)
        def wrapper(event: Any) -> Any:
            trace_if_sampled()
            if not enabled():
                return func(event)
            context = getattr(event, "context", None)
            memory = int(getattr(context, "memory_limit_in_mb", 0) or default_memory_mb)
            token = start(feature)
            try:
                return func(event)
            finally:
                finish(token, memory_mb=memory, api_request=False, sink=ddb_sink)
        return wrapper
    return decorator
