"""Hive AI-generated image detection (vendor), via requests.

`POST <url>` with `authorization: token <key>` and the image as multipart field `media`;
the answer's `status[0].response.output[0].classes[]` holds `{class, score}` pairs, among
them `ai_generated` / `not_ai_generated` and per-generator classes.

Failure handling, so an outage never publishes unchecked work and never hammers the vendor:
- every request has a connect and read timeout;
- 5xx, 429, timeouts, connection errors and malformed bodies are retried a bounded number of
  times with short jittered backoff inside one invocation;
- a circuit breaker counts consecutive failed calls; once open, calls fail fast until the
  cooldown passes, then one trial call decides (half-open). Its state lives in the table
  (`BreakerStore`), so every Lambda container shares it; an in-memory store serves unit tests;
- a 4xx other than 429 (bad key, bad request) is not retried and counts as a failure too.
The caller turns `VendorUnavailable` into "defer the upload" (see services/uploads.py).
Every attempt's cost is reported back, whatever the outcome, so it can be recorded.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests

VERSION = "hive-v2-sync"
AI_CLASS = "ai_generated"
NOT_AI_CLASS = "not_ai_generated"


class VendorUnavailable(Exception):
    def __init__(self, reason: str, attempts: int = 0, cost_usd: float = 0.0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts
        self.cost_usd = cost_usd


@dataclass
class VendorResult:
    ai_score: float
    classes: dict[str, float]
    attempts: int
    cost_usd: float
    latency_ms: float
    version: str = VERSION

    def record(self) -> dict:
        top = dict(sorted(self.classes.items(), key=lambda kv: -kv[1])[:8])
        return {"vendor": "hive", "version": self.version, "ai_score": round(self.ai_score, 6),
                "classes": {k: round(v, 6) for k, v in top.items()}, "attempts": self.attempts,
                "cost_usd": round(self.cost_usd, 6), "latency_ms": round(self.latency_ms, 1)}


class BreakerStore(Protocol):
    def load(self, name: str) -> tuple[int, float]:
        """(consecutive failures, open-until epoch seconds)."""

    def record_failure(self, name: str, threshold: int, cooldown_s: int, now: float) -> None: ...

    def record_success(self, name: str) -> None: ...


@dataclass
class MemoryBreakerStore:
    state: dict[str, tuple[int, float]] = field(default_factory=dict)

    def load(self, name: str) -> tuple[int, float]:
        return self.state.get(name, (0, 0.0))

    def record_failure(self, name: str, threshold: int, cooldown_s: int, now: float) -> None:
        failures, until = self.state.get(name, (0, 0.0))
        failures += 1
        if failures >= threshold:
            until = now + cooldown_s
        self.state[name] = (failures, until)

    def record_success(self, name: str) -> None:
        self.state[name] = (0, 0.0)


class CircuitBreaker:
    def __init__(self, store: BreakerStore, name: str, *, threshold: int, cooldown_s: int,
                 clock: Any = time.time) -> None:
        self.store = store
        self.name = name
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self.clock = clock

    def allow(self) -> bool:
        failures, until = self.store.load(self.name)
        return failures < self.threshold or self.clock() >= until

    def state(self) -> str:
        failures, until = self.store.load(self.name)
        if failures < self.threshold:
            return "closed"
        return "open" if self.clock() < until else "half_open"

    def failure(self) -> None:
        self.store.record_failure(self.name, self.threshold, self.cooldown_s, self.clock())

    def success(self) -> None:
        failures, _ = self.store.load(self.name)
        if failures:
            self.store.record_success(self.name)


class MalformedResponse(Exception):
    pass


def parse_response(payload: Any) -> dict[str, float]:
    """classes -> score from Hive's sync response; raises MalformedResponse on anything else."""
    try:
        output = payload["status"][0]["response"]["output"][0]
        classes = {str(c["class"]): float(c["score"]) for c in output["classes"]}
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise MalformedResponse(f"unexpected response shape: {type(exc).__name__}") from None
    if AI_CLASS not in classes or not all(0.0 <= s <= 1.0 for s in classes.values()):
        raise MalformedResponse("no ai_generated score in [0, 1]")
    return classes


class HiveClient:
    def __init__(self, *, api_url: str, api_key: str, breaker: CircuitBreaker, timeout_s: float = 10.0,
                 max_attempts: int = 3, cost_per_call_usd: float = 0.001, backoff_s: float = 0.2,
                 session: requests.Session | None = None, sleep: Any = time.sleep) -> None:
        self.api_url = api_url
        self.api_key = api_key
        self.breaker = breaker
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.cost_per_call_usd = cost_per_call_usd
        self.backoff_s = backoff_s
        self.session = session or requests.Session()
        self.sleep = sleep

    def detect(self, data: bytes, content_type: str = "application/octet-stream") -> VendorResult:
        if not self.breaker.allow():
            raise VendorUnavailable("circuit_open")
        started = time.monotonic()
        attempts = 0
        last = "unknown"
        for attempt in range(self.max_attempts):
            attempts += 1
            try:
                resp = self.session.post(
                    self.api_url, headers={"authorization": f"token {self.api_key}", "accept": "application/json"},
                    files={"media": ("upload", data, content_type)},
                    timeout=(min(3.0, self.timeout_s), self.timeout_s))
            except requests.Timeout:
                last = "timeout"
            except requests.RequestException as exc:
                last = f"connection_error:{type(exc).__name__}"
            else:
                if resp.status_code == 200:
                    try:
                        classes = parse_response(resp.json())
                    except (ValueError, MalformedResponse):
                        last = "malformed_response"
                    else:
                        self.breaker.success()
                        return VendorResult(ai_score=classes[AI_CLASS], classes=classes, attempts=attempts,
                                            cost_usd=attempts * self.cost_per_call_usd,
                                            latency_ms=(time.monotonic() - started) * 1000)
                elif resp.status_code == 429 or resp.status_code >= 500:
                    last = f"http_{resp.status_code}"
                else:  # 4xx: our request or key is wrong; retrying will not help
                    last = f"http_{resp.status_code}"
                    break
            if attempt + 1 < self.max_attempts:
                self.sleep(self.backoff_s * (2 ** attempt) * (0.5 + random.random()))
        self.breaker.failure()
        # Vendors bill requests they answered; a timed-out call may also be billed: count them all.
        raise VendorUnavailable(last, attempts=attempts, cost_usd=attempts * self.cost_per_call_usd)
