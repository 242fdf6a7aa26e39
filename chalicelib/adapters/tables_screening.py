"""pynamodb models for screening and moderation, in the single application table.

Each entity builds its keys here and nowhere else. Access patterns and costs:
docs/screening.md ("Data model"). ULIDs everywhere something is listed by time.

| Entity            | pk                                  | sk                         | gsi1pk / gsi1sk                  |
|-------------------|-------------------------------------|----------------------------|----------------------------------|
| Post image        | POST#<post_id>                      | IMAGE#<nn>                 | —                                |
| Hash band         | PHASH#<band 0-3>#<16-bit hex>       | <post_id>#<nn>#<o|m>       | —                                |
| Known-AI band     | AIHASH#<band 0-3>#<16-bit hex>      | <entry_id>                 | —                                |
| Known-AI entry    | AIENTRY#<entry_id>                  | AIENTRY                    | AIENTRIES / <entry_id>           |
| Moderation item   | MODITEM#<item_id>                   | MODITEM                    | POSTMOD#<post_id> / <item_id>    |
| Queue entry       | MODQ#<scope>                        | <item_id>                  | — (deleted when decided)         |
| Open guard        | MODOPEN#<post_id>#<kind>            | OPEN                       | —                                |
| Reporter          | REPORTERS#<item_id>                 | <user_id>                  | REPORTS_BY#<user_id> / <item_id> |
| Audit entry       | AUDIT#<post_id>                     | <ulid>                     | AUDITDAY#<yyyy-mm-dd> / <ulid>   |
| Circuit breaker   | BREAKER#<name>                      | STATE                      | —                                |

Queue scopes (one small entry item per scope, so every filter is one Query, oldest first):
`ALL`, `K#<kind>`, `R#<reason>`, `K#<kind>#R#<reason>`.
"""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.adapters.tables import BaseItem, _Meta

KINDS = ("held", "appeal", "report")


class PostImageItem(BaseItem):
    """One image of a post, in the post's partition: its own upload state and screening
    record, so images are screened independently and the last one decides the post."""

    class Meta(_Meta):
        pass

    post_id = UnicodeAttribute()
    index = NumberAttribute()
    content_type = UnicodeAttribute()
    content_length = NumberAttribute()
    status = UnicodeAttribute()  # awaiting_upload | screening | deferred | screened
    protected = BooleanAttribute(default=False)  # the artist declared Glaze/Nightshade
    verdict = UnicodeAttribute(null=True)  # published | held_for_review | rejected
    record = JSONAttribute(null=True)  # signals, scores, thresholds, detector versions
    hashes = JSONAttribute(null=True)
    attempts = NumberAttribute(default=0)  # deferrals (vendor unavailable)
    created_at = UnicodeAttribute()
    screened_at = UnicodeAttribute(null=True)

    @staticmethod
    def key(post_id: str, index: int) -> tuple[str, str]:
        return f"POST#{post_id}", f"IMAGE#{index:02d}"

    @staticmethod
    def prefix() -> str:
        return "IMAGE#"


class HashBandItem(BaseItem):
    class Meta(_Meta):
        pass

    phash = UnicodeAttribute()
    post_id = UnicodeAttribute()
    author_id = UnicodeAttribute()
    image_index = NumberAttribute()
    mirrored = BooleanAttribute(default=False)

    @staticmethod
    def partition(band: int, value_hex: str) -> str:
        return f"PHASH#{band}#{value_hex}"

    @staticmethod
    def key(band: int, value_hex: str, post_id: str, index: int, mirrored: bool) -> tuple[str, str]:
        return HashBandItem.partition(band, value_hex), f"{post_id}#{index:02d}#{'m' if mirrored else 'o'}"


class KnownAiBandItem(BaseItem):
    class Meta(_Meta):
        pass

    phash = UnicodeAttribute()
    entry_id = UnicodeAttribute()
    note = UnicodeAttribute(null=True)
    source_post_id = UnicodeAttribute(null=True)
    added_by = UnicodeAttribute()
    created_at = UnicodeAttribute()

    @staticmethod
    def partition(band: int, value_hex: str) -> str:
        return f"AIHASH#{band}#{value_hex}"

    @staticmethod
    def key(band: int, value_hex: str, entry_id: str) -> tuple[str, str]:
        return KnownAiBandItem.partition(band, value_hex), entry_id


class KnownAiEntryItem(BaseItem):
    """One known-AI list entry: what moderators list and delete. It remembers the band items it
    wrote (`band_keys`, "pk|sk"), so deleting it removes exactly those and the entry stops
    matching. Listed newest first through gsi1 (`AIENTRIES`, KEYS_ONLY) + BatchGetItem."""

    class Meta(_Meta):
        pass

    entry_id = UnicodeAttribute()
    phash = UnicodeAttribute()
    note = UnicodeAttribute(null=True)
    source_post_id = UnicodeAttribute(null=True)
    added_by = UnicodeAttribute()
    added_by_handle = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    band_keys = ListAttribute(of=UnicodeAttribute)
    backfilled = BooleanAttribute(default=False)  # written later for an entry made before entry records

    @staticmethod
    def key(entry_id: str) -> tuple[str, str]:
        return f"AIENTRY#{entry_id}", "AIENTRY"

    @staticmethod
    def index_key(entry_id: str) -> tuple[str, str]:
        return "AIENTRIES", entry_id


class ModerationItem(BaseItem):
    class Meta(_Meta):
        pass

    item_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # held | appeal | report
    post_id = UnicodeAttribute()
    author_id = UnicodeAttribute()
    reason = UnicodeAttribute()
    status = UnicodeAttribute()  # open | decided
    reports_count = NumberAttribute(default=0)
    report_reasons = JSONAttribute(null=True)  # reason -> distinct reporters
    statement = UnicodeAttribute(null=True)
    evidence_urls = ListAttribute(of=UnicodeAttribute, null=True)
    opened_by = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    decided_at = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    decision = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)

    @staticmethod
    def key(item_id: str) -> tuple[str, str]:
        return f"MODITEM#{item_id}", "MODITEM"

    @staticmethod
    def post_index_key(post_id: str, item_id: str) -> tuple[str, str]:
        return f"POSTMOD#{post_id}", item_id


class QueueEntryItem(BaseItem):
    class Meta(_Meta):
        pass

    @staticmethod
    def scope(kind: str | None, reason: str | None) -> str:
        if kind and reason:
            return f"MODQ#K#{kind}#R#{reason}"
        if kind:
            return f"MODQ#K#{kind}"
        if reason:
            return f"MODQ#R#{reason}"
        return "MODQ#ALL"

    @staticmethod
    def keys(kind: str, reason: str, item_id: str) -> list[tuple[str, str]]:
        return [(QueueEntryItem.scope(k, r), item_id)
                for k, r in ((None, None), (kind, None), (None, reason), (kind, reason))]


class OpenGuardItem(BaseItem):
    """At most one open item of a kind per post (one held item, one open appeal, one
    collapsed report item); created and deleted in the same transaction as the item."""

    class Meta(_Meta):
        pass

    item_id = UnicodeAttribute()

    @staticmethod
    def key(post_id: str, kind: str) -> tuple[str, str]:
        return f"MODOPEN#{post_id}#{kind}", "OPEN"


class ReporterItem(BaseItem):
    class Meta(_Meta):
        pass

    reason = UnicodeAttribute()
    details = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()

    @staticmethod
    def key(item_id: str, user_id: str) -> tuple[str, str]:
        return f"REPORTERS#{item_id}", user_id

    @staticmethod
    def reporter_index_key(user_id: str, item_id: str) -> tuple[str, str]:
        """GSI1: a user's reports (account erasure removes their free-text details)."""
        return f"REPORTS_BY#{user_id}", item_id


class AuditItem(BaseItem):
    class Meta(_Meta):
        pass

    entry_id = UnicodeAttribute()
    post_id = UnicodeAttribute()
    item_id = UnicodeAttribute(null=True)
    actor_id = UnicodeAttribute()
    actor_handle = UnicodeAttribute(null=True)
    action = UnicodeAttribute()
    note = UnicodeAttribute(null=True)
    detail = JSONAttribute(null=True)
    at = UnicodeAttribute()

    @staticmethod
    def key(post_id: str, entry_id: str) -> tuple[str, str]:
        return f"AUDIT#{post_id}", entry_id

    @staticmethod
    def day_key(day: str, entry_id: str) -> tuple[str, str]:
        return f"AUDITDAY#{day}", entry_id


class BreakerItem(BaseItem):
    class Meta(_Meta):
        pass

    failures = NumberAttribute(default=0)
    open_until = NumberAttribute(default=0)

    @staticmethod
    def key(name: str) -> tuple[str, str]:
        return f"BREAKER#{name}", "STATE"
