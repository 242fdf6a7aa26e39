"""What races in the embedded endpoint (issue 14): the same concurrent DynamoDB writes against
moto as `python -m moto.server` runs it, and against local/moto_locked.py (what the platform
and the tests use). Prints, per scenario, how often DynamoDB's guarantee was broken.

    .venv/bin/python bench/moto_races.py [--rounds 30] [--threads 8]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any, Callable

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from local.moto_server import free_port, wait_http  # noqa: E402

TABLE = "races"


def start(module: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"}
    proc = subprocess.Popen([sys.executable, "-m", module, "-H", "127.0.0.1", "-p", str(port)], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/moto-api/", proc=proc)
    return proc, url


def ddb(url: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x",
                        config=Config(retries={"max_attempts": 1}, max_pool_connections=64))


def race(n: int, fn: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(n)
    out: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            out[i] = fn(i)
        except Exception as exc:  # noqa: BLE001 - the outcome is what we measure
            out[i] = exc
    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def code(result: Any) -> str:
    if isinstance(result, Exception):
        resp = getattr(result, "response", {}) or {}
        reasons = [r.get("Code") for r in resp.get("CancellationReasons", [])]
        return str(resp.get("Error", {}).get("Code", type(result).__name__)) + (f"{reasons}" if reasons else "")
    return "ok"


def scenarios(url: str, rounds: int, n: int) -> dict[str, str]:
    c = ddb(url)
    c.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                         {"AttributeName": "sk", "AttributeType": "S"}],
                   KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}])
    # some bulk, so a transaction's table copy takes a while (as on a platform in use)
    for i in range(300):
        c.put_item(TableName=TABLE, Item={"pk": {"S": f"BULK#{i}"}, "sk": {"S": "x"}, "pad": {"S": "p" * 200}})
    out: dict[str, str] = {}

    # 1. conditional PutItem: the same edge from n threads, attribute_not_exists
    broken = 0
    for r in range(rounds):
        key = {"pk": {"S": f"LIKE#{uuid.uuid4()}"}, "sk": {"S": "post"}}
        res = race(n, lambda i: c.put_item(TableName=TABLE, Item={**key, "by": {"N": str(i)}},
                                           ConditionExpression="attribute_not_exists(pk)"))
        broken += sum(1 for x in res if code(x) == "ok") != 1
    out["conditional PutItem, one key"] = f"{broken}/{rounds} rounds with more than one winner"

    # 2. conditional UpdateItem: compare-and-set of a status
    broken = 0
    for r in range(rounds):
        key = {"pk": {"S": f"POST#{uuid.uuid4()}"}, "sk": {"S": "p"}}
        c.put_item(TableName=TABLE, Item={**key, "status": {"S": "processing"}})
        res = race(n, lambda i: c.update_item(TableName=TABLE, Key=key, UpdateExpression="SET #s = :d",
                                              ConditionExpression="#s = :p", ExpressionAttributeNames={"#s": "status"},
                                              ExpressionAttributeValues={":d": {"S": f"decided{i}"},
                                                                         ":p": {"S": "processing"}}))
        broken += sum(1 for x in res if code(x) == "ok") != 1
    out["conditional UpdateItem (compare-and-set)"] = f"{broken}/{rounds} rounds with more than one winner"

    # 3. TransactWriteItems: edge (attribute_not_exists) + counter ADD, the old like
    multi, miscount, odd = 0, 0, set()
    counts: dict[tuple[int, bool], int] = {}
    for r in range(rounds):
        post = f"POST#{uuid.uuid4()}"
        edge = {"pk": {"S": f"LIKE#{uuid.uuid4()}"}, "sk": {"S": post}}

        def like(i: int) -> Any:
            return c.transact_write_items(TransactItems=[
                {"Put": {"TableName": TABLE, "Item": edge, "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Update": {"TableName": TABLE, "Key": {"pk": {"S": post}, "sk": {"S": "p"}},
                            "UpdateExpression": "ADD likes :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}}])
        res = race(n, like)
        item = c.get_item(TableName=TABLE, Key={"pk": {"S": post}, "sk": {"S": "p"}}).get("Item", {})
        count = int(item.get("likes", {}).get("N", 0))
        multi += sum(1 for x in res if code(x) == "ok") != 1
        miscount += count != 1
        edge_kept = "Item" in c.get_item(TableName=TABLE, Key=edge)
        counts[(count, edge_kept)] = counts.get((count, edge_kept), 0) + 1
        odd |= {code(x) for x in res if code(x) != "ok" and "ConditionalCheckFailed" not in code(x)}
    out["TransactWriteItems, one edge + counter"] = (
        f"{multi}/{rounds} rounds with other than one winner, {miscount}/{rounds} with a count other than 1; "
        f"errors other than the condition: {sorted(odd) or 'none'}; rounds by (count, edge kept): "
        + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))

    # 4. a cancelled transaction racing plain writes of other items: are those writes kept?
    lost_rounds, lost_items = 0, 0
    for r in range(rounds):
        tag = uuid.uuid4().hex
        taken = {"pk": {"S": f"TAKEN#{tag}"}, "sk": {"S": "x"}}
        c.put_item(TableName=TABLE, Item=taken)

        def work(i: int) -> Any:
            if i % 2:
                return c.transact_write_items(TransactItems=[
                    {"Put": {"TableName": TABLE, "Item": taken, "ConditionExpression": "attribute_not_exists(pk)"}}])
            return c.put_item(TableName=TABLE, Item={"pk": {"S": f"W#{tag}#{i}"}, "sk": {"S": "x"}})
        race(n, work)
        missing = sum(1 for i in range(0, n, 2)
                      if "Item" not in c.get_item(TableName=TABLE, Key={"pk": {"S": f"W#{tag}#{i}"}, "sk": {"S": "x"}}))
        lost_rounds += missing > 0
        lost_items += missing
    out["cancelled TransactWriteItems vs plain PutItems of other items"] = (
        f"{lost_rounds}/{rounds} rounds lost acknowledged writes ({lost_items} items)")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    print(f"{args.rounds} rounds of {args.threads} racing threads each")
    for module in ("moto.server", "local.moto_locked"):
        proc, url = start(module)
        try:
            print(f"\n== python -m {module}")
            for name, result in scenarios(url, args.rounds, args.threads).items():
                print(f"  {name}: {result}")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
