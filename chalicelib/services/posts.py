"""Posts: creating a post with its presigned upload, and reading posts."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from ulid import ULID

from chalicelib.adapters.screening_store import ImageRepository
from chalicelib.adapters.community_aws import CdnInvalidator, MediaCleaner
from chalicelib.adapters.community_store import PostEditRepository, existing_keys
from chalicelib.adapters.erasure_store import ErasureRepository
from chalicelib.adapters.storage import Storage
from chalicelib.adapters.store import PostRepository
from chalicelib.adapters.tables_community import BlockItem, LikeItem
from chalicelib.adapters.tables import PostItem, iso, utcnow
from chalicelib.adapters.tables_screening import PostImageItem
from chalicelib.config import Settings
from chalicelib.domain import validation as v
from chalicelib.errors import Conflict, NotFound, ValidationError
from chalicelib.services.tokens import Principal

STATUSES = ("awaiting_upload", "processing", "queued", "published", "held_for_review", "rejected", "removed",
            "deleted")  # queued: deferred by the budget guard in survival (services/guard.py)
PREFERRED_WIDTH = 1280
MAX_IMAGES = 10
SELF_LABELS = ("mature",)


def upload_key(author_id: str, post_id: str, index: int = 0) -> str:
    return f"uploads/{author_id}/{post_id}/{index}"


def parse_upload_key(key: str) -> tuple[str, str, int] | None:
    parts = key.split("/")
    if len(parts) != 4 or parts[0] != "uploads" or not parts[3].isdigit():
        return None
    return parts[1], parts[2], int(parts[3])


def media_key(post_id: str, index: int, width: int) -> str:
    return f"p/{post_id}/{index}-{width}.webp"


def image_view(image: dict, media_base: str, alt: str | None = None) -> dict:
    variants = [{"width": d["width"], "height": d["height"], "url": f"{media_base}/{d['key']}",
                 "content_type": d["content_type"]} for d in image.get("variants", [])]
    fitting = [x for x in variants if x["width"] <= PREFERRED_WIDTH] or variants
    main = max(fitting, key=lambda x: x["width"]) if fitting else None
    return {"width": image["width"], "height": image["height"],
            "url": main["url"] if main else None,
            "content_type": main["content_type"] if main else None,
            "variants": variants, "alt": alt or None}


def _alt(post: PostItem, image: dict) -> str | None:
    alts = list(post.alt_texts or [])
    index = image.get("index", 0)
    return alts[index] if isinstance(index, int) and 0 <= index < len(alts) else None


def post_view(post: PostItem, *, viewer_id: str | None, media_base: str, liked_by_me: bool | None = None) -> dict:
    view: dict[str, Any] = {
        "id": post.post_id,
        "author": {"id": post.author_id, "handle": post.author_handle},
        "title": post.title,
        "description": post.description,
        "tags": list(post.tags or []),
        "status": post.status,
        "images": [image_view(img, media_base, _alt(post, img)) for img in (post.images or [])],
        "labels": list(post.labels or []),
        "created_at": post.created_at,
        "likes_count": max(0, int(post.likes_count or 0)),
        "comments_count": max(0, int(post.comments_count or 0)),
        "reposts_count": max(0, int(post.reposts_count or 0)),
    }
    if post.first_posted_at:  # an imported work: its original date, shown as "first posted"
        view["first_posted_at"] = post.first_posted_at
    if viewer_id is not None:
        view["liked_by_me"] = bool(liked_by_me)
    if viewer_id is not None and viewer_id == post.author_id:
        view["screening"] = author_screening(post.screening or {}, post.decided_at)
    return view


def _moderation_record(screening: dict) -> list[dict]:
    """People's decisions on the post, as its author sees them. A moderator's approval (of an
    appeal or a held post) is stored as `screening.approval` when it re-opens the post for
    publishing; it is listed with the others, with its note and without who decided."""
    moderation = [dict(m) for m in screening.get("moderation", []) if isinstance(m, dict)]
    approval = screening.get("approval")
    if isinstance(approval, dict) and not any(m.get("item_id") == approval.get("item_id") for m in moderation):
        moderation.append({k: approval.get(k) for k in ("item_id", "kind", "decision", "note", "at")})
    return moderation


def author_screening(screening: dict, decided_at: str | None) -> dict:
    """What an artist sees of a decision: the outcome and its reasons (and, for a possible
    repost, which post it resembles). Never thresholds, raw scores or detector internals:
    shown to the uploader they are an oracle for tuning evasions (moderators see the full
    record in their queue)."""
    def image(i: dict) -> dict:
        out = {"index": i.get("index"), "decision": i.get("decision"), "reasons": list(i.get("reasons", [])),
               "labels": list(i.get("labels", []))}
        details = i.get("details") or {}
        if details.get("message"):
            out["message"] = details["message"]
        match = details.get("match") or {}
        if match.get("url") or match.get("post_id"):
            out["resembles"] = {"post_id": match.get("post_id"), "url": match.get("url")}
        return out

    return {"decision": screening.get("decision"), "reasons": list(screening.get("reasons", [])),
            "message": screening.get("message"),
            "images": [image(i) for i in screening.get("images", []) if isinstance(i, dict)],
            "moderation": _moderation_record(screening),
            "attempts": screening.get("attempts"), "retry_in_s": screening.get("retry_in_s"),
            "decided_at": decided_at}


class PostService:
    def __init__(self, posts: PostRepository, storage: Storage, settings: Settings,
                 images: ImageRepository | None = None, *,
                 editor: PostEditRepository | None = None, media: MediaCleaner | None = None,
                 cdn: CdnInvalidator | None = None) -> None:
        self.posts = posts
        self.storage = storage
        self.settings = settings
        self.images = images or ImageRepository()
        self.editor = editor or PostEditRepository()
        self.media = media or MediaCleaner(storage.uploads_bucket, storage.media_bucket)
        self.cdn = cdn or CdnInvalidator(settings.cdn_distribution_id)

    def create(self, principal: Principal, body: Any) -> dict:
        body = v.require_object(body)
        title = v.string(body, "title", max_length=v.MAX_TITLE, min_length=1)
        description = v.string(body, "description", required=False, max_length=v.MAX_DESCRIPTION)
        tags = v.tags(body.get("tags"))
        specs = self._image_specs(body)
        alts = self._alt_texts(body)
        protected = body.get("protected", False)
        if not isinstance(protected, bool):
            raise ValidationError("'protected' must be true or false (Glaze/Nightshade protection).",
                                  field="protected")
        labels = body.get("labels", [])
        if not isinstance(labels, list) or any(label not in SELF_LABELS for label in labels):
            raise ValidationError("'labels' may only contain: " + ", ".join(SELF_LABELS) + ".", field="labels")
        assert title is not None
        from chalicelib.services.guard import admit_upload  # per-user upload limits (budget guard)

        admit_upload(principal.user_id)
        post_id = str(ULID())
        now = iso(utcnow())
        post = PostItem(*PostItem.key(post_id), post_id=post_id, author_id=principal.user_id,
                        author_handle=principal.handle, title=title, description=description or None,
                        tags=tags, status="awaiting_upload", content_type=specs[0][0],
                        content_length=specs[0][1], images=[], labels=sorted(set(labels)), created_at=now,
                        alt_texts=alts if any(alts) else None)
        # The author's post ledger first (account erasure finds every post through it, whatever
        # its status), then the image items: an upload never arrives before the post knows its images.
        ErasureRepository().record_post(principal.user_id, post_id, now)
        self.images.create_all([
            PostImageItem(*PostImageItem.key(post_id, i), post_id=post_id, index=i, content_type=ct,
                          content_length=length, status="awaiting_upload", protected=protected, created_at=now)
            for i, (ct, length) in enumerate(specs)])
        self.posts.create(post)
        uploads = []
        for i, (ct, length) in enumerate(specs):
            upload = self.storage.presign_upload(upload_key(principal.user_id, post_id, i), ct, length,
                                                 self.settings.upload_url_ttl_s)
            uploads.append({"url": upload["url"], "fields": upload["fields"],
                            "expires_in": self.settings.upload_url_ttl_s})
        view = post_view(post, viewer_id=principal.user_id, media_base=self.settings.media_base_url)
        view["protected"] = protected
        return {"post": view, "upload": uploads[0], "uploads": uploads}

    def _image_spec(self, item: Any, prefix: str) -> tuple[str, int]:
        def name(n: str) -> str:
            return f"{prefix}{n}"

        content_type = item.get("content_type")
        if not isinstance(content_type, str) or not content_type:
            raise ValidationError(f"'{name('content_type')}' is required.", field=name("content_type"))
        content_type = content_type.lower()
        if content_type not in v.ALLOWED_CONTENT_TYPES:
            raise ValidationError("'content_type' must be one of " + ", ".join(sorted(v.ALLOWED_CONTENT_TYPES)) + ".",
                                  field=name("content_type"), code="unsupported_media_type")
        raw = item.get("content_length")
        if isinstance(raw, int) and not isinstance(raw, bool) and raw > self.settings.max_upload_bytes:
            raise ValidationError(f"'content_length' exceeds the {self.settings.max_upload_bytes} byte limit.",
                                  field=name("content_length"), code="file_too_large")
        if not isinstance(raw, int) or isinstance(raw, bool) or raw < 1:
            raise ValidationError(f"'{name('content_length')}' must be an integer of at least 1.",
                                  field=name("content_length"))
        return content_type, raw

    @staticmethod
    def _alt_texts(body: dict) -> list[str]:
        """Optional `images[i].alt`: the description of each image for screen readers."""
        out = []
        for i, item in enumerate(body.get("images") or []):
            alt = item.get("alt", "") if isinstance(item, dict) else ""
            if not isinstance(alt, str) or len(alt) > 1000:
                raise ValidationError(f"'images[{i}].alt' must be text of at most 1000 characters.",
                                      field=f"images[{i}].alt")
            out.append(alt.strip())
        return out

    def _image_specs(self, body: dict) -> list[tuple[str, int]]:
        """The single-image form (`content_type`, `content_length`) or `images: [...]` (1-10)."""
        if "images" not in body:
            return [self._image_spec(body, "")]
        images = body["images"]
        if "content_type" in body or "content_length" in body:
            raise ValidationError("Send either 'images' or 'content_type'/'content_length', not both.",
                                  field="images")
        if not isinstance(images, list) or not 1 <= len(images) <= MAX_IMAGES:
            raise ValidationError(f"'images' must be a list of 1 to {MAX_IMAGES} images.", field="images")
        specs = []
        for i, item in enumerate(images):
            if not isinstance(item, dict):
                raise ValidationError(f"'images[{i}]' must be an object.", field=f"images[{i}]")
            specs.append(self._image_spec(item, f"images[{i}]."))
        return specs

    def get(self, post_id: str, viewer: Principal | None) -> dict:
        post = self.posts.get(post_id) if len(post_id) <= 40 else None
        viewer_id = viewer.user_id if viewer else None
        if post is None or post.status == "deleted" or (post.status != "published" and post.author_id != viewer_id) \
                or post.purpose:  # a profile image (services/profile_media.py) is not a post
            raise NotFound("No such post.")
        liked = None
        if viewer_id is not None:
            # One BatchGetItem: the viewer's like edge and whether the author blocked the viewer.
            like_key, block_key = LikeItem.key(viewer_id, post_id), BlockItem.key(post.author_id, viewer_id)
            found = existing_keys([like_key] + ([block_key] if viewer_id != post.author_id else []))
            if block_key in found and viewer_id != post.author_id:
                raise NotFound("No such post.")
            liked = like_key in found
        return post_view(post, viewer_id=viewer_id, media_base=self.settings.media_base_url, liked_by_me=liked)

    def _own_post(self, principal: Principal, post_id: str) -> PostItem:
        post = self.posts.get(post_id, consistent=True) if len(post_id) <= 40 else None
        if post is None or post.status == "deleted" or post.author_id != principal.user_id or post.purpose:
            raise NotFound("No such post.")  # someone else's post (or a profile image): no hint that it exists
        return post

    def edit(self, principal: Principal, post_id: str, body: Any) -> dict:
        """PATCH title, description, tags; omitted fields keep their values."""
        body = v.require_object(body)
        unknown = sorted(set(body) - {"title", "description", "tags"})
        if unknown:
            raise ValidationError(f"'{unknown[0]}' cannot be changed here.", field=unknown[0], code="unknown_field")
        values: dict[str, Any] = {}
        if "title" in body:
            values["title"] = v.string(body, "title", max_length=v.MAX_TITLE, min_length=1)
        if "description" in body:
            values["description"] = v.string(body, "description", required=False,
                                              max_length=v.MAX_DESCRIPTION) or None
        if "tags" in body:
            values["tags"] = v.tags(body.get("tags"))
        if not values:
            raise ValidationError("Send at least one of 'title', 'description', 'tags'.", field="body")
        post = self._own_post(principal, post_id)
        if not self.editor.edit(post, values, iso(utcnow())):
            raise NotFound("No such post.")
        for name, value in values.items():
            setattr(post, name, value)
        return post_view(post, viewer_id=principal.user_id, media_base=self.settings.media_base_url)

    def delete(self, principal: Principal, post_id: str) -> dict:
        """status -> deleted (out of the portfolio, counted out of posts_count); feeds drop it at
        read time; its media leave both buckets and, in production, the CDN cache."""
        for _attempt in range(3):  # the upload handler may decide the post meanwhile
            post = self._own_post(principal, post_id)
            if self.editor.mark_deleted(post, iso(utcnow())):
                break
        else:
            raise Conflict("The post changed while deleting it; retry.", code="retry")
        self.media.delete_post_media(post.author_id, post.post_id)
        media_path = urlparse(self.settings.media_base_url).path.rstrip("/")
        self.cdn.forget([f"{media_path}/p/{post.post_id}/*"])
        return {"id": post.post_id, "status": "deleted"}
