"""Account erasure: `DELETE /v1/me` and the background job that carries it out.

The request (API, O(1)): re-check the password on a live session, mark the account
(`deletion_requested_at`: from then on it is invisible, cannot sign in and its handle resolves to
nobody), create the erasure record, enqueue the job, end every session. It answers 202.

The job (`{"type": "erase_account", "user_id", "pass"}` on the upload queue, dispatched by
`app.handle_uploads`) removes, by Queries on partitions keyed by the user, never a Scan:
posts (items, images, comments on them, tag entries, perceptual-hash entries, open moderation
items, derivatives and originals, CDN paths), the user's comments, likes, reposts (with the
counters they counted), follows both ways (with the other person's counter), blocks, mutes,
collections, feed, notifications, sessions, jobs, their messages and inbox rows, and finally
the e-mail guard and the user item; the handle guard becomes a tombstone that sign-up may
claim once `handle_grace_s` has passed.

It is idempotent and resumable: each step removes what is left, so a redelivered or
duplicated message, or a run cut short by its time budget (it then re-enqueues itself), simply
continues. Pass 1 runs at once; pass 2 runs `erasure_final_pass_delay_s` later (≥ the access
token lifetime), catching anything written with an access token issued before the request.
"""
from __future__ import annotations

import time
from typing import Any, Callable
from urllib.parse import urlparse

from chalicelib.adapters.community_aws import CdnInvalidator, EventQueue, MediaCleaner
from chalicelib.adapters.erasure_store import ErasureRepository
from chalicelib.adapters.tables import iso, utcnow
from chalicelib.config import Settings
from chalicelib.domain import validation as v
from chalicelib.errors import ValidationError
from chalicelib.observability import logger
from chalicelib.services.tokens import Principal

ERASE_ACCOUNT = "erase_account"
FINAL_PASS = 2
STALE_RETRIES = 2  # re-reads of an index page that lists only just-deleted keys
STALE_PAUSE_S = 0.5
CDN_WILDCARDS_PER_REQUEST = 15


class _OutOfTime(Exception):
    pass


class ErasureService:
    def __init__(self, repo: ErasureRepository, accounts: Any, queue: EventQueue, media: MediaCleaner,
                 cdn: CdnInvalidator, settings: Settings, *, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.repo = repo
        self.accounts = accounts
        self.queue = queue
        self.media = media
        self.cdn = cdn
        self.settings = settings
        self.clock = clock
        self.monotonic = monotonic
        self.sleep = sleep

    # -- DELETE /v1/me ---------------------------------------------------------------------------
    def request(self, principal: Principal, body: Any) -> dict:
        body = v.require_object(body)
        password = body.get("password")
        if not isinstance(password, str) or not password:
            raise ValidationError("'password' is required to delete the account.", field="password")
        self.accounts.confirm_password(principal, password)
        requested_at = iso(utcnow())
        released_after = int(self.clock()) + self.settings.handle_grace_s
        if not self.repo.mark_requested(principal.user_id, requested_at=requested_at, released_after=released_after):
            record = self.repo.record(principal.user_id)  # asked before: the same answer again
            if record is not None:
                requested_at = record.requested_at
                released_after = int(record.handle_released_after or released_after)
        # Enqueue before ending the sessions: if SQS fails the client gets 503 and can retry
        # with the same token; a repeated request re-sends the (idempotent) job.
        self.queue.send({"type": ERASE_ACCOUNT, "user_id": principal.user_id, "pass": 1})
        self.accounts.end_all_sessions(principal.user_id)
        logger.info("account erasure requested", user_id=principal.user_id)
        return {"status": "erasure_scheduled", "requested_at": requested_at,
                "handle_released_at": iso(_from_epoch(released_after))}

    # -- the job ---------------------------------------------------------------------------------
    def handle_job(self, message: dict, *, budget_s: float | None = None) -> str | None:
        if message.get("type") != ERASE_ACCOUNT:
            return None
        user_id, pass_no = message.get("user_id"), message.get("pass", 1)
        if not isinstance(user_id, str) or not 0 < len(user_id) <= 40 or pass_no not in (1, 2):
            logger.warning("malformed erasure job", job=message)
            return "skipped:malformed"
        record = self.repo.record(user_id)
        if record is None:  # only an authenticated, password-confirmed request creates one
            logger.warning("erasure job without a request", user_id=user_id)
            return "skipped:no_request"
        if record.status == "done":
            return "skipped:done"
        deadline = self.monotonic() + (budget_s if budget_s is not None else self.settings.job_budget_s)
        counts: dict[str, int] = {}
        try:
            self.sweep(user_id, counts, deadline, released_after=int(record.handle_released_after or 0))
        except _OutOfTime:
            self.repo.note_pass(user_id, status="erasing", counts=counts, completed=False)
            self.queue.send(message)
            logger.info("erasure continues in a new invocation", user_id=user_id, counts=counts)
            return "erasure_continued"
        if pass_no < FINAL_PASS:
            self.repo.note_pass(user_id, status="final_pass_scheduled", counts=counts, completed=False)
            self.queue.send({"type": ERASE_ACCOUNT, "user_id": user_id, "pass": FINAL_PASS},
                            delay_s=self.settings.erasure_final_pass_delay_s)
            logger.info("erasure pass done; final pass scheduled", user_id=user_id, counts=counts)
            return "erasure_pass_done"
        self.repo.note_pass(user_id, status="done", counts=counts, completed=True)
        logger.info("account erased", user_id=user_id, counts=counts)
        return "erasure_done"

    def sweep(self, user_id: str, counts: dict[str, int], deadline: float, *, released_after: int) -> None:
        repo = self.repo

        progress = [0]

        def tick() -> None:
            # Out of time only after some work: every invocation moves the erasure forward.
            if progress[0] and self.monotonic() > deadline:
                raise _OutOfTime()

        def count(kind: str, n: int | bool) -> None:
            if n:  # progress = something was actually removed in this invocation
                progress[0] += 1
                counts[kind] = counts.get(kind, 0) + int(n)

        def drain(kind: str, list_page: Callable[[], list], remove_page: Callable[[list], Any]) -> None:
            """Page after page until nothing new is listed. Keys seen before are skipped, so an
            index that still lists a just-deleted item (gsi1 lags writes) cannot loop us; a page
            of only such keys is read again after a pause before the listing counts as done."""
            seen: set = set()
            stale_reads = 0
            while True:
                tick()
                listed = list_page()
                page = [e for e in listed if e not in seen]
                if not page:
                    if not listed or stale_reads >= STALE_RETRIES:
                        return
                    stale_reads += 1
                    self.sleep(STALE_PAUSE_S)
                    continue
                stale_reads = 0
                seen.update(page)
                n = remove_page(page)
                if n is not None:  # page-at-once removers report their count here
                    count(kind, n)

        def each(kind: str, remove: Callable[[Any], Any]) -> Callable[[list], None]:
            def run(page: list) -> None:
                for entry in page:
                    tick()
                    count(kind, bool(remove(entry)))
            return run

        user = repo.user(user_id)
        # Posts first: their comments, likes and media go with them.
        drain("posts", lambda: repo.ledger_post_ids(user_id),
              lambda ids: self._erase_posts(user_id, ids, tick, lambda n: count("posts", n)))
        drain("comments", lambda: repo.comment_keys(user_id), each("comments", lambda k: repo.remove_comment(*k)))
        drain("likes", lambda: repo.liked_post_ids(user_id),
              each("likes", lambda pid: repo.remove_like(user_id, pid)))
        drain("reposts", lambda: repo.reposted_post_ids(user_id),
              each("reposts", lambda pid: repo.remove_repost(user_id, pid)))
        drain("following", lambda: repo.followee_ids(user_id),
              each("following", lambda other: repo.remove_follow(user_id, other, erased_id=user_id)))
        drain("followers", lambda: repo.follower_ids(user_id),
              each("followers", lambda other: repo.remove_follow(other, user_id, erased_id=user_id)))
        for kind, pk in repo.user_partitions(user_id).items():
            drain(kind, lambda pk=pk: repo.partition_keys(pk), repo.delete_keys)
        for kind, gsi1pk in repo.user_index_partitions(user_id).items():
            drain(kind, lambda gsi1pk=gsi1pk: repo.index_base_keys(gsi1pk), repo.delete_keys)
        drain("jobs", lambda: repo.job_ids(user_id), each("jobs", self._erase_job))
        rows: dict[tuple[str, str], Any] = {}

        def inbox_page() -> list:
            page = {(r.pk, r.sk): r for r in repo.inbox_rows(user_id)}
            rows.update(page)
            return list(page)

        drain("conversations", inbox_page,
              each("conversations", lambda key: repo.erase_from_conversation(user_id, rows[key], tick=tick)))
        count("originals", self.media.delete_user_originals(user_id, tick=tick))
        # Two fixed keys, deleted blindly (a batch delete does not say whether they existed), so
        # not counted as progress: otherwise every run would "progress" here and never finish.
        counts["counters"] = counts.get("counters", 0) + repo.delete_singletons(user_id)
        if user is not None:
            repo.retire_account(user, released_after=released_after or int(self.clock()) + self.settings.handle_grace_s)
            counts["account"] = 1

    def _erase_posts(self, user_id: str, post_ids: list[str], tick: Callable[[], None],
                     done: Callable[[int], None]) -> None:
        """Media and indexes of each post first, then the CDN told to forget them, and only then
        the rows and ledger entries: if CloudFront refuses (too many invalidations in progress)
        the ledger still lists the posts and the redelivered job forgets them again."""
        erased = []
        for post_id in post_ids:
            tick()
            post = self._erase_post_media(user_id, post_id)
            if post is not False:
                erased.append((post_id, post))
        self._forget_media([pid for pid, _ in erased])
        for post_id, post in erased:
            self.repo.delete_post_rows(post, user_id, post_id, tick=tick)
            done(1)

    def _erase_post_media(self, user_id: str, post_id: str) -> Any:
        """Everything of a post but its rows. False for a ledger entry that is not the user's."""
        from chalicelib.adapters.screening_store import HashIndex, ImageRepository, ModerationRepository

        post = self.repo.post(post_id)
        if post is not None and post.author_id != user_id:  # never: the ledger is the author's
            logger.error("ledger entry for someone else's post", user_id=user_id, post_id=post_id)
            self.repo.delete_post_rows(None, user_id, post_id, ledger_only=True)
            return False
        for image in ImageRepository().list_for_post(post_id):
            h = image.hashes or {}
            if h.get("phash") and h.get("phash_mirror"):
                HashIndex().remove(post_id=post_id, index=int(image.index), phash_hex=h["phash"],
                                   mirror_hex=h["phash_mirror"])
        moderation = ModerationRepository()
        for item in moderation.list_for_post(post_id):
            if item.status == "open":
                moderation.close(item, decision="withdrawn", note="account erased", by="system")
        self.media.delete_post_media(user_id, post_id)
        return post

    def _forget_media(self, post_ids: list[str]) -> None:
        """CloudFront accepts at most 15 wildcard paths in progress per distribution."""
        media_path = urlparse(self.settings.media_base_url).path.rstrip("/")
        paths = [f"{media_path}/p/{pid}/*" for pid in post_ids]
        for start in range(0, len(paths), CDN_WILDCARDS_PER_REQUEST):
            self.cdn.forget(paths[start:start + CDN_WILDCARDS_PER_REQUEST])

    @staticmethod
    def _erase_job(job_id: str) -> int:
        from chalicelib.adapters.social_store import JobRepository
        from chalicelib.services.jobs import index_keys

        repo = JobRepository()
        job = repo.get(job_id)
        if job is None:
            return 0
        repo.delete(job, index_keys(job))
        return 1


def _from_epoch(seconds: int) -> Any:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(seconds, tz=timezone.utc)
