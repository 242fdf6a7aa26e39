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


@pytest.mark.timeout(280)
def test_small_benchmark_projects_bills_and_shows_the_guard_holding_spend():
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_costs.py"), "--small", "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=270)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = json.loads(proc.stdout)
    assert r["seconds"] < 240  # a sanity bound (~40 s idle; real images, AVIF, a meter flush per phase)
    per = r["per_invocation"]
    for feature in ("GET /v1/feed", "GET /v1/posts/{post_id}", "POST /v1/users/{handle}/follow", "POST /v1/posts"):
        # the API folds a warm environment's invocations into one meter write (METER_FLUSH_EVERY):
        # fewer writes than invocations. Not tighter: the local API is a pool of 4 environments
        # (issue 19), each flushing its own batch at every phase's end, and the small run makes
        # only a few calls of some features (POST /v1/posts measured 0.5 with the pool).
        assert per[feature]["n"] == 1 and 0 < per[feature]["mw"] < 1, feature
    # the worker writes its batch whenever its queue is idle: at most one write per invocation
    assert per["handle_uploads"]["n"] == 1 and 0 < per["handle_uploads"]["mw"] <= 1
    assert per["GET /v1/feed"]["rru"] < 5  # the viewer's feed state instead of per-entry edges
    assert r["media"]["distribution"] and r["vendor_policy"]["share"] <= 0.2
    assert all(b["services"]["api_gateway"] == 0 for b in r["projections"].values())  # the function URL door
    assert per["POST /v1/users/{handle}/follow"]["wru"] == 7  # edge + counters + notification + feed state: test_metering
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
