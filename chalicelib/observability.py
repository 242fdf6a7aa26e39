"""The one observability module: Powertools logger, metrics and tracer, set up once."""
from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "easel"

logger = Logger(service=SERVICE, level=os.environ.get("LOG_LEVEL", "INFO"))
metrics = Metrics(namespace="Easel", service=SERVICE)
# Tracing is disabled outside Lambda (POWERTOOLS_TRACE_DISABLED=1 locally) so no X-Ray daemon is needed.
tracer = Tracer(service=SERVICE)
