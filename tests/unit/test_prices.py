"""Prices are data: the shipped table parses, carries its provenance, and overrides win
from their effective date without code changes."""
from __future__ import annotations

from datetime import date

import pytest

from chalicelib.errors import ValidationError
from chalicelib.metering.usage import service_costs, total_usd
from chalicelib.prices import PriceBook, shipped_versions


def test_shipped_table_has_region_date_source_and_context_figures():
    v = shipped_versions()[-1]
    assert v.region == "us-east-1" and v.source and v.effective_from <= date.today()
    assert v["dynamodb_wru"] == pytest.approx(0.625e-6) and v["dynamodb_rru"] == pytest.approx(0.125e-6)
    assert v["lambda_gb_second_x86"] == pytest.approx(0.0000166667)
    assert v["api_gateway_rest_request"] == pytest.approx(3.5e-6)
    assert v["cloudfront_gb"] == pytest.approx(0.085)
    assert v.fx_usd["USD"] == 1.0 and [p["name"] for p in v.flat_plans] == ["Pro", "Business", "Premium"]


def test_an_override_changes_one_figure_from_its_date_and_keeps_the_rest():
    book = PriceBook([{"version": "cheaper-ddb", "effective_from": "2030-01-01", "region": "us-east-1",
                       "source": "founders", "prices": {"dynamodb_wru": 0.5e-6}}])
    before, after = book.at(date(2029, 12, 31)), book.at(date(2030, 1, 2))
    assert before["dynamodb_wru"] == pytest.approx(0.625e-6)
    assert after["dynamodb_wru"] == pytest.approx(0.5e-6) and after.version == "cheaper-ddb"
    assert after["cloudfront_gb"] == before["cloudfront_gb"]


def test_bad_override_names_the_field():
    with pytest.raises(ValidationError) as err:
        PriceBook([{"version": "x", "effective_from": "2030-01-01", "region": "r", "source": "s",
                    "prices": {"dynamodb_wru": -1}}])
    assert err.value.field == "prices.dynamodb_wru"


def test_service_costs_from_units():
    p = shipped_versions()[-1]
    one_million_requests = {"lr": 1e6, "ar": 1e6, "gbms": 1e6 * 100 * 0.5}  # 100 ms at 512 MB each
    costs = service_costs(one_million_requests, p)
    assert costs["api_gateway"] == pytest.approx(3.5)
    assert costs["lambda"] == pytest.approx(0.2 + 50_000 * 0.0000166667)
    assert total_usd({"wru": 1e6, "rru": 1e6}, p) == pytest.approx(0.75)
