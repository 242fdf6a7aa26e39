"""Direct messages between two users.

Rules: only the two participants can see, read or write a conversation (anyone else gets 404,
as if it did not exist); blocked users cannot message, in either direction, also in a
conversation that existed before the block; a message from someone the recipient does not
follow lands in the recipient's requests folder (readable, not notified) until they accept it
or answer.

Notifications: every message that does not land in the requests folder notifies the recipient
once (kind `message`, data `conversation_id` and `message_id`; no copy of the text, so erasing
an account or a conversation leaves none behind in someone's notifications). Not coalesced: the
inbox row cannot tell whether its earlier unread messages were notified (they may have arrived
as a request and been accepted since), and coalescing would need an extra write per message."""
from __future__ import annotations

import re
from typing import Any, Callable

from ulid import ULID

from chalicelib.adapters.social_store import MessageRepository, raw_value
from chalicelib.adapters.store import UserRepository
from chalicelib.adapters.tables import iso, utcnow
from chalicelib.adapters.tables_social import ConversationItem, MembershipItem, MessageItem
from chalicelib.config import Settings
from chalicelib.domain import validation as v
from chalicelib.domain.cursor import decode_cursor, encode_cursor
from chalicelib.errors import Forbidden, Gone, NotFound, ValidationError
from chalicelib.services.tokens import Principal

MAX_MESSAGE = 2000
ULID_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
CONV_RE = re.compile(r"^([0-9A-HJKMNP-TV-Z]{26})-([0-9A-HJKMNP-TV-Z]{26})$")


def conversation_id_for(a: str, b: str) -> str:
    first, second = sorted((a, b))
    return f"{first}-{second}"


def ulid_time(value: str | None) -> str | None:
    if not value or not ULID_RE.match(value):
        return None
    return iso(ULID.from_str(value).datetime)


def row_view(row: MembershipItem) -> dict:
    unread = bool(row.last_sender_id and row.last_sender_id != row.user_id
                  and (row.last_read_id or "") < row.last_activity_id)
    return {"id": row.conversation_id, "with": {"id": row.other_id, "handle": row.other_handle},
            "request": bool(row.request), "unread": unread,
            "last_message": ({"id": row.last_activity_id, "sender_id": row.last_sender_id,
                              "preview": row.last_preview or ""} if row.last_sender_id else None),
            "last_activity_at": ulid_time(row.last_activity_id)}


def message_view(message: MessageItem, conversation_id: str) -> dict:
    return {"id": message.message_id, "conversation_id": conversation_id, "sender_id": message.sender_id,
            "text": message.text, "created_at": message.created_at}


class MessageService:
    def __init__(self, repo: MessageRepository, users: UserRepository, settings: Settings,
                 cursor_key: Callable[[], bytes], notify: Callable[..., bool] | None = None) -> None:
        self.repo = repo
        self.users = users
        self.settings = settings
        self.cursor_key = cursor_key
        self._notify = notify

    def notify(self, *args: Any, **kwargs: Any) -> bool:
        if self._notify is None:  # the shared writer (chalicelib/services/notifications.py)
            from chalicelib.services.notifications import notify

            self._notify = notify
        return self._notify(*args, **kwargs)

    def _participants(self, principal: Principal, conversation_id: str) -> tuple[str, str]:
        """The other participant, from the id alone: no read for outsiders (always 404)."""
        match = CONV_RE.match(conversation_id or "")
        if not match or principal.user_id not in match.groups() or match.group(1) == match.group(2):
            raise NotFound("No such conversation.")
        a, b = match.groups()
        return principal.user_id, (b if a == principal.user_id else a)

    def start(self, principal: Principal, body: Any) -> tuple[dict, bool]:
        body = v.require_object(body)
        handle = v.handle(body.get("handle"))
        other = self.users.get_by_handle(handle)
        if other is None:
            raise NotFound("No such user.", field="handle")
        if other.user_id == principal.user_id:
            raise ValidationError("You cannot message yourself.", field="handle", code="cannot_message_self")
        if self.repo.blocked_either_way(principal.user_id, other.user_id):
            raise Forbidden("You cannot message this account.", code="blocked")
        conversation_id = conversation_id_for(principal.user_id, other.user_id)
        now = utcnow()
        conversation = ConversationItem(*ConversationItem.key(conversation_id), conversation_id=conversation_id,
                                        participants=sorted((principal.user_id, other.user_id)),
                                        created_at=iso(now))
        row = MembershipItem(*MembershipItem.key(principal.user_id, conversation_id), user_id=principal.user_id,
                             conversation_id=conversation_id, other_id=other.user_id, other_handle=other.handle,
                             request=False, last_activity_id=str(ULID()))
        created = self.repo.create_conversation(conversation, row)
        if not created:
            existing = self.repo.get_row(principal.user_id, conversation_id)
            if existing is not None:
                return row_view(existing), False
            # The other side opened it and has not written yet: give the caller their row.
            self.repo.create_conversation_row(row)
        return row_view(row), created

    def list(self, principal: Principal, *, limit_raw: str | None, cursor: str | None) -> dict:
        limit = v.page_limit(limit_raw, self.settings.page_limit_default, self.settings.page_limit_max)
        scope = f"inbox:{principal.user_id}"
        position = decode_cursor(self.cursor_key(), scope, cursor)
        rows, last = self.repo.list_inbox(principal.user_id, limit=limit,
                                          before=position.get("before") if position else None)
        next_cursor = encode_cursor(self.cursor_key(), scope, {"before": last}) if last else None
        return {"items": [row_view(r) for r in rows], "next_cursor": next_cursor}

    def messages(self, principal: Principal, conversation_id: str, *, limit_raw: str | None,
                 cursor: str | None) -> dict:
        self._participants(principal, conversation_id)
        limit = v.page_limit(limit_raw, self.settings.page_limit_default, self.settings.page_limit_max)
        if self.repo.get_conversation(conversation_id) is None:
            raise NotFound("No such conversation.")
        scope = f"messages:{conversation_id}"
        position = decode_cursor(self.cursor_key(), scope, cursor)
        items, last = self.repo.list_messages(conversation_id, limit=limit,
                                              before=position.get("before") if position else None)
        next_cursor = encode_cursor(self.cursor_key(), scope, {"before": last}) if last else None
        return {"items": [message_view(m, conversation_id) for m in items], "next_cursor": next_cursor}

    def send(self, principal: Principal, conversation_id: str, body: Any) -> dict:
        sender_id, recipient_id = self._participants(principal, conversation_id)
        body = v.require_object(body)
        text = v.string(body, "text", max_length=MAX_MESSAGE, min_length=1)
        assert text is not None
        ctx = self.repo.send_context(conversation_id, sender_id, recipient_id)
        if ctx["conversation"] is None:
            raise NotFound("No such conversation.")
        if ctx["recipient_user"] is None or raw_value(ctx["recipient_user"], "deletion_requested_at"):
            raise Gone("This account has been deleted; the conversation is read-only.", code="account_deleted")
        if ctx["blocked_by_recipient"] or ctx["blocked_by_sender"]:
            raise Forbidden("You cannot message this account.", code="blocked")
        recipient_row, sender_row = ctx["recipient_row"], ctx["sender_row"]
        accepted_before = recipient_row is not None and not raw_value(recipient_row, "request", False)
        # Answering is accepting: the sender's own row always leaves the requests folder.
        request = not (accepted_before or ctx["recipient_follows"] is not None)
        recipient_handle = raw_value(sender_row, "other_handle")
        if recipient_handle is None:
            recipient = self.users.get(recipient_id)
            if recipient is None:
                raise NotFound("No such conversation.")
            recipient_handle = recipient.handle
        message_id = str(ULID())
        message = MessageItem(*MessageItem.key(conversation_id, message_id), message_id=message_id,
                              sender_id=sender_id, text=text, created_at=iso(utcnow()))
        self.repo.append_message(
            message, conversation_id,
            sender_row={"user_id": sender_id, "other_id": recipient_id, "other_handle": recipient_handle,
                        "request": False},
            recipient_row={"user_id": recipient_id, "other_id": sender_id, "other_handle": principal.handle,
                           "request": request})
        if not request:  # the requests folder is readable, not notified
            # Both block edges were read in send_context (a block refuses the send above).
            self.notify(recipient_id, "message", sender_id, blocks_checked=True,
                        data={"conversation_id": conversation_id, "message_id": message_id})
        return message_view(message, conversation_id)

    def _own_row(self, principal: Principal, conversation_id: str) -> MembershipItem:
        self._participants(principal, conversation_id)
        row = self.repo.get_row(principal.user_id, conversation_id)
        if row is None:
            raise NotFound("No such conversation.")
        return row

    def mark_read(self, principal: Principal, conversation_id: str) -> dict:
        row = self._own_row(principal, conversation_id)
        self.repo.mark_read(principal.user_id, conversation_id, row.last_activity_id)
        row.last_read_id = row.last_activity_id
        return row_view(row)

    def accept(self, principal: Principal, conversation_id: str) -> dict:
        row = self._own_row(principal, conversation_id)
        self.repo.accept(principal.user_id, conversation_id)
        row.request = False
        return row_view(row)
