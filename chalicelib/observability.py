"""The one observability module: Powertools logger, metrics and tracer, set up once.

The tracer is created on first use, not at import: instantiating it imports the X-Ray SDK
and patches botocore (~60-150 ms of every cold start), and the API's functions run X-Ray in
PassThrough mode, tracing only the ~1 % of requests API Gateway samples (infra/app.py
`_tracing`). `trace_if_sampled()` (called by the HTTP middleware and the event decorators)
creates it the first time a sampled request reaches the container, so a container that never
sees a sampled request never pays for the SDK, and a sampled one is traced as before (from
that request on: AWS calls are patched when the tracer is created).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

SERVICE = "easel"

logger = Logger(service=SERVICE, level=os.environ.get("LOG_LEVEL", "INFO"))
metrics = Metrics(namespace="Easel", service=SERVICE)

_tracer: Tracer | None = None


def tracer() -> Tracer:
    """The Powertools tracer, created (and botocore patched) on first call."""
    global _tracer
    if _tracer is None:
        from aws_lambda_powertools import Tracer

        _tracer = Tracer(service=SERVICE)
    return _tracer


def trace_if_sampled() -> None:
    """Create the tracer when Lambda hands this invocation a sampled X-Ray trace.

    Lambda sets `_X_AMZN_TRACE_ID` per invocation (`Root=...;Parent=...;Sampled=1`); outside
    Lambda, or with tracing disabled, nothing happens."""
    if _tracer is None and "Sampled=1" in os.environ.get("_X_AMZN_TRACE_ID", "") \
            and os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() not in ("1", "true"):
        tracer()
