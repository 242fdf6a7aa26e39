"""The budget guard over the embedded endpoint: levels from forecast vs budget, levers
(quotas with Retry-After, queued uploads, longer CDN caching), pins, cool-down, the
schedule and the budget-alarm handlers. Moto never evaluates alarms: the SNS handler is
invoked directly with an alarm-shaped event."""
from __future__ import annotations

import json

import pytest

from tests.fixtures.photos import jpeg_with_gps
from tests.functional.costs_helpers import founder
from tests.helpers import call, create_and_upload, drain, signup
from local.worker import FakeLambdaContext, ScheduleRunner, scheduled_event

TINY = 0.000001
HUGE = 1_000_000


@pytest.fixture
def boss(client):
    boss = founder(client)
    yield boss
    # Leave the platform at normal for the other tests: a budget change skips the cool-down.
    call(client, "PUT", "/v1/admin/guard", {"pin": None}, token=boss["access_token"])
    call(client, "PUT", "/v1/admin/budget", {"monthly_usd": 2000, "thresholds": {"saver": 0.8, "survival": 1.0}},
         token=boss["access_token"])
    status, state, _ = call(client, "POST", "/v1/admin/guard/evaluate", token=boss["access_token"])
    assert state["level"] == "normal", state


def _budget(client, boss, usd):
    status, body, _ = call(client, "PUT", "/v1/admin/budget", {"monthly_usd": usd}, token=boss["access_token"])
    assert status == 200, body


def _evaluate(client, boss):
    status, state, _ = call(client, "POST", "/v1/admin/guard/evaluate", token=boss["access_token"])
    assert status == 200, state
    return state


def test_forecast_over_budget_means_survival_and_the_transition_is_recorded(client, boss):
    _budget(client, boss, TINY)
    state = _evaluate(client, boss)
    assert state["level"] == "survival" and state["pinned"] is None
    assert "forecast" in state["reason"] and state["since"]
    status, shown, _ = call(client, "GET", "/v1/admin/guard", token=boss["access_token"])
    assert {"level", "since", "reason", "pinned"} <= set(shown) and shown["level"] == "survival"
    assert shown["history"][0]["to"] == "survival"
    _budget(client, boss, HUGE)  # takes effect at the next evaluation, no cool-down
    assert _evaluate(client, boss)["level"] == "normal"


def test_automatic_step_down_waits_for_the_cool_down_unless_the_budget_changes(client, boss):
    from chalicelib.adapters.tables_costs import BudgetItem

    _budget(client, boss, TINY)
    assert _evaluate(client, boss)["level"] == "survival"
    # The forecast falls below the thresholds without a founder changing the budget (seeded:
    # the budget's amount changes, its updated_at does not): the step-down waits.
    item = BudgetItem.get(*BudgetItem.key(), consistent_read=True)
    item.update(actions=[BudgetItem.monthly_usd.set(HUGE)])
    state = _evaluate(client, boss)
    assert state["level"] == "survival" and "cool-down" in state["reason"]
    _budget(client, boss, HUGE)  # a founder's budget change skips the cool-down
    assert _evaluate(client, boss)["level"] == "normal"
    status, body, _ = call(client, "PUT", "/v1/admin/guard", {"pin": "panic"}, token=boss["access_token"])
    assert status == 400 and body["error"]["field"] == "pin"


def test_unpin_takes_effect_at_once(client, boss):
    """docs/costs.md: a founder's decision takes effect at the next evaluation, so unpinning
    returns to the forecast's level at once, without the step-down cool-down."""
    _budget(client, boss, HUGE)
    status, state, _ = call(client, "PUT", "/v1/admin/guard", {"pin": "survival"}, token=boss["access_token"])
    assert state["level"] == "survival" and state["pinned"] == "survival"
    status, state, _ = call(client, "PUT", "/v1/admin/guard", {"pin": None}, token=boss["access_token"])
    assert status == 200 and state["level"] == "normal" and state["pinned"] is None, state


def test_survival_queues_uploads_keeps_the_feed_and_resumes_when_the_level_allows(client, boss, easel_app):
    artist, fan = signup(client), signup(client)
    call(client, "POST", f"/v1/users/{artist['handle']}/follow", token=fan["access_token"])
    _budget(client, boss, TINY)
    assert _evaluate(client, boss)["level"] == "survival"
    post_id = create_and_upload(client, artist["access_token"], jpeg_with_gps(900, 600))
    drain(easel_app.handle_uploads)
    status, post, _ = call(client, "GET", f"/v1/posts/{post_id}", token=artist["access_token"])
    assert post["status"] == "queued"  # accepted, nothing lost, screened later
    status, feed, _ = call(client, "GET", "/v1/feed", token=fan["access_token"])
    assert status == 200  # reading the feed works at every level
    status, _, headers = call(client, "GET", f"/v1/users/{artist['handle']}")
    assert "s-maxage=1200" in headers["cache-control"]  # 60 s x 20 at the CDN in survival

    _budget(client, boss, HUGE)
    state = _evaluate(client, boss)
    assert state["level"] == "normal" and state["resumed_uploads"] >= 1
    drain(easel_app.handle_uploads)
    status, post, _ = call(client, "GET", f"/v1/posts/{post_id}", token=artist["access_token"])
    assert post["status"] == "published"
    status, feed, _ = call(client, "GET", "/v1/feed", token=fan["access_token"])
    assert post_id in [p["id"] for p in feed["items"]]
    status, _, headers = call(client, "GET", f"/v1/users/{artist['handle']}")
    assert "s-maxage=60" in headers["cache-control"]


def test_upload_quota_answers_429_with_retry_after_at_every_level(client, boss, monkeypatch):
    monkeypatch.setenv("UPLOAD_LIMITS_NORMAL", "2,10")  # per hour, per day
    monkeypatch.setenv("UPLOAD_LIMITS_NEW_ARTIST", "2,10")  # the user below signs up now
    user = signup(client)
    body = {"title": "x", "content_type": "image/png", "content_length": 100}
    for _ in range(2):
        assert call(client, "POST", "/v1/posts", body, token=user["access_token"])[0] == 201
    status, err, headers = call(client, "POST", "/v1/posts", body, token=user["access_token"])
    assert status == 429 and err["error"]["code"] == "upload_quota_exceeded"
    assert 0 < int(headers["retry-after"]) <= 3601
    # Survival lowers the daily quota (default 2 an hour, 5 a day) for a fresh user too.
    _budget(client, boss, TINY)
    assert _evaluate(client, boss)["level"] == "survival"
    other = signup(client)
    codes = [call(client, "POST", "/v1/posts", body, token=other["access_token"])[0] for _ in range(3)]
    assert codes == [201, 201, 429]


def test_schedule_and_budget_alarm_handlers_evaluate(client, boss, easel_app):
    _budget(client, boss, TINY)
    ctx = FakeLambdaContext("easel-dev-budget_alarm", memory_mb=512)
    sns = {"Records": [{"EventSource": "aws:sns", "Sns": {
        "Message": json.dumps({"AlarmName": "easel-budget-80"}), "Subject": "ALARM", "MessageId": "m1",
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:easel-dev-budget-alarms", "MessageAttributes": {},
        "Timestamp": "2025-01-01T00:00:00.000Z"}}]}
    assert easel_app.budget_alarm(sns, ctx)["level"] == "survival"
    _budget(client, boss, HUGE)
    scheduled = {"version": "0", "id": "e", "detail-type": "Scheduled Event", "source": "aws.events", "account": "1",
                 "time": "2025-01-01T00:00:00Z", "region": "us-east-1", "resources": [], "detail": {}}
    assert easel_app.cost_guard(scheduled, FakeLambdaContext("easel-dev-cost_guard", 512))["level"] == "normal"


def test_saver_caps_the_largest_derivative_at_1280(client, boss, easel_app):
    status, state, _ = call(client, "PUT", "/v1/admin/guard", {"pin": "saver"}, token=boss["access_token"])
    assert state["level"] == "saver"
    artist = signup(client)
    post_id = create_and_upload(client, artist["access_token"], jpeg_with_gps(2400, 1200))
    drain(easel_app.handle_uploads)
    status, post, _ = call(client, "GET", f"/v1/posts/{post_id}", token=artist["access_token"])
    assert post["status"] == "published", post
    assert max(v["width"] for v in post["images"][0]["variants"]) == 1280  # 2048 skipped in saver


def test_survival_pauses_the_discovery_rebuild(client, boss, easel_app):
    runner = ScheduleRunner(easel_app.app, interval_s=0)
    (handler,) = [h for name, h in runner.handlers if name == "build_discovery"]
    status, state, _ = call(client, "PUT", "/v1/admin/guard", {"pin": "survival"}, token=boss["access_token"])
    assert state["level"] == "survival"
    result = handler(scheduled_event("build_discovery"), FakeLambdaContext("build_discovery"))
    assert "skipped" in result
    call(client, "PUT", "/v1/admin/guard", {"pin": "normal"}, token=boss["access_token"])
    result = handler(scheduled_event("build_discovery"), FakeLambdaContext("build_discovery"))
    assert "skipped" not in result


def test_a_new_artist_brings_a_portfolio_on_day_one_at_normal_only(client, boss):
    """~100 works on an account's first day at `normal`; older accounts keep 20 an hour;
    saver and survival cap new accounts like everyone (issue 14)."""
    from datetime import timedelta

    from ulid import ULID

    from chalicelib.adapters.tables import utcnow
    from chalicelib.errors import TooManyRequests
    from chalicelib.services import guard

    assert _evaluate(client, boss)["level"] == "normal"
    now = utcnow()
    new_id, old_id = str(ULID.from_datetime(now - timedelta(hours=2))), str(ULID.from_datetime(now - timedelta(days=3)))
    assert guard.upload_limits("normal", user_id=new_id, now=now) == guard.NEW_ARTIST_UPLOAD_LIMITS
    assert guard.NEW_ARTIST_UPLOAD_LIMITS[0] >= 100
    for _ in range(100):  # a portfolio within one hour
        guard.admit_upload(new_id, now=now)
    for _ in range(20):
        guard.admit_upload(old_id, now=now)
    with pytest.raises(TooManyRequests):
        guard.admit_upload(old_id, now=now)
    assert guard.upload_limits("saver", user_id=new_id, now=now) == guard.DEFAULT_UPLOAD_LIMITS["saver"]
    assert guard.upload_limits("survival", user_id=new_id, now=now) == guard.DEFAULT_UPLOAD_LIMITS["survival"]
    # Over HTTP: a just-signed-up artist posts past the ordinary 20 an hour.
    artist = signup(client)
    body = {"title": "x", "content_type": "image/png", "content_length": 100}
    codes = [call(client, "POST", "/v1/posts", body, token=artist["access_token"])[0] for _ in range(25)]
    assert codes == [201] * 25
