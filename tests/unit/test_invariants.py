"""The load benchmark's invariant checker (bench/invariants.py) on hand-made table rows: it
finds a counter that disagrees with its rows and a post left processing, and passes a
consistent table. (The benchmark itself is `make bench-load`, not part of the suite.)"""
from __future__ import annotations

from bench.invariants import check


def S(v: str) -> dict:
    return {"S": v}


def N(v: int) -> dict:
    return {"N": str(v)}


def _table(likes_count: int, status: str = "published") -> list[dict]:
    return [
        {"pk": S("USER#a"), "sk": S("PROFILE"), "followers_count": N(1), "following_count": N(0), "posts_count": N(1)},
        {"pk": S("USER#b"), "sk": S("PROFILE"), "followers_count": N(0), "following_count": N(1), "posts_count": N(0)},
        {"pk": S("POST#p1"), "sk": S("POST"), "author_id": S("a"), "status": S(status), "likes_count": N(likes_count)},
        {"pk": S("LIKE#b"), "sk": S("p1")},
        {"pk": S("FOLLOW#b"), "sk": S("a")},
    ]


def test_a_consistent_table_passes() -> None:
    result = check(_table(1), post_ids={"p1"})
    assert result["violations"] == {"counters": [], "not_final": [], "missing_posts": []}
    assert result["totals"]["likes"] == 1 and result["totals"]["follows"] == 1


def test_a_drifted_counter_a_stuck_upload_and_a_lost_post_are_found() -> None:
    result = check(_table(2, status="processing"), post_ids={"p1", "p2"})
    assert result["violations"]["counters"] == ["post p1 likes_count=2 but 1 rows",
                                                "user a posts_count=1 but 0 rows"]
    assert result["violations"]["not_final"] == ["post p1 is processing"]
    assert result["violations"]["missing_posts"] == ["p2"]
