"""Avatars and banners, through the posts' upload pipeline.

`POST /v1/me/avatar|banner` creates a profile image (a `PostItem` with `purpose`, see
adapters/profile_media_store.py) and hands out the same presigned POST as a post. The upload
handler screens it with the one cascade (services/uploads.py) and, when it passes, writes its
derivatives (with the "do not train" marks) and calls `ProfileMediaLifecycle.apply`: the user
item gets the image, the one it replaces is retired (status `replaced`, media deleted). A
profile image never enters portfolios, feeds, discovery, tags, the hash index or posts_count:
on passing it is stored as `applied`, not `published`, so nothing that lists or interacts with
published posts can see it. Only the latest attempt may be applied, and a mature-labelled one
is held for people rather than shown on a profile unblurred.

Statuses: awaiting_upload -> processing | queued -> applied | rejected | held_for_review;
applied -> replaced | deleted.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from ulid import ULID

from chalicelib.adapters.community_aws import CdnInvalidator, MediaCleaner
from chalicelib.adapters.profile_media_store import KINDS, ProfileMediaRepository
from chalicelib.adapters.store import PostRepository
from chalicelib.adapters.tables import PostItem, UserItem, iso, utcnow
from chalicelib.adapters.tables_screening import PostImageItem
from chalicelib.config import Settings
from chalicelib.domain import validation as v
from chalicelib.errors import ValidationError
from chalicelib.services.tokens import Principal

# Derivative widths per kind (the budget guard still caps them at 1280 px in saver/survival).
WIDTHS: dict[str, tuple[int, ...]] = {"avatar": (64, 256, 512), "banner": (640, 1500)}
APPLIED = "applied"  # a profile image's "published": the status no post listing ever matches
MATURE_REASON = "mature_profile_image"


def profile_image_view(image: dict | None, media_base: str) -> dict | None:
    """The applied image on a profile: the largest variant as `url`, every variant listed."""
    if not image:
        return None
    variants = [{"width": d["width"], "height": d["height"], "url": f"{media_base}/{d['key']}",
                 "content_type": d["content_type"]} for d in image.get("variants", [])]
    main = max(variants, key=lambda x: x["width"]) if variants else None
    return {"id": image["id"], "url": main["url"] if main else None, "width": image.get("width"),
            "height": image.get("height"), "variants": variants}


def attempt_view(item: PostItem) -> dict:
    """The latest upload attempt as its owner sees it (GET /v1/me)."""
    screening = item.screening or {}
    return {"id": item.post_id, "kind": item.purpose, "status": item.status,
            "reasons": list(screening.get("reasons", [])), "message": screening.get("message"),
            "created_at": item.created_at, "decided_at": item.decided_at}


class ProfileMediaLifecycle:
    """Applying a screened image to the profile and retiring replaced ones; used by the upload
    handler (apply) and the API (remove)."""

    def __init__(self, repo: ProfileMediaRepository, cleaner: MediaCleaner, cdn: CdnInvalidator,
                 settings: Settings) -> None:
        self.repo = repo
        self.cleaner = cleaner
        self.cdn = cdn
        self.settings = settings

    def apply(self, post: PostItem) -> bool:
        """Idempotent: a redelivery re-applies the same image and retires nothing. False when a
        newer attempt (or a removal) came first; this image is then retired at once."""
        images = post.images or []
        if not images:
            return False
        image = images[0]
        applied_image = {"id": post.post_id, "width": image["width"], "height": image["height"],
                         "variants": image["variants"], "applied_at": iso(utcnow())}
        applied, previous = self.repo.apply(post.author_id, str(post.purpose), post.post_id, applied_image)
        if not applied:
            self.retire(post.author_id, post.post_id, "replaced")
            return False
        if previous and previous.get("id") and previous["id"] != post.post_id:
            self.retire(post.author_id, previous["id"], "replaced")
        return True

    def retire(self, user_id: str, media_id: str, status: str) -> None:
        """applied -> replaced|deleted, then its derivatives and original leave S3 and the CDN."""
        self.repo.set_status(media_id, status, expected=APPLIED)
        self.cleaner.delete_post_media(user_id, media_id)
        media_path = urlparse(self.settings.media_base_url).path.rstrip("/")
        self.cdn.forget([f"{media_path}/p/{media_id}/*"])


class ProfileMediaService:
    def __init__(self, repo: ProfileMediaRepository, posts: PostRepository, storage: Any, settings: Settings,
                 image_spec: Any, lifecycle: ProfileMediaLifecycle | None = None) -> None:
        self.repo = repo
        self.posts = posts
        self.storage = storage
        self.settings = settings
        self.image_spec = image_spec  # PostService._image_spec: the posts' validation, same errors
        self.lifecycle = lifecycle or ProfileMediaLifecycle(
            repo, MediaCleaner(storage.uploads_bucket, storage.media_bucket),
            CdnInvalidator(settings.cdn_distribution_id), settings)

    def create(self, principal: Principal, kind: str, body: Any) -> dict:
        from chalicelib.services.guard import admit_upload  # the per-user upload limits
        from chalicelib.services.posts import upload_key

        body = v.require_object(body)
        unknown = sorted(set(body) - {"content_type", "content_length"})
        if unknown:
            raise ValidationError(f"'{unknown[0]}' is not accepted here.", field=unknown[0], code="unknown_field")
        content_type, length = self.image_spec(body, "")
        admit_upload(principal.user_id)
        media_id, now = str(ULID()), iso(utcnow())
        image = PostImageItem(*PostImageItem.key(media_id, 0), post_id=media_id, index=0, content_type=content_type,
                              content_length=length, status="awaiting_upload", created_at=now)
        media = PostItem(*PostItem.key(media_id), post_id=media_id, author_id=principal.user_id,
                         author_handle=principal.handle, title=kind, status="awaiting_upload",
                         content_type=content_type, content_length=length, images=[], labels=[],
                         created_at=now, purpose=kind)
        self.repo.create(media, image, kind)
        ttl = self.settings.upload_url_ttl_s
        upload = self.storage.presign_upload(upload_key(principal.user_id, media_id, 0), content_type, length, ttl)
        return {"media": {"id": media_id, "kind": kind, "status": "awaiting_upload"},
                "upload": {"url": upload["url"], "fields": upload["fields"], "expires_in": ttl}}

    def remove(self, principal: Principal, kind: str) -> dict:
        """Off the profile at once; its media objects deleted. A pending attempt is dropped
        too (it will never be applied)."""
        removed, _attempt = self.repo.clear(principal.user_id, kind)
        if removed and removed.get("id"):
            self.lifecycle.retire(principal.user_id, removed["id"], "deleted")
        return {"kind": kind, "removed": bool(removed)}

    def attempts(self, user: UserItem) -> dict:
        """The latest attempt per kind, read live (one BatchGetItem of ≤2 items, only when any)."""
        ids = {kind: getattr(user, f"{kind}_attempt_id") for kind in KINDS}
        wanted = [i for i in ids.values() if i]
        found = self.posts.batch_get(wanted)[0] if wanted else {}
        out: dict[str, Any] = {}
        for kind, media_id in ids.items():
            item = found.get(media_id) if media_id else None
            out[kind] = attempt_view(item) if item is not None and item.author_id == user.user_id else None
        return out

