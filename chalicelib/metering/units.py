"""DynamoDB request units from item sizes, by DynamoDB's published rules (pure: dicts in,
numbers out). moto reports a constant ConsumedCapacity, so Easel computes its own.

Item size (developer guide, "Item sizes and formats"): the sum of attribute-name lengths
(UTF-8) plus value sizes — String: UTF-8 bytes; Number: 1 byte per two significant digits
+ 1; Binary: raw bytes; Boolean/Null: 1; List/Map: 3 bytes + 1 byte per element + the
elements (a Map's elements include their names); sets: the sum of their elements.

Units: reads 4 KB per RRU (eventually consistent = half), writes 1 KB per WRU, rounded up,
minimum one unit per item; transactions double both; BatchGetItem/BatchWriteItem round per
item; Query/Scan sum the sizes of the items read and round once; every GSI entry written is
an extra write (a KEYS_ONLY entry is keys only, so one WRU).
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

READ_UNIT = 4096
WRITE_UNIT = 1024


def number_size(raw: str) -> int:
    digits = raw.strip().lstrip("+-")
    mantissa = digits.split("e")[0].split("E")[0]
    significant = mantissa.replace(".", "").strip("0") or "0"
    return (len(significant) + 1) // 2 + 1


def value_size(value: Mapping[str, Any]) -> int:
    (kind, v), = value.items()
    if kind == "S":
        return len(v.encode("utf-8"))
    if kind == "N":
        return number_size(v)
    if kind == "B":
        return len(v) if isinstance(v, (bytes, bytearray)) else len(str(v).encode())
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode("utf-8")) for s in v)
    if kind == "NS":
        return sum(number_size(n) for n in v)
    if kind == "BS":
        return sum(len(b) for b in v)
    if kind == "L":
        return 3 + len(v) + sum(value_size(x) for x in v)
    if kind == "M":
        return 3 + len(v) + sum(len(k.encode("utf-8")) + value_size(x) for k, x in v.items())
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def item_size(item: Mapping[str, Mapping[str, Any]] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def read_units(size: int, *, consistent: bool = False, transactional: bool = False) -> float:
    units = max(1, math.ceil(size / READ_UNIT))
    if transactional:
        return units * 2.0
    return float(units) if consistent else units / 2


def write_units(size: int, *, transactional: bool = False) -> float:
    units = max(1, math.ceil(size / WRITE_UNIT))
    return float(units * (2 if transactional else 1))


def query_units(sizes: Iterable[int], *, consistent: bool = False) -> float:
    """Query and Scan: the sizes of all items read are summed, then rounded once."""
    return read_units(sum(sizes), consistent=consistent)


def batch_get_units(sizes: Iterable[int], *, consistent: bool = False) -> float:
    """BatchGetItem: each item is rounded up on its own."""
    return sum(read_units(s, consistent=consistent) for s in sizes)


def batch_write_units(sizes: Iterable[int]) -> float:
    return sum(write_units(s) for s in sizes)
