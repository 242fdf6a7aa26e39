"""Repositories of the community features: profiles, post edit/delete, likes, comments,
reposts, blocks, mutes, collections, notifications and repost feed entries.

Like chalicelib/adapters/store.py: the only code touching pynamodb for these entities; every
method is an access pattern of docs/data-model.md; like and repost counters are plain ADDs after
their conditional edge (store.add_counted_edge, "Hot counters"), others change in the same
transaction as their edges; throttling becomes `Unavailable`, conditional failures domain answers.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable

from pynamodb.exceptions import PynamoDBException, TransactWriteError

from chalicelib.adapters.aws import THROTTLING_CODES
from chalicelib.adapters.store import (
    ADDED, GONE, _batch_get_raw, _cancel_codes, _get, add_counted_edge, dynamo_errors, remove_counted_edge, transaction,
)
from chalicelib.adapters.tables import FeedItem, FollowItem, PostItem, UserItem, utcnow
from chalicelib.adapters.tables_community import (
    BlockItem, CollectionItem, CommentItem, LikeItem, MuteItem, NotificationCounterItem,
    NotificationItem, RepostItem,
)
from chalicelib.errors import Conflict, NotFound, Unavailable

_CCF = "ConditionalCheckFailed"


def _tx_failure(exc: TransactWriteError) -> list[str | None]:
    """Cancellation reasons of a conditional cancel; re-raises anything else."""
    codes = _cancel_codes(exc)
    if exc.cause_response_code == "TransactionCanceledException" and _CCF in codes:
        return codes
    if exc.cause_response_code in THROTTLING_CODES or "ThrottlingError" in codes \
            or "TransactionConflict" in codes:
        raise Unavailable() from exc
    raise exc


def _conditional_failed(exc: PynamoDBException) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


def existing_keys(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    """One BatchGetItem of arbitrary edge keys (raw items by key)."""
    return _batch_get_raw(list(keys))


# -- profiles ------------------------------------------------------------------------------
class ProfileRepository:
    @dynamo_errors
    def update(self, user_id: str, values: dict[str, Any]) -> UserItem | None:
        """Only the given attributes change; `None` removes an optional one. Returns the item
        as this write left it (UpdateItem's ALL_NEW: atomic, no second read), or None when
        nothing was to change."""
        actions = []
        for name, value in values.items():
            attr = getattr(UserItem, name)
            actions.append(attr.remove() if value is None else attr.set(value))
        if not actions:
            return None
        item = UserItem(*UserItem.key(user_id))
        item.update(actions=actions, condition=UserItem.pk.exists())
        return item

    @dynamo_errors
    def set_pinned(self, user_id: str, post_ids: list[str]) -> None:
        attr = UserItem.pinned_post_ids
        UserItem(*UserItem.key(user_id)).update(
            actions=[attr.set(post_ids) if post_ids else attr.remove()], condition=UserItem.pk.exists())


# -- post edit / delete ----------------------------------------------------------------------
class PostEditRepository:
    @dynamo_errors
    def edit(self, post: PostItem, values: dict[str, Any], updated_at: str) -> bool:
        actions = [PostItem.updated_at.set(updated_at)]
        for name, value in values.items():
            attr = getattr(PostItem, name)
            actions.append(attr.remove() if value is None else attr.set(value))
        try:
            post.update(actions=actions, condition=(PostItem.author_id == post.author_id)
                        & (PostItem.status != "deleted"))
        except PynamoDBException as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    @dynamo_errors
    def mark_deleted(self, post: PostItem, updated_at: str) -> bool:
        """status -> deleted and out of the portfolio index (gsi1 keys removed); a published
        post also leaves the author's posts_count, in the same transaction."""
        was_published = post.status == "published"
        try:
            with transaction() as tx:
                tx.update(post, actions=[PostItem.status.set("deleted"), PostItem.gsi1pk.remove(),
                                         PostItem.gsi1sk.remove(), PostItem.updated_at.set(updated_at)],
                          condition=PostItem.status == post.status)
                if was_published:
                    tx.update(UserItem(*UserItem.key(post.author_id)), actions=[UserItem.posts_count.add(-1)])
        except TransactWriteError as exc:
            _tx_failure(exc)
            return False
        return True


# -- likes, comments, reposts ----------------------------------------------------------------
class InteractionRepository:
    @staticmethod
    def _counter(post_id: str, attr: Any, delta: int, published_only: bool) -> tuple[PostItem, dict]:
        condition = (PostItem.status == "published") if published_only else PostItem.pk.exists()
        return PostItem(*PostItem.key(post_id)), {"actions": [attr.add(delta)], "condition": condition}

    @dynamo_errors
    def like(self, user_id: str, post_id: str, like_id: str, created_at: str) -> bool:
        """Edge + counter in one transaction. False when already liked; NotFound when the post
        is not published."""
        edge = LikeItem(*LikeItem.key(user_id, post_id), user_id=user_id, post_id=post_id, created_at=created_at)
        edge.gsi1pk, edge.gsi1sk = LikeItem.index_key(user_id, like_id)
        return self._add_counted_edge(edge, LikeItem.pk.does_not_exist() | (LikeItem.gsi1sk == like_id),
                                      post_id, PostItem.likes_count)

    @dynamo_errors
    def unlike(self, user_id: str, post_id: str) -> bool:
        return self._remove_counted_edge(LikeItem(*LikeItem.key(user_id, post_id)), LikeItem, post_id,
                                         PostItem.likes_count)

    def _add_counted_edge(self, edge: Any, new_or_mine: Any, post_id: str, counter: Any) -> bool:
        """The edge (conditional Put), then the post's counter (a plain ADD outside any
        transaction: store.add_counted_edge). False when the edge exists already; NotFound
        when the post is not published (the edge is taken back). `new_or_mine`: no edge yet, or
        the one this request wrote (its own id), so botocore's resend of a Put whose answer was
        lost still counts once."""
        post = PostItem(*PostItem.key(post_id))
        outcome = add_counted_edge(edge, new_or_mine,
                                   [(post, counter.add(1), counter.add(-1), PostItem.status == "published")])
        if outcome == GONE:
            raise NotFound("No such post.")
        return outcome == ADDED

    def _remove_counted_edge(self, edge: Any, model: Any, post_id: str, counter: Any) -> bool:
        return remove_counted_edge(edge, model.pk.exists(), [(PostItem(*PostItem.key(post_id)), counter.add(-1))])

    @dynamo_errors
    def list_liked_post_ids(self, user_id: str, *, limit: int, after: str | None) -> tuple[list[str], str | None]:
        """Likes tab: Query gsi1 `LIKES#<user>` (keys only), newest like first."""
        pk, _ = LikeItem.index_key(user_id, "")
        kwargs: dict[str, Any] = {"limit": limit, "scan_index_forward": False}
        if after:
            kwargs["range_key_condition"] = LikeItem.gsi1sk < after
        result = LikeItem.gsi1.query(pk, **kwargs)
        rows = [(item.gsi1sk, item.sk) for item in result]
        more = result.last_evaluated_key is not None and len(rows) == limit
        return [post_id for _, post_id in rows], (rows[-1][0] if more and rows else None)

    @dynamo_errors
    def add_comment(self, comment: CommentItem) -> None:
        comment.gsi1pk, comment.gsi1sk = CommentItem.author_index_key(comment.author_id, comment.post_id,
                                                                      comment.comment_id)
        post, update = self._counter(comment.post_id, PostItem.comments_count, 1, True)
        try:
            with transaction() as tx:
                tx.save(comment, condition=CommentItem.pk.does_not_exist())
                tx.update(post, **update)
        except TransactWriteError as exc:
            _tx_failure(exc)
            raise NotFound("No such post.") from None

    @dynamo_errors
    def get_comment(self, post_id: str, comment_id: str) -> CommentItem | None:
        return _get(CommentItem, CommentItem.key(post_id, comment_id))

    @dynamo_errors
    def delete_comment(self, post_id: str, comment_id: str) -> bool:
        post, update = self._counter(post_id, PostItem.comments_count, -1, False)
        try:
            with transaction() as tx:
                tx.delete(CommentItem(*CommentItem.key(post_id, comment_id)), condition=CommentItem.pk.exists())
                tx.update(post, **update)
        except TransactWriteError as exc:
            _tx_failure(exc)
            return False
        return True

    @dynamo_errors
    def list_comments(self, post_id: str, *, limit: int, after: str | None) -> tuple[list[CommentItem], str | None]:
        kwargs: dict[str, Any] = {"limit": limit, "scan_index_forward": True}
        if after:
            kwargs["range_key_condition"] = CommentItem.sk > after
        result = CommentItem.query(CommentItem.partition(post_id), **kwargs)
        items = list(result)
        more = result.last_evaluated_key is not None and len(items) == limit
        return items, (items[-1].sk if more and items else None)

    @dynamo_errors
    def repost(self, user_id: str, post_id: str, repost_id: str, created_at: str) -> bool:
        edge = RepostItem(*RepostItem.key(user_id, post_id), user_id=user_id, post_id=post_id,
                          repost_id=repost_id, created_at=created_at)
        return self._add_counted_edge(edge, RepostItem.pk.does_not_exist() | (RepostItem.repost_id == repost_id),
                                      post_id, PostItem.reposts_count)

    @dynamo_errors
    def unrepost(self, user_id: str, post_id: str) -> bool:
        return self._remove_counted_edge(RepostItem(*RepostItem.key(user_id, post_id)), RepostItem, post_id,
                                         PostItem.reposts_count)

    @dynamo_errors
    def get_repost(self, user_id: str, post_id: str) -> RepostItem | None:
        return _get(RepostItem, RepostItem.key(user_id, post_id), consistent=True)


# -- feed entries (reposts) --------------------------------------------------------------------
class FeedEntryRepository:
    @dynamo_errors
    def add_repost_to_feeds(self, user_ids: Iterable[str], *, repost_id: str, post_id: str, author_id: str,
                            reposter_id: str, reposter_handle: str, ttl_days: int) -> int:
        """BatchWriteItem, 25 per call; idempotent (same repost, same keys)."""
        expires = utcnow() + timedelta(days=ttl_days)
        count = 0
        with FeedItem.batch_write() as batch:
            for uid in user_ids:
                batch.save(FeedItem(*FeedItem.key(uid, repost_id), author_id=author_id, post_id=post_id,
                                    reposted_by=reposter_id, reposted_by_handle=reposter_handle,
                                    expires_at=expires))
                count += 1
        return count

    @dynamo_errors
    def list_entries(self, user_id: str, *, limit: int, after: str | None) -> tuple[list[dict], str | None]:
        """Query `FEED#<user>` newest first; each entry says which post and, for a repost, who."""
        kwargs: dict[str, Any] = {"limit": limit, "scan_index_forward": False}
        if after:
            kwargs["range_key_condition"] = FeedItem.sk < after
        result = FeedItem.query(FeedItem.partition(user_id), **kwargs)
        entries = [{"sk": item.sk, "post_id": item.post_id or item.sk, "author_id": item.author_id,
                    "reposted_by": item.reposted_by, "reposted_by_handle": item.reposted_by_handle,
                    "v2": item.fmt == 2 and not item.reposted_by, "liked": bool(item.liked)}
                   for item in result]
        more = result.last_evaluated_key is not None and len(entries) == limit
        return entries, (entries[-1]["sk"] if more and entries else None)


# -- blocks and mutes ----------------------------------------------------------------------
class RelationRepository:
    @dynamo_errors
    def block(self, blocker_id: str, blocked_id: str, created_at: str) -> None:
        """Block edge + removal of follows both ways (with their counters) in one transaction.
        A concurrent follow/unfollow cancels it; it is retried with fresh edges."""
        edge = BlockItem(*BlockItem.key(blocker_id, blocked_id), blocker_id=blocker_id,
                         blocked_id=blocked_id, created_at=created_at)
        edge.gsi1pk, edge.gsi1sk = BlockItem.index_key(blocker_id, blocked_id)
        pairs = [(blocker_id, blocked_id), (blocked_id, blocker_id)]
        for _attempt in range(3):
            found = _batch_get_raw([FollowItem.key(a, b) for a, b in pairs])
            try:
                with transaction() as tx:
                    tx.save(edge)
                    # One update per user (a transaction may touch an item only once).
                    deltas: dict[str, dict[str, int]] = {blocker_id: {}, blocked_id: {}}
                    for follower, followee in pairs:
                        if FollowItem.key(follower, followee) not in found:
                            continue
                        tx.delete(FollowItem(*FollowItem.key(follower, followee)), condition=FollowItem.pk.exists())
                        deltas[follower]["following_count"] = -1
                        deltas[followee]["followers_count"] = -1
                    for user_id, changes in deltas.items():
                        if changes:
                            tx.update(UserItem(*UserItem.key(user_id)),
                                      actions=[getattr(UserItem, name).add(d) for name, d in changes.items()])
            except TransactWriteError as exc:
                _tx_failure(exc)
                continue
            return
        raise Conflict("The accounts changed while blocking; retry.", code="retry")

    @dynamo_errors
    def unblock(self, blocker_id: str, blocked_id: str) -> None:
        BlockItem(*BlockItem.key(blocker_id, blocked_id)).delete()

    @dynamo_errors
    def mute(self, muter_id: str, muted_id: str, created_at: str) -> None:
        MuteItem(*MuteItem.key(muter_id, muted_id), muter_id=muter_id, muted_id=muted_id,
                 created_at=created_at).save()

    @dynamo_errors
    def unmute(self, muter_id: str, muted_id: str) -> None:
        MuteItem(*MuteItem.key(muter_id, muted_id)).delete()

    @dynamo_errors
    def blocks_between(self, a: str, b: str) -> tuple[bool, bool]:
        """(a blocked b, b blocked a) from one BatchGetItem of both block edges."""
        found = _batch_get_raw([BlockItem.key(a, b), BlockItem.key(b, a)])
        return BlockItem.key(a, b) in found, BlockItem.key(b, a) in found

    def blocked_either_way(self, a: str, b: str) -> bool:
        return any(self.blocks_between(a, b))

    @dynamo_errors
    def has_blocked(self, blocker_id: str, blocked_id: str) -> bool:
        return _get(BlockItem, BlockItem.key(blocker_id, blocked_id)) is not None


# -- collections -----------------------------------------------------------------------------
class CollectionRepository:
    @dynamo_errors
    def create(self, item: CollectionItem) -> None:
        item.gsi1pk, item.gsi1sk = CollectionItem.index_key(item.owner_id, item.collection_id)
        item.save(condition=CollectionItem.pk.does_not_exist())

    @dynamo_errors
    def get(self, collection_id: str, consistent: bool = False) -> CollectionItem | None:
        return _get(CollectionItem, CollectionItem.key(collection_id), consistent)

    @dynamo_errors
    def save_if_version(self, item: CollectionItem, expected_version: int) -> bool:
        """Optimistic concurrency: the write lands only if nobody changed it since we read."""
        item.version = expected_version + 1
        try:
            item.save(condition=CollectionItem.version == expected_version)
        except PynamoDBException as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    @dynamo_errors
    def delete(self, item: CollectionItem) -> None:
        item.delete()

    @dynamo_errors
    def list_by_owner(self, owner_id: str, *, limit: int, after: str | None) -> tuple[list[CollectionItem], str | None]:
        """Query gsi1 `COLLECTIONS#<owner>` (keys only) + BatchGetItem of the collections."""
        pk, _ = CollectionItem.index_key(owner_id, "")
        kwargs: dict[str, Any] = {"limit": limit, "scan_index_forward": True}
        if after:
            kwargs["range_key_condition"] = CollectionItem.gsi1sk > after
        result = CollectionItem.gsi1.query(pk, **kwargs)
        ids = [item.gsi1sk for item in result]
        more = result.last_evaluated_key is not None and len(ids) == limit
        raw = _batch_get_raw([CollectionItem.key(i) for i in ids])
        items = [CollectionItem.from_raw_data(raw[CollectionItem.key(i)]) for i in ids if CollectionItem.key(i) in raw]
        return items, (ids[-1] if more and ids else None)


# -- notifications -----------------------------------------------------------------------------
class NotificationRepository:
    @dynamo_errors
    def add(self, item: NotificationItem) -> None:
        """PutItem + counter UpdateItem (two plain writes, not a transaction: a lost increment
        only skews a badge, and halves the cost)."""
        item.save()
        NotificationCounterItem(*NotificationCounterItem.key(item.user_id)).update(
            actions=[NotificationCounterItem.unread.add(1)])

    @dynamo_errors
    def list_page(self, user_id: str, *, limit: int, after: str | None) -> tuple[list[NotificationItem], str | None]:
        kwargs: dict[str, Any] = {"limit": limit, "scan_index_forward": False}
        if after:
            kwargs["range_key_condition"] = NotificationItem.sk < after
        result = NotificationItem.query(NotificationItem.partition(user_id), **kwargs)
        items = list(result)
        more = result.last_evaluated_key is not None and len(items) == limit
        return items, (items[-1].sk if more and items else None)

    @dynamo_errors
    def counter(self, user_id: str) -> NotificationCounterItem | None:
        return _get(NotificationCounterItem, NotificationCounterItem.key(user_id), consistent=True)

    @dynamo_errors
    def mark_all_read(self, user_id: str, read_through: str) -> None:
        NotificationCounterItem(*NotificationCounterItem.key(user_id)).update(
            actions=[NotificationCounterItem.unread.set(0), NotificationCounterItem.read_through.set(read_through)])

    @dynamo_errors
    def mark_read(self, user_id: str, ids: list[str]) -> int:
        """Each id: a conditional UpdateItem (only unread ones change); the counter drops by
        the number that did."""
        changed = 0
        for nid in ids:
            try:
                NotificationItem(*NotificationItem.key(user_id, nid)).update(
                    actions=[NotificationItem.read.set(True)],
                    condition=NotificationItem.pk.exists() & (NotificationItem.read.does_not_exist()
                                                              | (NotificationItem.read == False)))  # noqa: E712
            except PynamoDBException as exc:
                if _conditional_failed(exc):
                    continue
                raise
            changed += 1
        if changed:
            NotificationCounterItem(*NotificationCounterItem.key(user_id)).update(
                actions=[NotificationCounterItem.unread.add(-changed)])
        return changed


def expiry(days: int) -> datetime:
    return utcnow() + timedelta(days=days)
