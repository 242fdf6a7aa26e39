"""The synthesized CloudFormation for every stage: built once per session, offline, then
asserted resource by resource, linted with cfn-lint, and the CI workflows validated."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra import resources as R
from infra import stages as S
from infra.app import ALL_FUNCTIONS

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))

# cfn-lint findings we accept, each with its reason. Nothing else may appear.
CFN_LINT_IGNORES = {
    # CDK's Function construct adds an explicit DependsOn on its role next to the GetAtt;
    # redundant, harmless, not ours to change.
    "W3005",
}


def of_type(t: dict, type_: str) -> dict[str, dict]:
    return {k: v for k, v in t["Resources"].items() if v["Type"] == type_}


def one(t: dict, type_: str) -> dict:
    found = of_type(t, type_)
    assert len(found) == 1, f"expected one {type_}, found {sorted(found)}"
    return next(iter(found.values()))


def props(t: dict, logical_id: str) -> dict:
    return t["Resources"][logical_id]["Properties"]


stages = pytest.mark.parametrize("stage", R.STAGES)


@stages
def test_table_schema_equals_resources_py(templates: dict, stage: str) -> None:
    spec = R.APP_TABLE
    p = props(templates[stage], spec.logical_id)
    assert p["TableName"] == spec.name(stage)
    assert p["BillingMode"] == "PAY_PER_REQUEST"
    assert p["KeySchema"] == [{"AttributeName": spec.hash_key.name, "KeyType": "HASH"},
                              {"AttributeName": spec.range_key.name, "KeyType": "RANGE"}]
    assert sorted(p["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == sorted(
        ({"AttributeName": a.name, "AttributeType": a.type} for a in spec.attribute_definitions),
        key=lambda a: a["AttributeName"])
    assert [(g["IndexName"], g["Projection"]["ProjectionType"], [k["AttributeName"] for k in g["KeySchema"]])
            for g in p["GlobalSecondaryIndexes"]] == [
        (ix.name, ix.projection, [ix.hash_key.name, ix.range_key.name]) for ix in spec.indexes]
    assert p["TimeToLiveSpecification"] == {"AttributeName": spec.ttl_attribute, "Enabled": True}
    assert p["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert ("StreamSpecification" in p) == bool(spec.stream_view_type)
    assert p.get("DeletionProtectionEnabled", False) is (stage == "prod")
    policy = templates[stage]["Resources"][spec.logical_id]["DeletionPolicy"]
    assert policy == ("Retain" if stage == "prod" else "Delete")


@stages
def test_queues_dlq_and_redrive(templates: dict, stage: str) -> None:
    t = templates[stage]
    for spec in R.QUEUES:
        p = props(t, spec.logical_id)
        assert p["QueueName"] == spec.name(stage)
        assert p["VisibilityTimeout"] == spec.visibility_timeout_s
        assert p["MessageRetentionPeriod"] == spec.retention_s
        if spec.dlq_logical_id:
            assert p["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": [spec.dlq_logical_id, "Arn"]},
                                          "maxReceiveCount": spec.max_receive_count}
    # AWS guidance: visibility timeout >= 6x the consumer's timeout.
    assert R.UPLOAD_QUEUE.visibility_timeout_s >= 6 * S.get(stage).uploads.timeout_s
    # exactly one policy per queue (two QueuePolicies on one queue overwrite each other)
    targets = [json.dumps(p["Properties"]["Queues"]) for p in of_type(t, "AWS::SQS::QueuePolicy").values()]
    assert len(targets) == len(set(targets))


@stages
def test_buckets_private_tls_lifecycle_and_notification(templates: dict, stage: str) -> None:
    t = templates[stage]
    for spec in R.BUCKETS:
        p = props(t, spec.logical_id)
        assert p["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True}
        assert p["BucketName"] == {"Fn::Join": ["", [spec.name(stage) + "-", {"Ref": "AWS::AccountId"}]]}
        policies = [v["Properties"]["PolicyDocument"]["Statement"] for v in of_type(t, "AWS::S3::BucketPolicy").values()
                    if v["Properties"]["Bucket"] == {"Ref": spec.logical_id}]
        assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
                   for st in policies for s in st), f"{spec.logical_id}: TLS not enforced"
        rules = {r["Id"]: r for r in p.get("LifecycleConfiguration", {}).get("Rules", [])}
        for rule in spec.lifecycle:
            r = rules[rule["id"]]
            if "expiration_days" in rule:
                assert r["ExpirationInDays"] == rule["expiration_days"] and r["Prefix"] == rule["prefix"]
            if "abort_incomplete_multipart_days" in rule:
                assert r["AbortIncompleteMultipartUpload"] == {
                    "DaysAfterInitiation": rule["abort_incomplete_multipart_days"]}
        if spec.notify_queue:
            (conf,) = p["NotificationConfiguration"]["QueueConfigurations"]
            assert conf["Queue"] == {"Fn::GetAtt": [spec.notify_queue, "Arn"]}
            assert conf["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": spec.notify_prefix}]
            assert conf["Event"] == "s3:ObjectCreated:*"
            qpol = [v for v in of_type(t, "AWS::SQS::QueuePolicy").values()
                    if v["Properties"]["Queues"] == [{"Ref": spec.notify_queue}]]
            assert any(s.get("Principal") == {"Service": "s3.amazonaws.com"}
                       for s in qpol[0]["Properties"]["PolicyDocument"]["Statement"])


@stages
def test_media_only_via_cloudfront_oac_with_marks(templates: dict, stage: str) -> None:
    from chalicelib.marks import NOAI_HEADERS

    t = templates[stage]
    oac = one(t, "AWS::CloudFront::OriginAccessControl")["Properties"]["OriginAccessControlConfig"]
    assert oac["OriginAccessControlOriginType"] == "s3" and oac["SigningBehavior"] == "always"
    media_policy = [v for v in of_type(t, "AWS::S3::BucketPolicy").values()
                    if v["Properties"]["Bucket"] == {"Ref": "MediaBucket"}][0]
    allows = [s for s in media_policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert allows and all(s["Principal"] == {"Service": "cloudfront.amazonaws.com"} for s in allows)
    assert all("AWS:SourceArn" in s["Condition"]["StringEquals"] for s in allows)
    dists = {k: v["Properties"]["DistributionConfig"] for k, v in of_type(t, "AWS::CloudFront::Distribution").items()}
    assert len(dists) == 2
    for d in dists.values():
        assert d["PriceClass"] == S.get(stage).price_class
        assert d["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
        assert d["DefaultCacheBehavior"]["Compress"] is True
    for policy in of_type(t, "AWS::CloudFront::ResponseHeadersPolicy").values():
        cfg = policy["Properties"]["ResponseHeadersPolicyConfig"]
        custom = {h["Header"]: h["Value"] for h in cfg["CustomHeadersConfig"]["Items"]}
        assert custom == NOAI_HEADERS
        assert custom["X-Robots-Tag"] == "noai, noimageai" and custom["tdm-reservation"] == "1"
        sec = cfg["SecurityHeadersConfig"]
        assert sec["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
        assert sec["ContentTypeOptions"]["Override"] is True and sec["FrameOptions"]["FrameOption"] == "DENY"
    caches = {v["Properties"]["CachePolicyConfig"]["Name"]: v["Properties"]["CachePolicyConfig"]
              for v in of_type(t, "AWS::CloudFront::CachePolicy").values()}
    media = caches[f"easel-{stage}-media"]
    assert media["DefaultTTL"] == 365 * 86400
    api = caches[f"easel-{stage}-api"]
    assert api["DefaultTTL"] == 0 and api["MinTTL"] == 0  # follow the origin's Cache-Control
    key = api["ParametersInCacheKeyAndForwardedToOrigin"]
    assert key["HeadersConfig"] == {"HeaderBehavior": "whitelist", "Headers": ["Authorization"]}
    assert key["QueryStringsConfig"]["QueryStringBehavior"] == "all"


@stages
def test_web_app_is_the_default_origin_with_a_strict_csp(templates: dict, stage: str) -> None:
    t = templates[stage]
    web = props(t, "WebBucket")
    assert web["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
    web_policy = [v for v in of_type(t, "AWS::S3::BucketPolicy").values()
                  if v["Properties"]["Bucket"] == {"Ref": "WebBucket"}][0]
    allows = [s for s in web_policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert allows and all(s["Principal"] == {"Service": "cloudfront.amazonaws.com"} for s in allows)  # OAC only
    (dist,) = [v["Properties"]["DistributionConfig"] for v in of_type(t, "AWS::CloudFront::Distribution").values()
               if "web app" in v["Properties"]["DistributionConfig"]["Comment"]]
    assert dist["DefaultRootObject"] == "index.html"
    origins = {o["Id"]: o for o in dist["Origins"]}
    default = dist["DefaultCacheBehavior"]
    assert "S3OriginConfig" in origins[default["TargetOriginId"]] and origins[default["TargetOriginId"]]["OriginAccessControlId"]
    (assoc,) = default["FunctionAssociations"]
    assert assoc["EventType"] == "viewer-request"  # client routes -> /index.html, this behaviour only
    code = one(t, "AWS::CloudFront::Function")["Properties"]["FunctionCode"]
    assert "/index.html" in code
    paths = {b["PathPattern"]: b for b in dist["CacheBehaviors"]}
    assert set(paths) == {"/v1/*", "/robots.txt", "/.well-known/*", "/assets/*"}
    for api_path in ("/v1/*", "/robots.txt", "/.well-known/*"):
        assert "CustomOriginConfig" in origins[paths[api_path]["TargetOriginId"]]
        assert "FunctionAssociations" not in paths[api_path]  # the API's own 404s stay JSON
    assert "S3OriginConfig" in origins[paths["/assets/*"]["TargetOriginId"]]
    caches = {v["Properties"]["CachePolicyConfig"]["Name"]: v["Properties"]["CachePolicyConfig"]
              for v in of_type(t, "AWS::CloudFront::CachePolicy").values()}
    assert caches[f"easel-{stage}-web-assets"]["MinTTL"] == 365 * 86400
    assert caches[f"easel-{stage}-web-html"]["MaxTTL"] <= 300
    policies = {v["Properties"]["ResponseHeadersPolicyConfig"]["Name"]: v["Properties"]["ResponseHeadersPolicyConfig"]
                for v in of_type(t, "AWS::CloudFront::ResponseHeadersPolicy").values()}
    web_headers = policies[f"easel-{stage}-web"]
    assert {h["Header"]: h["Value"] for h in web_headers["CustomHeadersConfig"]["Items"]}["X-Robots-Tag"] == "noai, noimageai"
    csp = json.dumps(web_headers["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    for directive in ("default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'",
                      "base-uri 'self'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "UploadsBucket" in csp and "MediaCdn" in csp  # presigned POSTs and the media domain
    (cors,) = props(t, "UploadsBucket")["CorsConfiguration"]["CorsRules"]
    assert cors["AllowedMethods"] == ["POST"]  # browsers upload straight to S3
    outputs = t["Outputs"]
    assert "WebBucketName" in outputs and "WebDistributionId" in outputs


@stages
def test_functions_runtime_memory_concurrency_layers_logs(templates: dict, stage: str) -> None:
    t, st = templates[stage], S.get(stage)
    fns = of_type(t, "AWS::Serverless::Function")
    assert set(fns) == {"APIHandler", "HandleUploads", "BuildDiscovery", "CostGuard", "BudgetAlarm"}
    light = (512, 60, 1)  # schedule/alarm singletons: memory, timeout, reserved concurrency
    for fn_id, cfg, layers in (("APIHandler", (st.api.memory_mb, st.api.timeout_s, st.api.reserved_concurrency), 1),
                               ("HandleUploads", (st.uploads.memory_mb, st.uploads.timeout_s,
                                                  st.uploads.reserved_concurrency), 2),
                               ("BuildDiscovery", light, 1), ("CostGuard", light, 1), ("BudgetAlarm", light, 1)):
        p = fns[fn_id]["Properties"]
        assert p["Runtime"] == S.LAMBDA_RUNTIME and p["Architectures"] == ["arm64"]
        assert (p["MemorySize"], p["Timeout"], p["ReservedConcurrentExecutions"]) == cfg
        assert len(p["Layers"]) == layers  # the API never loads the screening layer
        assert p["Tracing"] == "PassThrough"
        assert p["Environment"]["Variables"]["AUTO_CONFIRM"] == ("true" if st.auto_confirm else "false")
    # every function (ours, chalice's and CDK's) has a log group with retention
    groups = of_type(t, "AWS::Logs::LogGroup")
    assert all(g["Properties"]["RetentionInDays"] == st.log_retention_days for g in groups.values())
    named = {json.dumps(g["Properties"].get("LogGroupName")) for g in groups.values()}
    for fn_id in fns:
        assert any(json.dumps({"Ref": fn_id}) in n and "/aws/lambda/" in n for n in named), fn_id
    for fn in of_type(t, "AWS::Lambda::Function").values():
        assert "LoggingConfig" in fn["Properties"], "CDK function without its own log group"
    assert t["Resources"]["Sampling"]["Properties"]["SamplingRule"]["FixedRate"] == st.xray_sampling_rate


@stages
def test_schedules_and_the_budget_alarm_subscription(templates: dict, stage: str) -> None:
    t = templates[stage]
    assert props(t, "BuildDiscovery")["Events"]["BuildDiscoveryEvent"]["Properties"]["Schedule"] == "rate(10 minutes)"
    assert props(t, "CostGuard")["Events"]["CostGuardEvent"]["Properties"]["Schedule"] == "rate(5 minutes)"
    topic = props(t, "BudgetAlarm")["Events"]["BudgetAlarmSnsSubscription"]["Properties"]["Topic"]
    # the same topic the AWS Budgets notifications publish to
    budget_subscribers = [s["Address"] for b in of_type(t, "AWS::Budgets::Budget").values()
                          for n in b["Properties"]["NotificationsWithSubscribers"] for s in n["Subscribers"]]
    assert budget_subscribers and all(a == topic for a in budget_subscribers)


@stages
def test_sqs_event_source_reports_batch_item_failures(templates: dict, stage: str) -> None:
    st = S.get(stage)
    ev = props(templates[stage], "HandleUploads")["Events"]["HandleUploadsSqsEventSource"]
    assert ev["Type"] == "SQS"
    assert ev["Properties"]["Queue"] == {"Fn::GetAtt": [R.UPLOAD_QUEUE.logical_id, "Arn"]}
    assert ev["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert ev["Properties"]["BatchSize"] == st.sqs_batch_size
    assert ev["Properties"]["ScalingConfig"] == {"MaximumConcurrency": st.sqs_max_concurrency}
    assert 2 <= st.sqs_max_concurrency <= st.uploads.reserved_concurrency


@stages
def test_api_gateway_responses_and_routes(templates: dict, stage: str) -> None:
    api = props(templates[stage], "RestAPI")
    assert api["Name"] == f"easel-{stage}" and api["EndpointConfiguration"] == "REGIONAL"
    gw = api["DefinitionBody"]["x-amazon-apigateway-gateway-responses"]
    for kind in ("MISSING_AUTHENTICATION_TOKEN", "INVALID_SIGNATURE"):  # unknown route, without/with a Bearer header
        missing = gw[kind]
        assert missing["statusCode"] == 404
        assert json.loads(missing["responseTemplates"]["application/json"]) == {
            "error": {"code": "not_found", "message": "No such route."}}
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        body = gw[kind]["responseTemplates"]["application/json"].replace(
            "$context.error.messageString", '"x"')
        assert set(json.loads(body)["error"]) == {"code", "message"}
    paths = api["DefinitionBody"]["paths"]
    assert "/v1/health" in paths
    assert not any(p.startswith("/media") or p.startswith("/dev") for p in paths), "local-only routes packaged"


@stages
def test_secret_rotation_and_mail(templates: dict, stage: str) -> None:
    t = templates[stage]
    p = props(t, R.SIGNING_KEYS_SECRET.logical_id)
    assert p["Name"] == R.SIGNING_KEYS_SECRET.name(stage)
    assert json.loads(p["SecretString"]) == {"uninitialised": True}  # nothing secret in the template
    c2pa = props(t, R.C2PA_SIGNER_SECRET.logical_id)  # Content Credentials key: created empty, filled by hand
    assert c2pa["Name"] == R.C2PA_SIGNER_SECRET.name(stage) and json.loads(c2pa["SecretString"]) == {
        "uninitialised": True}
    rot = one(t, "AWS::SecretsManager::RotationSchedule")["Properties"]
    assert rot["RotationRules"]["ScheduleExpression"] == f"rate({S.get(stage).secret_rotation_days} days)"
    one(t, "AWS::SES::EmailIdentity")
    assert one(t, "AWS::SES::ConfigurationSet")["Properties"]["Name"] == f"easel-{stage}"


@stages
def test_budget_alarms_dashboard(templates: dict, stage: str) -> None:
    t, st = templates[stage], S.get(stage)
    b = one(t, "AWS::Budgets::Budget")["Properties"]
    assert b["Budget"]["BudgetLimit"] == {"Amount": st.monthly_budget_usd, "Unit": "USD"}
    assert b["Budget"]["TimeUnit"] == "MONTHLY" and b["Budget"]["BudgetType"] == "COST"
    notes = sorted((n["Notification"]["NotificationType"], n["Notification"]["Threshold"])
                   for n in b["NotificationsWithSubscribers"])
    assert notes == sorted([("ACTUAL", 50), ("ACTUAL", 80), ("ACTUAL", 100), ("FORECASTED", 100)])
    topic = next(iter(of_type(t, "AWS::SNS::Topic")))
    for n in b["NotificationsWithSubscribers"]:
        assert n["Subscribers"] == [{"Address": {"Ref": topic}, "SubscriptionType": "SNS"}]
    topic_policy = one(t, "AWS::SNS::TopicPolicy")["Properties"]["PolicyDocument"]["Statement"]
    assert any(s.get("Principal") == {"Service": "budgets.amazonaws.com"} for s in topic_policy)

    alarms = {v["Properties"]["AlarmName"]: v["Properties"] for v in of_type(t, "AWS::CloudWatch::Alarm").values()}
    want = {"ApiInvocationsHigh": st.alarms.api_invocations_per_5min, "ApiErrors": st.alarms.lambda_errors_per_5min,
            "UploadsErrors": st.alarms.lambda_errors_per_5min,
            "DynamoDbUnitsHigh": st.alarms.ddb_consumed_units_per_5min,
            "UploadQueueAge": st.alarms.queue_oldest_message_age_s, "UploadDlqNotEmpty": 0,
            "Api5xx": st.alarms.api_5xx_per_5min}
    assert {k.removeprefix(f"easel-{stage}-"): v["Threshold"] for k, v in alarms.items()} == want
    for a in alarms.values():
        assert a["AlarmActions"] == [{"Ref": topic}]
    dlq = alarms[f"easel-{stage}-UploadDlqNotEmpty"]
    assert dlq["ComparisonOperator"] == "GreaterThanThreshold"
    assert dlq["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [R.UPLOAD_DLQ.logical_id, "QueueName"]}}]
    one(t, "AWS::CloudWatch::Dashboard")


def _dashboard_body(t: dict) -> dict:
    """The DashboardBody is an Fn::Join of strings and tokens (Refs): tokens become placeholders."""
    body = one(t, "AWS::CloudWatch::Dashboard")["Properties"]["DashboardBody"]
    if isinstance(body, dict) and "Fn::Join" in body:
        body = "".join(part if isinstance(part, str) else "TOKEN" for part in body["Fn::Join"][1])
    return json.loads(body)


@stages
def test_dashboard_shows_every_signal_and_stays_in_the_free_tier(templates: dict, stage: str) -> None:
    t, st = templates[stage], S.get(stage)
    dashboards = of_type(t, "AWS::CloudWatch::Dashboard")
    assert len(dashboards) == 1  # one per stage: dev + staging + prod = the account's 3 free dashboards
    assert one(t, "AWS::CloudWatch::Dashboard")["Properties"]["DashboardName"] == f"easel-{stage}-founders"
    widgets = _dashboard_body(t)["widgets"]
    metrics = [m for w in widgets for m in w["properties"].get("metrics", [])]
    names = [(m[0], m[1]) for m in metrics if isinstance(m, list) and len(m) >= 2]
    assert len(metrics) <= 50  # the free tier: 3 dashboards of up to 50 metrics each
    want = {("AWS/Lambda", "UrlRequestCount"), ("AWS/Lambda", "Url4xxCount"), ("AWS/Lambda", "Url5xxCount"),
            ("AWS/Lambda", "UrlRequestLatency"),
            ("AWS/Lambda", "Errors"), ("AWS/Lambda", "Throttles"), ("AWS/Lambda", "ConcurrentExecutions"),
            ("AWS/DynamoDB", "ReadThrottleEvents"), ("AWS/DynamoDB", "WriteThrottleEvents"),
            ("AWS/DynamoDB", "ConsumedReadCapacityUnits"), ("AWS/DynamoDB", "ConsumedWriteCapacityUnits"),
            ("AWS/SQS", "ApproximateAgeOfOldestMessage"), ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
            ("Easel", "GuardLevel"), ("AWS/Billing", "EstimatedCharges")}
    assert want <= set(names), want - set(names)
    # Per function: each of the stack's functions has its errors, throttles and concurrency.
    for metric in ("Errors", "Throttles", "ConcurrentExecutions"):
        assert names.count(("AWS/Lambda", metric)) == len(ALL_FUNCTIONS), metric
    charges = next(w for w in widgets if "Estimated charges" in w["properties"].get("title", ""))
    budget_lines = [a["value"] for a in charges["properties"]["annotations"]["horizontal"]]
    assert float(st.monthly_budget_usd) in budget_lines
    guard = next(m for m in metrics if m[:2] == ["Easel", "GuardLevel"])
    assert "service" in guard and "easel" in guard  # the Powertools dimension the metric is emitted with


def test_stage_settings_agree_with_chalice_config() -> None:
    cfg = json.loads((ROOT / ".chalice" / "config.json").read_text())
    for stage in R.STAGES:
        st, c = S.get(stage), cfg["stages"][stage]
        assert c["lambda_memory_size"] == st.api.memory_mb, stage
        assert c["lambda_timeout"] == st.api.timeout_s, stage
        up = c["lambda_functions"]["handle_uploads"]
        assert (up["lambda_memory_size"], up["lambda_timeout"], up["reserved_concurrency"]) == (
            st.uploads.memory_mb, st.uploads.timeout_s, st.uploads.reserved_concurrency), stage
        assert c["environment_variables"]["AUTO_CONFIRM"] == ("true" if st.auto_confirm else "false")
        env = c["environment_variables"]
        assert env["TABLE_NAME"] == R.APP_TABLE.name(stage)
        assert env["UPLOAD_QUEUE_NAME"] == R.UPLOAD_QUEUE.name(stage)
        assert env["SIGNING_KEYS_SECRET"] == R.SIGNING_KEYS_SECRET.name(stage)


def test_cfn_lint_every_template(synthesized: dict[str, Path]) -> None:
    proc = subprocess.run([str(BIN / "cfn-lint"), "--format", "json", *map(str, synthesized.values())],
                          capture_output=True, text=True)
    findings = json.loads(proc.stdout or "[]")
    unexpected = [f"{f['Rule']['Id']} {f['Message']}" for f in findings if f["Rule"]["Id"] not in CFN_LINT_IGNORES]
    assert not unexpected, "\n".join(unexpected)
    assert proc.returncode in (0, 4), proc.stderr  # 4 = warnings only (the ignored ones)


def test_workflows_match_github_schema() -> None:
    assert {p.name for p in WORKFLOWS} >= {"test.yml", "deploy.yml"}
    proc = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                           *map(str, WORKFLOWS)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_workflows_pass_zizmor_offline() -> None:
    zizmor = shutil.which("zizmor", path=str(BIN)) or "zizmor"
    proc = subprocess.run([zizmor, "--offline", "--no-progress", *map(str, WORKFLOWS)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@stages
def test_api_cdn_reaches_the_function_url_with_the_origin_secret(templates: dict, stage: str) -> None:
    """Issue 15: the API's door is a function URL behind CloudFront (no API Gateway request
    charge); CloudFront adds the secret header the handler requires (chalicelib/function_url.py)."""
    t = templates[stage]
    url = one(t, "AWS::Lambda::Url")["Properties"]
    assert url["AuthType"] == "NONE" and url["TargetFunctionArn"] == {"Fn::GetAtt": ["APIHandler", "Arn"]}
    perms = [p["Properties"] for p in of_type(t, "AWS::Lambda::Permission").values()
             if p["Properties"].get("FunctionName") == {"Ref": "APIHandler"}]
    assert {(p["Action"], p.get("FunctionUrlAuthType"), p.get("InvokedViaFunctionUrl")) for p in perms} >= {
        ("lambda:InvokeFunctionUrl", "NONE", None), ("lambda:InvokeFunction", None, True)}
    env = props(t, "APIHandler")["Environment"]["Variables"]["ORIGIN_VERIFY_SECRET"]
    dist = [d["Properties"]["DistributionConfig"] for d in of_type(t, "AWS::CloudFront::Distribution").values()
            if "API" in d["Properties"]["DistributionConfig"].get("Comment", "")]
    assert len(dist) == 1
    # The web app's bucket is that distribution's default origin (issue 12); the API is the one custom origin.
    (origin,) = [o for o in dist[0]["Origins"] if "CustomOriginConfig" in o]
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    headers = {h["HeaderName"]: h["HeaderValue"] for h in origin["OriginCustomHeaders"]}
    assert headers["x-origin-verify"] == env and "resolve:secretsmanager" in json.dumps(env)
    assert "execute-api" not in json.dumps(origin)
