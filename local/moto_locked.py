"""The embedded AWS endpoint: moto's own server app (what `python -m moto.server` runs), with
DynamoDB's isolation restored (issue 14). Run: python -m local.moto_locked -H 127.0.0.1 -p 5000

moto serves each request on its own thread and its DynamoDB backend takes no lock, so racing
writes interleave in Python (measured: docs/evidence.md, "What races in moto"):
- a conditional PutItem/UpdateItem/DeleteItem reads the item, evaluates the condition and
  then writes: two at once can both pass `attribute_not_exists` (a like counted twice);
- TransactWriteItems deep-copies every table it touches first and, when it is cancelled,
  puts the copies back, so a cancelled transaction can erase writes that other threads
  committed meanwhile, and a transaction racing a write can fail with a Python error as its
  cancellation reason (the 500s of sign-up and follow under load);
- reads walking a table while another thread inserts can fail with "dictionary changed size
  during iteration".
DynamoDB serialises writes per item and isolates transactions. Here every DynamoDB write
(and `/moto-api/reset`) holds one exclusive lock while DynamoDB reads share it, so the local
platform and the tests see DynamoDB's guarantees (stronger ones, in fact: writes to different
items are also serialised; nothing in the code relies on that). Other services are untouched.
"""
from __future__ import annotations

import argparse
import io
import os
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple

READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "DescribeTable",
                   "ListTables", "DescribeTimeToLive", "ListTagsOfResource", "DescribeContinuousBackups",
                   "DescribeEndpoints", "DescribeLimits"})


class ReadWriteLock:
    """Many readers or one writer; a waiting writer stops new readers (no writer starvation)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


def dynamodb_operation(environ: dict) -> str | None:
    """'PutItem' for a DynamoDB request (X-Amz-Target: DynamoDB_20120810.PutItem), else None."""
    target = environ.get("HTTP_X_AMZ_TARGET") or ""
    service, _, op = target.partition(".")
    return op if service.startswith("DynamoDB_") and op else None


class IsolatedDynamoDB:
    """WSGI middleware around moto's app: DynamoDB writes exclusive, DynamoDB reads shared."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.lock = ReadWriteLock()

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        op = dynamodb_operation(environ)
        is_reset = environ.get("PATH_INFO", "").startswith("/moto-api/reset")
        if op is None and not is_reset:
            return self.app(environ, start_response)
        # Read the body before taking the lock: a slow sender never holds other requests up.
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        guard = self.lock.read() if op in READS else self.lock.write()
        with guard:
            result = self.app(environ, start_response)
            try:
                return [b"".join(result)]  # the whole answer is computed under the lock
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()


def make_app() -> IsolatedDynamoDB:
    return IsolatedDynamoDB(DomainDispatcherApplication(create_backend_app))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto builds some URLs from it
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: sys.exit(0))
    run_simple(args.host, args.port, make_app(), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
