"""Moderation: the review queue, decisions (with the audit trail), appeals and reports.

Moderators hold the `moderator` role. A decision first closes its queue item with a
condition (`status = open`), so of two moderators deciding at once exactly one acts; then
the post changes. Publishing an approved post is done by the upload handler (one publishing
path: derivatives, hash index, fan-out off the request path): the post goes back to
`processing` with the approval recorded and a task is queued.

The post's author is notified (kind `moderation`, no actor: moderators stay anonymous and
blocks do not apply) exactly once per decision that affects their post, right after it took
effect: only the caller whose conditional close won gets there. A dismissed report is not
notified (nothing changed for the author); reporters are not notified of outcomes (that would
be O(reporters) writes in the request; see docs/screening.md).
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from functools import lru_cache
from typing import Any, Callable

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.adapters.screening_store import (
    AuditRepository, AuthorHistory, HashIndex, ImageRepository, KnownAiIndex, ModerationRepository, PostModerationOps,
    UploadQueue,
)
from chalicelib.adapters.storage import Storage
from chalicelib.adapters.store import PostRepository
from chalicelib.adapters.tables import PostItem, utcnow
from chalicelib.adapters.tables_screening import KINDS, ModerationItem
from chalicelib.config import Settings
from chalicelib.domain import validation as v
from chalicelib.domain.cursor import decode_cursor, encode_cursor
from chalicelib.errors import Conflict, Forbidden, NotFound, ValidationError
from chalicelib.observability import logger, metrics
from chalicelib.screening.explain import explain_image
from chalicelib.services.posts import media_key, post_view, upload_key
from chalicelib.services.tokens import Principal

DECISIONS = ("approve", "reject", "label_mature", "remove")
REPORT_REASONS = ("ai_generated", "stolen", "unlabelled_mature", "harassment", "other")
REASON_RE = re.compile(r"^[a-z_]{1,64}$")
ULID_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
MAX_NOTE = 2000
MAX_STATEMENT = 5000
MAX_EVIDENCE = 10
ORIGINAL_URL_TTL_S = 300
REJECTED_PREFIX = "rejected/"
NOTE_IN_NOTIFICATION = 500  # characters of the moderator's note carried by the author's notification
AUTHOR_RECENT = 20  # the author's latest posts shown with an item
MAX_AGE_HOURS = 24 * 365


def _seconds_since(stamp: str) -> float:
    try:
        return max(0.0, (utcnow() - datetime.fromisoformat(stamp.replace("Z", "+00:00"))).total_seconds())
    except ValueError:
        return 0.0


def _age_bound(raw: str | None) -> str | None:
    """`min_age_hours` -> the smallest ULID of that instant: queue entries (ULIDs, time-ordered)
    below it were opened at least that long ago."""
    if raw is None or raw == "":
        return None
    try:
        hours = float(raw)
    except ValueError:
        hours = -1.0
    if not 0 <= hours <= MAX_AGE_HOURS:
        raise ValidationError(f"'min_age_hours' must be a number of hours from 0 to {MAX_AGE_HOURS}.",
                              field="min_age_hours")
    from ulid import ULID

    at = utcnow().timestamp() - hours * 3600
    return str(ULID.from_timestamp(at))[:10] + "0" * 16


def item_summary(item: ModerationItem) -> dict:
    return {"id": item.item_id, "kind": item.kind, "post_id": item.post_id, "reason": item.reason,
            "reports_count": int(item.reports_count or 0), "created_at": item.created_at}


def item_outcome(item: ModerationItem) -> dict:
    return {"id": item.item_id, "kind": item.kind, "status": item.status, "reason": item.reason,
            "decision": item.decision, "note": item.note, "created_at": item.created_at,
            "decided_at": item.decided_at}


class ModerationService:
    def __init__(self, items: ModerationRepository, audit: AuditRepository, posts: PostRepository,
                 post_ops: PostModerationOps, images: ImageRepository, hash_index: HashIndex, known_ai: KnownAiIndex,
                 storage: Storage, queue: UploadQueue, settings: Settings, cursor_key: Callable[[], bytes],
                 notify: Callable[..., bool] | None = None, history: AuthorHistory | None = None) -> None:
        self._notify = notify
        self.history = history or AuthorHistory()
        self.items = items
        self.audit = audit
        self.posts = posts
        self.post_ops = post_ops
        self.images = images
        self.hash_index = hash_index
        self.known_ai = known_ai
        self.storage = storage
        self.queue = queue
        self.settings = settings
        self.cursor_key = cursor_key

    @staticmethod
    def _require_moderator(principal: Principal) -> None:
        if "moderator" not in principal.roles:
            raise Forbidden("Only moderators may do this.", code="not_a_moderator")

    def _post(self, post_id: str) -> PostItem:
        post = self.posts.get(post_id, consistent=True) if len(post_id) <= 40 else None
        if post is None:
            raise NotFound("No such post.")
        return post

    # -- the queue ---------------------------------------------------------------------------------
    def queue_page(self, principal: Principal, *, kind: str | None, reason: str | None, cursor: str | None,
                   limit_raw: str | None, min_age_raw: str | None = None) -> dict:
        self._require_moderator(principal)
        kind = kind or None
        reason = reason or None
        if kind is not None and kind not in KINDS:
            raise ValidationError("'kind' must be one of " + ", ".join(KINDS) + ".", field="kind")
        if reason is not None and not REASON_RE.match(reason):
            raise ValidationError("'reason' is not a reason code.", field="reason")
        before = _age_bound(min_age_raw)
        limit = v.page_limit(limit_raw, self.settings.page_limit_default, self.settings.page_limit_max)
        scope = f"modq:{kind}:{reason}:{before}"
        position = decode_cursor(self.cursor_key(), scope, cursor)
        items, last = self.items.list_queue(kind=kind, reason=reason, limit=limit,
                                            after=position.get("after") if position else None, before=before)
        return {"items": [item_summary(i) for i in items],
                "total": self.items.count_queue(kind=kind, reason=reason, before=before),
                "next_cursor": encode_cursor(self.cursor_key(), scope, {"after": last}) if last else None}

    def _item(self, item_id: str) -> ModerationItem:
        item = self.items.get(item_id, consistent=True) if len(item_id) <= 40 else None
        if item is None:
            raise NotFound("No such moderation item.")
        return item

    def _original_keys(self, post: PostItem) -> list[tuple[int, str]]:
        images = self.images.list_for_post(post.post_id)
        indexes = [int(i.index) for i in images] or [0]
        out = []
        for index in indexes:
            key = upload_key(post.author_id, post.post_id, index)
            out.append((index, REJECTED_PREFIX + key[len("uploads/"):] if post.status == "rejected" else key))
        return out

    def item_detail(self, principal: Principal, item_id: str) -> dict:
        self._require_moderator(principal)
        item = self._item(item_id)
        post = self.posts.get(item.post_id, consistent=True)
        detail: dict[str, Any] = {**item_summary(item), "status": item.status, "author_id": item.author_id,
                                  "decision": item.decision, "note": item.note, "decided_by": item.decided_by,
                                  "decided_at": item.decided_at}
        if item.kind == "appeal":
            detail["appeal"] = {"statement": item.statement, "evidence_urls": list(item.evidence_urls or [])}
        if item.kind == "report":
            detail["report_reasons"] = dict(item.report_reasons or {})
        if post is None:
            detail.update(post=None, original_url=None, original_urls=[], decision_record=None)
            return detail
        view = post_view(post, viewer_id=post.author_id, media_base=self.settings.media_base_url)
        images = self.images.list_for_post(post.post_id)
        urls = [] if post.status == "removed" else [
            {"index": index, "url": self.storage.presign_original_get(key, ORIGINAL_URL_TTL_S),
             "expires_in": ORIGINAL_URL_TTL_S} for index, key in self._original_keys(post)]
        detail.update({
            "post": view,
            "original_url": urls[0]["url"] if urls else None,
            "original_urls": urls,
            # The full record of every image: signals, scores, thresholds, detector versions.
            "decision_record": {"post": post.screening or {},
                                "images": [{"index": int(i.index), "status": i.status, "verdict": i.verdict,
                                            "protected": bool(i.protected), "record": i.record or {},
                                            "hashes": i.hashes or {}} for i in sorted(images, key=lambda i: int(i.index))]},
            "signals_plain": [{"index": int(i.index), "sentences": explain_image(i.record or {})}
                              for i in sorted(images, key=lambda i: int(i.index))],
            "near_duplicates": self._near_duplicates(images),
            "author": self._author(post),
            "history": [item_outcome(i) for i in self.items.list_for_post(post.post_id)],
            "audit": [{"at": a.at, "actor_id": a.actor_id, "actor_handle": a.actor_handle, "action": a.action,
                       "note": a.note, "detail": a.detail} for a in self.audit.list_for_post(post.post_id)],
        })
        return detail

    def _near_duplicates(self, images: list) -> list[dict]:
        """Each image's near-duplicate (another artist's post, or the known-AI entry's source
        post) with a short-lived presigned GET of that picture's original, for a side-by-side."""
        out = []
        for image in sorted(images, key=lambda i: int(i.index)):
            signals = (image.record or {}).get("signals") or {}
            for kind, match in (("repost", signals.get("repost_match")), ("known_ai", signals.get("known_ai_match"))):
                if not isinstance(match, dict):
                    continue
                post_id = match.get("post_id") or match.get("source_post_id")
                other = self.posts.get(post_id) if isinstance(post_id, str) and len(post_id) <= 40 else None
                index = int(match.get("image_index") or 0)
                url = None
                if other is not None and other.status != "removed":
                    keys = dict(self._original_keys(other))
                    if index in keys:
                        url = self.storage.presign_original_get(keys[index], ORIGINAL_URL_TTL_S)
                out.append({"index": int(image.index), "kind": kind, "post_id": post_id, "image_index": index,
                            "distance": match.get("distance"), "mirrored": bool(match.get("mirrored")),
                            "entry_id": match.get("entry_id"),
                            "author": ({"id": other.author_id, "handle": other.author_handle} if other else None),
                            "status": other.status if other else None,
                            "created_at": other.created_at if other else None,
                            "original_url": url, "expires_in": ORIGINAL_URL_TTL_S if url else None})
        return out

    def _author(self, post: PostItem) -> dict:
        """The author's account and latest posts of any status (post ledger): how often their
        work was held, rejected or removed before."""
        user = self.history.user(post.author_id)
        recent = [p for p in self.history.recent_posts(post.author_id, limit=AUTHOR_RECENT) if p.post_id != post.post_id]
        counts: dict[str, int] = {}
        for p in recent:
            counts[p.status] = counts.get(p.status, 0) + 1
        return {"id": post.author_id, "handle": user.handle if user else post.author_handle,
                "created_at": user.created_at if user else None,
                "posts_count": int(user.posts_count or 0) if user else None,
                "followers_count": int(user.followers_count or 0) if user else None,
                "recent_posts": [{"id": p.post_id, "title": p.title, "status": p.status, "created_at": p.created_at,
                                  "labels": list(p.labels or []), "purpose": p.purpose,
                                  "reasons": list((p.screening or {}).get("reasons", []))} for p in recent],
                "recent_status_counts": counts}

    # -- decisions ---------------------------------------------------------------------------------
    def decide(self, principal: Principal, item_id: str, body: Any) -> dict:
        self._require_moderator(principal)
        body = v.require_object(body)
        decision = body.get("decision")
        if decision not in DECISIONS:
            raise ValidationError("'decision' must be one of " + ", ".join(DECISIONS) + ".", field="decision")
        note = v.string(body, "note", required=False, max_length=MAX_NOTE)
        known_ai = body.get("known_ai", False)
        if not isinstance(known_ai, bool):
            raise ValidationError("'known_ai' must be true or false.", field="known_ai")
        item = self._item(item_id)
        if item.status != "open":
            raise Conflict("This item has already been decided.", code="already_decided")
        post = self._post(item.post_id)
        before = post.status
        if not self.items.close(item, decision=decision, note=note, by=principal.user_id):
            raise Conflict("This item has already been decided.", code="already_decided")
        record = {"item_id": item.item_id, "kind": item.kind, "decision": decision, "note": note,
                  "by": principal.handle, "at": item.decided_at}
        try:
            outcome = self._apply(item, post, decision, record)
        except Exception:
            # The item was closed first (so two moderators cannot both act); its effect failed
            # (throttling, a changed post): open it again so the decision is not lost half-done.
            try:
                reopened = self.items.reopen(item, by=principal.user_id)
            except Exception:  # noqa: BLE001 - the original error is the one to report
                reopened = False
            logger.warning("moderation decision not applied", item_id=item.item_id, reopened=reopened)
            raise
        self._notify_author(item, post, decision, outcome, note)  # the decision has taken effect
        if known_ai and decision in ("reject", "remove"):
            self._add_post_to_known_ai(post, principal, note)
        self.audit.append(post_id=post.post_id, item_id=item.item_id, actor_id=principal.user_id,
                          actor_handle=principal.handle, action=f"{item.kind}:{decision}", note=note,
                          detail={"status_before": before, "outcome": outcome, "known_ai": known_ai})
        metrics.add_metric(name="ModerationTimeInQueueSeconds", unit=MetricUnit.Seconds,
                           value=_seconds_since(item.created_at))
        metrics.add_metric(name=f"Moderation_{item.kind}_{decision}", unit=MetricUnit.Count, value=1)
        if item.kind == "held":
            metrics.add_metric(name="UploadToDecisionSeconds", unit=MetricUnit.Seconds,
                               value=_seconds_since(post.created_at))
        metrics.flush_metrics()
        logger.info("moderation decision", item_id=item.item_id, kind=item.kind, decision=decision, outcome=outcome)
        return {"item": item_outcome(item), "post": {"id": post.post_id, "status": post.status,
                                                     "labels": list(post.labels or [])}, "outcome": outcome}

    def _notify_author(self, item: ModerationItem, post: PostItem, decision: str, outcome: str,
                       note: str | None) -> None:
        """Best-effort (notify never raises on a storage failure); no moderator identity."""
        if outcome == "report_dismissed":
            return
        from chalicelib.services.notifications import MAX_DATA_BYTES, notify

        if self._notify is None:
            self._notify = notify
        limit = NOTE_IN_NOTIFICATION
        data = {"decision": decision, "outcome": outcome, "item_kind": item.kind, "reasons": [item.reason],
                "note": note, "status": post.status, "labels": list(post.labels or [])}
        while note and (len(note) > limit or len(json.dumps(data)) > MAX_DATA_BYTES):
            data["note"] = note[:limit] + "…"  # escaped non-ASCII can take 12 bytes a character
            if len(json.dumps(data)) <= MAX_DATA_BYTES:
                break
            limit //= 2
        self._notify(post.author_id, "moderation", None, post_id=post.post_id, data=data)

    def _apply(self, item: ModerationItem, post: PostItem, decision: str, record: dict) -> str:
        labels = list(post.labels or [])
        if decision == "remove":
            self._remove(post, record)
            return "removed"
        if decision == "reject":
            if item.kind == "appeal":
                self.post_ops.note_moderation(post, record)
                return "appeal_denied"
            if post.status != "rejected":
                self._unindex(post)
                self.post_ops.take_down(post, status="rejected", moderation=record)
                self._move_originals_aside(post)
            return "rejected"
        if decision == "label_mature" and "mature" not in labels:
            labels.append("mature")
        if decision == "approve" and item.kind == "report":
            self.post_ops.note_moderation(post, record)
            return "report_dismissed"
        if post.status in ("held_for_review", "rejected"):
            if decision == "approve" and item.kind == "held":
                labels = list(dict.fromkeys(labels + [lab for i in (post.screening or {}).get("images", [])
                                                      for lab in i.get("labels", [])]))
            approval = {**record, "labels": labels}
            if not self.post_ops.reopen_for_publish(post, approval=approval):
                raise Conflict("The post changed meanwhile; reload it.", code="post_changed")
            self.queue.send_task({"op": "publish", "bucket": self.storage.uploads_bucket,
                                  "key": upload_key(post.author_id, post.post_id, 0)})
            post.status = "processing"
            return "publishing"
        if post.status == "published":
            if decision == "approve" and item.kind == "appeal":
                labels = [lab for lab in labels if lab != "mature"]  # the appeal was against the label
            self.post_ops.set_labels(post, labels, record)
            post.labels = labels
            return "labels_updated"
        self.post_ops.note_moderation(post, record)
        return "noted"

    def _unindex(self, post: PostItem) -> None:
        for image in self.images.list_for_post(post.post_id):
            h = image.hashes or {}
            if h.get("phash") and h.get("phash_mirror"):
                self.hash_index.remove(post_id=post.post_id, index=int(image.index), phash_hex=h["phash"],
                                       mirror_hex=h["phash_mirror"])

    def _move_originals_aside(self, post: PostItem) -> None:
        for image in self.images.list_for_post(post.post_id):
            key = upload_key(post.author_id, post.post_id, int(image.index))
            self.storage.move_upload(key, REJECTED_PREFIX + key[len("uploads/"):])

    def _remove(self, post: PostItem, record: dict) -> None:
        self._unindex(post)
        if post.status != "removed":
            self.post_ops.take_down(post, status="removed", moderation=record)
        media = [variant["key"] for image in (post.images or []) for variant in image.get("variants", [])]
        images = self.images.list_for_post(post.post_id)
        indexes = [int(i.index) for i in images] or [0]
        widths = set(self.settings.derivative_widths)
        media += [media_key(post.post_id, i, w) for i in indexes for w in widths]
        self.storage.delete_objects(self.storage.media_bucket, sorted(set(media)))
        originals = []
        for i in indexes:
            key = upload_key(post.author_id, post.post_id, i)
            originals += [key, REJECTED_PREFIX + key[len("uploads/"):]]
        self.storage.delete_objects(self.storage.uploads_bucket, originals)

    def _add_post_to_known_ai(self, post: PostItem, principal: Principal, note: str | None) -> None:
        for image in self.images.list_for_post(post.post_id):
            h = image.hashes or {}
            for value in (h.get("phash"), h.get("phash_mirror")):
                if value:
                    self.known_ai.add(phash_hex=value, note=note, added_by=principal.user_id,
                                      source_post_id=post.post_id, added_by_handle=principal.handle)

    def add_known_ai(self, principal: Principal, body: Any) -> dict:
        self._require_moderator(principal)
        body = v.require_object(body)
        phash = body.get("phash")
        if not isinstance(phash, str) or not re.fullmatch(r"[0-9a-fA-F]{16}", phash):
            raise ValidationError("'phash' must be 16 hex digits (a 64-bit perceptual hash).", field="phash")
        note = v.string(body, "note", required=False, max_length=MAX_NOTE)
        entry_id = self.known_ai.add(phash_hex=phash.lower(), note=note, added_by=principal.user_id,
                                     source_post_id=None, added_by_handle=principal.handle)
        self.audit.append(post_id="-", item_id=None, actor_id=principal.user_id, actor_handle=principal.handle,
                          action="known_ai:add", note=note, detail={"phash": phash.lower(), "entry_id": entry_id})
        return {"id": entry_id, "phash": phash.lower()}

    def list_known_ai(self, principal: Principal, *, cursor: str | None, limit_raw: str | None) -> dict:
        """Newest first, with who added each entry and why (entries made before entry records
        existed appear once `backfill_entries` has run: see docs/screening.md)."""
        self._require_moderator(principal)
        limit = v.page_limit(limit_raw, self.settings.page_limit_default, self.settings.page_limit_max)
        scope = "known-ai"
        position = decode_cursor(self.cursor_key(), scope, cursor)
        entries, last = self.known_ai.list_entries(limit=limit, before=position.get("before") if position else None)
        return {"items": [{"id": e.entry_id, "phash": e.phash, "note": e.note, "source_post_id": e.source_post_id,
                           "added_by": {"id": e.added_by, "handle": e.added_by_handle},
                           "created_at": e.created_at, "backfilled": bool(e.backfilled)} for e in entries],
                "next_cursor": encode_cursor(self.cursor_key(), scope, {"before": last}) if last else None}

    def delete_known_ai(self, principal: Principal, entry_id: str, *, phash: str | None = None) -> dict:
        """Removes the entry and its band items, so it stops matching. An entry made before
        entry records existed (and not backfilled) is found by `phash` (its band keys follow
        from it; the pHash is in the `known_ai:add` audit entry or the matching upload's record)."""
        self._require_moderator(principal)
        if not ULID_RE.match(entry_id or ""):
            raise NotFound("No such known-AI entry.")
        entry = self.known_ai.get_entry(entry_id)
        if entry is not None:
            if not self.known_ai.delete(entry):
                raise NotFound("No such known-AI entry.")  # another moderator deleted it meanwhile
            value, source, removed = entry.phash, entry.source_post_id, len(entry.band_keys or [])
        else:
            if not phash:
                raise NotFound("No such known-AI entry (one made before entry records needs '?phash=').")
            if not re.fullmatch(r"[0-9a-fA-F]{16}", phash):
                raise ValidationError("'phash' must be 16 hex digits (a 64-bit perceptual hash).", field="phash")
            bands = self.known_ai.legacy_bands(entry_id, phash.lower())
            if not bands:
                raise NotFound("No such known-AI entry.")
            self.known_ai.delete_bands(bands)
            value, source, removed = phash.lower(), bands[0].source_post_id, len(bands)
        self.audit.append(post_id=source or "-", item_id=None, actor_id=principal.user_id,
                          actor_handle=principal.handle, action="known_ai:delete", note=None,
                          detail={"phash": value, "entry_id": entry_id, "bands_removed": removed,
                                  "legacy": entry is None})
        logger.info("known-AI entry deleted", entry_id=entry_id, legacy=entry is None)
        return {"id": entry_id, "deleted": True}

    # -- appeals -------------------------------------------------------------------------------------
    def appeal(self, principal: Principal, post_id: str, body: Any) -> dict:
        post = self._post(post_id)
        if post.author_id != principal.user_id:
            if post.status == "published":
                raise Forbidden("Only the author may appeal a decision about a post.", code="not_the_author")
            raise NotFound("No such post.")
        body = v.require_object(body)
        statement = v.string(body, "statement", max_length=MAX_STATEMENT, min_length=1)
        evidence = body.get("evidence_urls", [])
        if not isinstance(evidence, list) or len(evidence) > MAX_EVIDENCE or not all(
                isinstance(u, str) and len(u) <= 500 and re.match(r"^https?://[^\s]+$", u) for u in evidence):
            raise ValidationError(f"'evidence_urls' must be a list of at most {MAX_EVIDENCE} http(s) URLs.",
                                  field="evidence_urls")
        if post.status in ("rejected", "held_for_review"):
            reason = post.status
        elif post.status == "published" and "mature" in (post.labels or []):
            reason = "mature_label"
        else:
            raise Conflict("Only rejected, held or labelled posts can be appealed.", code="not_appealable")
        item, created = self.items.open_item(kind="appeal", post_id=post.post_id, author_id=post.author_id,
                                             reason=reason, statement=statement, evidence_urls=evidence,
                                             opened_by=principal.user_id)
        if not created:
            raise Conflict("This post already has an open appeal.", code="appeal_open")
        self.audit.append(post_id=post.post_id, item_id=item.item_id, actor_id=principal.user_id,
                          actor_handle=principal.handle, action="appeal:opened", note=None, detail={"reason": reason})
        return {"appeal": {**item_outcome(item), "statement": statement, "evidence_urls": evidence}}

    def appeals_of(self, principal: Principal, post_id: str) -> dict:
        post = self._post(post_id)
        if post.author_id != principal.user_id:
            raise NotFound("No such post.")
        appeals = [i for i in self.items.list_for_post(post_id) if i.kind == "appeal"]
        return {"items": [{**item_outcome(i), "statement": i.statement, "evidence_urls": list(i.evidence_urls or [])}
                          for i in appeals], "post": {"id": post.post_id, "status": post.status,
                                                      "labels": list(post.labels or [])}}

    # -- reports --------------------------------------------------------------------------------------
    def report(self, principal: Principal, post_id: str, body: Any) -> dict:
        post = self.posts.get(post_id) if len(post_id) <= 40 else None
        if post is None or post.status != "published":
            raise NotFound("No such post.")
        body = v.require_object(body)
        reason = body.get("reason")
        if reason not in REPORT_REASONS:
            raise ValidationError("'reason' must be one of " + ", ".join(REPORT_REASONS) + ".", field="reason")
        details = v.string(body, "details", required=False, max_length=MAX_NOTE)
        item, _ = self.items.open_item(kind="report", post_id=post.post_id, author_id=post.author_id, reason=reason)
        result = self.items.add_reporter(item, reporter_id=principal.user_id, reason=reason, details=details)
        if result == "closed":  # decided between our read and write: a fresh item collects new reports
            item, _ = self.items.open_item(kind="report", post_id=post.post_id, author_id=post.author_id,
                                           reason=reason)
            result = self.items.add_reporter(item, reporter_id=principal.user_id, reason=reason, details=details)
        return {"report": {"post_id": post.post_id, "reason": reason, "status": "received",
                           "counted": result == "counted"}}


@lru_cache(maxsize=1)
def moderation_service() -> ModerationService:
    import os

    from chalicelib import container
    from chalicelib.config import get_settings

    s = get_settings()
    return ModerationService(ModerationRepository(), AuditRepository(), PostRepository(), PostModerationOps(),
                             ImageRepository(), HashIndex(), KnownAiIndex(), container.storage(),
                             UploadQueue(os.environ.get("UPLOAD_QUEUE_URL"),
                                         os.environ.get("UPLOAD_QUEUE_NAME", f"easel-{s.stage}-uploads")),
                             s, lambda: container.keyring().cursor_key())
