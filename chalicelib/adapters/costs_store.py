"""Repositories of the cost-control entities: the only cost code touching DynamoDB.

Usage and rollup rows carry dynamic counter names, so they use the raw client that
pynamodb already holds (same endpoint, retries and credentials); the rest uses models.
Throttling becomes `Unavailable` as everywhere else.
"""
from __future__ import annotations

import functools
import json
from datetime import datetime, timedelta
from typing import Any, Callable, Iterator, TypeVar

from botocore.exceptions import ClientError
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError

from chalicelib.adapters.aws import THROTTLING_CODES, error_code
from chalicelib.adapters.store import dynamo_errors, first_condition_failed, transaction
from chalicelib.adapters.tables import BaseItem, utcnow
from chalicelib.adapters.tables_costs import (
    TOP, BudgetItem, DeferredUploadItem, DonationItem, DonationTotalItem, GuardEventItem, GuardItem,
    MauItem, PriceOverrideItem, QuotaItem, day_rollup_key, fold_marker_key, hour_rollup_key, usage_key,
    usage_partition,
)
from chalicelib.config import get_settings
from chalicelib.errors import Unavailable

F = TypeVar("F", bound=Callable[..., Any])
COUNTER_KEYS_SKIP = {"pk", "sk", "expires_at", "users", "feature", "user"}


def raw_errors(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ClientError as exc:
            if error_code(exc) in THROTTLING_CODES:
                raise Unavailable() from exc
            raise
    return wrapper  # type: ignore[return-value]


def _client() -> Any:
    return BaseItem._get_connection().connection.client


def _table() -> str:
    return get_settings().table_name


def num(value: float) -> str:
    """A DynamoDB number string: fixed point, 9 decimals at most (micro-dollars and below)."""
    text = f"{float(value):.9f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _counters(item: dict) -> dict[str, float]:
    return {k: float(v["N"]) for k, v in item.items() if "N" in v and k not in COUNTER_KEYS_SKIP}


def _query_all(pk: str, **kwargs: Any) -> Iterator[dict]:
    client = _client()
    params: dict[str, Any] = {"TableName": _table(), "KeyConditionExpression": "pk = :pk",
                              "ExpressionAttributeValues": {":pk": {"S": pk}}, **kwargs}
    if "sk_between" in params:
        lo, hi = params.pop("sk_between")
        params["KeyConditionExpression"] += " AND sk BETWEEN :lo AND :hi"
        params["ExpressionAttributeValues"].update({":lo": {"S": lo}, ":hi": {"S": hi}})
    while True:
        resp = client.query(**params)
        yield from resp.get("Items", [])
        if not resp.get("LastEvaluatedKey"):
            return
        params["ExclusiveStartKey"] = resp["LastEvaluatedKey"]


USAGE_BATCH_PREFIX = "~b#"


def usage_update_params(hour: str, shard: int, feature: str, user: str, counters: dict[str, float],
                        expires_epoch: int) -> dict[str, Any]:
    pk, sk = usage_key(hour, shard, feature, user)
    names: dict[str, str] = {"#t": "expires_at"}
    values: dict[str, Any] = {":t": {"N": str(expires_epoch)}}
    adds = []
    for i, (name, value) in enumerate(sorted(counters.items())):
        names[f"#c{i}"] = name
        values[f":c{i}"] = {"N": num(value)}
        adds.append(f"#c{i} :c{i}")
    return {"TableName": _table(), "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
            "UpdateExpression": "ADD " + ", ".join(adds) + " SET #t = if_not_exists(#t, :t)",
            "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}


class UsageRepository:
    @raw_errors
    def add(self, params: dict[str, Any]) -> None:
        """The meter's one write per invocation (params from `usage_update_params`)."""
        _client().update_item(**params)

    @raw_errors
    def put_batch(self, hour: str, shard: int, batch_id: str, rows: list[list[Any]], expires_epoch: int) -> None:
        """A warm container's folded usage (the meter's batched sink): one PutItem holding
        `[[feature, user, {counter: value}], ...]` for many invocations. Its sort key starts
        with `~b#` (no feature starts with `~`) and is unique per container and flush, so a
        retried put rewrites the same batch and never double-counts."""
        _client().put_item(TableName=_table(), Item={
            "pk": {"S": usage_partition(hour, shard)}, "sk": {"S": f"{USAGE_BATCH_PREFIX}{batch_id}"},
            "rows": {"S": json.dumps(rows, separators=(",", ":"))}, "expires_at": {"N": str(expires_epoch)}})

    @raw_errors
    def hour_rows(self, hour: str, shards: int) -> list[tuple[str, str, dict[str, float]]]:
        """Every (feature, user, counters) of the hour: per-invocation rows and the rows
        folded into batch items."""
        rows = []
        for shard in range(shards):
            for item in _query_all(usage_partition(hour, shard)):
                if item["sk"]["S"].startswith(USAGE_BATCH_PREFIX):
                    rows.extend((f, u, {k: float(v) for k, v in c.items()})
                                for f, u, c in json.loads(item["rows"]["S"]))
                    continue
                feature, _, user = item["sk"]["S"].rpartition("|")
                rows.append((feature, user, _counters(item)))
        return rows

    @raw_errors
    def put_rollup(self, key: tuple[str, str], counters: dict[str, float], users: dict[str, float] | None = None) -> None:
        item: dict[str, Any] = {"pk": {"S": key[0]}, "sk": {"S": key[1]}}
        for name, value in counters.items():
            item[name] = {"N": num(value)}
        if users is not None:
            item["users"] = {"S": json.dumps(users, separators=(",", ":"))}
        _client().put_item(TableName=_table(), Item=item)

    @raw_errors
    def hour_rollups(self, day: str) -> list[tuple[str, str, dict[str, float], dict[str, float]]]:
        """(hh, feature, counters, top users) of a day's folded hours."""
        out = []
        for item in _query_all(f"ROLLUP#H#{day}"):
            hh, _, feature = item["sk"]["S"].partition("#")
            users = json.loads(item["users"]["S"]) if "users" in item else {}
            out.append((hh, feature, _counters(item), users))
        return out

    @raw_errors
    def day_rollups(self, month: str, dd_from: str, dd_to: str) -> list[tuple[str, str, dict[str, float], dict[str, float]]]:
        out = []
        for item in _query_all(f"ROLLUP#D#{month}", sk_between=(f"{dd_from}#", f"{dd_to}#\uffff")):
            dd, _, feature = item["sk"]["S"].partition("#")
            users = json.loads(item["users"]["S"]) if "users" in item else {}
            out.append((dd, feature, _counters(item), users))
        return out

    @raw_errors
    def folded_hours(self, day: str) -> set[str]:
        return {item["sk"]["S"] for item in _query_all(fold_marker_key(day, "")[0])}

    @raw_errors
    def mark_folded(self, day: str, hh: str) -> bool:
        pk, sk = fold_marker_key(day, hh)
        try:
            _client().put_item(TableName=_table(), Item={"pk": {"S": pk}, "sk": {"S": sk}},
                               ConditionExpression="attribute_not_exists(pk)")
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True


def hour_key(day: str, hh: str, feature: str) -> tuple[str, str]:
    return hour_rollup_key(day, hh, feature)


def day_key(month: str, dd: str, feature: str) -> tuple[str, str]:
    return day_rollup_key(month, dd, feature)


TOP_FEATURE = TOP


class MauRepository:
    @raw_errors
    def members(self, month: str, user_ids: list[str]) -> set[str]:
        """Which of these users are already in the month's set (BatchGetItem, 100 per call)."""
        found: set[str] = set()
        client = _client()
        ids = list(dict.fromkeys(user_ids))
        for i in range(0, len(ids), 100):
            keys = [{"pk": {"S": MauItem.key(month, u)[0]}, "sk": {"S": u}} for u in ids[i:i + 100]]
            pending = keys
            for _ in range(5):
                resp = client.batch_get_item(RequestItems={_table(): {"Keys": pending,
                                                                      "ProjectionExpression": "sk"}})
                found |= {it["sk"]["S"] for it in resp.get("Responses", {}).get(_table(), [])}
                pending = resp.get("UnprocessedKeys", {}).get(_table(), {}).get("Keys", [])
                if not pending:
                    break
        return found

    @dynamo_errors
    def add(self, month: str, user_id: str, expires: datetime) -> bool:
        """Conditional put of the membership; on success the month's counter is incremented
        (a crash in between under-counts by one; never double-counts)."""
        try:
            MauItem(*MauItem.key(month, user_id), expires_at=expires).save(condition=MauItem.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        MauItem(*MauItem.count_key(month)).update(actions=[MauItem.n.add(1)])
        return True

    @dynamo_errors
    def count(self, month: str) -> int:
        try:
            item = MauItem.get(*MauItem.count_key(month))
        except DoesNotExist:
            return 0
        return int(item.n or 0)


class BudgetRepository:
    @dynamo_errors
    def get(self) -> BudgetItem | None:
        try:
            return BudgetItem.get(*BudgetItem.key(), consistent_read=True)
        except DoesNotExist:
            return None

    @dynamo_errors
    def save(self, item: BudgetItem) -> None:
        item.save()


class GuardRepository:
    @dynamo_errors
    def get(self) -> GuardItem | None:
        try:
            return GuardItem.get(*GuardItem.key(), consistent_read=True)
        except DoesNotExist:
            return None

    @dynamo_errors
    def save(self, item: GuardItem) -> None:
        item.save()

    @dynamo_errors
    def add_event(self, event: GuardEventItem) -> None:
        event.save()

    @dynamo_errors
    def recent_events(self, limit: int = 10) -> list[GuardEventItem]:
        return list(GuardEventItem.query(GuardEventItem.partition(), scan_index_forward=False, limit=limit))


class DonationRepository:
    @dynamo_errors
    def add(self, item: DonationItem) -> bool:
        """Ledger entry + running total in one transaction; False if the id already exists."""
        try:
            with transaction() as tx:
                tx.save(item, condition=DonationItem.pk.does_not_exist())
                tx.update(DonationTotalItem(*DonationTotalItem.key()),
                          actions=[DonationTotalItem.usd.add(item.usd or 0), DonationTotalItem.count.add(1)])
        except TransactWriteError as exc:
            if first_condition_failed(exc):
                return False
        return True

    @dynamo_errors
    def list(self, limit: int = 200) -> list[DonationItem]:
        return list(DonationItem.query(DonationItem.partition(), limit=limit))

    @dynamo_errors
    def total_usd(self) -> float:
        try:
            return float(DonationTotalItem.get(*DonationTotalItem.key()).usd or 0)
        except DoesNotExist:
            return 0.0


class QuotaRepository:
    @dynamo_errors
    def take(self, user_id: str, day: str, hour: str, *, per_day: int, per_hour: int,
             expires: datetime) -> dict[str, int] | None:
        """Counts one upload if both limits allow (one conditional UpdateItem). None = allowed;
        else the current counters, to tell which limit was hit."""
        item = QuotaItem(*QuotaItem.key(user_id, day))
        hour_attr = f"h{hour}"
        client = _client()
        try:
            client.update_item(
                TableName=_table(), Key={"pk": {"S": item.pk}, "sk": {"S": item.sk}},
                UpdateExpression="ADD #d :one, #h :one SET expires_at = if_not_exists(expires_at, :exp)",
                ConditionExpression="(attribute_not_exists(#d) OR #d < :dl) AND (attribute_not_exists(#h) OR #h < :hl)",
                ExpressionAttributeNames={"#d": "d", "#h": hour_attr},
                ExpressionAttributeValues={":one": {"N": "1"}, ":dl": {"N": str(per_day)},
                                           ":hl": {"N": str(per_hour)},
                                           ":exp": {"N": str(int(expires.timestamp()))}})
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                if error_code(exc) in THROTTLING_CODES:
                    raise Unavailable() from exc
                raise
            resp = client.get_item(TableName=_table(), Key={"pk": {"S": item.pk}, "sk": {"S": item.sk}},
                                   ConsistentRead=True)
            got = resp.get("Item", {})
            return {"day": int(got.get("d", {}).get("N", 0)), "hour": int(got.get(hour_attr, {}).get("N", 0))}
        return None


class DeferredRepository:
    @dynamo_errors
    def add(self, item: DeferredUploadItem) -> None:
        item.save()

    @dynamo_errors
    def oldest(self, limit: int) -> list[DeferredUploadItem]:
        return list(DeferredUploadItem.query(DeferredUploadItem.partition(), limit=limit))

    @dynamo_errors
    def remove(self, item: DeferredUploadItem) -> None:
        item.delete()


class PriceRepository:
    @dynamo_errors
    def overrides(self) -> list[dict]:
        return [item.body for item in PriceOverrideItem.query(PriceOverrideItem.partition())]

    @dynamo_errors
    def add(self, body: dict) -> None:
        PriceOverrideItem(*PriceOverrideItem.key(body["effective_from"], body["version"]), body=body).save()


def month_ttl(now: datetime | None = None, days: int = 62) -> datetime:
    return (now or utcnow()) + timedelta(days=days)

