"""Your archive: `POST /v1/me/archive` (202, one a day) and `GET /v1/me/archive`.

The `build_archive` job (upload queue) writes one ZIP to `exports/<user>/<archive_id>.zip` in
the uploads bucket by multipart upload (one 8 MiB part in memory at a time):
`profile.json`, `posts.json`, `collections.json`, `comments.json` (the user's own comments)
and `originals/<post_id>/<n>.<ext>`: the files as uploaded with the location removed
(images/gps.py: no re-encoding, so the artist's own C2PA credentials stay intact). The format
is documented in docs/portability.md and read back by `POST /v1/imports` with `source: "easel"`.
When it is ready a mail says so; `GET` then gives a presigned download URL valid at most
7 days (the object expires with the bucket's `exports/` lifecycle rule). Erasure deletes the
`exports/<user>/` prefix and the records.
"""
from __future__ import annotations

import json
import zipfile
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from ulid import ULID

from chalicelib.adapters.portability_store import ArchiveObjects, PortabilityRepository, TaskQueue
from chalicelib.adapters.tables import iso, utcnow
from chalicelib.adapters.tables_portability import ArchiveItem
from chalicelib.config import Settings
from chalicelib.errors import NotFound, TooManyRequests
from chalicelib.observability import logger
from chalicelib.services.tokens import Principal

BUILD_ARCHIVE = "build_archive"
FORMAT = "easel-export"
VERSION = 1
EXPORT_PREFIX = "exports/"
SKIP_STATUSES = ("deleted", "awaiting_upload")
EXT = {"jpeg": "jpg", "png": "png", "webp": "webp", "gif": "gif", "avif": "avif"}


def _today() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d")


class ArchiveService:
    def __init__(self, repo: PortabilityRepository, objects: ArchiveObjects, queue: TaskQueue, settings: Settings,
                 *, mail: Callable[[], Any] | None = None, source: Any = None) -> None:
        self.repo = repo
        self.objects = objects
        self.queue = queue
        self.settings = settings
        self._mail = mail
        self._source = source

    # -- API ------------------------------------------------------------------------------------------
    def request(self, principal: Principal) -> dict:
        latest = self.repo.latest_archive(principal.user_id)
        today = _today()
        if latest is not None and latest.day == today and latest.state != "failed":
            tomorrow = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
            retry = max(1, int((tomorrow - datetime.now(timezone.utc)).total_seconds()))
            raise TooManyRequests("One archive a day: today's is already requested.", code="archive_daily_limit",
                                  headers={"Retry-After": str(retry)})
        archive_id = str(ULID())
        item = ArchiveItem(*ArchiveItem.key(principal.user_id, archive_id), archive_id=archive_id,
                           user_id=principal.user_id, state="queued", day=today,
                           object_key=f"{EXPORT_PREFIX}{principal.user_id}/{archive_id}.zip", created_at=iso(utcnow()),
                           expires_at=utcnow() + timedelta(days=30))
        self.repo.create_archive(item)
        self.queue.send({"type": BUILD_ARCHIVE, "user_id": principal.user_id, "archive_id": archive_id})
        return self._view(item)

    def status(self, principal: Principal) -> dict:
        item = self.repo.latest_archive(principal.user_id)
        if item is None:
            return {"id": None, "state": "none", "requested_at": None, "ready_at": None, "size": None,
                    "download_url": None, "expires_at": None, "counts": None, "error": None}
        return self._view(item)

    def _view(self, item: ArchiveItem) -> dict:
        view: dict[str, Any] = {"id": item.archive_id, "state": item.state, "requested_at": item.created_at,
                                "ready_at": item.ready_at, "size": int(item.size) if item.size is not None else None,
                                "download_url": None, "expires_at": None, "counts": item.counts,
                                "error": item.error}
        if item.state == "ready" and item.ready_at:
            ready = datetime.fromisoformat(item.ready_at.replace("Z", "+00:00"))
            ends = ready + timedelta(seconds=self.settings.archive_url_ttl_s)
            left = int((ends - datetime.now(timezone.utc)).total_seconds())
            if left > 60:
                view["download_url"] = self.objects.presign_get(item.object_key, left,
                                                                f"easel-archive-{item.day}.zip")
                view["expires_at"] = iso(ends)
            else:
                view["state"] = "expired"
        return view

    # -- the job ----------------------------------------------------------------------------------------
    def handle_job(self, message: dict, *, budget_s: float | None = None) -> str | None:
        if message.get("type") != BUILD_ARCHIVE:
            return None
        user_id, archive_id = message.get("user_id"), message.get("archive_id")
        if not isinstance(user_id, str) or not isinstance(archive_id, str):
            return "skipped:malformed"
        item = self.repo.get_archive(user_id, archive_id)
        if item is None or item.state in ("ready", "failed"):
            return "skipped:" + (item.state if item else "no_archive")
        # queued -> building; a redelivery of a building job (a crash) builds again from scratch.
        self.repo.update_archive(item, from_states=("queued", "building"), state="building")
        try:
            size, counts = self._build(user_id, item)
        except NotFound:
            self.repo.update_archive(item, from_states=("building",), state="failed", error="The account is gone.")
            return "archive_failed"
        self.repo.update_archive(item, from_states=("building",), state="ready", size=size, counts=counts,
                                 ready_at=iso(utcnow()))
        self._tell(user_id, item)
        logger.info("archive ready", user_id=user_id, archive_id=archive_id, bytes=size, **counts)
        return "archive_ready"

    def source(self) -> Any:
        if self._source is None:
            from chalicelib.adapters.portability_store import ExportSource

            self._source = ExportSource()
        return self._source

    def _build(self, user_id: str, item: ArchiveItem) -> tuple[int, dict]:
        from chalicelib.images import sniff_format
        from chalicelib.images.gps import strip_gps
        from chalicelib.services.posts import upload_key

        src = self.source()
        user = src.user(user_id)
        if user is None:
            raise NotFound("No such account.")
        writer = self.objects.writer(item.object_key)
        counts = {"posts": 0, "originals": 0, "collections": 0, "comments": 0}
        try:
            with zipfile.ZipFile(writer, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
                posts_out = []
                for post in src.posts(user_id):
                    if post.status in SKIP_STATUSES or post.purpose:
                        continue
                    images = []
                    for index in range(max(1, len(post.images or []) or 1)):
                        data = src.original(upload_key(user_id, post.post_id, index), post.status,
                                            self.settings.max_upload_bytes)
                        if data is None:
                            continue
                        fmt = sniff_format(data) or "bin"
                        path = f"originals/{post.post_id}/{index}.{EXT.get(fmt, 'bin')}"
                        zf.writestr(path, strip_gps(data))
                        images.append({"index": index, "path": path, "content_type": f"image/{fmt}"
                                       if fmt in EXT else "application/octet-stream", "bytes": len(data)})
                        counts["originals"] += 1
                    posts_out.append({"id": post.post_id, "title": post.title, "description": post.description,
                                      "tags": list(post.tags or []), "labels": list(post.labels or []),
                                      "status": post.status, "created_at": post.created_at,
                                      "first_posted_at": post.first_posted_at or post.created_at,
                                      "images": images})
                    counts["posts"] += 1
                posts_out.sort(key=lambda p: (p["first_posted_at"] or "", p["id"]))
                collections = [{"id": c.collection_id, "title": c.title, "description": c.description,
                                "post_ids": list(c.post_ids or []), "created_at": c.created_at}
                               for c in src.collections(user_id)]
                counts["collections"] = len(collections)
                comments = [{"id": c.comment_id, "post_id": c.post_id, "text": c.text, "created_at": c.created_at}
                            for c in src.comments(user_id)]
                counts["comments"] = len(comments)
                profile = {"id": user.user_id, "handle": user.handle, "display_name": user.display_name,
                           "bio": user.bio, "links": user.links or [], "created_at": user.created_at,
                           "email": user.email}
                meta = {"format": FORMAT, "version": VERSION, "exported_at": iso(utcnow()), "handle": user.handle}
                zf.writestr("profile.json", _dump({**meta, "profile": profile}))
                zf.writestr("posts.json", _dump({**meta, "posts": posts_out}))
                zf.writestr("collections.json", _dump({**meta, "collections": collections}))
                zf.writestr("comments.json", _dump({**meta, "comments": comments}))
            size = writer.complete()
        except Exception:
            writer.abort()
            raise
        return size, counts

    def _tell(self, user_id: str, item: ArchiveItem) -> None:
        try:
            user = self.source().user(user_id)
            if user is None or self._mail is None:
                return
            days = self.settings.archive_url_ttl_s // 86400
            self._mail().mailer.send(to=user.email, subject="Your Easel archive is ready", body=(
                f"Hello {user.handle},\n\nthe archive you asked for is ready: your posts with their original files, "
                f"your collections and your comments.\n\nDownload it from your settings (or GET /v1/me/archive) "
                f"within {days} days.\n"))
        except Exception:  # noqa: BLE001 - the archive is ready either way; the page shows it
            logger.warning("archive mail failed", user_id=user_id, exc_info=True)


def _dump(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=1)
