"""The request-unit calculator against DynamoDB's published sizing rules (developer guide:
"Item sizes and formats", "Read/write capacity modes"). moto reports a constant
ConsumedCapacity, so these rules, not moto, are the reference."""
from __future__ import annotations

import json

import pytest

from chalicelib.metering.ddb import INDEX_KEYS, DynamoCalculator
from chalicelib.metering.units import (
    batch_get_units, batch_write_units, item_size, number_size, query_units, read_units, write_units,
)


def S(v: str) -> dict:
    return {"S": v}


def test_string_size_is_name_plus_utf8_bytes():
    assert item_size({"name": S("abc")}) == 4 + 3
    assert item_size({"é": S("€")}) == 2 + 3  # UTF-8 bytes, not characters


@pytest.mark.parametrize("raw, size", [("0", 1 + 1), ("7", 1 + 1), ("12", 1 + 1), ("123", 2 + 1),
                                       ("1000", 1 + 1), ("0.001", 1 + 1), ("123456", 3 + 1), ("-12.5", 2 + 1)])
def test_numbers_take_one_byte_per_two_significant_digits_plus_one(raw, size):
    assert number_size(raw) == size


def test_bool_null_binary_sets():
    assert item_size({"b": {"BOOL": True}, "n": {"NULL": True}}) == 1 + 1 + 1 + 1
    assert item_size({"x": {"B": b"\x00" * 10}}) == 1 + 10
    assert item_size({"t": {"SS": ["ab", "cde"]}}) == 1 + 5


def test_lists_and_maps_have_3_bytes_overhead_plus_one_per_element():
    assert item_size({"l": {"L": []}}) == 1 + 3
    assert item_size({"l": {"L": [S("ab"), S("c")]}}) == 1 + 3 + 2 + 3
    assert item_size({"m": {"M": {"k": S("vv")}}}) == 1 + 3 + 1 + (1 + 2)


def test_read_and_write_rounding():
    assert read_units(1) == 0.5 and read_units(4096) == 0.5 and read_units(4097) == 1.0
    assert read_units(4097, consistent=True) == 2.0
    assert read_units(0) == 0.5  # a read of a missing item still costs the minimum
    assert read_units(100, transactional=True) == 2.0
    assert write_units(1) == 1 and write_units(1024) == 1 and write_units(1025) == 2
    assert write_units(1025, transactional=True) == 4


def test_query_sums_then_rounds_but_batches_round_per_item():
    sizes = [1000] * 8  # 8 KB in total
    assert query_units(sizes) == 1.0  # ceil(8000/4096)=2 units, eventually consistent: 1
    assert batch_get_units(sizes) == 4.0  # each item rounds up to one 4 KB unit: 8 x 0.5
    assert batch_write_units([100, 1500]) == 1 + 2


def _put(item: dict) -> dict:
    return {"TableName": "t", "Item": item}


def test_put_with_keys_only_index_counts_one_extra_write():
    calc = DynamoCalculator()
    base = {"pk": S("FOLLOW#a"), "sk": S("b"), "x": S("y" * 1500)}
    assert calc.units("PutItem", _put(base), {}, 200).wru == 2
    indexed = {**base, "pk": S("FOLLOW#c"), "gsi1pk": S("FOLLOWERS#b"), "gsi1sk": S("c")}
    assert calc.units("PutItem", _put(indexed), {}, 200).wru == 2 + 1


def test_failed_conditional_put_still_costs_its_write_units():
    calc = DynamoCalculator()
    item = {"pk": S("P"), "sk": S("S"), "gsi1pk": S("a"), "gsi1sk": S("b")}
    error = {"Error": {"Code": "ConditionalCheckFailedException"}}
    assert calc.units("PutItem", _put(item), error, 400).wru == 1  # no index write
    assert calc.units("PutItem", _put(item), {"Error": {"Code": "ThrottlingException"}}, 400).wru == 0


def test_update_uses_the_item_size_seen_earlier_in_the_container():
    calc = DynamoCalculator()
    item = {"pk": S("POST#1"), "sk": S("POST"), "body": S("z" * 3000)}
    got = calc.units("GetItem", {"Key": {"pk": S("POST#1"), "sk": S("POST")}, "ConsistentRead": True},
                     {"Item": item}, 200)
    assert got.rru == 1.0
    update = {"Key": {"pk": S("POST#1"), "sk": S("POST")}, "UpdateExpression": "SET #s = :s",
              "ExpressionAttributeNames": {"#s": "status"}, "ExpressionAttributeValues": {":s": S("published")}}
    assert calc.units("UpdateItem", update, {}, 200).wru == 3  # the 3 KB item, not the 20-byte update
    blind = {**update, "Key": {"pk": S("POST#2"), "sk": S("POST")}}
    assert calc.units("UpdateItem", blind, {}, 200).wru == 1  # unseen: key + values estimate


def test_update_setting_index_keys_writes_the_index():
    calc = DynamoCalculator()
    update = {"Key": {"pk": S("POST#9"), "sk": S("POST")}, "UpdateExpression": "SET #a = :a, #b = :b",
              "ExpressionAttributeNames": {"#a": "gsi1pk", "#b": "gsi1sk"},
              "ExpressionAttributeValues": {":a": S("AUTHOR#x"), ":b": S("9")}}
    assert calc.units("UpdateItem", update, {}, 200).wru == 1 + 1


def test_transactions_double_and_batch_write_rounds_per_item():
    calc = DynamoCalculator()
    tx = {"TransactItems": [
        {"Put": {"Item": {"pk": S("HANDLE#a"), "sk": S("HANDLE"), "user_id": S("u")}}},
        {"Update": {"Key": {"pk": S("USER#u"), "sk": S("PROFILE")}, "UpdateExpression": "ADD #n :one",
                    "ExpressionAttributeNames": {"#n": "n"}, "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"ConditionCheck": {"Key": {"pk": S("X"), "sk": S("Y")}}},
    ]}
    assert calc.units("TransactWriteItems", tx, {}, 200).wru == 2 + 2 + 2
    batch = {"RequestItems": {"t": [{"PutRequest": {"Item": {"pk": S("F#1"), "sk": S(str(i))}}} for i in range(25)]}}
    assert calc.units("BatchWriteItem", batch, {"UnprocessedItems": {}}, 200).wru == 25
    partial = {"UnprocessedItems": {"t": batch["RequestItems"]["t"][:5]}}
    assert calc.units("BatchWriteItem", batch, partial, 200).wru == 20


def test_batch_get_rounds_each_item_and_charges_missing_keys():
    calc = DynamoCalculator()
    keys = [{"pk": S(f"POST#{i}"), "sk": S("POST")} for i in range(3)]
    found = [{"pk": S("POST#0"), "sk": S("POST"), "x": S("a" * 5000)}, {"pk": S("POST#1"), "sk": S("POST")}]
    got = calc.units("BatchGetItem", {"RequestItems": {"t": {"Keys": keys}}}, {"Responses": {"t": found}}, 200)
    assert got.rru == 1.0 + 0.5 + 0.5


def test_query_over_keys_only_index_sums_small_entries():
    calc = DynamoCalculator()
    items = [{"pk": S("FOLLOW#u"), "sk": S(f"v{i:04d}"), "gsi1pk": S("FOLLOWERS#x"), "gsi1sk": S(f"u{i}")}
             for i in range(100)]
    per = item_size(items[0])
    got = calc.units("Query", {"IndexName": "gsi1"}, {"Items": items}, 200)
    assert got.rru == read_units(per * 100)  # summed once: 100 entries of ~50 bytes = 2 units x 0.5


def test_post_images_seen_are_reported_for_media_estimates():
    calc = DynamoCalculator()
    images = [{"variants": [{"width": 640, "bytes": 40_000}, {"width": 1280, "bytes": 120_000}]}]
    item = {"pk": S("POST#1"), "sk": S("POST"), "images": S(json.dumps(images))}
    got = calc.units("GetItem", {"Key": {"pk": S("POST#1"), "sk": S("POST")}}, {"Item": item}, 200)
    assert got.post_images == [images[0]["variants"]]


def test_index_keys_match_the_physical_schema():
    from infra.resources import APP_TABLE

    assert INDEX_KEYS == tuple((ix.hash_key.name, ix.range_key.name) for ix in APP_TABLE.indexes)
    assert all(ix.projection == "KEYS_ONLY" for ix in APP_TABLE.indexes)
