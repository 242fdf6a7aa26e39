"""Create a stage's resources on the embedded AWS endpoint from `infra/resources.py`.

Idempotent: running it twice changes nothing. Never packaged (lives outside chalicelib/).
"""
from __future__ import annotations

import json
import os
import secrets
import sys
import uuid
from email.utils import parseaddr
from typing import Any, Callable

import boto3
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chalicelib.config import DEFAULT_MAIL_SENDER  # a constant only: settings are not read here
from infra import resources as R


def _client(service: str, endpoint: str, region: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=region,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def new_signing_key() -> dict[str, str]:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return {"kid": uuid.uuid4().hex[:16], "private_pem": pem}


def new_keyring() -> dict[str, Any]:
    return {"current": new_signing_key(), "previous": [], "cursor_key": secrets.token_hex(32)}


def create_table(ddb: Any, spec: R.TableSpec, stage: str) -> str:
    name = spec.name(stage)
    params: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": a.name, "AttributeType": a.type}
                                 for a in spec.attribute_definitions],
        "KeySchema": [{"AttributeName": spec.hash_key.name, "KeyType": "HASH"},
                      {"AttributeName": spec.range_key.name, "KeyType": "RANGE"}],
    }
    if spec.indexes:
        params["GlobalSecondaryIndexes"] = [{
            "IndexName": ix.name,
            "KeySchema": [{"AttributeName": ix.hash_key.name, "KeyType": "HASH"},
                          {"AttributeName": ix.range_key.name, "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": ix.projection},
        } for ix in spec.indexes]
    if spec.stream_view_type:
        params["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": spec.stream_view_type}
    try:
        ddb.create_table(**params)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceInUseException":
            raise
    if spec.ttl_attribute:
        ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": spec.ttl_attribute})
    return name



def _create_secret(sm: Any, spec: Any, stage: str, make_value: Callable[[], Any]) -> str:
    """Create the stage's secret once (a re-run keeps the existing value); returns its name."""
    name = spec.name(stage)
    try:
        sm.create_secret(Name=name, Description=spec.description, SecretString=json.dumps(make_value()))
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceExistsException":
            raise
    return name

def bootstrap(endpoint: str, stage: str = "dev", region: str = "us-east-1") -> dict[str, str]:
    """Create everything; returns the environment the API and worker need."""
    ddb = _client("dynamodb", endpoint, region)
    s3 = _client("s3", endpoint, region)
    sqs = _client("sqs", endpoint, region)
    sm = _client("secretsmanager", endpoint, region)

    env: dict[str, str] = {}
    for table in R.TABLES:
        env["TABLE_NAME"] = create_table(ddb, table, stage)

    queue_urls: dict[str, str] = {}
    queue_arns: dict[str, str] = {}
    for q in R.QUEUES:  # DLQ first: the main queue's redrive policy points at it
        attrs = {"VisibilityTimeout": str(q.visibility_timeout_s),
                 "MessageRetentionPeriod": str(q.retention_s)}
        if q.dlq_logical_id:
            attrs["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": queue_arns[q.dlq_logical_id],
                                                 "maxReceiveCount": q.max_receive_count})
        url = sqs.create_queue(QueueName=q.name(stage), Attributes=attrs)["QueueUrl"]
        queue_urls[q.logical_id] = url
        queue_arns[q.logical_id] = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    env["UPLOAD_QUEUE_URL"] = queue_urls[R.UPLOAD_QUEUE.logical_id]
    env["UPLOAD_DLQ_URL"] = queue_urls[R.UPLOAD_DLQ.logical_id]

    for b in R.BUCKETS:
        name = b.name(stage)
        try:
            s3.create_bucket(Bucket=name)
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                raise
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True,
            "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
        if b.lifecycle:
            rules = []
            for rule in b.lifecycle:
                r: dict[str, Any] = {"ID": rule["id"], "Status": "Enabled",
                                     "Filter": {"Prefix": rule["prefix"]}}
                if "expiration_days" in rule:
                    r["Expiration"] = {"Days": rule["expiration_days"]}
                if "abort_incomplete_multipart_days" in rule:
                    r["AbortIncompleteMultipartUpload"] = {
                        "DaysAfterInitiation": rule["abort_incomplete_multipart_days"]}
                rules.append(r)
            s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
        if b.browser_uploads:
            s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [R.UPLOAD_CORS]})
        if b.notify_queue:
            s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration={
                "QueueConfigurations": [{
                    "QueueArn": queue_arns[b.notify_queue],
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": b.notify_prefix}]}},
                }]})
    env["UPLOADS_BUCKET"] = R.UPLOADS_BUCKET.name(stage)
    env["MEDIA_BUCKET"] = R.MEDIA_BUCKET.name(stage)

    env["SIGNING_KEYS_SECRET"] = _create_secret(sm, R.SIGNING_KEYS_SECRET, stage, new_keyring)

    # Content Credentials: a test chain made here (production: a C2PA-trusted certificate).
    from chalicelib.images.credentials import new_test_chain

    env["C2PA_SIGNER_SECRET"] = _create_secret(sm, R.C2PA_SIGNER_SECRET, stage, new_test_chain)

    # SES refuses to send from an unverified identity (moto too): verify the sender.
    sender = os.environ.get("MAIL_SENDER") or DEFAULT_MAIL_SENDER
    _client("ses", endpoint, region).verify_email_identity(EmailAddress=parseaddr(sender)[1])
    env["MAIL_SENDER"] = sender
    return env


if __name__ == "__main__":
    print(json.dumps(bootstrap(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "dev"), indent=2))
