"""Profiles, the follow graph, the home feed and portfolios."""
from __future__ import annotations

from typing import Callable

from chalicelib.adapters.store import FeedRepository, GraphRepository, PostRepository, UserRepository
from chalicelib.adapters.tables import FollowItem, UserItem
from chalicelib.config import Settings
from chalicelib.domain import validation as v
from chalicelib.domain.cursor import decode_cursor, encode_cursor
from chalicelib.errors import NotFound, ValidationError
from chalicelib.services.posts import post_view
from chalicelib.services.tokens import Principal

# A new follow copies this many recent posts into the follower's feed (one Query + one
# BatchWriteItem, bounded), so a new follow shows work at once.
BACKFILL_POSTS = 10


def profile_view(user: UserItem) -> dict:
    return {"id": user.user_id, "handle": user.handle, "display_name": user.display_name or user.handle,
            "bio": user.bio or "", "followers_count": int(user.followers_count or 0),
            "following_count": int(user.following_count or 0), "posts_count": int(user.posts_count or 0)}


class SocialService:
    def __init__(self, users: UserRepository, graph: GraphRepository, feeds: FeedRepository,
                 posts: PostRepository, settings: Settings, cursor_key: Callable[[], bytes]) -> None:
        self.users = users
        self.graph = graph
        self.feeds = feeds
        self.posts = posts
        self.settings = settings
        self.cursor_key = cursor_key

    def _user_by_handle(self, handle: str) -> UserItem:
        try:
            normalised = v.handle(handle)
        except ValidationError:
            raise NotFound("No such user.") from None
        user = self.users.get_by_handle(normalised)
        if user is None:
            raise NotFound("No such user.")
        return user

    def profile(self, handle: str) -> dict:
        return profile_view(self._user_by_handle(handle))

    def follow(self, principal: Principal, handle: str) -> dict:
        target = self._user_by_handle(handle)
        if target.user_id == principal.user_id:
            raise ValidationError("You cannot follow yourself.", field="handle", code="cannot_follow_self")
        if self.graph.follow(principal.user_id, target.user_id):
            if int(target.followers_count or 0) + 1 > self.settings.fanout_limit and not target.large_account:
                self.users.mark_large(target.user_id)
            ids, _ = self.posts.list_portfolio_ids(target.user_id, limit=BACKFILL_POSTS, after=None)
            for post_id in ids:
                self.feeds.add_to_feeds([principal.user_id], post_id, target.user_id, self.settings.feed_ttl_days)
        return {"following": True, "user": profile_view(self.users.get(target.user_id) or target)}

    def unfollow(self, principal: Principal, handle: str) -> dict:
        target = self._user_by_handle(handle)
        self.graph.unfollow(principal.user_id, target.user_id)
        # Feed entries of the unfollowed artist are filtered at read time (the follow edge is
        # fetched in the same BatchGetItem as the posts), so nothing O(posts) happens here.
        return {"following": False, "user": profile_view(self.users.get(target.user_id) or target)}

    def feed(self, principal: Principal, *, limit_raw: str | None, cursor: str | None) -> dict:
        limit = v.page_limit(limit_raw, self.settings.page_limit_default, self.settings.page_limit_max)
        scope = f"feed:{principal.user_id}"
        position = decode_cursor(self.cursor_key(), scope, cursor)
        after = position.get("after") if position else None
        entries, last = self.feeds.list_feed(principal.user_id, limit=limit, after=after)
        authors = {author for _, author in entries}
        edge_keys = [FollowItem.key(principal.user_id, a) for a in authors]
        posts, extra = self.posts.batch_get([pid for pid, _ in entries], edge_keys)
        followed = {key[1] for key in extra}
        items = [post_view(posts[pid], viewer_id=principal.user_id, media_base=self.settings.media_base_url)
                 for pid, author in entries
                 if pid in posts and posts[pid].status == "published" and author in followed]
        next_cursor = encode_cursor(self.cursor_key(), scope, {"after": last}) if last else None
        return {"items": items, "next_cursor": next_cursor}

    def portfolio(self, handle: str, viewer: Principal | None, *, limit_raw: str | None,
                  cursor: str | None) -> dict:
        limit = v.page_limit(limit_raw, self.settings.page_limit_default, self.settings.page_limit_max)
        user = self._user_by_handle(handle)
        scope = f"portfolio:{user.user_id}"
        position = decode_cursor(self.cursor_key(), scope, cursor)
        ids, last = self.posts.list_portfolio_ids(user.user_id, limit=limit,
                                                  after=position.get("after") if position else None)
        posts, _ = self.posts.batch_get(ids)
        viewer_id = viewer.user_id if viewer else None
        items = [post_view(posts[i], viewer_id=viewer_id, media_base=self.settings.media_base_url)
                 for i in ids if i in posts and posts[i].status == "published"]
        next_cursor = encode_cursor(self.cursor_key(), scope, {"after": last}) if last else None
        return {"items": items, "next_cursor": next_cursor}
