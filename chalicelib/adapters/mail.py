"""Amazon SES: the only code that sends e-mail. Messages go out as raw MIME (SendRawEmail)
so they carry their own `Date` header — which is also how the local outbox knows when each
was sent.

`read_sent_messages` is for the local platform only (`GET /dev/outbox`). moto has no SES API
that lists sent mail, and its `/moto-api/data.json` dump of every model grows with the whole
endpoint's state (seconds per call after a few thousand items), so on the local platform the
mailer also archives each raw message it sent to S3 under `dev-outbox/` (in the embedded
endpoint, never in-process) and the outbox lists that prefix."""
from __future__ import annotations

import email.policy
import email.utils
import time
from email.message import EmailMessage
from email.parser import Parser
from typing import Any

from chalicelib.adapters.aws import THROTTLING_CODES, client, error_code
from chalicelib.errors import Unavailable


OUTBOX_PREFIX = "dev-outbox/"
OUTBOX_LIMIT = 200


class SesMailer:
    def __init__(self, sender: str, *, archive_bucket: str | None = None) -> None:
        self.sender = sender
        self.archive_bucket = archive_bucket  # local platform only

    def send(self, *, to: str, subject: str, body: str) -> str:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = to
        msg["Subject"] = subject
        msg["Date"] = email.utils.formatdate(time.time(), usegmt=True)
        msg["Message-ID"] = email.utils.make_msgid(domain=email.utils.parseaddr(self.sender)[1].split("@")[-1])
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(body)
        raw = msg.as_bytes(policy=email.policy.SMTP)
        try:
            # No Destinations: SES takes the recipients from the headers.
            resp = client("ses").send_raw_email(RawMessage={"Data": raw})
        except Exception as exc:  # noqa: BLE001 - converted to a domain error
            if error_code(exc) in THROTTLING_CODES:
                raise Unavailable() from exc
            raise
        if self.archive_bucket:
            # Keys sort by send time (ms), so the outbox can list the newest without reading all.
            key = f"{OUTBOX_PREFIX}{time.time_ns() // 1_000_000:015d}-{resp['MessageId']}.eml"
            client("s3").put_object(Bucket=self.archive_bucket, Key=key, Body=raw, ContentType="message/rfc822")
        return str(resp["MessageId"])


def _parse(raw: str) -> dict[str, Any]:
    msg = Parser(policy=email.policy.default).parsestr(raw)
    part = msg.get_body(preferencelist=("plain",))
    sent = msg.get("Date")
    return {"to": str(msg.get("To", "")), "subject": str(msg.get("Subject", "")),
            "body": part.get_content().replace("\r\n", "\n") if part is not None else "",
            "sent_at": email.utils.parsedate_to_datetime(sent).isoformat().replace("+00:00", "Z")
            if sent else None}


def read_sent_messages(bucket: str, *, limit: int = OUTBOX_LIMIT) -> list[dict[str, Any]]:
    """Mail the local SES accepted, oldest first (at most the newest `limit`):
    [{"to","subject","body","sent_at"}]."""
    s3 = client("s3")
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=OUTBOX_PREFIX):
        keys += [obj["Key"] for obj in page.get("Contents", [])]
    return [_parse(s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8", "replace"))
            for key in sorted(keys)[-limit:]]
