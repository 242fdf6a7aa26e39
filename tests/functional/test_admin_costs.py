"""The founders' cost report, budget and price table over the embedded endpoint."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from chalicelib.adapters.costs_store import BudgetRepository, MauRepository, PriceRepository, UsageRepository, \
    usage_update_params
from chalicelib.adapters.store import UserRepository
from chalicelib.services.costs import CostService
from tests.functional.costs_helpers import founder
from tests.helpers import call, signup

ADMIN_ROUTES = [("GET", "/v1/admin/costs"), ("GET", "/v1/admin/budget"), ("PUT", "/v1/admin/budget"),
                ("GET", "/v1/admin/guard"), ("PUT", "/v1/admin/guard"), ("POST", "/v1/admin/guard/evaluate"),
                ("GET", "/v1/admin/donations"), ("POST", "/v1/admin/donations"), ("GET", "/v1/admin/prices")]


@pytest.mark.parametrize("method, path", ADMIN_ROUTES)
def test_admin_routes_are_for_founders_only(client, method, path):
    status, body, _ = call(client, method, path, {"pin": None} if method != "GET" else None)
    assert status == 401 and body["error"]["code"] == "missing_token"
    user = signup(client)
    status, body, _ = call(client, method, path, {"pin": None} if method != "GET" else None,
                           token=user["access_token"])
    assert status == 403 and body["error"]["code"] == "founder_only"


def test_month_to_date_report_by_service_feature_and_day(client):
    boss = founder(client)
    busy = signup(client)
    # Busier than any other test's user in the shared endpoint, so it is among the top users
    # whatever ran before (each API request is billed per call).
    for _ in range(60):
        call(client, "GET", "/v1/feed", token=busy["access_token"])
    status, report, _ = call(client, "GET", "/v1/admin/costs?group_by=service", token=boss["access_token"])
    assert status == 200, report
    assert set(report) >= {"from", "to", "total_usd", "mau", "cost_per_mau_usd", "groups", "top_users",
                           "month_to_date_usd", "forecast_month_usd"}
    assert report["to"] == datetime.now(timezone.utc).date().isoformat()
    services = {g["key"]: g for g in report["groups"]}
    assert services["api_gateway"]["usd"] > 0 and services["api_gateway"]["units"]["api_requests"] >= 3
    assert services["dynamodb"]["units"]["ddb_rru"] > 0 and services["lambda"]["units"]["lambda_gb_ms"] > 0
    assert services["meter"]["units"]["meter_wru"] >= 3
    assert report["total_usd"] == pytest.approx(sum(g["usd"] for g in report["groups"]), abs=1e-5)
    assert report["mau"] >= 2 and report["cost_per_mau_usd"] > 0
    assert report["forecast_month_usd"] >= report["month_to_date_usd"] > 0
    assert busy["handle"] in [u["handle"] for u in report["top_users"]]

    status, by_feature, _ = call(client, "GET", "/v1/admin/costs?group_by=feature", token=boss["access_token"])
    feed = next(g for g in by_feature["groups"] if g["key"] == "GET /v1/feed")
    assert feed["units"]["invocations"] >= 3 and feed["usd"] > 0
    status, by_day, _ = call(client, "GET", "/v1/admin/costs?group_by=day", token=boss["access_token"])
    assert by_day["groups"][-1]["key"] == report["to"]


@pytest.mark.parametrize("qs, field", [("group_by=user", "group_by"), ("from=yesterday", "from"),
                                       ("from=2030-02-01&to=2030-01-01", "from")])
def test_bad_report_queries_name_the_field(client, qs, field):
    boss = founder(client)
    status, body, _ = call(client, "GET", f"/v1/admin/costs?{qs}", token=boss["access_token"])
    assert status == 400 and body["error"]["field"] == field


def test_budget_put_keeps_omitted_fields_and_validates(client):
    boss = founder(client)
    status, budget, _ = call(client, "PUT", "/v1/admin/budget", {"monthly_usd": 1500, "thresholds": {"saver": 0.7}},
                             token=boss["access_token"])
    assert status == 200 and budget["monthly_usd"] == 1500 and budget["thresholds"] == {"saver": 0.7, "survival": 1.0}
    status, budget, _ = call(client, "PUT", "/v1/admin/budget", {"thresholds": {"survival": 1.2}},
                             token=boss["access_token"])
    assert budget["monthly_usd"] == 1500 and budget["thresholds"] == {"saver": 0.7, "survival": 1.2}
    for bad, field in [({"monthly_usd": 0}, "monthly_usd"), ({"monthly_usd": "10"}, "monthly_usd"),
                       ({"thresholds": {"saver": 2, "survival": 1}}, "thresholds.saver"),
                       ({"thresholds": {"panic": 1}}, "thresholds.panic"),
                       # DynamoDB cannot store these (number underflow/overflow): were 500s
                       ({"monthly_usd": 5e-324}, "monthly_usd"), ({"balance_usd": 1e300}, "balance_usd"),
                       ({"thresholds": {"saver": 5e-324}}, "thresholds.saver")]:
        status, body, _ = call(client, "PUT", "/v1/admin/budget", bad, token=boss["access_token"])
        assert status == 400 and body["error"]["field"] == field, (bad, body)
    status, budget, _ = call(client, "GET", "/v1/admin/budget", token=boss["access_token"])
    assert budget["monthly_usd"] == 1500
    call(client, "PUT", "/v1/admin/budget", {"monthly_usd": 2000, "thresholds": {"saver": 0.8, "survival": 1.0}},
         token=boss["access_token"])


def test_price_override_is_data(client):
    boss = founder(client)
    override = {"version": "test-2040", "effective_from": "2040-01-01", "region": "us-east-1",
                "source": "test", "prices": {"dynamodb_wru": 0.5e-6}}
    status, body, _ = call(client, "PUT", "/v1/admin/prices", override, token=boss["access_token"])
    assert status == 200 and body["prices"]["dynamodb_wru"] == 0.5e-6 and body["prices"]["cloudfront_gb"] == 0.085
    status, table, _ = call(client, "GET", "/v1/admin/prices", token=boss["access_token"])
    assert table["versions"][-1]["version"] == "test-2040"
    status, body, _ = call(client, "PUT", "/v1/admin/prices", {**override, "prices": {"x": -1}},
                           token=boss["access_token"])
    assert status == 400 and body["error"]["field"] == "prices.x"
    status, body, _ = call(client, "PUT", "/v1/admin/prices", {**override, "fx_usd": ["EUR"]},  # was a 500
                           token=boss["access_token"])
    assert status == 400 and body["error"]["field"] == "fx_usd"


class Clock:
    def __init__(self, dt: datetime) -> None:
        self.dt = dt

    def __call__(self) -> datetime:
        return self.dt


def test_folding_closed_hours_keeps_totals_and_counts_mau_once():
    """Synthetic usage rows in 2031 (clear of the real clock): live totals == folded hour
    rollups == day rollups read after the day left the recent window; MAU counted once."""
    usage = UsageRepository()
    for hour, user, n in [("2031031009", "mau-a", 2), ("2031031010", "mau-a", 1), ("2031031010", "mau-b", 4)]:
        usage.add(usage_update_params(hour, 1, "GET /v1/feed", user, {"n": n, "ar": n, "lr": n, "rru": n * 1.5,
                                                                      "usd": n * 1e-5}, 0))
    clock = Clock(datetime(2031, 3, 10, 11, 30, tzinfo=timezone.utc))
    svc = CostService(usage, MauRepository(), BudgetRepository(), PriceRepository(), UserRepository(), shards=4,
                      clock=clock, lookback_hours=6)
    boss = type("P", (), {"roles": frozenset({"founder"}), "handle": "b", "user_id": "b"})()
    live = svc.report(boss, "2031-03-10", "2031-03-10", "feature")
    assert live["groups"][0]["units"]["invocations"] == 7 and live["mau"] == 2
    assert svc.fold_pending() == 6  # hours 05..10 closed; 09 and 10 had rows
    assert svc.fold_pending() == 0  # idempotent
    folded = svc.report(boss, "2031-03-10", "2031-03-10", "feature")
    assert folded["total_usd"] == pytest.approx(live["total_usd"]) and folded["mau"] == 2
    assert MauRepository().count("203103") == 2
    clock.dt = datetime(2031, 3, 20, 12, tzinfo=timezone.utc)  # the 10th is now read from day rollups
    later = svc.report(boss, "2031-03-10", "2031-03-10", "day")
    assert later["groups"] == [{"key": "2031-03-10", "usd": pytest.approx(live["total_usd"]),
                                "units": later["groups"][0]["units"]}]
    assert later["groups"][0]["units"]["ddb_rru"] == pytest.approx(10.5)
    assert [(u["user_id"], u["handle"]) for u in later["top_users"]] == [("mau-b", None), ("mau-a", None)]
    assert date(2031, 3, 10).isoformat() == later["from"]


def test_costs_cli_renders_the_month_to_date_report(client):
    from chalicelib.services.costs import cost_service
    from chalicelib.services.donations import donation_service
    from chalicelib.services.guard import guard_service
    from chalicelib.services.tokens import Principal
    from local.costs_cli import render

    cli = Principal(user_id="cli", handle="cli", session_id="cli", roles=frozenset({"founder"}))
    signup(client)
    text = render(cost_service().report(cli, None, None, "service"), cost_service().budget(),
                  guard_service().state(), donation_service().ledger(cli))
    assert "month to date" in text and "forecast month" in text and "api_gateway" in text and "MAU" in text
