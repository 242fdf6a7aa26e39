"""The upload handler's logic: S3 object -> checks -> the screening cascade -> decision ->
derivatives -> fan-out. Idempotent per object: redelivered or duplicated events give one
post and one fan-out; a crash at any step is resumed by the next delivery.

Multi-image posts: each image has its own item (`POST#<id>` / `IMAGE#<nn>`) and is screened
when its object arrives; the verdict is written with a condition (`status <> screened`), then
the handler re-reads the post's images with one strongly consistent Query. Whoever finds every
image screened finalises the post; the post's own conditional transition
(`processing -> final`) makes that happen exactly once even when two images finish together.

The cascade per image (docs/screening.md): provenance -> validation -> perceptual hashes
(known-AI list, reposts) -> NSFW label -> vendor (only when inconclusive and configured) ->
policy. A vendor outage defers the image: it is re-enqueued with a growing delay and the post
stays `processing`; it is never published unchecked and never dropped.
"""
from __future__ import annotations

import hashlib
import io
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.adapters.screening_store import (
    HashIndex, ImageRepository, KnownAiIndex, ModerationRepository, PostModerationOps, TableBreakerStore, UploadQueue,
)
from chalicelib.adapters.storage import ObjectTooLarge, Storage
from chalicelib.adapters.store import FeedRepository, GraphRepository, PostRepository, UserRepository
from chalicelib.adapters.tables import PostItem, iso, utcnow
from chalicelib.adapters.tables_screening import PostImageItem
from chalicelib.config import Settings
from chalicelib.errors import NotFound
from chalicelib.images import Derivative, ImageLimits, ImageRejected, make_derivatives
from chalicelib.services.guard import derivative_widths as guard_widths  # saver/survival: ≤1280 px
from chalicelib.observability import logger, metrics
from chalicelib.provenance import scan_provenance
from chalicelib.screening import policy
from chalicelib.screening.settings import ScreeningSettings, get_screening_settings
from chalicelib.services.posts import media_key, parse_upload_key, upload_key

PIPELINE_VERSION = "cascade-2"
REJECTED_PREFIX = "rejected/"


@dataclass(frozen=True)
class Outcome:
    key: str
    # published | rejected | held_for_review | deferred | waiting_for_images | skipped:<why> | resumed_fanout
    result: str
    post_id: str | None = None


class Deferred(Exception):
    def __init__(self, reason: str, record: dict) -> None:
        super().__init__(reason)
        self.reason = reason
        self.record = record


@dataclass
class ImageResult:
    verdict: policy.Verdict
    record: dict
    hashes: dict | None


# Screening reasons that count as an AI finding against the author (vendor risk policy).
AI_REASONS = frozenset({"ai_generated", "known_ai_image", "ai_detected", "ai_uncertain", "ai_suspected_protected_art"})


def retry_delay_s(attempt: int, base_s: int) -> int:
    """Exponential backoff for deferred uploads, capped by SQS's 15-minute DelaySeconds."""
    return int(min(900, base_s * (2 ** max(0, attempt - 1))))


def original_key(post: PostItem, index: int) -> str:
    key = upload_key(post.author_id, post.post_id, index)
    return REJECTED_PREFIX + key[len("uploads/"):] if post.status == "rejected" else key


class UploadProcessor:
    def __init__(self, posts: PostRepository, users: UserRepository, graph: GraphRepository,
                 feeds: FeedRepository, storage: Storage, settings: Settings, *,
                 screening: ScreeningSettings | None = None, images: ImageRepository | None = None,
                 hash_index: HashIndex | None = None, known_ai: KnownAiIndex | None = None,
                 moderation: ModerationRepository | None = None, post_ops: PostModerationOps | None = None,
                 queue: UploadQueue | None = None, vendor: Any = None, credentials: Any = None) -> None:
        import os

        self.posts = posts
        self.users = users
        self.graph = graph
        self.feeds = feeds
        self.storage = storage
        self.settings = settings
        self.screening = screening or get_screening_settings()
        self.images = images or ImageRepository()
        self.hash_index = hash_index or HashIndex()
        self.known_ai = known_ai or KnownAiIndex()
        self.moderation = moderation or ModerationRepository()
        self.post_ops = post_ops or PostModerationOps()
        self.queue = queue or UploadQueue(os.environ.get("UPLOAD_QUEUE_URL"),
                                          os.environ.get("UPLOAD_QUEUE_NAME", f"easel-{settings.stage}-uploads"))
        self._vendor = vendor
        self._credentials = credentials
        self.limits = ImageLimits(max_bytes=settings.max_upload_bytes, max_pixels=settings.max_image_pixels,
                                  max_frames=settings.max_image_frames,
                                  max_total_pixels=settings.max_total_pixels)
        self._derived: dict[tuple[str, int], list[Derivative]] = {}  # this invocation's work, reused on publish

    # -- the vendor, built on first need (requests + the shared breaker) -------------------------
    def vendor(self) -> Any:
        if self._vendor is None:
            from chalicelib.screening.hive import CircuitBreaker, HiveClient

            s = self.screening
            breaker = CircuitBreaker(TableBreakerStore(), "hive", threshold=s.breaker_failures,
                                     cooldown_s=s.breaker_cooldown_s)
            self._vendor = HiveClient(api_url=s.hive_api_url, api_key=s.vendor_key() or "", breaker=breaker,
                                      timeout_s=s.hive_timeout_s, max_attempts=s.hive_max_attempts,
                                      cost_per_call_usd=s.hive_cost_usd)
        return self._vendor

    # -- entry point ------------------------------------------------------------------------------------
    def process(self, bucket: str, key: str) -> Outcome:
        from chalicelib.services.guard import defer_upload  # budget guard: survival queues screening

        if defer_upload(self, bucket, key):
            return Outcome(key, "queued")
        self._derived.clear()  # derivatives are reused only within one event
        if bucket != self.storage.uploads_bucket:
            return Outcome(key, "skipped:foreign_bucket")
        parsed = parse_upload_key(key)
        if parsed is None:
            logger.warning("upload key not in the expected layout", key=key)
            return Outcome(key, "skipped:bad_key")
        author_id, post_id, index = parsed
        post = self.posts.get(post_id, consistent=True)
        if post is None or post.author_id != author_id:
            # Nothing will ever claim it (an erased account's late upload, a deleted post): the
            # original goes, so no bytes outlive their post.
            logger.warning("upload without a matching post; deleted", key=key, post_id=post_id)
            self.storage.delete_objects(self.storage.uploads_bucket, [key])
            return Outcome(key, "skipped:no_post", post_id)
        if post.status in ("published", "applied") and not post.fanout_done:  # applied: a profile image
            # An earlier delivery crashed between the decision and the end of the publish steps.
            self._after_publish(post, self.images.list_for_post(post_id))
            return Outcome(key, "resumed_fanout", post_id)
        images = self.images.list_for_post(post_id)
        if not images:  # a post created before per-image items existed: one image
            images = [self._implicit_image(post)]
        image = next((i for i in images if int(i.index) == index), None)
        if image is None:
            logger.warning("upload for an image the post does not declare", key=key, post_id=post_id)
            return Outcome(key, "skipped:no_image", post_id)
        if not self.posts.claim_for_processing(post):
            if post.import_ref and post.status in ("published", "held_for_review", "rejected"):
                self._report_import(post, post.status, (post.screening or {}).get("reasons", []))
            return Outcome(key, "skipped:already_decided", post_id)

        if image.status != "screened" and self.images.claim(image):
            try:
                result = self._screen_image(post, image, key)
            except Deferred as exc:
                return self._defer(post, image, key, exc)
            self.images.record_verdict(image, verdict=result.verdict.decision, record=result.record,
                                       hashes=result.hashes)
            metrics.add_metric(name=f"Image_{result.verdict.decision}", unit=MetricUnit.Count, value=1)

        images = self.images.list_for_post(post_id) or [image]
        if any(i.status != "screened" for i in images):
            return Outcome(key, "waiting_for_images", post_id)
        return self.finalize(post, images, key)

    def _implicit_image(self, post: PostItem) -> PostImageItem:
        image = PostImageItem(*PostImageItem.key(post.post_id, 0), post_id=post.post_id, index=0,
                              content_type=post.content_type, content_length=post.content_length,
                              status="awaiting_upload", created_at=post.created_at)
        self.images.create_all([image])
        return image

    def _defer(self, post: PostItem, image: PostImageItem, key: str, exc: Deferred) -> Outcome:
        attempt = self.images.defer(image, exc.record)
        delay = retry_delay_s(attempt, self.screening.retry_base_delay_s)
        self.post_ops.note_pending(post, {"decision": "pending", "reasons": ["vendor_unavailable"],
                                          "message": "Screening is waiting for a detector; it will be retried.",
                                          "attempts": attempt, "retry_in_s": delay, "signals": {}, "checks": []})
        self.queue.send_task({"op": "screen", "bucket": self.storage.uploads_bucket, "key": key,
                              "attempt": attempt}, delay)
        metrics.add_metric(name="UploadDeferred", unit=MetricUnit.Count, value=1)
        logger.warning("screening deferred", post_id=post.post_id, reason=exc.reason, attempt=attempt, delay_s=delay)
        return Outcome(key, "deferred", post.post_id)

    # -- one image through the cascade ---------------------------------------------------------------
    def _screen_image(self, post: PostItem, image: PostImageItem, key: str) -> ImageResult:
        s = self.screening
        checks: list[dict[str, Any]] = []
        signals = policy.Signals(protected=bool(image.protected))
        detectors: dict[str, str] = {"pipeline": PIPELINE_VERSION}
        record_signals: dict[str, Any] = {}
        cost = 0.0
        pinned: str | None = None  # sha256 of the bytes screened (set once they are read)

        def done(verdict: policy.Verdict, hashes: dict | None = None) -> ImageResult:
            record = {"index": int(image.index), "decision": verdict.decision, "reasons": verdict.reasons,
                      "sha256": pinned,
                      "labels": verdict.labels, "details": verdict.details, "signals": record_signals,
                      "checks": checks, "thresholds": s.thresholds(), "detectors": detectors,
                      "cost_usd": round(cost, 6), "decided_at": iso(utcnow())}
            return ImageResult(verdict, record, hashes)

        def refuse(reason: str, message: str) -> ImageResult:
            return done(policy.Verdict(policy.REJECT, [reason], [], {"message": message}))

        try:
            data = self.storage.read_upload(key, self.settings.max_upload_bytes)
        except ObjectTooLarge:
            checks.append({"step": "size", "result": "too_large"})
            return refuse("file_too_large", f"The file exceeds {self.settings.max_upload_bytes} bytes.")
        except NotFound:
            checks.append({"step": "read", "result": "missing"})
            return refuse("upload_missing", "The uploaded object could not be found.")
        checks.append({"step": "size", "result": "ok", "bytes": len(data)})
        # The bytes screened here are the only bytes that may be published: a later read of
        # the original (another invocation, a moderator's approval) must hash the same, or the
        # presigned form was used again to swap the object after it passed.
        pinned = hashlib.sha256(data).hexdigest()

        # 1. Provenance on the ORIGINAL bytes, before anything re-encodes them. Decisive when present.
        prov = scan_provenance(data)
        detectors["provenance"] = "easel-provenance-1"
        checks.append({"step": "provenance", "result": prov.verdict, "reasons": prov.reasons,
                       "declared_source_types": prov.declared_source_types})
        record_signals.update({"provenance": prov.signals, "c2pa": prov.c2pa,
                               "declared_source_types": prov.declared_source_types})
        if prov.verdict == "ai":
            signals.provenance_ai = True
            return done(policy.decide(signals, s))

        # Validation (the whole file is decoded); the derivatives are kept for publishing.
        try:
            derived = make_derivatives(data, creator=post.author_handle, widths=self._widths(post), limits=self.limits)
        except ImageRejected as exc:
            checks.append({"step": "image", "result": exc.code, "message": exc.message})
            return refuse(exc.code, exc.message)
        self._derived[(post.post_id, int(image.index))] = derived
        checks.append({"step": "image", "result": "ok"})

        from PIL import Image

        from chalicelib.screening import hashing, nsfw

        # 2. Near-duplicates: the known-AI list, then other artists' published work.
        started = time.monotonic()
        with Image.open(io.BytesIO(data)) as opened:
            opened.draft("RGB", (512, 512))
            opened.seek(0)
            picture = opened.copy()
        hashes = hashing.hash_image(picture)
        detectors["phash"] = hashing.VERSION
        record_signals["hashes"] = hashes.record()
        if hashes.reliable:
            signals.known_ai_match, signals.repost_match, found = self._near_duplicates(post, hashes)
            result = "known_ai" if signals.known_ai_match else "repost" if signals.repost_match else "none"
        else:  # too little structure for a hash to mean anything: never flag on it
            result, found = "low_detail", 0
        checks.append({"step": "near_duplicates", "result": result, "candidates": found,
                       "ms": round((time.monotonic() - started) * 1000, 1)})
        record_signals["known_ai_match"] = signals.known_ai_match
        record_signals["repost_match"] = signals.repost_match

        # 3. NSFW: a label, never a refusal.
        started = time.monotonic()
        signals.nsfw_score = nsfw.score_image(picture)
        detectors["nsfw"] = nsfw.detector_version()
        record_signals["nsfw_score"] = round(signals.nsfw_score, 6)
        checks.append({"step": "nsfw", "result": "scored", "score": round(signals.nsfw_score, 6),
                       "ms": round((time.monotonic() - started) * 1000, 1)})

        # 4. Vendor, only when the cheap steps were inconclusive and a key is configured.
        if not policy.vendor_needed(signals):
            signals.vendor_skipped = "decided_by_earlier_step"
            checks.append({"step": "vendor", "result": "skipped", "why": signals.vendor_skipped})
        elif not (chosen := self._vendor_selected(post, signals))[0]:
            signals.vendor_skipped = chosen[1]
            checks.append({"step": "vendor", "result": "skipped", "why": chosen[1]})
        elif not s.vendor_configured:
            signals.vendor_skipped = "no_api_key"
            checks.append({"step": "vendor", "result": "skipped", "why": "no_api_key"})
        else:
            from chalicelib.screening.hive import VERSION as HIVE_VERSION, VendorUnavailable

            detectors["vendor"] = HIVE_VERSION
            try:
                result = self.vendor().detect(data, image.content_type)
            except VendorUnavailable as exc:
                cost += exc.cost_usd
                checks.append({"step": "vendor", "result": "unavailable", "why": exc.reason,
                               "attempts": exc.attempts, "cost_usd": exc.cost_usd})
                metrics.add_metric(name="VendorCostMicroUSD", unit=MetricUnit.Count, value=exc.cost_usd * 1e6)
                raise Deferred(exc.reason, {"decision": "deferred", "checks": checks,
                                            "signals": record_signals, "cost_usd": cost}) from None
            cost += result.cost_usd
            signals.vendor_score = result.ai_score
            record_signals["vendor"] = result.record()
            checks.append({"step": "vendor", "result": "scored", "score": round(result.ai_score, 6),
                           "attempts": result.attempts, "cost_usd": result.cost_usd})
            metrics.add_metric(name="VendorCostMicroUSD", unit=MetricUnit.Count, value=result.cost_usd * 1e6)
        record_signals["vendor_skipped"] = signals.vendor_skipped
        record_signals["protected"] = signals.protected

        # 5. Policy.
        return done(policy.decide(signals, s), hashes.record())

    def _vendor_selected(self, post: PostItem, signals: policy.Signals) -> tuple[bool, str]:
        """The vendor risk policy (chalicelib/screening/vendor_policy.py) on the author's record."""
        from chalicelib.screening.vendor_policy import AuthorFacts, VendorPolicy, select

        s = self.screening
        rules = VendorPolicy(mode=s.vendor_policy, new_account_days=s.vendor_new_account_days,
                             first_posts=s.vendor_first_posts, sample_rate=s.vendor_sample_rate)
        author = self.users.get(post.author_id) if rules.mode != "all" else None
        facts = None
        if author is not None:
            try:
                age_days = _seconds_since(author.created_at) / 86400
            except (TypeError, AttributeError):
                age_days = 0.0
            facts = AuthorFacts(account_age_days=age_days, published_posts=int(author.posts_count or 0),
                                ai_findings=int(author.ai_findings or 0))
        return select(rules, facts, post.post_id, protected=signals.protected)

    def _near_duplicates(self, post: PostItem, hashes: Any) -> tuple[dict | None, dict | None, int]:
        from chalicelib.screening import hashing

        s = self.screening
        probes = hashing.probe_bands(hashes.phash)
        known = sorted(((hashing.distance(hashes.phash, hashing.from_hex(c.phash)), c)
                        for c in self.known_ai.candidates(probes)), key=lambda k: k[0])
        known_match = None
        if known and known[0][0] <= s.known_ai_max_distance:
            d, entry = known[0]
            known_match = {"entry_id": entry.entry_id, "distance": d, "source_post_id": entry.source_post_id}
        reposts = []
        for cand in self.hash_index.candidates(probes):
            if cand.author_id == post.author_id or cand.post_id == post.post_id:
                continue  # the artist's own re-uploads are not flagged
            d = hashing.distance(hashes.phash, hashing.from_hex(cand.phash))
            if d <= s.repost_max_distance:
                reposts.append((d, cand))
        repost_match = None
        if reposts:
            d, cand = min(reposts, key=lambda r: r[0])
            repost_match = {"post_id": cand.post_id, "image_index": int(cand.image_index), "distance": d,
                            "mirrored": bool(cand.mirrored),
                            "url": f"{self.settings.public_base_url}/v1/posts/{cand.post_id}"}
        return known_match, repost_match, len(reposts)

    # -- the post: every image screened -> one decision ---------------------------------------------
    def finalize(self, post: PostItem, images: list[PostImageItem], key: str) -> Outcome:
        images = sorted(images, key=lambda i: int(i.index))
        records = [dict(i.record or {}) for i in images]
        approval = (post.screening or {}).get("approval")
        status = policy.combine([policy.Verdict(str(i.verdict)) for i in images])
        labels = list(dict.fromkeys(list(post.labels or []) + [lab for r in records for lab in r.get("labels", [])]))
        if approval:
            status = "published"
            labels = list(approval.get("labels", labels))
        failing = [r for r in records if r.get("decision") != "published"]
        reasons = list(dict.fromkeys(reason for r in failing for reason in r.get("reasons", [])))
        lead = failing[0] if failing else (records[0] if records else {})
        if post.purpose and not approval and status == "published" and "mature" in labels:
            # A profile image is shown unblurred wherever the profile is: mature ones go to people.
            from chalicelib.services.profile_media import MATURE_REASON

            status, reasons = "held_for_review", [MATURE_REASON]
        screening = {
            "decision": status, "reasons": [] if approval else reasons,
            "message": (lead.get("details") or {}).get("message"),
            "images": [{"index": int(i.index), "decision": r.get("decision"), "reasons": r.get("reasons", []),
                        "labels": r.get("labels", []), "details": r.get("details", {})} for i, r in zip(images, records)],
            "signals": lead.get("signals", {}), "checks": lead.get("checks", []),
            "thresholds": lead.get("thresholds", self.screening.thresholds()),
            "detectors": lead.get("detectors", {}),
            "cost_usd": round(sum(float(r.get("cost_usd", 0)) for r in records), 6),
            "pipeline_version": PIPELINE_VERSION,
        }
        if approval:
            screening["approval"] = approval
            screening["screened_decision"] = {"decision": policy.combine(
                [policy.Verdict(str(i.verdict)) for i in images]), "reasons": reasons}
        for m in (post.screening or {}).get("moderation", []):
            screening.setdefault("moderation", []).append(m)

        published_images = None
        if status == "published":
            try:
                published_images = self._publish_media(post, images)
            except ImageRejected as exc:  # cannot happen for a screened image; refuse rather than publish broken
                status, screening["decision"], screening["reasons"] = "rejected", "rejected", [exc.code]
        if status == "held_for_review":
            self.moderation.open_item(kind="held", post_id=post.post_id, author_id=post.author_id,
                                      reason=reasons[0] if reasons else "review")
        # A profile image that passes is stored `applied`: out of every listing of published posts.
        stored = "applied" if post.purpose and status == "published" else status
        if not self.posts.decide(post, status=stored, screening=screening, images=published_images,
                                 labels=labels, decided_at=iso(utcnow())):
            if published_images is not None and self.posts.get(post.post_id, consistent=True) is None:
                # Erased (account deletion) while it was being screened: drop what we just wrote.
                from chalicelib.adapters.community_aws import MediaCleaner

                MediaCleaner(self.storage.uploads_bucket, self.storage.media_bucket).delete_post_media(
                    post.author_id, post.post_id)
            return Outcome(key, "skipped:decided_concurrently", post.post_id)
        if published_images is not None:
            post.images = published_images
        if not approval and not (post.import_ref and status == "published"):
            # (a moderator's approval is notified by the moderation service; an imported work
            # that passes is reported on the import's page, not by a notification each)
            self._notify_screening(post, status, screening["reasons"])
        if post.import_ref:
            self._report_import(post, status, screening["reasons"])
        metrics.add_metric(name=f"Upload_{status}", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="UploadToDecisionSeconds", unit=MetricUnit.Seconds,
                           value=_seconds_since(post.created_at))
        logger.info("upload decided", post_id=post.post_id, status=status, reasons=screening["reasons"])
        if not approval and status in ("rejected", "held_for_review") and AI_REASONS & set(reasons):
            from chalicelib.adapters.screening_store import AuthorRecordRepository

            AuthorRecordRepository().add_ai_finding(post.author_id)  # the vendor risk policy's memory
        if status == "rejected":
            for i in images:
                k = upload_key(post.author_id, post.post_id, int(i.index))
                self.storage.move_upload(k, REJECTED_PREFIX + k[len("uploads/"):])
        if status == "published":
            self._after_publish(post, images)
        return Outcome(key, status, post.post_id)

    def _after_publish(self, post: PostItem, images: list[PostImageItem]) -> None:
        """Everything a publication sets off, each step idempotent; `fanout_done` is set last,
        so a crash anywhere here is resumed by the next delivery. A profile image only goes
        onto its owner's profile: no hash index, discovery, tags or fan-out."""
        if post.purpose:
            self._apply_profile_media(post)
            return
        for i in images:
            h = i.hashes or {}
            if h.get("phash") and h.get("reliable"):
                self.hash_index.add(post_id=post.post_id, author_id=post.author_id, index=int(i.index),
                                    phash_hex=h["phash"], mirror_hex=h["phash_mirror"])
        from chalicelib.services.discovery import index_published  # discovery + tag indexes

        index_published(post)
        self._fan_out(post)

    def _apply_profile_media(self, post: PostItem) -> None:
        from chalicelib.adapters.community_aws import CdnInvalidator, MediaCleaner
        from chalicelib.adapters.profile_media_store import ProfileMediaRepository
        from chalicelib.services.profile_media import ProfileMediaLifecycle

        lifecycle = ProfileMediaLifecycle(ProfileMediaRepository(),
                                          MediaCleaner(self.storage.uploads_bucket, self.storage.media_bucket),
                                          CdnInvalidator(self.settings.cdn_distribution_id), self.settings)
        applied = lifecycle.apply(post)
        self.posts.mark_fanout_done(post)
        logger.info("profile image decided", post_id=post.post_id, purpose=post.purpose, applied=applied)

    def _report_import(self, post: PostItem, status: str, reasons: list[str]) -> None:
        """An imported post's outcome goes back to its import (services/imports.py); counted
        once however often it is reported."""
        from chalicelib import container

        container.imports().record_outcome(post, "rejected" if status == "removed" else status, list(reasons))

    def _notify_screening(self, post: PostItem, status: str, reasons: list[str]) -> None:
        """Once per decision: only the worker whose conditional `decide` won gets here."""
        from chalicelib.services.notifications import notify

        try:
            notify(post.author_id, "screening", None, post_id=post.post_id,
                   data={"decision": status, "reasons": list(reasons), "purpose": post.purpose or "post"})
        except Exception:  # noqa: BLE001 - best effort: never undo or stall the decision
            logger.exception("screening notification failed", post_id=post.post_id)

    def _widths(self, post: PostItem) -> tuple[int, ...]:
        from chalicelib.services.profile_media import WIDTHS

        return guard_widths(WIDTHS.get(post.purpose or "", self.settings.derivative_widths))

    def _publish_media(self, post: PostItem, images: list[PostImageItem]) -> list[dict]:
        out = []
        for image in images:
            index = int(image.index)
            derived = self._derived.pop((post.post_id, index), None)
            if derived is None:  # screened in another invocation (multi-image, or approved later)
                data = self._read_original(post, index)
                pinned = (image.record or {}).get("sha256")
                if pinned and hashlib.sha256(data).hexdigest() != pinned:
                    logger.warning("original changed after screening", post_id=post.post_id, index=index)
                    raise ImageRejected("changed_after_screening",
                                        "The file was replaced after it was screened; upload it again as a new post.")
                derived = make_derivatives(data, creator=post.author_handle, widths=self._widths(post),
                                           limits=self.limits)
            variants = []
            for d in derived:
                mkey = media_key(post.post_id, index, d.width)
                data = self._sign(d.data, d.content_type, post, mkey)
                self.storage.put_media(mkey, data, d.content_type)
                variants.append({"width": d.width, "height": d.height, "key": mkey, "content_type": d.content_type,
                                 "bytes": len(data)})
            largest = max(derived, key=lambda d: d.width)
            out.append({"index": index, "width": largest.width, "height": largest.height, "variants": variants})
        return out

    def _sign(self, data: bytes, content_type: str, post: PostItem, key: str) -> bytes:
        """Content Credentials (images/credentials.py): the manifest is embedded, the pixels
        untouched. A signing failure raises: the delivery is retried, never published unsigned."""
        if self._credentials is None:
            from chalicelib import container

            self._credentials = container.credentials()
        started = time.monotonic()
        signed = self._credentials.sign(data, content_type, title=key.rsplit("/", 1)[-1],
                                        author_handle=post.author_handle)
        metrics.add_metric(name="C2paSignMs", unit=MetricUnit.Milliseconds,
                           value=round((time.monotonic() - started) * 1000, 2))
        return signed

    def _read_original(self, post: PostItem, index: int) -> bytes:
        key = upload_key(post.author_id, post.post_id, index)
        try:
            return self.storage.read_upload(key, self.settings.max_upload_bytes)
        except NotFound:  # approved after a rejection moved it aside
            return self.storage.read_upload(REJECTED_PREFIX + key[len("uploads/"):], self.settings.max_upload_bytes)

    def _fan_out(self, post: PostItem) -> None:
        # Accounts above FANOUT_LIMIT followers are merged into feeds at read time instead
        # (docs/feeds.md): their posts cost no per-follower writes.
        if post.import_ref:  # an imported work: the import reaches followers once, when it is done
            self.posts.mark_fanout_done(post)
            metrics.add_metric(name="FanoutSkippedImported", unit=MetricUnit.Count, value=1)
            return
        author = self.users.get(post.author_id)
        if author is not None and author.large_account:
            self.posts.mark_fanout_done(post)
            metrics.add_metric(name="FanoutSkippedLarge", unit=MetricUnit.Count, value=1)
            logger.info("fan-out skipped: large account, merged on read", post_id=post.post_id)
            return
        started = time.monotonic()
        written = self.feeds.add_to_feeds(self.graph.iter_follower_ids(post.author_id), post.post_id,
                                          post.author_id, self.settings.feed_ttl_days, publication=True)
        self.posts.mark_fanout_done(post)
        metrics.add_metric(name="FanoutWrites", unit=MetricUnit.Count, value=written)
        logger.info("fan-out done", post_id=post.post_id, followers=written,
                    ms=round((time.monotonic() - started) * 1000, 1))


def _seconds_since(stamp: str) -> float:
    try:
        then = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    return max(0.0, (utcnow() - then).total_seconds())


def s3_records(body: dict) -> list[tuple[str, str]]:
    """(bucket, key) pairs of an S3 notification body, or of Easel's own task messages
    (`{"easel_task": {"bucket", "key"}}`: a deferred upload's retry, an approved post to
    publish); test events and others yield []."""
    from urllib.parse import unquote_plus

    if isinstance(body, dict) and isinstance(body.get("easel_task"), dict):
        task = body["easel_task"]
        bucket, key = task.get("bucket"), task.get("key")
        return [(bucket, key)] if isinstance(bucket, str) and isinstance(key, str) else []
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
