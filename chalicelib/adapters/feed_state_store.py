"""The viewer's feed state: what a feed page needs to know about the viewer, in one small item
(docs/feeds.md, "Read units"), so that a page does not read one edge per author and per post.

`FEEDSTATE#<user>` / `STATE`: `muted` (ids the user muted) and `unfollowed` (ids the user
stopped following, or lost by a block, and has not followed again), kept by the mute, unmute,
follow, unfollow and block paths; `v` says the item is complete. A user without the item (every
user before this change) gets it built once from their mute edges on their first feed page.
The viewer's like of a fanned-out post is a flag on their own feed entry (`lk`), set by the
like/unlike path.

Bounded by behaviour: ids are 26 characters, so the item stays under one 4 KB read unit up to
~140 ids; a user muting or unfollowing more pays one more read unit per 4 KB.
"""
from __future__ import annotations

from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeSetAttribute
from pynamodb.exceptions import UpdateError

from chalicelib.adapters.store import dynamo_errors
from chalicelib.adapters.tables import BaseItem, FeedItem, _Meta
from chalicelib.adapters.tables_community import MuteItem

STATE_VERSION = 1


class FeedStateItem(BaseItem):
    class Meta(_Meta):
        pass

    muted = UnicodeSetAttribute(null=True)
    unfollowed = UnicodeSetAttribute(null=True)
    v = NumberAttribute(null=True)

    @staticmethod
    def key(user_id: str) -> tuple[str, str]:
        return f"FEEDSTATE#{user_id}", "STATE"


def parse_state(raw: dict[str, Any] | None) -> tuple[set[str], set[str]] | None:
    """(muted, unfollowed) from a raw item of a BatchGetItem; None when the item is missing or
    incomplete (built by `build` then)."""
    if not raw or "v" not in raw:
        return None
    return set(raw.get("muted", {}).get("SS", [])), set(raw.get("unfollowed", {}).get("SS", []))


class FeedStateRepository:
    @dynamo_errors
    def build(self, user_id: str) -> tuple[set[str], set[str]]:
        """Once per user: the item from their mute edges (one Query of `MUTE#<user>`); the
        entries of earlier unfollows are not v2 entries, so they keep the follow-edge check."""
        muted = {item.muted_id for item in MuteItem.query(MuteItem.key(user_id, "")[0])}
        actions = [FeedStateItem.v.set(STATE_VERSION)]
        if muted:
            actions.append(FeedStateItem.muted.add(muted))
        item = FeedStateItem(*FeedStateItem.key(user_id))
        item.update(actions=actions)  # ADD keeps ids a mute/unfollow wrote before the item was complete
        return set(item.muted or ()), set(item.unfollowed or ())

    @dynamo_errors
    def set_muted(self, user_id: str, other_id: str, muted: bool) -> None:
        self._change(user_id, FeedStateItem.muted, other_id, muted)

    @dynamo_errors
    def set_unfollowed(self, user_id: str, other_id: str, unfollowed: bool) -> None:
        self._change(user_id, FeedStateItem.unfollowed, other_id, unfollowed)

    @staticmethod
    def _change(user_id: str, attribute: UnicodeSetAttribute, other_id: str, present: bool) -> None:
        # One UpdateItem (1 WRU). An ADD may create the item without `v`: the first feed page
        # then completes it from the mute edges (the ADDed id is kept).
        action = attribute.add({other_id}) if present else attribute.delete({other_id})
        FeedStateItem(*FeedStateItem.key(user_id)).update(actions=[action])

    @dynamo_errors
    def set_liked(self, user_id: str, post_id: str, liked: bool) -> None:
        """The like flag on the user's own feed entry of this post, when there is one (a
        conditional UpdateItem: 1 WRU whether or not the entry exists)."""
        try:
            FeedItem(*FeedItem.key(user_id, post_id)).update(
                actions=[FeedItem.liked.set(liked)], condition=FeedItem.pk.exists())
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
