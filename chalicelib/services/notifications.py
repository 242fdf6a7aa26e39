"""Notifications: what happened to you (follows, likes, comments, reposts, messages, screening
outcomes, moderation decisions), newest first, with an unread count read from one counter item.

Other services call `notify(user_id, kind, actor_id, post_id=None, data=None)`. It never
notifies you about yourself, never lets someone you blocked reach you, and is best-effort: a
failure to record a notification is logged and never fails the action that caused it."""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Callable

from ulid import ULID

from chalicelib.adapters.community_store import (
    NotificationRepository, RelationRepository, existing_keys, expiry,
)
from chalicelib.adapters.tables import UserItem, iso, utcnow
from chalicelib.adapters.tables_community import NotificationCounterItem, NotificationItem
from chalicelib.config import Settings, get_settings
from chalicelib.domain import validation as v
from chalicelib.domain.cursor import decode_cursor, encode_cursor
from chalicelib.errors import AppError, ValidationError
from chalicelib.observability import logger
from chalicelib.services.tokens import Principal

KINDS = frozenset({"follow", "like", "comment", "repost", "message", "screening", "moderation"})
MAX_READ_IDS = 100
MAX_DATA_BYTES = 2000


class NotificationService:
    def __init__(self, repo: NotificationRepository, relations: RelationRepository, settings: Settings,
                 cursor_key: Callable[[], bytes] | None = None) -> None:
        self.repo = repo
        self.relations = relations
        self.settings = settings
        self.cursor_key = cursor_key

    def notify(self, user_id: str, kind: str, actor_id: str | None, post_id: str | None = None,
               data: dict[str, Any] | None = None, *, blocks_checked: bool = False) -> bool:
        """Records one notification; False when it was not recorded (self, blocked, failure).
        `blocks_checked`: the caller already read the recipient->actor block edge in its own
        request (messages read both block edges before sending), so the GetItem is skipped."""
        if kind not in KINDS:
            raise ValueError(f"unknown notification kind {kind!r}")
        if data is not None and len(json.dumps(data)) > MAX_DATA_BYTES:
            raise ValueError("notification data is too large")
        if actor_id is not None and actor_id == user_id:
            return False
        try:
            if actor_id is not None and not blocks_checked and self.relations.has_blocked(user_id, actor_id):
                return False
            nid = str(ULID())
            self.repo.add(NotificationItem(
                *NotificationItem.key(user_id, nid), notification_id=nid, user_id=user_id, kind=kind,
                actor_id=actor_id, post_id=post_id, data=data or None, created_at=iso(utcnow()),
                expires_at=expiry(self.settings.notification_ttl_days)))
        except AppError as exc:  # Unavailable: the originating action already succeeded
            logger.warning("notification not recorded", user_id=user_id, kind=kind, error=exc.code)
            return False
        return True

    def list(self, principal: Principal, *, limit_raw: str | None, cursor: str | None) -> dict:
        assert self.cursor_key is not None
        limit = v.page_limit(limit_raw, self.settings.page_limit_default, self.settings.page_limit_max)
        scope = f"notifications:{principal.user_id}"
        position = decode_cursor(self.cursor_key(), scope, cursor)
        items, last = self.repo.list_page(principal.user_id, limit=limit,
                                          after=position.get("after") if position else None)
        # One BatchGetItem: the actors' profiles (fresh handles) and the unread counter.
        counter_key = NotificationCounterItem.key(principal.user_id)
        actors = {i.actor_id for i in items if i.actor_id}
        raw = existing_keys([UserItem.key(a) for a in actors] + [counter_key])
        counter = NotificationCounterItem.from_raw_data(raw.pop(counter_key)) if counter_key in raw else None
        handles = {UserItem.from_raw_data(r).user_id: UserItem.from_raw_data(r).handle for r in raw.values()}
        read_through = counter.read_through if counter else None
        views = [{
            "id": i.notification_id, "kind": i.kind,
            "actor": {"id": i.actor_id, "handle": handles.get(i.actor_id)} if i.actor_id else None,
            "post_id": i.post_id, "data": i.data or {},
            "read": bool(i.read) or (read_through is not None and i.sk <= read_through),
            "created_at": i.created_at,
        } for i in items]
        return {"items": views, "unread_count": max(0, int(counter.unread or 0)) if counter else 0,
                "next_cursor": encode_cursor(self.cursor_key(), scope, {"after": last}) if last else None}

    def mark_read(self, principal: Principal, body: Any) -> dict:
        """No body or `{}`: everything read. `{"ids": [...]}`: just those."""
        ids = None
        if body is not None:
            body = v.require_object(body)
            ids = body.get("ids")
        if ids is None:
            self.repo.mark_all_read(principal.user_id, str(ULID()))
            return {"unread_count": 0}
        if not isinstance(ids, list) or not all(isinstance(i, str) and 0 < len(i) <= 40 for i in ids):
            raise ValidationError("'ids' must be a list of notification ids.", field="ids")
        if len(ids) > MAX_READ_IDS:
            raise ValidationError(f"At most {MAX_READ_IDS} ids at once.", field="ids")
        counter = self.repo.counter(principal.user_id)
        read_through = counter.read_through if counter else None
        # Ids at or before read_through were already discounted by 'mark all read'.
        pending = [i for i in dict.fromkeys(ids) if read_through is None or i > read_through]
        self.repo.mark_read(principal.user_id, pending)
        counter = self.repo.counter(principal.user_id)
        return {"unread_count": max(0, int(counter.unread or 0)) if counter else 0}


@lru_cache(maxsize=1)
def default_service() -> NotificationService:
    """The writer other services use (reading pages needs the cursor key: see container)."""
    return NotificationService(NotificationRepository(), RelationRepository(), get_settings())


def notify(user_id: str, kind: str, actor_id: str | None, post_id: str | None = None,
           data: dict[str, Any] | None = None, *, blocks_checked: bool = False) -> bool:
    return default_service().notify(user_id, kind, actor_id, post_id=post_id, data=data,
                                    blocks_checked=blocks_checked)

