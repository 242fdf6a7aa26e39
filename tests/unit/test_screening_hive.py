"""The Hive client against a local server speaking Hive's response format: parsing, cost per
call, bounded retries on 500s/timeouts/malformed bodies, no retry on 401, and the circuit
breaker (open -> fail fast -> half-open trial -> closed), in memory and in the table."""
from __future__ import annotations

import pytest

from chalicelib.screening.hive import (
    CircuitBreaker, HiveClient, MalformedResponse, MemoryBreakerStore, VendorUnavailable, parse_response,
)
from tests.fixtures.fake_hive import FakeHive, hive_body


@pytest.fixture
def fake():
    server = FakeHive()
    yield server
    server.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_client(fake, *, store=None, clock=None, attempts=3, threshold=3, timeout=0.5):
    breaker = CircuitBreaker(store or MemoryBreakerStore(), "hive-test", threshold=threshold, cooldown_s=60,
                             clock=clock or Clock())
    return HiveClient(api_url=fake.url, api_key="k-123", breaker=breaker, timeout_s=timeout, max_attempts=attempts,
                      cost_per_call_usd=0.001, backoff_s=0.0, sleep=lambda s: None)


def test_parses_scores_and_records_cost(fake):
    fake.score = 0.87
    result = make_client(fake).detect(b"\xff\xd8fake", "image/jpeg")
    assert result.ai_score == pytest.approx(0.87) and result.classes["not_ai_generated"] == pytest.approx(0.13)
    assert result.attempts == 1 and result.cost_usd == pytest.approx(0.001)
    assert fake.calls[0]["auth"] == "token k-123" and fake.calls[0]["multipart_media"]
    assert result.record()["vendor"] == "hive" and result.record()["cost_usd"] == 0.001


@pytest.mark.parametrize("mode", ["500", "malformed", "garbage", "slow"])
def test_failures_are_retried_a_bounded_number_of_times(fake, mode):
    fake.mode = mode
    fake.delay_s = 1.0
    with pytest.raises(VendorUnavailable) as info:
        make_client(fake, attempts=2, timeout=0.3).detect(b"x")
    assert info.value.attempts == 2 and len(fake.calls) == 2
    assert info.value.cost_usd == pytest.approx(0.002)  # every attempt may be billed
    assert info.value.reason in {"http_500", "malformed_response", "timeout"}


def test_a_bad_key_is_not_retried(fake):
    fake.mode = "401"
    with pytest.raises(VendorUnavailable) as info:
        make_client(fake).detect(b"x")
    assert info.value.reason == "http_401" and len(fake.calls) == 1


def test_breaker_opens_fails_fast_then_half_opens_and_closes(fake):
    clock = Clock()
    store = MemoryBreakerStore()
    client = make_client(fake, store=store, clock=clock, attempts=1, threshold=3)
    fake.mode = "500"
    for _ in range(3):
        with pytest.raises(VendorUnavailable):
            client.detect(b"x")
    assert client.breaker.state() == "open"
    calls = len(fake.calls)
    with pytest.raises(VendorUnavailable) as info:
        client.detect(b"x")
    assert info.value.reason == "circuit_open" and len(fake.calls) == calls  # no request made
    clock.now += 61
    assert client.breaker.state() == "half_open"
    fake.mode = "ok"
    assert client.detect(b"x").ai_score == pytest.approx(0.01)
    assert client.breaker.state() == "closed"


def test_breaker_state_is_shared_through_the_table(fake):
    """Two clients (two Lambda containers) with the table store: one's failures open both."""
    import secrets

    from chalicelib.adapters.screening_store import TableBreakerStore

    name = f"hive-{secrets.token_hex(4)}"
    clock = Clock()
    a = HiveClient(api_url=fake.url, api_key="k", breaker=CircuitBreaker(TableBreakerStore(), name, threshold=2,
                   cooldown_s=60, clock=clock), max_attempts=1, backoff_s=0, sleep=lambda s: None)
    b = HiveClient(api_url=fake.url, api_key="k", breaker=CircuitBreaker(TableBreakerStore(), name, threshold=2,
                   cooldown_s=60, clock=clock), max_attempts=1, backoff_s=0, sleep=lambda s: None)
    fake.mode = "500"
    for _ in range(2):
        with pytest.raises(VendorUnavailable):
            a.detect(b"x")
    with pytest.raises(VendorUnavailable) as info:
        b.detect(b"x")
    assert info.value.reason == "circuit_open"
    clock.now += 61
    fake.mode = "ok"
    assert b.detect(b"x").attempts == 1 and a.breaker.state() == "closed"


@pytest.mark.parametrize("payload", [{}, {"status": []}, {"status": [{"response": {"output": [{"classes": [
    {"class": "ai_generated", "score": 1.5}]}]}}]}, {"status": [{"response": {"output": [{"classes": [
        {"class": "none", "score": 0.5}]}]}}]}])
def test_parse_rejects_unexpected_shapes(payload):
    with pytest.raises(MalformedResponse):
        parse_response(payload)
    assert parse_response(hive_body(0.3))["ai_generated"] == pytest.approx(0.3)
