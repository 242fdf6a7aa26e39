"""S3: presigned uploads, reading originals, writing derivatives. The only S3 code."""
from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters.aws import THROTTLING_CODES, client, error_code
from chalicelib.errors import NotFound, Unavailable

MEDIA_CACHE_CONTROL = "public, max-age=31536000, immutable"


class ObjectTooLarge(Exception):
    pass


def _translate(exc: Exception) -> Exception:
    code = error_code(exc)
    if code in {"NoSuchKey", "404", "NotFound"}:
        return NotFound("The object does not exist.")
    if code in THROTTLING_CODES or isinstance(exc, BotoCoreError):
        return Unavailable()
    return exc


class Storage:
    def __init__(self, uploads_bucket: str, media_bucket: str) -> None:
        self.uploads_bucket = uploads_bucket
        self.media_bucket = media_bucket

    def presign_upload(self, key: str, content_type: str, max_length: int, ttl_s: int) -> dict[str, Any]:
        """A POST policy that admits exactly this key, this type and at most max_length bytes.
        (moto does not enforce POST policies; the upload handler re-checks everything.)"""
        return client("s3").generate_presigned_post(
            Bucket=self.uploads_bucket, Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_length]],
            ExpiresIn=ttl_s,
        )

    def read_upload(self, key: str, max_bytes: int) -> bytes:
        """Reads at most max_bytes+1 so an oversize object is detected without reading it all."""
        try:
            resp = client("s3").get_object(Bucket=self.uploads_bucket, Key=key, Range=f"bytes=0-{max_bytes}")
            data = resp["Body"].read()
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc) from exc
        if len(data) > max_bytes:
            raise ObjectTooLarge(key)
        return data

    def move_upload(self, key: str, new_key: str) -> None:
        s3 = client("s3")
        try:
            s3.copy_object(Bucket=self.uploads_bucket, Key=new_key,
                           CopySource={"Bucket": self.uploads_bucket, "Key": key})
            s3.delete_object(Bucket=self.uploads_bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            err = _translate(exc)
            if isinstance(err, NotFound):  # already moved by an earlier delivery
                return
            raise err from exc

    def put_media(self, key: str, data: bytes, content_type: str) -> None:
        try:
            client("s3").put_object(Bucket=self.media_bucket, Key=key, Body=data, ContentType=content_type,
                                    CacheControl=MEDIA_CACHE_CONTROL)
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc) from exc

    def get_media(self, key: str) -> tuple[bytes, str]:
        try:
            resp = client("s3").get_object(Bucket=self.media_bucket, Key=key)
            return resp["Body"].read(), resp.get("ContentType", "application/octet-stream")
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc) from exc

    # -- moderation: short-lived views of originals, and deletion of a removed post's media --------
    def presign_original_get(self, key: str, ttl_s: int = 300) -> str:
        return client("s3").generate_presigned_url("get_object", Params={"Bucket": self.uploads_bucket, "Key": key},
                                                   ExpiresIn=ttl_s)

    def delete_objects(self, bucket: str, keys: list[str]) -> None:
        """Idempotent: deleting a missing key is not an error in S3."""
        s3 = client("s3")
        for start in range(0, len(keys), 1000):
            chunk = keys[start:start + 1000]
            if not chunk:
                continue
            try:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True})
            except (ClientError, BotoCoreError) as exc:
                raise _translate(exc) from exc
