"""Donations: the Ko-fi webhook (form field `data` holding JSON, verification token,
idempotent by transaction id), founders' manual entries, totals in USD and the runway."""
from __future__ import annotations

import json
import uuid
from urllib.parse import urlencode

import pytest

from tests.functional.costs_helpers import founder
from tests.helpers import call

TOKEN = "kofi-test-token"


@pytest.fixture(autouse=True)
def webhook_token(monkeypatch):
    from chalicelib.services import donations

    monkeypatch.setenv("DONATIONS_WEBHOOK_TOKEN", TOKEN)
    donations.webhook_token.cache_clear()  # read once per cold start: simulate a fresh one
    yield
    donations.webhook_token.cache_clear()


def kofi(client, **overrides):
    data = {"verification_token": TOKEN, "message_id": str(uuid.uuid4()), "timestamp": "2025-06-05T10:00:00Z",
            "type": "Donation", "is_public": True, "from_name": "Jo", "message": "for the servers",
            "amount": "5.00", "url": "https://ko-fi.com/Home/CoffeeShop?txid=x", "email": "jo@example.com",
            "currency": "EUR", "is_subscription_payment": False, "is_first_subscription_payment": False,
            "kofi_transaction_id": str(uuid.uuid4())}
    data.update(overrides)
    resp = client.http.post("/v1/webhooks/donations", headers={"Content-Type": "application/x-www-form-urlencoded"},
                            body=urlencode({"data": json.dumps(data)}))
    return resp.status_code, json.loads(resp.body), data


def test_kofi_webhook_is_verified_idempotent_and_totalled_in_usd(client):
    boss = founder(client)
    status, ledger, _ = call(client, "GET", "/v1/admin/donations", token=boss["access_token"])
    before = ledger["total_usd"]
    status, body, data = kofi(client, amount="5.00", currency="EUR")
    assert status == 200 and body["duplicate"] is False
    status, body, _ = kofi(client, kofi_transaction_id=data["kofi_transaction_id"], amount="5.00", currency="EUR")
    assert status == 200 and body["duplicate"] is True  # a redelivery adds nothing
    status, ledger, _ = call(client, "GET", "/v1/admin/donations", token=boss["access_token"])
    assert ledger["total_usd"] == pytest.approx(before + 5.40)  # EUR at the table's 1.08
    entry = next(i for i in ledger["items"] if i["id"] == f"kofi:{data['kofi_transaction_id']}")
    assert entry == {"id": entry["id"], "source": "kofi", "amount": "5.00", "currency": "EUR", "usd": 5.4,
                     "received_at": "2025-06-05T10:00:00.000Z", "from_name": "Jo"}
    assert set(ledger) >= {"items", "total_usd", "runway_days"}


def test_kofi_webhook_refuses_a_wrong_token_and_bad_forms(client):
    status, body, _ = kofi(client, verification_token="guess")
    assert status == 401 and body["error"]["code"] == "invalid_verification_token"
    resp = client.http.post("/v1/webhooks/donations", headers={"Content-Type": "application/x-www-form-urlencoded"},
                            body="other=1")
    assert resp.status_code == 400 and json.loads(resp.body)["error"]["field"] == "data"
    status, body, _ = kofi(client, amount="-3")
    assert status == 400 and body["error"]["field"] == "amount"


def test_manual_donations_and_runway(client):
    boss = founder(client)
    call(client, "PUT", "/v1/admin/budget", {"balance_usd": 100}, token=boss["access_token"])
    status, body, _ = call(client, "POST", "/v1/admin/donations",
                           {"amount": "20", "currency": "USD", "note": "cheque", "id": "gift-1"},
                           token=boss["access_token"])
    assert status == 201 and body["donation"]["usd"] == 20.0 and body["duplicate"] is False
    status, body, _ = call(client, "POST", "/v1/admin/donations", {"amount": "20", "currency": "USD", "id": "gift-1"},
                           token=boss["access_token"])
    assert body["duplicate"] is True
    status, body, _ = call(client, "POST", "/v1/admin/donations", {"amount": "20", "currency": "XYZ"},
                           token=boss["access_token"])
    assert status == 400 and body["error"]["field"] == "currency"
    status, ledger, _ = call(client, "GET", "/v1/admin/donations", token=boss["access_token"])
    assert ledger["burn_usd_per_day"] > 0
    assert ledger["runway_days"] == pytest.approx((100 + ledger["total_usd"]) / ledger["burn_usd_per_day"], rel=0.01)
    call(client, "PUT", "/v1/admin/budget", {"balance_usd": 0}, token=boss["access_token"])
