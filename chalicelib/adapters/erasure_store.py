"""Repository of account erasure: finding everything a user owns without a scan, and removing it.

Every lookup is a Query on a partition keyed by the user (or a gsi1 partition keyed by the
user): posts through the post ledger, comments and jobs through their gsi1 owner keys, edges
through their own partitions. Removal is idempotent — a second run finds what the first left
and nothing else — so the job that drives it can stop at any point and be run again.

Counters of other people (followers_count, following_count, a post's likes_count…) are
decremented in the same transaction as the edge that counted, conditioned on the counted
item still existing: an UpdateItem on a missing key would otherwise *create* it.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable

from pynamodb.exceptions import TransactWriteError

from chalicelib.adapters.store import (
    _cancel_codes, _get, delete_if, dynamo_errors, first_condition_failed, update_if, transaction,
)
from chalicelib.adapters.feed_state_store import FeedStateItem
from chalicelib.adapters.tables import (
    AttemptItem, BaseItem, EmailItem, FeedItem, FollowItem, HandleItem, PostItem, SessionItem, UserItem,
    iso, utcnow,
)
from chalicelib.adapters.tables_community import (
    BlockItem, CollectionItem, CommentItem, LikeItem, MuteItem, NotificationCounterItem, NotificationItem,
    RepostItem,
)
from chalicelib.adapters.tables_erasure import ErasureItem, PostLedgerItem
from chalicelib.adapters.tables_screening import ReporterItem
from chalicelib.adapters.tables_social import (
    ConversationItem, JobItem, MembershipItem, MessageItem, RecentItem, TagPostItem,
)
from chalicelib.adapters.aws import THROTTLING_CODES
from chalicelib.errors import Unavailable

DELETED_HANDLE = "deleted-account"  # shown in the other participant's inbox; no real handle has '-'
PAGE = 100


def _keys(pk: str, page: int = PAGE, begins: str | None = None) -> list[tuple[str, str]]:
    """Up to `page` keys of one base-table partition (projection: keys only)."""
    condition = BaseItem.sk.startswith(begins) if begins else None
    return [(i.pk, i.sk) for i in BaseItem.query(pk, condition, limit=page, consistent_read=True,
                                                 attributes_to_get=["pk", "sk"])]


def _index_keys(gsi1pk: str, page: int = PAGE) -> list[tuple[str, str, str]]:
    """Up to `page` (pk, sk, gsi1sk) of one gsi1 partition (the index is KEYS_ONLY)."""
    return [(i.pk, i.sk, i.gsi1sk) for i in BaseItem.gsi1.query(gsi1pk, limit=page)]


def _delete_all(keys: list[tuple[str, str]]) -> int:
    if keys:
        with BaseItem.batch_write() as batch:
            for pk, sk in keys:
                batch.delete(BaseItem(pk, sk))
    return len(keys)


class ErasureRepository:
    # -- the request -------------------------------------------------------------------------
    @dynamo_errors
    def mark_requested(self, user_id: str, *, requested_at: str, released_after: int) -> bool:
        """The user item gets `deletion_requested_at` and the erasure record is created, in one
        transaction. False when erasure was already requested (a repeated DELETE)."""
        record = ErasureItem(*ErasureItem.key(user_id), user_id=user_id, status="requested",
                             requested_at=requested_at, handle_released_after=released_after, counts={})
        try:
            with transaction() as tx:
                tx.update(UserItem(*UserItem.key(user_id)),
                          actions=[UserItem.deletion_requested_at.set(requested_at)],
                          condition=UserItem.pk.exists() & UserItem.deletion_requested_at.does_not_exist())
                tx.save(record)
        except TransactWriteError as exc:
            if first_condition_failed(exc):
                return False
        return True

    @dynamo_errors
    def record(self, user_id: str) -> ErasureItem | None:
        return _get(ErasureItem, ErasureItem.key(user_id), consistent=True)

    @dynamo_errors
    def note_pass(self, user_id: str, *, status: str, counts: dict[str, int], completed: bool) -> None:
        record = _get(ErasureItem, ErasureItem.key(user_id), consistent=True)
        if record is None:
            return
        total = dict(record.counts or {})
        for kind, n in counts.items():
            total[kind] = int(total.get(kind, 0)) + int(n)
        now = iso(utcnow())
        actions = [ErasureItem.status.set(status), ErasureItem.counts.set(total),
                   ErasureItem.passes.add(1), ErasureItem.last_pass_at.set(now)]
        if completed:
            actions.append(ErasureItem.completed_at.set(now))
        record.update(actions=actions)

    @dynamo_errors
    def user(self, user_id: str) -> UserItem | None:
        return _get(UserItem, UserItem.key(user_id), consistent=True)

    # -- posts -------------------------------------------------------------------------------
    @dynamo_errors
    def ledger_post_ids(self, user_id: str) -> list[str]:
        return [sk for _, sk in _keys(PostLedgerItem.partition(user_id))]

    @dynamo_errors
    def record_post(self, user_id: str, post_id: str, created_at: str) -> None:
        PostLedgerItem(*PostLedgerItem.key(user_id, post_id), created_at=created_at).save()

    @dynamo_errors
    def post(self, post_id: str) -> PostItem | None:
        return _get(PostItem, PostItem.key(post_id), consistent=True)

    @dynamo_errors
    def delete_post_rows(self, post: PostItem | None, user_id: str, post_id: str, *, ledger_only: bool = False,
                         tick: Callable[[], None] = lambda: None) -> int:
        """The post's comments and tag entries, then its partition (post + image items), then
        its ledger entry — in that order, so a crash leaves the ledger pointing at leftovers."""
        removed = 0
        if ledger_only:
            _delete_all([PostLedgerItem.key(user_id, post_id)])
            return 0
        while True:
            comments = _keys(CommentItem.partition(post_id))
            if not comments:
                break
            removed += _delete_all(comments)
            tick()
        if post is not None:
            keys = [TagPostItem.key(tag, post_id) for tag in (post.tags or [])]
            if post.decided_at:  # the recent bucket of the publish day (or the next, past midnight)
                decided = datetime.fromisoformat(post.decided_at.replace("Z", "+00:00"))
                keys += [RecentItem.key(d.strftime("%Y-%m-%d"), post_id) for d in (decided, decided + timedelta(days=1))]
            removed += _delete_all(keys)
        while True:
            rows = _keys(PostItem.key(post_id)[0])
            if not rows:
                break
            removed += _delete_all(rows)
        _delete_all([PostLedgerItem.key(user_id, post_id)])
        return removed

    # -- counted edges -------------------------------------------------------------------------
    @staticmethod
    def _remove_counted(edge: Any, edge_model: Any, counted: Any, counted_model: Any, counter: Any) -> bool:
        """Edge delete + the counted item's counter −1 (only if that item still exists). When the
        counted item is gone the edge is deleted on its own. True when the edge was removed here."""
        try:
            with transaction() as tx:
                tx.delete(edge, condition=edge_model.pk.exists())
                tx.update(counted, actions=[counter.add(-1)], condition=counted_model.pk.exists())
        except TransactWriteError as exc:
            codes = _cancel_codes(exc)
            if codes and codes[0] == "ConditionalCheckFailed":
                return False  # removed already (a concurrent run)
            if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                return delete_if(edge, edge_model.pk.exists())
            if exc.cause_response_code in THROTTLING_CODES:
                raise Unavailable() from exc
            raise
        return True

    @dynamo_errors
    def liked_post_ids(self, user_id: str) -> list[str]:
        return [sk for _, sk in _keys(f"LIKE#{user_id}")]

    @dynamo_errors
    def remove_like(self, user_id: str, post_id: str) -> bool:
        return self._remove_counted(LikeItem(*LikeItem.key(user_id, post_id)), LikeItem,
                                    PostItem(*PostItem.key(post_id)), PostItem, PostItem.likes_count)

    @dynamo_errors
    def reposted_post_ids(self, user_id: str) -> list[str]:
        return [sk for _, sk in _keys(f"REPOST#{user_id}")]

    @dynamo_errors
    def remove_repost(self, user_id: str, post_id: str) -> bool:
        return self._remove_counted(RepostItem(*RepostItem.key(user_id, post_id)), RepostItem,
                                    PostItem(*PostItem.key(post_id)), PostItem, PostItem.reposts_count)

    @dynamo_errors
    def comment_keys(self, user_id: str) -> list[tuple[str, str]]:
        """(post_id, comment_id) of the user's comments anywhere (gsi1 `COMMENTS_BY#<user>`)."""
        pk, _ = CommentItem.author_index_key(user_id, "", "")
        out = []
        for _pk, _sk, gsk in _index_keys(pk):
            post_id, _, comment_id = gsk.partition("#")
            out.append((post_id, comment_id))
        return out

    @dynamo_errors
    def remove_comment(self, post_id: str, comment_id: str) -> bool:
        return self._remove_counted(CommentItem(*CommentItem.key(post_id, comment_id)), CommentItem,
                                    PostItem(*PostItem.key(post_id)), PostItem, PostItem.comments_count)

    @dynamo_errors
    def followee_ids(self, user_id: str) -> list[str]:
        return [sk for _, sk in _keys(FollowItem.key(user_id, "")[0])]

    @dynamo_errors
    def follower_ids(self, user_id: str) -> list[str]:
        pk, _ = FollowItem.index_key("", user_id)
        return [gsk for _, _, gsk in _index_keys(pk)]

    @dynamo_errors
    def remove_follow(self, follower_id: str, followee_id: str, *, erased_id: str) -> bool:
        """The edge and the OTHER person's counter (the erased user's own item is going)."""
        if erased_id == follower_id:
            other, counter = followee_id, UserItem.followers_count
        else:
            other, counter = follower_id, UserItem.following_count
        return self._remove_counted(FollowItem(*FollowItem.key(follower_id, followee_id)), FollowItem,
                                    UserItem(*UserItem.key(other)), UserItem, counter)

    # -- plain partitions ----------------------------------------------------------------------
    @dynamo_errors
    def partition_keys(self, pk: str) -> list[tuple[str, str]]:
        return _keys(pk)

    @dynamo_errors
    def index_base_keys(self, gsi1pk: str) -> list[tuple[str, str]]:
        """Base-table keys of one page of a gsi1 partition (the index lags writes a little, so
        a key may be listed again just after its deletion: callers skip keys they have seen)."""
        return [(pk, sk) for pk, sk, _ in _index_keys(gsi1pk)]

    @dynamo_errors
    def delete_keys(self, keys: list[tuple[str, str]]) -> int:
        return _delete_all(keys)

    def user_partitions(self, user_id: str) -> dict[str, str]:
        """Partitions that hold only this user's own rows."""
        return {"feed": FeedItem.partition(user_id), "mutes": MuteItem.key(user_id, "")[0],
                "blocks": BlockItem.key(user_id, "")[0], "notifications": NotificationItem.partition(user_id),
                "feed_state": FeedStateItem.key(user_id)[0],  # ids of muted/unfollowed accounts
                "portability": f"PORTABILITY#{user_id}"}  # imports, their keys, archives (tables_portability.py)

    def user_index_partitions(self, user_id: str) -> dict[str, str]:
        """gsi1 partitions whose base items are this user's (or point at this user only)."""
        return {"blocked_by": BlockItem.index_key("", user_id)[0],  # others' blocks of this user
                "collections": CollectionItem.index_key(user_id, "")[0],
                "sessions": SessionItem.index_key(user_id, "")[0],
                "reports": ReporterItem.reporter_index_key(user_id, "")[0]}  # their reports' free text

    @dynamo_errors
    def delete_singletons(self, user_id: str) -> int:
        return _delete_all([NotificationCounterItem.key(user_id), AttemptItem.key("acct", user_id)])

    # -- jobs ------------------------------------------------------------------------------------
    @dynamo_errors
    def job_ids(self, user_id: str) -> list[str]:
        pk, _ = JobItem.owner_index_key(user_id, "")
        return [gsk for _, _, gsk in _index_keys(pk)]

    # -- conversations ---------------------------------------------------------------------------
    @dynamo_errors
    def inbox_rows(self, user_id: str) -> list[MembershipItem]:
        return list(MembershipItem.query(MembershipItem.key(user_id, "")[0], limit=PAGE))

    @dynamo_errors
    def erase_from_conversation(self, user_id: str, row: MembershipItem, *,
                                tick: Callable[[], None] = lambda: None) -> int:
        """The user's messages and inbox row go; the other participant keeps their own messages
        and their row, which now names a deleted account. When the other side has no row (or
        erased theirs), nothing of the conversation is left."""
        conv_id = row.conversation_id
        other_row = _get(MembershipItem, MembershipItem.key(row.other_id, conv_id), consistent=True)
        removed = 0
        last_key = None
        while True:
            kwargs: dict[str, Any] = {"limit": PAGE}
            if last_key:
                kwargs["last_evaluated_key"] = last_key
            result = MessageItem.query(MessageItem.partition(conv_id), MessageItem.sk.startswith("MSG#"), **kwargs)
            page = list(result)
            mine = [(m.pk, m.sk) for m in page if other_row is None or m.sender_id == user_id]
            removed += _delete_all(mine)
            tick()  # a long conversation spans invocations (what is deleted is not listed again)
            last_key = result.last_evaluated_key
            if not last_key:
                break
        if other_row is None:
            removed += _delete_all([ConversationItem.key(conv_id)])
        else:
            actions = [MembershipItem.other_handle.set(DELETED_HANDLE)]
            if other_row.last_sender_id == user_id:
                actions.append(MembershipItem.last_preview.remove())
            update_if(other_row, actions, MembershipItem.pk.exists())
        removed += _delete_all([(row.pk, row.sk)])
        return removed

    # -- the account itself ------------------------------------------------------------------------
    @dynamo_errors
    def retire_account(self, user: UserItem, *, released_after: int) -> None:
        """E-mail guard deleted (the address may sign up again), handle guard turned into a
        tombstone until `released_after`, user item deleted: one transaction, each step
        conditioned on still belonging to this user. An item without handle or e-mail (only a
        stray update could have written one) is simply deleted."""
        if not getattr(user, "email", None) or not getattr(user, "handle", None):
            user.delete()
            return
        try:
            with transaction() as tx:
                tx.delete(EmailItem(*EmailItem.key(user.email)), condition=EmailItem.user_id == user.user_id)
                tx.update(HandleItem(*HandleItem.key(user.handle)),
                          actions=[HandleItem.released_after.set(released_after)],
                          condition=HandleItem.user_id == user.user_id)
                tx.delete(user, condition=UserItem.pk.exists())
        except TransactWriteError as exc:
            codes = _cancel_codes(exc)
            if exc.cause_response_code in THROTTLING_CODES:
                raise Unavailable() from exc
            if "ConditionalCheckFailed" not in codes:
                raise
            # Some guard is not ours any more (it cannot be, but never touch someone else's):
            # each step on its own, each still conditioned on this user.
            delete_if(EmailItem(*EmailItem.key(user.email)), EmailItem.user_id == user.user_id)
            update_if(HandleItem(*HandleItem.key(user.handle)), [HandleItem.released_after.set(released_after)],
                      HandleItem.user_id == user.user_id)
            user.delete()

