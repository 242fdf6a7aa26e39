"""Reading portfolio archives (pure: names and JSON in, planned posts out).

Instagram's JSON export has put its posts file at `content/posts_1.json`,
`your_instagram_activity/content/posts_1.json` and `your_instagram_activity/media/posts_1.json`
(more `posts_N.json` for large accounts), possibly under one top-level folder. Each entry has
`media` (`uri`, `creation_timestamp`, `title`) and, for a carousel, a top-level `title` and
`creation_timestamp`. Instagram writes text as UTF-8 bytes escaped one by one
(`\\u00c3\\u00a9` for "é"): `repair_text` turns it back.

Easel's own export (docs/portability.md): `posts.json`, `collections.json`, `profile.json`.

The identity of an archive post (the exactly-once key) is its source plus, for Instagram, a
digest of its media URIs and timestamp (stable across re-exports of the same account); for an
Easel export, the original post id.
"""
from __future__ import annotations

import hashlib
import json
import posixpath
import re
import stat
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from chalicelib.domain import validation as v

SOURCES = ("instagram", "easel")
MAX_IMAGES_PER_POST = 10
POSTS_FILE = re.compile(r"^(?P<root>(?:[^/]+/)??)(?:your_instagram_activity/(?:content|media)|content)/posts_(?P<n>\d+)\.json$")
VIDEO_EXTENSIONS = (".mp4", ".mov", ".m4v", ".webm", ".avi", ".mkv", ".3gp")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".avif", ".heic", ".heif")
HASHTAG = re.compile(r"#(\w[\w-]*)", re.UNICODE)


class ArchiveRefused(Exception):
    """The archive as a whole cannot be read: a stable code and a plain message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message


@dataclass
class PlannedPost:
    path: str  # where in the archive it was declared (file#index)
    identity: str
    title: str
    description: str | None
    tags: list[str]
    first_posted_at: str | None
    timestamp: float
    media: list[str]  # archive member names, in order
    labels: list[str] = field(default_factory=list)
    status: str = "pending"  # or skipped / failed, decided while reading
    reason: str | None = None
    notes: list[str] = field(default_factory=list)  # media left out of a post that is imported
    source_id: str | None = None  # Easel export: the original post id (collections refer to it)


# -- text -----------------------------------------------------------------------------------------
def repair_text(text: Any) -> str:
    """Instagram's mojibake: UTF-8 bytes written as one code point each. Text that is not
    mojibake (real Latin-1 letters, already-correct Unicode) is returned unchanged."""
    if not isinstance(text, str):
        return ""
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def title_and_description(caption: str) -> tuple[str, str | None]:
    caption = caption.replace("\r\n", "\n").strip()
    first = next((line.strip() for line in caption.split("\n") if line.strip()), "")
    if len(first) > v.MAX_TITLE:
        first = first[:v.MAX_TITLE - 1].rstrip() + "…"
    description = caption[:v.MAX_DESCRIPTION] if caption else None
    return first or "Untitled", description


def hashtags(caption: str) -> list[str]:
    out: list[str] = []
    for raw in HASHTAG.findall(caption):
        tag = v.normalise_tag(raw)
        if tag and len(tag) <= v.MAX_TAG_LENGTH and tag not in out:
            out.append(tag)
        if len(out) == v.MAX_TAGS:
            break
    return out


def iso_from_epoch(ts: Any) -> str | None:
    if isinstance(ts, bool) or not isinstance(ts, (int, float)) or not 0 < ts < 4102444800:  # before 2100
        return None
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def epoch_from_iso(stamp: Any) -> float | None:
    if not isinstance(stamp, str):
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


# -- archive members ----------------------------------------------------------------------------
def unsafe_name(name: str) -> str | None:
    """Why a member name (or a URI in the JSON) must never be used, or None."""
    if not name or len(name) > 1024 or "\x00" in name:
        return "an empty or invalid name"
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "an absolute path"
    if "\\" in name:
        return "a backslash in the path"
    parts = name.split("/")
    if ".." in parts:
        return "a '..' path component"
    return None


def is_symlink(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


@dataclass
class MemberIndex:
    """What the central directory says, checked before anything is decompressed."""
    names: dict[str, zipfile.ZipInfo]
    notes: list[str]


def check_members(infos: list[zipfile.ZipInfo], *, max_entries: int, max_total: int, max_ratio: int,
                  max_member: int) -> MemberIndex:
    if len(infos) > max_entries:
        raise ArchiveRefused("too_many_entries", f"The archive has {len(infos)} entries; at most {max_entries}.")
    total = sum(i.file_size for i in infos)
    if total > max_total:
        raise ArchiveRefused("archive_too_large", f"The archive would expand to {total} bytes; at most {max_total}.")
    names: dict[str, zipfile.ZipInfo] = {}
    notes: list[str] = []
    duplicates: set[str] = set()
    for info in infos:
        if info.is_dir():
            continue
        if info.file_size > 1024 * 1024 and info.file_size > max_ratio * max(1, info.compress_size):
            raise ArchiveRefused("zip_bomb", f"'{info.filename[:200]}' expands {info.file_size // max(1, info.compress_size)}"
                                             f" times; at most {max_ratio}.")
        why = unsafe_name(info.filename)
        if why:
            notes.append(f"ignored '{info.filename[:200]}': {why}")
            continue
        if is_symlink(info):
            notes.append(f"ignored '{info.filename[:200]}': a symbolic link")
            continue
        if info.filename in names:
            duplicates.add(info.filename)
        names[info.filename] = info
    if duplicates:
        first = sorted(duplicates)[0]
        raise ArchiveRefused("duplicate_entries", f"The archive holds '{first[:200]}' more than once "
                                                  f"({len(duplicates)} duplicated names): which one is meant?")
    del max_member
    return MemberIndex(names, notes)


def instagram_posts_files(names: list[str]) -> tuple[str, list[str]]:
    found: dict[str, list[tuple[int, str]]] = {}
    for name in names:
        m = POSTS_FILE.match(name)
        if m:
            found.setdefault(m.group("root"), []).append((int(m.group("n")), name))
    if not found:
        raise ArchiveRefused("no_posts_file", "No posts file found: expected content/posts_1.json, "
                                              "your_instagram_activity/content/posts_1.json or "
                                              "your_instagram_activity/media/posts_1.json (Instagram's JSON export).")
    root = sorted(found)[0]
    return root, [name for _, name in sorted(found[root])]


def load_json(data: bytes, name: str) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:
        where = f" (line {exc.lineno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise ArchiveRefused("malformed_json", f"'{name[:200]}' is not valid JSON{where}.") from None


def _identity(source: str, material: Any) -> str:
    digest = hashlib.sha256(json.dumps(material, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return f"{source}#{digest[:40]}"


def _is_video(uri: str, media: dict) -> bool:
    meta = media.get("media_metadata")
    return uri.lower().endswith(VIDEO_EXTENSIONS) or (isinstance(meta, dict) and "video_metadata" in meta)


def plan_instagram(files: dict[str, Any], root: str, members: dict[str, zipfile.ZipInfo]) -> list[PlannedPost]:
    """Every post of the posts files, oldest first (Instagram lists newest first)."""
    planned: list[PlannedPost] = []
    seen: dict[str, str] = {}
    for name, doc in files.items():
        entries = doc
        if isinstance(doc, dict):  # some exports wrap the list in an object
            entries = next((val for val in doc.values() if isinstance(val, list)), [])
        if not isinstance(entries, list):
            raise ArchiveRefused("malformed_json", f"'{name[:200]}' does not hold a list of posts.")
        for i, entry in enumerate(entries):
            path = f"{name}#{i}"
            media = entry.get("media") if isinstance(entry, dict) else None
            if not isinstance(media, list) or not media or not all(isinstance(m, dict) for m in media):
                planned.append(PlannedPost(path, f"invalid#{path}", "Untitled", None, [], None, 0.0, [],
                                           status="failed", reason="The entry has no 'media' list."))
                continue
            caption = repair_text(entry.get("title")) or repair_text(media[0].get("title"))
            stamps = [m.get("creation_timestamp") for m in media] + [entry.get("creation_timestamp")]
            ts = entry.get("creation_timestamp") or next((s for s in stamps if iso_from_epoch(s)), None)
            first_posted = iso_from_epoch(ts)
            uris = [m.get("uri") if isinstance(m.get("uri"), str) else "" for m in media]
            title, description = title_and_description(caption)
            post = PlannedPost(path, _identity("instagram", [uris, ts]), title, description, hashtags(caption),
                               first_posted, float(ts) if first_posted else 0.0, [])
            for uri, m in zip(uris, media):
                why = unsafe_name(uri)
                if why:
                    post.notes.append(f"'{uri[:200]}' refused: {why}")
                    continue
                if _is_video(uri, m):
                    post.notes.append(f"'{uri[:200]}' skipped: videos and reels are not imported (images only)")
                    continue
                member = posixpath.normpath(root + uri) if root else uri
                if member not in members:
                    post.notes.append(f"'{uri[:200]}' is missing from the archive")
                    continue
                post.media.append(member)
            if post.identity in seen:
                post.status, post.reason = "skipped", f"A duplicate of {seen[post.identity]} in the same archive."
            elif not post.media:
                video_only = post.notes and all("videos and reels" in n for n in post.notes)
                post.status = "skipped" if video_only else "failed"
                post.reason = "; ".join(post.notes) or "No image in this post."
            seen.setdefault(post.identity, path)
            planned.append(post)
    planned.sort(key=lambda p: (p.timestamp, p.path))
    return planned


def plan_easel(posts_doc: Any, members: dict[str, zipfile.ZipInfo], root: str) -> list[PlannedPost]:
    if not isinstance(posts_doc, dict) or not isinstance(posts_doc.get("posts"), list):
        raise ArchiveRefused("malformed_json", "'posts.json' must be an object with a 'posts' list.")
    planned: list[PlannedPost] = []
    for i, item in enumerate(posts_doc["posts"]):
        path = f"posts.json#{i}"
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not isinstance(item.get("images"), list):
            planned.append(PlannedPost(path, f"invalid#{path}", "Untitled", None, [], None, 0.0, [],
                                       status="failed", reason="The entry has no 'id' or 'images'."))
            continue
        stamp = item.get("first_posted_at") or item.get("created_at")
        ts = epoch_from_iso(stamp) or 0.0
        title = item.get("title") if isinstance(item.get("title"), str) and item["title"].strip() else "Untitled"
        description = item.get("description") if isinstance(item.get("description"), str) else None
        try:
            tags = v.tags(item.get("tags"))
        except Exception:  # noqa: BLE001 - a hand-edited export: keep the post, drop bad tags
            tags = []
        labels = [lab for lab in item.get("labels") or [] if lab == "mature"]
        post = PlannedPost(path, f"easel#{item['id'][:40]}", title[:v.MAX_TITLE],
                           (description or "")[:v.MAX_DESCRIPTION] or None, tags,
                           iso_from_epoch(ts) if ts else None, ts, [], labels=labels, source_id=item["id"][:40])
        for image in item["images"]:
            name = image.get("path") if isinstance(image, dict) else None
            if not isinstance(name, str):
                post.notes.append("an image without a 'path'")
                continue
            why = unsafe_name(name)
            if why:
                post.notes.append(f"'{name[:200]}' refused: {why}")
                continue
            member = root + name
            if member not in members:
                post.notes.append(f"'{name[:200]}' is missing from the archive")
                continue
            post.media.append(member)
        if not post.media:
            post.status, post.reason = "failed", "; ".join(post.notes) or "No image in this post."
        planned.append(post)
    planned.sort(key=lambda p: (p.timestamp, p.path))
    return planned


def split_long(planned: list[PlannedPost]) -> tuple[list[PlannedPost], list[dict]]:
    """A carousel over the per-post limit becomes consecutive posts and a collection named
    after the first: returns the posts and the collections to make (by position)."""
    out: list[PlannedPost] = []
    collections: list[dict] = []
    for post in planned:
        if len(post.media) <= MAX_IMAGES_PER_POST:
            out.append(post)
            continue
        chunks = [post.media[i:i + MAX_IMAGES_PER_POST] for i in range(0, len(post.media), MAX_IMAGES_PER_POST)]
        positions = []
        for n, chunk in enumerate(chunks, 1):
            part = PlannedPost(f"{post.path}/{n}", f"{post.identity}/{n}",
                               post.title if n == 1 else f"{post.title[:v.MAX_TITLE - 12]} ({n}/{len(chunks)})",
                               post.description, post.tags, post.first_posted_at, post.timestamp, chunk,
                               labels=post.labels, notes=post.notes if n == 1 else [])
            positions.append(len(out))
            out.append(part)
        collections.append({"title": post.title[:100], "description": None, "positions": positions})
    return out, collections
