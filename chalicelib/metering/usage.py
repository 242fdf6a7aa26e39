"""What one invocation (or a rollup of many) consumed, and what that costs by service.

Counters are stored under short attribute names to keep the meter's own DynamoDB item
well under 1 KB (one WRU per write); `LONG_NAMES` gives the names the API reports.
Pure: no AWS access.
"""
from __future__ import annotations

from typing import Mapping

from chalicelib.prices import PriceVersion

GB = 1024 ** 3

LONG_NAMES: dict[str, str] = {
    "n": "invocations",
    "lr": "lambda_requests",
    "gbms": "lambda_gb_ms",
    "ar": "api_requests",
    "rru": "ddb_rru",
    "wru": "ddb_wru",
    "dbb": "ddb_bytes_added",
    "s3p": "s3_put_requests",
    "s3g": "s3_get_requests",
    "s3b": "s3_bytes_added",
    "mb": "media_bytes",
    "mr": "media_requests",
    "vc": "vendor_calls",
    "vu": "vendor_usd",
    "lb": "log_bytes",
    "sq": "sqs_requests",
    "sm": "secrets_calls",
    "se": "ses_mails",
    "ox": "other_aws_requests",
    "mw": "meter_wru",
}
SHORT_NAMES = {v: k for k, v in LONG_NAMES.items()}

# Which counters belong to which service (for group_by=service).
SERVICE_UNITS: dict[str, tuple[str, ...]] = {
    "lambda": ("lr", "gbms"),
    "api_gateway": ("ar",),
    "dynamodb": ("rru", "wru", "dbb"),
    "meter": ("mw",),
    "s3": ("s3p", "s3g", "s3b"),
    "cloudfront": ("mb", "mr"),
    "cloudwatch": ("lb",),
    "vendor": ("vc", "vu"),
    "sqs": ("sq",),
    "secrets_manager": ("sm",),
    "ses": ("se",),
}


def service_costs(u: Mapping[str, float], p: PriceVersion) -> dict[str, float]:
    """USD per service for these counters. Bytes added to S3 and DynamoDB are charged one
    month of storage (growth); CloudFront at pay-as-you-go rates before free tier — the
    monthly projection (bench) applies free tiers and flat-rate plans."""
    g = u.get
    return {
        "lambda": g("lr", 0) * p["lambda_request"] + g("gbms", 0) / 1000 * p["lambda_gb_second_x86"],
        "api_gateway": g("ar", 0) * p["api_gateway_rest_request"],
        "dynamodb": g("rru", 0) * p["dynamodb_rru"] + g("wru", 0) * p["dynamodb_wru"]
        + max(0.0, g("dbb", 0)) / GB * p["dynamodb_storage_gb_month"],
        "meter": g("mw", 0) * p["dynamodb_wru"],
        "s3": g("s3p", 0) * p["s3_put_request"] + g("s3g", 0) * p["s3_get_request"]
        + max(0.0, g("s3b", 0)) / GB * p["s3_storage_gb_month"],
        "cloudfront": g("mb", 0) / GB * p["cloudfront_gb"] + g("mr", 0) * p["cloudfront_https_request"],
        "cloudwatch": g("lb", 0) / GB * p["cloudwatch_logs_gb"],
        "vendor": g("vu", 0),
        "sqs": g("sq", 0) * p["sqs_request"],
        "secrets_manager": g("sm", 0) * p["secrets_manager_api_call"],
        "ses": g("se", 0) * p["ses_mail"],
    }


def total_usd(u: Mapping[str, float], p: PriceVersion) -> float:
    return sum(service_costs(u, p).values())


def add_into(target: dict[str, float], source: Mapping[str, float]) -> None:
    for k, v in source.items():
        if k in LONG_NAMES and v:
            target[k] = target.get(k, 0.0) + float(v)


def long_units(u: Mapping[str, float], only: tuple[str, ...] | None = None) -> dict[str, float]:
    keys = only if only is not None else tuple(LONG_NAMES)
    return {LONG_NAMES[k]: round(float(u.get(k, 0.0)), 6) for k in keys if u.get(k)}
