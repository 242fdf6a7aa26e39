"""Secrets Manager rotation for the token signing key ring (the four-step protocol).

The secret holds {"current": {kid, private_pem}, "previous": [...], "cursor_key": hex}.
Rotation makes a new Ed25519 key current and keeps the old one in "previous" (last 2), so
access tokens signed before the rotation keep verifying until they expire (<= 15 min); the
API re-reads the secret every 5 minutes (chalicelib/adapters/secrets.py).
Runs with the api layer (cryptography); boto3 comes with the Lambda runtime.
"""
from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

KEEP_PREVIOUS = 2
sm = boto3.client("secretsmanager")


def new_key() -> dict[str, str]:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    return {"kid": uuid.uuid4().hex[:16], "private_pem": pem}


def rotated(ring: dict[str, Any]) -> dict[str, Any]:
    if "current" not in ring:  # never initialised: start a ring (cursor key must then be set once)
        raise ValueError("signing key ring is not initialised: run `python -m infra.keys init`")
    previous = [ring["current"], *ring.get("previous", [])][:KEEP_PREVIOUS]
    return {**ring, "current": new_key(), "previous": previous}


def handler(event: dict[str, Any], _context: object) -> None:
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    meta = sm.describe_secret(SecretId=arn)
    versions = meta.get("VersionIdsToStages", {})
    if token not in versions:
        raise ValueError("rotation token is not a version of this secret")
    if "AWSCURRENT" in versions[token]:
        return  # already finished
    if step == "createSecret":
        try:
            sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        except sm.exceptions.ResourceNotFoundException:
            ring = json.loads(sm.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"])
            sm.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString=json.dumps(rotated(ring)),
                                VersionStages=["AWSPENDING"])
    elif step == "setSecret":
        return  # nothing external holds the key
    elif step == "testSecret":
        ring = json.loads(sm.get_secret_value(SecretId=arn, VersionId=token,
                                              VersionStage="AWSPENDING")["SecretString"])
        serialization.load_pem_private_key(ring["current"]["private_pem"].encode(), password=None)
    elif step == "finishSecret":
        current = next(v for v, stages in versions.items() if "AWSCURRENT" in stages)
        sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token,
                                       RemoveFromVersionId=current)
    else:
        raise ValueError(f"unknown rotation step {step!r}")
