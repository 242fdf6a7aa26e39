"""S3, CloudFront and SQS calls of the community features: deleting a post's media, telling the
CDN to forget it, and enqueueing background work (repost fan-out)."""
from __future__ import annotations

import json
import time
from functools import lru_cache
from typing import Any, Callable

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters.aws import THROTTLING_CODES, client, error_code
from chalicelib.errors import Unavailable


def _unavailable(exc: Exception) -> Exception:
    if isinstance(exc, BotoCoreError) or error_code(exc) in THROTTLING_CODES:
        return Unavailable()
    return exc


class MediaCleaner:
    """Deletes every object of a post: derivatives in the media bucket (`p/<post_id>/`) and
    the original upload (`uploads/<author>/<post_id>/`). Idempotent: deleting twice is fine."""

    def __init__(self, uploads_bucket: str, media_bucket: str) -> None:
        self.uploads_bucket = uploads_bucket
        self.media_bucket = media_bucket

    def _delete_prefix(self, bucket: str, prefix: str, tick: Callable[[], None] | None = None) -> int:
        s3 = client("s3")
        deleted = 0
        try:
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
                for start in range(0, len(keys), 1000):
                    s3.delete_objects(Bucket=bucket, Delete={"Objects": keys[start:start + 1000], "Quiet": True})
                    deleted += len(keys[start:start + 1000])
                if tick is not None:
                    tick()  # may stop here; a later run lists what is left
        except (ClientError, BotoCoreError) as exc:
            raise _unavailable(exc) from exc
        return deleted

    def delete_post_media(self, author_id: str, post_id: str) -> int:
        return self._delete_prefix(self.media_bucket, f"p/{post_id}/") + \
            self._delete_prefix(self.uploads_bucket, f"uploads/{author_id}/{post_id}/")

    def delete_user_originals(self, user_id: str, tick: Callable[[], None] | None = None) -> int:
        """Every original a user ever uploaded, kept or refused (account erasure)."""
        return self._delete_prefix(self.uploads_bucket, f"uploads/{user_id}/", tick) + \
            self._delete_prefix(self.uploads_bucket, f"rejected/{user_id}/", tick) + \
            self._delete_prefix(self.uploads_bucket, f"exports/{user_id}/", tick)  # downloadable archives


class CdnInvalidator:
    """CloudFront invalidation of a post's media paths. Skipped when no distribution is
    configured (the local platform and tests, unless a test sets one)."""

    def __init__(self, distribution_id: str | None) -> None:
        self.distribution_id = distribution_id

    def forget(self, paths: list[str]) -> str | None:
        if not self.distribution_id or not paths:
            return None
        try:
            resp = client("cloudfront").create_invalidation(
                DistributionId=self.distribution_id,
                InvalidationBatch={"Paths": {"Quantity": len(paths), "Items": paths},
                                   "CallerReference": f"easel-{time.time_ns()}"})
        except (ClientError, BotoCoreError) as exc:
            raise _unavailable(exc) from exc
        return str(resp["Invalidation"]["Id"])


@lru_cache(maxsize=8)
def _queue_url(queue_name: str) -> str:
    return str(client("sqs").get_queue_url(QueueName=queue_name)["QueueUrl"])


class EventQueue:
    """Sends typed background jobs (`{"type": ..., ...}`) to the upload queue, whose handler
    (`app.handle_uploads`) dispatches them by type; S3 notifications carry no `type`."""

    def __init__(self, queue_name: str, queue_url: str | None = None) -> None:
        self.queue_name = queue_name
        self.queue_url = queue_url

    def send(self, message: dict[str, Any], delay_s: int = 0) -> None:
        try:
            url = self.queue_url or _queue_url(self.queue_name)
            client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps(message, separators=(",", ":")),
                                       DelaySeconds=max(0, min(900, int(delay_s))))
        except (ClientError, BotoCoreError) as exc:
            raise _unavailable(exc) from exc
