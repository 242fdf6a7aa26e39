"""Your own profile and settings (GET/PATCH /v1/me) and your portfolio order."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from chalicelib.adapters.community_store import ProfileRepository
from chalicelib.adapters.store import PostRepository, UserRepository
from chalicelib.domain import validation as v
from chalicelib.errors import NotFound, ValidationError
from chalicelib.services.social import profile_view
from chalicelib.services.tokens import Principal

if TYPE_CHECKING:
    from chalicelib.adapters.tables import UserItem

MAX_DISPLAY_NAME = 50
MAX_BIO = 1000
MAX_LINKS = 10
MAX_LINK_LABEL = 40
MAX_LINK_URL = 500
MAX_PINNED = 50
PROFILE_FIELDS = ("display_name", "bio", "links", "open_to_work", "show_mature", "hide_likes")
FLAGS = ("open_to_work", "show_mature", "hide_likes")


def validate_links(value: Any) -> list[dict]:
    if not isinstance(value, list):
        raise ValidationError("'links' must be a list of {label, url}.", field="links")
    if len(value) > MAX_LINKS:
        raise ValidationError(f"At most {MAX_LINKS} links.", field="links")
    out = []
    for i, link in enumerate(value):
        if not isinstance(link, dict) or set(link) - {"label", "url"}:
            raise ValidationError("Each link is an object with 'label' and 'url'.", field=f"links[{i}]")
        label = v.plain_text(v.string(link, "label", max_length=MAX_LINK_LABEL, min_length=1), "label")
        url = v.string(link, "url", max_length=MAX_LINK_URL, min_length=1)
        assert url is not None
        try:
            parts = urlsplit(url)
            hostname = parts.hostname
        except ValueError:  # e.g. "Invalid IPv6 URL" (an unbalanced '[' in the host)
            parts, hostname = None, None
        if parts is None or parts.scheme.lower() not in ("http", "https") or not hostname or \
                any(c.isspace() or ord(c) < 32 for c in url) or parts.username or parts.password:
            raise ValidationError("Links must be http(s) URLs with a host (no credentials).",
                                  field=f"links[{i}].url", code="invalid_url")
        out.append({"label": label, "url": url})
    return out


class ProfileService:
    def __init__(self, users: UserRepository, profiles: ProfileRepository, posts: PostRepository,
                 media: Any = None) -> None:
        self.users = users
        self.profiles = profiles
        self.posts = posts
        self.media = media  # ProfileMediaService: the latest avatar/banner attempts

    def me(self, principal: Principal, user: UserItem | None = None) -> dict:
        user = user or self.users.get(principal.user_id, consistent=True)
        if user is None or user.deletion_requested_at:
            raise NotFound("No such user.")
        return {**profile_view(user), "email": user.email,
                "settings": {"show_mature": bool(user.show_mature), "hide_likes": bool(user.hide_likes)},
                "pinned_post_ids": list(user.pinned_post_ids or []), "created_at": user.created_at,
                "profile_images": self.media.attempts(user) if self.media is not None else
                {"avatar": None, "banner": None}}

    def update_me(self, principal: Principal, body: Any) -> dict:
        """Only the fields sent change; an empty display_name or bio clears it."""
        body = v.require_object(body)
        unknown = sorted(set(body) - set(PROFILE_FIELDS))
        if unknown:
            raise ValidationError(f"'{unknown[0]}' is not a profile field.", field=unknown[0], code="unknown_field")
        values: dict[str, Any] = {}
        if "display_name" in body:
            values["display_name"] = v.plain_text(v.string(body, "display_name", required=False,
                                                           max_length=MAX_DISPLAY_NAME), "display_name") or None
        if "bio" in body:
            values["bio"] = v.plain_text(v.string(body, "bio", required=False, max_length=MAX_BIO), "bio",
                                         multiline=True) or None
        if "links" in body:
            values["links"] = validate_links(body["links"]) if body["links"] is not None else None
        for flag in FLAGS:
            if flag in body:
                if not isinstance(body[flag], bool):
                    raise ValidationError(f"'{flag}' must be true or false.", field=flag)
                values[flag] = body[flag]
        # The answer is the profile as this request's own write left it, even when another
        # request of the same user writes at the same moment (last writer wins in the table).
        return self.me(principal, self.profiles.update(principal.user_id, values))

    def set_portfolio_order(self, principal: Principal, body: Any) -> dict:
        """Pins up to MAX_PINNED of your published posts, in this order, before the rest."""
        body = v.require_object(body)
        ids = body.get("post_ids")
        if not isinstance(ids, list) or not all(isinstance(i, str) and 0 < len(i) <= 40 for i in ids):
            raise ValidationError("'post_ids' must be a list of post ids.", field="post_ids")
        if len(ids) > MAX_PINNED:
            raise ValidationError(f"At most {MAX_PINNED} posts can be ordered.", field="post_ids")
        if len(set(ids)) != len(ids):
            raise ValidationError("'post_ids' has duplicates.", field="post_ids")
        posts, _ = self.posts.batch_get(ids)
        for pid in ids:
            post = posts.get(pid)
            if post is None or post.author_id != principal.user_id or post.status != "published":
                raise ValidationError(f"'{pid}' is not one of your published posts.", field="post_ids",
                                      code="not_your_post")
        self.profiles.set_pinned(principal.user_id, ids)
        return {"post_ids": ids}
