"""Seeding helpers for the community tests (discovery, tags, messages): write items through
the same pynamodb models and repositories the code uses, over the moto server."""
from __future__ import annotations

import os
from datetime import datetime
from typing import Any, Iterable

import boto3
from ulid import ULID

from chalicelib.adapters.social_store import DiscoveryRepository
from chalicelib.adapters.tables import PostItem, UserItem, iso, utcnow
from chalicelib.adapters.tables_social import BlockEdgeItem
from chalicelib.services.discovery import day_bucket


def ddb() -> Any:
    return boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")


def seed_published_post(author: dict, *, title: str = "Seed", tags: Iterable[str] = (),
                        labels: Iterable[str] = (), created: datetime | None = None, likes: int = 0,
                        comments: int = 0, reposts: int = 0) -> str:
    """A published post as the upload handler leaves it, plus the publish hook's indexes.
    Engagement counters are written raw, as the interactions feature will."""
    created = created or utcnow()
    post_id = str(ULID.from_datetime(created))
    post = PostItem(*PostItem.key(post_id), post_id=post_id, author_id=author["id"], author_handle=author["handle"],
                    title=title, tags=list(tags), status="published", content_type="image/png", content_length=1,
                    images=[], labels=list(labels), created_at=iso(created), decided_at=iso(created))
    post.gsi1pk, post.gsi1sk = PostItem.portfolio_key(author["id"], post_id)
    post.save()
    DiscoveryRepository().index_published(post_id=post_id, author_id=author["id"], tags=list(tags),
                                          day=day_bucket(created))
    if likes or comments or reposts:
        pk, sk = PostItem.key(post_id)
        ddb().update_item(TableName=os.environ["TABLE_NAME"], Key={"pk": {"S": pk}, "sk": {"S": sk}},
                          UpdateExpression="SET likes_count = :l, comments_count = :c, reposts_count = :r",
                          ExpressionAttributeValues={":l": {"N": str(likes)}, ":c": {"N": str(comments)},
                                                     ":r": {"N": str(reposts)}})
    return post_id


def set_show_mature(user_id: str, value: bool) -> None:
    """`show_mature` belongs to the profiles work (UserItem gains it there); written raw here."""
    pk, sk = UserItem.key(user_id)
    ddb().update_item(TableName=os.environ["TABLE_NAME"], Key={"pk": {"S": pk}, "sk": {"S": sk}},
                      UpdateExpression="SET show_mature = :v", ExpressionAttributeValues={":v": {"BOOL": value}})


def block(blocker_id: str, blocked_id: str) -> None:
    """A block edge in exactly the layout the blocks feature writes (`BLOCK#<blocker>`/`<blocked>`)."""
    BlockEdgeItem(*BlockEdgeItem.key(blocker_id, blocked_id)).save()

