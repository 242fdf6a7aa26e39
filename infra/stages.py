"""Per-stage settings for the deployed infrastructure: the one place to change a budget, a
memory size, a concurrency cap or an alarm threshold.

`.chalice/config.json` repeats the Lambda sizes for `chalice local`/`chalice deploy`; the CDK
app passes these values to the Chalice construct (they win), and tests/infra checks that the
two agree so neither drifts silently.
Plain data only.
"""
from __future__ import annotations

from dataclasses import dataclass

from infra.resources import STAGES

# Dummy identity used for offline synth only (CDK needs *an* account to resolve some ARNs).
SYNTH_ACCOUNT = "111111111111"
DEFAULT_REGION = "us-east-1"  # CloudFront, Budgets and ACM-for-CloudFront live here anyway

LAMBDA_RUNTIME = "python3.12"  # manylinux_2_28 wheels (c2pa, onnxruntime) need glibc 2.34
LAMBDA_ARCHITECTURE = "arm64"  # 20% cheaper per GB-second than x86_64
LAMBDA_PLATFORM_TAGS = ("manylinux_2_28_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64")
LAMBDA_PYTHON_VERSION = "3.12"
# The cost meter folds a warm container's invocations into one usage write (chalicelib/metering,
# docs/costs.md): at most this many invocations or this many seconds of one container's usage
# are in memory, and lost if the container dies before its next invocation.
METER_FLUSH_EVERY = 50
METER_FLUSH_MAX_AGE_S = 60


@dataclass(frozen=True)
class FunctionSettings:
    memory_mb: int
    timeout_s: int
    reserved_concurrency: int  # a hard spend cap: Lambda throttles above it


@dataclass(frozen=True)
class AlarmThresholds:
    api_invocations_per_5min: int  # sustained surge: budgets lag by hours, this does not
    lambda_errors_per_5min: int
    ddb_consumed_units_per_5min: int  # read + write request units
    queue_oldest_message_age_s: int
    api_5xx_per_5min: int


@dataclass(frozen=True)
class StageSettings:
    name: str
    monthly_budget_usd: int
    api: FunctionSettings
    uploads: FunctionSettings
    sqs_batch_size: int
    sqs_max_concurrency: int  # >= 2 (AWS minimum); <= uploads.reserved_concurrency
    alarms: AlarmThresholds
    log_retention_days: int
    xray_sampling_rate: float  # fraction of requests traced (X-Ray: $5 per million traces)
    price_class: str  # PriceClass_100 | PriceClass_200 | PriceClass_All
    # CloudFront flat-rate plan (Nov 2025): "pro" | "business" | "premium" | None (pay as you go).
    # Plans are subscribed in the console/API per distribution, not in CloudFormation: this
    # records the decision and is surfaced as a stack output + tag (see docs/deploy.md).
    flat_rate_plan: str | None
    auto_confirm: bool  # skip e-mail verification (dev only)
    pitr: bool
    deletion_protection: bool
    retain_data: bool  # RETAIN table/buckets/secret on stack delete
    secret_rotation_days: int
    alarm_email: str | None = None  # optional extra subscriber of the alerts topic
    mail_from_domain: str = "easel.example"  # SES identity; replace with the real domain
    # The stage's public origin (links in mail); replace with the real domains.
    public_base_url: str = "https://easel.example"


STAGE_SETTINGS: dict[str, StageSettings] = {
    "dev": StageSettings(
        name="dev",
        monthly_budget_usd=20,
        api=FunctionSettings(memory_mb=512, timeout_s=15, reserved_concurrency=10),
        uploads=FunctionSettings(memory_mb=2048, timeout_s=60, reserved_concurrency=5),
        sqs_batch_size=5,
        sqs_max_concurrency=2,
        alarms=AlarmThresholds(api_invocations_per_5min=5_000, lambda_errors_per_5min=20,
                               ddb_consumed_units_per_5min=50_000, queue_oldest_message_age_s=900,
                               api_5xx_per_5min=20),
        log_retention_days=7,
        xray_sampling_rate=0.01,
        price_class="PriceClass_100",
        flat_rate_plan=None,
        auto_confirm=True,
        pitr=True,
        deletion_protection=False,
        retain_data=False,
        secret_rotation_days=90,
        public_base_url="https://dev.easel.example",
    ),
    "staging": StageSettings(
        name="staging",
        monthly_budget_usd=30,
        api=FunctionSettings(memory_mb=512, timeout_s=15, reserved_concurrency=20),
        uploads=FunctionSettings(memory_mb=2048, timeout_s=60, reserved_concurrency=5),
        sqs_batch_size=5,
        sqs_max_concurrency=2,
        alarms=AlarmThresholds(api_invocations_per_5min=10_000, lambda_errors_per_5min=20,
                               ddb_consumed_units_per_5min=100_000, queue_oldest_message_age_s=900,
                               api_5xx_per_5min=20),
        log_retention_days=14,
        xray_sampling_rate=0.01,
        price_class="PriceClass_100",
        flat_rate_plan=None,
        auto_confirm=False,
        pitr=True,
        deletion_protection=False,
        retain_data=False,
        secret_rotation_days=90,
        public_base_url="https://staging.easel.example",
    ),
    "prod": StageSettings(
        name="prod",
        monthly_budget_usd=2_000,
        api=FunctionSettings(memory_mb=1024, timeout_s=15, reserved_concurrency=400),
        uploads=FunctionSettings(memory_mb=2048, timeout_s=60, reserved_concurrency=50),
        sqs_batch_size=5,
        sqs_max_concurrency=50,
        alarms=AlarmThresholds(api_invocations_per_5min=1_500_000, lambda_errors_per_5min=500,
                               ddb_consumed_units_per_5min=5_000_000, queue_oldest_message_age_s=600,
                               api_5xx_per_5min=200),
        log_retention_days=30,
        xray_sampling_rate=0.001,
        price_class="PriceClass_100",
        flat_rate_plan="pro",  # $15/month: 10M requests, 50 TB, no overage (CONTEXT.md)
        auto_confirm=False,
        pitr=True,
        deletion_protection=True,
        retain_data=True,
        secret_rotation_days=30,
    ),
}

BUDGET_THRESHOLDS_ACTUAL = (50, 80, 100)  # percent of the monthly budget, actual spend
BUDGET_THRESHOLDS_FORECAST = (100,)  # percent, forecasted spend

assert tuple(STAGE_SETTINGS) == STAGES, "infra/stages.py must define every stage in resources.STAGES"


def get(stage: str) -> StageSettings:
    try:
        return STAGE_SETTINGS[stage]
    except KeyError:
        raise SystemExit(f"unknown stage {stage!r}; expected one of {', '.join(STAGES)}") from None
