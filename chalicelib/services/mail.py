"""The e-mails Easel sends, and nothing else: wording and links here, delivery in
`chalicelib/adapters/mail.py` (SES)."""
from __future__ import annotations

from typing import Protocol
from urllib.parse import quote


class Mailer(Protocol):
    def send(self, *, to: str, subject: str, body: str) -> str: ...


class MailService:
    def __init__(self, mailer: Mailer, *, public_base_url: str) -> None:
        self.mailer = mailer
        self.base = public_base_url.rstrip("/")

    def send_verification(self, *, to: str, handle: str, token: str, valid_hours: int) -> str:
        link = f"{self.base}/verify?token={quote(token)}"
        body = (f"Hello {handle},\n\nplease confirm that this is your e-mail address for Easel:\n\n{link}\n\n"
                f"Or send this code to POST /v1/auth/verify: {token}\n\n"
                f"The link works once, within {valid_hours} hours. If you did not sign up, ignore this mail.\n")
        return self.mailer.send(to=to, subject="Confirm your e-mail address for Easel", body=body)

    def send_password_reset(self, *, to: str, handle: str, token: str, valid_minutes: int) -> str:
        link = f"{self.base}/reset-password?token={quote(token)}"
        body = (f"Hello {handle},\n\nsomeone (we hope you) asked to reset your Easel password:\n\n{link}\n\n"
                f"Or send this code to POST /v1/auth/password-reset/confirm: {token}\n\n"
                f"The link works once, within {valid_minutes} minutes, and signs you out everywhere. "
                "If you did not ask, ignore this mail: your password stays as it is.\n")
        return self.mailer.send(to=to, subject="Reset your Easel password", body=body)
