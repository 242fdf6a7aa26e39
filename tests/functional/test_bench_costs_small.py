"""The cost benchmark, small: its own platform (moto + API + worker on free ports, in a
subprocess so it cannot disturb this session's endpoint), a few users, the guard taken to
survival and back. Checks the shape and the invariants of the projection, not the figures."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(150)
def test_small_benchmark_projects_bills_and_shows_the_guard_holding_spend():
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_costs.py"), "--small", "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=140)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = json.loads(proc.stdout)
    assert r["seconds"] < 90
    per = r["per_invocation"]
    for feature in ("GET /v1/feed", "GET /v1/posts/{post_id}", "POST /v1/users/{handle}/follow",
                    "POST /v1/posts", "handle_uploads"):
        # the meter folds a warm container's invocations into one write (METER_FLUSH_EVERY)
        assert per[feature]["n"] == 1 and 0 < per[feature]["mw"] < 0.5, feature
    assert per["POST /v1/users/{handle}/follow"]["wru"] == 9  # edge + counters + notification: see test_metering
    assert r["media"]["thumb_bytes"] < r["media"]["large_bytes"]
    bills = [r["projections"][k] for k in ("100000", "1000000", "10000000")]
    assert bills[0]["total_usd"] < bills[1]["total_usd"] < bills[2]["total_usd"]
    for bill in bills:
        assert bill["cdn_floor_usd"] <= bill["services"]["cloudfront"] + 1e-6
        assert 0 < bill["meter_share"] < 0.05  # the meter costs a small fraction of the bill
        assert not bill["not_measured"]
    for surge in r["surge"].values():
        assert surge["baseline_week_usd"] < surge["guard_on_usd"] < surge["guard_off_usd"]
    g = r["guard"]
    assert g["level_during_surge"] == "survival" and g["level_after"] == "normal" and g["feed_ok"]
    assert g["surge_posts_queued"] == g["resumed"] == 2
    assert "s-maxage=1200" in g["public_cache_control_in_survival"]
    assert r["report"]["total_usd"] > 0 and r["report"]["mau"] >= 6
