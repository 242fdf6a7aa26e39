"""Likes, comments, reposts (and their background fan-out), blocks and mutes."""
from __future__ import annotations

from typing import Any, Callable

from ulid import ULID

from chalicelib.adapters.community_aws import EventQueue
from chalicelib.adapters.community_store import (
    FeedEntryRepository, InteractionRepository, RelationRepository,
)
from chalicelib.adapters.feed_state_store import FeedStateRepository
from chalicelib.adapters.store import GraphRepository, PostRepository, UserRepository
from chalicelib.adapters.tables import PostItem, UserItem, iso, utcnow
from chalicelib.adapters.tables_community import CommentItem, LikeItem
from chalicelib.config import Settings
from chalicelib.domain import validation as v
from chalicelib.domain.cursor import decode_cursor, encode_cursor
from chalicelib.errors import Forbidden, NotFound, ValidationError
from chalicelib.observability import logger
from chalicelib.services.posts import post_view
from chalicelib.services.tokens import Principal

MAX_COMMENT = 2000
REPOST_FANOUT = "repost_fanout"  # message type on the upload queue, dispatched by app.handle_uploads

Notify = Callable[..., object]


class InteractionService:
    def __init__(self, posts: PostRepository, users: UserRepository, graph: GraphRepository,
                 interactions: InteractionRepository, relations: RelationRepository,
                 entries: FeedEntryRepository, queue: EventQueue, notify: Notify, settings: Settings,
                 cursor_key: Callable[[], bytes], feed_state: FeedStateRepository | None = None) -> None:
        self.posts = posts
        self.users = users
        self.graph = graph
        self.interactions = interactions
        self.relations = relations
        self.entries = entries
        self.queue = queue
        self.notify = notify
        self.settings = settings
        self.cursor_key = cursor_key
        self.feed_state = feed_state or FeedStateRepository()

    # -- helpers -----------------------------------------------------------------------------
    def _user_by_handle(self, handle: str) -> UserItem:
        return self.users.require_by_handle(handle)

    def _visible_post(self, post_id: str, viewer_id: str | None) -> PostItem:
        """A post the viewer may see: published (or their own), not deleted, and its author has
        not blocked the viewer."""
        post = self.posts.get(post_id) if 0 < len(post_id) <= 40 else None
        if post is None or post.status == "deleted" or (post.status != "published" and post.author_id != viewer_id):
            raise NotFound("No such post.")
        if viewer_id and viewer_id != post.author_id and self.relations.has_blocked(post.author_id, viewer_id):
            raise NotFound("No such post.")
        return post

    def _interactable(self, principal: Principal, post_id: str) -> PostItem:
        """A published post the principal may like, comment on or repost: hidden (404) when its
        author blocked them, refused (403 `blocked`) when they blocked its author."""
        post = self.posts.get(post_id) if 0 < len(post_id) <= 40 else None
        if post is None or post.status != "published":
            raise NotFound("No such post.")
        if post.author_id != principal.user_id:
            i_blocked, blocked_me = self.relations.blocks_between(principal.user_id, post.author_id)
            if blocked_me:
                raise NotFound("No such post.")
            if i_blocked:
                raise Forbidden("You blocked this artist; unblock them to interact.", code="blocked")
        return post

    def _counts(self, post_id: str) -> dict:
        post = self.posts.get(post_id, consistent=True)
        return {"likes_count": max(0, int(post.likes_count or 0)) if post else 0,
                "comments_count": max(0, int(post.comments_count or 0)) if post else 0,
                "reposts_count": max(0, int(post.reposts_count or 0)) if post else 0}

    # -- likes -------------------------------------------------------------------------------
    def like(self, principal: Principal, post_id: str) -> dict:
        post = self._interactable(principal, post_id)
        if self.interactions.like(principal.user_id, post_id, str(ULID()), iso(utcnow())):
            self.notify(post.author_id, "like", principal.user_id, post_id=post_id)
        self.feed_state.set_liked(principal.user_id, post_id, True)  # the flag on my feed entry, if any
        return {"liked": True, **self._counts(post_id)}

    def unlike(self, principal: Principal, post_id: str) -> dict:
        if not 0 < len(post_id) <= 40:
            raise NotFound("No such post.")
        self.interactions.unlike(principal.user_id, post_id)
        self.feed_state.set_liked(principal.user_id, post_id, False)
        return {"liked": False, **self._counts(post_id)}

    def likes_tab(self, handle: str, viewer: Principal | None, *, limit_raw: str | None,
                  cursor: str | None) -> dict:
        """The posts a user liked, newest like first. Hidden likes answer 403 `likes_hidden`
        to everyone but the user (so clients can say why the tab is empty)."""
        user = self._user_by_handle(handle)
        viewer_id = viewer.user_id if viewer else None
        if user.hide_likes and viewer_id != user.user_id:
            raise Forbidden("This artist keeps their likes private.", code="likes_hidden")
        limit = v.page_limit(limit_raw, self.settings.page_limit_default, self.settings.page_limit_max)
        scope = f"likes:{user.user_id}"
        position = decode_cursor(self.cursor_key(), scope, cursor)
        ids, last = self.interactions.list_liked_post_ids(user.user_id, limit=limit,
                                                          after=position.get("after") if position else None)
        extra = [LikeItem.key(viewer_id, i) for i in ids] if viewer_id else []
        posts, found = self.posts.batch_get(ids, extra)
        items = [post_view(posts[i], viewer_id=viewer_id, media_base=self.settings.media_base_url,
                           liked_by_me=(LikeItem.key(viewer_id, i) in found) if viewer_id else None)
                 for i in ids if i in posts and posts[i].status == "published"]
        return {"items": items,
                "next_cursor": encode_cursor(self.cursor_key(), scope, {"after": last}) if last else None}

    # -- comments ----------------------------------------------------------------------------
    def comment(self, principal: Principal, post_id: str, body: Any) -> dict:
        body = v.require_object(body)
        text = v.string(body, "text", max_length=MAX_COMMENT, min_length=1)
        assert text is not None
        post = self._interactable(principal, post_id)
        comment_id = str(ULID())
        item = CommentItem(*CommentItem.key(post_id, comment_id), comment_id=comment_id, post_id=post_id,
                           author_id=principal.user_id, author_handle=principal.handle, text=text,
                           created_at=iso(utcnow()))
        self.interactions.add_comment(item)
        self.notify(post.author_id, "comment", principal.user_id, post_id=post_id,
                    data={"comment_id": comment_id, "excerpt": text[:140]})
        return _comment_view(item)

    def comments(self, post_id: str, viewer: Principal | None, *, limit_raw: str | None,
                 cursor: str | None) -> dict:
        self._visible_post(post_id, viewer.user_id if viewer else None)
        limit = v.page_limit(limit_raw, self.settings.page_limit_default, self.settings.page_limit_max)
        scope = f"comments:{post_id}"
        position = decode_cursor(self.cursor_key(), scope, cursor)
        items, last = self.interactions.list_comments(post_id, limit=limit,
                                                      after=position.get("after") if position else None)
        return {"items": [_comment_view(c) for c in items],
                "next_cursor": encode_cursor(self.cursor_key(), scope, {"after": last}) if last else None}

    def delete_comment(self, principal: Principal, post_id: str, comment_id: str) -> dict:
        """Your own comment, or any comment on your own post."""
        if not (0 < len(post_id) <= 40 and 0 < len(comment_id) <= 40):
            raise NotFound("No such comment.")
        comment = self.interactions.get_comment(post_id, comment_id)
        if comment is None:
            raise NotFound("No such comment.")
        if comment.author_id != principal.user_id:
            post = self.posts.get(post_id)
            if post is None or post.author_id != principal.user_id:
                raise Forbidden("Only the comment's author or the post's author can delete it.",
                                code="not_allowed")
        self.interactions.delete_comment(post_id, comment_id)
        return {"id": comment_id, "deleted": True}

    # -- reposts -----------------------------------------------------------------------------
    def repost(self, principal: Principal, post_id: str) -> dict:
        post = self._interactable(principal, post_id)
        if post.author_id == principal.user_id:
            raise ValidationError("You cannot repost your own post.", field="post_id", code="cannot_repost_own")
        repost_id = str(ULID())
        if self.interactions.repost(principal.user_id, post_id, repost_id, iso(utcnow())):
            # O(followers) work happens in the queue handler, never in this request.
            self.queue.send({"type": REPOST_FANOUT, "user_id": principal.user_id, "post_id": post_id,
                             "repost_id": repost_id})
            self.notify(post.author_id, "repost", principal.user_id, post_id=post_id)
        return {"reposted": True, **self._counts(post_id)}

    def unrepost(self, principal: Principal, post_id: str) -> dict:
        if not 0 < len(post_id) <= 40:
            raise NotFound("No such post.")
        # Feed entries of the repost are dropped at read time (the repost edge is gone).
        self.interactions.unrepost(principal.user_id, post_id)
        return {"reposted": False, **self._counts(post_id)}

    # -- background jobs (the upload queue handler dispatches by message type) -----------------
    def handle_job(self, message: dict) -> str | None:
        """Returns the outcome for a known job type, None for any other message."""
        if message.get("type") != REPOST_FANOUT:
            return None
        user_id, post_id, repost_id = (message.get("user_id"), message.get("post_id"), message.get("repost_id"))
        if not all(isinstance(x, str) and 0 < len(x) <= 40 for x in (user_id, post_id, repost_id)):
            logger.warning("malformed repost job", job=message)
            return "skipped:malformed"
        edge = self.interactions.get_repost(user_id, post_id)
        if edge is None or edge.repost_id != repost_id:
            return "skipped:undone"
        post = self.posts.get(post_id, consistent=True)
        reposter = self.users.get(user_id)
        if post is None or post.status != "published" or reposter is None:
            return "skipped:gone"
        followers = (f for f in self.graph.iter_follower_ids(user_id) if f != post.author_id)
        written = self.entries.add_repost_to_feeds(
            followers, repost_id=repost_id, post_id=post_id, author_id=post.author_id, reposter_id=user_id,
            reposter_handle=reposter.handle, ttl_days=self.settings.feed_ttl_days)
        logger.info("repost fan-out done", post_id=post_id, reposter=user_id, followers=written)
        return "repost_fanned_out"


def _comment_view(c: CommentItem) -> dict:
    return {"id": c.comment_id, "post_id": c.post_id, "author": {"id": c.author_id, "handle": c.author_handle},
            "text": c.text, "created_at": c.created_at}


class RelationService:
    """Blocks and mutes. A block removes follows both ways; a mute hides silently."""

    def __init__(self, users: UserRepository, relations: RelationRepository,
                 feed_state: FeedStateRepository | None = None) -> None:
        self.users = users
        self.relations = relations
        self.feed_state = feed_state or FeedStateRepository()

    def _target(self, principal: Principal, handle: str) -> UserItem:
        try:
            normalised = v.handle(handle)
        except ValidationError:
            raise NotFound("No such user.") from None
        user = self.users.get_by_handle(normalised)
        if user is None:
            raise NotFound("No such user.")
        if user.user_id == principal.user_id:
            raise ValidationError("You cannot do that to yourself.", field="handle", code="cannot_target_self")
        return user

    def block(self, principal: Principal, handle: str) -> dict:
        target = self._target(principal, handle)
        self.relations.block(principal.user_id, target.user_id, iso(utcnow()))
        # The block removed follows both ways: both feeds drop the other's fanned-out entries.
        self.feed_state.set_unfollowed(principal.user_id, target.user_id, True)
        self.feed_state.set_unfollowed(target.user_id, principal.user_id, True)
        return {"blocked": True, "user": {"id": target.user_id, "handle": target.handle}}

    def unblock(self, principal: Principal, handle: str) -> dict:
        target = self._target(principal, handle)
        self.relations.unblock(principal.user_id, target.user_id)
        return {"blocked": False, "user": {"id": target.user_id, "handle": target.handle}}

    def mute(self, principal: Principal, handle: str) -> dict:
        target = self._target(principal, handle)
        self.relations.mute(principal.user_id, target.user_id, iso(utcnow()))
        self.feed_state.set_muted(principal.user_id, target.user_id, True)
        return {"muted": True, "user": {"id": target.user_id, "handle": target.handle}}

    def unmute(self, principal: Principal, handle: str) -> dict:
        target = self._target(principal, handle)
        self.relations.unmute(principal.user_id, target.user_id)
        self.feed_state.set_muted(principal.user_id, target.user_id, False)
        return {"muted": False, "user": {"id": target.user_id, "handle": target.handle}}
