"""Amazon SES: the only code that sends e-mail. Messages go out as raw MIME (SendRawEmail)
so they carry their own `Date` header — which is also how the local outbox knows when each
was sent.

`read_sent_messages` is for the local platform only (`GET /dev/outbox`): moto's server keeps
what SES "sent" and exposes its models at `GET {endpoint}/moto-api/data.json`; moto has no
SES API that lists sent mail. Nothing is copied in-process."""
from __future__ import annotations

import email.policy
import email.utils
import json
import time
import urllib.request
from email.message import EmailMessage
from email.parser import Parser
from typing import Any

from chalicelib.adapters.aws import THROTTLING_CODES, client, error_code
from chalicelib.errors import Unavailable


class SesMailer:
    def __init__(self, sender: str) -> None:
        self.sender = sender

    def send(self, *, to: str, subject: str, body: str) -> str:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = to
        msg["Subject"] = subject
        msg["Date"] = email.utils.formatdate(time.time(), usegmt=True)
        msg["Message-ID"] = email.utils.make_msgid(domain=email.utils.parseaddr(self.sender)[1].split("@")[-1])
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(body)
        try:
            # No Destinations: SES takes the recipients from the headers.
            resp = client("ses").send_raw_email(RawMessage={"Data": msg.as_bytes(policy=email.policy.SMTP)})
        except Exception as exc:  # noqa: BLE001 - converted to a domain error
            if error_code(exc) in THROTTLING_CODES:
                raise Unavailable() from exc
            raise
        return str(resp["MessageId"])


def read_sent_messages(endpoint: str, *, timeout: float = 5.0) -> list[dict[str, Any]]:
    """Mail that moto's SES accepted, oldest first: [{"to","subject","body","sent_at"}]."""
    with urllib.request.urlopen(f"{endpoint.rstrip('/')}/moto-api/data.json", timeout=timeout) as resp:  # noqa: S310 - local endpoint
        data = json.loads(resp.read())
    out: list[dict[str, Any]] = []
    ses = data.get("ses", {})
    for raw in ses.get("RawMessage", []):
        msg = Parser(policy=email.policy.default).parsestr(raw.get("raw_data", ""))
        part = msg.get_body(preferencelist=("plain",))
        sent = msg.get("Date")
        out.append({"to": str(msg.get("To", "")), "subject": str(msg.get("Subject", "")),
                    "body": part.get_content().replace("\r\n", "\n") if part is not None else "",
                    "sent_at": email.utils.parsedate_to_datetime(sent).isoformat().replace("+00:00", "Z")
                    if sent else None})
    for plain in ses.get("Message", []):  # SendEmail (not used by Easel, shown if anyone does)
        dest = plain.get("destinations") or {}
        out.append({"to": ", ".join(dest.get("ToAddresses", [])), "subject": plain.get("subject", ""),
                    "body": plain.get("body", ""), "sent_at": None})
    return out
