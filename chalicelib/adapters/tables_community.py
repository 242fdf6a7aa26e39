"""pynamodb models of the community entities (likes, comments, reposts, blocks, mutes,
collections, notifications) in the single application table. Each entity builds its keys
here, in one place; docs/data-model.md lists them with their access patterns."""
from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute, JSONAttribute, ListAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute,
)

from chalicelib.adapters.tables import BaseItem, _Meta


class LikeItem(BaseItem):
    """Edge user -> post. The base key answers `liked_by_me` inside a page's BatchGetItem;
    gsi1 (`LIKES#<user>` / `<like ULID>`) is the likes tab, newest like first."""

    class Meta(_Meta):
        pass

    user_id = UnicodeAttribute()
    post_id = UnicodeAttribute()
    created_at = UnicodeAttribute()

    @staticmethod
    def key(user_id: str, post_id: str) -> tuple[str, str]:
        return f"LIKE#{user_id}", post_id

    @staticmethod
    def index_key(user_id: str, like_id: str) -> tuple[str, str]:
        return f"LIKES#{user_id}", like_id


class CommentItem(BaseItem):
    """A comment, listed under its post oldest first (sk is a ULID)."""

    class Meta(_Meta):
        pass

    comment_id = UnicodeAttribute()
    post_id = UnicodeAttribute()
    author_id = UnicodeAttribute()
    author_handle = UnicodeAttribute()
    text = UnicodeAttribute()
    created_at = UnicodeAttribute()

    @staticmethod
    def key(post_id: str, comment_id: str) -> tuple[str, str]:
        return f"COMMENTS#{post_id}", comment_id

    @staticmethod
    def partition(post_id: str) -> str:
        return f"COMMENTS#{post_id}"

    @staticmethod
    def author_index_key(author_id: str, post_id: str, comment_id: str) -> tuple[str, str]:
        """GSI1: a user's comments anywhere (account erasure finds them without a scan)."""
        return f"COMMENTS_BY#{author_id}", f"{post_id}#{comment_id}"


class RepostItem(BaseItem):
    """Edge reposter -> post. `repost_id` (a ULID) is the sk of the feed entries the fan-out
    wrote; a feed entry whose repost_id no longer matches (undone, or redone later) is dropped
    at read time."""

    class Meta(_Meta):
        pass

    user_id = UnicodeAttribute()
    post_id = UnicodeAttribute()
    repost_id = UnicodeAttribute()
    created_at = UnicodeAttribute()

    @staticmethod
    def key(user_id: str, post_id: str) -> tuple[str, str]:
        return f"REPOST#{user_id}", post_id


class BlockItem(BaseItem):
    """Edge blocker -> blocked; gsi1 lists who blocked a user (`BLOCKED_BY#<blocked>`).
    This exact layout is shared with the messages service."""

    class Meta(_Meta):
        pass

    blocker_id = UnicodeAttribute()
    blocked_id = UnicodeAttribute()
    created_at = UnicodeAttribute()

    @staticmethod
    def key(blocker_id: str, blocked_id: str) -> tuple[str, str]:
        return f"BLOCK#{blocker_id}", blocked_id

    @staticmethod
    def index_key(blocker_id: str, blocked_id: str) -> tuple[str, str]:
        return f"BLOCKED_BY#{blocked_id}", blocker_id


class MuteItem(BaseItem):
    class Meta(_Meta):
        pass

    muter_id = UnicodeAttribute()
    muted_id = UnicodeAttribute()
    created_at = UnicodeAttribute()

    @staticmethod
    def key(muter_id: str, muted_id: str) -> tuple[str, str]:
        return f"MUTE#{muter_id}", muted_id


class CollectionItem(BaseItem):
    """A series: ordered post ids live in the item (bounded), so add/remove/reorder are one
    conditional write on `version`. gsi1 lists an owner's collections, oldest first."""

    class Meta(_Meta):
        pass

    collection_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    title = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    post_ids = ListAttribute(of=UnicodeAttribute, null=True)
    version = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    @staticmethod
    def key(collection_id: str) -> tuple[str, str]:
        return f"COLLECTION#{collection_id}", "COLLECTION"

    @staticmethod
    def index_key(owner_id: str, collection_id: str) -> tuple[str, str]:
        return f"COLLECTIONS#{owner_id}", collection_id


class NotificationItem(BaseItem):
    """One notification; sk is a ULID (newest first by querying backwards). Expires by TTL."""

    class Meta(_Meta):
        pass

    notification_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    actor_id = UnicodeAttribute(null=True)
    post_id = UnicodeAttribute(null=True)
    data = JSONAttribute(null=True)
    read = BooleanAttribute(null=True)
    created_at = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)

    @staticmethod
    def key(user_id: str, notification_id: str) -> tuple[str, str]:
        return f"NOTIF#{user_id}", notification_id

    @staticmethod
    def partition(user_id: str) -> str:
        return f"NOTIF#{user_id}"


class NotificationCounterItem(BaseItem):
    """Unread count without scanning: incremented per notification, reset by 'mark all read',
    which also records `read_through` (every notification id <= it counts as read)."""

    class Meta(_Meta):
        pass

    unread = NumberAttribute(default=0)
    read_through = UnicodeAttribute(null=True)

    @staticmethod
    def key(user_id: str) -> tuple[str, str]:
        return f"NOTIFCOUNT#{user_id}", "COUNTER"
