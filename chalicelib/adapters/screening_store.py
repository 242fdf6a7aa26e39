"""Repositories for screening and moderation (the only code touching their pynamodb models),
plus the post-status transitions moderation needs and the upload re-queue.

Conditional failures become booleans or domain errors; throttling becomes Unavailable.
"""
from __future__ import annotations

import json
import time
from functools import lru_cache
from typing import Any, Iterable

from pynamodb.exceptions import PynamoDBException, TransactWriteError
from ulid import ULID

from chalicelib.adapters.aws import THROTTLING_CODES, client
from chalicelib.adapters.store import (
    _batch_get_raw, _cancel_codes, _get, _is_conditional_cancel, dynamo_errors, transaction,
)
from chalicelib.adapters.tables import PostItem, UserItem, iso, utcnow
from chalicelib.adapters.tables_screening import (
    AuditItem, BreakerItem, HashBandItem, KnownAiBandItem, KnownAiEntryItem, ModerationItem, OpenGuardItem,
    PostImageItem, QueueEntryItem, ReporterItem,
)
from chalicelib.errors import Unavailable


def _conditional(exc: PynamoDBException) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


def _tx_error(exc: TransactWriteError) -> None:
    if exc.cause_response_code in THROTTLING_CODES:
        raise Unavailable() from exc


# -- images of a post ---------------------------------------------------------------------------
class ImageRepository:
    @dynamo_errors
    def create_all(self, images: list[PostImageItem]) -> None:
        with PostImageItem.batch_write() as batch:
            for image in images:
                batch.save(image)

    @dynamo_errors
    def list_for_post(self, post_id: str) -> list[PostImageItem]:
        """One strongly consistent Query of the post's partition (<= 10 small items)."""
        pk, _ = PostImageItem.key(post_id, 0)
        return list(PostImageItem.query(pk, PostImageItem.sk.startswith(PostImageItem.prefix()),
                                        consistent_read=True))

    @dynamo_errors
    def claim(self, image: PostImageItem) -> bool:
        """-> screening, unless already screened (a redelivered event)."""
        try:
            image.update(actions=[PostImageItem.status.set("screening")],
                         condition=PostImageItem.pk.exists() & (PostImageItem.status != "screened"))
        except PynamoDBException as exc:
            if _conditional(exc):
                return False
            raise
        return True

    @dynamo_errors
    def defer(self, image: PostImageItem, record: dict) -> int:
        try:
            image.update(actions=[PostImageItem.status.set("deferred"), PostImageItem.attempts.add(1),
                                  PostImageItem.record.set(record)],
                         condition=PostImageItem.pk.exists() & (PostImageItem.status != "screened"))
        except PynamoDBException as exc:
            if _conditional(exc):  # screened meanwhile, or the post was erased: nothing to retry
                return int(image.attempts or 0) + 1
            raise
        return int(image.attempts or 0)

    @dynamo_errors
    def record_verdict(self, image: PostImageItem, *, verdict: str, record: dict, hashes: dict | None) -> bool:
        try:
            image.update(actions=[PostImageItem.status.set("screened"), PostImageItem.verdict.set(verdict),
                                  PostImageItem.record.set(record), PostImageItem.hashes.set(hashes),
                                  PostImageItem.screened_at.set(iso(utcnow()))],
                         condition=PostImageItem.pk.exists() & (PostImageItem.status != "screened"))
        except PynamoDBException as exc:
            if _conditional(exc):
                return False
            raise
        return True


def _parallel_queries(model: Any, partitions: list[str], per_partition: int = 100) -> list[Any]:
    """68 small Queries per lookup (4 bands x 17 probes) run 8 at a time: ~34 RRU, tens of ms.
    A band value shared by more than `per_partition` images is not selective and is cut off."""
    import contextvars

    def run(pk: str) -> list[Any]:
        return list(model.query(pk, limit=per_partition))

    # copy_context: the cost meter (a context variable) counts the reads made in the threads.
    return [item for items in _pool().map(lambda pk: contextvars.copy_context().run(run, pk), partitions)
            for item in items]


@lru_cache(maxsize=1)
def _pool() -> Any:
    """One pool per container (threads and warm HTTP connections are reused across events)."""
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=8, thread_name_prefix="hash-probe")


# -- perceptual-hash indexes ----------------------------------------------------------------------
class HashIndex:
    """Published images' pHashes (and their mirrors) by 16-bit band; candidates are verified
    by the caller with the full 64-bit distance."""

    @dynamo_errors
    def add(self, *, post_id: str, author_id: str, index: int, phash_hex: str, mirror_hex: str) -> int:
        from chalicelib.screening.hashing import band_hex, bands, from_hex

        written = 0
        with HashBandItem.batch_write() as batch:
            for value_hex, mirrored in ((phash_hex, False), (mirror_hex, True)):
                for number, band in enumerate(bands(from_hex(value_hex))):
                    batch.save(HashBandItem(*HashBandItem.key(number, band_hex(band), post_id, index, mirrored),
                                            phash=value_hex, post_id=post_id, author_id=author_id,
                                            image_index=index, mirrored=mirrored))
                    written += 1
        return written

    @dynamo_errors
    def remove(self, *, post_id: str, index: int, phash_hex: str, mirror_hex: str) -> None:
        from chalicelib.screening.hashing import band_hex, bands, from_hex

        with HashBandItem.batch_write() as batch:
            for value_hex, mirrored in ((phash_hex, False), (mirror_hex, True)):
                for number, band in enumerate(bands(from_hex(value_hex))):
                    batch.delete(HashBandItem(*HashBandItem.key(number, band_hex(band), post_id, index, mirrored)))

    @dynamo_errors
    def candidates(self, probes: Iterable[tuple[int, int]]) -> list[HashBandItem]:
        from chalicelib.screening.hashing import band_hex

        seen: dict[tuple[str, str], HashBandItem] = {}
        for item in _parallel_queries(HashBandItem, [HashBandItem.partition(n, band_hex(b)) for n, b in probes]):
            seen[(item.pk, item.sk)] = item
        return list(seen.values())


def _band_items(phash_hex: str, entry_id: str, **fields: Any) -> list[KnownAiBandItem]:
    from chalicelib.screening.hashing import band_hex, bands, from_hex

    return [KnownAiBandItem(*KnownAiBandItem.key(number, band_hex(band), entry_id), phash=phash_hex,
                            entry_id=entry_id, **fields)
            for number, band in enumerate(bands(from_hex(phash_hex)))]


def _split_key(joined: str) -> tuple[str, str]:
    pk, _, sk = joined.partition("|")
    return pk, sk


class KnownAiIndex:
    """The known-AI list: band items (`AIHASH#…`, what screening probes) plus one entry item per
    entry (`AIENTRY#<id>`, what moderators list and delete; it remembers its band keys)."""

    @dynamo_errors
    def add(self, *, phash_hex: str, note: str | None, added_by: str, source_post_id: str | None,
            added_by_handle: str | None = None) -> str:
        """Entry + its 4 band items in one transaction (5 Puts ≈ 10 WRU + 1 GSI): an entry is
        either listable and matching, or neither."""
        entry_id = str(ULID())
        now = iso(utcnow())
        bands = _band_items(phash_hex, entry_id, note=note, added_by=added_by, source_post_id=source_post_id,
                            created_at=now)
        entry = KnownAiEntryItem(*KnownAiEntryItem.key(entry_id), entry_id=entry_id, phash=phash_hex, note=note,
                                 source_post_id=source_post_id, added_by=added_by, added_by_handle=added_by_handle,
                                 created_at=now, band_keys=[f"{b.pk}|{b.sk}" for b in bands])
        entry.gsi1pk, entry.gsi1sk = KnownAiEntryItem.index_key(entry_id)
        try:
            with transaction() as tx:
                tx.save(entry, condition=KnownAiEntryItem.pk.does_not_exist())
                for band in bands:
                    tx.save(band)
        except TransactWriteError as exc:
            _tx_error(exc)
            raise
        return entry_id

    @dynamo_errors
    def candidates(self, probes: Iterable[tuple[int, int]]) -> list[KnownAiBandItem]:
        from chalicelib.screening.hashing import band_hex

        seen: dict[str, KnownAiBandItem] = {}
        for item in _parallel_queries(KnownAiBandItem, [KnownAiBandItem.partition(n, band_hex(b)) for n, b in probes]):
            seen[item.entry_id] = item
        return list(seen.values())

    @dynamo_errors
    def list_entries(self, *, limit: int, before: str | None) -> tuple[list[KnownAiEntryItem], str | None]:
        """Newest first: Query gsi1 `AIENTRIES` (keys only) + BatchGetItem of the entries."""
        pk, _ = KnownAiEntryItem.index_key("")
        kwargs: dict[str, Any] = {"limit": limit, "scan_index_forward": False}
        if before:
            kwargs["range_key_condition"] = KnownAiEntryItem.gsi1sk < before
        result = KnownAiEntryItem.gsi1.query(pk, **kwargs)
        ids = [i.gsi1sk for i in result]
        more = result.last_evaluated_key is not None and len(ids) == limit
        raw = _batch_get_raw([KnownAiEntryItem.key(i) for i in ids])
        entries = [KnownAiEntryItem.from_raw_data(raw[KnownAiEntryItem.key(i)]) for i in ids
                   if KnownAiEntryItem.key(i) in raw]
        return entries, (ids[-1] if more and ids else None)

    @dynamo_errors
    def get_entry(self, entry_id: str) -> KnownAiEntryItem | None:
        return _get(KnownAiEntryItem, KnownAiEntryItem.key(entry_id), consistent=True)

    @dynamo_errors
    def delete(self, entry: KnownAiEntryItem) -> bool:
        """The entry and the band items it wrote, in one transaction (conditional on the entry:
        of two moderators deleting at once one wins, the other sees False)."""
        try:
            with transaction() as tx:
                tx.delete(entry, condition=KnownAiEntryItem.pk.exists())
                for joined in entry.band_keys or []:
                    tx.delete(KnownAiBandItem(*_split_key(joined)))
        except TransactWriteError as exc:
            if _is_conditional_cancel(exc):
                return False
            _tx_error(exc)
            raise
        return True

    @dynamo_errors
    def legacy_bands(self, entry_id: str, phash_hex: str) -> list[KnownAiBandItem]:
        """An entry made before entry records existed: its band keys follow from its pHash
        (one BatchGetItem of 4 keys); only items of that entry with that pHash count."""
        keys = [(b.pk, b.sk) for b in _band_items(phash_hex, entry_id)]
        raw = _batch_get_raw(keys)
        items = [KnownAiBandItem.from_raw_data(raw[k]) for k in keys if k in raw]
        return [i for i in items if i.entry_id == entry_id and i.phash == phash_hex]

    @dynamo_errors
    def delete_bands(self, bands: list[KnownAiBandItem]) -> None:
        with KnownAiBandItem.batch_write() as batch:
            for band in bands:
                batch.delete(KnownAiBandItem(band.pk, band.sk))

    @dynamo_errors
    def backfill_entries(self) -> int:
        """One-off migration, never on a request path: a filtered Scan of the table for band
        items (`AIHASH#…`) and an entry record (`backfilled: true`) for every entry id that has
        none, so entries made before entry records existed become listable and deletable.
        Idempotent (conditional Puts). Returns the number of records written."""
        groups: dict[str, list[KnownAiBandItem]] = {}
        for band in KnownAiBandItem.scan(KnownAiBandItem.pk.startswith("AIHASH#")):
            groups.setdefault(band.entry_id, []).append(band)
        written = 0
        for entry_id, bands in groups.items():
            first = bands[0]
            entry = KnownAiEntryItem(*KnownAiEntryItem.key(entry_id), entry_id=entry_id, phash=first.phash,
                                     note=first.note, source_post_id=first.source_post_id, added_by=first.added_by,
                                     created_at=first.created_at, band_keys=sorted(f"{b.pk}|{b.sk}" for b in bands),
                                     backfilled=True)
            entry.gsi1pk, entry.gsi1sk = KnownAiEntryItem.index_key(entry_id)
            try:
                entry.save(condition=KnownAiEntryItem.pk.does_not_exist())
                written += 1
            except PynamoDBException as exc:
                if not _conditional(exc):
                    raise
        return written


# -- the vendor circuit breaker, shared by every container through the table -------------------------
class TableBreakerStore:
    """One small item per breaker: a read per vendor call (0.5 RRU), a write per failure or
    per recovery. Shared by all Lambda containers, so one container's failures protect all."""

    @dynamo_errors
    def load(self, name: str) -> tuple[int, float]:
        item = _get(BreakerItem, BreakerItem.key(name))
        return (int(item.failures or 0), float(item.open_until or 0)) if item else (0, 0.0)

    @dynamo_errors
    def record_failure(self, name: str, threshold: int, cooldown_s: int, now: float) -> None:
        item = BreakerItem(*BreakerItem.key(name))
        item.update(actions=[BreakerItem.failures.add(1)])
        if int(item.failures or 0) >= threshold:
            item.update(actions=[BreakerItem.open_until.set(int(now + cooldown_s))])

    @dynamo_errors
    def record_success(self, name: str) -> None:
        BreakerItem(*BreakerItem.key(name)).update(actions=[BreakerItem.failures.set(0),
                                                            BreakerItem.open_until.set(0)])


# -- moderation items, queue, reports, audit --------------------------------------------------------
class ModerationRepository:
    @dynamo_errors
    def open_item(self, *, kind: str, post_id: str, author_id: str, reason: str,
                  **extra: Any) -> tuple[ModerationItem, bool]:
        """Idempotent per (post, kind) while open: returns the open item and whether it is new."""
        guard_key = OpenGuardItem.key(post_id, kind)
        for _ in range(3):
            guard = _get(OpenGuardItem, guard_key, consistent=True)
            if guard is not None:
                existing = _get(ModerationItem, ModerationItem.key(guard.item_id), consistent=True)
                if existing is not None:
                    return existing, False
            item_id = str(ULID())
            item = ModerationItem(*ModerationItem.key(item_id), item_id=item_id, kind=kind, post_id=post_id,
                                  author_id=author_id, reason=reason, status="open", reports_count=0,
                                  created_at=iso(utcnow()), **extra)
            item.gsi1pk, item.gsi1sk = ModerationItem.post_index_key(post_id, item_id)
            try:
                with transaction() as tx:
                    tx.save(OpenGuardItem(*guard_key, item_id=item_id), condition=OpenGuardItem.pk.does_not_exist())
                    tx.save(item, condition=ModerationItem.pk.does_not_exist())
                    for pk, sk in QueueEntryItem.keys(kind, reason, item_id):
                        tx.save(QueueEntryItem(pk, sk))
            except TransactWriteError as exc:
                if _is_conditional_cancel(exc):
                    continue  # another request opened it first: read theirs
                _tx_error(exc)
                raise
            return item, True
        raise Unavailable("The moderation queue is busy; retry shortly.")

    @dynamo_errors
    def reopen(self, item: ModerationItem, *, by: str) -> bool:
        """The inverse of `close`, for a decision whose effect could not be applied: decided ->
        open again (guard and queue entries back), only if `by` decided it and no other item of
        the kind has been opened for the post meanwhile. False when that is not so."""
        try:
            with transaction() as tx:
                tx.update(item, actions=[ModerationItem.status.set("open"), ModerationItem.decision.remove(),
                                         ModerationItem.note.remove(), ModerationItem.decided_by.remove(),
                                         ModerationItem.decided_at.remove()],
                          condition=(ModerationItem.status == "decided") & (ModerationItem.decided_by == by))
                tx.save(OpenGuardItem(*OpenGuardItem.key(item.post_id, item.kind), item_id=item.item_id),
                        condition=OpenGuardItem.pk.does_not_exist())
                for pk, sk in QueueEntryItem.keys(item.kind, item.reason, item.item_id):
                    tx.save(QueueEntryItem(pk, sk))
        except TransactWriteError as exc:
            if _is_conditional_cancel(exc):
                return False
            _tx_error(exc)
            raise
        item.status, item.decision, item.note, item.decided_by, item.decided_at = "open", None, None, None, None
        return True

    @dynamo_errors
    def open_item_for(self, post_id: str, kind: str) -> ModerationItem | None:
        guard = _get(OpenGuardItem, OpenGuardItem.key(post_id, kind), consistent=True)
        return _get(ModerationItem, ModerationItem.key(guard.item_id), consistent=True) if guard else None

    @dynamo_errors
    def get(self, item_id: str, consistent: bool = False) -> ModerationItem | None:
        return _get(ModerationItem, ModerationItem.key(item_id), consistent)

    @dynamo_errors
    def add_reporter(self, item: ModerationItem, *, reporter_id: str, reason: str, details: str | None) -> str:
        """Reporter edge + counter in one transaction: 'counted', 'duplicate' (this user already
        reported this item) or 'closed' (the item was decided meanwhile)."""
        counts = dict(item.report_reasons or {})
        try:
            with transaction() as tx:
                reporter = ReporterItem(*ReporterItem.key(item.item_id, reporter_id), reason=reason, details=details,
                                        created_at=iso(utcnow()))
                reporter.gsi1pk, reporter.gsi1sk = ReporterItem.reporter_index_key(reporter_id, item.item_id)
                tx.save(reporter, condition=ReporterItem.pk.does_not_exist())
                tx.update(item, actions=[ModerationItem.reports_count.add(1)],
                          condition=ModerationItem.status == "open")
        except TransactWriteError as exc:
            codes = _cancel_codes(exc)
            if codes and codes[0] == "ConditionalCheckFailed":
                return "duplicate"
            if _is_conditional_cancel(exc):
                return "closed"
            _tx_error(exc)
            raise
        # Per-reason tallies are informational; a lost race here costs nothing.
        counts[reason] = int(counts.get(reason, 0)) + 1
        item.update(actions=[ModerationItem.report_reasons.set(counts)])
        return "counted"

    @dynamo_errors
    def list_queue(self, *, kind: str | None, reason: str | None, limit: int,
                   after: str | None, before: str | None = None) -> tuple[list[ModerationItem], str | None]:
        """Oldest first; `before` (a ULID-ordered bound) keeps items opened before that time."""
        inclusive = bool(after and before)  # `between` includes `after`: read one more, drop it
        kwargs: dict[str, Any] = {"limit": limit + int(inclusive), "scan_index_forward": True}
        condition = _queue_range(after, before)
        if condition is not None:
            kwargs["range_key_condition"] = condition
        result = QueueEntryItem.query(QueueEntryItem.scope(kind, reason), **kwargs)
        ids = [entry.sk for entry in result if entry.sk != after][:limit]
        more = result.last_evaluated_key is not None and len(ids) == limit
        raw = _batch_get_raw([ModerationItem.key(i) for i in ids])
        items = [ModerationItem.from_raw_data(raw[ModerationItem.key(i)]) for i in ids if ModerationItem.key(i) in raw]
        return items, (ids[-1] if more and ids else None)

    @dynamo_errors
    def count_queue(self, *, kind: str | None, reason: str | None, before: str | None = None) -> int:
        """Query with Select=COUNT over the queue partition: entries are ~60 bytes, so a queue
        of 1,000 items reads ~8 RRU (never a Scan)."""
        condition = _queue_range(None, before)
        return int(QueueEntryItem.count(QueueEntryItem.scope(kind, reason), range_key_condition=condition))

    @dynamo_errors
    def list_for_post(self, post_id: str, limit: int = 50) -> list[ModerationItem]:
        pk, _ = ModerationItem.post_index_key(post_id, "")
        ids = [i.gsi1sk for i in ModerationItem.gsi1.query(pk, limit=limit)]
        raw = _batch_get_raw([ModerationItem.key(i) for i in ids])
        return [ModerationItem.from_raw_data(raw[ModerationItem.key(i)]) for i in ids if ModerationItem.key(i) in raw]

    @dynamo_errors
    def close(self, item: ModerationItem, *, decision: str, note: str | None, by: str) -> bool:
        """open -> decided; the guard and queue entries go in the same transaction."""
        now = iso(utcnow())
        try:
            with transaction() as tx:
                tx.update(item, actions=[ModerationItem.status.set("decided"), ModerationItem.decision.set(decision),
                                         ModerationItem.note.set(note), ModerationItem.decided_by.set(by),
                                         ModerationItem.decided_at.set(now)],
                          condition=ModerationItem.status == "open")
                tx.delete(OpenGuardItem(*OpenGuardItem.key(item.post_id, item.kind)))
                for pk, sk in QueueEntryItem.keys(item.kind, item.reason, item.item_id):
                    tx.delete(QueueEntryItem(pk, sk))
        except TransactWriteError as exc:
            if _is_conditional_cancel(exc):
                return False
            _tx_error(exc)
            raise
        item.status, item.decision, item.note, item.decided_by, item.decided_at = "decided", decision, note, by, now
        return True


def _queue_range(after: str | None, before: str | None) -> Any:
    if after and before:
        return QueueEntryItem.sk.between(after, before)  # inclusive: `after` itself is dropped by the caller
    if after:
        return QueueEntryItem.sk > after
    if before:
        return QueueEntryItem.sk < before
    return None


class AuditRepository:
    @dynamo_errors
    def append(self, *, post_id: str, item_id: str | None, actor_id: str, actor_handle: str | None,
               action: str, note: str | None, detail: dict | None = None) -> None:
        now = utcnow()
        entry_id = str(ULID())
        entry = AuditItem(*AuditItem.key(post_id, entry_id), entry_id=entry_id, post_id=post_id, item_id=item_id,
                          actor_id=actor_id, actor_handle=actor_handle, action=action, note=note,
                          detail=detail, at=iso(now))
        entry.gsi1pk, entry.gsi1sk = AuditItem.day_key(now.strftime("%Y-%m-%d"), entry_id)
        entry.save()

    @dynamo_errors
    def list_for_post(self, post_id: str, limit: int = 100) -> list[AuditItem]:
        pk, _ = AuditItem.key(post_id, "")
        return list(AuditItem.query(pk, limit=limit))


# -- post transitions that moderation and multi-image screening need -------------------------------
class PostModerationOps:
    @dynamo_errors
    def reopen_for_publish(self, post: PostItem, *, approval: dict) -> bool:
        """held_for_review|rejected -> processing with a moderator's approval recorded; the
        upload handler then publishes it through its one publishing path."""
        screening = dict(post.screening or {})
        screening["approval"] = approval
        try:
            post.update(actions=[PostItem.status.set("processing"), PostItem.screening.set(screening)],
                        condition=PostItem.status.is_in("held_for_review", "rejected"))
        except PynamoDBException as exc:
            if _conditional(exc):
                return False
            raise
        return True

    @dynamo_errors
    def take_down(self, post: PostItem, *, status: str, moderation: dict) -> bool:
        """Any status -> rejected|removed; a published post also leaves the portfolio index
        and the author's count (feeds drop it at read time: they check the status)."""
        screening = dict(post.screening or {})
        screening.setdefault("moderation", []).append(moderation)
        was_published = post.status == "published"
        actions = [PostItem.status.set(status), PostItem.screening.set(screening)]
        if was_published:
            actions += [PostItem.gsi1pk.remove(), PostItem.gsi1sk.remove()]
        try:
            with transaction() as tx:
                tx.update(post, actions=actions, condition=PostItem.status == post.status)
                if was_published:
                    tx.update(UserItem(*UserItem.key(post.author_id)), actions=[UserItem.posts_count.add(-1)])
        except TransactWriteError as exc:
            if _is_conditional_cancel(exc):
                return False
            _tx_error(exc)
            raise
        post.status = status
        return True

    @dynamo_errors
    def set_labels(self, post: PostItem, labels: list[str], moderation: dict) -> None:
        screening = dict(post.screening or {})
        screening.setdefault("moderation", []).append(moderation)
        post.update(actions=[PostItem.labels.set(labels), PostItem.screening.set(screening)])

    @dynamo_errors
    def note_moderation(self, post: PostItem, moderation: dict) -> None:
        screening = dict(post.screening or {})
        screening.setdefault("moderation", []).append(moderation)
        post.update(actions=[PostItem.screening.set(screening)])

    @dynamo_errors
    def note_pending(self, post: PostItem, pending: dict) -> None:
        """While an upload waits for the vendor the artist sees why (status stays processing)."""
        post.update(actions=[PostItem.screening.set(pending)], condition=PostItem.status == "processing")


# -- the upload queue (deferred screening) -------------------------------------------------------------
class UploadQueue:
    def __init__(self, queue_url: str | None, queue_name: str) -> None:
        self._url = queue_url
        self.queue_name = queue_name

    def url(self) -> str:
        if not self._url:
            self._url = client("sqs").get_queue_url(QueueName=self.queue_name)["QueueUrl"]
        return self._url

    def send_task(self, task: dict, delay_s: int = 0) -> None:
        """A task for the upload handler (retry an upload, publish an approved post)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            client("sqs").send_message(QueueUrl=self.url(), MessageBody=json.dumps({"easel_task": task}),
                                       DelaySeconds=max(0, min(900, int(delay_s))))
        except (ClientError, BotoCoreError) as exc:
            raise Unavailable() from exc


def batch_get_posts(post_ids: list[str]) -> dict[str, PostItem]:
    raw = _batch_get_raw([PostItem.key(p) for p in dict.fromkeys(post_ids)])
    return {p: PostItem.from_raw_data(raw[PostItem.key(p)]) for p in post_ids if PostItem.key(p) in raw}


def monotonic_ms() -> float:
    return time.monotonic() * 1000


# -- the author's history for the moderators' console ---------------------------------------------
class AuthorHistory:
    """The author's latest posts of any status, from the post ledger (`POSTS_OF#<user>`, post
    ids are ULIDs so newest first), one Query + one BatchGetItem; and the user item."""

    @dynamo_errors
    def recent_posts(self, author_id: str, limit: int = 20) -> list[PostItem]:
        from chalicelib.adapters.tables_erasure import PostLedgerItem

        ids = [i.sk for i in PostLedgerItem.query(PostLedgerItem.partition(author_id), scan_index_forward=False,
                                                   limit=limit)]
        raw = _batch_get_raw([PostItem.key(i) for i in ids])
        return [PostItem.from_raw_data(raw[PostItem.key(i)]) for i in ids if PostItem.key(i) in raw]

    @dynamo_errors
    def user(self, user_id: str) -> UserItem | None:
        return _get(UserItem, UserItem.key(user_id))


# -- the vendor risk policy's record of an artist (chalicelib/screening/vendor_policy.py) ------
class AuthorRecordRepository:
    @dynamo_errors
    def add_ai_finding(self, user_id: str) -> None:
        """One more AI finding on the author (an ADD; a redelivery may count one twice, which
        the policy, asking only "any?", does not mind). A missing user is left alone."""
        try:
            UserItem(*UserItem.key(user_id)).update(actions=[UserItem.ai_findings.add(1)],
                                                    condition=UserItem.pk.exists())
        except PynamoDBException as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
