"""Prices are data: a versioned table (region, effective date, source) shipped as
`prices.json`, plus versions founders add at run time (stored in the table, merged here).
Pure: no AWS access; the costs service passes the stored overrides in."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from chalicelib.errors import ValidationError

SHIPPED = Path(__file__).with_name("prices.json")
REQUIRED = ("lambda_request", "lambda_gb_second_x86", "api_gateway_rest_request", "dynamodb_wru",
            "dynamodb_rru", "s3_put_request", "s3_get_request", "cloudfront_gb",
            "cloudfront_https_request", "cloudwatch_logs_gb")


@dataclass(frozen=True)
class PriceVersion:
    version: str
    effective_from: date
    region: str
    source: str
    prices: dict[str, float]
    flat_plans: tuple[dict, ...] = ()
    fx_usd: dict[str, float] = field(default_factory=dict)
    currency: str = "USD"

    def __getitem__(self, name: str) -> float:
        return float(self.prices.get(name, 0.0))

    def to_json(self) -> dict:
        return {"version": self.version, "effective_from": self.effective_from.isoformat(),
                "region": self.region, "source": self.source, "currency": self.currency,
                "prices": dict(self.prices), "cloudfront_flat_plans": list(self.flat_plans),
                "fx_usd": dict(self.fx_usd)}


def parse_version(raw: Any, *, base: PriceVersion | None = None) -> PriceVersion:
    """Validates one version; with `base`, omitted prices/plans/rates are inherited, so an
    override can change one figure."""
    if not isinstance(raw, dict):
        raise ValidationError("A price version must be an object.", field="body")
    for name in ("version", "effective_from", "region", "source"):
        if not isinstance(raw.get(name), str) or not raw[name].strip():
            raise ValidationError(f"'{name}' is required.", field=name)
    try:
        effective = date.fromisoformat(raw["effective_from"])
    except ValueError:
        raise ValidationError("'effective_from' must be a date (YYYY-MM-DD).", field="effective_from") from None
    prices = dict(base.prices) if base else {}
    given = raw.get("prices", {})
    if not isinstance(given, dict):
        raise ValidationError("'prices' must be an object.", field="prices")
    for name, value in given.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValidationError(f"price '{name}' must be a non-negative number.", field=f"prices.{name}")
        prices[name] = float(value)
    missing = [n for n in REQUIRED if n not in prices]
    if missing:
        raise ValidationError(f"missing prices: {', '.join(missing)}", field="prices")
    fx = dict(base.fx_usd) if base else {}
    given_fx = raw.get("fx_usd") or {}
    if not isinstance(given_fx, dict):
        raise ValidationError("'fx_usd' must be an object of currency -> USD rate.", field="fx_usd")
    for cur, rate in given_fx.items():
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate <= 0:
            raise ValidationError(f"rate '{cur}' must be a positive number.", field=f"fx_usd.{cur}")
        fx[cur.upper()] = float(rate)
    plans = tuple(raw.get("cloudfront_flat_plans") or (base.flat_plans if base else ()))
    return PriceVersion(version=raw["version"], effective_from=effective, region=raw["region"],
                        source=raw["source"], prices=prices, flat_plans=plans, fx_usd=fx,
                        currency=raw.get("currency", "USD"))


@lru_cache(maxsize=1)
def shipped_versions() -> tuple[PriceVersion, ...]:
    data = json.loads(SHIPPED.read_text())
    out: list[PriceVersion] = []
    for raw in data["versions"]:
        out.append(parse_version(raw, base=out[-1] if out else None))
    return tuple(out)


class PriceBook:
    """All versions, shipped and overridden; `at(day)` is the version in force that day."""

    def __init__(self, overrides: Iterable[dict] = ()) -> None:
        versions = list(shipped_versions())
        for raw in sorted(overrides, key=lambda r: str(r.get("effective_from", ""))):
            base = max((v for v in versions if v.effective_from.isoformat() <= str(raw.get("effective_from"))),
                       key=lambda v: v.effective_from, default=versions[-1])
            versions.append(parse_version(raw, base=base))
        # Later entries win on the same date (an override replaces the shipped figure).
        self.versions = sorted(versions, key=lambda v: v.effective_from)

    def at(self, day: date) -> PriceVersion:
        current = self.versions[0]
        for version in self.versions:
            if version.effective_from <= day:
                current = version
        return current

    def latest(self) -> PriceVersion:
        return self.versions[-1]
