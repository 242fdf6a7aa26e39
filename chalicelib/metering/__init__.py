"""Metering: what each invocation consumes, attributed to a user and a feature.

Entry points hook it in one place each: the HTTP middleware (`chalicelib/http.py`) and the
`metered_event` decorator on event handlers (app.py). Services may call `record_vendor_call`
and `set_user`. See docs/costs.md for the design and what the meter itself costs.
"""
from __future__ import annotations

import functools
import itertools
import json
import logging
import os
import random
import threading
import time
import uuid
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


# -- the batched sink: a warm container folds its invocations into one write -----------------
def flush_every() -> int:
    """Invocations folded into one usage write (METER_FLUSH_EVERY; 1 = one UpdateItem per
    invocation, the default outside the deployed stages)."""
    raw = os.environ.get("METER_FLUSH_EVERY", "1")
    return max(1, int(raw)) if raw.isdigit() else 1


def flush_max_age_s() -> float:
    """A batch older than this is written at the end of the next invocation (METER_FLUSH_MAX_AGE_S)."""
    try:
        return max(0.0, float(os.environ.get("METER_FLUSH_MAX_AGE_S", "60")))
    except ValueError:
        return 60.0


class _Batch:
    """Usage of this container's invocations not written yet, folded per (feature, user)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], dict[str, float]] = {}
        self.invocations = 0
        self.started = time.monotonic()


_batch = _Batch()
_batch_lock = threading.Lock()
_container_id = uuid.uuid4().hex[:12]
_flushes = itertools.count()


def sink(inv: Invocation) -> None:
    """The meter's sink: `ddb_sink` (one write per invocation) when METER_FLUSH_EVERY is 1,
    else `batched_sink`."""
    if flush_every() <= 1:
        ddb_sink(inv)
    else:
        batched_sink(inv)


def batched_sink(inv: Invocation) -> None:
    """Fold this invocation into the container's batch; write the batch (one PutItem) when it
    holds METER_FLUSH_EVERY invocations or is older than METER_FLUSH_MAX_AGE_S. What a
    container that dies with a batch in memory loses is at most that: docs/costs.md."""
    global _batch
    with _batch_lock:
        row = _batch.rows.setdefault((inv.feature[:200], inv.user), {})
        for name, value in inv.counters.items():
            row[name] = row.get(name, 0.0) + value
        _batch.invocations += 1
        due = _batch.invocations >= flush_every() or time.monotonic() - _batch.started >= flush_max_age_s()
        if not due:
            return
        batch, _batch = _batch, _Batch()
    _write_batch(batch)


def flush() -> None:
    """Write whatever the container holds (the local worker calls it when idle; tests)."""
    global _batch
    with _batch_lock:
        batch, _batch = _batch, _Batch()
    if batch.invocations:
        _write_batch(batch)


def _write_batch(batch: _Batch) -> None:
    """One PutItem for the whole batch, in the hour of the write (so an hour already folded by
    the cost guard is never written to: usage of the last seconds of an hour may land in the
    next one). Its WRU are shared among the batch's rows by invocation count as `mw`."""
    from chalicelib.adapters.costs_store import UsageRepository
    from chalicelib.adapters.tables import utcnow
    from chalicelib.metering.units import write_units
    from chalicelib.metering.usage import total_usd
    from chalicelib.prices import PriceBook

    now = utcnow()
    prices = PriceBook().latest()
    rows = [[feature, user, dict(counters)] for (feature, user), counters in batch.rows.items()]
    # The item: keys (~60 B) + attribute names + the JSON rows. mw is written into each row
    # before sizing, with one digit more than it will take, so the size is not under-estimated.
    for _feature, _user, counters in rows:
        counters["mw"] = 0.123456
    size = 60 + len("rowsexpires_at") + 12 + len(json.dumps(rows, separators=(",", ":")))
    wru = write_units(size)
    for _feature, _user, counters in rows:
        counters["mw"] = round(wru * counters.get("n", 0.0) / max(1, batch.invocations), 6)
        counters["usd"] = total_usd({k: v for k, v in counters.items() if k != "usd"}, prices)
    shards = int(os.environ.get("METER_SHARDS", "4"))
    try:
        UsageRepository().put_batch(now.strftime("%Y%m%d%H"), random.randrange(max(1, shards)),
                                    f"{_container_id}#{next(_flushes)}", rows,
                                    int(now.timestamp()) + 8 * 24 * 3600)
    except Exception:  # noqa: BLE001 - the meter never fails the invocation that flushes it
        logging.getLogger("easel.meter").warning("meter batch write failed", exc_info=True)


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
                finish(token, memory_mb=memory, api_request=False, sink=sink)
        return wrapper
    return decorator
