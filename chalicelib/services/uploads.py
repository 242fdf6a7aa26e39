"""The upload handler's logic: S3 object -> checks -> screening -> derivatives -> decision
-> fan-out. Idempotent per object: redelivered or duplicated events give one post and one
fan-out; a crash at any step is resumed by the next delivery."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.storage import ObjectTooLarge, Storage
from chalicelib.adapters.store import FeedRepository, GraphRepository, PostRepository, UserRepository
from chalicelib.adapters.tables import PostItem, iso, utcnow
from chalicelib.config import Settings
from chalicelib.errors import NotFound
from chalicelib.images import ImageLimits, ImageRejected, make_derivatives
from chalicelib.observability import logger, metrics
from chalicelib.provenance import scan_provenance
from chalicelib.services.posts import media_key, parse_upload_key

from aws_lambda_powertools.metrics import MetricUnit

PIPELINE_VERSION = "slice-1"


@dataclass(frozen=True)
class Outcome:
    key: str
    result: str  # published | rejected | held_for_review | skipped:<why> | resumed_fanout
    post_id: str | None = None


class UploadProcessor:
    def __init__(self, posts: PostRepository, users: UserRepository, graph: GraphRepository,
                 feeds: FeedRepository, storage: Storage, settings: Settings) -> None:
        self.posts = posts
        self.users = users
        self.graph = graph
        self.feeds = feeds
        self.storage = storage
        self.settings = settings
        self.limits = ImageLimits(max_bytes=settings.max_upload_bytes, max_pixels=settings.max_image_pixels,
                                  max_frames=settings.max_image_frames,
                                  max_total_pixels=settings.max_total_pixels)

    def process(self, bucket: str, key: str) -> Outcome:
        if bucket != self.storage.uploads_bucket:
            return Outcome(key, "skipped:foreign_bucket")
        parsed = parse_upload_key(key)
        if parsed is None:
            logger.warning("upload key not in the expected layout", key=key)
            return Outcome(key, "skipped:bad_key")
        author_id, post_id, index = parsed
        post = self.posts.get(post_id, consistent=True)
        if post is None or post.author_id != author_id or index != 0:
            logger.warning("upload without a matching post", key=key, post_id=post_id)
            return Outcome(key, "skipped:no_post", post_id)
        if post.status == "published" and not post.fanout_done:
            self._fan_out(post)  # an earlier delivery crashed between decision and fan-out
            return Outcome(key, "resumed_fanout", post_id)
        if not self.posts.claim_for_processing(post):
            return Outcome(key, "skipped:already_decided", post_id)
        started = time.monotonic()
        status, screening, images, labels = self._screen(post, key)
        screening["pipeline_version"] = PIPELINE_VERSION
        if not self.posts.decide(post, status=status, screening=screening, images=images, labels=labels,
                                 decided_at=iso(utcnow())):
            return Outcome(key, "skipped:decided_concurrently", post_id)
        if status == "published":  # discovery + tag indexes (chalicelib/services/discovery.py)
            from chalicelib.services.discovery import index_published
            index_published(post)
        metrics.add_metric(name=f"Upload_{status}", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="UploadProcessingMs", unit=MetricUnit.Milliseconds,
                           value=(time.monotonic() - started) * 1000)
        logger.info("upload decided", post_id=post_id, status=status, reasons=screening.get("reasons"))
        if status == "rejected":
            self.storage.move_upload(key, "rejected/" + key[len("uploads/"):])
        if status == "published":
            self._fan_out(post)
        return Outcome(key, status, post_id)

    def _screen(self, post: PostItem, key: str) -> tuple[str, dict, list[dict] | None, list[str]]:
        checks: list[dict[str, Any]] = []

        def reject(reason: str, message: str, signals: dict | None = None) -> tuple:
            return "rejected", {"decision": "rejected", "reasons": [reason], "message": message,
                                "signals": signals or {}, "checks": checks}, None, []

        try:
            data = self.storage.read_upload(key, self.settings.max_upload_bytes)
        except ObjectTooLarge:
            checks.append({"step": "size", "result": "too_large"})
            return reject("file_too_large", f"The file exceeds {self.settings.max_upload_bytes} bytes.")
        except NotFound:
            checks.append({"step": "read", "result": "missing"})
            return reject("upload_missing", "The uploaded object could not be found.")
        checks.append({"step": "size", "result": "ok", "bytes": len(data)})

        # Provenance on the ORIGINAL bytes, before anything re-encodes them.
        prov = scan_provenance(data)
        checks.append({"step": "provenance", "result": prov.verdict, "reasons": prov.reasons,
                       "declared_source_types": prov.declared_source_types})
        signals = {"provenance": prov.signals, "c2pa": prov.c2pa,
                   "declared_source_types": prov.declared_source_types}
        if prov.verdict == "ai":
            return reject("ai_generated", "The file declares that it was generated by AI.", signals)

        try:
            derivatives = make_derivatives(data, creator=post.author_handle,
                                           widths=self.settings.derivative_widths, limits=self.limits)
        except ImageRejected as exc:
            checks.append({"step": "image", "result": exc.code, "message": exc.message})
            return reject(exc.code, exc.message, signals)
        checks.append({"step": "image", "result": "ok", "derivatives": len(derivatives)})

        variants = []
        for d in derivatives:
            mkey = media_key(post.post_id, 0, d.width)
            self.storage.put_media(mkey, d.data, d.content_type)
            variants.append({"width": d.width, "height": d.height, "key": mkey, "content_type": d.content_type,
                             "bytes": len(d.data)})
        largest = max(derivatives, key=lambda d: d.width)
        images = [{"index": 0, "width": largest.width, "height": largest.height, "variants": variants}]
        return "published", {"decision": "published", "reasons": [], "signals": signals, "checks": checks}, \
            images, []

    def _fan_out(self, post: PostItem) -> None:
        # Every account fans out on write for now, large ones included (docs/feeds.md: the
        # read-time merge for accounts above FANOUT_LIMIT is designed, not yet built).
        started = time.monotonic()
        written = self.feeds.add_to_feeds(self.graph.iter_follower_ids(post.author_id), post.post_id,
                                          post.author_id, self.settings.feed_ttl_days)
        self.posts.mark_fanout_done(post)
        metrics.add_metric(name="FanoutWrites", unit=MetricUnit.Count, value=written)
        logger.info("fan-out done", post_id=post.post_id, followers=written,
                    ms=round((time.monotonic() - started) * 1000, 1))


def s3_records(body: dict) -> list[tuple[str, str]]:
    """(bucket, key) pairs of an S3 notification body; test events and others yield []."""
    from urllib.parse import unquote_plus

    out = []
    for record in body.get("Records", []) if isinstance(body, dict) else []:
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        s3 = record.get("s3", {})
        bucket = s3.get("bucket", {}).get("name")
        key = s3.get("object", {}).get("key")
        if isinstance(bucket, str) and isinstance(key, str):
            out.append((bucket, unquote_plus(key)))
    return out
