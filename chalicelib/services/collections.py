"""Collections (series): an artist's ordered groups of their own published posts. A post can
be in several collections; only the owner changes a collection."""
from __future__ import annotations

from typing import Any, Callable

from ulid import ULID

from chalicelib.adapters.community_store import CollectionRepository, RelationRepository
from chalicelib.adapters.store import PostRepository, UserRepository
from chalicelib.adapters.tables import iso, utcnow
from chalicelib.adapters.tables_community import BlockItem, CollectionItem, LikeItem
from chalicelib.config import Settings
from chalicelib.domain import validation as v
from chalicelib.domain.cursor import decode_cursor, encode_cursor
from chalicelib.errors import Conflict, Forbidden, NotFound, ValidationError
from chalicelib.services.posts import post_view
from chalicelib.services.tokens import Principal

MAX_TITLE = 100
MAX_DESCRIPTION = 2000
MAX_POSTS = 200  # keeps the item well under DynamoDB's 400 KB (ids are 26 bytes)
RETRIES = 3


def collection_view(c: CollectionItem, owner_handle: str | None = None) -> dict:
    ids = list(c.post_ids or [])
    return {"id": c.collection_id, "owner": {"id": c.owner_id, "handle": owner_handle},
            "title": c.title, "description": c.description or "", "posts_count": len(ids),
            "cover_post_id": ids[0] if ids else None, "created_at": c.created_at, "updated_at": c.updated_at}


class CollectionService:
    def __init__(self, collections: CollectionRepository, posts: PostRepository, users: UserRepository,
                 relations: RelationRepository, settings: Settings, cursor_key: Callable[[], bytes]) -> None:
        self.collections = collections
        self.posts = posts
        self.users = users
        self.relations = relations
        self.settings = settings
        self.cursor_key = cursor_key

    def _get(self, collection_id: str, consistent: bool = False) -> CollectionItem:
        item = self.collections.get(collection_id, consistent) if 0 < len(collection_id) <= 40 else None
        if item is None:
            raise NotFound("No such collection.")
        return item

    def _owned(self, principal: Principal, collection_id: str) -> CollectionItem:
        item = self._get(collection_id, consistent=True)
        if item.owner_id != principal.user_id:
            raise Forbidden("Only the collection's owner can change it.", code="not_owner")
        return item

    def _mutate(self, principal: Principal, collection_id: str, change: Callable[[CollectionItem], None]) -> dict:
        """Read, change, write if unchanged since the read (retried on a concurrent edit)."""
        for _attempt in range(RETRIES):
            item = self._owned(principal, collection_id)
            version = int(item.version or 0)
            change(item)
            item.updated_at = iso(utcnow())
            if self.collections.save_if_version(item, version):
                return collection_view(item, principal.handle)
        raise Conflict("The collection changed while saving; retry.", code="retry")

    def create(self, principal: Principal, body: Any) -> dict:
        body = v.require_object(body)
        title = v.string(body, "title", max_length=MAX_TITLE, min_length=1)
        description = v.string(body, "description", required=False, max_length=MAX_DESCRIPTION)
        cid = str(ULID())
        now = iso(utcnow())
        item = CollectionItem(*CollectionItem.key(cid), collection_id=cid, owner_id=principal.user_id,
                              title=title, description=description or None, post_ids=[], version=0,
                              created_at=now, updated_at=now)
        self.collections.create(item)
        return collection_view(item, principal.handle)

    def update(self, principal: Principal, collection_id: str, body: Any) -> dict:
        body = v.require_object(body)
        unknown = sorted(set(body) - {"title", "description"})
        if unknown:
            raise ValidationError(f"'{unknown[0]}' cannot be changed here.", field=unknown[0], code="unknown_field")
        if not body:
            raise ValidationError("Send 'title' and/or 'description'.", field="body")
        title = v.string(body, "title", max_length=MAX_TITLE, min_length=1) if "title" in body else None
        description = v.string(body, "description", required=False, max_length=MAX_DESCRIPTION)

        def change(item: CollectionItem) -> None:
            if title is not None:
                item.title = title
            if "description" in body:
                item.description = description or None
        return self._mutate(principal, collection_id, change)

    def delete(self, principal: Principal, collection_id: str) -> dict:
        item = self._owned(principal, collection_id)
        self.collections.delete(item)
        return {"id": collection_id, "deleted": True}

    def add_post(self, principal: Principal, collection_id: str, body: Any) -> dict:
        body = v.require_object(body)
        post_id = v.string(body, "post_id", max_length=40, min_length=1)
        assert post_id is not None
        self._owned(principal, collection_id)  # 404/403 before looking at the post
        post = self.posts.get(post_id)
        if post is None or post.author_id != principal.user_id or post.status != "published":
            raise ValidationError("Only your own published posts can be added.", field="post_id",
                                  code="not_your_post")

        def change(item: CollectionItem) -> None:
            ids = list(item.post_ids or [])
            if post_id in ids:
                return  # idempotent
            if len(ids) >= MAX_POSTS:
                raise Conflict(f"A collection holds at most {MAX_POSTS} posts.", code="collection_full")
            item.post_ids = ids + [post_id]
        return self._mutate(principal, collection_id, change)

    def remove_post(self, principal: Principal, collection_id: str, post_id: str) -> dict:
        def change(item: CollectionItem) -> None:
            item.post_ids = [i for i in (item.post_ids or []) if i != post_id]
        return self._mutate(principal, collection_id, change)

    def reorder(self, principal: Principal, collection_id: str, body: Any) -> dict:
        """`post_ids` must name exactly the collection's posts, in the new order."""
        body = v.require_object(body)
        ids = body.get("post_ids")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or len(ids) > MAX_POSTS:
            raise ValidationError(f"'post_ids' must be a list of at most {MAX_POSTS} post ids.", field="post_ids")

        def change(item: CollectionItem) -> None:
            current = list(item.post_ids or [])
            if len(set(ids)) != len(ids) or set(ids) != set(current):
                raise ValidationError("'post_ids' must list exactly the collection's posts.", field="post_ids",
                                      code="order_mismatch")
            item.post_ids = list(ids)
        return self._mutate(principal, collection_id, change)

    def posts_page(self, collection_id: str, viewer: Principal | None, *, limit_raw: str | None,
                   cursor: str | None) -> dict:
        """GetItem of the collection, then one BatchGetItem: the page's posts, the viewer's
        likes and whether the owner blocked the viewer."""
        limit = v.page_limit(limit_raw, self.settings.page_limit_default, self.settings.page_limit_max)
        item = self._get(collection_id)
        scope = f"collection:{collection_id}"
        position = decode_cursor(self.cursor_key(), scope, cursor)
        offset = int(position.get("offset", 0)) if position else 0
        all_ids = list(item.post_ids or [])
        ids = all_ids[offset:offset + limit]
        viewer_id = viewer.user_id if viewer else None
        extra = []
        if viewer_id:
            extra = [LikeItem.key(viewer_id, i) for i in ids]
            if viewer_id != item.owner_id:
                extra.append(BlockItem.key(item.owner_id, viewer_id))
        posts, found = self.posts.batch_get(ids, extra)
        if viewer_id and viewer_id != item.owner_id and BlockItem.key(item.owner_id, viewer_id) in found:
            raise NotFound("No such collection.")
        items = [post_view(posts[i], viewer_id=viewer_id, media_base=self.settings.media_base_url,
                           liked_by_me=(LikeItem.key(viewer_id, i) in found) if viewer_id else None)
                 for i in ids if i in posts and posts[i].status == "published"]
        more = offset + limit < len(all_ids)
        return {"collection": collection_view(item), "items": items,
                "next_cursor": encode_cursor(self.cursor_key(), scope, {"offset": offset + limit}) if more else None}

    def by_user(self, handle: str, *, limit_raw: str | None, cursor: str | None) -> dict:
        user = self.users.require_by_handle(handle)
        limit = v.page_limit(limit_raw, self.settings.page_limit_default, self.settings.page_limit_max)
        scope = f"collections:{user.user_id}"
        position = decode_cursor(self.cursor_key(), scope, cursor)
        items, last = self.collections.list_by_owner(user.user_id, limit=limit,
                                                     after=position.get("after") if position else None)
        return {"items": [collection_view(c, user.handle) for c in items],
                "next_cursor": encode_cursor(self.cursor_key(), scope, {"after": last}) if last else None}
