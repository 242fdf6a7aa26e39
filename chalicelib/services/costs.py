"""Costs: rollups of the meter's usage rows, the founders' report, the budget and MAU.

Data flow (docs/costs.md):
  invocation --1 UpdateItem--> USAGE#<hour>#<shard> / <feature>|<user>      (raw, TTL 8 days)
  fold (scheduled, once per closed hour) --> ROLLUP#H#<day> / <hh>#<feature> and <hh>#~top
                                         --> ROLLUP#D#<month> / <dd>#<feature> and <dd>#~top
                                         --> MAU#<month> / <user> (conditional put) + ~count
Reports read day rollups for older days, hour rollups for recent folded hours, and the raw
rows of hours not folded yet (the open hour) — never a Scan, and no double counting.
"""
from __future__ import annotations

import calendar
import math
import os
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Callable, Iterable

from chalicelib.adapters.costs_store import (
    TOP_FEATURE, BudgetRepository, MauRepository, PriceRepository, UsageRepository, day_key, hour_key, month_ttl,
)
from chalicelib.adapters.store import UserRepository
from chalicelib.adapters.tables import iso, utcnow
from chalicelib.adapters.tables_costs import BudgetItem
from chalicelib.errors import ValidationError
from chalicelib.metering.usage import SERVICE_UNITS, add_into, long_units, service_costs
from chalicelib.prices import PriceBook, parse_version
from chalicelib.services.tokens import Principal

FOUNDER_ROLE = "founder"
GROUPS = ("service", "feature", "day")
RECENT_DAYS = 2  # days read at hour granularity (hour rollups + live rows)
TOP_USERS = 20
DEFAULT_THRESHOLDS = {"saver": 0.8, "survival": 1.0}
MAX_USD = 1e12
MIN_STORED = 1e-100
MAX_MONTHS = 24


def require_founder(principal: Principal) -> None:
    from chalicelib.errors import Forbidden

    if FOUNDER_ROLE not in principal.roles:
        raise Forbidden("Only founders can see costs.", code="founder_only")


def hour_str(dt: datetime) -> str:
    return dt.strftime("%Y%m%d%H")


def _parse_day(raw: str | None, field: str, default: date) -> date:
    if raw is None or raw == "":
        return default
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise ValidationError(f"'{field}' must be a date (YYYY-MM-DD).", field=field) from None


def _parse_month(raw: str | None, default: date) -> date:
    if raw is None or raw == "":
        return default
    try:
        if len(raw) != 7:
            raise ValueError(raw)
        return date.fromisoformat(raw + "-01")
    except ValueError:
        raise ValidationError("'month' must be a month (YYYY-MM).", field="month") from None


@dataclass
class Row:
    day: date
    hh: str | None
    feature: str
    counters: dict[str, float]


class CostService:
    def __init__(self, usage: UsageRepository, mau: MauRepository, budgets: BudgetRepository,
                 prices: PriceRepository, users: UserRepository, *, shards: int,
                 clock: Callable[[], datetime] = utcnow, lookback_hours: int = 6) -> None:
        self.usage = usage
        self.mau = mau
        self.budgets = budgets
        self.prices = prices
        self.users = users
        self.shards = shards
        self.clock = clock
        self.lookback_hours = lookback_hours
        self._book: tuple[float, PriceBook] | None = None

    # -- prices --------------------------------------------------------------------------
    def pricebook(self) -> PriceBook:
        if self._book is None or time.monotonic() - self._book[0] > 60:
            self._book = (time.monotonic(), PriceBook(self.prices.overrides()))
        return self._book[1]

    def add_price_version(self, body: Any) -> dict:
        book = self.pricebook()
        version = parse_version(body, base=book.latest())
        self.prices.add(version.to_json())
        self._book = None
        return version.to_json()

    def price_table(self) -> dict:
        return {"versions": [v.to_json() for v in self.pricebook().versions]}

    # -- folding -------------------------------------------------------------------------
    def _aggregate_hour(self, hour: str) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
        features: dict[str, dict[str, float]] = defaultdict(dict)
        users: dict[str, float] = defaultdict(float)
        for feature, user, counters in self.usage.hour_rows(hour, self.shards):
            add_into(features[feature], counters)
            users[user] += counters.get("usd", 0.0)
        return features, users

    def fold_hour(self, hour_dt: datetime) -> bool:
        """Idempotent: hour rollups and the day's rollup are SET from their sources; the
        marker makes MAU counting happen once per hour. False if already folded."""
        hour = hour_str(hour_dt)
        day, hh = hour[:8], hour[8:]
        features, users = self._aggregate_hour(hour)
        for feature, counters in features.items():
            self.usage.put_rollup(hour_key(day, hh, feature), counters)
        self.usage.put_rollup(hour_key(day, hh, TOP_FEATURE), {}, users=_top(users))
        self._refold_day(day)
        if not self.usage.mark_folded(day, hh):
            return False
        self._count_mau(hour[:6], [u for u in users if u != "system"])
        return True

    def _refold_day(self, day: str) -> None:
        per_feature: dict[str, dict[str, float]] = defaultdict(dict)
        top: dict[str, float] = defaultdict(float)
        for _hh, feature, counters, users in self.usage.hour_rollups(day):
            if feature == TOP_FEATURE:
                for u, usd in users.items():
                    top[u] += usd
            else:
                add_into(per_feature[feature], counters)
        for feature, counters in per_feature.items():
            self.usage.put_rollup(day_key(day[:6], day[6:], feature), counters)
        self.usage.put_rollup(day_key(day[:6], day[6:], TOP_FEATURE), {}, users=_top(top))

    def _count_mau(self, month: str, user_ids: list[str]) -> int:
        if not user_ids:
            return 0
        known = self.mau.members(month, user_ids)
        expires = month_ttl()
        return sum(1 for u in user_ids if u not in known and self.mau.add(month, u, expires))

    def fold_pending(self) -> int:
        """Folds every closed hour of the lookback window not folded yet (scheduled job)."""
        now = self.clock()
        current = now.replace(minute=0, second=0, microsecond=0)
        folded_by_day: dict[str, set[str]] = {}
        done = 0
        for i in range(self.lookback_hours, 0, -1):
            h = current - timedelta(hours=i)
            day = h.strftime("%Y%m%d")
            if day not in folded_by_day:
                folded_by_day[day] = self.usage.folded_hours(day)
            if h.strftime("%H") not in folded_by_day[day]:
                done += int(self.fold_hour(h))
        return done

    # -- reading -------------------------------------------------------------------------
    def _rows(self, start: date, end: date) -> tuple[list[Row], dict[str, float], set[str]]:
        """Usage rows for [start, end] (inclusive days), top users' usd, and users seen live."""
        now = self.clock()
        today = now.date()
        recent_from = today - timedelta(days=RECENT_DAYS - 1)
        rows: list[Row] = []
        users: dict[str, float] = defaultdict(float)
        live_users: set[str] = set()
        # Older days: day rollups, one Query per month.
        old_end = min(end, recent_from - timedelta(days=1))
        month = date(start.year, start.month, 1)
        while start <= old_end and month <= old_end:
            lo = max(start, month)
            last = date(month.year, month.month, calendar.monthrange(month.year, month.month)[1])
            hi = min(old_end, last)
            for dd, feature, counters, top in self.usage.day_rollups(month.strftime("%Y%m"), lo.strftime("%d"),
                                                                      hi.strftime("%d")):
                d = date(month.year, month.month, int(dd))
                if feature == TOP_FEATURE:
                    for u, usd in top.items():
                        users[u] += usd
                else:
                    rows.append(Row(d, None, feature, counters))
            month = last + timedelta(days=1)
        # Recent days: folded hours from hour rollups, the rest live from the raw rows.
        day = max(start, recent_from)
        while day <= min(end, today):
            dstr = day.strftime("%Y%m%d")
            folded = set()
            for hh, feature, counters, top in self.usage.hour_rollups(dstr):
                folded.add(hh)
                if feature == TOP_FEATURE:
                    for u, usd in top.items():
                        users[u] += usd
                else:
                    rows.append(Row(day, hh, feature, counters))
            for hour in range(24):
                hdt = datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)
                hh = f"{hour:02d}"
                if hh in folded or hdt > now or now - hdt > timedelta(hours=self.lookback_hours + 1):
                    continue
                for feature, user, counters in self.usage.hour_rows(hour_str(hdt), self.shards):
                    rows.append(Row(day, hh, feature, counters))
                    users[user] += counters.get("usd", 0.0)
                    live_users.add(user)
            day += timedelta(days=1)
        return rows, users, live_users

    def _usd(self, row: Row, book: PriceBook) -> dict[str, float]:
        return service_costs(row.counters, book.at(row.day))

    def month_to_date(self) -> tuple[float, float]:
        """(month-to-date USD, forecast for the whole month)."""
        now = self.clock()
        rows, _, _ = self._rows(now.date().replace(day=1), now.date())
        return self._forecast(rows, self.pricebook(), now)

    def _forecast(self, rows: list[Row], book: PriceBook, now: datetime) -> tuple[float, float]:
        """Rows of this month so far -> (month to date, forecast for the whole month)."""
        start = now.date().replace(day=1)
        mtd = sum(sum(self._usd(r, book).values()) for r in rows)
        last24 = sum(sum(self._usd(r, book).values()) for r in rows
                     if r.hh is not None and now - datetime(r.day.year, r.day.month, r.day.day, int(r.hh),
                                                            tzinfo=timezone.utc) < timedelta(hours=24))
        month_start = datetime(start.year, start.month, 1, tzinfo=timezone.utc)
        days_in_month = calendar.monthrange(start.year, start.month)[1]
        elapsed_h = max(1.0, (now - month_start).total_seconds() / 3600)
        remaining_h = max(0.0, days_in_month * 24 - (now - month_start).total_seconds() / 3600)
        rate = max(mtd / elapsed_h, last24 / min(24.0, elapsed_h))
        return mtd, mtd + rate * remaining_h

    def mau_count(self, month: str, live_users: Iterable[str] = ()) -> int:
        count = self.mau.count(month)
        live = [u for u in live_users if u != "system"]
        if live:
            count += len(set(live) - self.mau.members(month, live))
        return count

    def report(self, principal: Principal, from_raw: str | None, to_raw: str | None, group_by: str | None) -> dict:
        require_founder(principal)
        now = self.clock()
        group = group_by or "service"
        if group not in GROUPS:
            raise ValidationError("'group_by' must be one of service, feature, day.", field="group_by")
        end = _parse_day(to_raw, "to", now.date())
        start = _parse_day(from_raw, "from", end.replace(day=1))
        if start > end:
            raise ValidationError("'from' must not be after 'to'.", field="from")
        if (end - start).days > 366:
            raise ValidationError("The range is at most 366 days.", field="from")
        book = self.pricebook()
        rows, users, live = self._rows(start, end)
        groups: dict[str, dict[str, Any]] = {}
        total = 0.0
        for row in rows:
            costs = self._usd(row, book)
            total += sum(costs.values())
            if group == "service":
                for service, usd in costs.items():
                    g = groups.setdefault(service, {"usd": 0.0, "units": {}})
                    g["usd"] += usd
                    add_into(g["units"], {k: row.counters.get(k, 0) for k in SERVICE_UNITS[service]})
            else:
                key = row.feature if group == "feature" else row.day.isoformat()
                g = groups.setdefault(key, {"usd": 0.0, "units": {}})
                g["usd"] += sum(costs.values())
                add_into(g["units"], row.counters)
        out_groups = [{"key": k, "usd": round(g["usd"], 6),
                       "units": long_units(g["units"], SERVICE_UNITS.get(k) if group == "service" else None)}
                      for k, g in groups.items() if g["units"] or g["usd"]]
        out_groups.sort(key=lambda g: (-g["usd"], g["key"]) if group != "day" else (g["key"],))
        mtd, forecast = self.month_to_date()
        month = end.strftime("%Y%m")
        mau = self.mau_count(month, live if end.strftime("%Y%m") == now.strftime("%Y%m") else ())
        return {"from": start.isoformat(), "to": end.isoformat(), "total_usd": round(total, 6), "mau": mau,
                "cost_per_mau_usd": round(mtd / mau, 6) if mau else None,
                "groups": out_groups, "top_users": self._top_users(users),
                "month_to_date_usd": round(mtd, 6), "forecast_month_usd": round(forecast, 6),
                "prices": {"version": book.latest().version, "region": book.latest().region}}

    def daily(self, principal: Principal, month_raw: str | None) -> dict:
        """Spend per day stacked by service for one month (the dashboard's first chart), with the
        month to date, the forecast and the budget. Same rows and prices as `report`, so its
        total equals `report(from=1st, to=last day)`'s."""
        require_founder(principal)
        now = self.clock()
        first = _parse_month(month_raw, now.date().replace(day=1))
        last = date(first.year, first.month, calendar.monthrange(first.year, first.month)[1])
        current = (first.year, first.month) == (now.year, now.month)
        end = min(last, now.date())
        book = self.pricebook()
        rows, _, _ = self._rows(first, end) if first <= end else ([], {}, set())
        per_day: dict[date, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        per_service: dict[str, float] = defaultdict(float)
        for row in rows:
            for service, usd in self._usd(row, book).items():
                per_day[row.day][service] += usd
                per_service[service] += usd
        services = [k for k, usd in sorted(per_service.items(), key=lambda kv: (-kv[1], kv[0])) if usd > 0]
        days = []
        day = first
        while day <= end:
            costs = per_day.get(day, {})
            days.append({"day": day.isoformat(), "total_usd": round(sum(costs.values()), 6),
                         "services": {k: round(costs.get(k, 0.0), 6) for k in services}})
            day += timedelta(days=1)
        total = sum(per_service.values())
        mtd, forecast = self._forecast(rows, book, now) if current else (total, total)
        budget = self.budget()
        return {"month": first.strftime("%Y-%m"), "from": first.isoformat(), "to": end.isoformat(), "currency": "USD",
                "services": services, "days": days, "total_usd": round(total, 6),
                "service_totals": {k: round(per_service[k], 6) for k in services},
                "month_to_date_usd": round(mtd, 6), "forecast_month_usd": round(forecast, 6),
                "budget_usd": budget["monthly_usd"], "thresholds": budget["thresholds"], "current": current}

    def monthly(self, principal: Principal, months_raw: str | None) -> dict:
        """Spend, MAU and cost per MAU for each of the last `months` months (oldest first; the
        current month is month to date with its MAU so far)."""
        require_founder(principal)
        try:
            n = int(months_raw) if months_raw not in (None, "") else 6
        except ValueError:
            n = 0
        if not 1 <= n <= MAX_MONTHS:
            raise ValidationError(f"'months' must be a whole number from 1 to {MAX_MONTHS}.", field="months")
        now = self.clock()
        book = self.pricebook()
        first = now.date().replace(day=1)
        starts = [first]
        while len(starts) < n:
            starts.append((starts[-1] - timedelta(days=1)).replace(day=1))
        out = []
        for start in reversed(starts):
            end = min(now.date(), date(start.year, start.month, calendar.monthrange(start.year, start.month)[1]))
            rows, _, live = self._rows(start, end)
            total = sum(sum(self._usd(r, book).values()) for r in rows)
            month = start.strftime("%Y%m")
            mau = self.mau_count(month, live if start == first else ())
            out.append({"month": start.strftime("%Y-%m"), "total_usd": round(total, 6), "mau": mau,
                        "cost_per_mau_usd": round(total / mau, 6) if mau else None, "current": start == first})
        return {"currency": "USD", "months": out}

    def _top_users(self, users: dict[str, float], limit: int = 10) -> list[dict]:
        out = []
        for uid, usd in sorted(users.items(), key=lambda kv: -kv[1]):
            if uid == "system" or usd <= 0:
                continue
            user = self.users.get(uid)
            out.append({"handle": user.handle if user else None, "user_id": uid, "usd": round(usd, 6)})
            if len(out) >= limit:
                break
        return out

    # -- budget --------------------------------------------------------------------------
    def budget(self) -> dict:
        item = self.budgets.get()
        if item is None:
            return {"monthly_usd": default_budget_usd(), "thresholds": dict(DEFAULT_THRESHOLDS),
                    "balance_usd": 0.0, "updated_at": None}
        return {"monthly_usd": float(item.monthly_usd), "thresholds": dict(item.thresholds),
                "balance_usd": float(item.balance_usd or 0), "updated_at": item.updated_at}

    def get_budget(self, principal: Principal) -> dict:
        require_founder(principal)
        return self.budget()

    def put_budget(self, principal: Principal, body: Any) -> dict:
        require_founder(principal)
        if not isinstance(body, dict):
            raise ValidationError("The request body must be a JSON object.", field="body")
        current = self.budget()
        monthly = _storable(body.get("monthly_usd", current["monthly_usd"]), MAX_USD)
        if monthly is None or monthly <= 0:
            raise ValidationError("'monthly_usd' must be a positive number (at most 1e12).", field="monthly_usd")
        balance = _storable(body.get("balance_usd", current["balance_usd"]), MAX_USD)
        if balance is None or balance < 0:
            raise ValidationError("'balance_usd' must be a non-negative number (at most 1e12).",
                                  field="balance_usd")
        thresholds = dict(current["thresholds"])
        given = body.get("thresholds", {})
        if not isinstance(given, dict):
            raise ValidationError("'thresholds' must be an object.", field="thresholds")
        for name, value in given.items():
            if name not in DEFAULT_THRESHOLDS:
                raise ValidationError("thresholds are 'saver' and 'survival'.", field=f"thresholds.{name}")
            fraction = _storable(value, 10)
            if fraction is None or fraction <= 0:
                raise ValidationError(f"'thresholds.{name}' must be a fraction of the budget in (0, 10].",
                                      field=f"thresholds.{name}")
            thresholds[name] = fraction
        if thresholds["saver"] > thresholds["survival"]:
            raise ValidationError("'thresholds.saver' must not exceed 'thresholds.survival'.",
                                  field="thresholds.saver")
        item = BudgetItem(*BudgetItem.key(), monthly_usd=float(monthly), thresholds=thresholds,
                          balance_usd=float(balance), updated_at=iso(self.clock()))
        self.budgets.save(item)
        return self.budget()


def _storable(value: Any, maximum: float) -> float | None:
    """A finite number DynamoDB can store (magnitude 1e-130..1e126: not 5e-324, 1e300 or NaN), at most
    `maximum` and, when not zero, at least MIN_STORED."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or abs(value) > maximum \
            or not math.isfinite(value) or (value != 0 and abs(value) < MIN_STORED):  # 10**400 > max first
        return None
    return float(value)


def _top(users: dict[str, float], n: int = TOP_USERS) -> dict[str, float]:
    return {u: round(v, 9) for u, v in sorted(users.items(), key=lambda kv: -kv[1])[:n] if v > 0}


def default_budget_usd() -> float:
    return float(os.environ.get("COST_BUDGET_USD", "2000"))


@lru_cache(maxsize=1)
def cost_service() -> CostService:
    return CostService(UsageRepository(), MauRepository(), BudgetRepository(), PriceRepository(), UserRepository(),
                       shards=int(os.environ.get("METER_SHARDS", "4")),
                       lookback_hours=int(os.environ.get("COST_FOLD_LOOKBACK_HOURS", "6")))

