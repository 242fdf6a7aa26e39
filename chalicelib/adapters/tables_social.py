"""pynamodb models of the community read models: discovery snapshots, the recent/tag
indexes written when a post publishes, direct messages and the jobs board.

Same single table and key conventions as `tables.py`: each entity builds its keys in its own
`key*()` helpers and nothing else formats these `pk`/`sk` strings (docs/data-model.md,
"Discovery, tags, messages, jobs").
"""
from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute, ListAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute,
)

from chalicelib.adapters.tables import BaseItem, _Meta


# -- discovery -----------------------------------------------------------------------------------
class RecentItem(BaseItem):
    """One per published post, bucketed by UTC day: the discovery builder reads the last few
    days with one Query each instead of scanning posts. Expires after RECENT_TTL_DAYS."""

    class Meta(_Meta):
        pass

    author_id = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)

    @staticmethod
    def key(day: str, post_id: str) -> tuple[str, str]:
        return f"RECENT#{day}", post_id

    @staticmethod
    def partition(day: str) -> str:
        return f"RECENT#{day}"


class DiscoverPointerItem(BaseItem):
    """The current discovery snapshot. Written last, so readers never see a half-built one."""

    class Meta(_Meta):
        pass

    snapshot_id = UnicodeAttribute()
    pages = NumberAttribute()
    built_at = UnicodeAttribute()

    @staticmethod
    def key() -> tuple[str, str]:
        return "DISCOVER", "CURRENT"


class DiscoverPageItem(BaseItem):
    """One page of a snapshot: ordered post ids. Old snapshots expire (TTL) after a day, so a
    cursor stays valid for that long after the snapshot it started on was replaced."""

    class Meta(_Meta):
        pass

    post_ids = ListAttribute(of=UnicodeAttribute)
    expires_at = TTLAttribute(null=True)

    @staticmethod
    def key(snapshot_id: str, page: int) -> tuple[str, str]:
        return f"DISCOVER#{snapshot_id}", f"PAGE#{page:04d}"


# -- tags ------------------------------------------------------------------------------------------
class TagPostItem(BaseItem):
    """A published post under one of its (normalised) tags; sorted by post ULID = by time."""

    class Meta(_Meta):
        pass

    author_id = UnicodeAttribute()

    @staticmethod
    def key(tag: str, post_id: str) -> tuple[str, str]:
        return f"TAG#{tag}", post_id

    @staticmethod
    def partition(tag: str) -> str:
        return f"TAG#{tag}"


class TagPrefixItem(BaseItem):
    """Tag suggestions: every tag lives under the partition of its first two characters, so a
    prefix lookup is one bounded Query with `begins_with(sk, prefix)`. `count` = posts tagged."""

    class Meta(_Meta):
        pass

    tag = UnicodeAttribute()
    count = NumberAttribute(default=0)

    PREFIX_CHARS = 2

    @staticmethod
    def key(tag: str) -> tuple[str, str]:
        return f"TAGPREFIX#{tag[:TagPrefixItem.PREFIX_CHARS]}", tag

    @staticmethod
    def partition(prefix: str) -> str:
        return f"TAGPREFIX#{prefix[:TagPrefixItem.PREFIX_CHARS]}"


# -- messages --------------------------------------------------------------------------------------
class ConversationItem(BaseItem):
    """A direct conversation between exactly two users. Its id is derived from the two user
    ids (sorted, joined by '-'), so there is at most one per pair and participation can be
    checked from the id alone."""

    class Meta(_Meta):
        pass

    conversation_id = UnicodeAttribute()
    participants = ListAttribute(of=UnicodeAttribute)
    created_at = UnicodeAttribute()
    last_message_id = UnicodeAttribute(null=True)

    @staticmethod
    def key(conversation_id: str) -> tuple[str, str]:
        return f"CONV#{conversation_id}", "META"


class MessageItem(BaseItem):
    class Meta(_Meta):
        pass

    message_id = UnicodeAttribute()
    sender_id = UnicodeAttribute()
    text = UnicodeAttribute()
    created_at = UnicodeAttribute()

    @staticmethod
    def key(conversation_id: str, message_id: str) -> tuple[str, str]:
        return f"CONV#{conversation_id}", f"MSG#{message_id}"

    @staticmethod
    def partition(conversation_id: str) -> str:
        return f"CONV#{conversation_id}"


class MembershipItem(BaseItem):
    """A user's view of one conversation (their inbox row). GSI1 orders a user's
    conversations by last activity: `INBOX_BY_TIME#<user>` / `<last_activity_id>#<conv>`."""

    class Meta(_Meta):
        pass

    user_id = UnicodeAttribute()
    conversation_id = UnicodeAttribute()
    other_id = UnicodeAttribute()
    other_handle = UnicodeAttribute()
    request = BooleanAttribute(default=False)  # in the requests folder: readable, not notified
    last_activity_id = UnicodeAttribute()  # ULID of the last message (or of the creation)
    last_read_id = UnicodeAttribute(null=True)
    last_preview = UnicodeAttribute(null=True)
    last_sender_id = UnicodeAttribute(null=True)

    @staticmethod
    def key(user_id: str, conversation_id: str) -> tuple[str, str]:
        return f"INBOX#{user_id}", f"CONV#{conversation_id}"

    @staticmethod
    def index_key(user_id: str, last_activity_id: str, conversation_id: str) -> tuple[str, str]:
        return f"INBOX_BY_TIME#{user_id}", f"{last_activity_id}#{conversation_id}"

    @staticmethod
    def index_partition(user_id: str) -> str:
        return f"INBOX_BY_TIME#{user_id}"


class BlockEdgeItem(BaseItem):
    """READ-ONLY mirror of the block edge the profiles/interactions work writes
    (`BLOCK#<blocker>` / `<blocked>`). Messages only read it; tests use it to create blocks."""

    class Meta(_Meta):
        pass

    @staticmethod
    def key(blocker_id: str, blocked_id: str) -> tuple[str, str]:
        return f"BLOCK#{blocker_id}", blocked_id


# -- jobs --------------------------------------------------------------------------------------------
class JobItem(BaseItem):
    class Meta(_Meta):
        pass

    job_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    owner_handle = UnicodeAttribute()
    title = UnicodeAttribute()
    organisation = UnicodeAttribute()
    location = UnicodeAttribute(null=True)
    remote = BooleanAttribute()
    employment_type = UnicodeAttribute()
    description = UnicodeAttribute()
    apply_url = UnicodeAttribute(null=True)
    apply_email = UnicodeAttribute(null=True)
    tags = ListAttribute(of=UnicodeAttribute, null=True)
    closes_at = UnicodeAttribute()
    status = UnicodeAttribute()  # open | closed
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)
    # Kept a while after closing so a link still explains "closed" instead of 404.
    expires_at = TTLAttribute(null=True)

    @staticmethod
    def key(job_id: str) -> tuple[str, str]:
        return f"JOB#{job_id}", "JOB"

    @staticmethod
    def owner_index_key(owner_id: str, job_id: str) -> tuple[str, str]:
        """GSI1: an owner's jobs (account erasure finds them without a scan)."""
        return f"JOBS_BY#{owner_id}", job_id


class JobIndexItem(BaseItem):
    """Listing entries of an OPEN job, one per facet (`JOBS#open`, `JOBS#tag#<t>`,
    `JOBS#type#<t>`, `JOBS#remote#<bool>`, `JOBS#type#<t>#remote#<bool>`), sorted by closing
    time. TTL = closes_at, and reads start after "now", so expired jobs drop out even before
    DynamoDB's lazy TTL deletion runs. `employment_type`/`remote` let a tag listing filter by
    the other facets server-side."""

    class Meta(_Meta):
        pass

    job_id = UnicodeAttribute()
    employment_type = UnicodeAttribute()
    remote = BooleanAttribute()
    expires_at = TTLAttribute(null=True)

    @staticmethod
    def facet(*, tag: str | None = None, employment_type: str | None = None,
              remote: bool | None = None) -> str:
        if tag is not None:
            return f"JOBS#tag#{tag}"
        parts = ["JOBS"]
        if employment_type is not None:
            parts += ["type", employment_type]
        if remote is not None:
            parts += ["remote", "true" if remote else "false"]
        return "#".join(parts) if len(parts) > 1 else "JOBS#open"

    @staticmethod
    def key(facet: str, closes_at: str, job_id: str) -> tuple[str, str]:
        return facet, f"{closes_at}#{job_id}"


__all__ = ["RecentItem", "DiscoverPointerItem", "DiscoverPageItem", "TagPostItem", "TagPrefixItem",
           "ConversationItem", "MessageItem", "MembershipItem", "BlockEdgeItem", "JobItem", "JobIndexItem"]
