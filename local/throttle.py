"""Local and test-only: make the API answer 503 (as API Gateway/Lambda do when throttled) while
a flag file exists, so the web app's "Reconnecting…" path can be exercised in a real browser.
Enabled only when the platform is started with EASEL_LOCAL_THROTTLE_FILE set (the browser
tests do); production has no such switch."""
from __future__ import annotations

import json
import os
from http.server import BaseHTTPRequestHandler
from pathlib import Path

BODY = json.dumps({"error": {"code": "unavailable",
                             "message": "Easel is busy right now. Try again shortly."}}).encode()


def answer_if_throttled(handler: BaseHTTPRequestHandler) -> bool:
    flag = os.environ.get("EASEL_LOCAL_THROTTLE_FILE")
    if not flag or not handler.path.startswith("/v1/") or not Path(flag).exists():
        return False
    handler.send_response(503)
    for key, value in {"Content-Type": "application/json", "Content-Length": str(len(BODY)),
                       "Retry-After": "1"}.items():
        handler.send_header(key, value)
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(BODY)
    return True
