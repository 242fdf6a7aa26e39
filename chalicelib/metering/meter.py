"""The per-invocation meter: usage accumulates in memory during an invocation and is written
once at its end (one small UpdateItem, see chalicelib/adapters/costs_store.py).

How usage is observed:
- AWS calls: botocore event handlers (`before-parameter-build` keeps the request parameters
  in the call's context, `after-call` sees the parsed response) registered once for every
  botocore session created in the process — pynamodb creates a session per connection and
  boto3 one per client, so registering on each client would mean instantiating them all at
  cold start. Handlers return at once when no invocation is being metered.
- Lambda time: measured by the entry point (HTTP middleware, event handler decorator) and
  billed as 1 ms increments x configured memory.
- Logs: a logging filter on the service logger adds each record's size (+ JSON envelope).
- Vendor calls and media: `record_vendor_call`, `record_media`, and post images seen in
  DynamoDB responses turned into estimated CDN bytes by `MEDIA_VIEWS`.
"""
from __future__ import annotations

import contextvars
import logging
import math
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from chalicelib.metering.ddb import CallUnits, DynamoCalculator

# Lambda writes START/END/REPORT lines (~330 bytes) for every invocation.
PLATFORM_LOG_BYTES = 330
LOG_ENVELOPE_BYTES = 260  # Powertools JSON keys around each message
# Estimated media a response causes to be fetched from the CDN (ACTIVITY_MODEL.md: of the 20
# posts of a page, 12 thumbnails are scrolled into view; a post detail shows its large image).
MEDIA_VIEWS: dict[str, tuple[int, float]] = {
    "GET /v1/feed": (640, 0.6),
    "GET /v1/users/{handle}/posts": (640, 0.6),
    "GET /v1/posts/{post_id}": (1280, 1.0),
}


_ADD_LOCK = threading.Lock()


@dataclass
class Invocation:
    feature: str
    user: str = "system"
    started: float = field(default_factory=time.monotonic)
    counters: dict[str, float] = field(default_factory=dict)
    post_images: list[list[dict]] = field(default_factory=list)

    def add(self, name: str, value: float) -> None:
        if value:
            with _ADD_LOCK:  # a request's parallel reads (feed merge, hash probes) add from threads
                self.counters[name] = self.counters.get(name, 0.0) + value


_current: contextvars.ContextVar[Invocation | None] = contextvars.ContextVar("easel_meter", default=None)
_calculator = DynamoCalculator()
_installed = False
Sink = Callable[[Invocation], None]


def current() -> Invocation | None:
    return _current.get()


def start(feature: str, user: str = "system") -> contextvars.Token:
    return _current.set(Invocation(feature=feature, user=user))


def set_user(user_id: str) -> None:
    inv = _current.get()
    if inv is not None:
        inv.user = user_id


def record_vendor_call(cost_usd: float, calls: int = 1) -> None:
    """For screening engines: one paid vendor call (e.g. an AI/NSFW classifier)."""
    inv = _current.get()
    if inv is not None:
        inv.add("vc", calls)
        inv.add("vu", float(cost_usd))


def record_media(bytes_served: int, requests: int = 1) -> None:
    """Media bytes this invocation causes to be served (CDN egress)."""
    inv = _current.get()
    if inv is not None:
        inv.add("mb", bytes_served)
        inv.add("mr", requests)


def record(name: str, value: float) -> None:
    inv = _current.get()
    if inv is not None:
        inv.add(name, value)


def _variant_bytes(variants: list[dict], width: int) -> int:
    """The variant a client shows for `width`: the largest not wider than it (else the
    smallest); of the formats offered at that width, the smaller (a <picture> with AVIF
    first: every current browser decodes AVIF)."""
    valid = [v for v in variants if isinstance(v, dict)]
    fitting = [v for v in valid if int(v.get("width", 0)) <= width]
    chosen_width = max((int(v["width"]) for v in fitting), default=None) if fitting else \
        min((int(v.get("width", 0)) for v in valid), default=None)
    if chosen_width is None:
        return 0
    return min(int(v.get("bytes", 0)) for v in valid if int(v.get("width", 0)) == chosen_width)


def finish(token: contextvars.Token, *, memory_mb: int, api_request: bool, sink: Sink | None,
           status: int | None = None) -> Invocation | None:
    inv = _current.get()
    _current.reset(token)
    if inv is None:
        return None
    elapsed_ms = (time.monotonic() - inv.started) * 1000
    billed_ms = max(1, math.ceil(elapsed_ms))
    inv.add("n", 1)
    inv.add("lr", 1)
    inv.add("gbms", billed_ms * memory_mb / 1024)
    if api_request:
        inv.add("ar", 1)
    inv.add("lb", PLATFORM_LOG_BYTES)
    view = MEDIA_VIEWS.get(inv.feature)
    if view and inv.post_images and (status is None or status < 400):
        width, share = view
        total = sum(_variant_bytes(variants, width) for variants in inv.post_images)
        inv.add("mb", total * share)
        inv.add("mr", len(inv.post_images) * share)
    if sink is not None:
        try:
            sink(inv)
        except Exception:  # noqa: BLE001 - the meter must never fail the request it measures
            logging.getLogger("easel.meter").warning("meter write failed", exc_info=True)
    return inv


# -- botocore handlers -----------------------------------------------------------------------
_PARAMS = "easel_meter_params"


def _capture_params(params: dict, context: dict, **_: Any) -> None:
    if _current.get() is not None and isinstance(context, dict):
        context[_PARAMS] = params


def _after_call(http_response: Any, parsed: dict, model: Any, context: dict, event_name: str, **_: Any) -> None:
    inv = _current.get()
    if inv is None:
        return
    try:
        service = event_name.split(".")[1]
        params = context.get(_PARAMS) or {} if isinstance(context, dict) else {}
        status = int(getattr(http_response, "status_code", 200) or 200)
        op = model.name
        if service == "dynamodb":
            units: CallUnits = _calculator.units(op, params, parsed or {}, status)
            inv.add("rru", units.rru)
            inv.add("wru", units.wru)
            inv.add("dbb", units.bytes_added)
            if units.post_images and len(inv.post_images) < 100:
                inv.post_images.extend(units.post_images[: 100 - len(inv.post_images)])
        elif service == "s3":
            _s3(inv, op, params, parsed or {}, status)
        elif service == "sqs":
            inv.add("sq", 1)
        elif service == "secrets-manager":
            inv.add("sm", 1)
        elif service in ("ses", "sesv2"):
            if op.startswith("Send") and status < 300:
                inv.add("se", 1)
            else:
                inv.add("ox", 1)
        else:
            inv.add("ox", 1)
    except Exception:  # noqa: BLE001 - metering must never break an AWS call
        logging.getLogger("easel.meter").debug("meter hook failed", exc_info=True)


UPLOADS_BUCKET = os.environ.get("UPLOADS_BUCKET", "")


def _s3(inv: Invocation, op: str, params: dict, parsed: dict, status: int) -> None:
    if op in ("PutObject", "CopyObject", "PostObject", "ListObjects", "ListObjectsV2",
              "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"):
        inv.add("s3p", 1)
        body = params.get("Body")
        if op == "PutObject" and status < 300:
            inv.add("s3b", len(body) if isinstance(body, (bytes, bytearray)) else int(params.get("ContentLength") or 0))
    elif op in ("GetObject", "HeadObject"):
        inv.add("s3g", 1)
        if op == "GetObject" and status < 300 and params.get("Bucket") == (UPLOADS_BUCKET or os.environ.get("UPLOADS_BUCKET")):
            # The artist's presigned POST is invisible to Lambda: the handler that reads the
            # original accounts for that PUT-class request and the bytes it stored.
            total = str(parsed.get("ContentRange", "")).rpartition("/")[2]
            inv.add("s3p", 1)
            inv.add("s3b", int(total) if total.isdigit() else int(parsed.get("ContentLength") or 0))
    elif op == "DeleteObject":
        pass  # free
    else:
        inv.add("s3p", 1)


class _LogBytes(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        inv = _current.get()
        if inv is not None:
            try:
                inv.add("lb", len(str(record.msg)) + LOG_ENVELOPE_BYTES)
            except Exception:  # noqa: BLE001
                pass
        return True


def install() -> None:
    """Idempotent; call before the first AWS client is created (app import)."""
    global _installed
    if _installed:
        return
    from botocore import handlers

    handlers.BUILTIN_HANDLERS.append(("before-parameter-build", _capture_params))
    handlers.BUILTIN_HANDLERS.append(("after-call", _after_call))
    logging.getLogger(os.environ.get("POWERTOOLS_SERVICE_NAME", "easel")).addFilter(_LogBytes())
    _installed = True
