"""Portability (issue 18): imports of an archive, their entries, the exactly-once keys, the
daily import allowance and exported archives. Everything of one user lives in one partition,
`PORTABILITY#<user_id>`, so reads are Queries on it and account erasure drops it whole.

| Entity | pk | sk | Notes |
|---|---|---|---|
| Import | `PORTABILITY#<user>` | `IMPORT#<import_id>` | state, counts, total, error |
| Import entry | `PORTABILITY#<user>` | `ENTRY#<import_id>#<seq:06d>` | one future post: archive paths, status, reason, post id |
| Import key | `PORTABILITY#<user>` | `KEY#<source>#<digest>` | exactly-once guard: which post an archive post became |
| Allowance | `PORTABILITY#<user>` | `ALLOW#<yyyy-mm-dd>` | works imported that day (TTL) |
| Archive (export) | `PORTABILITY#<user>` | `ARCHIVE#<archive_id>` | state, object key, size, day |
"""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, ListAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute

from chalicelib.adapters.tables import BaseItem, _Meta


def partition(user_id: str) -> str:
    return f"PORTABILITY#{user_id}"


class ImportItem(BaseItem):
    class Meta(_Meta):
        pass

    import_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    source = UnicodeAttribute()  # instagram | easel
    state = UnicodeAttribute()  # uploading | reading | importing | done | failed
    content_length = NumberAttribute()
    object_key = UnicodeAttribute()
    total = NumberAttribute(default=0)
    finished = NumberAttribute(default=0)  # entries in a final status (the sum of the n_* counters)
    n_published = NumberAttribute(null=True)
    n_held_for_review = NumberAttribute(null=True)
    n_rejected = NumberAttribute(null=True)
    n_skipped = NumberAttribute(null=True)
    n_failed = NumberAttribute(null=True)
    error = JSONAttribute(null=True)  # {"code", "message"} when the archive itself was refused
    notes = ListAttribute(of=UnicodeAttribute, null=True)  # ignored archive entries, said plainly
    collections = JSONAttribute(null=True)  # [{"id", "title", "description", "seqs": [...]}] made when done
    newest_post_id = UnicodeAttribute(null=True)  # the one work followers' feeds get (see services/imports.py)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)

    @staticmethod
    def key(user_id: str, import_id: str) -> tuple[str, str]:
        return partition(user_id), f"IMPORT#{import_id}"


class ImportEntryItem(BaseItem):
    class Meta(_Meta):
        pass

    import_id = UnicodeAttribute()
    seq = NumberAttribute()
    path = UnicodeAttribute()  # the posts file entry it came from, e.g. content/posts_1.json#12
    identity = UnicodeAttribute()  # the exactly-once key (see services/imports.py)
    status = UnicodeAttribute()  # pending | waiting | importing | published | held_for_review | rejected | skipped | failed
    reason = UnicodeAttribute(null=True)
    post = JSONAttribute()  # title, description, tags, labels, first_posted_at, media: [archive paths]
    post_id = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)

    @staticmethod
    def key(user_id: str, import_id: str, seq: int) -> tuple[str, str]:
        return partition(user_id), f"ENTRY#{import_id}#{seq:06d}"

    @staticmethod
    def prefix(import_id: str) -> str:
        return f"ENTRY#{import_id}#"


class ImportKeyItem(BaseItem):
    class Meta(_Meta):
        pass

    import_id = UnicodeAttribute()
    seq = NumberAttribute()
    post_id = UnicodeAttribute()
    created_at = UnicodeAttribute()

    @staticmethod
    def key(user_id: str, identity: str) -> tuple[str, str]:
        return partition(user_id), f"KEY#{identity}"


class AllowanceItem(BaseItem):
    class Meta(_Meta):
        pass

    used = NumberAttribute(default=0)
    expires_at = TTLAttribute(null=True)

    @staticmethod
    def key(user_id: str, day: str) -> tuple[str, str]:
        return partition(user_id), f"ALLOW#{day}"


class ArchiveItem(BaseItem):
    class Meta(_Meta):
        pass

    archive_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    state = UnicodeAttribute()  # queued | building | ready | failed
    day = UnicodeAttribute()
    object_key = UnicodeAttribute()
    size = NumberAttribute(null=True)
    counts = JSONAttribute(null=True)
    error = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    ready_at = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)

    @staticmethod
    def key(user_id: str, archive_id: str) -> tuple[str, str]:
        return partition(user_id), f"ARCHIVE#{archive_id}"
