"""Easel's CDK app: one stack per stage, built from infra/resources.py (the schema the local
bootstrap also uses) and infra/stages.py (sizes, budgets, thresholds).

    cdk deploy -a "python -m infra.app" -c stage=prod   (layers must be built: `make layers`)
    python -m infra.synth                                 (offline, every stage, infra/out/)

The Chalice app (API Gateway + the two functions) is packaged by `chalice.cdk.Chalice` from a
copy of the project whose requirements.txt is empty: dependencies ship as arm64/cp312 layers
built by infra/layers.py, so packaging needs neither the network nor AWS credentials.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aws_cdk as cdk  # noqa: E402
from aws_cdk import (  # noqa: E402
    aws_budgets as budgets,
    aws_cloudfront as cloudfront,
    aws_cloudfront_origins as origins,
    aws_cloudwatch as cw,
    aws_cloudwatch_actions as cw_actions,
    aws_dynamodb as dynamodb,
    aws_iam as iam,
    aws_lambda as lambda_,
    aws_logs as logs,
    aws_s3 as s3,
    aws_secretsmanager as secretsmanager,
    aws_ses as ses,
    aws_sns as sns,
    aws_sns_subscriptions as subs,
    aws_sqs as sqs,
    aws_xray as xray,
)
from chalice.cdk import Chalice  # noqa: E402
from constructs import Construct  # noqa: E402

from chalicelib.marks import NOAI_HEADERS  # noqa: E402  (plain data module)
from infra import layers as L  # noqa: E402
from infra import resources as R  # noqa: E402
from infra import stages as S  # noqa: E402

# Logical ids inside the Chalice-generated SAM template (stable: derived from handler names).
API_FUNCTION = "APIHandler"
UPLOADS_FUNCTION = "HandleUploads"
UPLOADS_EVENT = "HandleUploadsSqsEventSource"
# Small event functions: the discovery snapshot builder, the budget guard and its alarm entry.
LIGHT_FUNCTIONS = ("BuildDiscovery", "CostGuard", "BudgetAlarm")
BUDGET_ALARM_EVENT = "BudgetAlarmSnsSubscription"
ALL_FUNCTIONS = (API_FUNCTION, UPLOADS_FUNCTION, *LIGHT_FUNCTIONS)
REST_API = "RestAPI"

ERROR_JSON = '{"error":{"code":"%s","message":%s}}'
GATEWAY_RESPONSES = {
    # API Gateway answers an unknown path with 403 "Missing Authentication Token": say 404.
    "MISSING_AUTHENTICATION_TOKEN": {
        "statusCode": 404,
        "responseTemplates": {"application/json": ERROR_JSON % ("not_found", '"No such route."')}},
    # The same unknown path sent WITH `Authorization: Bearer …` is read as a malformed SigV4
    # signature (403 IncompleteSignatureException, "… not a valid key=value pair (missing
    # equal-sign) in Authorization header"). No Easel route uses IAM auth, so an invalid
    # signature can only mean an unknown route: also 404 (local/devserver.py mirrors both).
    "INVALID_SIGNATURE": {
        "statusCode": 404,
        "responseTemplates": {"application/json": ERROR_JSON % ("not_found", '"No such route."')}},
    "DEFAULT_4XX": {
        "responseTemplates": {"application/json": ERROR_JSON % ("bad_request", "$context.error.messageString")}},
    "DEFAULT_5XX": {
        "responseTemplates": {"application/json": ERROR_JSON % ("unavailable", "$context.error.messageString")}},
}


def stage_chalice_source(workdir: Path) -> Path:
    """A copy of the Chalice project with an empty requirements.txt (deps come from layers)."""
    src = workdir / "chalice-src"
    shutil.rmtree(src, ignore_errors=True)
    (src / ".chalice").mkdir(parents=True)
    shutil.copy2(ROOT / "app.py", src / "app.py")
    shutil.copytree(ROOT / "chalicelib", src / "chalicelib",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if (ROOT / "vendor").is_dir():
        shutil.copytree(ROOT / "vendor", src / "vendor")
    shutil.copy2(ROOT / ".chalice" / "config.json", src / ".chalice" / "config.json")
    (src / "requirements.txt").write_text("# dependencies ship as Lambda layers: infra/layers.py\n")
    return src


def chalice_stage_config(st: S.StageSettings) -> dict:
    """Overrides on top of .chalice/config.json: infra/stages.py is the source of truth."""
    return {
        "api_gateway_stage": "api",
        "api_gateway_endpoint_type": "REGIONAL",  # CloudFront is in front; EDGE would double it
        "lambda_architecture": S.LAMBDA_ARCHITECTURE,
        "lambda_memory_size": st.api.memory_mb,
        "lambda_timeout": st.api.timeout_s,
        "reserved_concurrency": st.api.reserved_concurrency,
        # log groups are created in _functions (chalice 1.34's own API log group is broken)
        "xray": False,  # sampled at API Gateway instead (see _tracing)
        # One role per function, made by EaselStack._roles (chalice would give them all one):
        # the placeholder is replaced on every function; no DefaultRole is generated.
        "manage_iam_role": False,
        "iam_role_arn": "arn:aws:iam::000000000000:role/replaced-per-function-by-infra-app",
        "environment_variables": {"AUTO_CONFIRM": "true" if st.auto_confirm else "false",
                                  "METER_FLUSH_EVERY": str(S.METER_FLUSH_EVERY),
                                  "METER_FLUSH_MAX_AGE_S": str(S.METER_FLUSH_MAX_AGE_S)},
        "lambda_functions": {
            "handle_uploads": {
                "lambda_memory_size": st.uploads.memory_mb,
                "lambda_timeout": st.uploads.timeout_s,
                "reserved_concurrency": st.uploads.reserved_concurrency,
            },
            # Singletons on a schedule or an alarm: one at a time is all they ever need.
            **{name: {"lambda_memory_size": 512, "lambda_timeout": 60, "reserved_concurrency": 1}
               for name in ("build_discovery", "cost_guard", "budget_alarm")},
        },
    }


class EaselStack(cdk.Stack):
    def __init__(self, scope: Construct, stage: str, *, layer_dirs: dict[str, Path], workdir: Path,
                 **kwargs: object) -> None:
        # The construct id is the stage name: chalice.cdk uses it as the Chalice stage.
        super().__init__(scope, stage, stack_name=f"easel-{stage}",
                         description=f"Easel {stage}: API, screening, data, CDN, cost guard rails",
                         **kwargs)
        self.stage = stage
        self.st = st = S.get(stage)
        cdk.Tags.of(self).add("easel:stage", stage)  # also the cost-allocation tag budgets filter on
        removal = cdk.RemovalPolicy.RETAIN if st.retain_data else cdk.RemovalPolicy.DESTROY

        self.table = self._table(R.APP_TABLE, removal)
        self.queues = self._queues(removal)
        self.buckets = {spec.logical_id: self._bucket(spec, removal) for spec in R.BUCKETS}
        self.secret = self._secret(R.SIGNING_KEYS_SECRET, removal, layer_dirs)
        self.vendor_secret = self._vendor_secret(removal)
        self.donations_param = f"/easel/{stage}/donations-webhook-token"  # SSM SecureString (docs/deploy.md)
        # Content Credentials key + chain (issue 18): created empty, filled by hand (docs/portability.md).
        self.c2pa_secret = secretsmanager.Secret(
            self, R.C2PA_SIGNER_SECRET.logical_id, secret_name=R.C2PA_SIGNER_SECRET.name(stage),
            description=R.C2PA_SIGNER_SECRET.description,
            secret_string_value=cdk.SecretValue.unsafe_plain_text('{"uninitialised": true}'), removal_policy=removal)
        self.c2pa_secret.node.default_child.override_logical_id(R.C2PA_SIGNER_SECRET.logical_id)
        self.alerts = self._alerts_topic()
        self.mail_identity, self.mail_config_set = self._mail()

        self.chalice = Chalice(self, "Api", source_dir=str(stage_chalice_source(workdir)),
                               stage_config=chalice_stage_config(st))
        self.layers = {
            name: lambda_.LayerVersion(
                self, f"{name.capitalize()}Layer", code=lambda_.Code.from_asset(str(path)),
                compatible_architectures=[lambda_.Architecture.ARM_64],
                compatible_runtimes=[lambda_.Runtime.PYTHON_3_12],
                description=f"easel {stage} {name} dependencies (infra/layers.py)")
            for name, path in layer_dirs.items()}
        self._functions()
        self._api_gateway()
        self.api_origin = self._api_function_url()
        self.media_cdn = self._media_cdn()
        self.api_cdn = self._api_cdn()
        self._function_environment()
        self._roles()
        self._permissions()
        self._tracing()
        self._budget()
        self._alarms()
        self._dashboard()
        self._outputs()

    # -- data -----------------------------------------------------------------------------
    def _table(self, spec: R.TableSpec, removal: cdk.RemovalPolicy) -> dynamodb.Table:
        key = lambda a: dynamodb.Attribute(name=a.name, type=dynamodb.AttributeType(  # noqa: E731
            {"S": "STRING", "N": "NUMBER", "B": "BINARY"}[a.type]))
        table = dynamodb.Table(
            self, spec.logical_id, table_name=spec.name(self.stage),
            partition_key=key(spec.hash_key), sort_key=key(spec.range_key),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=self.st.pitr),
            deletion_protection=self.st.deletion_protection,
            time_to_live_attribute=spec.ttl_attribute,
            stream=dynamodb.StreamViewType(spec.stream_view_type) if spec.stream_view_type else None,
            removal_policy=removal)
        for ix in spec.indexes:
            table.add_global_secondary_index(
                index_name=ix.name, partition_key=key(ix.hash_key), sort_key=key(ix.range_key),
                projection_type=dynamodb.ProjectionType(ix.projection))
        table.node.default_child.override_logical_id(spec.logical_id)
        return table

    def _queues(self, removal: cdk.RemovalPolicy) -> dict[str, sqs.Queue]:
        out: dict[str, sqs.Queue] = {}
        for spec in R.QUEUES:  # DLQs come first in the spec
            dlq = None
            if spec.dlq_logical_id:
                dlq = sqs.DeadLetterQueue(max_receive_count=spec.max_receive_count,
                                          queue=out[spec.dlq_logical_id])
            q = sqs.Queue(self, spec.logical_id, queue_name=spec.name(self.stage),
                          visibility_timeout=cdk.Duration.seconds(spec.visibility_timeout_s),
                          retention_period=cdk.Duration.seconds(spec.retention_s),
                          dead_letter_queue=dlq, enforce_ssl=True,
                          encryption=sqs.QueueEncryption.SQS_MANAGED, removal_policy=removal)
            q.node.default_child.override_logical_id(spec.logical_id)
            out[spec.logical_id] = q
        return out

    def _bucket(self, spec: R.BucketSpec, removal: cdk.RemovalPolicy) -> s3.Bucket:
        rules = []
        for rule in spec.lifecycle:
            rules.append(s3.LifecycleRule(
                id=rule["id"], prefix=rule["prefix"] or None, enabled=True,
                expiration=cdk.Duration.days(rule["expiration_days"]) if "expiration_days" in rule else None,
                abort_incomplete_multipart_upload_after=(
                    cdk.Duration.days(rule["abort_incomplete_multipart_days"])
                    if "abort_incomplete_multipart_days" in rule else None)))
        # Bucket names are global: the account id keeps two accounts (or a squatter) apart.
        name = f"{spec.name(self.stage)}-{cdk.Aws.ACCOUNT_ID}"
        cors = [s3.CorsRule(allowed_methods=[s3.HttpMethods.POST], allowed_origins=R.UPLOAD_CORS["AllowedOrigins"],
                            allowed_headers=R.UPLOAD_CORS["AllowedHeaders"],
                            exposed_headers=R.UPLOAD_CORS["ExposeHeaders"],
                            max_age=R.UPLOAD_CORS["MaxAgeSeconds"])] if spec.browser_uploads else None
        bucket = s3.Bucket(self, spec.logical_id, bucket_name=name,
                           block_public_access=s3.BlockPublicAccess.BLOCK_ALL, enforce_ssl=True,
                           encryption=s3.BucketEncryption.S3_MANAGED,
                           object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
                           lifecycle_rules=rules or None, cors=cors, removal_policy=removal)
        cfn = bucket.node.default_child
        cfn.override_logical_id(spec.logical_id)
        if spec.notify_queue:
            # Plain NotificationConfiguration (no CDK custom-resource Lambda): the queue policy
            # must exist first, and it names the bucket by ARN string to avoid a cycle.
            queue = self.queues[spec.notify_queue]
            bucket_arn = f"arn:{cdk.Aws.PARTITION}:s3:::{name}"
            # One QueuePolicy per queue (two would overwrite each other): add to the policy
            # enforce_ssl already created.
            queue.add_to_resource_policy(iam.PolicyStatement(
                sid="S3ObjectCreated", principals=[iam.ServicePrincipal("s3.amazonaws.com")],
                actions=["sqs:SendMessage"], resources=[queue.queue_arn],
                conditions={"ArnEquals": {"aws:SourceArn": bucket_arn},
                            "StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}}))
            policy = queue.node.find_child("Policy")  # the QueuePolicy add_to_resource_policy made
            cfn.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
                queue_configurations=[s3.CfnBucket.QueueConfigurationProperty(
                    event="s3:ObjectCreated:*", queue=queue.queue_arn,
                    filter=s3.CfnBucket.NotificationFilterProperty(
                        s3_key=s3.CfnBucket.S3KeyFilterProperty(rules=[
                            s3.CfnBucket.FilterRuleProperty(name="prefix", value=spec.notify_prefix)])))])
            cfn.node.add_dependency(policy)
        return bucket

    def _secret(self, spec: R.SecretSpec, removal: cdk.RemovalPolicy,
                layer_dirs: dict[str, Path]) -> secretsmanager.Secret:
        # Created empty ({"uninitialised": true}); `python -m infra.keys init` writes the first
        # key ring (see docs/deploy.md). Nothing secret is in the template or the repo.
        secret = secretsmanager.Secret(
            self, spec.logical_id, secret_name=spec.name(self.stage), description=spec.description,
            secret_string_value=cdk.SecretValue.unsafe_plain_text('{"uninitialised": true}'),
            removal_policy=removal)
        secret.node.default_child.override_logical_id(spec.logical_id)
        rotation_logs = logs.LogGroup(self, "SigningKeysRotationLogs", removal_policy=cdk.RemovalPolicy.DESTROY)
        rotation_logs.node.default_child.retention_in_days = self.st.log_retention_days
        rotation_layer = lambda_.LayerVersion(
            self, "RotationLayer", code=lambda_.Code.from_asset(str(layer_dirs["api"])),
            compatible_architectures=[lambda_.Architecture.ARM_64],
            compatible_runtimes=[lambda_.Runtime.PYTHON_3_12])
        self.rotation_fn = lambda_.Function(
            self, "SigningKeysRotation", runtime=lambda_.Runtime.PYTHON_3_12,
            architecture=lambda_.Architecture.ARM_64, handler="handler.handler",
            code=lambda_.Code.from_asset(str(ROOT / "infra" / "rotation")),
            layers=[rotation_layer], memory_size=256, timeout=cdk.Duration.seconds(30),
            reserved_concurrent_executions=1, log_group=rotation_logs,
            description="Rotates the Ed25519 token signing key ring (current -> previous)")
        secret.add_rotation_schedule("Rotation", rotation_lambda=self.rotation_fn,
                                     automatically_after=cdk.Duration.days(self.st.secret_rotation_days),
                                     rotate_immediately_on_update=False)
        return secret

    def _vendor_secret(self, removal: cdk.RemovalPolicy) -> secretsmanager.Secret:
        # The AI-detection vendor's key: {"api_key": "..."} written by an operator
        # (docs/deploy.md). Empty, the stage holds for review what would need the vendor.
        spec = R.VENDOR_KEY_SECRET
        secret = secretsmanager.Secret(
            self, spec.logical_id, secret_name=spec.name(self.stage), description=spec.description,
            secret_string_value=cdk.SecretValue.unsafe_plain_text('{"api_key": ""}'), removal_policy=removal)
        secret.node.default_child.override_logical_id(spec.logical_id)
        return secret

    def _alerts_topic(self) -> sns.Topic:
        topic = sns.Topic(self, "CostAlerts", topic_name=f"easel-{self.stage}-cost-alerts",
                          display_name=f"Easel {self.stage} cost alerts", enforce_ssl=True)
        topic.add_to_resource_policy(iam.PolicyStatement(
            sid="AwsBudgetsPublish", principals=[iam.ServicePrincipal("budgets.amazonaws.com")],
            actions=["sns:Publish"], resources=[topic.topic_arn],
            conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}}))
        if self.st.alarm_email:
            topic.add_subscription(subs.EmailSubscription(self.st.alarm_email))
        return topic

    def _mail(self) -> tuple[ses.EmailIdentity, ses.ConfigurationSet]:
        config_set = ses.ConfigurationSet(
            self, "MailConfigurationSet", configuration_set_name=f"easel-{self.stage}",
            reputation_metrics=True, sending_enabled=True,
            suppression_reasons=ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS)
        identity = ses.EmailIdentity(self, "MailIdentity",
                                     identity=ses.Identity.domain(self.st.mail_from_domain),
                                     configuration_set=config_set)
        return identity, config_set

    # -- Chalice-generated resources: patched, never forked -------------------------------------
    def _functions(self) -> None:
        ch, st = self.chalice, self.st
        for fn_id in ALL_FUNCTIONS:
            layers = ["api", "screening"] if fn_id == UPLOADS_FUNCTION else ["api"]
            fn = ch.get_resource(fn_id)
            # chalice picks the runtime from the local interpreter; the code bundle is pure
            # Python (deps are in the cp312 layers), so the runtime can be set here.
            fn.add_override("Properties.Runtime", S.LAMBDA_RUNTIME)
            fn.add_override("Properties.Layers", [self.layers[n].layer_version_arn for n in layers])
        # The screening function reads what S3 tells the queue, with partial batch responses.
        queue = self.queues[R.UPLOAD_QUEUE.logical_id]
        ch.get_resource(UPLOADS_FUNCTION).add_override(f"Properties.Events.{UPLOADS_EVENT}.Properties", {
            "Queue": queue.queue_arn,
            "BatchSize": st.sqs_batch_size,
            "MaximumBatchingWindowInSeconds": 0,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "ScalingConfig": {"MaximumConcurrency": st.sqs_max_concurrency},
        })
        # Log retention on every function (logs are the classic surprise cost). chalice 1.34's
        # log_retention_in_days names the API log group after "${ApiHandler}" (no such
        # resource) and CfnInclude rejects it, so the log groups are created here.
        # Budget and usage alarms reach the guard through the stack's alerts topic.
        ch.get_resource("BudgetAlarm").add_override(f"Properties.Events.{BUDGET_ALARM_EVENT}.Properties.Topic",
                                                    self.alerts.topic_arn)
        for fn_id in ALL_FUNCTIONS:
            group = logs.CfnLogGroup(self, f"{fn_id}LogGroup", retention_in_days=st.log_retention_days,
                                     log_group_name=f"/aws/lambda/{ch.get_resource(fn_id).ref}")
            group.override_logical_id(f"{fn_id}LogGroup")

    def _api_gateway(self) -> None:
        api = self.chalice.get_resource(REST_API)
        # A per-stage API name keeps the AWS/ApiGateway metrics (keyed by ApiName) apart.
        api.add_override("Properties.Name", f"easel-{self.stage}")
        api.add_override("Properties.DefinitionBody.x-amazon-apigateway-gateway-responses",
                         GATEWAY_RESPONSES)
        api.add_override("Properties.TracingEnabled", True)

    # -- CDN --------------------------------------------------------------------------------------
    def _price_class(self) -> cloudfront.PriceClass:
        return {"PriceClass_100": cloudfront.PriceClass.PRICE_CLASS_100,
                "PriceClass_200": cloudfront.PriceClass.PRICE_CLASS_200,
                "PriceClass_All": cloudfront.PriceClass.PRICE_CLASS_ALL}[self.st.price_class]

    def _security_headers(self) -> cloudfront.ResponseSecurityHeadersBehavior:
        return cloudfront.ResponseSecurityHeadersBehavior(
            content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
            frame_options=cloudfront.ResponseHeadersFrameOptions(
                frame_option=cloudfront.HeadersFrameOption.DENY, override=True),
            referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
                override=True),
            strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                access_control_max_age=cdk.Duration.days(365), include_subdomains=True, override=True))

    def _noai_headers(self) -> cloudfront.ResponseCustomHeadersBehavior:
        return cloudfront.ResponseCustomHeadersBehavior(custom_headers=[
            cloudfront.ResponseCustomHeader(header=k, value=v, override=True)
            for k, v in NOAI_HEADERS.items()])

    def _media_cdn(self) -> cloudfront.Distribution:
        # A distribution of its own: the functions need its domain (MEDIA_BASE_URL), and the API
        # distribution depends on the API, which depends on the functions (a cycle otherwise).
        headers = cloudfront.ResponseHeadersPolicy(
            self, "MediaHeaders", response_headers_policy_name=f"easel-{self.stage}-media",
            comment="Do-not-train marks + security headers on every media response",
            custom_headers_behavior=self._noai_headers(),
            security_headers_behavior=self._security_headers())
        cache = cloudfront.CachePolicy(
            self, "MediaCache", cache_policy_name=f"easel-{self.stage}-media",
            comment="Media keys are immutable (content-addressed names): cache for a year",
            default_ttl=cdk.Duration.days(365), min_ttl=cdk.Duration.days(1),
            max_ttl=cdk.Duration.days(365), enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True)
        # One origin access control, shared by the media and the web app's bucket origins.
        self.oac = cloudfront.S3OriginAccessControl(self, "S3Oac", signing=cloudfront.Signing.SIGV4_ALWAYS)
        return cloudfront.Distribution(
            self, "MediaCdn", comment=f"easel {self.stage} media",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.buckets["MediaBucket"],
                                                                         origin_access_control=self.oac),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cache, response_headers_policy=headers, compress=True,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD),
            price_class=self._price_class(), http_version=cloudfront.HttpVersion.HTTP2_AND_3)

    # -- the API's front door (issue 15): a function URL behind CloudFront ---------------------
    def _api_function_url(self) -> origins.HttpOrigin:
        """The API function's URL as the API CDN's origin, instead of API Gateway REST ($3.50 per
        million requests; a function URL has no per-request charge). Chalice's handler reads
        the URL's payload 2.0 through chalicelib/function_url.py. The URL is public to Lambda's
        auth (CloudFront's OAC would make every POST/PUT client sign its body hash), so
        CloudFront adds a generated secret header that the handler requires; WAF and rate rules
        sit on the CloudFront distribution; reserved concurrency caps the function. The REST
        API that chalice still creates stays as it is (nothing routes to it)."""
        fn = self.chalice.get_resource(API_FUNCTION)
        secret = secretsmanager.Secret(
            self, "ApiOriginSecret", description=f"easel {self.stage}: CloudFront -> API origin header",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                exclude_punctuation=True, password_length=48))
        url = lambda_.CfnUrl(self, "ApiFunctionUrl", target_function_arn=fn.get_att("Arn").to_string(),
                             auth_type="NONE", invoke_mode="BUFFERED")
        lambda_.CfnPermission(self, "ApiFunctionUrlInvokeUrl", action="lambda:InvokeFunctionUrl",
                              function_name=fn.ref, principal="*", function_url_auth_type="NONE")
        lambda_.CfnPermission(self, "ApiFunctionUrlInvoke", action="lambda:InvokeFunction",
                              function_name=fn.ref, principal="*", invoked_via_function_url=True)
        value = secret.secret_value.unsafe_unwrap()  # a dynamic reference, resolved by CloudFormation
        self.chalice.add_environment_variable("ORIGIN_VERIFY_SECRET", value, API_FUNCTION)
        domain = cdk.Fn.select(2, cdk.Fn.split("/", url.attr_function_url))
        return origins.HttpOrigin(domain, protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
                                  custom_headers={"x-origin-verify": value})

    def _api_cdn(self) -> cloudfront.Distribution:
        # Public GETs carry Cache-Control: public, s-maxage=N (app.py); everything else says
        # private/no-store. TTL 0 by default = CloudFront follows the origin's Cache-Control.
        # Authorization is in the cache key, which is also how CloudFront forwards it.
        cache = cloudfront.CachePolicy(
            self, "ApiCache", cache_policy_name=f"easel-{self.stage}-api",
            comment="Honour origin Cache-Control; Authorization in the key (and forwarded)",
            default_ttl=cdk.Duration.seconds(0), min_ttl=cdk.Duration.seconds(0),
            max_ttl=cdk.Duration.days(1),
            header_behavior=cloudfront.CacheHeaderBehavior.allow_list("Authorization"),
            query_string_behavior=cloudfront.CacheQueryStringBehavior.all(),
            cookie_behavior=cloudfront.CacheCookieBehavior.none(),
            enable_accept_encoding_gzip=True, enable_accept_encoding_brotli=True)
        headers = cloudfront.ResponseHeadersPolicy(
            self, "ApiHeaders", response_headers_policy_name=f"easel-{self.stage}-api",
            custom_headers_behavior=self._noai_headers(),
            security_headers_behavior=self._security_headers())
        api = cloudfront.BehaviorOptions(
            origin=self.api_origin,  # the function URL (_api_function_url)
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
            cached_methods=cloudfront.CachedMethods.CACHE_GET_HEAD,
            cache_policy=cache,
            origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            response_headers_policy=headers, compress=True)
        web_default, web_assets = self._web_app()
        # The web app is the default origin; the API keeps its paths (as `make run` does locally).
        return cloudfront.Distribution(
            self, "ApiCdn", comment=f"easel {self.stage} web app and API",
            default_behavior=web_default, default_root_object="index.html",
            additional_behaviors={"/v1/*": api, "/robots.txt": api, "/.well-known/*": api,
                                  "/assets/*": web_assets},
            price_class=self._price_class(), http_version=cloudfront.HttpVersion.HTTP2_AND_3)

    def _web_app(self) -> tuple[cloudfront.BehaviorOptions, cloudfront.BehaviorOptions]:
        """The web app (web/dist, uploaded by the deploy workflow) from a private bucket through
        the shared OAC: hashed /assets/* cached for a year, everything else (index.html, the
        manifest, icons) briefly; client-side routes rewritten to /index.html by a viewer-request
        function scoped to the app's behaviour (so the API's own 404s stay JSON)."""
        from infra.webapp import content_security_policy

        bucket = s3.Bucket(self, "WebBucket", bucket_name=f"easel-{self.stage}-web-{cdk.Aws.ACCOUNT_ID}",
                           block_public_access=s3.BlockPublicAccess.BLOCK_ALL, enforce_ssl=True,
                           encryption=s3.BucketEncryption.S3_MANAGED,
                           object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
                           removal_policy=cdk.RemovalPolicy.DESTROY if self.stage == "dev" else cdk.RemovalPolicy.RETAIN)
        bucket.node.default_child.override_logical_id("WebBucket")
        self.web_bucket = bucket
        uploads = self.buckets["UploadsBucket"]
        csp = content_security_policy(
            [f"https://{uploads.bucket_domain_name}", f"https://{uploads.bucket_regional_domain_name}"],
            img_origins=[f"https://{self.media_cdn.distribution_domain_name}"])
        security = self._security_headers()
        headers = cloudfront.ResponseHeadersPolicy(
            self, "WebHeaders", response_headers_policy_name=f"easel-{self.stage}-web",
            comment="The web app: strict CSP, do-not-train marks, security headers",
            custom_headers_behavior=self._noai_headers(),
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=csp, override=True),
                content_type_options=security.content_type_options, frame_options=security.frame_options,
                referrer_policy=security.referrer_policy,
                strict_transport_security=security.strict_transport_security))
        html_cache = cloudfront.CachePolicy(
            self, "WebHtmlCache", cache_policy_name=f"easel-{self.stage}-web-html",
            comment="index.html and other unhashed files: a minute at the edge, so deploys show soon",
            default_ttl=cdk.Duration.seconds(60), min_ttl=cdk.Duration.seconds(0),
            max_ttl=cdk.Duration.minutes(5), enable_accept_encoding_gzip=True, enable_accept_encoding_brotli=True)
        assets_cache = cloudfront.CachePolicy(
            self, "WebAssetsCache", cache_policy_name=f"easel-{self.stage}-web-assets",
            comment="Hashed build assets never change under a name: a year",
            default_ttl=cdk.Duration.days(365), min_ttl=cdk.Duration.days(365),
            max_ttl=cdk.Duration.days(365), enable_accept_encoding_gzip=True, enable_accept_encoding_brotli=True)
        spa = cloudfront.Function(
            self, "WebRoutes", function_name=f"easel-{self.stage}-web-routes",
            comment="Client-side routes (/@handle, /p/<id>, ...) answer with index.html",
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            code=cloudfront.FunctionCode.from_inline(
                "function handler(event) {\n"
                "  var request = event.request;\n"
                "  var last = request.uri.split('/').pop();\n"
                "  if (last.indexOf('.') === -1) { request.uri = '/index.html'; }\n"
                "  return request;\n"
                "}\n"))
        origin = origins.S3BucketOrigin.with_origin_access_control(bucket, origin_access_control=self.oac)

        def behaviour(cache: cloudfront.CachePolicy, routes: bool) -> cloudfront.BehaviorOptions:
            return cloudfront.BehaviorOptions(
                origin=origin, viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD, cache_policy=cache,
                response_headers_policy=headers, compress=True,
                function_associations=[cloudfront.FunctionAssociation(
                    function=spa, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST)] if routes else None)

        return behaviour(html_cache, True), behaviour(assets_cache, False)

    # -- wiring -------------------------------------------------------------------------------
    def _function_environment(self) -> None:
        env = {
            "UPLOADS_BUCKET": self.buckets["UploadsBucket"].bucket_name,
            "MEDIA_BUCKET": self.buckets["MediaBucket"].bucket_name,
            "MEDIA_BASE_URL": f"https://{self.media_cdn.distribution_domain_name}",
            "MAIL_CONFIGURATION_SET": self.mail_config_set.configuration_set_name,
            "MAIL_SENDER": f"Easel <no-reply@{self.st.mail_from_domain}>",
            "ALERTS_TOPIC_ARN": self.alerts.topic_arn,
            # Links in mail (verification, reset) and the API's own absolute URLs: the stage's
            # public origin (a cycle forbids the API distribution's domain here: it depends
            # on the API, which depends on these functions).
            "PUBLIC_BASE_URL": self.st.public_base_url,
            # Deleted/removed media is invalidated on the media distribution.
            "CDN_DISTRIBUTION_ID": self.media_cdn.distribution_id,
            # A deployed stage never publishes an upload the AI vendor did not see: without
            # a key in the vendor secret, uploads that would need it are held for review.
            "SCREENING_VENDOR_REQUIRED": "true",
        }
        for fn in ALL_FUNCTIONS:
            for k, v in env.items():
                self.chalice.add_environment_variable(k, v, fn)
        # Only the upload handler may read the vendor key; only the API the webhook token.
        self.chalice.add_environment_variable("HIVE_API_KEY_SECRET", self.vendor_secret.secret_name,
                                              UPLOADS_FUNCTION)
        self.chalice.add_environment_variable("DONATIONS_WEBHOOK_TOKEN_PARAM", self.donations_param,
                                              API_FUNCTION)

    # -- IAM: one role per function, least privilege -------------------------------------------
    # What each function may do is listed in _grants; tests/conftest.py checks every AWS call
    # the functional tests make against these policies (local/iam_audit.py), and
    # tests/infra/test_iam.py checks the separations below.
    def _roles(self) -> None:
        self.roles: dict[str, iam.Role] = {}
        for fn_id in ALL_FUNCTIONS:
            role = iam.Role(self, f"{fn_id}Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                            description=f"easel {self.stage} {fn_id}: its own least-privilege role")
            role.node.default_child.override_logical_id(f"{fn_id}Role")
            self.chalice.get_resource(fn_id).add_override("Properties.Role", role.role_arn)
            self.roles[fn_id] = role

    def _arn(self, service: str, resource: str, *, region: bool = True) -> str:
        return (f"arn:{cdk.Aws.PARTITION}:{service}:{cdk.Aws.REGION if region else ''}:"
                f"{cdk.Aws.ACCOUNT_ID}:{resource}")

    def _grants(self) -> dict[str, list[iam.PolicyStatement]]:
        uploads, media = self.buckets["UploadsBucket"], self.buckets["MediaBucket"]
        queue = self.queues[R.UPLOAD_QUEUE.logical_id]
        up_objects = [uploads.arn_for_objects(f"{R.UPLOAD_PREFIX}*"), uploads.arn_for_objects(f"{R.REJECTED_PREFIX}*"),
                      uploads.arn_for_objects(f"{R.EXPORT_PREFIX}*")]  # downloadable archives (issue 18)
        c2pa = iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[self.c2pa_secret.secret_arn])
        table = iam.PolicyStatement(actions=[
            "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
            "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem",
            "dynamodb:TransactWriteItems", "dynamodb:TransactGetItems", "dynamodb:ConditionCheckItem",
            "dynamodb:DescribeTable"],
            resources=[self.table.table_arn, f"{self.table.table_arn}/index/*"])

        def logs(fn_id: str) -> iam.PolicyStatement:
            # CloudFormation names each function <stack>-<logical id>-<suffix>.
            return iam.PolicyStatement(actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[
                self._arn("logs", f"log-group:/aws/lambda/easel-{self.stage}-{fn_id}-*:*")])

        enqueue = iam.PolicyStatement(actions=["sqs:SendMessage", "sqs:GetQueueUrl"], resources=[queue.queue_arn])
        mail = iam.PolicyStatement(actions=["ses:SendEmail", "ses:SendRawEmail"], resources=[
            self._arn("ses", f"identity/{self.st.mail_from_domain}"),
            self._arn("ses", f"configuration-set/{self.mail_config_set.configuration_set_name}")])
        media_rw = iam.PolicyStatement(actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                                       resources=[media.arn_for_objects("*")])
        list_both = iam.PolicyStatement(actions=["s3:ListBucket"], resources=[uploads.bucket_arn, media.bucket_arn])
        invalidate = iam.PolicyStatement(actions=["cloudfront:CreateInvalidation"], resources=[
            f"arn:{cdk.Aws.PARTITION}:cloudfront::{cdk.Aws.ACCOUNT_ID}:distribution/{self.media_cdn.distribution_id}"])
        return {
            # The API: signs tokens, presigns upload forms (the form is signed with this role,
            # so it needs PutObject on uploads/), deletes media, enqueues jobs, sends mail.
            API_FUNCTION: [
                table, logs(API_FUNCTION), enqueue, mail, media_rw, list_both, invalidate, c2pa,
                iam.PolicyStatement(actions=["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion",
                                             "s3:DeleteObject"], resources=up_objects),
                iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[self.secret.secret_arn]),
                iam.PolicyStatement(actions=["ssm:GetParameter"], resources=[
                    self._arn("ssm", f"parameter{self.donations_param}")]),
            ],
            # The upload handler parses hostile files with native code: no signing keys, no
            # webhook token; the vendor key, the queue it consumes, the objects it screens.
            UPLOADS_FUNCTION: [
                table, logs(UPLOADS_FUNCTION), enqueue, mail, media_rw, list_both, invalidate, c2pa,
                iam.PolicyStatement(actions=["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                                             "sqs:ChangeMessageVisibility"], resources=[queue.queue_arn]),
                iam.PolicyStatement(actions=["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject",
                                             "s3:DeleteObject"], resources=up_objects),
                iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"],
                                    resources=[self.vendor_secret.secret_arn]),
            ],
            # Discovery snapshots: the table only.
            "BuildDiscovery": [table, logs("BuildDiscovery")],
            # The budget guard: the table, and re-enqueueing uploads it deferred.
            "CostGuard": [table, logs("CostGuard"), enqueue],
            "BudgetAlarm": [table, logs("BudgetAlarm"), enqueue],
        }

    def _permissions(self) -> None:
        for fn_id, statements in self._grants().items():
            policy = iam.Policy(self, f"{fn_id}Policy", roles=[self.roles[fn_id]], statements=statements)
            policy.node.default_child.override_logical_id(f"{fn_id}Policy")
            # The SQS event source mapping validates its permissions on creation; every
            # function's first invocation needs its policy.
            self.chalice.get_resource(fn_id).node.add_dependency(policy)

    def _tracing(self) -> None:
        # Lambda's own active tracing samples 1 req/s + 5% (not configurable): at surge volume
        # that is real money. API Gateway honours sampling rules; the functions run PassThrough
        # and trace only what API Gateway sampled.
        for fn in ALL_FUNCTIONS:
            self.chalice.get_resource(fn).add_override("Properties.Tracing", "PassThrough")
        xray.CfnSamplingRule(self, "Sampling", sampling_rule=xray.CfnSamplingRule.SamplingRuleProperty(
            rule_name=f"easel-{self.stage}", priority=100, fixed_rate=self.st.xray_sampling_rate,
            reservoir_size=0, service_name="*", service_type="*", host="*", http_method="*",
            url_path="*", resource_arn="*", version=1,
            attributes={"easel:stage": self.stage}))

    # -- cost guard rails -------------------------------------------------------------------------
    def _budget(self) -> None:
        sub = [budgets.CfnBudget.SubscriberProperty(address=self.alerts.topic_arn, subscription_type="SNS")]
        notes = [budgets.CfnBudget.NotificationWithSubscribersProperty(
            notification=budgets.CfnBudget.NotificationProperty(
                comparison_operator="GREATER_THAN", notification_type=kind, threshold=pct,
                threshold_type="PERCENTAGE"), subscribers=sub)
            for kind, pcts in (("ACTUAL", S.BUDGET_THRESHOLDS_ACTUAL), ("FORECASTED", S.BUDGET_THRESHOLDS_FORECAST))
            for pct in pcts]
        b = budgets.CfnBudget(self, "MonthlyBudget", budget=budgets.CfnBudget.BudgetDataProperty(
            budget_name=f"easel-{self.stage}-monthly", budget_type="COST", time_unit="MONTHLY",
            budget_limit=budgets.CfnBudget.SpendProperty(amount=self.st.monthly_budget_usd, unit="USD"),
            # Needs "easel:stage" activated as a cost allocation tag (docs/deploy.md).
            cost_filters={"TagKeyValue": [f"user:easel:stage${self.stage}"]}),
            notifications_with_subscribers=notes)
        # Budgets checks it may publish when the notification is created: policy first.
        topic_policy = self.alerts.node.try_find_child("Policy")
        if topic_policy is not None:
            b.node.add_dependency(topic_policy)

    def _fn_metric(self, fn: str, name: str, stat: str = "Sum") -> cw.Metric:
        return cw.Metric(namespace="AWS/Lambda", metric_name=name, statistic=stat,
                         period=cdk.Duration.minutes(5),
                         dimensions_map={"FunctionName": self.chalice.get_resource(fn).ref})

    def _metrics(self) -> dict[str, cw.IMetric]:
        five = cdk.Duration.minutes(5)
        table, queue = self.table, self.queues[R.UPLOAD_QUEUE.logical_id]
        dlq = self.queues[R.UPLOAD_DLQ.logical_id]
        api = {"ApiName": f"easel-{self.stage}", "Stage": "api"}
        return {
            "api_invocations": self._fn_metric(API_FUNCTION, "Invocations"),
            "api_errors": self._fn_metric(API_FUNCTION, "Errors"),
            "api_duration_p95": self._fn_metric(API_FUNCTION, "Duration", "p95"),
            "api_throttles": self._fn_metric(API_FUNCTION, "Throttles"),
            "uploads_invocations": self._fn_metric(UPLOADS_FUNCTION, "Invocations"),
            "uploads_errors": self._fn_metric(UPLOADS_FUNCTION, "Errors"),
            "ddb_units": cw.MathExpression(
                expression="rcu + wcu", label="DynamoDB consumed units (5 min)", period=five,
                using_metrics={"rcu": table.metric_consumed_read_capacity_units(statistic="Sum", period=five),
                               "wcu": table.metric_consumed_write_capacity_units(statistic="Sum", period=five)}),
            "queue_age": queue.metric_approximate_age_of_oldest_message(statistic="Maximum", period=five),
            "dlq_depth": dlq.metric_approximate_number_of_messages_visible(statistic="Maximum", period=five),
            "api_5xx": cw.Metric(namespace="AWS/ApiGateway", metric_name="5XXError", statistic="Sum",
                                 period=five, dimensions_map=api),
            "api_count": cw.Metric(namespace="AWS/ApiGateway", metric_name="Count", statistic="Sum",
                                   period=five, dimensions_map=api),
            "cdn_requests": cw.Metric(namespace="AWS/CloudFront", metric_name="Requests", statistic="Sum",
                                      period=cdk.Duration.hours(1), region="us-east-1",
                                      dimensions_map={"DistributionId": self.api_cdn.distribution_id,
                                                      "Region": "Global"}),
            "estimated_charges": cw.Metric(namespace="AWS/Billing", metric_name="EstimatedCharges",
                                           statistic="Maximum", period=cdk.Duration.hours(6),
                                           region="us-east-1", dimensions_map={"Currency": "USD"}),
        }

    def _alarms(self) -> None:
        m, a = self._metrics(), self.st.alarms
        specs = [
            ("ApiInvocationsHigh", m["api_invocations"], a.api_invocations_per_5min, "API invocations surge"),
            ("ApiErrors", m["api_errors"], a.lambda_errors_per_5min, "API function errors"),
            ("UploadsErrors", m["uploads_errors"], a.lambda_errors_per_5min, "Screening function errors"),
            ("DynamoDbUnitsHigh", m["ddb_units"], a.ddb_consumed_units_per_5min, "DynamoDB units surge"),
            ("UploadQueueAge", m["queue_age"], a.queue_oldest_message_age_s, "Uploads waiting too long"),
            ("UploadDlqNotEmpty", m["dlq_depth"], 0, "Uploads in the dead-letter queue"),
            ("Api5xx", m["api_5xx"], a.api_5xx_per_5min, "API Gateway 5xx responses"),
        ]
        action = cw_actions.SnsAction(self.alerts)
        self.alarms = []
        for alarm_id, metric, threshold, desc in specs:
            alarm = cw.Alarm(self, alarm_id, metric=metric, threshold=threshold, evaluation_periods=1,
                             alarm_name=f"easel-{self.stage}-{alarm_id}", alarm_description=desc,
                             comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                             treat_missing_data=cw.TreatMissingData.NOT_BREACHING)
            alarm.add_alarm_action(action)
            self.alarms.append(alarm)

    def _dashboard(self) -> None:
        """One dashboard per stage (`easel-<stage>-founders`). CloudWatch's free tier is 3
        dashboards of up to 50 metrics each per account: three stages = three dashboards, so
        this one stays under 50 metrics (tests/infra counts them); docs/deploy.md."""
        m = self._metrics()
        five = cdk.Duration.minutes(5)
        table, queue = self.table, self.queues[R.UPLOAD_QUEUE.logical_id]

        def per_function(name: str, stat: str = "Sum") -> list[cw.IMetric]:
            return [self._fn_metric(fn, name, stat).with_(label=fn) for fn in ALL_FUNCTIONS]

        # Powertools EMF (chalicelib/observability.py): namespace Easel, dimension service=easel.
        # GuardLevel (0 normal, 1 saver, 2 survival) is emitted on each transition.
        guard_level = cw.Metric(namespace="Easel", metric_name="GuardLevel", statistic="Maximum",
                                period=cdk.Duration.hours(1), dimensions_map={"service": "easel"},
                                label="guard level (0 normal, 1 saver, 2 survival)")
        budget = float(self.st.monthly_budget_usd)
        dash = cw.Dashboard(self, "FoundersDashboard", dashboard_name=f"easel-{self.stage}-founders",
                            default_interval=cdk.Duration.days(7))
        dash.add_widgets(
            cw.TextWidget(markdown=f"# Easel {self.stage}\nBudget ${self.st.monthly_budget_usd}/month. "
                                   "Spend per service, per feature and per MAU: the web app's /admin page "
                                   "(the meter). Estimated charges are account-wide (AWS/Billing, us-east-1). "
                                   "Alarms go to the cost-alerts topic.", width=24, height=2),
            cw.GraphWidget(title="Estimated charges vs budget (USD, month to date)", left=[m["estimated_charges"]],
                           left_annotations=[cw.HorizontalAnnotation(value=budget, label="monthly budget",
                                                                     color="#d62728"),
                                             cw.HorizontalAnnotation(value=budget * 0.8, label="80 %",
                                                                     color="#ff7f0e")],
                           width=12),
            cw.GraphWidget(title="Budget guard level", left=[guard_level], width=12,
                           left_y_axis=cw.YAxisProps(min=0, max=2, show_units=False),
                           left_annotations=[cw.HorizontalAnnotation(value=1, label="saver"),
                                             cw.HorizontalAnnotation(value=2, label="survival")]),
        )
        # The API's front door is the function URL behind CloudFront (_api_function_url): its
        # requests, 4xx/5xx and latency are the function URL's metrics (AWS/Lambda Url*).
        def url(name: str, stat: str = "Sum", label: str | None = None) -> cw.Metric:
            return self._fn_metric(API_FUNCTION, name, stat).with_(label=label or name)

        dash.add_widgets(
            cw.GraphWidget(title="API requests and 4xx/5xx (function URL)",
                           left=[url("UrlRequestCount", label="requests")],
                           right=[url("Url4xxCount", label="4xx"), url("Url5xxCount", label="5xx")], width=8),
            cw.GraphWidget(title="API latency (ms)", left=[url("UrlRequestLatency", "p50", "p50"),
                                                           url("UrlRequestLatency", "p95", "p95"),
                                                           m["api_duration_p95"].with_(label="API Lambda p95")],
                           width=8),
            cw.GraphWidget(title="CloudFront API requests", left=[m["cdn_requests"]], width=8),
        )
        dash.add_widgets(
            cw.GraphWidget(title="Lambda errors per function", left=per_function("Errors"), width=8),
            cw.GraphWidget(title="Lambda throttles per function", left=per_function("Throttles"), width=8),
            cw.GraphWidget(title="Lambda concurrency per function (max)",
                           left=per_function("ConcurrentExecutions", "Maximum"), width=8),
        )
        dash.add_widgets(
            cw.GraphWidget(title="DynamoDB consumed capacity (units / 5 min)", left=[
                table.metric_consumed_read_capacity_units(statistic="Sum", period=five, label="read units"),
                table.metric_consumed_write_capacity_units(statistic="Sum", period=five, label="write units")],
                width=8),
            cw.GraphWidget(title="DynamoDB throttled requests", left=[
                table.metric("ReadThrottleEvents", statistic="Sum", period=five, label="read throttles"),
                table.metric("WriteThrottleEvents", statistic="Sum", period=five, label="write throttles")],
                width=8),
            cw.GraphWidget(title="Upload queue: age of oldest (s) and DLQ depth",
                           left=[m["queue_age"].with_(label="oldest message age (s)")],
                           right=[m["dlq_depth"].with_(label="DLQ depth"),
                                  queue.metric_approximate_number_of_messages_visible(
                                      statistic="Maximum", period=five, label="waiting")], width=8),
        )
        dash.add_widgets(cw.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24))

    def _outputs(self) -> None:
        cdk.CfnOutput(self, "ApiUrl", value=f"https://{self.api_cdn.distribution_domain_name}")
        cdk.CfnOutput(self, "MediaUrl", value=f"https://{self.media_cdn.distribution_domain_name}")
        cdk.CfnOutput(self, "WebBucketName", value=self.web_bucket.bucket_name)
        cdk.CfnOutput(self, "WebDistributionId", value=self.api_cdn.distribution_id)
        cdk.CfnOutput(self, "ApiGatewayUrl", value=cdk.Fn.join("", [
            "https://", self.chalice.get_resource(REST_API).ref, ".execute-api.", cdk.Aws.REGION, ".",
            cdk.Aws.URL_SUFFIX, "/api/"]))
        cdk.CfnOutput(self, "CostAlertsTopicArn", value=self.alerts.topic_arn)
        cdk.CfnOutput(self, "SigningKeysSecretName", value=self.secret.secret_name)
        cdk.CfnOutput(self, "CloudFrontFlatRatePlan", value=self.st.flat_rate_plan or "pay-as-you-go",
                      description="Subscribe the API and media distributions to this plan (console/API)")


def build_app(stages: list[str], outdir: Path, workdir: Path, *, synth_only: bool,
              placeholder_layers: bool = False) -> list[cdk.App]:
    """One cdk.App per stage (its own cloud assembly under outdir/<stage>)."""
    dirs = L.layer_dirs()
    if placeholder_layers or any(not (d / "python").is_dir() or L.is_placeholder(d) for d in dirs.values()):
        if not synth_only:
            raise SystemExit("Lambda layers are not built: run `make layers` before cdk deploy")
        dirs = L.placeholder_dirs(workdir / "placeholder-layers")
    account = os.environ.get("CDK_DEFAULT_ACCOUNT", S.SYNTH_ACCOUNT)
    region = os.environ.get("CDK_DEFAULT_REGION", S.DEFAULT_REGION)
    apps = []
    for stage in stages:
        app = cdk.App(outdir=str(outdir / stage), analytics_reporting=False)
        EaselStack(app, stage, layer_dirs=dirs, workdir=workdir / stage,
                   env=cdk.Environment(account=account, region=region))
        app.synth()
        apps.append(app)
    return apps


def main() -> None:
    """Entry point for the CDK CLI: `cdk deploy -a "python -m infra.app" -c stage=prod`."""
    app = cdk.App()
    stage = app.node.try_get_context("stage") or os.environ.get("EASEL_STAGE")
    if not stage:
        raise SystemExit("pass -c stage=dev|staging|prod")
    dirs = L.layer_dirs()
    if any(not (d / "python").is_dir() or L.is_placeholder(d) for d in dirs.values()):
        raise SystemExit("Lambda layers are not built: run `make layers` before cdk deploy")
    workdir = ROOT / "infra" / "out" / ".work" / stage
    workdir.mkdir(parents=True, exist_ok=True)
    os.chdir(workdir)  # chalice.cdk writes chalice.out/ into the working directory
    EaselStack(app, stage, layer_dirs=dirs, workdir=workdir,
               env=cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"),
                                   region=os.environ.get("CDK_DEFAULT_REGION")))
    app.synth()


if __name__ == "__main__":
    main()
