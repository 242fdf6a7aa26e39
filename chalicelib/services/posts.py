"""Posts: creating a post with its presigned upload, and reading posts."""
from __future__ import annotations

from typing import Any

from ulid import ULID

from chalicelib.adapters.storage import Storage
from chalicelib.adapters.store import PostRepository
from chalicelib.adapters.tables import PostItem, iso, utcnow
from chalicelib.config import Settings
from chalicelib.domain import validation as v
from chalicelib.errors import NotFound, ValidationError
from chalicelib.services.tokens import Principal

STATUSES = ("awaiting_upload", "processing", "published", "held_for_review", "rejected")
PREFERRED_WIDTH = 1280


def upload_key(author_id: str, post_id: str, index: int = 0) -> str:
    return f"uploads/{author_id}/{post_id}/{index}"


def parse_upload_key(key: str) -> tuple[str, str, int] | None:
    parts = key.split("/")
    if len(parts) != 4 or parts[0] != "uploads" or not parts[3].isdigit():
        return None
    return parts[1], parts[2], int(parts[3])


def media_key(post_id: str, index: int, width: int) -> str:
    return f"p/{post_id}/{index}-{width}.webp"


def image_view(image: dict, media_base: str) -> dict:
    variants = [{"width": d["width"], "height": d["height"], "url": f"{media_base}/{d['key']}",
                 "content_type": d["content_type"]} for d in image.get("variants", [])]
    fitting = [x for x in variants if x["width"] <= PREFERRED_WIDTH] or variants
    main = max(fitting, key=lambda x: x["width"]) if fitting else None
    return {"width": image["width"], "height": image["height"],
            "url": main["url"] if main else None,
            "content_type": main["content_type"] if main else None,
            "variants": variants}


def post_view(post: PostItem, *, viewer_id: str | None, media_base: str) -> dict:
    view: dict[str, Any] = {
        "id": post.post_id,
        "author": {"id": post.author_id, "handle": post.author_handle},
        "title": post.title,
        "description": post.description,
        "tags": list(post.tags or []),
        "status": post.status,
        "images": [image_view(img, media_base) for img in (post.images or [])],
        "labels": list(post.labels or []),
        "created_at": post.created_at,
    }
    if viewer_id is not None and viewer_id == post.author_id:
        screening = post.screening or {}
        view["screening"] = {"decision": screening.get("decision"), "reasons": screening.get("reasons", []),
                             "signals": screening.get("signals", {}), "checks": screening.get("checks", []),
                             "decided_at": post.decided_at}
    return view


class PostService:
    def __init__(self, posts: PostRepository, storage: Storage, settings: Settings) -> None:
        self.posts = posts
        self.storage = storage
        self.settings = settings

    def create(self, principal: Principal, body: Any) -> dict:
        body = v.require_object(body)
        title = v.string(body, "title", max_length=v.MAX_TITLE, min_length=1)
        description = v.string(body, "description", required=False, max_length=v.MAX_DESCRIPTION)
        tags = v.tags(body.get("tags"))
        content_type = v.string(body, "content_type", max_length=100)
        assert content_type is not None and title is not None
        content_type = content_type.lower()
        if content_type not in v.ALLOWED_CONTENT_TYPES:
            raise ValidationError("'content_type' must be one of " + ", ".join(sorted(v.ALLOWED_CONTENT_TYPES)) + ".",
                                  field="content_type", code="unsupported_media_type")
        if isinstance(body.get("content_length"), int) and not isinstance(body.get("content_length"), bool) \
                and body["content_length"] > self.settings.max_upload_bytes:
            raise ValidationError(f"'content_length' exceeds the {self.settings.max_upload_bytes} byte limit.",
                                  field="content_length", code="file_too_large")
        length = v.integer(body, "content_length", minimum=1, maximum=self.settings.max_upload_bytes)
        post_id = str(ULID())
        post = PostItem(*PostItem.key(post_id), post_id=post_id, author_id=principal.user_id,
                        author_handle=principal.handle, title=title, description=description or None,
                        tags=tags, status="awaiting_upload", content_type=content_type,
                        content_length=length, images=[], labels=[], created_at=iso(utcnow()))
        self.posts.create(post)
        upload = self.storage.presign_upload(upload_key(principal.user_id, post_id), content_type, length,
                                             self.settings.upload_url_ttl_s)
        return {"post": post_view(post, viewer_id=principal.user_id, media_base=self.settings.media_base_url),
                "upload": {"url": upload["url"], "fields": upload["fields"],
                           "expires_in": self.settings.upload_url_ttl_s}}

    def get(self, post_id: str, viewer: Principal | None) -> dict:
        post = self.posts.get(post_id) if len(post_id) <= 40 else None
        viewer_id = viewer.user_id if viewer else None
        if post is None or (post.status != "published" and post.author_id != viewer_id):
            raise NotFound("No such post.")
        return post_view(post, viewer_id=viewer_id, media_base=self.settings.media_base_url)
