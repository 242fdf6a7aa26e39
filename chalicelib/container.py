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
def mail():  # type: ignore[no-untyped-def]
    from chalicelib.adapters.mail import SesMailer
    from chalicelib.services.mail import MailService

    s = get_settings()
    archive = s.uploads_bucket if s.serve_local_routes else None  # feeds GET /dev/outbox locally
    return MailService(SesMailer(s.mail_sender, archive_bucket=archive), public_base_url=s.public_base_url)


@lru_cache(maxsize=1)
def accounts():  # type: ignore[no-untyped-def]
    # argon2 loads only where needed
    from chalicelib.adapters.store import AttemptRepository, MailTokenRepository
    from chalicelib.services.accounts import AccountService, LoginPolicy, MailPolicy, SessionPolicy

    s = get_settings()
    return AccountService(
        UserRepository(), SessionRepository(), tokens(),
        SessionPolicy(idle_s=s.session_idle_s, absolute_s=s.session_absolute_s),
        s.min_password_length,
        attempts=AttemptRepository(), mail_tokens=MailTokenRepository(), mail=mail(),
        login_policy=LoginPolicy(window_s=s.login_window_s, free=s.login_free_attempts,
                                 max_failures=s.login_max_failures, ip_free=s.ip_free_attempts,
                                 ip_max_failures=s.ip_max_failures, lockout_s=s.login_lockout_s),
        mail_policy=MailPolicy(verify_ttl_s=s.verify_token_ttl_s, reset_ttl_s=s.reset_token_ttl_s,
                               mails_per_window=s.reset_mails_per_window),
        auto_confirm=s.auto_confirm,
    )


@lru_cache(maxsize=1)
def roles():  # type: ignore[no-untyped-def]
    from chalicelib.adapters.store import RoleRepository
    from chalicelib.services.authz import RoleService

    return RoleService(RoleRepository(UserRepository()))


@lru_cache(maxsize=1)
def posts():  # type: ignore[no-untyped-def]
    from chalicelib.services.posts import PostService

    return PostService(PostRepository(), storage(), get_settings())


@lru_cache(maxsize=1)
def social():  # type: ignore[no-untyped-def]
    from chalicelib.services.social import SocialService

    from chalicelib.adapters.community_aws import EventQueue

    return SocialService(UserRepository(), GraphRepository(), FeedRepository(), PostRepository(),
                         get_settings(), lambda: keyring().cursor_key(),
                         on_follow=lambda follower, followee: notifications().notify(followee, "follow", follower),
                         enqueue=EventQueue(get_settings().upload_queue_name).send)


@lru_cache(maxsize=1)
def credentials():  # type: ignore[no-untyped-def]
    """Content Credentials (C2PA) signer for published derivatives (chalicelib/images/credentials.py)."""
    from chalicelib.images.credentials import ContentCredentials

    s = get_settings()
    return ContentCredentials(lambda: get_json_secret(s.c2pa_signer_secret), public_base_url=s.public_base_url)


@lru_cache(maxsize=1)
def upload_processor():  # type: ignore[no-untyped-def]
    # Pillow, c2pa and the screening code load only in the upload handler, never in the API path.
    from chalicelib.services.uploads import UploadProcessor

    return UploadProcessor(PostRepository(), UserRepository(), GraphRepository(), FeedRepository(),
                           storage(), get_settings())


# -- community: discovery, tags, messages, jobs (chalicelib/services/{discovery,tags,messages,jobs}.py)
@lru_cache(maxsize=1)
def discovery():  # type: ignore[no-untyped-def]
    from chalicelib.adapters.social_store import DiscoveryRepository
    from chalicelib.services.discovery import DiscoveryService

    return DiscoveryService(DiscoveryRepository(), PostRepository(), get_settings(), lambda: keyring().cursor_key())


@lru_cache(maxsize=1)
def tags():  # type: ignore[no-untyped-def]
    from chalicelib.adapters.social_store import DiscoveryRepository
    from chalicelib.services.tags import TagService

    return TagService(DiscoveryRepository(), PostRepository(), get_settings(), lambda: keyring().cursor_key())


@lru_cache(maxsize=1)
def messages():  # type: ignore[no-untyped-def]
    from chalicelib.adapters.social_store import MessageRepository
    from chalicelib.services.messages import MessageService

    return MessageService(MessageRepository(), UserRepository(), get_settings(), lambda: keyring().cursor_key())


@lru_cache(maxsize=1)
def jobs():  # type: ignore[no-untyped-def]
    from chalicelib.adapters.social_store import JobRepository
    from chalicelib.services.jobs import JobService

    return JobService(JobRepository(), get_settings(), lambda: keyring().cursor_key())

# -- community (profiles, collections, interactions, blocks, notifications) -----------------
@lru_cache(maxsize=1)
def notifications():  # type: ignore[no-untyped-def]
    from chalicelib.adapters.community_store import NotificationRepository, RelationRepository
    from chalicelib.services.notifications import NotificationService

    return NotificationService(NotificationRepository(), RelationRepository(), get_settings(),
                               lambda: keyring().cursor_key())


@lru_cache(maxsize=1)
def profiles():  # type: ignore[no-untyped-def]
    from chalicelib.adapters.community_store import ProfileRepository
    from chalicelib.services.profiles import ProfileService

    return ProfileService(UserRepository(), ProfileRepository(), PostRepository(), media=profile_media())


@lru_cache(maxsize=1)
def profile_media():  # type: ignore[no-untyped-def]
    from chalicelib.adapters.profile_media_store import ProfileMediaRepository
    from chalicelib.services.profile_media import ProfileMediaService

    return ProfileMediaService(ProfileMediaRepository(), PostRepository(), storage(), get_settings(),
                               posts()._image_spec)


@lru_cache(maxsize=1)
def collections():  # type: ignore[no-untyped-def]
    from chalicelib.adapters.community_store import CollectionRepository, RelationRepository
    from chalicelib.services.collections import CollectionService

    return CollectionService(CollectionRepository(), PostRepository(), UserRepository(), RelationRepository(),
                             get_settings(), lambda: keyring().cursor_key())


@lru_cache(maxsize=1)
def interactions():  # type: ignore[no-untyped-def]
    from chalicelib.adapters.community_aws import EventQueue
    from chalicelib.adapters.community_store import (
        FeedEntryRepository, InteractionRepository, RelationRepository,
    )
    from chalicelib.services.interactions import InteractionService

    s = get_settings()
    return InteractionService(PostRepository(), UserRepository(), GraphRepository(), InteractionRepository(),
                              RelationRepository(), FeedEntryRepository(), EventQueue(s.upload_queue_name),
                              notifications().notify, s, lambda: keyring().cursor_key())


@lru_cache(maxsize=1)
def relations():  # type: ignore[no-untyped-def]
    from chalicelib.adapters.community_store import RelationRepository
    from chalicelib.services.interactions import RelationService

    return RelationService(UserRepository(), RelationRepository())


@lru_cache(maxsize=1)
def erasure():  # type: ignore[no-untyped-def]
    """Account erasure: DELETE /v1/me and the `erase_account` job (chalicelib/services/erasure.py)."""
    from chalicelib.adapters.community_aws import CdnInvalidator, EventQueue, MediaCleaner
    from chalicelib.adapters.erasure_store import ErasureRepository
    from chalicelib.services.erasure import ErasureService

    s = get_settings()
    return ErasureService(ErasureRepository(), accounts(), EventQueue(s.upload_queue_name),
                          MediaCleaner(s.uploads_bucket, s.media_bucket), CdnInvalidator(s.cdn_distribution_id), s)


# -- portability (issue 18): imports and archives (chalicelib/services/{imports,archives}.py) -----
@lru_cache(maxsize=1)
def imports():  # type: ignore[no-untyped-def]
    from chalicelib.adapters.portability_store import ArchiveObjects, PortabilityRepository, TaskQueue
    from chalicelib.services.imports import ImportService

    s = get_settings()
    return ImportService(PortabilityRepository(), ArchiveObjects(s.uploads_bucket), TaskQueue(s.upload_queue_name),
                         s, lambda: keyring().cursor_key())


@lru_cache(maxsize=1)
def archives():  # type: ignore[no-untyped-def]
    from chalicelib.adapters.portability_store import ArchiveObjects, PortabilityRepository, TaskQueue
    from chalicelib.services.archives import ArchiveService

    s = get_settings()
    return ArchiveService(PortabilityRepository(), ArchiveObjects(s.uploads_bucket), TaskQueue(s.upload_queue_name),
                          s, mail=mail)
