"""The embedded endpoint behaves like DynamoDB under concurrency (issue 14): racing writes
from real threads over HTTP to the moto server, which runs through local/moto_locked.py.
Plain moto fails both tests (bench/moto_races.py measures it; docs/evidence.md)."""
from __future__ import annotations

import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import boto3
from ulid import ULID

from chalicelib.adapters.community_store import InteractionRepository
from chalicelib.adapters.tables import PostItem, iso, utcnow
from chalicelib.adapters.tables_community import LikeItem
from tests.helpers import signup
from tests.social_helpers import seed_published_post


def _together(n: int, fn: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(n)

    def run(i: int) -> Any:
        barrier.wait()
        return fn(i)
    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def test_the_same_user_liking_one_post_from_3_threads_counts_once(client: Any) -> None:
    author = signup(client)
    fans = [signup(client) for _ in range(8)]
    post_id = seed_published_post(author)
    repo = InteractionRepository()
    attempts = [fan["id"] for fan in fans for _ in range(3)]  # 8 users x 3 concurrent likes
    results = _together(len(attempts), lambda i: repo.like(attempts[i], post_id, str(ULID()), iso(utcnow())))
    assert sum(1 for r in results if r) == 8  # one winner per user
    assert PostItem.get(*PostItem.key(post_id), consistent_read=True).likes_count == 8
    assert all(LikeItem.get(*LikeItem.key(fan["id"], post_id)) for fan in fans)


def test_a_cancelled_transaction_never_erases_other_writes(endpoint: str) -> None:
    """moto restores a whole-table copy when a transaction is cancelled; racing writes to
    other items must survive it, as on DynamoDB."""
    table = os.environ["TABLE_NAME"]
    ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
    for _round in range(5):
        tag = uuid.uuid4().hex
        taken = {"pk": {"S": f"TEST#TAKEN#{tag}"}, "sk": {"S": "x"}}
        ddb.put_item(TableName=table, Item=taken)

        def work(i: int) -> Any:
            if i % 2:
                try:
                    ddb.transact_write_items(TransactItems=[{"Put": {
                        "TableName": table, "Item": taken, "ConditionExpression": "attribute_not_exists(pk)"}}])
                except ddb.exceptions.TransactionCanceledException:
                    return "cancelled"
                return "committed"
            ddb.put_item(TableName=table, Item={"pk": {"S": f"TEST#W#{tag}#{i}"}, "sk": {"S": "x"}})
            return "written"
        results = _together(8, work)
        assert "committed" not in results
        for i in range(0, 8, 2):
            assert "Item" in ddb.get_item(TableName=table, Key={"pk": {"S": f"TEST#W#{tag}#{i}"}, "sk": {"S": "x"}},
                                          ConsistentRead=True)


def test_a_hot_artist_followed_by_many_at_once_counts_exactly(client: Any) -> None:
    """Hot counters (docs/data-model.md): 30 follows of one artist at once, each once more
    as a duplicate: no conflicts, no errors, the counter equals the edges."""
    from chalicelib import container
    from chalicelib.adapters.store import GraphRepository, UserRepository

    artist = signup(client)
    fans = [signup(client) for _ in range(30)]
    graph = GraphRepository()
    attempts = [fan["id"] for fan in fans] * 2
    results = _together(len(attempts), lambda i: graph.follow(attempts[i], artist["id"]))
    assert sum(1 for r in results if r) == 30
    assert UserRepository().get(artist["id"], consistent=True).followers_count == 30
    assert container.social().handle_job({"type": "recount_follows", "user_id": artist["id"]}) \
        == "recount_follows:30:0"
