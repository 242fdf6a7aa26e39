"""Repositories of the community read models (discovery, tags, messages, jobs): the only code
touching their pynamodb models. Methods are named after access patterns (docs/data-model.md).
Errors follow `store.py`: throttling -> Unavailable; conditional failures -> domain outcomes."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable

from pynamodb.exceptions import PynamoDBException, TransactWriteError

from chalicelib.adapters.aws import THROTTLING_CODES
from chalicelib.adapters.store import _batch_get_raw, _get, _is_conditional_cancel, dynamo_errors, transaction
from chalicelib.adapters.tables import FollowItem, PostItem, UserItem, utcnow
from chalicelib.adapters.tables_social import (
    BlockEdgeItem, ConversationItem, DiscoverPageItem, DiscoverPointerItem, JobIndexItem, JobItem,
    MembershipItem, MessageItem, RecentItem, TagPostItem, TagPrefixItem,
)
from chalicelib.errors import Unavailable

RECENT_TTL_DAYS = 14
SNAPSHOT_TTL_HOURS = 24


def batch_get_raw(keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    """BatchGetItem in chunks of 100 keys (the API's limit)."""
    out: dict[tuple[str, str], dict] = {}
    unique = list(dict.fromkeys(keys))
    for i in range(0, len(unique), 100):
        out.update(_batch_get_raw(unique[i:i + 100]))
    return out


def raw_value(item: dict | None, name: str, default: Any = None) -> Any:
    """One attribute of a raw (low-level) item: S, N, BOOL, L of S, SS."""
    if not item or name not in item:
        return default
    attr = item[name]
    if "S" in attr:
        return attr["S"]
    if "N" in attr:
        return float(attr["N"]) if "." in attr["N"] else int(attr["N"])
    if "BOOL" in attr:
        return attr["BOOL"]
    if "L" in attr:
        return [x.get("S") for x in attr["L"]]
    if "SS" in attr:
        return list(attr["SS"])
    return default


def _tx_errors(exc: TransactWriteError) -> None:
    if exc.cause_response_code in THROTTLING_CODES:
        raise Unavailable() from exc
    raise exc


class DiscoveryRepository:
    # -- written when a post publishes (upload handler, off the request path) ---------------------
    @dynamo_errors
    def index_published(self, *, post_id: str, author_id: str, tags: Iterable[str], day: str) -> None:
        """Recent bucket + one tag-index entry per tag (BatchWriteItem, idempotent keys), then
        the tag-suggestion counters (UpdateItem ADD, one per tag; at most 20)."""
        tags = list(tags)
        expires = utcnow() + timedelta(days=RECENT_TTL_DAYS)
        with RecentItem.batch_write() as batch:
            batch.save(RecentItem(*RecentItem.key(day, post_id), author_id=author_id, expires_at=expires))
            for tag in tags:
                batch.save(TagPostItem(*TagPostItem.key(tag, post_id), author_id=author_id))
        for tag in tags:
            TagPrefixItem(*TagPrefixItem.key(tag)).update(
                actions=[TagPrefixItem.tag.set(tag), TagPrefixItem.count.add(1)])

    # -- the scheduled snapshot builder -------------------------------------------------------------
    @dynamo_errors
    def recent_post_ids(self, day: str, *, limit: int) -> list[str]:
        return [item.sk for item in RecentItem.query(RecentItem.partition(day), scan_index_forward=False,
                                                     limit=limit, attributes_to_get=["sk"])]

    def raw_posts(self, post_ids: list[str]) -> dict[str, dict]:
        raw = batch_get_raw([PostItem.key(pid) for pid in post_ids])
        return {pid: raw[PostItem.key(pid)] for pid in post_ids if PostItem.key(pid) in raw}

    @dynamo_errors
    def write_snapshot(self, snapshot_id: str, pages: list[list[str]], built_at: str) -> None:
        expires = utcnow() + timedelta(hours=SNAPSHOT_TTL_HOURS)
        with DiscoverPageItem.batch_write() as batch:
            for number, ids in enumerate(pages, start=1):
                batch.save(DiscoverPageItem(*DiscoverPageItem.key(snapshot_id, number), post_ids=ids,
                                            expires_at=expires))
        # The pointer last: a reader either sees the old snapshot or the complete new one.
        DiscoverPointerItem(*DiscoverPointerItem.key(), snapshot_id=snapshot_id, pages=len(pages),
                            built_at=built_at).save()

    # -- reads ----------------------------------------------------------------------------------------
    @dynamo_errors
    def current_snapshot(self) -> DiscoverPointerItem | None:
        return _get(DiscoverPointerItem, DiscoverPointerItem.key())

    def page_and_viewer(self, snapshot_id: str, page: int, viewer_id: str | None) -> tuple[list[str] | None, dict | None]:
        """One BatchGetItem: the snapshot page and (signed in) the viewer's user item."""
        keys = [DiscoverPageItem.key(snapshot_id, page)]
        if viewer_id:
            keys.append(UserItem.key(viewer_id))
        raw = batch_get_raw(keys)
        page_item = raw.get(keys[0])
        user = raw.get(UserItem.key(viewer_id)) if viewer_id else None
        return (raw_value(page_item, "post_ids") if page_item else None), user

    @dynamo_errors
    def tag_post_ids(self, tag: str, *, limit: int, before: str | None) -> tuple[list[str], str | None]:
        kwargs: dict[str, Any] = {"limit": limit, "scan_index_forward": False}
        if before:
            kwargs["range_key_condition"] = TagPostItem.sk < before
        result = TagPostItem.query(TagPostItem.partition(tag), **kwargs)
        ids = [item.sk for item in result]
        more = result.last_evaluated_key is not None and len(ids) == limit
        return ids, (ids[-1] if more and ids else None)

    @dynamo_errors
    def tags_with_prefix(self, prefix: str, *, limit: int) -> list[tuple[str, int]]:
        result = TagPrefixItem.query(TagPrefixItem.partition(prefix), TagPrefixItem.sk.startswith(prefix),
                                     limit=limit)
        return [(item.tag, int(item.count or 0)) for item in result]


class MessageRepository:
    @dynamo_errors
    def get_conversation(self, conversation_id: str) -> ConversationItem | None:
        return _get(ConversationItem, ConversationItem.key(conversation_id))

    @dynamo_errors
    def create_conversation(self, conversation: ConversationItem, membership: MembershipItem) -> bool:
        """Conversation + the initiator's inbox row. False if the pair already has one."""
        membership.gsi1pk, membership.gsi1sk = MembershipItem.index_key(
            membership.user_id, membership.last_activity_id, membership.conversation_id)
        try:
            with transaction() as tx:
                tx.save(conversation, condition=ConversationItem.pk.does_not_exist())
                tx.save(membership)
        except TransactWriteError as exc:
            if _is_conditional_cancel(exc):
                return False
            _tx_errors(exc)
        return True

    @dynamo_errors
    def create_conversation_row(self, membership: MembershipItem) -> None:
        membership.gsi1pk, membership.gsi1sk = MembershipItem.index_key(
            membership.user_id, membership.last_activity_id, membership.conversation_id)
        try:
            membership.save(condition=MembershipItem.pk.does_not_exist())
        except PynamoDBException as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise

    def send_context(self, conversation_id: str, sender_id: str, recipient_id: str) -> dict[str, Any]:
        """Everything a send decides on, in ONE BatchGetItem: both block edges, whether the
        recipient follows the sender, both inbox rows and the conversation."""
        keys = {"blocked_by_recipient": BlockEdgeItem.key(recipient_id, sender_id),
                "blocked_by_sender": BlockEdgeItem.key(sender_id, recipient_id),
                "recipient_follows": FollowItem.key(recipient_id, sender_id),
                "recipient_row": MembershipItem.key(recipient_id, conversation_id),
                "sender_row": MembershipItem.key(sender_id, conversation_id),
                "conversation": ConversationItem.key(conversation_id),
                "recipient_user": UserItem.key(recipient_id)}
        raw = batch_get_raw(list(keys.values()))
        return {name: raw.get(key) for name, key in keys.items()}

    def blocked_either_way(self, a: str, b: str) -> bool:
        raw = batch_get_raw([BlockEdgeItem.key(a, b), BlockEdgeItem.key(b, a)])
        return bool(raw)

    @dynamo_errors
    def append_message(self, message: MessageItem, conversation_id: str, *, sender_row: dict[str, Any],
                       recipient_row: dict[str, Any]) -> None:
        """Message + conversation's last id + both inbox rows (moved to the top via GSI1),
        one transaction (4 items)."""
        try:
            with transaction() as tx:
                tx.save(message, condition=MessageItem.pk.does_not_exist())
                tx.update(ConversationItem(*ConversationItem.key(conversation_id)),
                          actions=[ConversationItem.last_message_id.set(message.message_id)],
                          condition=ConversationItem.pk.exists())
                for row in (sender_row, recipient_row):
                    tx.update(MembershipItem(*MembershipItem.key(row["user_id"], conversation_id)),
                              actions=self._row_actions(row, conversation_id, message))
        except TransactWriteError as exc:
            if _is_conditional_cancel(exc):
                raise Unavailable("The conversation changed; retry.") from None
            _tx_errors(exc)

    @staticmethod
    def _row_actions(row: dict[str, Any], conversation_id: str, message: MessageItem) -> list:
        gpk, gsk = MembershipItem.index_key(row["user_id"], message.message_id, conversation_id)
        actions = [MembershipItem.user_id.set(row["user_id"]),
                   MembershipItem.conversation_id.set(conversation_id),
                   MembershipItem.other_id.set(row["other_id"]),
                   MembershipItem.other_handle.set(row["other_handle"]),
                   MembershipItem.request.set(row["request"]),
                   MembershipItem.last_activity_id.set(message.message_id),
                   MembershipItem.last_preview.set(message.text[:140]),
                   MembershipItem.last_sender_id.set(message.sender_id),
                   MembershipItem.gsi1pk.set(gpk), MembershipItem.gsi1sk.set(gsk)]
        if row["user_id"] == message.sender_id:
            actions.append(MembershipItem.last_read_id.set(message.message_id))
        return actions

    @dynamo_errors
    def list_messages(self, conversation_id: str, *, limit: int, before: str | None) -> tuple[list[MessageItem], str | None]:
        cond = MessageItem.sk < MessageItem.key(conversation_id, before)[1] if before else \
            MessageItem.sk.startswith("MSG#")
        result = MessageItem.query(MessageItem.partition(conversation_id), cond, limit=limit,
                                   scan_index_forward=False)
        items = [item for item in result if item.sk.startswith("MSG#")]
        more = result.last_evaluated_key is not None and len(items) == limit
        return items, (items[-1].message_id if more and items else None)

    @dynamo_errors
    def list_inbox(self, user_id: str, *, limit: int, before: str | None) -> tuple[list[MembershipItem], str | None]:
        kwargs: dict[str, Any] = {"limit": limit, "scan_index_forward": False}
        if before:
            kwargs["range_key_condition"] = MembershipItem.gsi1sk < before
        result = MembershipItem.gsi1.query(MembershipItem.index_partition(user_id), **kwargs)
        index_keys = [(item.pk, item.sk, item.gsi1sk) for item in result]
        raw = batch_get_raw([(pk, sk) for pk, sk, _ in index_keys])
        rows = [MembershipItem.from_raw_data(raw[(pk, sk)]) for pk, sk, _ in index_keys if (pk, sk) in raw]
        more = result.last_evaluated_key is not None and len(index_keys) == limit
        return rows, (index_keys[-1][2] if more and index_keys else None)

    @dynamo_errors
    def get_row(self, user_id: str, conversation_id: str) -> MembershipItem | None:
        return _get(MembershipItem, MembershipItem.key(user_id, conversation_id))

    @dynamo_errors
    def mark_read(self, user_id: str, conversation_id: str, message_id: str) -> None:
        MembershipItem(*MembershipItem.key(user_id, conversation_id)).update(
            actions=[MembershipItem.last_read_id.set(message_id)], condition=MembershipItem.pk.exists())

    @dynamo_errors
    def accept(self, user_id: str, conversation_id: str) -> None:
        try:
            MembershipItem(*MembershipItem.key(user_id, conversation_id)).update(
                actions=[MembershipItem.request.set(False)], condition=MembershipItem.pk.exists())
        except PynamoDBException as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise


class JobRepository:
    @dynamo_errors
    def create(self, job: JobItem, index_keys: list[tuple[str, str]]) -> None:
        job.gsi1pk, job.gsi1sk = JobItem.owner_index_key(job.owner_id, job.job_id)
        job.save(condition=JobItem.pk.does_not_exist())
        self._put_index(job, index_keys)

    @staticmethod
    def _put_index(job: JobItem, index_keys: list[tuple[str, str]]) -> None:
        closes = datetime.fromisoformat(job.closes_at.replace("Z", "+00:00"))
        with JobIndexItem.batch_write() as batch:
            for pk, sk in index_keys:
                batch.save(JobIndexItem(pk, sk, job_id=job.job_id, employment_type=job.employment_type,
                                        remote=job.remote, expires_at=closes))

    @staticmethod
    def _delete_index(index_keys: list[tuple[str, str]]) -> None:
        with JobIndexItem.batch_write() as batch:
            for pk, sk in index_keys:
                batch.delete(JobIndexItem(pk, sk))

    @dynamo_errors
    def get(self, job_id: str) -> JobItem | None:
        return _get(JobItem, JobItem.key(job_id))

    @dynamo_errors
    def replace(self, job: JobItem, old_index: list[tuple[str, str]], new_index: list[tuple[str, str]]) -> None:
        """Save the edited job, then move its listing entries (a read never trusts an entry
        alone: it re-reads the job, so a crash between the steps shows no stale job)."""
        job.save()
        stale = [k for k in old_index if k not in set(new_index)]
        if stale:
            self._delete_index(stale)
        if new_index:
            self._put_index(job, new_index)

    @dynamo_errors
    def delete(self, job: JobItem, index_keys: list[tuple[str, str]]) -> None:
        self._delete_index(index_keys)
        job.delete()

    @dynamo_errors
    def list_open_ids(self, facet: str, *, now: str, limit: int, after: str | None,
                      employment_type: str | None = None, remote: bool | None = None) -> tuple[list[str], str | None]:
        """Query one facet partition from `now` (or the cursor) on: closing soonest first.
        The other facets, when the partition is a tag, become a FilterExpression."""
        start = max(now, after) if after else now
        kwargs: dict[str, Any] = {"limit": limit, "range_key_condition": JobIndexItem.sk > start}
        conditions = []
        if employment_type is not None:
            conditions.append(JobIndexItem.employment_type == employment_type)
        if remote is not None:
            conditions.append(JobIndexItem.remote == remote)
        if conditions:
            flt = conditions[0]
            for c in conditions[1:]:
                flt = flt & c
            kwargs["filter_condition"] = flt
        result = JobIndexItem.query(facet, **kwargs)
        items = list(result)
        last = result.last_evaluated_key
        return [item.job_id for item in items], (last["sk"]["S"] if last else None)

    def batch_get(self, job_ids: list[str]) -> dict[str, JobItem]:
        raw = batch_get_raw([JobItem.key(j) for j in job_ids])
        return {j: JobItem.from_raw_data(raw[JobItem.key(j)]) for j in job_ids if JobItem.key(j) in raw}
