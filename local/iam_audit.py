"""IAM audit: every AWS call a function makes, checked against the policy its deployed role
carries in the synthesized template.

moto does not enforce IAM unless asked (`INITIAL_NO_AUTH_ACTION_COUNT`), and even then it
checks resources only for S3 (every other service is authorised against "*"), is global to
the server (the tests' own scaffolding would need credentials too), and knows nothing of
presigned POSTs. So instead:

- `install()` adds a botocore handler (`before-parameter-build`, the same mechanism as the
  meter in chalicelib/metering) that records, for every call made inside a metered
  invocation, which function made it (the invocation's feature: a route is the API
  function, `handle_uploads` the upload handler, ...), the operation and its parameters.
  Calls outside an invocation (test scaffolding, the bootstrap) are not recorded.
- `required()` turns a call into the IAM actions and resource ARNs AWS would authorise,
  with local names mapped to the deployed ones (bucket names carry the account id).
- `PolicySet.from_template()` resolves each function's role policies in a synthesized
  template (Ref / Fn::GetAtt / Fn::Join / Fn::Sub over the template's own resources) and
  `PolicySet.allows()` evaluates Allow/Deny statements with IAM's wildcard matching.

tests/conftest.py checks every test module's calls when the module ends; a call without a
permission fails that module. Local only: never packaged with the Lambda code.
"""
from __future__ import annotations

import fnmatch
import json
import os
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Iterable
from urllib.parse import urlparse

ACCOUNT = "111111111111"  # infra/stages.py SYNTH_ACCOUNT
REGION = "us-east-1"
PARTITION = "aws"

# Feature name of a metered invocation -> logical id of the function in the template.
EVENT_FUNCTIONS = {"handle_uploads": "HandleUploads", "cost_guard": "CostGuard",
                   "budget_alarm": "BudgetAlarm", "build_discovery": "BuildDiscovery"}
HTTP_METHODS = ("GET ", "POST ", "PUT ", "PATCH ", "DELETE ", "HEAD ", "OPTIONS ")

_calls: list["Call"] = []
_lock = threading.Lock()
_installed = False


@dataclass(frozen=True)
class Call:
    function: str
    service: str
    operation: str
    params: dict = field(hash=False, compare=False)
    feature: str = ""


def function_of(feature: str) -> str | None:
    if feature.startswith(HTTP_METHODS):
        return "APIHandler"
    return EVENT_FUNCTIONS.get(feature)


def _resource_params(params: dict) -> dict:
    """Only what names a resource (no bodies, no item data)."""
    keep = ("TableName", "IndexName", "Bucket", "Key", "VersionId", "CopySource", "QueueUrl", "QueueName",
            "SecretId", "Name", "TopicArn", "DistributionId", "Source", "ConfigurationSetName")
    out = {k: params[k] for k in keep if k in params}
    if "RequestItems" in params:
        out["RequestItems"] = list(params["RequestItems"])
    if "TransactItems" in params:
        out["TransactItems"] = [{kind: {"TableName": body.get("TableName")} for kind, body in item.items()}
                                for item in params["TransactItems"]]
    if isinstance(params.get("Delete"), dict) and "Objects" in params["Delete"]:
        out["Keys"] = [o.get("Key") for o in params["Delete"]["Objects"]]
    if "Source" not in out and "RawMessage" in params:
        out["Source"] = "raw"
    return out


def _record(params: dict, model: Any, context: dict, **_: Any) -> None:
    try:
        from chalicelib import metering

        inv = metering.current()
        if inv is None:
            return
        fn = function_of(inv.feature) or f"unknown:{inv.feature}"
        op = model.name
        if op == "CreateBucket" and isinstance(context, dict) and context.get("is_presign_request"):
            # botocore builds a presigned POST from the CreateBucket model (signers.py): what
            # the signature must carry is the signer's s3:PutObject on the form's key.
            op = "PresignedPost"
        call = Call(fn, model.service_model.service_name, op, _resource_params(params), inv.feature)
    except Exception:  # noqa: BLE001 - the audit must never break a call
        return
    with _lock:
        _calls.append(call)
    path = os.environ.get("EASEL_AWS_CALL_LOG")
    if path:
        with _lock, open(path, "a") as fh:
            fh.write(json.dumps({"function": call.function, "service": call.service, "operation": call.operation,
                                 "params": call.params, "feature": call.feature}, default=str) + "\n")


def install() -> None:
    """Idempotent; before the first AWS client is created."""
    global _installed
    if _installed:
        return
    from botocore import handlers

    handlers.BUILTIN_HANDLERS.append(("before-parameter-build", _record))
    _installed = True


def take() -> list[Call]:
    """The calls recorded since the last take()."""
    with _lock:
        out = list(_calls)
        _calls.clear()
    return out


def read_log(path: str) -> list[Call]:
    out = []
    if not os.path.exists(path):
        return out
    with open(path) as fh:
        for line in fh:
            d = json.loads(line)
            out.append(Call(d["function"], d["service"], d["operation"], d["params"], d.get("feature", "")))
    return out


# -- what AWS authorises for a call ---------------------------------------------------------------
@dataclass
class Names:
    """How local resource names map to the deployed ones (infra/app.py naming)."""
    stage: str = "dev"
    account: str = ACCOUNT
    mail_domain: str = "easel.example"
    cdn_distribution: str = "configured-cdn"  # CreateInvalidation targets the stage's CDN_DISTRIBUTION_ID

    def bucket(self, name: str) -> str:
        from infra import resources as R

        local = {spec.name(self.stage) for spec in R.BUCKETS}
        return f"{name}-{self.account}" if name in local else name

    def table_arn(self, name: str) -> str:
        return f"arn:{PARTITION}:dynamodb:{REGION}:{self.account}:table/{name}"

    def queue_arn(self, url_or_name: str) -> str:
        name = urlparse(url_or_name).path.rstrip("/").rsplit("/", 1)[-1] if "/" in url_or_name else url_or_name
        return f"arn:{PARTITION}:sqs:{REGION}:{self.account}:{name}"

    def secret_arn(self, name: str) -> str:
        if name.startswith("arn:"):
            name = name.split(":secret:", 1)[1].rsplit("-", 1)[0]
        return f"arn:{PARTITION}:secretsmanager:{REGION}:{self.account}:secret:{name}-AbCdEf"


_DDB_TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                 "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}


def required(call: Call, names: Names) -> list[tuple[str, str]]:
    """[(iam action, resource arn)] that must all be allowed. Unknown operations raise
    KeyError: a new kind of AWS call needs a line here (and a permission in infra/app.py)."""
    p, op, svc = call.params, call.operation, call.service
    if svc == "dynamodb":
        if op in ("BatchGetItem", "BatchWriteItem"):
            return [(f"dynamodb:{op}", names.table_arn(t)) for t in p.get("RequestItems", [])]
        if op in ("TransactWriteItems", "TransactGetItems"):
            return [(f"dynamodb:{_DDB_TRANSACT[kind]}", names.table_arn(body["TableName"]))
                    for item in p.get("TransactItems", []) for kind, body in item.items()]
        arn = names.table_arn(p["TableName"])
        if op in ("Query", "Scan") and p.get("IndexName"):
            arn = f"{arn}/index/{p['IndexName']}"
        return [(f"dynamodb:{op}", arn)]
    if svc == "s3":
        bucket = names.bucket(p.get("Bucket", ""))
        obj = f"arn:{PARTITION}:s3:::{bucket}/{p.get('Key', '')}"
        versioned = "Version" if p.get("VersionId") else ""
        if op in ("GetObject", "HeadObject"):
            return [(f"s3:GetObject{versioned}", obj)]
        if op in ("PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"):
            return [("s3:PutObject", obj)]  # IAM authorises every step of a multipart upload as PutObject
        if op == "AbortMultipartUpload":
            return [("s3:AbortMultipartUpload", obj)]
        if op == "PresignedPost":  # the key is not in the call; every upload form is under uploads/
            from infra import resources as R

            return [("s3:PutObject", f"arn:{PARTITION}:s3:::{bucket}/{R.UPLOAD_PREFIX}presigned-post")]
        if op == "DeleteObject":
            return [(f"s3:DeleteObject{versioned}", obj)]
        if op == "DeleteObjects":
            return [("s3:DeleteObject", f"arn:{PARTITION}:s3:::{bucket}/{k}") for k in p.get("Keys", [])]
        if op in ("ListObjectsV2", "ListObjects", "HeadBucket"):
            return [("s3:ListBucket", f"arn:{PARTITION}:s3:::{bucket}")]
        if op == "ListObjectVersions":
            return [("s3:ListBucketVersions", f"arn:{PARTITION}:s3:::{bucket}")]
        if op == "CopyObject":
            src = p.get("CopySource")
            if isinstance(src, str):
                src_path, _, query = src.lstrip("/").partition("?versionId=")
                sb, _, sk = src_path.partition("/")
                src_version = bool(query)
            else:
                sb, sk, src_version = src.get("Bucket", ""), src.get("Key", ""), bool(src.get("VersionId"))
            return [("s3:PutObject", obj),
                    ("s3:GetObjectVersion" if src_version else "s3:GetObject",
                     f"arn:{PARTITION}:s3:::{names.bucket(sb)}/{sk}")]
        raise KeyError(f"s3:{op}")
    if svc == "sqs":
        arn = names.queue_arn(p.get("QueueUrl") or p.get("QueueName", ""))
        action = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
                  "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}.get(op, op)
        if action not in ("SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility",
                          "GetQueueUrl", "GetQueueAttributes"):
            raise KeyError(f"sqs:{op}")
        return [(f"sqs:{action}", arn)]
    if svc == "secretsmanager":
        if op not in ("GetSecretValue", "DescribeSecret", "PutSecretValue"):
            raise KeyError(f"secretsmanager:{op}")
        return [(f"secretsmanager:{op}", names.secret_arn(p["SecretId"]))]
    if svc == "ses":
        if op not in ("SendEmail", "SendRawEmail"):
            raise KeyError(f"ses:{op}")
        return [(f"ses:{op}", f"arn:{PARTITION}:ses:{REGION}:{names.account}:identity/{names.mail_domain}")]
    if svc == "cloudfront":
        if op != "CreateInvalidation":
            raise KeyError(f"cloudfront:{op}")
        return [("cloudfront:CreateInvalidation",
                 f"arn:{PARTITION}:cloudfront::{names.account}:distribution/{names.cdn_distribution}")]
    if svc == "ssm":
        if op != "GetParameter":
            raise KeyError(f"ssm:{op}")
        return [("ssm:GetParameter", f"arn:{PARTITION}:ssm:{REGION}:{names.account}:parameter/"
                                     f"{p['Name'].lstrip('/')}")]
    if svc == "sns":
        if op != "Publish":
            raise KeyError(f"sns:{op}")
        return [("sns:Publish", f"arn:{PARTITION}:sns:{REGION}:{names.account}:{p['TopicArn'].rsplit(':', 1)[-1]}")]
    raise KeyError(f"{svc}:{op}")


# -- the synthesized policies -----------------------------------------------------------------------
class Unresolved(Exception):
    pass


class _Resolver:
    def __init__(self, template: dict, names: Names) -> None:
        self.res = template["Resources"]
        self.names = names

    def value(self, node: Any) -> Any:
        if isinstance(node, str):
            return node
        if isinstance(node, list):
            return [self.value(n) for n in node]
        if not isinstance(node, dict) or len(node) != 1:
            raise Unresolved(json.dumps(node)[:200])
        (fn, arg), = node.items()
        if fn == "Ref":
            return self.ref(arg)
        if fn == "Fn::GetAtt":
            lid, attr = arg if isinstance(arg, list) else arg.split(".", 1)
            return self.get_att(lid, attr)
        if fn == "Fn::Join":
            sep, parts = arg
            return sep.join(str(self.value(x)) for x in parts)
        if fn == "Fn::Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

            def sub(m: re.Match) -> str:
                name = m.group(1)
                if name in variables:
                    return str(self.value(variables[name]))
                if "." in name:
                    return str(self.get_att(*name.split(".", 1)))
                return str(self.ref(name))
            return re.sub(r"\$\{([^}!]+)\}", sub, text)
        raise Unresolved(fn)

    def ref(self, name: str) -> str:
        pseudo = {"AWS::Partition": PARTITION, "AWS::Region": REGION, "AWS::AccountId": self.names.account,
                  "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": f"easel-{self.names.stage}"}
        if name in pseudo:
            return pseudo[name]
        r = self.res.get(name)
        if r is None:
            raise Unresolved(name)
        t, props = r["Type"], r.get("Properties", {})
        if t == "AWS::SecretsManager::Secret":
            return self.names.secret_arn(self.value(props["Name"]))
        if t == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{self.names.account}/{self.value(props['QueueName'])}"
        if t == "AWS::SNS::Topic":
            return f"arn:{PARTITION}:sns:{REGION}:{self.names.account}:{self.value(props['TopicName'])}"
        if t == "AWS::CloudFront::Distribution":
            return f"dist-{name}"
        if t in ("AWS::S3::Bucket",):
            return self.value(props["BucketName"])
        if t in ("AWS::DynamoDB::Table",):
            return self.value(props["TableName"])
        if t == "AWS::SES::ConfigurationSet":
            return self.value(props["Name"])
        if t == "AWS::SSM::Parameter":
            return self.value(props["Name"])
        return f"ref-{name}"

    def get_att(self, lid: str, attr: str) -> str:
        r = self.res.get(lid)
        if r is None:
            raise Unresolved(lid)
        t = r["Type"]
        if attr == "Arn":
            if t == "AWS::DynamoDB::Table":
                return self.names.table_arn(self.ref(lid))
            if t == "AWS::S3::Bucket":
                return f"arn:{PARTITION}:s3:::{self.ref(lid)}"
            if t == "AWS::SQS::Queue":
                return self.names.queue_arn(self.ref(lid))
            if t == "AWS::IAM::Role":
                return f"arn:{PARTITION}:iam::{self.names.account}:role/{lid}"
        if t == "AWS::CloudFront::Distribution" and attr == "DomainName":
            return f"{lid}.cloudfront.net"
        if t == "AWS::SQS::Queue" and attr == "QueueName":
            return self.value(r["Properties"]["QueueName"])
        return f"att-{lid}-{attr}"


def _match(pattern: str, value: str) -> bool:
    """IAM wildcards: * any run (including ':' and '/'), ? one character. Case-sensitive
    for resources, case-insensitive for actions (the caller lowers them)."""
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


@dataclass
class Statement:
    effect: str
    actions: list[str]
    resources: list[str]


@dataclass
class PolicySet:
    by_function: dict[str, list[Statement]]
    names: Names

    @classmethod
    def from_template(cls, template: dict, functions: Iterable[str], names: Names) -> "PolicySet":
        res = template["Resources"]
        resolver = _Resolver(template, names)
        out: dict[str, list[Statement]] = {}
        for fn in functions:
            role_node = res[fn]["Properties"].get("Role")
            role_lid = _role_logical_id(role_node)
            docs = []
            if role_lid:
                role = res[role_lid]["Properties"]
                docs += [p["PolicyDocument"] for p in role.get("Policies", [])]
                for lid, r in res.items():
                    if r["Type"] == "AWS::IAM::Policy" and any(
                            _role_logical_id(x) == role_lid for x in r["Properties"].get("Roles", [])):
                        docs.append(r["Properties"]["PolicyDocument"])
            statements = []
            for doc in docs:
                for s in doc["Statement"]:
                    acts = s.get("Action", [])
                    rs = s.get("Resource", [])
                    acts = acts if isinstance(acts, list) else [acts]
                    rs = rs if isinstance(rs, list) else [rs]
                    resolved = []
                    for r in rs:
                        try:
                            resolved.append(str(resolver.value(r)))
                        except Unresolved:
                            resolved.append("<unresolved>")
                    statements.append(Statement(s["Effect"], [a.lower() for a in acts], resolved))
            out[fn] = statements
        return cls(out, names)

    def allows(self, function: str, action: str, resource: str) -> bool:
        statements = self.by_function.get(function, [])
        hits = [s for s in statements if any(_match(a, action.lower()) for a in s.actions)
                and any(_match(r, resource) for r in s.resources)]
        return any(s.effect == "Allow" for s in hits) and not any(s.effect == "Deny" for s in hits)

    def violations(self, calls: Iterable[Call]) -> list[str]:
        out: set[str] = set()
        for call in calls:
            if call.function not in self.by_function:
                out.add(f"{call.feature}: no deployed function runs this ({call.service}:{call.operation})")
                continue
            if _local_only(call):
                continue
            try:
                needs = required(call, self.names)
            except KeyError as exc:
                out.add(f"{call.function} ({call.feature}): {exc.args[0]} {call.params} has no IAM mapping in local/iam_audit.py (add one, "
                        "and the permission in infra/app.py)")
                continue
            for action, resource in needs:
                if not self.allows(call.function, action, resource):
                    out.add(f"{call.function} ({call.feature}): {action} on {resource} is not allowed by its role")
        return sorted(out)


def _local_only(call: Call) -> bool:
    """Calls only the local platform makes: the mailer's archive of sent mail (the local
    /dev/outbox reads it; MAIL_ARCHIVE_BUCKET is never set in a stack)."""
    return call.service == "s3" and str(call.params.get("Key", "")).startswith("dev-outbox/")


def _role_logical_id(node: Any) -> str | None:
    if isinstance(node, dict):
        if "Ref" in node:
            return node["Ref"]
        if "Fn::GetAtt" in node:
            arg = node["Fn::GetAtt"]
            return arg[0] if isinstance(arg, list) else arg.split(".")[0]
    return None


def function_environment(template: dict, function: str) -> dict:
    return template["Resources"][function]["Properties"].get("Environment", {}).get("Variables", {})


def policies_for(template: dict, stage: str = "dev") -> PolicySet:
    from infra import stages as S

    functions = [lid for lid, r in template["Resources"].items()
                 if r["Type"] == "AWS::Serverless::Function"]
    names = Names(stage=stage, mail_domain=S.get(stage).mail_from_domain)
    resolver = _Resolver(template, names)
    for fn in functions:
        cdn = function_environment(template, fn).get("CDN_DISTRIBUTION_ID")
        if cdn is not None:
            try:
                names.cdn_distribution = str(resolver.value(cdn))
            except Unresolved:
                pass
    return PolicySet.from_template(template, functions, names)
