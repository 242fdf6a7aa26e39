"""Discovery: everyone's published work, without learned ranking — recent work blended with
work whose engagement is rising — served from snapshot pages that a scheduled function builds
off the request path. A read is GetItem(pointer) + BatchGetItem(page, viewer) +
BatchGetItem(posts + the signed-in viewer's like edges); anonymous pages are public and
cacheable at CloudFront.

Also the publish hook (`index_published`) that keeps the recent and tag indexes."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from ulid import ULID

from chalicelib.adapters.social_store import DiscoveryRepository, raw_value
from chalicelib.adapters.store import PostRepository
from chalicelib.adapters.tables import PostItem, iso, utcnow
from chalicelib.adapters.tables_community import LikeItem
from chalicelib.config import Settings
from chalicelib.domain.cursor import decode_cursor, encode_cursor
from chalicelib.observability import logger
from chalicelib.services.posts import post_view
from chalicelib.services.tokens import Principal

MATURE = "mature"
PAGE_SIZE = 20
SNAPSHOT_DAYS = 7  # how far back recent work is considered
PER_DAY = 300  # newest posts read per day bucket (one Query each, keys only)
MAX_POSTS = 400  # posts in one snapshot (20 pages)
TRENDING_EVERY = 3  # every third slot goes to rising work (R, R, T, R, R, T, ...)


def day_bucket(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d")


def engagement_score(raw: dict, now: datetime) -> float:
    """(likes + 2·comments + 3·reposts) / (age_hours + 2)^1.5 — a decayed score in the
    style of Hacker News' gravity: new engagement outweighs old. Counters are read from the
    raw item (0 when the interactions feature has not written them yet)."""
    likes = raw_value(raw, "likes_count", 0) or 0
    comments = raw_value(raw, "comments_count", 0) or 0
    reposts = raw_value(raw, "reposts_count", 0) or 0
    engagement = likes + 2 * comments + 3 * reposts
    if engagement <= 0:
        return 0.0
    published = raw_value(raw, "decided_at") or raw_value(raw, "created_at")
    try:
        age_h = max(0.0, (now - datetime.fromisoformat(str(published).replace("Z", "+00:00"))).total_seconds() / 3600)
    except ValueError:
        age_h = 0.0
    return engagement / (age_h + 2) ** 1.5


def blend(recent: list[str], trending: list[str], limit: int) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    r = t = 0
    while len(out) < limit and (r < len(recent) or t < len(trending)):
        take_trending = (len(out) + 1) % TRENDING_EVERY == 0 and t < len(trending)
        if take_trending or r >= len(recent):
            pid, t = trending[t], t + 1
        else:
            pid, r = recent[r], r + 1
        if pid not in seen:
            seen.add(pid)
            out.append(pid)
    return out


def show_mature_of(user_raw: dict | None) -> bool:
    # `show_mature` is added to the user profile by the profiles work; absent = not opted in.
    return bool(raw_value(user_raw, "show_mature", False))


def like_keys(viewer_id: str | None, post_ids: list[str]) -> list[tuple[str, str]]:
    """The signed-in viewer's like edges for a page: extra keys for the page's BatchGetItem
    (data-model pattern 20); none for anonymous viewers."""
    return [LikeItem.key(viewer_id, pid) for pid in post_ids] if viewer_id else []


def listing_view(post: PostItem, *, viewer_id: str | None, show_mature: bool, media_base: str,
                 found: dict | None = None) -> dict | None:
    """A post in a public listing (discover, tags) with the mature rule applied: hidden from
    anonymous viewers, `blurred` for signed-in viewers who have not opted in. `found` holds the
    extra items of the page's BatchGetItem (the viewer's like edges): signed-in items carry
    `liked_by_me`, anonymous ones have no such field."""
    if post.status != "published":
        return None
    mature = MATURE in (post.labels or [])
    if mature and viewer_id is None:
        return None
    liked = (LikeItem.key(viewer_id, post.post_id) in (found or {})) if viewer_id else None
    view = post_view(post, viewer_id=viewer_id, media_base=media_base, liked_by_me=liked)
    view["mature"] = mature
    view["blurred"] = mature and not show_mature
    return view


class DiscoveryService:
    def __init__(self, repo: DiscoveryRepository, posts: PostRepository, settings: Settings,
                 cursor_key: Callable[[], bytes]) -> None:
        self.repo = repo
        self.posts = posts
        self.settings = settings
        self.cursor_key = cursor_key

    # -- off the request path ---------------------------------------------------------------------
    def build_snapshot(self, now: datetime | None = None) -> dict[str, Any]:
        now = now or utcnow()
        ids: list[str] = []
        for back in range(SNAPSHOT_DAYS):
            ids += self.repo.recent_post_ids(day_bucket(now - timedelta(days=back)), limit=PER_DAY)
        raw = self.repo.raw_posts(ids)
        live = {pid: item for pid, item in raw.items() if raw_value(item, "status") == "published"}
        recent = sorted(live, reverse=True)  # ULIDs: newest first
        scored = sorted(((engagement_score(item, now), pid) for pid, item in live.items()), reverse=True)
        trending = [pid for score, pid in scored if score > 0]
        ordered = blend(recent, trending, MAX_POSTS)
        pages = [ordered[i:i + PAGE_SIZE] for i in range(0, len(ordered), PAGE_SIZE)] or [[]]
        snapshot_id = str(ULID())
        self.repo.write_snapshot(snapshot_id, pages, iso(now))
        logger.info("discovery snapshot built", snapshot_id=snapshot_id, posts=len(ordered),
                    trending=len(trending), pages=len(pages))
        return {"snapshot_id": snapshot_id, "posts": len(ordered), "pages": len(pages)}

    # -- the request path ---------------------------------------------------------------------------
    def discover(self, viewer: Principal | None, *, cursor: str | None) -> dict:
        position = decode_cursor(self.cursor_key(), "discover", cursor)
        if position:
            snapshot_id, page = str(position.get("s")), int(position.get("p", 1))
            pages = int(position.get("n", page))
        else:
            pointer = self.repo.current_snapshot()
            if pointer is None:
                return {"items": [], "next_cursor": None}
            snapshot_id, page, pages = pointer.snapshot_id, 1, int(pointer.pages)
        viewer_id = viewer.user_id if viewer else None
        post_ids, user_raw = self.repo.page_and_viewer(snapshot_id, page, viewer_id)
        if post_ids is None:  # the snapshot this cursor started on has expired
            return {"items": [], "next_cursor": None}
        # The viewer's like edges ride in the posts' BatchGetItem (the page ids are only known now).
        posts, found = self.posts.batch_get(post_ids, like_keys(viewer_id, post_ids))
        show = show_mature_of(user_raw)
        items = [v for v in (listing_view(posts[p], viewer_id=viewer_id, show_mature=show,
                                          media_base=self.settings.media_base_url, found=found)
                             for p in post_ids if p in posts) if v is not None]
        next_cursor = encode_cursor(self.cursor_key(), "discover", {"s": snapshot_id, "p": page + 1, "n": pages}) \
            if page < pages else None
        return {"items": items, "next_cursor": next_cursor}


def index_published(post: PostItem, repo: DiscoveryRepository | None = None) -> None:
    """The publish hook: called by the upload handler right after a post is published.
    Idempotent keys (a redelivery rewrites the same index items)."""
    (repo or DiscoveryRepository()).index_published(post_id=post.post_id, author_id=post.author_id,
                                                    tags=list(post.tags or []), day=day_bucket(utcnow()))
