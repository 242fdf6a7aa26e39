"""What the founders' dashboard and the moderators' console read (issue 13), over the moto
server: spend per day by service and cost per MAU per month (totals agree with the report),
the guard's levers per level; the queue's length and age filter; an item's signals in plain
words, its near-duplicate side by side (a presigned original of each), the author's history;
the moderator's note on the author's own post view (screening.moderation)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests

from tests.functional.costs_helpers import founder
from tests.functional.screening_support import get_post, moderator
from tests.functional.test_moderation import decide, held_repost, item_for
from tests.fixtures.art import artwork, encode
from tests.helpers import call, create_and_upload, drain, signup


@pytest.fixture
def run(easel_app):
    return lambda: drain(easel_app.handle_uploads)


@pytest.fixture
def mod(client):
    return moderator(client, signup(client))


def test_daily_spend_by_service_adds_up_to_the_report(client):
    boss = founder(client)
    user = signup(client)
    for _ in range(5):
        call(client, "GET", "/v1/feed", token=user["access_token"])
    status, daily, _ = call(client, "GET", "/v1/admin/costs/daily", token=boss["access_token"])
    assert status == 200, daily
    today = datetime.now(timezone.utc).date()
    assert daily["month"] == today.strftime("%Y-%m") and daily["currency"] == "USD" and daily["current"]
    assert [d["day"] for d in daily["days"]][0] == today.replace(day=1).isoformat()
    assert daily["days"][-1]["day"] == today.isoformat()
    assert "api_gateway" in daily["services"] and daily["days"][-1]["services"]["api_gateway"] > 0
    for day in daily["days"]:
        assert day["total_usd"] == pytest.approx(sum(day["services"].values()), abs=1e-5)
    # Same rows and prices as the report, read after it (the meter adds the report's own cost).
    status, report, _ = call(client, "GET", "/v1/admin/costs", token=boss["access_token"])
    assert report["total_usd"] >= daily["total_usd"] > 0
    assert report["total_usd"] - daily["total_usd"] < 0.001
    assert daily["total_usd"] == pytest.approx(sum(daily["service_totals"].values()), abs=1e-5)
    assert daily["forecast_month_usd"] >= daily["month_to_date_usd"] > 0
    assert daily["budget_usd"] > 0 and set(daily["thresholds"]) == {"saver", "survival"}

    status, past, _ = call(client, "GET", "/v1/admin/costs/daily?month=2020-02", token=boss["access_token"])
    assert status == 200 and len(past["days"]) == 29 and past["total_usd"] == 0 and not past["current"]
    for bad in ("2020-13", "2020", "feb"):
        status, body, _ = call(client, "GET", f"/v1/admin/costs/daily?month={bad}", token=boss["access_token"])
        assert status == 400 and body["error"]["field"] == "month", bad


def test_cost_per_mau_per_month(client):
    boss = founder(client)
    call(client, "GET", "/v1/feed", token=signup(client)["access_token"])
    status, monthly, _ = call(client, "GET", "/v1/admin/costs/monthly?months=3", token=boss["access_token"])
    assert status == 200, monthly
    months = monthly["months"]
    assert len(months) == 3 and months[-1]["current"] and not months[0]["current"]
    assert months[-1]["month"] == datetime.now(timezone.utc).strftime("%Y-%m")
    now = months[-1]
    assert now["mau"] >= 2 and now["cost_per_mau_usd"] == pytest.approx(now["total_usd"] / now["mau"], abs=2e-6)
    status, report, _ = call(client, "GET", "/v1/admin/costs", token=boss["access_token"])
    assert report["mau"] >= now["mau"]
    for bad in ("0", "25", "x"):
        status, body, _ = call(client, "GET", f"/v1/admin/costs/monthly?months={bad}", token=boss["access_token"])
        assert status == 400 and body["error"]["field"] == "months"
    for path in ("/v1/admin/costs/daily", "/v1/admin/costs/monthly"):
        status, body, _ = call(client, "GET", path, token=signup(client)["access_token"])
        assert status == 403 and body["error"]["code"] == "founder_only"


def test_guard_state_lists_the_levers_of_each_level(client):
    boss = founder(client)
    status, guard, _ = call(client, "GET", "/v1/admin/guard", token=boss["access_token"])
    assert status == 200
    levers = {lv["level"]: lv for lv in guard["levers"]}
    assert list(levers) == ["normal", "saver", "survival"]
    assert levers["normal"]["upload_limits"] == {"per_hour": 20, "per_day": 100}
    assert levers["survival"]["uploads_queued"] and levers["survival"]["jobs_paused"]
    assert levers["saver"]["max_derivative_px"] == 1280 and levers["normal"]["max_derivative_px"] is None
    assert levers["survival"]["cdn_cache_factor"] == 20
    assert any("queued" in line for line in levers["survival"]["summary"])
    assert any("first day: 100 an hour, 120 a day" in line for line in levers["normal"]["summary"])
    assert not any("first day" in line for line in levers["saver"]["summary"])


def test_queue_shows_its_length_and_filters_by_age(client, run, monkeypatch, mod):
    held_repost(client, run, monkeypatch)
    status, page, _ = call(client, "GET", "/v1/moderation/queue?kind=held&limit=1", token=mod["access_token"])
    assert status == 200 and page["total"] >= 1 and len(page["items"]) == 1
    status, fresh, _ = call(client, "GET", "/v1/moderation/queue?kind=held&min_age_hours=0", token=mod["access_token"])
    assert fresh["total"] == page["total"]
    status, old, _ = call(client, "GET", "/v1/moderation/queue?kind=held&min_age_hours=1", token=mod["access_token"])
    assert status == 200 and old["total"] == 0 and old["items"] == []  # everything here was opened just now
    for bad in ("-1", "x", "9000"):
        status, body, _ = call(client, "GET", f"/v1/moderation/queue?min_age_hours={bad}", token=mod["access_token"])
        assert status == 400 and body["error"]["field"] == "min_age_hours"


def test_item_explains_signals_shows_both_images_and_the_authors_history(client, run, monkeypatch, mod):
    a, b, original, copy, copy_bytes = held_repost(client, run, monkeypatch)
    item = item_for(client, mod, copy, "held")
    status, detail, _ = call(client, "GET", f"/v1/moderation/items/{item['id']}", token=mod["access_token"])
    assert status == 200, detail
    words = " ".join(detail["signals_plain"][0]["sentences"])
    assert "looks like another artist's published work" in words and f"post {original}" in words
    assert "Nudity score" in words and "The AI-detection vendor was not asked: an earlier" in words
    dup = detail["near_duplicates"][0]
    assert dup["kind"] == "repost" and dup["post_id"] == original and dup["author"]["handle"] == a["handle"]
    assert dup["status"] == "published" and 0 <= dup["distance"] <= 7 and dup["expires_in"] == 300
    theirs = requests.get(dup["original_url"], timeout=10)
    ours = requests.get(detail["original_url"], timeout=10)
    assert theirs.status_code == 200 and ours.status_code == 200 and ours.content == copy_bytes
    assert theirs.content != ours.content
    author = detail["author"]
    assert author["id"] == b["id"] and author["handle"] == b["handle"] and author["created_at"]
    assert author["recent_posts"] == []  # the held post itself is not its own history
    # The author's other work (any status) is their history; other artists' posts never are.
    later = create_and_upload(client, b["access_token"], encode(artwork()), "image/jpeg")
    run()
    status, again, _ = call(client, "GET", f"/v1/moderation/items/{item['id']}", token=mod["access_token"])
    assert [(p["id"], p["status"]) for p in again["author"]["recent_posts"]] == [(later, "published")]
    assert again["author"]["recent_status_counts"] == {"published": 1}


def test_the_author_sees_the_moderators_note_on_an_approved_post(client, run, monkeypatch, mod):
    _, b, _, copy, _ = held_repost(client, run, monkeypatch)
    item = item_for(client, mod, copy, "held")
    status, body, _ = decide(client, mod, item["id"], "approve", note="Licensed from the original artist.")
    assert status == 200, body
    run()
    post = get_post(client, copy, b["access_token"])
    assert post["status"] == "published"
    approval = post["screening"]["moderation"][-1]  # what the web app's post page shows the author
    assert approval["note"] == "Licensed from the original artist." and approval["decision"] == "approve"
    status, public, _ = call(client, "GET", f"/v1/posts/{copy}")
    assert "screening" not in public
