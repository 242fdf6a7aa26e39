"""Composition root: builds each service once per cold start, with its adapters injected."""
from __future__ import annotations

from functools import lru_cache

from chalicelib.adapters.secrets import get_json_secret
from chalicelib.adapters.storage import Storage
from chalicelib.adapters.store import (
    FeedRepository, GraphRepository, PostRepository, SessionRepository, UserRepository,
)
from chalicelib.config import Settings, get_settings
from chalicelib.services.tokens import KeyRing, TokenService


def settings() -> Settings:
    return get_settings()


@lru_cache(maxsize=1)
def keyring() -> KeyRing:
    secret_id = get_settings().signing_keys_secret
    return KeyRing(lambda force: get_json_secret(secret_id, force=force))


@lru_cache(maxsize=1)
def tokens() -> TokenService:
    s = get_settings()
    return TokenService(keyring(), issuer=s.token_issuer, audience=s.token_audience, ttl_s=s.access_token_ttl_s)


@lru_cache(maxsize=1)
def storage() -> Storage:
    s = get_settings()
    return Storage(s.uploads_bucket, s.media_bucket)


@lru_cache(maxsize=1)
def accounts():  # type: ignore[no-untyped-def]
    from chalicelib.services.accounts import AccountService  # argon2 loads only where needed

    return AccountService(UserRepository(), SessionRepository(), tokens())


@lru_cache(maxsize=1)
def posts():  # type: ignore[no-untyped-def]
    from chalicelib.services.posts import PostService

    return PostService(PostRepository(), storage(), get_settings())


@lru_cache(maxsize=1)
def social():  # type: ignore[no-untyped-def]
    from chalicelib.services.social import SocialService

    return SocialService(UserRepository(), GraphRepository(), FeedRepository(), PostRepository(),
                         get_settings(), lambda: keyring().cursor_key())


@lru_cache(maxsize=1)
def upload_processor():  # type: ignore[no-untyped-def]
    # Pillow, c2pa and the screening code load only in the upload handler, never in the API path.
    from chalicelib.services.uploads import UploadProcessor

    return UploadProcessor(PostRepository(), UserRepository(), GraphRepository(), FeedRepository(),
                           storage(), get_settings())
