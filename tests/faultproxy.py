"""A small fault-injecting HTTP proxy between the code and the moto server (issue 14).

moto cannot throttle, conflict, fail or stall; DynamoDB does all four under a surge. The
proxy forwards every request to the real endpoint over HTTP and, for the requests a rule
matches (by `X-Amz-Target`, e.g. "TransactWriteItems"), answers instead what DynamoDB answers
(the documented JSON error shapes), delays the request, or drops the connection before or after
forwarding it. Nothing in the code under test knows the proxy is there.

    proxy = FaultProxy(upstream).start()
    proxy.inject("TransactWriteItems", conflict(), times=2)
    ...
    proxy.seen["TransactWriteItems"]  # how many such requests arrived
"""
from __future__ import annotations

import http.client
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import urlsplit

_JSON = "application/x-amz-json-1.0"
_PREFIX = "com.amazonaws.dynamodb.v20120810#"


@dataclass
class Fault:
    """What to do with a matched request: `status`+`body` answer instead of the endpoint;
    `delay_s` stalls first (then forwards unless an answer is set); `drop` closes the
    connection without an answer, "before" forwarding or "after" (the write happened, the
    caller cannot know)."""
    status: int | None = None
    body: Callable[[dict], dict] | None = None
    delay_s: float = 0.0
    drop: str | None = None


def conflict() -> Fault:
    """DynamoDB's answer to a transaction that collided with another on one of its items."""
    def body(req: dict) -> dict:
        n = len(req.get("TransactItems", [])) or 1
        reasons = [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}] + \
            [{"Code": "None"}] * (n - 1)
        return {"__type": _PREFIX + "TransactionCanceledException",
                "message": "Transaction cancelled, please refer cancellation reasons for specific reasons "
                           "[TransactionConflict" + ", None" * (n - 1) + "]",
                "CancellationReasons": reasons}
    return Fault(status=400, body=body)


def tx_throttled() -> Fault:
    """A transaction cancelled because one of its items' partitions is over its limit."""
    def body(req: dict) -> dict:
        n = len(req.get("TransactItems", [])) or 1
        return {"__type": _PREFIX + "TransactionCanceledException",
                "message": "Transaction cancelled, please refer cancellation reasons for specific reasons",
                "CancellationReasons": [{"Code": "ThrottlingError", "Message": "Throughput exceeds the "
                                         "current capacity for one or more global secondary indexes"}]
                + [{"Code": "None"}] * (n - 1)}
    return Fault(status=400, body=body)


def throttled() -> Fault:
    return Fault(status=400, body=lambda req: {
        "__type": _PREFIX + "ProvisionedThroughputExceededException",
        "message": "The level of configured provisioned throughput for the table was exceeded."})


def conflict_exception() -> Fault:
    """A single-item write on an item that a transaction is changing right now."""
    return Fault(status=400, body=lambda req: {
        "__type": _PREFIX + "TransactionConflictException",
        "message": "Transaction is ongoing for the item"})


def server_error() -> Fault:
    return Fault(status=500, body=lambda req: {
        "__type": _PREFIX + "InternalServerError", "message": "Internal server error"})


def latency(seconds: float) -> Fault:
    return Fault(delay_s=seconds)


def dropped(when: str = "before") -> Fault:
    return Fault(drop=when)


@dataclass
class _Rule:
    target: str
    fault: Fault
    remaining: int | None  # None: until cleared
    hits: int = 0


@dataclass
class FaultProxy:
    upstream: str
    rules: list[_Rule] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def inject(self, target: str, fault: Fault, times: int | None = None) -> _Rule:
        rule = _Rule(target, fault, times)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self.seen.clear()

    def _match(self, target: str) -> Fault | None:
        with self._lock:
            self.seen[target] = self.seen.get(target, 0) + 1
            for rule in self.rules:
                if rule.target == target and (rule.remaining is None or rule.remaining > 0):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    rule.hits += 1
                    return rule.fault
        return None

    def start(self) -> "FaultProxy":
        up = urlsplit(self.upstream)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                target = (self.headers.get("X-Amz-Target") or "").rpartition(".")[2]
                fault = proxy._match(target) if target else None
                if fault and fault.delay_s:
                    time.sleep(fault.delay_s)
                if fault and fault.drop == "before":
                    self.close_connection = True
                    self.connection.close()
                    return
                if fault and fault.status is not None:
                    try:
                        req = json.loads(raw or b"{}")
                    except ValueError:
                        req = {}
                    payload = json.dumps(fault.body(req) if fault.body else {}).encode()
                    self.send_response(fault.status)
                    self.send_header("Content-Type", _JSON)
                    self.send_header("Content-Length", str(len(payload)))
                    self.send_header("x-amzn-RequestId", "fault-proxy")
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                conn = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                conn.request(self.command, self.path, body=raw, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                if fault and fault.drop == "after":
                    self.close_connection = True
                    self.connection.close()
                    return
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True, name="fault-proxy").start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
