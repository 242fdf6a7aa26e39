"""Tags: the posts under a normalised tag (newest first) and prefix suggestions."""
from __future__ import annotations

from typing import Callable

from chalicelib.adapters.social_store import DiscoveryRepository
from chalicelib.adapters.store import PostRepository
from chalicelib.adapters.tables import UserItem
from chalicelib.config import Settings
from chalicelib.domain import validation as v
from chalicelib.domain.cursor import decode_cursor, encode_cursor
from chalicelib.errors import ValidationError
from chalicelib.services.discovery import like_keys, listing_view, show_mature_of
from chalicelib.services.tokens import Principal

SUGGESTIONS = 10
SUGGESTION_READ = 100  # tags read from the prefix partition before ranking by use (bounded)


def normalise(raw: str | None, field: str) -> str:
    tag = v.normalise_tag(raw or "")
    if not tag:
        raise ValidationError(f"'{field}' must contain letters or digits.", field=field)
    if len(tag) > v.MAX_TAG_LENGTH:
        raise ValidationError(f"'{field}' must be at most {v.MAX_TAG_LENGTH} characters.", field=field)
    return tag


class TagService:
    def __init__(self, repo: DiscoveryRepository, posts: PostRepository, settings: Settings,
                 cursor_key: Callable[[], bytes]) -> None:
        self.repo = repo
        self.posts = posts
        self.settings = settings
        self.cursor_key = cursor_key

    def posts_for_tag(self, raw_tag: str, viewer: Principal | None, *, limit_raw: str | None,
                      cursor: str | None) -> dict:
        tag = normalise(raw_tag, "tag")
        limit = v.page_limit(limit_raw, self.settings.page_limit_default, self.settings.page_limit_max)
        scope = f"tag:{tag}"
        position = decode_cursor(self.cursor_key(), scope, cursor)
        ids, last = self.repo.tag_post_ids(tag, limit=limit, before=position.get("before") if position else None)
        viewer_id = viewer.user_id if viewer else None
        extra = [UserItem.key(viewer_id), *like_keys(viewer_id, ids)] if viewer_id else []
        # The viewer's profile and like edges ride in the same call (over 100 keys at limit 50:
        # the adapter splits it into a second BatchGetItem).
        posts, raw = self.posts.batch_get(ids, extra)
        show = show_mature_of(raw.get(UserItem.key(viewer_id))) if viewer_id else False
        items = [view for view in (listing_view(posts[i], viewer_id=viewer_id, show_mature=show,
                                                media_base=self.settings.media_base_url, found=raw)
                                   for i in ids if i in posts) if view is not None]
        next_cursor = encode_cursor(self.cursor_key(), scope, {"before": last}) if last else None
        return {"tag": tag, "items": items, "next_cursor": next_cursor}

    def suggest(self, raw_prefix: str | None) -> dict:
        prefix = normalise(raw_prefix, "prefix")
        if len(prefix) < 2:
            raise ValidationError("'prefix' must be at least 2 characters.", field="prefix")
        found = self.repo.tags_with_prefix(prefix, limit=SUGGESTION_READ)
        ranked = sorted(found, key=lambda tc: (-tc[1], tc[0]))[:SUGGESTIONS]
        return {"prefix": prefix, "items": [{"tag": t, "count": c} for t, c in ranked]}
