"""Donations: a ledger (Ko-fi webhook + founders' manual entries) and the runway.

Amounts stay in their own currency (decimal strings); USD uses the price table's `fx_usd`
rates at the time of receipt. Runway = (balance on hand + donations) / current daily burn,
the burn being this month's spend so far per elapsed day.
"""
from __future__ import annotations

import hmac
import json
import os
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs

from ulid import ULID

from chalicelib.adapters.costs_store import DonationRepository
from chalicelib.adapters.tables import iso, utcnow
from chalicelib.adapters.tables_costs import DonationItem
from chalicelib.errors import Unauthorized, ValidationError
from chalicelib.observability import logger
from chalicelib.services.costs import CostService, cost_service, require_founder
from chalicelib.services.tokens import Principal


@lru_cache(maxsize=1)
def webhook_token() -> str:
    """Read once per cold start: DONATIONS_WEBHOOK_TOKEN, or the SSM SecureString named by
    DONATIONS_WEBHOOK_TOKEN_PARAM (deployed stages)."""
    token = os.environ.get("DONATIONS_WEBHOOK_TOKEN", "")
    param = os.environ.get("DONATIONS_WEBHOOK_TOKEN_PARAM")
    if not token and param:
        from chalicelib.adapters.aws import client

        token = client("ssm").get_parameter(Name=param, WithDecryption=True)["Parameter"]["Value"]
    return token


def _amount(raw: Any, field: str) -> Decimal:
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        raise ValidationError(f"'{field}' must be a decimal amount.", field=field) from None
    if not value.is_finite() or value <= 0 or value > Decimal("1000000"):
        raise ValidationError(f"'{field}' must be a positive amount.", field=field)
    return value


def _currency(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip().isalpha() or len(raw.strip()) != 3:
        raise ValidationError("'currency' must be a three-letter code.", field="currency")
    return raw.strip().upper()


def _when(raw: Any) -> str:
    if raw is None or raw == "":
        return iso(utcnow())
    try:
        dt = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError("'timestamp' must be an ISO 8601 time.", field="timestamp") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return iso(dt)


class DonationService:
    def __init__(self, repo: DonationRepository, costs: CostService) -> None:
        self.repo = repo
        self.costs = costs

    def _usd(self, amount: Decimal, currency: str) -> float | None:
        rate = self.costs.pricebook().latest().fx_usd.get(currency)
        return round(float(amount) * rate, 2) if rate else None

    def kofi_webhook(self, raw_body: bytes | str | None) -> dict:
        """Ko-fi posts `application/x-www-form-urlencoded` with one field `data` (JSON)."""
        text = raw_body.decode("utf-8", "replace") if isinstance(raw_body, bytes) else (raw_body or "")
        fields = parse_qs(text)
        if "data" not in fields:
            raise ValidationError("Form field 'data' is required.", field="data")
        try:
            data = json.loads(fields["data"][0])
        except (ValueError, RecursionError):
            raise ValidationError("'data' must hold JSON.", field="data") from None
        if not isinstance(data, dict):
            raise ValidationError("'data' must hold a JSON object.", field="data")
        expected = webhook_token()
        given = str(data.get("verification_token", ""))
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            raise Unauthorized("The verification token does not match.", code="invalid_verification_token")
        txid = data.get("kofi_transaction_id")
        if not isinstance(txid, str) or not txid.strip() or len(txid) > 100:
            raise ValidationError("'kofi_transaction_id' is required.", field="kofi_transaction_id")
        amount = _amount(data.get("amount"), "amount")
        currency = _currency(data.get("currency"))
        item = DonationItem(*DonationItem.key("kofi", txid.strip()), donation_id=f"kofi:{txid.strip()}",
                            source="kofi", amount=str(amount), currency=currency, usd=self._usd(amount, currency),
                            received_at=_when(data.get("timestamp")),
                            from_name=str(data.get("from_name") or "")[:100] or None,
                            kind=str(data.get("type") or "")[:40] or None)
        created = self.repo.add(item)
        logger.info("donation received", source="kofi", duplicate=not created, currency=currency)
        return {"ok": True, "duplicate": not created}

    def add_manual(self, principal: Principal, body: Any) -> dict:
        require_founder(principal)
        if not isinstance(body, dict):
            raise ValidationError("The request body must be a JSON object.", field="body")
        amount = _amount(body.get("amount"), "amount")
        currency = _currency(body.get("currency"))
        usd = self._usd(amount, currency)
        if usd is None:
            raise ValidationError(f"No USD rate for {currency}: add it to the price table's fx_usd.",
                                  field="currency")
        note = body.get("note")
        if note is not None and (not isinstance(note, str) or len(note) > 500):
            raise ValidationError("'note' must be a string of at most 500 characters.", field="note")
        ref = body.get("id") or str(ULID())  # a client-chosen id makes retries idempotent
        if not isinstance(ref, str) or len(ref) > 100:
            raise ValidationError("'id' must be a string of at most 100 characters.", field="id")
        item = DonationItem(*DonationItem.key("manual", ref), donation_id=f"manual:{ref}", source="manual",
                            amount=str(amount), currency=currency, usd=usd,
                            received_at=_when(body.get("received_at")), note=note,
                            from_name=str(body.get("from_name") or "")[:100] or None)
        created = self.repo.add(item)
        return {"donation": _view(item), "duplicate": not created}

    def ledger(self, principal: Principal) -> dict:
        require_founder(principal)
        items = sorted(self.repo.list(), key=lambda d: d.received_at, reverse=True)
        total = round(self.repo.total_usd(), 2)
        balance = float(self.costs.budget().get("balance_usd") or 0)
        mtd, _ = self.costs.month_to_date()
        now = utcnow()
        elapsed_days = max(1 / 24, (now - now.replace(day=1, hour=0, minute=0, second=0, microsecond=0))
                           .total_seconds() / 86400)
        burn = mtd / elapsed_days
        runway = round((balance + total) / burn, 1) if burn > 0 else None
        return {"items": [_view(d) for d in items], "total_usd": total, "balance_usd": balance,
                "burn_usd_per_day": round(burn, 9), "runway_days": runway}


def _view(d: DonationItem) -> dict:
    return {"id": d.donation_id, "source": d.source, "amount": d.amount, "currency": d.currency,
            "usd": float(d.usd) if d.usd is not None else None, "received_at": d.received_at,
            "from_name": d.from_name}


@lru_cache(maxsize=1)
def donation_service() -> DonationService:
    return DonationService(DonationRepository(), cost_service())
