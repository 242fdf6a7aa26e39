"""Shared by the cascade and moderation tests: run the real upload handler with chosen
screening settings (and a vendor pointed at the local fake Hive), and make moderators."""
from __future__ import annotations

import dataclasses
from typing import Any

from chalicelib import container
from chalicelib.adapters.tables import UserItem
from chalicelib.config import get_settings
from chalicelib.screening.hive import CircuitBreaker, HiveClient, MemoryBreakerStore
from chalicelib.screening.settings import ScreeningSettings
from tests.helpers import PASSWORD, call


def processor(screening: ScreeningSettings, fake: Any = None) -> Any:
    from chalicelib.adapters.store import FeedRepository, GraphRepository, PostRepository, UserRepository
    from chalicelib.services.uploads import UploadProcessor

    vendor = None
    if fake is not None:
        screening = dataclasses.replace(screening, hive_api_key="test-key", hive_api_url=fake.url)
        vendor = HiveClient(api_url=fake.url, api_key="test-key", timeout_s=0.5, max_attempts=2, backoff_s=0,
                            breaker=CircuitBreaker(MemoryBreakerStore(), "hive", threshold=100, cooldown_s=1),
                            sleep=lambda s: None)
    return UploadProcessor(PostRepository(), UserRepository(), GraphRepository(), FeedRepository(),
                           container.storage(), get_settings(), screening=screening, vendor=vendor)


def use(monkeypatch: Any, screening: ScreeningSettings, fake: Any = None) -> Any:
    """The app's handler builds its processor through the composition root: point it at ours."""
    proc = processor(screening, fake)
    monkeypatch.setattr(container, "upload_processor", lambda: proc)
    return proc


def moderator(client: Any, user: dict) -> dict:
    UserItem(*UserItem.key(user["id"])).update(actions=[UserItem.roles.add({"moderator"})])
    status, body, _ = call(client, "POST", "/v1/auth/login", {"handle": user["handle"], "password": PASSWORD})
    assert status == 200, body
    return {**user, **body["tokens"]}


def get_post(client: Any, post_id: str, token: str | None = None) -> dict:
    status, body, _ = call(client, "GET", f"/v1/posts/{post_id}", token=token)
    assert status == 200, body
    return body


def stored_screening(post_id: str) -> dict:
    """The full screening record as stored (what moderators see in their queue); the author's
    view of a post shows only the decision and reasons (chalicelib/services/posts.py)."""
    from chalicelib.adapters.tables import PostItem

    return dict(PostItem.get(*PostItem.key(post_id), consistent_read=True).screening or {})
