"""pynamodb models of the single application table, and the key layout of every entity.

Physical schema: `infra/resources.py` (APP_TABLE). Each entity builds its keys in one place
(its `key_*` helpers); nothing else formats `pk`/`sk` strings.
"""
from __future__ import annotations

from datetime import datetime, timezone

from pynamodb.attributes import (
    BooleanAttribute, JSONAttribute, ListAttribute, NumberAttribute, TTLAttribute,
    UnicodeAttribute, UnicodeSetAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.config import get_settings

_settings = get_settings()


class _Meta:
    table_name = _settings.table_name
    region = _settings.region
    host = _settings.endpoint_url
    connect_timeout_seconds = 3
    read_timeout_seconds = 10
    max_retry_attempts = 3


class Gsi1(GlobalSecondaryIndex):
    """Inverted/secondary lookups: followers of a user, an author's published posts,
    a user's sessions. KEYS_ONLY so counter updates never write the index."""

    class Meta:
        index_name = "gsi1"
        projection = KeysOnlyProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class BaseItem(Model):
    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class UserItem(BaseItem):
    class Meta(_Meta):
        pass

    user_id = UnicodeAttribute()
    handle = UnicodeAttribute()
    email = UnicodeAttribute()
    password_hash = UnicodeAttribute()
    display_name = UnicodeAttribute(null=True)
    bio = UnicodeAttribute(null=True)
    roles = UnicodeSetAttribute(null=True)
    email_verified = BooleanAttribute(default=False)
    followers_count = NumberAttribute(default=0)
    following_count = NumberAttribute(default=0)
    posts_count = NumberAttribute(default=0)
    # Set once followers_count crosses FANOUT_LIMIT: posts are merged into feeds at read time.
    large_account = BooleanAttribute(default=False)
    # Crossed FANOUT_LIMIT; the followers walk (services/social.py) has not finished yet: posts
    # still fan out, so no follower misses one while the walk fills their follows_large sets.
    large_pending = BooleanAttribute(null=True)
    # Ids of the large accounts this user follows (bounded), merged into the feed at read time.
    follows_large = UnicodeSetAttribute(null=True)
    # Posts of this user screening found AI in (rejected or held for an AI reason): every later
    # inconclusive upload goes to the vendor (chalicelib/screening/vendor_policy.py).
    ai_findings = NumberAttribute(null=True)
    created_at = UnicodeAttribute()
    # Community profile and settings (PATCH /v1/me); pinned_post_ids is the artist's own
    # portfolio order, shown before the newest-first listing (bounded, see services/profiles.py).
    links = JSONAttribute(null=True)
    open_to_work = BooleanAttribute(null=True)
    show_mature = BooleanAttribute(null=True)
    hide_likes = BooleanAttribute(null=True)
    pinned_post_ids = ListAttribute(of=UnicodeAttribute, null=True)
    # DELETE /v1/me: set when erasure is requested; the account is then invisible and can no
    # longer sign in, and the erasure job (services/erasure.py) deletes this item last.
    deletion_requested_at = UnicodeAttribute(null=True)
    # Profile images (services/profile_media.py): the applied, screened image ({id, width, height,
    # variants}) and the id of the latest upload attempt (only that one may be applied).
    avatar = JSONAttribute(null=True)
    banner = JSONAttribute(null=True)
    avatar_attempt_id = UnicodeAttribute(null=True)
    banner_attempt_id = UnicodeAttribute(null=True)

    @staticmethod
    def key(user_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", "PROFILE"


class HandleItem(BaseItem):
    """Uniqueness guard and lookup for handles (stored lower-cased). After an account is
    erased the guard stays as a tombstone until `released_after` (epoch seconds) so nobody can
    take over a just-deleted artist's name; sign-up may claim it once that time has passed
    (compared in the condition, never left to TTL, which deletes lazily)."""

    class Meta(_Meta):
        pass

    user_id = UnicodeAttribute()
    released_after = NumberAttribute(null=True)

    @staticmethod
    def key(handle: str) -> tuple[str, str]:
        return f"HANDLE#{handle.lower()}", "HANDLE"


class EmailItem(BaseItem):
    class Meta(_Meta):
        pass

    user_id = UnicodeAttribute()

    @staticmethod
    def key(email: str) -> tuple[str, str]:
        return f"EMAIL#{email.lower()}", "EMAIL"


class SessionItem(BaseItem):
    """A refresh-token session. Only hashes of refresh secrets are stored."""

    class Meta(_Meta):
        pass

    session_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    secret_hash = UnicodeAttribute()
    previous_hashes = ListAttribute(of=UnicodeAttribute, null=True)  # rotated-out secrets: reuse = theft
    generation = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    last_used_at = UnicodeAttribute()
    absolute_expiry = NumberAttribute()
    user_agent = UnicodeAttribute(null=True)
    revoked = BooleanAttribute(default=False)
    expires_at = TTLAttribute(null=True)

    @staticmethod
    def key(session_id: str) -> tuple[str, str]:
        return f"SESSION#{session_id}", "SESSION"

    @staticmethod
    def index_key(user_id: str, session_id: str) -> tuple[str, str]:
        return f"USER_SESSIONS#{user_id}", session_id


class PostItem(BaseItem):
    class Meta(_Meta):
        pass

    post_id = UnicodeAttribute()
    author_id = UnicodeAttribute()
    author_handle = UnicodeAttribute()
    title = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    tags = ListAttribute(of=UnicodeAttribute, null=True)
    status = UnicodeAttribute()
    content_type = UnicodeAttribute()
    content_length = NumberAttribute()
    images = JSONAttribute(null=True)
    screening = JSONAttribute(null=True)
    labels = ListAttribute(of=UnicodeAttribute, null=True)
    alt_texts = ListAttribute(of=UnicodeAttribute, null=True)  # per image index ("" = none)
    fanout_done = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()
    decided_at = UnicodeAttribute(null=True)
    # Interaction counters: likes and reposts as plain ADDs after their edge (store.add_counted_edge),
    # comments in the same transaction as the comment (docs/data-model.md, "Hot counters").
    likes_count = NumberAttribute(null=True)
    comments_count = NumberAttribute(null=True)
    reposts_count = NumberAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    # None for posts; "avatar" | "banner" for profile images, which share the upload pipeline but
    # never enter portfolios, feeds, discovery, tags, the hash index or posts_count.
    purpose = UnicodeAttribute(null=True)
    # Imported posts (services/imports.py): "<import_id>#<seq>" and the original date, shown as
    # "first posted"; an imported post is never fanned out one by one (the import is, once).
    import_ref = UnicodeAttribute(null=True)
    first_posted_at = UnicodeAttribute(null=True)

    @staticmethod
    def key(post_id: str) -> tuple[str, str]:
        return f"POST#{post_id}", "POST"

    @staticmethod
    def portfolio_key(author_id: str, post_id: str) -> tuple[str, str]:
        """GSI1 keys, set only once the post is published (a sparse index of public work)."""
        return f"AUTHOR#{author_id}", post_id


class FollowItem(BaseItem):
    """Edge follower -> followee. The base key lists whom a user follows; GSI1 (inverted)
    lists a user's followers — one item serves both directions."""

    class Meta(_Meta):
        pass

    follower_id = UnicodeAttribute()
    followee_id = UnicodeAttribute()
    created_at = UnicodeAttribute()

    @staticmethod
    def key(follower_id: str, followee_id: str) -> tuple[str, str]:
        return f"FOLLOW#{follower_id}", followee_id

    @staticmethod
    def index_key(follower_id: str, followee_id: str) -> tuple[str, str]:
        return f"FOLLOWERS#{followee_id}", follower_id


class FeedItem(BaseItem):
    """A home-timeline entry written by fan-out; sorted by the post's ULID."""

    class Meta(_Meta):
        pass

    author_id = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)
    # Repost entries: sk is the repost's ULID (so they sort by repost time), post_id the shared
    # post, reposted_by the reposter (adapters/community_store.py writes them).
    post_id = UnicodeAttribute(null=True)
    reposted_by = UnicodeAttribute(null=True)
    reposted_by_handle = UnicodeAttribute(null=True)
    # Entries written by the publication fan-out carry the viewer's state (v=2): `lk` is the
    # viewer's like, kept by the like/unlike path; other entries (backfill, reposts, written
    # before v2) have the viewer's edges read instead (docs/feeds.md, "Read units").
    fmt = NumberAttribute(null=True, attr_name="v")
    liked = BooleanAttribute(null=True, attr_name="lk")

    @staticmethod
    def key(user_id: str, post_id: str) -> tuple[str, str]:
        return f"FEED#{user_id}", post_id

    @staticmethod
    def partition(user_id: str) -> str:
        return f"FEED#{user_id}"


# -- identity: brute-force counters, e-mail tokens, role audit (issue 3) -------------------------
class AttemptItem(BaseItem):
    """Failed-login counter for one account or one client address. DynamoDB's TTL deletes it
    some time after `expires_at` (up to days later), so readers compare `expires_at` themselves."""

    class Meta(_Meta):
        pass

    failures = NumberAttribute(default=0)
    window_ends = NumberAttribute()  # epoch seconds; the counter restarts after this
    next_allowed_at = NumberAttribute(null=True)  # exponential backoff
    locked_until = NumberAttribute(null=True)  # temporary lockout
    expires_at = TTLAttribute()

    @staticmethod
    def key(scope: str, subject: str) -> tuple[str, str]:
        """scope: 'acct' (a user id, or the identifier typed when no account has it),
        'ip' (a client address), 'reset' (password-reset mails sent to one account)."""
        return f"ATTEMPTS#{scope}#{subject.lower()}", "ATTEMPTS"


class MailTokenItem(BaseItem):
    """An e-mailed single-use token (verification, password reset); keyed by its SHA-256."""

    class Meta(_Meta):
        pass

    purpose = UnicodeAttribute()  # "verify" | "reset"
    user_id = UnicodeAttribute()
    email = UnicodeAttribute()
    # reset tokens: a fingerprint of the password hash when issued, so any password change
    # invalidates every outstanding reset link.
    password_fingerprint = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    valid_until = NumberAttribute()
    used_at = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()

    @staticmethod
    def key(token_hash: str) -> tuple[str, str]:
        return f"MAILTOKEN#{token_hash}", "MAILTOKEN"


class RoleAuditItem(BaseItem):
    """One role change: who changed what for whom, when. Listed per user, oldest first (ULID)."""

    class Meta(_Meta):
        pass

    user_id = UnicodeAttribute()
    role = UnicodeAttribute()
    action = UnicodeAttribute()  # "grant" | "revoke"
    actor = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    at = UnicodeAttribute()

    @staticmethod
    def key(user_id: str, change_id: str) -> tuple[str, str]:
        return f"ROLE_AUDIT#{user_id}", f"ROLE#{change_id}"

    @staticmethod
    def partition(user_id: str) -> str:
        return f"ROLE_AUDIT#{user_id}"
