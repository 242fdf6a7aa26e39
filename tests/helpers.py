"""Small helpers shared by functional tests: act as a client would."""
from __future__ import annotations

import json
import os
import secrets
from typing import Any

import boto3
import requests

from local.worker import Worker

PASSWORD = "correct horse battery staple"


def unique_handle(prefix: str = "u") -> str:
    return f"{prefix}_{secrets.token_hex(5)}"


def call(client: Any, method: str, path: str, body: Any = None, token: str | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, Any, dict[str, str]]:
    h = {"Content-Type": "application/json"}
    if token:
        h["Authorization"] = f"Bearer {token}"
    h.update(headers or {})
    payload = json.dumps(body) if body is not None and not isinstance(body, (str, bytes)) else body
    resp = getattr(client.http, method.lower())(path, headers=h, body=payload)
    try:
        parsed = json.loads(resp.body) if resp.body else None
    except ValueError:
        parsed = resp.body
    return resp.status_code, parsed, {k.lower(): v for k, v in resp.headers.items()}


def signup(client: Any, handle: str | None = None) -> dict:
    handle = handle or unique_handle()
    status, body, _ = call(client, "POST", "/v1/auth/signup",
                           {"handle": handle, "email": f"{handle}@example.com", "password": PASSWORD})
    assert status == 201, body
    return {"handle": handle, "id": body["user"]["id"], **body["tokens"]}


def post_upload(upload: dict, data: bytes, filename: str = "art") -> requests.Response:
    """What a browser does with the presigned POST: exactly the fields, plus the file."""
    return requests.post(upload["url"], data=upload["fields"], files={"file": (filename, data)}, timeout=30)


def create_and_upload(client: Any, token: str, data: bytes, content_type: str = "image/jpeg",
                      **fields: Any) -> str:
    body = {"title": fields.pop("title", "A study"), "content_type": content_type,
            "content_length": len(data), **fields}
    status, created, _ = call(client, "POST", "/v1/posts", body, token=token)
    assert status == 201, created
    resp = post_upload(created["upload"], data)
    assert resp.status_code in (200, 204), resp.text
    return created["post"]["id"]


def worker(handler: Any) -> Worker:
    return Worker(os.environ["UPLOAD_QUEUE_URL"], handler, wait_s=0, batch_size=10)


def drain(handler: Any, max_rounds: int = 20) -> int:
    """Run the worker until the queue is empty; returns messages handled."""
    w = worker(handler)
    total = 0
    empty = 0
    for _ in range(max_rounds):
        n = w.poll_once()
        total += n
        empty = empty + 1 if n == 0 else 0
        if empty >= 2:
            break
    return total


def s3() -> Any:
    return boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")


def verify_email(client: Any, user: dict) -> None:
    """What the user does with the verification mail: POST its code to /v1/auth/verify
    (the local platform keeps sent mail at /dev/outbox)."""
    import re

    status, body, _ = call(client, "GET", "/dev/outbox")
    assert status == 200, body
    address = f"{user['handle']}@example.com"
    mails = [m for m in body["items"] if address in m["to"] and "Confirm your e-mail" in m["subject"]]
    assert mails, f"no verification mail for {address}"
    match = re.search(r"code to POST \S+: (\S+)", mails[0]["body"])
    assert match, mails[0]["body"]
    status, body, _ = call(client, "POST", "/v1/auth/verify", {"token": match.group(1)})
    assert status == 200, body
