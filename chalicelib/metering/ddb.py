"""Request units of one DynamoDB API call, from its parameters and parsed response.

Estimates where the API does not show the item (documented in docs/costs.md):
- UpdateItem/DeleteItem are billed on the larger of the item before and after; the caller
  does not see it, so the calculator uses the size last seen for that key in this container
  (reads, puts and query results feed a bounded cache), else the key plus the values in the
  update expression.
- A KEYS_ONLY index entry is written when a write sets or changes the index keys (1 WRU; a
  change of keys is a delete plus a put = 2); a delete removes it if the item had one.
- A conditional write that fails still consumes its write units (no index write); so does a
  cancelled transaction (every item, doubled). Throttled or invalid calls consume nothing.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Mapping

from chalicelib.metering.units import (
    batch_get_units, item_size, query_units, read_units, value_size, write_units,
)

# The table's index keys (physical schema: infra/resources.py APP_TABLE; a unit test keeps
# them equal). gsi1 is KEYS_ONLY.
INDEX_KEYS: tuple[tuple[str, str], ...] = (("gsi1pk", "gsi1sk"),)
KEY_NAMES = ("pk", "sk")
CHARGED_ERRORS = {"ConditionalCheckFailedException", "TransactionCanceledException"}
_CACHE_MAX = 5000


@dataclass
class CallUnits:
    rru: float = 0.0
    wru: float = 0.0
    bytes_added: int = 0
    post_images: list[list[dict]] = field(default_factory=list)  # images[] of posts read


def _key(item: Mapping[str, Any]) -> tuple[str, str] | None:
    try:
        return str(item["pk"].get("S")), str(item["sk"].get("S"))
    except (KeyError, AttributeError, TypeError):
        return None


def _index_keys(item: Mapping[str, Any]) -> tuple:
    return tuple(tuple(str(item[a].get("S")) if a in item else None for a in pair) for pair in INDEX_KEYS)


def _has_index(keys: tuple) -> bool:
    return any(all(v is not None for v in pair) for pair in keys)


class SizeCache:
    """Container-wide, bounded: (pk, sk) -> (size, index keys) of items recently seen."""

    def __init__(self, maxsize: int = _CACHE_MAX) -> None:
        self._d: OrderedDict[tuple[str, str], tuple[int, tuple]] = OrderedDict()
        self.maxsize = maxsize

    def get(self, key: tuple[str, str] | None) -> tuple[int, tuple] | None:
        if key is None:
            return None
        hit = self._d.get(key)
        if hit is not None:
            self._d.move_to_end(key)
        return hit

    def put(self, key: tuple[str, str] | None, size: int, index: tuple) -> None:
        if key is None:
            return
        self._d[key] = (size, index)
        self._d.move_to_end(key)
        while len(self._d) > self.maxsize:
            self._d.popitem(last=False)

    def drop(self, key: tuple[str, str] | None) -> None:
        if key is not None:
            self._d.pop(key, None)


def _post_images(item: Mapping[str, Any], out: CallUnits) -> None:
    if item.get("sk", {}).get("S") != "POST" or "images" not in item:
        return
    raw = item["images"].get("S")
    if not raw or len(out.post_images) >= 100:
        return
    try:
        images = json.loads(raw)
    except ValueError:
        return
    for image in images if isinstance(images, list) else []:
        if isinstance(image, dict) and isinstance(image.get("variants"), list):
            out.post_images.append(image["variants"])


def _update_estimate(params: Mapping[str, Any]) -> tuple[int, bool]:
    key = params.get("Key") or {}
    size = item_size(key)
    values = params.get("ExpressionAttributeValues") or {}
    names = params.get("ExpressionAttributeNames") or {}
    size += sum(value_size(v) for v in values.values())
    size += sum(len(str(n).encode()) for n in names.values())
    expression = str(params.get("UpdateExpression", ""))
    touched = set(names.values()) | {tok for tok in expression.replace(",", " ").split()}
    sets_index = any(a in touched for pair in INDEX_KEYS for a in pair)
    return size, sets_index


class DynamoCalculator:
    def __init__(self, cache: SizeCache | None = None) -> None:
        self.cache = cache or SizeCache()

    # -- single-item writes; `tx` doubles the base-table units ---------------------------
    def _put(self, item: Mapping[str, Any], out: CallUnits, *, tx: bool, ok: bool) -> None:
        key = _key(item)
        new_size = item_size(item)
        old = self.cache.get(key)
        out.wru += write_units(max(new_size, old[0] if old else 0), transactional=tx)
        if not ok:
            return
        new_index = _index_keys(item)
        old_index = old[1] if old else None
        if _has_index(new_index) and new_index != old_index:
            out.wru += 1
        if old_index is not None and _has_index(old_index) and new_index != old_index:
            out.wru += 1
        out.bytes_added += new_size - (old[0] if old else 0)
        self.cache.put(key, new_size, new_index)

    def _update(self, params: Mapping[str, Any], out: CallUnits, *, tx: bool, ok: bool) -> None:
        key = _key(params.get("Key") or {})
        old = self.cache.get(key)
        estimate, sets_index = _update_estimate(params)
        size = max(estimate, old[0] if old else 0)
        out.wru += write_units(size, transactional=tx)
        if not ok:
            return
        if sets_index:
            out.wru += 2 if (old is not None and _has_index(old[1])) else 1
        if old is None:
            out.bytes_added += estimate
            self.cache.put(key, estimate, ())
        elif estimate > old[0]:
            out.bytes_added += estimate - old[0]
            self.cache.put(key, estimate, old[1])

    def _delete(self, params: Mapping[str, Any], out: CallUnits, *, tx: bool, ok: bool) -> None:
        key_item = params.get("Key") or {}
        key = _key(key_item)
        old = self.cache.get(key)
        out.wru += write_units(old[0] if old else item_size(key_item), transactional=tx)
        if not ok:
            return
        if old is not None and _has_index(old[1]):
            out.wru += 1
        out.bytes_added -= old[0] if old else 0
        self.cache.drop(key)

    def _seen(self, item: Mapping[str, Any], out: CallUnits) -> int:
        size = item_size(item)
        self.cache.put(_key(item), size, _index_keys(item))
        _post_images(item, out)
        return size

    # -- one API call --------------------------------------------------------------------
    def units(self, op: str, params: Mapping[str, Any], parsed: Mapping[str, Any], status: int) -> CallUnits:
        out = CallUnits()
        error = (parsed.get("Error") or {}).get("Code") if status >= 300 else None
        if error is not None and error not in CHARGED_ERRORS:
            return out  # throttled, validation or server errors consume nothing
        ok = error is None
        consistent = bool(params.get("ConsistentRead"))
        if op == "GetItem":
            item = parsed.get("Item")
            size = self._seen(item, out) if item else 0
            out.rru += read_units(size, consistent=consistent)
        elif op == "PutItem":
            self._put(params.get("Item") or {}, out, tx=False, ok=ok)
        elif op == "UpdateItem":
            self._update(params, out, tx=False, ok=ok)
        elif op == "DeleteItem":
            self._delete(params, out, tx=False, ok=ok)
        elif op in ("Query", "Scan"):
            items = parsed.get("Items") or []
            sizes = [self._seen(i, out) for i in items]
            if not items and parsed.get("Count") and params.get("Select") == "COUNT":
                sizes = [100] * int(parsed.get("ScannedCount") or parsed["Count"])
            out.rru += query_units(sizes, consistent=consistent)
        elif op == "BatchGetItem":
            for table, spec in (params.get("RequestItems") or {}).items():
                got = (parsed.get("Responses") or {}).get(table, [])
                unprocessed = len(((parsed.get("UnprocessedKeys") or {}).get(table) or {}).get("Keys", []))
                sizes = [self._seen(i, out) for i in got]
                missing = max(0, len(spec.get("Keys", [])) - len(got) - unprocessed)
                out.rru += batch_get_units(sizes + [0] * missing, consistent=bool(spec.get("ConsistentRead")))
        elif op == "BatchWriteItem":
            for table, requests in (params.get("RequestItems") or {}).items():
                left = (parsed.get("UnprocessedItems") or {}).get(table, [])
                done = requests[: max(0, len(requests) - len(left))] if left else requests
                for request in done:
                    if "PutRequest" in request:
                        self._put(request["PutRequest"].get("Item") or {}, out, tx=False, ok=True)
                    elif "DeleteRequest" in request:
                        self._delete(request["DeleteRequest"], out, tx=False, ok=True)
        elif op == "TransactWriteItems":
            for entry in params.get("TransactItems") or []:
                if "Put" in entry:
                    self._put(entry["Put"].get("Item") or {}, out, tx=True, ok=ok)
                elif "Update" in entry:
                    self._update(entry["Update"], out, tx=True, ok=ok)
                elif "Delete" in entry:
                    self._delete(entry["Delete"], out, tx=True, ok=ok)
                elif "ConditionCheck" in entry:
                    key = _key(entry["ConditionCheck"].get("Key") or {})
                    hit = self.cache.get(key)
                    out.wru += write_units(hit[0] if hit else 0, transactional=True)
        elif op == "TransactGetItems":
            for response in parsed.get("Responses") or []:
                item = response.get("Item")
                out.rru += read_units(self._seen(item, out) if item else 0, transactional=True)
        return out
