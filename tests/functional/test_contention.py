"""Writes under contention (issue 14): DynamoDB's transaction conflicts, throttling, service
errors and dropped connections, injected by a fault proxy between the code and the moto
server (moto itself never conflicts or throttles). Conflicts and throttling are retried inside
the store's budget, then answered 503 + Retry-After; a failed condition stays a domain answer;
nothing is half-written or doubled."""
from __future__ import annotations

import os
import time
from typing import Any, Iterator

import pytest
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.models import Model

from chalicelib.adapters import store
from tests.faultproxy import (
    FaultProxy, conflict, conflict_exception, dropped, server_error, throttled, tx_throttled,
)
from tests.helpers import PASSWORD, call, signup, unique_handle
from tests.social_helpers import seed_published_post


def _point_at(url: str) -> None:
    """Send this process's DynamoDB (and other AWS) calls to `url`: the settings, the models'
    Meta and their cached connections, the cached boto3 clients."""
    from chalicelib import config
    from chalicelib.adapters import aws, tables

    os.environ["AWS_ENDPOINT_URL"] = url
    config.get_settings.cache_clear()
    aws.client.cache_clear()
    tables._Meta.host = url
    stack: list[type] = [Model]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if "_connection" in vars(cls) or cls is not Model:
            cls._connection = None  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def proxy(endpoint: str, easel_app: Any) -> Iterator[FaultProxy]:
    p = FaultProxy(endpoint).start()
    _point_at(p.url)
    yield p
    _point_at(endpoint)
    p.stop()


@pytest.fixture(autouse=True)
def _clean(proxy: FaultProxy) -> Iterator[None]:
    proxy.clear()
    yield
    proxy.clear()


def _signup_body(handle: str) -> dict:
    return {"handle": handle, "email": f"{handle}@example.com", "password": PASSWORD}


def test_outcomes_are_told_apart() -> None:
    def tx_error(code: str, reasons: list[str] | None = None) -> TransactWriteError:
        from pynamodb.exceptions import CancellationReason, VerboseClientError

        cancel = [None if r == "None" else CancellationReason(code=r) for r in reasons or []]
        return TransactWriteError("x", VerboseClientError({"Error": {"Code": code, "Message": "x"}},
                                                          "TransactWriteItems", cancellation_reasons=cancel))

    assert store.write_outcome(tx_error("TransactionCanceledException", ["ConditionalCheckFailed", "None"])) \
        == store.CONDITION_FAILED
    assert store.write_outcome(tx_error("TransactionCanceledException", ["None", "TransactionConflict"])) \
        == store.CONFLICT
    assert store.write_outcome(tx_error("TransactionCanceledException", ["ThrottlingError"])) == store.THROTTLED
    assert store.write_outcome(tx_error("TransactionCanceledException", ["ValidationError"])) == store.OTHER
    assert store.write_outcome(tx_error("TransactionConflictException")) == store.CONFLICT
    assert store.write_outcome(tx_error("ProvisionedThroughputExceededException")) == store.THROTTLED
    assert store.write_outcome(tx_error("InternalServerError")) == store.SERVICE
    assert store.write_outcome(tx_error("ValidationException")) == store.OTHER
    from botocore.exceptions import EndpointConnectionError

    assert store.write_outcome(PutError("x", EndpointConnectionError(endpoint_url="http://x"))) == store.SERVICE


def test_signup_survives_transaction_conflicts(client: Any, proxy: FaultProxy, monkeypatch: Any) -> None:
    monkeypatch.setattr(store, "RETRY_BUDGET_S", 30.0)  # a loaded CI machine: attempts may be slow
    proxy.inject("TransactWriteItems", conflict(), times=2)
    handle = unique_handle()
    status, body, _ = call(client, "POST", "/v1/auth/signup", _signup_body(handle))
    assert status == 201, body
    assert proxy.seen["TransactWriteItems"] == 3  # two conflicts retried, the third committed
    status, body, _ = call(client, "POST", "/v1/auth/signup", _signup_body(handle))
    assert status == 409 and body["error"]["code"] == "handle_taken"  # a condition stays an answer


def test_persistent_conflict_is_503_with_retry_after_and_writes_nothing(client: Any, proxy: FaultProxy) -> None:
    proxy.inject("TransactWriteItems", conflict())
    handle = unique_handle()
    started = time.monotonic()
    status, body, headers = call(client, "POST", "/v1/auth/signup", _signup_body(handle))
    elapsed = time.monotonic() - started
    assert status == 503, body
    assert body["error"]["code"] == "contention" and int(headers["retry-after"]) >= 1
    assert proxy.seen["TransactWriteItems"] >= 3  # retried with backoff ...
    assert elapsed < store.RETRY_BUDGET_S + 3  # ... inside the budget, not forever
    proxy.clear()
    status, body, _ = call(client, "POST", "/v1/auth/signup", _signup_body(handle))
    assert status == 201, body  # the handle was never half-claimed


def test_throttled_transaction_is_503(client: Any, proxy: FaultProxy) -> None:
    proxy.inject("TransactWriteItems", tx_throttled())
    status, body, headers = call(client, "POST", "/v1/auth/signup", _signup_body(unique_handle()))
    assert status == 503 and body["error"]["code"] == "contention" and "retry-after" in headers


def test_service_error_is_503_not_500(client: Any, proxy: FaultProxy) -> None:
    proxy.inject("TransactWriteItems", server_error())
    status, body, headers = call(client, "POST", "/v1/auth/signup", _signup_body(unique_handle()))
    assert status == 503 and body["error"]["code"] == "unavailable" and "retry-after" in headers
    assert proxy.seen["TransactWriteItems"] >= 2  # botocore retried the 500 before giving up


def test_throttled_single_write_is_503(client: Any, proxy: FaultProxy) -> None:
    user = signup(client)
    proxy.inject("UpdateItem", throttled())
    status, body, headers = call(client, "PATCH", "/v1/me", {"display_name": "Ada"}, token=user["access_token"])
    assert status == 503 and "retry-after" in headers, body


def test_conflicting_conditional_write_is_retried(client: Any, proxy: FaultProxy, monkeypatch: Any) -> None:
    """A conditional UpdateItem on an item a transaction is changing gets
    TransactionConflictException: `update_if` retries it inside the budget."""
    from chalicelib.adapters.store import UserRepository

    monkeypatch.setattr(store, "RETRY_BUDGET_S", 30.0)
    user = signup(client)
    proxy.clear()
    proxy.inject("UpdateItem", conflict_exception(), times=2)
    assert UserRepository().set_email_verified(user["id"], f"{user['handle']}@example.com") is True
    assert proxy.seen["UpdateItem"] == 3


def test_an_edge_write_whose_answer_is_lost_counts_once(client: Any, proxy: FaultProxy) -> None:
    """The like's edge write reaches the endpoint but its answer is lost: botocore resends it.
    The edge's condition admits the resend (it is this request's own edge, by its like id), so
    the like is counted exactly once, neither twice nor never."""
    author, fan = signup(client), signup(client)
    post_id = seed_published_post(author)
    proxy.clear()
    proxy.inject("PutItem", dropped("after"), times=1)
    status, body, _ = call(client, "POST", f"/v1/posts/{post_id}/like", token=fan["access_token"])
    assert proxy.seen["PutItem"] >= 2  # the resend
    assert status == 200 and body["likes_count"] == 1, body
    proxy.clear()
    status, body, _ = call(client, "POST", f"/v1/posts/{post_id}/like", token=fan["access_token"])
    assert status == 200 and body["likes_count"] == 1, body  # a second like is a no-op


def test_a_lost_counter_answer_is_folded_back_from_the_edges(client: Any, proxy: FaultProxy,
                                                              easel_app: Any) -> None:
    """The one drift of counting outside a transaction (docs/data-model.md, "Hot counters"):
    an ADD whose answer is lost is resent by botocore and applied twice. The edges stay exact;
    the recount job folds the counters back from them."""
    from chalicelib import container
    from chalicelib.adapters.store import UserRepository

    artist, fan = signup(client), signup(client)
    proxy.clear()
    proxy.inject("UpdateItem", dropped("after"), times=1)
    status, body, _ = call(client, "POST", f"/v1/users/{artist['handle']}/follow", token=fan["access_token"])
    assert status == 200, body
    proxy.clear()
    users = UserRepository()
    drifted = (users.get(fan["id"], consistent=True).following_count,
               users.get(artist["id"], consistent=True).followers_count)
    assert sorted(drifted) == [1, 2]  # the first counter's ADD was applied twice
    result = container.social().handle_job({"type": "recount_follows", "user_id": fan["id"]})
    assert result == "recount_follows:0:1"
    container.social().handle_job({"type": "recount_follows", "user_id": artist["id"]})
    assert users.get(fan["id"], consistent=True).following_count == 1
    assert users.get(artist["id"], consistent=True).followers_count == 1
