"""The data invariants a load run must leave behind (issue 14), read straight from the table.

Every counter equals the rows it counts (likes, comments, reposts per post; followers,
following, published posts per user), no post is left in a non-final state, no post is
stored twice. This walks the whole table with Scan: an offline check for benchmarks and
tests, never a request path.
"""
from __future__ import annotations

import collections
from typing import Any

FINAL = {"published", "held_for_review", "rejected", "removed", "deleted", "applied", "replaced"}


def scan_all(ddb: Any, table: str) -> list[dict]:
    items: list[dict] = []
    kwargs: dict[str, Any] = {"TableName": table}
    while True:
        page = ddb.scan(**kwargs)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _s(item: dict, name: str) -> str | None:
    value = item.get(name)
    return value.get("S") if value else None


def _n(item: dict, name: str) -> int:
    value = item.get(name)
    return int(value["N"]) if value and "N" in value else 0


def check(items: list[dict], *, post_ids: set[str] | None = None) -> dict[str, Any]:
    """Violations found in a table snapshot (empty lists when all hold), and the totals seen.
    `post_ids`: the posts a client created; each must exist exactly once and be final."""
    likes, comments, reposts = collections.Counter(), collections.Counter(), collections.Counter()
    followers, following, published = collections.Counter(), collections.Counter(), collections.Counter()
    posts: dict[str, dict] = {}
    users: dict[str, dict] = {}
    for item in items:
        pk, sk = _s(item, "pk") or "", _s(item, "sk") or ""
        if pk.startswith("LIKE#"):
            likes[sk] += 1
        elif pk.startswith("REPOST#"):
            reposts[sk] += 1
        elif pk.startswith("COMMENTS#"):
            comments[pk.removeprefix("COMMENTS#")] += 1
        elif pk.startswith("FOLLOW#"):
            following[pk.removeprefix("FOLLOW#")] += 1
            followers[sk] += 1
        elif pk.startswith("POST#") and sk == "POST":
            posts[pk.removeprefix("POST#")] = item
        elif pk.startswith("USER#") and sk == "PROFILE":
            users[pk.removeprefix("USER#")] = item
    for post in posts.values():
        if _s(post, "status") == "published" and not _s(post, "purpose"):
            published[_s(post, "author_id")] += 1
    bad: dict[str, list[str]] = {"counters": [], "not_final": [], "missing_posts": []}
    for post_id, post in posts.items():
        for name, truth in (("likes_count", likes), ("comments_count", comments), ("reposts_count", reposts)):
            if _n(post, name) != truth[post_id]:
                bad["counters"].append(f"post {post_id} {name}={_n(post, name)} but {truth[post_id]} rows")
        if _s(post, "status") not in FINAL:
            bad["not_final"].append(f"post {post_id} is {_s(post, 'status')}")
    for user_id, user in users.items():
        for name, truth in (("followers_count", followers), ("following_count", following),
                            ("posts_count", published)):
            if _n(user, name) != truth[user_id]:
                bad["counters"].append(f"user {user_id} {name}={_n(user, name)} but {truth[user_id]} rows")
    if post_ids is not None:
        bad["missing_posts"] = sorted(p for p in post_ids if p not in posts)
    # A post is keyed by its id, so one id cannot be stored twice; a duplicate would be two
    # ids for one client create, which the load client detects (each create answers one id).
    return {"violations": bad, "totals": {
        "posts": len(posts), "users": len(users), "likes": sum(likes.values()), "comments": sum(comments.values()),
        "reposts": sum(reposts.values()), "follows": sum(following.values())}}
