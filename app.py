"""Easel's entry points: routes and event handlers. Wiring only — each parses its input,
calls one service and maps the result (see chalicelib/ for everything else)."""
from __future__ import annotations

import json
import os

from chalice import Rate, Response
from chalice.app import SQSEvent

from chalicelib import container, marks
from chalicelib.config import get_settings
from chalicelib.errors import NotFound
from chalicelib.http import (
    EaselChalice, authenticate, body, install_middleware, json_response, query, router, source_ip,
)
from chalicelib.metering import metered_event
from chalicelib.observability import logger, metrics

app = EaselChalice(app_name="easel")  # Chalice, also behind a function URL (chalicelib/function_url.py)
app.api.binary_types.extend(["image/webp", "image/avif", "image/jpeg", "image/png", "image/gif"])
install_middleware(app)
route = router(app)
settings = get_settings()


def _ua() -> str | None:
    return app.current_request.headers.get("user-agent")


# -- platform ------------------------------------------------------------------------------
@route("/v1/health", methods=["GET"])
def health() -> Response:
    return json_response({"status": "ok"}, cache_control="no-cache")


@route("/robots.txt", methods=["GET"])
def robots() -> Response:
    return Response(body=marks.robots_txt(), status_code=200,
                    headers={"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "public, max-age=86400"})


@route("/.well-known/tdmrep.json", methods=["GET"])
def tdmrep() -> Response:
    return json_response(marks.tdmrep(), cache_control="public, max-age=86400")


@route("/.well-known/jwks.json", methods=["GET"])
def jwks() -> Response:
    return json_response(container.keyring().jwks(), cache_control="public, max-age=300")


# -- identity --------------------------------------------------------------------------------
@route("/v1/auth/signup", methods=["POST"])
def signup() -> Response:
    return json_response(container.accounts().signup(body(app.current_request), user_agent=_ua()), 201)


@route("/v1/auth/login", methods=["POST"])
def login() -> Response:
    return json_response(container.accounts().login(body(app.current_request), user_agent=_ua(),
                                                       client_ip=source_ip(app.current_request)))


@route("/v1/auth/refresh", methods=["POST"])
def refresh() -> Response:
    return json_response(container.accounts().refresh(body(app.current_request)))


# -- posts -------------------------------------------------------------------------------------
@route("/v1/posts", methods=["POST"])
def create_post() -> Response:
    principal = authenticate(app.current_request)
    container.accounts().ensure_can_post(principal)  # unverified e-mail: 403 unless the stage auto-confirms
    return json_response(container.posts().create(principal, body(app.current_request)), 201)


@route("/v1/posts/{post_id}", methods=["GET"])
def get_post(post_id: str) -> Response:
    viewer = authenticate(app.current_request, required=False)
    post = container.posts().get(post_id, viewer)
    public = post["status"] == "published" and viewer is None
    return json_response(post, cache_control="public, max-age=60, s-maxage=300" if public else "private, no-store")


# -- people, graph, feeds ------------------------------------------------------------------
@route("/v1/users/{handle}", methods=["GET"])
def get_user(handle: str) -> Response:
    viewer = authenticate(app.current_request, required=False)
    return json_response(container.social().profile(handle, viewer),
                         cache_control="private, no-store" if viewer else "public, max-age=30, s-maxage=60")


@route("/v1/users/{handle}/follow", methods=["POST", "DELETE"])
def follow(handle: str) -> Response:
    principal = authenticate(app.current_request)
    social = container.social()
    if app.current_request.method == "POST":
        return json_response(social.follow(principal, handle))
    return json_response(social.unfollow(principal, handle))


@route("/v1/users/{handle}/posts", methods=["GET"])
def portfolio(handle: str) -> Response:
    request = app.current_request
    viewer = authenticate(request, required=False)
    page = container.social().portfolio(handle, viewer, limit_raw=query(request, "limit"),
                                        cursor=query(request, "cursor"))
    return json_response(page, cache_control="private, no-store" if viewer else "public, max-age=30, s-maxage=60")


@route("/v1/feed", methods=["GET"])
def feed() -> Response:
    request = app.current_request
    principal = authenticate(request)
    return json_response(container.social().feed(principal, limit_raw=query(request, "limit"),
                                                 cursor=query(request, "cursor")))


# -- blueprints: each feature area registers its routes here -----------------------------------
# (identity extras, moderation, community, admin/costs live in chalicelib/routes/*.py)
from chalicelib.routes.admin import admin as admin_bp  # noqa: E402
from chalicelib.routes.community import bp as community_bp  # noqa: E402
from chalicelib.routes.identity import bp as identity_bp  # noqa: E402
from chalicelib.routes.identity import dev_bp as identity_dev_bp  # noqa: E402
from chalicelib.routes.moderation import bp as moderation_bp  # noqa: E402
from chalicelib.routes.portability import bp as portability_bp  # noqa: E402
from chalicelib.routes.social import bp as social_bp  # noqa: E402

app.register_blueprint(identity_bp)
app.register_blueprint(community_bp)
app.register_blueprint(social_bp)
app.register_blueprint(moderation_bp)
app.register_blueprint(admin_bp)
app.register_blueprint(portability_bp)
if settings.serve_local_routes:  # GET /dev/outbox: the local platform's sent mail
    app.register_blueprint(identity_dev_bp)

# -- local platform only: media (CloudFront + S3 in production) ------------------------------
if settings.serve_local_routes:
    @route("/media/p/{post_id}/{name}", methods=["GET"])
    def media(post_id: str, name: str) -> Response:
        if "/" in name or ".." in name or len(post_id) > 40:
            raise NotFound("No such media.")
        data, content_type = container.storage().get_media(f"p/{post_id}/{name}")
        return Response(body=data, status_code=200, headers={"Content-Type": content_type, **marks.MEDIA_HEADERS})


# -- events --------------------------------------------------------------------------------
JOB_MARGIN_S = 15  # of the upload handler's 60 s: what a job leaves for the rest of its batch
@app.on_sqs_message(queue=os.environ.get("UPLOAD_QUEUE_NAME", f"easel-{settings.stage}-uploads"), batch_size=5)
@metered_event("handle_uploads")
def handle_uploads(event: SQSEvent) -> dict:
    """S3 -> SQS -> here. Partial batch response: one poisoned message never fails the batch."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    from chalicelib.services.uploads import s3_records

    processor_ = container.upload_processor()

    def job_budget_s() -> float:
        """Long jobs stop in time to re-enqueue themselves: the configured budget, never more
        than what this invocation has left (less a margin for the rest of the batch)."""
        remaining = getattr(event.context, "get_remaining_time_in_millis", None)
        budget = float(settings.job_budget_s)
        if callable(remaining):
            budget = min(budget, remaining() / 1000 - JOB_MARGIN_S)
        return max(1.0, budget)

    def record_handler(record: object) -> None:
        message = json.loads(record.body)  # type: ignore[attr-defined]
        if isinstance(message, dict) and "type" in message:  # typed background jobs (repost fan-out, erasure)
            result = container.interactions().handle_job(message)
            for handler in (container.social, container.erasure, container.imports, container.archives):
                if result is None:
                    result = handler().handle_job(message, budget_s=job_budget_s())
            logger.info("job processed", type=message.get("type"), result=result)
            return
        for bucket, key in s3_records(message):
            if "/imports/" in key:  # a portfolio archive (services/imports.py), not an image
                logger.info("import archive arrived", key=key, result=container.imports().archive_arrived(key))
                continue
            outcome = processor_.process(bucket, key)
            logger.info("upload processed", key=outcome.key, result=outcome.result, post_id=outcome.post_id)

    try:
        return process_partial_response(event=event.to_dict(), record_handler=record_handler,
                                        processor=BatchProcessor(event_type=EventType.SQS), context=event.context)
    finally:
        if metrics.metric_set:  # an invocation that decided nothing (e.g. S3 test events) emits nothing
            metrics.flush_metrics()


# -- cost control: the budget guard (chalicelib/services/guard.py) ----------------------------
@app.schedule(Rate(5, unit=Rate.MINUTES))
@metered_event("cost_guard", default_memory_mb=512)
def cost_guard(event: object) -> dict:
    """Folds closed hours of usage, then re-evaluates the level (locally: local/worker.py)."""
    from chalicelib.services.guard import guard_service

    try:
        return guard_service().evaluate(trigger="schedule", fold=True)
    finally:
        if metrics.metric_set:
            metrics.flush_metrics()


@app.on_sns_message(topic=os.environ.get("BUDGET_ALARM_TOPIC", f"easel-{settings.stage}-budget-alarms"))
@metered_event("budget_alarm", default_memory_mb=512)
def budget_alarm(event: object) -> dict:
    """AWS Budgets / CloudWatch usage alarms publish here: evaluate at once."""
    from chalicelib.services.guard import guard_service

    try:
        return guard_service().evaluate(trigger="budget alarm")
    finally:
        if metrics.metric_set:
            metrics.flush_metrics()
