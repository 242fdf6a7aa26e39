"""The one definition of Easel's stateful resources.

Both the CDK app (``infra/app.py``) and the local bootstrap (``local/bootstrap.py``)
build from these specs, so the local moto schema and the deployed schema cannot drift.
Plain data only: no AWS SDK imports here.
"""
from __future__ import annotations

from dataclasses import dataclass, field

STAGES = ("dev", "staging", "prod")


@dataclass(frozen=True)
class KeyAttr:
    name: str
    type: str = "S"


@dataclass(frozen=True)
class IndexSpec:
    name: str
    hash_key: KeyAttr
    range_key: KeyAttr
    projection: str = "KEYS_ONLY"  # KEYS_ONLY keeps counter updates from writing the index


@dataclass(frozen=True)
class TableSpec:
    logical_id: str
    name_template: str
    hash_key: KeyAttr
    range_key: KeyAttr
    indexes: tuple[IndexSpec, ...] = ()
    ttl_attribute: str | None = None
    stream_view_type: str | None = None  # streams only where used: none yet

    def name(self, stage: str) -> str:
        return self.name_template.format(stage=stage)

    @property
    def attribute_definitions(self) -> list[KeyAttr]:
        seen: dict[str, KeyAttr] = {}
        for attr in (self.hash_key, self.range_key):
            seen[attr.name] = attr
        for index in self.indexes:
            seen[index.hash_key.name] = index.hash_key
            seen[index.range_key.name] = index.range_key
        return list(seen.values())


@dataclass(frozen=True)
class QueueSpec:
    logical_id: str
    name_template: str
    visibility_timeout_s: int
    retention_s: int
    dlq_logical_id: str | None = None
    max_receive_count: int = 5

    def name(self, stage: str) -> str:
        return self.name_template.format(stage=stage)


@dataclass(frozen=True)
class BucketSpec:
    logical_id: str
    name_template: str
    # Object-created notifications for keys under this prefix go to notify_queue.
    notify_prefix: str | None = None
    notify_queue: str | None = None
    lifecycle: tuple[dict, ...] = field(default_factory=tuple)
    # Browsers POST uploads straight to the bucket (presigned POST): CORS for POST from any
    # origin. The signed POST policy, not the origin, is what admits an upload.
    browser_uploads: bool = False

    def name(self, stage: str) -> str:
        return self.name_template.format(stage=stage)


# CORS for browser uploads (the web app's XHR POST with upload progress needs a preflight).
UPLOAD_CORS = {"AllowedMethods": ["POST"], "AllowedOrigins": ["*"], "AllowedHeaders": ["*"],
               "ExposeHeaders": ["ETag", "Location"], "MaxAgeSeconds": 3600}


@dataclass(frozen=True)
class SecretSpec:
    logical_id: str
    name_template: str
    description: str

    def name(self, stage: str) -> str:
        return self.name_template.format(stage=stage)


# Key layout lives in chalicelib/adapters/keys.py; this is the physical schema.
APP_TABLE = TableSpec(
    logical_id="AppTable",
    name_template="easel-{stage}",
    hash_key=KeyAttr("pk"),
    range_key=KeyAttr("sk"),
    indexes=(IndexSpec("gsi1", KeyAttr("gsi1pk"), KeyAttr("gsi1sk")),),
    ttl_attribute="expires_at",
)

UPLOAD_DLQ = QueueSpec(
    logical_id="UploadDeadLetterQueue",
    name_template="easel-{stage}-uploads-dlq",
    visibility_timeout_s=60,
    retention_s=14 * 24 * 3600,
)
UPLOAD_QUEUE = QueueSpec(
    logical_id="UploadQueue",
    name_template="easel-{stage}-uploads",
    # Six times the screening function's timeout (AWS guidance for SQS event sources).
    visibility_timeout_s=6 * 60,
    retention_s=4 * 24 * 3600,
    dlq_logical_id=UPLOAD_DLQ.logical_id,
    max_receive_count=5,
)

UPLOAD_PREFIX = "uploads/"
REJECTED_PREFIX = "rejected/"  # rejected originals are moved here; expire after the appeal window
EXPORT_PREFIX = "exports/"  # downloadable archives (chalicelib/services/archives.py), expire after 8 days
APPEAL_WINDOW_DAYS = 30

UPLOADS_BUCKET = BucketSpec(
    logical_id="UploadsBucket",
    name_template="easel-{stage}-uploads",
    notify_prefix=UPLOAD_PREFIX,
    notify_queue=UPLOAD_QUEUE.logical_id,
    browser_uploads=True,
    lifecycle=(
        {"id": "expire-rejected-originals", "prefix": REJECTED_PREFIX,
         "expiration_days": APPEAL_WINDOW_DAYS},
        {"id": "abort-incomplete-multipart", "prefix": "", "abort_incomplete_multipart_days": 1},
        # Downloadable archives (docs/portability.md): the link lives 7 days, the object 8.
        {"id": "expire-exported-archives", "prefix": "exports/", "expiration_days": 8},
    ),
)
MEDIA_BUCKET = BucketSpec(logical_id="MediaBucket", name_template="easel-{stage}-media")

SIGNING_KEYS_SECRET = SecretSpec(
    logical_id="SigningKeysSecret",
    name_template="easel/{stage}/signing-keys",
    description="Ed25519 token signing keys (current and previous) and the cursor MAC key",
)

VENDOR_KEY_SECRET = SecretSpec(
    logical_id="ScreeningVendorSecret",
    name_template="easel/{stage}/screening-vendor",
    description='AI-detection vendor key, {"api_key": "..."}: read by the upload handler only',
)

C2PA_SIGNER_SECRET = SecretSpec(
    logical_id="C2paSignerSecret",
    name_template="easel/{stage}/c2pa-signer",
    description="C2PA signing key and certificate chain for Content Credentials on published images",
)

TABLES = (APP_TABLE,)
QUEUES = (UPLOAD_DLQ, UPLOAD_QUEUE)
BUCKETS = (UPLOADS_BUCKET, MEDIA_BUCKET)
SECRETS = (SIGNING_KEYS_SECRET, VENDOR_KEY_SECRET)
