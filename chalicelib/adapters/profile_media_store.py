"""Profile images (avatar, banner): their items and the user-item attributes they set.

A profile image is a `PostItem` with `purpose` = "avatar" | "banner" and one `PostImageItem`,
so the upload handler screens it with the posts' cascade. Like a post it is recorded in the
owner's post ledger (`POSTS_OF#<user_id>`, so account erasure removes it with the posts); it
never gets the portfolio keys.
The user item holds the applied image (`avatar` / `banner`, JSON) and the latest attempt's id
(`avatar_attempt_id` / `banner_attempt_id`): only the latest attempt may be applied.
"""
from __future__ import annotations

import json
from typing import Any

from pynamodb.constants import ALL_OLD
from pynamodb.exceptions import PynamoDBException, TransactWriteError

from chalicelib.adapters.store import _condition_failed, dynamo_errors, update_if, transaction
from chalicelib.adapters.tables import PostItem, UserItem
from chalicelib.adapters.tables_erasure import PostLedgerItem
from chalicelib.adapters.tables_screening import PostImageItem
from chalicelib.errors import NotFound

KINDS = ("avatar", "banner")


def _attrs(kind: str) -> tuple[Any, Any]:
    if kind not in KINDS:
        raise ValueError(f"unknown profile image kind {kind!r}")
    return getattr(UserItem, kind), getattr(UserItem, f"{kind}_attempt_id")


def _old_json(resp: dict, name: str) -> dict | None:
    raw = (resp.get("Attributes") or {}).get(name, {}).get("S")
    return json.loads(raw) if raw else None


class ProfileMediaRepository:
    @dynamo_errors
    def create(self, media: PostItem, image: PostImageItem, kind: str) -> None:
        """One transaction: the owner's post-ledger entry, the image item, the media item and
        the user's latest-attempt pointer. NotFound when the account is gone."""
        _, attempt = _attrs(kind)
        try:
            with transaction() as tx:
                tx.save(PostLedgerItem(*PostLedgerItem.key(media.author_id, media.post_id),
                                       created_at=media.created_at))
                tx.save(image, condition=PostImageItem.pk.does_not_exist())
                tx.save(media, condition=PostItem.pk.does_not_exist())
                tx.update(UserItem(*UserItem.key(media.author_id)), actions=[attempt.set(media.post_id)],
                          condition=UserItem.pk.exists())
        except TransactWriteError as exc:
            if _condition_failed(exc):
                raise NotFound("No such user.") from None

    @dynamo_errors
    def apply(self, user_id: str, kind: str, media_id: str, image: dict) -> tuple[bool, dict | None]:
        """Sets the applied image while `media_id` is still the latest attempt. Returns
        (applied, the image it replaced)."""
        current, attempt = _attrs(kind)
        try:
            resp = UserItem._get_connection().update_item(
                *UserItem.key(user_id), actions=[current.set(image)], condition=attempt == media_id,
                return_values=ALL_OLD)
        except PynamoDBException as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False, None
            raise
        return True, _old_json(resp, kind)

    @dynamo_errors
    def clear(self, user_id: str, kind: str) -> tuple[dict | None, str | None]:
        """Removes the applied image and the attempt pointer (so a pending attempt, or one a
        moderator approves later, is not applied). Returns (the removed image, the attempt id)."""
        current, attempt = _attrs(kind)
        try:
            resp = UserItem._get_connection().update_item(
                *UserItem.key(user_id), actions=[current.remove(), attempt.remove()],
                condition=UserItem.pk.exists(), return_values=ALL_OLD)
        except PynamoDBException as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise NotFound("No such user.") from None
            raise
        old = (resp.get("Attributes") or {}).get(f"{kind}_attempt_id", {}).get("S")
        return _old_json(resp, kind), old

    @dynamo_errors
    def set_status(self, media_id: str, status: str, *, expected: str) -> bool:
        """`expected` -> `status` (applied -> replaced | deleted); False when it was not `expected`."""
        return update_if(PostItem(*PostItem.key(media_id)), [PostItem.status.set(status)], PostItem.status == expected)
