"""IAM in the synthesized templates: one role per function, each with only what it needs, and
the audit (local/iam_audit.py) that checks every AWS call the functional and e2e tests make
against these policies (tests/conftest.py, tests/e2e/conftest.py)."""
from __future__ import annotations

import json

import pytest

from infra import resources as R
from local import iam_audit
from local.iam_audit import Call

FUNCTIONS = ("APIHandler", "HandleUploads", "BuildDiscovery", "CostGuard", "BudgetAlarm")
stages = pytest.mark.parametrize("stage", R.STAGES)


def _policies(templates: dict, stage: str) -> iam_audit.PolicySet:
    return iam_audit.policies_for(templates[stage], stage)


@stages
def test_one_role_per_function_and_no_shared_default_role(templates: dict, stage: str) -> None:
    res = templates[stage]["Resources"]
    assert "DefaultRole" not in res
    roles = [res[fn]["Properties"]["Role"] for fn in FUNCTIONS]
    assert len({json.dumps(r, sort_keys=True) for r in roles}) == len(FUNCTIONS), roles


@stages
def test_only_the_api_reads_the_signing_keys_and_only_the_upload_handler_the_vendor_key(
        templates: dict, stage: str) -> None:
    ps = _policies(templates, stage)
    names = ps.names
    signing = names.secret_arn(R.SIGNING_KEYS_SECRET.name(stage))
    vendor = names.secret_arn(R.VENDOR_KEY_SECRET.name(stage))
    readers = {fn for fn in FUNCTIONS if ps.allows(fn, "secretsmanager:GetSecretValue", signing)}
    assert readers == {"APIHandler"}
    assert {fn for fn in FUNCTIONS if ps.allows(fn, "secretsmanager:GetSecretValue", vendor)} == {"HandleUploads"}


@stages
def test_queues_and_buckets_are_scoped_to_the_stage(templates: dict, stage: str) -> None:
    ps = _policies(templates, stage)
    other = "prod" if stage != "prod" else "dev"
    for fn in FUNCTIONS:
        for action in ("sqs:SendMessage", "sqs:ReceiveMessage"):
            assert not ps.allows(fn, action, f"arn:aws:sqs:us-east-1:111111111111:easel-{other}-uploads")
        assert not ps.allows(fn, "s3:GetObject", f"arn:aws:s3:::easel-{other}-uploads-111111111111/uploads/x")
    # Nothing but X-Ray may be granted on every resource.
    for fn, statements in ps.by_function.items():
        for s in statements:
            if "*" in s.resources:
                assert all(a.startswith("xray:") for a in s.actions), (fn, s)


@stages
def test_what_the_review_found_missing_is_granted(templates: dict, stage: str) -> None:
    ps = _policies(templates, stage)
    queue = f"arn:aws:sqs:us-east-1:111111111111:easel-{stage}-uploads"
    media = f"arn:aws:s3:::easel-{stage}-media-111111111111"
    for fn in ("APIHandler", "HandleUploads"):
        assert ps.allows(fn, "sqs:SendMessage", queue) and ps.allows(fn, "sqs:GetQueueUrl", queue)
        assert ps.allows(fn, "s3:ListBucket", media)
        assert ps.allows(fn, "cloudfront:CreateInvalidation",
                         f"arn:aws:cloudfront::111111111111:distribution/{ps.names.cdn_distribution}")
    # The upload form is signed with the API's role: S3 checks PutObject against it.
    assert ps.allows("APIHandler", "s3:PutObject", f"arn:aws:s3:::easel-{stage}-uploads-111111111111/uploads/a/b/0")
    assert not ps.allows("BuildDiscovery", "s3:PutObject", f"{media}/p/x")


@stages
def test_every_function_knows_its_public_origin_and_cdn(templates: dict, stage: str) -> None:
    res = templates[stage]["Resources"]
    for fn in FUNCTIONS:
        env = iam_audit.function_environment(templates[stage], fn)
        assert env["PUBLIC_BASE_URL"].startswith("https://") and "127.0.0.1" not in env["PUBLIC_BASE_URL"]
        cdn = env["CDN_DISTRIBUTION_ID"]
        assert res[cdn["Ref"]]["Type"] == "AWS::CloudFront::Distribution"
        assert env["SCREENING_VENDOR_REQUIRED"] == "true"
    assert "HIVE_API_KEY_SECRET" in iam_audit.function_environment(templates[stage], "HandleUploads")
    assert "HIVE_API_KEY_SECRET" not in iam_audit.function_environment(templates[stage], "APIHandler")


# -- the audit itself: it must be able to fail ---------------------------------------------------
def test_audit_flags_a_call_the_role_does_not_allow(templates: dict) -> None:
    ps = _policies(templates, "dev")
    ok = Call("APIHandler", "sqs", "SendMessage",
              {"QueueUrl": "http://127.0.0.1:5000/123456789012/easel-dev-uploads"}, "DELETE /v1/me")
    refused = [
        Call("BuildDiscovery", "sqs", "SendMessage", {"QueueUrl": "http://x/1/easel-dev-uploads"}, "build_discovery"),
        Call("HandleUploads", "secretsmanager", "GetSecretValue", {"SecretId": "easel/dev/signing-keys"},
             "handle_uploads"),
        Call("APIHandler", "s3", "DeleteObject", {"Bucket": "someone-elses-bucket", "Key": "k"}, "DELETE /v1/me"),
        Call("APIHandler", "dynamodb", "Scan", {"TableName": "easel-dev"}, "GET /v1/discover"),
    ]
    assert ps.violations([ok]) == []
    problems = ps.violations(refused)
    assert len(problems) == len(refused), problems


def test_audit_flags_operations_it_cannot_map_and_functions_that_do_not_exist(templates: dict) -> None:
    ps = _policies(templates, "dev")
    problems = ps.violations([Call("APIHandler", "kinesis", "PutRecord", {}, "POST /v1/x"),
                              Call("unknown:mystery", "dynamodb", "GetItem", {"TableName": "easel-dev"}, "mystery")])
    assert len(problems) == 2, problems
    assert any("no IAM mapping" in p for p in problems) and any("no deployed function" in p for p in problems)


def test_audit_maps_transactions_copies_versions_and_presigned_posts() -> None:
    names = iam_audit.Names(stage="dev")
    tx = Call("APIHandler", "dynamodb", "TransactWriteItems",
              {"TransactItems": [{"Put": {"TableName": "easel-dev"}}, {"ConditionCheck": {"TableName": "easel-dev"}}]})
    assert [a for a, _ in iam_audit.required(tx, names)] == ["dynamodb:PutItem", "dynamodb:ConditionCheckItem"]
    copy = Call("HandleUploads", "s3", "CopyObject", {
        "Bucket": "easel-dev-uploads", "Key": "screened/a",
        "CopySource": {"Bucket": "easel-dev-uploads", "Key": "uploads/a", "VersionId": "v1"}})
    assert iam_audit.required(copy, names) == [
        ("s3:PutObject", "arn:aws:s3:::easel-dev-uploads-111111111111/screened/a"),
        ("s3:GetObjectVersion", "arn:aws:s3:::easel-dev-uploads-111111111111/uploads/a")]
    post = Call("APIHandler", "s3", "PresignedPost", {"Bucket": "easel-dev-uploads"})
    assert iam_audit.required(post, names)[0][0] == "s3:PutObject"
