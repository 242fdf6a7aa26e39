"""Portability's AWS access: the import/export records (one partition per user, see
tables_portability.py), ZIP archives in S3 read by ranged GETs, and batches of queued tasks.

A ZIP is opened through `RangedObject`, a seekable file over S3 ranged GETs: `zipfile` reads
the end-of-central-directory record and the central directory from the end of the object,
then each member's local header and data when asked. Nothing reads the archive whole, into
memory or `/tmp`; the read-ahead is one block (`BLOCK` bytes) at a time.
"""
from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Iterator

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.aws import THROTTLING_CODES, client
from chalicelib.adapters.storage import _translate
from chalicelib.adapters.store import _conn, dynamo_errors, update_if
from chalicelib.adapters.tables import iso, utcnow
from chalicelib.adapters.tables_portability import (
    AllowanceItem, ArchiveItem, ImportEntryItem, ImportItem, ImportKeyItem, partition,
)
from chalicelib.errors import NotFound, Unavailable

BLOCK = 1024 * 1024


_s3_error = _translate  # the one S3 error translation (adapters/storage.py)


class RangedObject(io.RawIOBase):
    """A read-only, seekable view of one S3 object; every read is a ranged GET."""

    def __init__(self, bucket: str, key: str, size: int) -> None:
        super().__init__()
        self.bucket, self.key, self.size = bucket, key, size
        self.pos = 0
        self.requests = 0
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), self.size - self.pos)
        if want <= 0:
            return 0
        try:
            resp = client("s3").get_object(Bucket=self.bucket, Key=self.key,
                                           Range=f"bytes={self.pos}-{self.pos + want - 1}")
            data = resp["Body"].read()
        except (ClientError, BotoCoreError) as exc:
            raise _s3_error(exc) from exc
        self.requests += 1
        self.bytes_read += len(data)
        n = len(data)
        buffer[:n] = data
        self.pos += n
        return n


class ArchiveObjects:
    """S3 objects of imports (the uploaded ZIP) and exports (the built ZIP)."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def size(self, key: str) -> int | None:
        try:
            return int(client("s3").head_object(Bucket=self.bucket, Key=key)["ContentLength"])
        except (ClientError, BotoCoreError) as exc:
            err = _s3_error(exc)
            if isinstance(err, NotFound):
                return None
            raise err from exc

    def open_zip(self, key: str, size: int) -> tuple[zipfile.ZipFile, RangedObject]:
        """Raises zipfile.BadZipFile (or NotFound) like zipfile does; the caller classifies."""
        raw = RangedObject(self.bucket, key, size)
        return zipfile.ZipFile(io.BufferedReader(raw, buffer_size=BLOCK)), raw

    def head_bytes(self, key: str, n: int = 4) -> bytes:
        try:
            return client("s3").get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{n - 1}")["Body"].read()
        except (ClientError, BotoCoreError) as exc:
            raise _s3_error(exc) from exc

    def put(self, key: str, data: bytes, content_type: str) -> None:
        try:
            client("s3").put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)
        except (ClientError, BotoCoreError) as exc:
            raise _s3_error(exc) from exc

    def get(self, key: str, max_bytes: int) -> bytes:
        try:
            data = client("s3").get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{max_bytes}")["Body"].read()
        except (ClientError, BotoCoreError) as exc:
            raise _s3_error(exc) from exc
        return data[:max_bytes]

    def delete(self, key: str) -> None:
        try:
            client("s3").delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            raise _s3_error(exc) from exc

    def presign_post(self, key: str, max_length: int, ttl_s: int) -> dict[str, Any]:
        """Exactly this key, a ZIP, at most max_length bytes (S3 allows POSTs up to 5 GB; moto
        does not enforce the policy: the reader re-checks the real size)."""
        return client("s3").generate_presigned_post(
            Bucket=self.bucket, Key=key, Fields={"Content-Type": "application/zip"},
            Conditions=[{"Content-Type": "application/zip"}, ["content-length-range", 1, max_length]],
            ExpiresIn=ttl_s)

    def presign_get(self, key: str, ttl_s: int, filename: str) -> str:
        return client("s3").generate_presigned_url("get_object", Params={
            "Bucket": self.bucket, "Key": key, "ResponseContentType": "application/zip",
            "ResponseContentDisposition": f'attachment; filename="{filename}"'}, ExpiresIn=ttl_s)

    def writer(self, key: str) -> "MultipartWriter":
        return MultipartWriter(self.bucket, key)


class MultipartWriter(io.RawIOBase):
    """A write-only stream into one S3 object by multipart upload (8 MiB parts): an export
    of any size is built with one part in memory at a time."""

    PART = 8 * 1024 * 1024

    def __init__(self, bucket: str, key: str) -> None:
        super().__init__()
        self.bucket, self.key = bucket, key
        self.buf = bytearray()
        self.parts: list[dict] = []
        self.size = 0
        self.upload_id = client("s3").create_multipart_upload(Bucket=bucket, Key=key,
                                                              ContentType="application/zip")["UploadId"]

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.buf += data
        self.size += len(data)
        while len(self.buf) >= self.PART:
            self._flush_part(bytes(self.buf[:self.PART]))
            del self.buf[:self.PART]
        return len(data)

    def tell(self) -> int:
        return self.size

    def _flush_part(self, data: bytes) -> None:
        number = len(self.parts) + 1
        etag = client("s3").upload_part(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id,
                                        PartNumber=number, Body=data)["ETag"]
        self.parts.append({"ETag": etag, "PartNumber": number})

    def complete(self) -> int:
        if self.buf or not self.parts:
            self._flush_part(bytes(self.buf))
            self.buf.clear()
        client("s3").complete_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id,
                                               MultipartUpload={"Parts": self.parts})
        return self.size

    def abort(self) -> None:
        try:
            client("s3").abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)
        except (ClientError, BotoCoreError):
            pass  # the bucket's lifecycle rule aborts leftovers after a day


class TaskQueue:
    """Typed jobs on the upload queue, ten per SendMessageBatch."""

    def __init__(self, queue_name: str) -> None:
        self.queue_name = queue_name

    def send_many(self, messages: list[dict], delay_s: int = 0) -> None:
        from chalicelib.adapters.community_aws import _queue_url

        sqs = client("sqs")
        try:
            url = _queue_url(self.queue_name)
            for start in range(0, len(messages), 10):
                chunk = messages[start:start + 10]
                resp = sqs.send_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(i), "MessageBody": json.dumps(m, separators=(",", ":")),
                     "DelaySeconds": max(0, min(900, int(delay_s)))} for i, m in enumerate(chunk)])
                if resp.get("Failed"):
                    raise Unavailable()
        except (ClientError, BotoCoreError) as exc:
            raise _s3_error(exc) from exc

    def send(self, message: dict, delay_s: int = 0) -> None:
        self.send_many([message], delay_s)


def _query(pk: str, prefix: str, *, limit: int | None = None, after: str | None = None,
           newest_first: bool = False, model: Any = ImportItem) -> tuple[list[Any], str | None]:
    condition = model.sk.startswith(prefix)
    if after:
        condition = (model.sk < after) & model.sk.startswith(prefix) if newest_first else \
            (model.sk > after) & model.sk.startswith(prefix)
    kwargs: dict[str, Any] = {"scan_index_forward": not newest_first}
    if limit:
        kwargs["limit"] = limit
    result = model.query(pk, condition, consistent_read=True, **kwargs)
    items = list(result)
    more = limit is not None and result.last_evaluated_key is not None and len(items) == limit
    return items, (items[-1].sk if more and items else None)


class PortabilityRepository:
    # -- imports --------------------------------------------------------------------------------
    @dynamo_errors
    def create_import(self, item: ImportItem) -> None:
        item.save(condition=ImportItem.pk.does_not_exist())

    @dynamo_errors
    def get_import(self, user_id: str, import_id: str) -> ImportItem | None:
        try:
            return ImportItem.get(*ImportItem.key(user_id, import_id), consistent_read=True)
        except ImportItem.DoesNotExist:
            return None

    @dynamo_errors
    def list_imports(self, user_id: str, *, limit: int, after: str | None) -> tuple[list[ImportItem], str | None]:
        return _query(partition(user_id), "IMPORT#", limit=limit, after=after, newest_first=True)

    @dynamo_errors
    def transition(self, item: ImportItem, *, from_states: tuple[str, ...], to: str, **fields: Any) -> bool:
        actions = [ImportItem.state.set(to), ImportItem.updated_at.set(iso(utcnow()))]
        for name, value in fields.items():
            actions.append(getattr(ImportItem, name).set(value))
        if update_if(item, actions, ImportItem.state.is_in(*from_states)):
            item.state = to
            for name, value in fields.items():
                setattr(item, name, value)
            return True
        return False

    @dynamo_errors
    def put_entries(self, entries: list[ImportEntryItem]) -> None:
        """Idempotent: an entry already written (a redelivered read) keeps its progress."""
        for entry in entries:
            try:
                entry.save(condition=ImportEntryItem.pk.does_not_exist())
            except PynamoDBException as exc:
                if exc.cause_response_code != "ConditionalCheckFailedException":
                    raise

    @dynamo_errors
    def entries(self, user_id: str, import_id: str, *, limit: int | None = None,
                after: str | None = None) -> tuple[list[ImportEntryItem], str | None]:
        return _query(partition(user_id), ImportEntryItem.prefix(import_id), limit=limit, after=after,
                      model=ImportEntryItem)

    @dynamo_errors
    def entry(self, user_id: str, import_id: str, seq: int) -> ImportEntryItem | None:
        try:
            return ImportEntryItem.get(*ImportEntryItem.key(user_id, import_id, seq), consistent_read=True)
        except ImportEntryItem.DoesNotExist:
            return None

    @dynamo_errors
    def mark_entry(self, entry: ImportEntryItem, *, status: str, reason: str | None = None,
                   post_id: str | None = None, from_states: tuple[str, ...]) -> bool:
        actions = [ImportEntryItem.status.set(status), ImportEntryItem.updated_at.set(iso(utcnow()))]
        if reason is not None:
            actions.append(ImportEntryItem.reason.set(reason))
        if post_id is not None:
            actions.append(ImportEntryItem.post_id.set(post_id))
        if update_if(entry, actions, ImportEntryItem.status.is_in(*from_states)):
            entry.status = status
            return True
        return False

    @dynamo_errors
    def finish_entry(self, user_id: str, import_id: str, seq: int, *, status: str, reason: str | None,
                     post_id: str | None, from_states: tuple[str, ...]) -> bool:
        """The entry's final status and the import's counters, in one transaction: each entry
        is counted exactly once however often its outcome is reported."""
        entry = ImportEntryItem(*ImportEntryItem.key(user_id, import_id, seq))
        actions = [ImportEntryItem.status.set(status), ImportEntryItem.updated_at.set(iso(utcnow()))]
        if reason:
            actions.append(ImportEntryItem.reason.set(reason))
        if post_id:
            actions.append(ImportEntryItem.post_id.set(post_id))
        record = ImportItem(*ImportItem.key(user_id, import_id))
        try:
            with TransactWrite(connection=_conn()) as tx:
                tx.update(entry, actions=actions, condition=ImportEntryItem.status.is_in(*from_states))
                tx.update(record, actions=[ImportItem.finished.add(1), getattr(ImportItem, f"n_{status}").add(1),
                                           ImportItem.updated_at.set(iso(utcnow()))],
                          condition=ImportItem.pk.exists())
        except TransactWriteError as exc:
            reasons = [r.code if r else None for r in (exc.cancellation_reasons or [])]
            if "ConditionalCheckFailed" in reasons:
                return False
            if exc.cause_response_code in THROTTLING_CODES:
                raise Unavailable() from exc
            raise
        return True

    @dynamo_errors
    def claim_identity(self, user_id: str, identity: str, *, import_id: str, seq: int, post_id: str,
                       day: str, allowance: int) -> str:
        """The exactly-once key and one unit of the day's allowance, together: 'claimed', or
        'taken' (the key exists: see `identity_owner`), or 'allowance' (today's is used up)."""
        key = ImportKeyItem(*ImportKeyItem.key(user_id, identity), import_id=import_id, seq=seq, post_id=post_id,
                            created_at=iso(utcnow()))
        counter = AllowanceItem(*AllowanceItem.key(user_id, day))
        expires = datetime.now(timezone.utc) + timedelta(days=3)
        try:
            with TransactWrite(connection=_conn()) as tx:
                tx.save(key, condition=ImportKeyItem.pk.does_not_exist())
                tx.update(counter, actions=[AllowanceItem.used.add(1), AllowanceItem.expires_at.set(expires)],
                          condition=AllowanceItem.pk.does_not_exist() | (AllowanceItem.used < allowance))
        except TransactWriteError as exc:
            reasons = [r.code if r else None for r in (exc.cancellation_reasons or [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return "taken"
            if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                return "allowance"
            if exc.cause_response_code in THROTTLING_CODES:
                raise Unavailable() from exc
            raise
        return "claimed"

    @dynamo_errors
    def identity_owner(self, user_id: str, identity: str) -> ImportKeyItem | None:
        try:
            return ImportKeyItem.get(*ImportKeyItem.key(user_id, identity), consistent_read=True)
        except ImportKeyItem.DoesNotExist:
            return None

    @dynamo_errors
    def allowance_used(self, user_id: str, day: str) -> int:
        try:
            return int(AllowanceItem.get(*AllowanceItem.key(user_id, day), consistent_read=True).used or 0)
        except AllowanceItem.DoesNotExist:
            return 0

    # -- archives (exports) ------------------------------------------------------------------------
    @dynamo_errors
    def create_archive(self, item: ArchiveItem) -> None:
        item.save(condition=ArchiveItem.pk.does_not_exist())

    @dynamo_errors
    def latest_archive(self, user_id: str) -> ArchiveItem | None:
        items, _ = _query(partition(user_id), "ARCHIVE#", limit=1, newest_first=True, model=ArchiveItem)
        return items[0] if items else None

    @dynamo_errors
    def get_archive(self, user_id: str, archive_id: str) -> ArchiveItem | None:
        try:
            return ArchiveItem.get(*ArchiveItem.key(user_id, archive_id), consistent_read=True)
        except ArchiveItem.DoesNotExist:
            return None

    @dynamo_errors
    def update_archive(self, item: ArchiveItem, *, from_states: tuple[str, ...], **fields: Any) -> bool:
        actions = [getattr(ArchiveItem, name).set(value) for name, value in fields.items()]
        if update_if(item, actions, ArchiveItem.state.is_in(*from_states)):
            for name, value in fields.items():
                setattr(item, name, value)
            return True
        return False


def iter_chunks(items: Iterable[Any], n: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == n:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dynamo_errors
def announce_to_feeds(follower_ids: Iterable[str], *, entry_id: str, post_id: str, author_id: str,
                      ttl_days: int) -> int:
    """One feed entry per follower for a whole import (BatchWriteItem, 25 a call): keyed by a
    fresh ULID so it sorts as news, pointing at the import's newest work."""
    from chalicelib.adapters.tables import FeedItem

    expires = utcnow() + timedelta(days=ttl_days)
    count = 0
    with FeedItem.batch_write() as batch:
        for uid in follower_ids:
            batch.save(FeedItem(*FeedItem.key(uid, entry_id), author_id=author_id, post_id=post_id,
                                expires_at=expires))
            count += 1
    return count


class ExportSource:
    """Everything an archive holds, read by Queries on the user's own partitions and indexes
    (the post ledger, `COLLECTIONS#`, `COMMENTS_BY#`), never a Scan."""

    @dynamo_errors
    def user(self, user_id: str) -> Any:
        from chalicelib.adapters.tables import UserItem

        try:
            return UserItem.get(*UserItem.key(user_id), consistent_read=True)
        except UserItem.DoesNotExist:
            return None

    @dynamo_errors
    def posts(self, user_id: str) -> Iterator[Any]:
        from chalicelib.adapters.store import PostRepository
        from chalicelib.adapters.tables_erasure import PostLedgerItem

        ids = [i.sk for i in PostLedgerItem.query(PostLedgerItem.partition(user_id), attributes_to_get=["pk", "sk"])]
        repo = PostRepository()
        for chunk in iter_chunks(ids, 100):
            found, _ = repo.batch_get(chunk)
            for pid in chunk:
                if pid in found:
                    yield found[pid]

    def image_count(self, post_id: str) -> int:
        """Images the post declared (refused posts never got `images` written)."""
        from chalicelib.adapters.screening_store import ImageRepository

        return len(ImageRepository().list_for_post(post_id))

    def original(self, key: str, status: str, max_bytes: int) -> bytes | None:
        s3 = client("s3")
        from chalicelib.config import get_settings

        bucket = get_settings().uploads_bucket
        candidates = [key, "rejected/" + key[len("uploads/"):]] if status == "rejected" else [key]
        for candidate in candidates:
            try:
                return s3.get_object(Bucket=bucket, Key=candidate, Range=f"bytes=0-{max_bytes - 1}")["Body"].read()
            except (ClientError, BotoCoreError) as exc:
                err = _s3_error(exc)
                if not isinstance(err, NotFound):
                    raise err from exc
        return None

    @dynamo_errors
    def collections(self, user_id: str) -> list[Any]:
        from chalicelib.adapters.tables_community import CollectionItem

        pk, _ = CollectionItem.index_key(user_id, "")
        out = []
        for key in CollectionItem.gsi1.query(pk):
            try:
                out.append(CollectionItem.get(key.pk, key.sk))
            except CollectionItem.DoesNotExist:
                continue
        return out

    @dynamo_errors
    def comments(self, user_id: str) -> list[Any]:
        from chalicelib.adapters.tables_community import CommentItem

        pk, _ = CommentItem.author_index_key(user_id, "", "")
        out = []
        for key in CommentItem.gsi1.query(pk):
            try:
                out.append(CommentItem.get(key.pk, key.sk))
            except CommentItem.DoesNotExist:
                continue
        return out
