"""Portfolio import: an Instagram export (or Easel's own) becomes Easel posts, each through the
full upload pipeline. docs/portability.md has the formats, limits and what is kept.

API (O(1) per request): `POST /v1/imports` makes the import record and a presigned POST for
the ZIP at `uploads/<user>/imports/<import_id>.zip` (up to `max_import_bytes`, 5 GB).
`GET /v1/imports/{id}` shows the state, counts and entries (paginated); `GET /v1/imports`.

Worker (typed jobs on the upload queue, dispatched by `app.handle_uploads`):
1. The ZIP's S3 notification -> `uploading -> reading`, then `import_read`: the central
   directory is read by ranged GETs (adapters/portability_store.py), checked (entry count,
   expanded size, compression ratio, unsafe names, symlinks, duplicates), the posts files are
   parsed (each capped), one entry per future post is written, `reading -> importing`, and one
   `import_entry` task per pending entry is queued.
2. `import_entry`: the budget guard (saver/survival: the entry waits and the task comes back in
   15 minutes), the exactly-once key together with one unit of the day's allowance, then the
   post and its image items, then each image copied from the ZIP to its upload key: from there
   it is an ordinary upload (S3 -> SQS -> the screening cascade).
3. The upload handler's decision reports back (`record_outcome`): the entry's final status and
   the import's counters in one transaction. The last one queues `import_finish`: the
   collections (long carousels, an Easel export's collections), one feed entry per follower
   for the whole import, the ZIP deleted, `importing -> done`.

Exactly once: the key is `(user, identity)`, identity = the source plus, for Instagram, a digest
of the post's media URIs and creation timestamp, for an Easel export the original post id
(domain/portability.py). Importing the same archive again finds every key taken: nothing is
added and each entry says which post it already is. A crash anywhere is resumed by the
redelivered task: every step is conditional or idempotent, the post id lives in the key.
"""
from __future__ import annotations

import re
import zipfile
import zlib
from datetime import datetime, timezone
from typing import Any, Callable

from ulid import ULID

from chalicelib.adapters.portability_store import ArchiveObjects, PortabilityRepository, TaskQueue
from chalicelib.adapters.tables import iso, utcnow
from chalicelib.adapters.tables_portability import ImportEntryItem, ImportItem
from chalicelib.config import Settings
from chalicelib.domain import portability as P
from chalicelib.domain import validation as v
from chalicelib.domain.cursor import decode_cursor, encode_cursor
from chalicelib.errors import NotFound, ValidationError
from chalicelib.observability import logger
from chalicelib.services.tokens import Principal

IMPORT_READ, IMPORT_ENTRY, IMPORT_FINISH = "import_read", "import_entry", "import_finish"
STATES = ("uploading", "reading", "importing", "done", "failed")
OUTCOMES = ("published", "held_for_review", "rejected", "skipped", "failed")
OPEN = ("pending", "waiting", "importing")
WAIT_S = 900  # SQS's longest delay: a waiting entry looks again this often
UPLOAD_TTL_S = 3600  # an archive of several GB needs time to start uploading
ARCHIVE_KEY = re.compile(r"^uploads/(?P<user>[^/]{1,40})/imports/(?P<id>[0-9A-Z]{26})\.zip$")
EXT_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp",
             ".gif": "image/gif", ".avif": "image/avif"}
REASON_TEXT = {
    "ai_generated": "declared AI-generated in its own metadata",
    "known_ai_image": "matches an image on the known-AI list",
    "ai_detected": "the AI detector scored it as generated",
}


def archive_key(user_id: str, import_id: str) -> str:
    return f"uploads/{user_id}/imports/{import_id}.zip"


def parse_archive_key(key: str) -> tuple[str, str] | None:
    m = ARCHIVE_KEY.match(key)
    return (m.group("user"), m.group("id")) if m else None


def post_id_at(timestamp: float) -> str:
    """A ULID carrying the original date: portfolios list newest first by post id, so imported
    works take their place in the artist's history instead of all landing 'today'."""
    if timestamp <= 0:
        return str(ULID())
    return str(ULID.from_timestamp(timestamp))


def _today() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d")


class ImportService:
    def __init__(self, repo: PortabilityRepository, objects: ArchiveObjects, queue: TaskQueue, settings: Settings,
                 cursor_key: Callable[[], bytes], *, posts: Any = None, images: Any = None, users: Any = None,
                 level: Callable[[], str] | None = None) -> None:
        self.repo = repo
        self.objects = objects
        self.queue = queue
        self.settings = settings
        self.cursor_key = cursor_key
        self._posts, self._images, self._users = posts, images, users
        self._level = level
        self._zip: tuple[str, zipfile.ZipFile] | None = None

    # -- lazily built collaborators (the worker needs them, the API mostly not) -------------------
    def posts(self) -> Any:
        if self._posts is None:
            from chalicelib.adapters.store import PostRepository

            self._posts = PostRepository()
        return self._posts

    def images(self) -> Any:
        if self._images is None:
            from chalicelib.adapters.screening_store import ImageRepository

            self._images = ImageRepository()
        return self._images

    def users(self) -> Any:
        if self._users is None:
            from chalicelib.adapters.store import UserRepository

            self._users = UserRepository()
        return self._users

    def level(self) -> str:
        if self._level is None:
            from chalicelib.services.guard import current_level

            self._level = current_level
        return self._level()

    # -- API ----------------------------------------------------------------------------------------
    def create(self, principal: Principal, body: Any) -> dict:
        body = v.require_object(body)
        source = body.get("source")
        if source not in P.SOURCES:
            raise ValidationError("'source' must be 'instagram' or 'easel'.", field="source")
        length = body.get("content_length")
        if not isinstance(length, int) or isinstance(length, bool) or length < 22:
            raise ValidationError("'content_length' must be the archive's size in bytes.", field="content_length")
        if length > self.settings.max_import_bytes:
            raise ValidationError(f"The archive exceeds {self.settings.max_import_bytes} bytes; split the export.",
                                  field="content_length", code="file_too_large")
        import_id = str(ULID())
        key = archive_key(principal.user_id, import_id)
        item = ImportItem(*ImportItem.key(principal.user_id, import_id), import_id=import_id,
                          user_id=principal.user_id, source=source, state="uploading", content_length=length,
                          object_key=key, created_at=iso(utcnow()))
        self.repo.create_import(item)
        upload = self.objects.presign_post(key, self.settings.max_import_bytes, UPLOAD_TTL_S)
        return {"import": self._view(item), "upload": {"url": upload["url"], "fields": upload["fields"],
                                                      "expires_in": UPLOAD_TTL_S}}

    def _own(self, principal: Principal, import_id: str) -> ImportItem:
        item = self.repo.get_import(principal.user_id, import_id) if 0 < len(import_id) <= 40 else None
        if item is None:
            raise NotFound("No such import.")
        return item

    def get(self, principal: Principal, import_id: str, *, limit_raw: str | None, cursor: str | None) -> dict:
        item = self._own(principal, import_id)
        if item.state == "uploading" and self.objects.size(item.object_key) is not None:
            self.archive_arrived(item.object_key)  # the notification is late or lost: start now
            item = self._own(principal, import_id)
        limit = v.page_limit(limit_raw, self.settings.page_limit_default, self.settings.page_limit_max)
        scope = f"import:{import_id}"
        position = decode_cursor(self.cursor_key(), scope, cursor)
        entries, last = self.repo.entries(principal.user_id, import_id, limit=limit,
                                          after=position.get("after") if position else None)
        view = self._view(item)
        view["items"] = [self._entry_view(e) for e in entries]
        view["next_cursor"] = encode_cursor(self.cursor_key(), scope, {"after": last}) if last else None
        return view

    def list(self, principal: Principal, *, limit_raw: str | None, cursor: str | None) -> dict:
        limit = v.page_limit(limit_raw, self.settings.page_limit_default, self.settings.page_limit_max)
        scope = f"imports:{principal.user_id}"
        position = decode_cursor(self.cursor_key(), scope, cursor)
        items, last = self.repo.list_imports(principal.user_id, limit=limit,
                                             after=position.get("after") if position else None)
        return {"items": [self._view(i) for i in items],
                "next_cursor": encode_cursor(self.cursor_key(), scope, {"after": last}) if last else None}

    @staticmethod
    def _view(item: ImportItem) -> dict:
        counts = {k: int(getattr(item, f"n_{k}") or 0) for k in OUTCOMES}
        total = int(item.total or 0)
        return {"id": item.import_id, "source": item.source, "state": item.state, "total": total,
                "counts": {**counts, "pending": max(0, total - int(item.finished or 0))},
                "error": item.error, "notes": list(item.notes or [])[:50], "created_at": item.created_at,
                "updated_at": item.updated_at, "finished_at": item.finished_at}

    @staticmethod
    def _entry_view(entry: ImportEntryItem) -> dict:
        post = entry.post or {}
        return {"seq": int(entry.seq), "path": entry.path, "media": list(post.get("media", [])),
                "title": post.get("title"), "first_posted_at": post.get("first_posted_at"),
                "status": entry.status, "reason": entry.reason, "post_id": entry.post_id}

    # -- events ---------------------------------------------------------------------------------------
    def archive_arrived(self, key: str) -> str:
        parsed = parse_archive_key(key)
        if parsed is None:
            return "skipped:bad_key"
        user_id, import_id = parsed
        item = self.repo.get_import(user_id, import_id)
        if item is None:  # an erased account's late upload, or a forged key
            self.objects.delete(key)
            return "skipped:no_import"
        if item.state == "uploading":
            self.repo.transition(item, from_states=("uploading",), to="reading")
        if item.state in ("reading", "importing"):
            self.queue.send({"type": IMPORT_READ, "user_id": user_id, "import_id": import_id})
            return "import_reading"
        return f"skipped:{item.state}"

    def handle_job(self, message: dict, *, budget_s: float | None = None) -> str | None:
        kind = message.get("type")
        if kind not in (IMPORT_READ, IMPORT_ENTRY, IMPORT_FINISH):
            return None
        user_id, import_id = message.get("user_id"), message.get("import_id")
        if not isinstance(user_id, str) or not isinstance(import_id, str) or len(import_id) > 40:
            return "skipped:malformed"
        if kind == IMPORT_READ:
            return self.read(user_id, import_id)
        if kind == IMPORT_FINISH:
            return self.finish(user_id, import_id)
        seq = message.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            return "skipped:malformed"
        return self.import_entry(user_id, import_id, seq)

    # -- 1. reading the archive ---------------------------------------------------------------------------
    def _fail(self, item: ImportItem, code: str, message: str) -> str:
        self.repo.transition(item, from_states=("uploading", "reading"), to="failed",
                             error={"code": code, "message": message}, finished_at=iso(utcnow()))
        self.objects.delete(item.object_key)
        logger.info("import refused", import_id=item.import_id, code=code)
        return f"import_failed:{code}"

    def _open(self, item: ImportItem, size: int) -> zipfile.ZipFile:
        if self._zip is not None and self._zip[0] == item.object_key:
            return self._zip[1]
        zf, _raw = self.objects.open_zip(item.object_key, size)
        self._zip = (item.object_key, zf)
        return zf

    def _member(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
        with zf.open(info) as handle:
            data = handle.read(cap + 1)
        if len(data) > cap:
            raise P.ArchiveRefused("entry_too_large", f"'{info.filename[:200]}' is larger than {cap} bytes.")
        return data

    def read(self, user_id: str, import_id: str) -> str:
        item = self.repo.get_import(user_id, import_id)
        if item is None or item.state in ("done", "failed", "uploading"):
            return f"skipped:{item.state if item else 'no_import'}"
        if item.state == "importing":  # a redelivery after the entries were written
            return f"import_queued:{self._enqueue_open(item)}"
        s = self.settings
        size = self.objects.size(item.object_key)
        if size is None:
            return self._fail(item, "archive_missing", "The uploaded archive could not be found.")
        if size > s.max_import_bytes:
            return self._fail(item, "archive_too_large", f"The archive exceeds {s.max_import_bytes} bytes.")
        try:
            zf = self._open(item, size)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
            head = self.objects.head_bytes(item.object_key)
            if head.startswith(b"PK\x03\x04"):
                return self._fail(item, "truncated_zip", "The ZIP is incomplete (its directory at the end is "
                                                         "missing): upload the whole file again.")
            return self._fail(item, "not_a_zip", "The file is not a ZIP archive.")
        try:
            index = P.check_members(zf.infolist(), max_entries=s.import_max_entries,
                                    max_total=s.import_max_total_bytes, max_ratio=s.import_max_ratio,
                                    max_member=s.max_upload_bytes)
            planned, collections = self._plan(item, zf, index)
        except P.ArchiveRefused as exc:
            return self._fail(item, exc.code, exc.message)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            return self._fail(item, "corrupt_zip", f"The archive could not be read ({type(exc).__name__}).")
        entries = []
        for seq, post in enumerate(planned):
            entries.append(ImportEntryItem(
                *ImportEntryItem.key(user_id, import_id, seq), import_id=import_id, seq=seq, path=post.path,
                identity=post.identity, status=post.status, reason=post.reason,
                post={"title": post.title, "description": post.description, "tags": post.tags,
                      "labels": post.labels, "first_posted_at": post.first_posted_at, "timestamp": post.timestamp,
                      "media": post.media, "notes": post.notes[:20]}))
        self.repo.put_entries(entries)
        counts = {k: sum(1 for p in planned if p.status == k) for k in ("skipped", "failed")}
        finished = sum(counts.values())
        fields: dict[str, Any] = {"total": len(planned), "finished": finished, "n_skipped": counts["skipped"],
                                  "n_failed": counts["failed"], "notes": index.notes[:100],
                                  "collections": [{"id": str(ULID()), **c} for c in collections]}
        if not self.repo.transition(item, from_states=("reading",), to="importing", **fields):
            return "skipped:read_concurrently"
        logger.info("import read", import_id=import_id, posts=len(planned), finished=finished)
        if finished >= len(planned):
            self.queue.send({"type": IMPORT_FINISH, "user_id": user_id, "import_id": import_id})
            return "import_nothing_to_do"
        return f"import_queued:{self._enqueue_open(item)}"

    def _plan(self, item: ImportItem, zf: zipfile.ZipFile, index: P.MemberIndex) -> tuple[list, list[dict]]:
        cap = self.settings.import_max_json_bytes
        names = index.names
        if item.source == "instagram":
            root, files = P.instagram_posts_files(list(names))
            docs = {name: P.load_json(self._member(zf, names[name], cap), name) for name in files}
            planned = P.plan_instagram(docs, root, names)
            collections_src: list[dict] = []
        else:
            roots = sorted({n[:-len("posts.json")] for n in names if n.endswith("posts.json")
                            and n.count("/") <= 1 and (n == "posts.json" or n.endswith("/posts.json"))})
            if not roots:
                raise P.ArchiveRefused("no_posts_file", "No posts.json found: expected an Easel export.")
            root = roots[0]
            planned = P.plan_easel(P.load_json(self._member(zf, names[root + "posts.json"], cap), "posts.json"),
                                   names, root)
            collections_src = []
            if root + "collections.json" in names:
                doc = P.load_json(self._member(zf, names[root + "collections.json"], cap), "collections.json")
                collections_src = doc.get("collections", []) if isinstance(doc, dict) else []
        # Images over the upload limit are left out here, before anything is read.
        for post in planned:
            kept = []
            for member in post.media:
                if names[member].file_size > self.settings.max_upload_bytes:
                    post.notes.append(f"'{member[:200]}' skipped: larger than {self.settings.max_upload_bytes} bytes")
                else:
                    kept.append(member)
            if post.media and not kept and post.status == "pending":
                post.status, post.reason = "failed", "; ".join(post.notes)
            post.media = kept
        planned, collections = P.split_long(planned)
        out = [{"title": c["title"], "description": c["description"], "seqs": c["positions"]} for c in collections]
        by_source = {p.source_id: seq for seq, p in enumerate(planned) if p.source_id}
        for c in collections_src if isinstance(collections_src, list) else []:
            if not isinstance(c, dict) or not isinstance(c.get("title"), str):
                continue
            seqs = [by_source[pid] for pid in c.get("post_ids") or [] if isinstance(pid, str) and pid in by_source]
            out.append({"title": c["title"][:100] or "Untitled",
                        "description": c.get("description") if isinstance(c.get("description"), str) else None,
                        "seqs": seqs})
        return planned, out

    def _enqueue_open(self, item: ImportItem) -> int:
        entries, _ = self.repo.entries(item.user_id, item.import_id)
        messages = [{"type": IMPORT_ENTRY, "user_id": item.user_id, "import_id": item.import_id, "seq": int(e.seq)}
                    for e in entries if e.status in ("pending", "importing")]
        self.queue.send_many(messages)
        return len(messages)

    # -- 2. one entry ---------------------------------------------------------------------------------------
    def import_entry(self, user_id: str, import_id: str, seq: int) -> str:
        item = self.repo.get_import(user_id, import_id)
        if item is None or item.state != "importing":
            return "skipped:not_importing"
        entry = self.repo.entry(user_id, import_id, seq)
        if entry is None or entry.status not in OPEN:
            return "skipped:entry_final"
        message = {"type": IMPORT_ENTRY, "user_id": user_id, "import_id": import_id, "seq": seq}
        level = self.level()
        if level != "normal" and not entry.post_id:
            self.repo.mark_entry(entry, status="waiting", reason=f"Waiting: the budget guard is in {level}; "
                                 "the import continues when it allows.", from_states=OPEN)
            self.queue.send(message, WAIT_S)
            return "import_waiting:guard"
        post_id = entry.post_id
        if not post_id:
            post_id = post_id_at(float((entry.post or {}).get("timestamp") or 0))
            claim = self.repo.claim_identity(user_id, entry.identity, import_id=import_id, seq=seq, post_id=post_id,
                                             day=_today(), allowance=self.settings.import_works_per_day)
            if claim == "allowance":
                self.repo.mark_entry(entry, status="waiting", reason=(
                    f"Waiting: today's import allowance ({self.settings.import_works_per_day} works) is used; "
                    "the import continues tomorrow."), from_states=OPEN)
                self.queue.send(message, WAIT_S)
                return "import_waiting:allowance"
            if claim == "taken":
                owner = self.repo.identity_owner(user_id, entry.identity)
                if owner is None or owner.import_id != import_id or int(owner.seq) != seq:
                    where = f" (post {owner.post_id})" if owner else ""
                    self._finish_entry(user_id, import_id, seq, "skipped", f"Already imported{where}.",
                                       owner.post_id if owner else None)
                    return "import_skipped:already_imported"
                post_id = owner.post_id  # our own claim: a crash came between it and the next step
            self.repo.mark_entry(entry, status="importing", post_id=post_id, reason="", from_states=OPEN)
        post = self.posts().get(post_id, consistent=True)
        if post is not None and post.status in ("published", "held_for_review", "rejected"):
            self.record_outcome(post, post.status, list((post.screening or {}).get("reasons", [])))
            return "import_resumed_outcome"
        if post is None:
            self._create_post(user_id, import_id, seq, post_id, entry)
        self._copy_images(user_id, import_id, post_id, entry)
        return "import_entry_uploaded"

    def _create_post(self, user_id: str, import_id: str, seq: int, post_id: str, entry: ImportEntryItem) -> None:
        from chalicelib.adapters.erasure_store import ErasureRepository
        from chalicelib.adapters.tables import PostItem
        from chalicelib.adapters.tables_screening import PostImageItem

        data = entry.post or {}
        user = self.users().get(user_id)
        if user is None:
            raise NotFound("The account is gone.")
        item = self.repo.get_import(user_id, import_id)
        size = self.objects.size(item.object_key) if item else None
        zf = self._open(item, size or 0) if item else None
        infos = [zf.getinfo(m) for m in data.get("media", [])] if zf else []
        now = iso(utcnow())
        specs = [(EXT_TYPES.get(_ext(i.filename), "image/jpeg"), max(1, int(i.file_size))) for i in infos]
        post = PostItem(*PostItem.key(post_id), post_id=post_id, author_id=user_id, author_handle=user.handle,
                        title=data.get("title") or "Untitled", description=data.get("description") or None,
                        tags=list(data.get("tags") or []), status="awaiting_upload", content_type=specs[0][0],
                        content_length=specs[0][1], images=[], labels=sorted(set(data.get("labels") or [])),
                        created_at=now, import_ref=f"{import_id}#{seq}",
                        first_posted_at=data.get("first_posted_at"))
        ErasureRepository().record_post(user_id, post_id, now)
        self.images().create_all([
            PostImageItem(*PostImageItem.key(post_id, i), post_id=post_id, index=i, content_type=ct, content_length=n,
                          status="awaiting_upload", protected=False, created_at=now)
            for i, (ct, n) in enumerate(specs)])
        try:
            self.posts().create(post)
        except Exception as exc:  # noqa: BLE001 - created by an earlier delivery: carry on
            if getattr(exc, "cause_response_code", "") != "ConditionalCheckFailedException":
                raise

    def _copy_images(self, user_id: str, import_id: str, post_id: str, entry: ImportEntryItem) -> None:
        """Each image from the ZIP to its upload key, one in memory at a time; from there the
        S3 notification hands it to the upload handler like any upload."""
        from chalicelib.services.posts import upload_key

        item = self.repo.get_import(user_id, import_id)
        assert item is not None
        size = self.objects.size(item.object_key)
        if size is None:
            self._finish_entry(user_id, import_id, int(entry.seq), "failed", "The archive is gone.", post_id)
            return
        zf = self._open(item, size)
        for index, member in enumerate((entry.post or {}).get("media", [])):
            info = zf.getinfo(member)
            try:
                data = self._member(zf, info, self.settings.max_upload_bytes)
            except (P.ArchiveRefused, zipfile.BadZipFile, zlib.error, EOFError) as exc:
                # A damaged member: the upload handler refuses these bytes with its own reason.
                logger.warning("import member unreadable", import_id=import_id, member=member, error=str(exc))
                data = b""
            self.objects.put(upload_key(user_id, post_id, index), data or b"\0",
                             EXT_TYPES.get(_ext(member), "application/octet-stream"))

    # -- 3. outcomes ------------------------------------------------------------------------------------------
    def record_outcome(self, post: Any, status: str, reasons: list[str]) -> bool:
        """Called by the upload handler after its decision on an imported post (and again on a
        redelivery: counted once, by the entry's conditional transition)."""
        ref = getattr(post, "import_ref", None)
        if not ref or "#" not in ref or status not in OUTCOMES:
            return False
        import_id, _, seq_text = ref.partition("#")
        if not seq_text.isdigit():
            return False
        entry = self.repo.entry(post.author_id, import_id, int(seq_text))
        notes = list(((entry.post if entry else None) or {}).get("notes", []))
        if status == "published":
            reason = "; ".join(notes) or None
        else:
            said = [REASON_TEXT.get(r, r.replace("_", " ")) for r in reasons] or ["screening"]
            verb = "Held for review" if status == "held_for_review" else "Refused"
            reason = f"{verb}: {', '.join(said)}." + (" " + "; ".join(notes) if notes else "")
        if not self._finish_entry(post.author_id, import_id, int(seq_text), status, reason, post.post_id):
            return False
        return True

    def _finish_entry(self, user_id: str, import_id: str, seq: int, status: str, reason: str | None,
                      post_id: str | None) -> bool:
        if not self.repo.finish_entry(user_id, import_id, seq, status=status, reason=reason, post_id=post_id,
                                      from_states=OPEN):
            return False
        item = self.repo.get_import(user_id, import_id)
        if item is not None and item.state == "importing" and int(item.finished or 0) >= int(item.total or 0):
            self.queue.send({"type": IMPORT_FINISH, "user_id": user_id, "import_id": import_id})
        return True

    def finish(self, user_id: str, import_id: str) -> str:
        """Collections, then the one feed entry, then done. Idempotent up to the transition."""
        item = self.repo.get_import(user_id, import_id)
        if item is None or item.state != "importing" or int(item.finished or 0) < int(item.total or 0):
            return "skipped:not_finished"
        entries, _ = self.repo.entries(user_id, import_id)
        published = {int(e.seq): e.post_id for e in entries if e.status == "published" and e.post_id}
        made = self._make_collections(user_id, item, published)
        newest = max(published.values(), default=None)  # post ids carry the original dates
        if not self.repo.transition(item, from_states=("importing",), to="done", finished_at=iso(utcnow()),
                                    newest_post_id=newest):
            return "skipped:finished_concurrently"
        self.objects.delete(item.object_key)
        reached = self._announce(user_id, newest) if newest else 0
        logger.info("import done", import_id=import_id, published=len(published), collections=made,
                    feed_entries=reached)
        return "import_done"

    def _make_collections(self, user_id: str, item: ImportItem, published: dict[int, str]) -> int:
        from chalicelib.adapters.community_store import CollectionRepository
        from chalicelib.adapters.tables_community import CollectionItem

        made = 0
        repo = CollectionRepository()
        for c in item.collections or []:
            ids = [published[s] for s in c.get("seqs", []) if s in published]
            if not ids:
                continue
            now = iso(utcnow())
            col = CollectionItem(*CollectionItem.key(c["id"]), collection_id=c["id"], owner_id=user_id,
                                 title=c.get("title") or "Untitled", description=c.get("description"),
                                 post_ids=ids[:200], version=0, created_at=now, updated_at=now)
            try:
                repo.create(col)
                made += 1
            except Exception as exc:  # noqa: BLE001 - made by an earlier delivery
                if getattr(exc, "cause_response_code", "") != "ConditionalCheckFailedException":
                    raise
        return made

    def _announce(self, user_id: str, post_id: str) -> int:
        """Followers' home feeds get ONE entry for the whole import: its newest work, dated now
        (an entry keyed like a repost's, by a fresh ULID, pointing at the post). Accounts merged
        on read (large accounts) get none: their portfolio is read in place."""
        from chalicelib.adapters.store import GraphRepository

        author = self.users().get(user_id)
        if author is None or author.large_account:
            return 0
        from chalicelib.adapters.portability_store import announce_to_feeds

        return announce_to_feeds(GraphRepository().iter_follower_ids(user_id), entry_id=str(ULID()),
                                 post_id=post_id, author_id=user_id, ttl_days=self.settings.feed_ttl_days)


def _ext(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot >= 0 else ""
