"""pynamodb models and key layout of the cost-control entities (same single table).

Usage and rollup items have dynamic counter attributes and are written with raw
UpdateItem calls in `costs_store.py`; their keys are built here all the same.
"""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute

from chalicelib.adapters.tables import BaseItem, _Meta, iso, utcnow  # noqa: F401 - re-exported helpers


def usage_key(hour: str, shard: int, feature: str, user: str) -> tuple[str, str]:
    """Raw per-invocation counters: one item per (hour, shard, feature, user); hour=YYYYMMDDHH."""
    return f"USAGE#{hour}#{shard}", f"{feature}|{user}"


def usage_partition(hour: str, shard: int) -> str:
    return f"USAGE#{hour}#{shard}"


def hour_rollup_key(day: str, hh: str, feature: str) -> tuple[str, str]:
    return f"ROLLUP#H#{day}", f"{hh}#{feature}"


def day_rollup_key(month: str, dd: str, feature: str) -> tuple[str, str]:
    return f"ROLLUP#D#{month}", f"{dd}#{feature}"


TOP = "~top"  # the rollup row holding the top users of that hour/day (sorts after features)


def fold_marker_key(day: str, hh: str) -> tuple[str, str]:
    return f"COSTS#FOLDED#{day}", hh


class BudgetItem(BaseItem):
    class Meta(_Meta):
        pass

    monthly_usd = NumberAttribute()
    thresholds = JSONAttribute()
    balance_usd = NumberAttribute(default=0)
    updated_at = UnicodeAttribute()

    @staticmethod
    def key() -> tuple[str, str]:
        return "COSTS#BUDGET", "BUDGET"


class GuardItem(BaseItem):
    class Meta(_Meta):
        pass

    level = UnicodeAttribute()
    since = UnicodeAttribute()
    reason = UnicodeAttribute()
    pinned = UnicodeAttribute(null=True)
    evaluated_at = UnicodeAttribute(null=True)
    forecast_usd = NumberAttribute(null=True)

    @staticmethod
    def key() -> tuple[str, str]:
        return "COSTS#GUARD", "STATE"


class GuardEventItem(BaseItem):
    """A level transition, kept for the dashboard and the founders' notifications."""

    class Meta(_Meta):
        pass

    from_level = UnicodeAttribute()
    to_level = UnicodeAttribute()
    reason = UnicodeAttribute()
    at = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)

    @staticmethod
    def key(event_id: str) -> tuple[str, str]:
        return "COSTS#GUARD_EVENTS", event_id

    @staticmethod
    def partition() -> str:
        return "COSTS#GUARD_EVENTS"


class DonationItem(BaseItem):
    class Meta(_Meta):
        pass

    donation_id = UnicodeAttribute()
    source = UnicodeAttribute()
    amount = UnicodeAttribute()  # decimal string, in its own currency
    currency = UnicodeAttribute()
    usd = NumberAttribute(null=True)  # null when the rate table lacks the currency
    received_at = UnicodeAttribute()
    from_name = UnicodeAttribute(null=True)
    kind = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)

    @staticmethod
    def key(source: str, transaction_id: str) -> tuple[str, str]:
        """Keyed by the source's transaction id: a redelivered webhook hits the same key."""
        return "COSTS#DONATIONS", f"{source}#{transaction_id}"

    @staticmethod
    def partition() -> str:
        return "COSTS#DONATIONS"


class DonationTotalItem(BaseItem):
    class Meta(_Meta):
        pass

    usd = NumberAttribute(default=0)
    count = NumberAttribute(default=0)

    @staticmethod
    def key() -> tuple[str, str]:
        return "COSTS#DONATIONS_TOTAL", "TOTAL"


class MauItem(BaseItem):
    """Membership of a user in a month's active set; `MauItem.count_key` holds the counter."""

    class Meta(_Meta):
        pass

    n = NumberAttribute(null=True)
    expires_at = TTLAttribute(null=True)

    @staticmethod
    def key(month: str, user_id: str) -> tuple[str, str]:
        return f"MAU#{month}", user_id

    @staticmethod
    def count_key(month: str) -> tuple[str, str]:
        return f"MAU#{month}", "~count"


class QuotaItem(BaseItem):
    """Per-user upload counters of one UTC day: `d` for the day, `h<HH>` per hour."""

    class Meta(_Meta):
        pass

    expires_at = TTLAttribute(null=True)

    @staticmethod
    def key(user_id: str, day: str) -> tuple[str, str]:
        return f"QUOTA#{user_id}", day


class DeferredUploadItem(BaseItem):
    """An upload accepted during `survival`, screened once the level allows."""

    class Meta(_Meta):
        pass

    bucket = UnicodeAttribute()
    object_key = UnicodeAttribute()
    deferred_at = UnicodeAttribute()

    @staticmethod
    def key(post_id: str) -> tuple[str, str]:
        return "COSTS#DEFERRED", post_id

    @staticmethod
    def partition() -> str:
        return "COSTS#DEFERRED"


class PriceOverrideItem(BaseItem):
    class Meta(_Meta):
        pass

    body = JSONAttribute()

    @staticmethod
    def key(effective_from: str, version: str) -> tuple[str, str]:
        return "COSTS#PRICES", f"{effective_from}#{version}"

    @staticmethod
    def partition() -> str:
        return "COSTS#PRICES"
