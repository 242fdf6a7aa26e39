"""Profiles, the follow graph, the home feed and portfolios."""
from __future__ import annotations

import time
from typing import Callable

from chalicelib.adapters.community_store import FeedEntryRepository, RelationRepository
from chalicelib.adapters.feed_state_store import FeedStateItem, FeedStateRepository, parse_state
from chalicelib.adapters.store import FeedRepository, GraphRepository, PostRepository, UserRepository
from chalicelib.adapters.tables import FollowItem, UserItem
from chalicelib.adapters.tables_community import BlockItem, LikeItem, RepostItem
from chalicelib.config import Settings, get_settings
from chalicelib.domain import validation as v
from chalicelib.domain.cursor import decode_cursor, encode_cursor
from chalicelib.errors import Forbidden, NotFound, Unavailable, ValidationError
from chalicelib.services.posts import post_view
from chalicelib.services.profile_media import profile_image_view
from chalicelib.services.tokens import Principal

# A new follow copies this many recent posts into the follower's feed (one Query + one
# BatchWriteItem, bounded), so a new follow shows work at once.
BACKFILL_POSTS = 10
# Large accounts (more than FANOUT_LIMIT followers) are not fanned out; a follower's feed
# merges their portfolios at read time. A user's set of followed large accounts is bounded.
MAX_FOLLOWS_LARGE = 100
RECOUNT_FOLLOWS_JOB = "recount_follows"  # background job: fold a user's follow counters from the edges
LARGE_FOLLOWERS_JOB = "large_account_followers"  # background job: one walk over the followers


def profile_view(user: UserItem) -> dict:
    media_base = get_settings().media_base_url
    return {"id": user.user_id, "handle": user.handle, "display_name": user.display_name or user.handle,
            "bio": user.bio or "", "links": list(user.links or []), "open_to_work": bool(user.open_to_work),
            "followers_count": int(user.followers_count or 0),
            "following_count": int(user.following_count or 0), "posts_count": int(user.posts_count or 0),
            "avatar": profile_image_view(user.avatar, media_base),
            "banner": profile_image_view(user.banner, media_base)}


class SocialService:
    def __init__(self, users: UserRepository, graph: GraphRepository, feeds: FeedRepository,
                 posts: PostRepository, settings: Settings, cursor_key: Callable[[], bytes], *,
                 relations: RelationRepository | None = None, entries: FeedEntryRepository | None = None,
                 on_follow: Callable[[str, str], object] | None = None,
                 enqueue: Callable[[dict], object] | None = None,
                 feed_state: FeedStateRepository | None = None) -> None:
        self.users = users
        self.graph = graph
        self.feeds = feeds
        self.posts = posts
        self.settings = settings
        self.cursor_key = cursor_key
        self.relations = relations or RelationRepository()
        self.entries = entries or FeedEntryRepository()
        self.on_follow = on_follow  # (follower_id, followee_id) after a new follow: notifications
        self.enqueue = enqueue  # background jobs on the upload queue (large-account walk)
        self.feed_state = feed_state or FeedStateRepository()

    def _user_by_handle(self, handle: str) -> UserItem:
        return self.users.require_by_handle(handle)

    def profile(self, handle: str, viewer: Principal | None = None) -> dict:
        user = self._user_by_handle(handle)
        view = profile_view(user)
        if viewer is not None:
            view["followed_by_me"] = viewer.user_id != user.user_id and self.graph.is_following(viewer.user_id, user.user_id)
        return view

    def follow(self, principal: Principal, handle: str) -> dict:
        target = self._user_by_handle(handle)
        if target.user_id == principal.user_id:
            raise ValidationError("You cannot follow yourself.", field="handle", code="cannot_follow_self")
        if self.relations.blocked_either_way(principal.user_id, target.user_id):
            raise Forbidden("You cannot follow this account.", code="blocked")
        if self.graph.follow(principal.user_id, target.user_id):
            self.feed_state.set_unfollowed(principal.user_id, target.user_id, False)
            if self.on_follow is not None:
                self.on_follow(principal.user_id, target.user_id)
            large = bool(target.large_account or target.large_pending)
            if int(target.followers_count or 0) + 1 > self.settings.fanout_limit and not large:
                # One background walk adds the account to its existing followers' sets (O(followers)
                # once, never per post or request); its posts fan out until the walk has finished
                # and marks it large. Only the request that flips the flag enqueues the walk.
                if self.users.mark_large_pending(target.user_id) and self.enqueue is not None:
                    try:
                        self.enqueue({"type": LARGE_FOLLOWERS_JOB, "user_id": target.user_id})
                    except Exception:
                        self.users.clear_large_pending(target.user_id)  # the next follow retries
                        raise
                large = True
            if large:
                self.graph.set_follows_large(principal.user_id, target.user_id, True)
            ids, _ = self.posts.list_portfolio_ids(target.user_id, limit=BACKFILL_POSTS, after=None)
            for post_id in ids:
                self.feeds.add_to_feeds([principal.user_id], post_id, target.user_id, self.settings.feed_ttl_days)
        return {"following": True, "user": profile_view(self.users.get(target.user_id) or target)}

    def unfollow(self, principal: Principal, handle: str) -> dict:
        target = self._user_by_handle(handle)
        if target.user_id == principal.user_id:  # as follow: one transaction cannot update one item twice
            raise ValidationError("You cannot unfollow yourself.", field="handle", code="cannot_follow_self")
        try:
            self.graph.unfollow(principal.user_id, target.user_id)
        except Unavailable:
            # The edge may be gone with a counter not yet decremented: fold both users' counters
            # from the edges in the background (idempotent), then give the client its 503.
            if self.enqueue is not None:
                for user_id in (principal.user_id, target.user_id):
                    self.enqueue({"type": RECOUNT_FOLLOWS_JOB, "user_id": user_id})
            raise
        # Before or after the edge, a failure leaves the next attempt to finish: feed pages drop
        # the author's fanned-out entries once the id is in the viewer's `unfollowed` set.
        self.feed_state.set_unfollowed(principal.user_id, target.user_id, True)
        if target.large_account or target.large_pending:
            self.graph.set_follows_large(principal.user_id, target.user_id, False)
        # Feed entries of the unfollowed artist are filtered at read time (the follow edge is
        # fetched in the same BatchGetItem as the posts), so nothing O(posts) happens here.
        return {"following": False, "user": profile_view(self.users.get(target.user_id) or target)}

    def feed(self, principal: Principal, *, limit_raw: str | None, cursor: str | None) -> dict:
        """One Query of `FEED#<me>`, the viewer's item (large accounts) and one BatchGetItem of
        the page's posts plus the viewer's feed state (mutes, unfollows: one small item).
        Entries of the publication fan-out carry the viewer's like (`liked`); for the others
        (backfill, reposts, older entries) the follow and like edges are in the same
        BatchGetItem, and for reposts the repost edge and blocks with the original author.
        Everything stale is dropped here, at read time (docs/feeds.md, "Read units")."""
        me = principal.user_id
        limit = v.page_limit(limit_raw, self.settings.page_limit_default, self.settings.page_limit_max)
        scope = f"feed:{me}"
        position = decode_cursor(self.cursor_key(), scope, cursor)
        after = position.get("after") if position else None
        entries, last = self.entries.list_entries(me, limit=limit, after=after)
        entries, last = self._merge_large_accounts(me, entries, last, limit=limit, after=after)
        post_ids = list(dict.fromkeys(e["post_id"] for e in entries))
        state_key = FeedStateItem.key(me)
        keys = [state_key]
        for e in entries:
            if e.get("v2"):
                continue
            keys += [FollowItem.key(me, e["reposted_by"] or e["author_id"]), LikeItem.key(me, e["post_id"])]
            if e["reposted_by"]:
                keys += [RepostItem.key(e["reposted_by"], e["post_id"]), BlockItem.key(e["author_id"], me),
                         BlockItem.key(me, e["author_id"])]
        posts, extra = self.posts.batch_get(post_ids, keys)
        state = parse_state(extra.get(state_key))
        muted, unfollowed = state if state is not None else self.feed_state.build(me)
        items: list[dict] = []
        seen: set[str] = set()
        for e in entries:
            pid, author, reposter = e["post_id"], e["author_id"], e["reposted_by"]
            post = posts.get(pid)
            if post is None or post.status != "published" or pid in seen:
                continue
            if author in muted or (reposter and reposter in muted):
                continue
            if e.get("v2"):
                if author in unfollowed:
                    continue
                liked = bool(e.get("liked"))
            else:
                if FollowItem.key(me, reposter or author) not in extra:
                    continue
                liked = LikeItem.key(me, pid) in extra
            if reposter:
                edge = extra.get(RepostItem.key(reposter, pid))
                if edge is None or edge.get("repost_id", {}).get("S") != e["sk"] or \
                        BlockItem.key(author, me) in extra or BlockItem.key(me, author) in extra:
                    continue
            view = post_view(post, viewer_id=me, media_base=self.settings.media_base_url, liked_by_me=liked)
            if reposter:
                view["reposted_by"] = {"id": reposter, "handle": e["reposted_by_handle"]}
            seen.add(pid)
            items.append(view)
        next_cursor = encode_cursor(self.cursor_key(), scope, {"after": last}) if last else None
        return {"items": items, "next_cursor": next_cursor}

    def _merge_large_accounts(self, me: str, entries: list[dict], last: str | None, *, limit: int,
                              after: str | None) -> tuple[list[dict], str | None]:
        """Merge on read: the portfolios of the large accounts the viewer follows, below the same
        cursor, merged with the feed entries by ULID (post ids and repost ids both sort by time,
        so one position pages every source). Costs one GetItem (the viewer's set) plus one
        keys-only Query per followed large account; nothing when the viewer follows none."""
        viewer = self.users.get(me)
        large = sorted(viewer.follows_large or [])[:MAX_FOLLOWS_LARGE] if viewer else []
        if not large:
            return entries, last
        pages, more = self.posts.latest_portfolio_ids_of(large, limit=limit, after=after)
        merged = {e["sk"]: e for e in entries}
        for author_id, ids in pages.items():
            for pid in ids:
                merged.setdefault(pid, {"sk": pid, "post_id": pid, "author_id": author_id, "reposted_by": None,
                                        "reposted_by_handle": None})
        ordered = sorted(merged.values(), key=lambda e: e["sk"], reverse=True)
        page = ordered[:limit]
        has_more = last is not None or more or len(ordered) > limit
        return page, (page[-1]["sk"] if has_more and page else None)

    def handle_job(self, message: dict, *, budget_s: float | None = None) -> str | None:
        """`large_account_followers`: add a just-large account to every follower's set, in
        follower-id order; when the time budget runs out the job re-enqueues itself with its
        position (`after`). At the end the account is marked large and stops fanning out."""
        if message.get("type") == RECOUNT_FOLLOWS_JOB:
            user_id = message.get("user_id")
            if not isinstance(user_id, str) or not 0 < len(user_id) <= 40:
                return "skipped:malformed"
            followers, following = self.graph.recount_follows(user_id)
            return f"recount_follows:{followers}:{following}"
        if message.get("type") != LARGE_FOLLOWERS_JOB:
            return None
        user_id, after = message.get("user_id"), message.get("after")
        if not isinstance(user_id, str) or not 0 < len(user_id) <= 40 or \
                (after is not None and (not isinstance(after, str) or len(after) > 40)):
            return "skipped:malformed"
        deadline = time.monotonic() + (budget_s if budget_s is not None else self.settings.job_budget_s)
        done = 0
        for follower_id in self.graph.iter_follower_ids(user_id, after=after):
            self.graph.set_follows_large(follower_id, user_id, True)  # idempotent (a set ADD)
            done += 1
            if time.monotonic() > deadline and self.enqueue is not None:
                self.enqueue({"type": LARGE_FOLLOWERS_JOB, "user_id": user_id, "after": follower_id})
                return f"large_account_followers:continued:{done}"
        self.users.mark_large(user_id)
        return f"large_account_followers:done:{done}"

    def portfolio(self, handle: str, viewer: Principal | None, *, limit_raw: str | None,
                  cursor: str | None) -> dict:
        """The artist's pinned order first (first page only), then newest first. One Query and
        one BatchGetItem (posts, the viewer's likes, and whether the artist blocked the viewer)."""
        limit = v.page_limit(limit_raw, self.settings.page_limit_default, self.settings.page_limit_max)
        user = self._user_by_handle(handle)
        scope = f"portfolio:{user.user_id}"
        position = decode_cursor(self.cursor_key(), scope, cursor)
        ids, last = self.posts.list_portfolio_ids(user.user_id, limit=limit,
                                                  after=position.get("after") if position else None)
        pinned_all = list(user.pinned_post_ids or [])
        pinned = pinned_all if position is None else []
        ids = [i for i in ids if i not in pinned_all]
        viewer_id = viewer.user_id if viewer else None
        all_ids = pinned + ids
        extra_keys = []
        if viewer_id is not None:
            extra_keys = [LikeItem.key(viewer_id, i) for i in all_ids]
            if viewer_id != user.user_id:
                extra_keys.append(BlockItem.key(user.user_id, viewer_id))
        posts, extra = self.posts.batch_get(all_ids, extra_keys)
        if viewer_id is not None and BlockItem.key(user.user_id, viewer_id) in extra and viewer_id != user.user_id:
            raise NotFound("No such user.")
        items = []
        for i in all_ids:
            post = posts.get(i)
            if post is None or post.status != "published" or post.author_id != user.user_id:
                continue
            view = post_view(post, viewer_id=viewer_id, media_base=self.settings.media_base_url,
                             liked_by_me=(LikeItem.key(viewer_id, i) in extra) if viewer_id else None)
            if i in pinned:
                view["pinned"] = True
            items.append(view)
        next_cursor = encode_cursor(self.cursor_key(), scope, {"after": last}) if last else None
        return {"items": items, "next_cursor": next_cursor}
