"""Account erasure (DELETE /v1/me): the post ledger that makes every post of a user findable
without a scan, and the erasure record.

| Entity | pk | sk | Notes |
|---|---|---|---|
| Post ledger | `POSTS_OF#<user_id>` | `<post_id>` | written when a post is created, whatever becomes of it (pending, rejected, deleted posts are not in the portfolio index) |
| Erasure record | `ERASURE#<user_id>` | `ERASURE` | requested/pass/completed times and counts; no personal data |
"""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.adapters.tables import BaseItem, _Meta


class PostLedgerItem(BaseItem):
    class Meta(_Meta):
        pass

    created_at = UnicodeAttribute(null=True)

    @staticmethod
    def key(user_id: str, post_id: str) -> tuple[str, str]:
        return f"POSTS_OF#{user_id}", post_id

    @staticmethod
    def partition(user_id: str) -> str:
        return f"POSTS_OF#{user_id}"


class ErasureItem(BaseItem):
    class Meta(_Meta):
        pass

    user_id = UnicodeAttribute()
    status = UnicodeAttribute()  # requested | erasing | final_pass_scheduled | done
    requested_at = UnicodeAttribute()
    handle_released_after = NumberAttribute(null=True)  # epoch seconds
    passes = NumberAttribute(default=0)
    last_pass_at = UnicodeAttribute(null=True)
    completed_at = UnicodeAttribute(null=True)
    counts = JSONAttribute(null=True)  # items removed per kind, summed over passes

    @staticmethod
    def key(user_id: str) -> tuple[str, str]:
        return f"ERASURE#{user_id}", "ERASURE"
