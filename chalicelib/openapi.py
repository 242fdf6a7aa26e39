"""The API contract: an OpenAPI 3.1 document of every route, with response schemas.

Maintained by hand as data, next to the routes; `tests/functional/test_openapi.py` fails when
`app.routes` (path + method) and this document disagree, and `tests/e2e/test_schemathesis.py`
fuzzes the running local platform against it (no 5xx, every response matches its schema).
A route added anywhere must be documented here in the same change."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

REF = "#/components/schemas/"
PUBLIC_CACHE_NOTE = ("Public and cacheable (Cache-Control with s-maxage, ETag); answers If-None-Match with "
                     "304.")


def ref(name: str) -> dict:
    return {"$ref": REF + name}


def nullable(schema: dict) -> dict:
    if "$ref" in schema:
        return {"oneOf": [schema, {"type": "null"}]}
    kind = schema.get("type")
    return {**schema, "type": [kind, "null"]} if isinstance(kind, str) else {"anyOf": [schema, {"type": "null"}]}


def obj(required: dict[str, dict], optional: dict[str, dict] | None = None) -> dict:
    return {"type": "object", "required": list(required), "properties": {**required, **(optional or {})}}


STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
STRS = {"type": "array", "items": STR}
CURSOR = nullable(STR)

NUM = {"type": "number"}
NUMS = {"type": "object", "additionalProperties": NUM}
COUNT = {"type": "integer", "minimum": 0}
COUNTS = {"likes_count": COUNT, "comments_count": COUNT, "reposts_count": COUNT}
# chalicelib/services/posts.py STATUSES (+ `queued`: uploads the budget guard defers in survival)
POST_STATUSES = ["awaiting_upload", "processing", "queued", "published", "held_for_review", "rejected", "removed",
                 "deleted", "applied", "replaced"]  # the last two: profile images, as moderators see them
# chalicelib/services/profile_media.py: a profile image's lifecycle (`applied` = passed and shown)
PROFILE_IMAGE_KINDS = ["avatar", "banner"]
PROFILE_IMAGE_STATUSES = ["awaiting_upload", "processing", "queued", "applied", "held_for_review", "rejected",
                          "replaced", "deleted", "removed"]
NOTIFICATION_KINDS = ["follow", "like", "comment", "repost", "message", "screening", "moderation"]
MOD_KINDS = ["held", "appeal", "report"]
MOD_DECISIONS = ["approve", "reject", "label_mature", "remove"]
REPORT_REASONS = ["ai_generated", "stolen", "unlabelled_mature", "harassment", "other"]
MOD_SUMMARY = {"id": STR, "kind": {"enum": MOD_KINDS}, "post_id": STR, "reason": STR, "reports_count": INT,
               "created_at": STR}
MOD_OUTCOME = {"id": STR, "kind": {"enum": MOD_KINDS}, "status": {"enum": ["open", "decided"]}, "reason": STR,
               "decision": nullable({"enum": MOD_DECISIONS}), "note": nullable(STR), "created_at": STR,
               "decided_at": nullable(STR)}
GUARD_LEVELS = ["normal", "saver", "survival"]
GUARD_STATE = {"level": {"enum": GUARD_LEVELS}, "since": nullable(STR), "reason": STR,
               "pinned": nullable({"enum": GUARD_LEVELS})}

IMPORT_STATES = ["uploading", "reading", "importing", "done", "failed"]
IMPORT_OUTCOMES = ["published", "held_for_review", "rejected", "skipped", "failed"]

SCHEMAS: dict[str, dict] = {
    "Error": obj({"error": obj({"code": STR, "message": STR}, {"field": STR})}),
    "Tokens": obj({"access_token": STR, "refresh_token": STR, "token_type": STR, "expires_in": INT}),
    "UserRef": obj({"id": STR, "handle": STR}),
    "Signup": obj({"user": ref("UserRef"), "tokens": ref("Tokens")}),
    "TokenPair": obj({"tokens": ref("Tokens")}),
    "Variant": obj({"width": INT, "height": INT, "url": STR, "content_type": STR}),
    "Image": obj({"width": INT, "height": INT, "url": nullable(STR), "content_type": nullable(STR),
                  "variants": {"type": "array", "items": ref("Variant")}},
                 {"alt": {**nullable(STR), "description": "The artist's alt text for this image, if any."}}),
    "Post": obj({"id": STR, "author": ref("UserRef"), "title": STR, "description": nullable(STR), "tags": STRS,
                 "status": {"enum": POST_STATUSES},
                 "images": {"type": "array", "items": ref("Image")}, "labels": STRS, "created_at": STR,
                 "likes_count": COUNT, "comments_count": COUNT, "reposts_count": COUNT},
                {"liked_by_me": BOOL, "screening": {"type": "object"}, "pinned": BOOL,
                 "reposted_by": ref("UserRef"), "protected": BOOL,
                 "first_posted_at": {"type": "string", "description": "An imported work's original date."}}),
    "ListedPost": {"allOf": [ref("Post"), obj({"mature": BOOL, "blurred": BOOL}, {"liked_by_me": {
        "type": "boolean", "description": "Signed-in viewers only (the response is then private, no ETag); "
                                          "absent from anonymous, cacheable pages."}})]},
    "PostCreated": obj({"post": ref("Post"),
                        "upload": ref("Upload"),
                        "uploads": {"type": "array", "items": ref("Upload")}}),
    "Upload": obj({"url": STR, "fields": {"type": "object", "additionalProperties": STR}, "expires_in": INT}),
    "PostPage": obj({"items": {"type": "array", "items": ref("Post")}, "next_cursor": CURSOR}),
    "Profile": obj({"id": STR, "handle": STR, "display_name": STR, "bio": STR, "links": {"type": "array",
                    "items": ref("Link")}, "open_to_work": BOOL, "followers_count": INT, "following_count": INT,
                    "posts_count": INT, "avatar": nullable(ref("ProfileImage")),
                    "banner": nullable(ref("ProfileImage"))},
                   {"followed_by_me": {"type": "boolean", "description": "GET /v1/users/{handle} for a signed-in "
                                       "viewer only (the response is then private, no-store)."}}),
    "ProfileImage": obj({"id": STR, "url": nullable(STR), "width": nullable(INT), "height": nullable(INT),
                         "variants": {"type": "array", "items": ref("Variant")}}),
    "ProfileImageAttempt": obj({"id": STR, "kind": {"enum": PROFILE_IMAGE_KINDS},
                                "status": {"enum": PROFILE_IMAGE_STATUSES}, "reasons": STRS,
                                "message": nullable(STR), "created_at": STR, "decided_at": nullable(STR)}),
    "ProfileImageCreated": obj({"media": obj({"id": STR, "kind": {"enum": PROFILE_IMAGE_KINDS},
                                              "status": {"const": "awaiting_upload"}}),
                                "upload": ref("Upload")}),
    "ProfileImageRemoved": obj({"kind": {"enum": PROFILE_IMAGE_KINDS}, "removed": BOOL}),
    "Link": obj({"label": STR, "url": STR}),
    "Me": {"allOf": [ref("Profile"), obj({"email": STR, "settings": obj({"show_mature": BOOL, "hide_likes": BOOL}),
                                          "pinned_post_ids": STRS, "created_at": STR,
                                          "profile_images": obj({k: nullable(ref("ProfileImageAttempt"))
                                                                 for k in PROFILE_IMAGE_KINDS})})]},
    "PortfolioOrder": obj({"post_ids": STRS}),
    "PostDeleted": obj({"id": STR, "status": {"const": "deleted"}}),
    "LikeResult": obj({"liked": BOOL, **COUNTS}),
    "RepostResult": obj({"reposted": BOOL, **COUNTS}),
    "Comment": obj({"id": STR, "post_id": STR, "author": ref("UserRef"), "text": STR, "created_at": STR}),
    "CommentPage": obj({"items": {"type": "array", "items": ref("Comment")}, "next_cursor": CURSOR}),
    "BlockResult": obj({"blocked": BOOL, "user": ref("UserRef")}),
    "MuteResult": obj({"muted": BOOL, "user": ref("UserRef")}),
    "Collection": obj({"id": STR, "owner": obj({"id": STR, "handle": nullable(STR)}), "title": STR,
                       "description": STR, "posts_count": INT, "cover_post_id": nullable(STR), "created_at": STR,
                       "updated_at": STR}),
    "CollectionPage": obj({"items": {"type": "array", "items": ref("Collection")}, "next_cursor": CURSOR}),
    "CollectionPosts": obj({"collection": ref("Collection"), "items": {"type": "array", "items": ref("Post")},
                            "next_cursor": CURSOR}),
    "Notification": obj({"id": STR, "kind": {"enum": NOTIFICATION_KINDS},
                         "actor": nullable(obj({"id": STR, "handle": nullable(STR)})), "post_id": nullable(STR),
                         "data": {"type": "object"}, "read": BOOL, "created_at": STR}),
    "NotificationPage": obj({"items": {"type": "array", "items": ref("Notification")}, "unread_count": INT,
                             "next_cursor": CURSOR}),
    "UnreadCount": obj({"unread_count": INT}),
    # -- moderation
    "ModerationSummary": obj(MOD_SUMMARY),
    "ModerationQueue": obj({"items": {"type": "array", "items": ref("ModerationSummary")},
                            "total": {**COUNT, "description": "Open items matching the filters."},
                            "next_cursor": CURSOR}),
    "ModerationOutcome": obj(MOD_OUTCOME),
    "ModerationItem": obj({**MOD_SUMMARY, "status": {"enum": ["open", "decided"]}, "author_id": STR,
                           "decision": nullable({"enum": MOD_DECISIONS}), "note": nullable(STR),
                           "decided_by": nullable(STR), "decided_at": nullable(STR),
                           "post": nullable(ref("Post")), "original_url": nullable(STR),
                           "original_urls": {"type": "array", "items": obj({"index": INT, "url": STR,
                                                                             "expires_in": INT})},
                           "decision_record": nullable(obj({"post": {"type": "object"}, "images": {
                               "type": "array", "items": {"type": "object"}}}))},
                          {"appeal": obj({"statement": nullable(STR), "evidence_urls": STRS}),
                           "report_reasons": {"type": "object", "additionalProperties": INT},
                           "history": {"type": "array", "items": ref("ModerationOutcome")},
                           "audit": {"type": "array", "items": obj({"at": STR, "actor_id": STR,
                                                                    "actor_handle": nullable(STR), "action": STR,
                                                                    "note": nullable(STR), "detail": {}})},
                           "signals_plain": {"type": "array", "description": "Each image's screening record in "
                                                                             "plain sentences.",
                                             "items": obj({"index": INT, "sentences": STRS})},
                           "near_duplicates": {"type": "array", "items": obj({
                               "index": INT, "kind": {"enum": ["repost", "known_ai"]}, "post_id": nullable(STR),
                               "image_index": INT, "distance": nullable(INT), "mirrored": BOOL,
                               "entry_id": nullable(STR), "author": nullable(ref("UserRef")),
                               "status": nullable({"enum": POST_STATUSES}), "created_at": nullable(STR),
                               "original_url": nullable(STR), "expires_in": nullable(INT)})},
                           "author": obj({"id": STR, "handle": nullable(STR), "created_at": nullable(STR),
                                          "posts_count": nullable(INT), "followers_count": nullable(INT),
                                          "recent_posts": {"type": "array", "items": obj({
                                              "id": STR, "title": nullable(STR),
                                              "status": {"enum": POST_STATUSES}, "created_at": STR,
                                              "labels": STRS, "purpose": nullable(STR), "reasons": STRS})},
                                          "recent_status_counts": {"type": "object",
                                                                   "additionalProperties": INT}})}),
    "PostState": obj({"id": STR, "status": {"enum": POST_STATUSES}, "labels": STRS}),
    "ModerationDecision": obj({"item": ref("ModerationOutcome"), "post": ref("PostState"),
                               "outcome": {"enum": ["removed", "appeal_denied", "rejected", "report_dismissed",
                                                    "publishing", "labels_updated", "noted"]}}),
    "KnownAi": obj({"id": STR, "phash": {"type": "string", "pattern": "^[0-9a-f]{16}$"}}),
    "KnownAiEntry": obj({"id": STR, "phash": {"type": "string", "pattern": "^[0-9a-f]{16}$"}, "note": nullable(STR),
                         "source_post_id": nullable(STR), "added_by": obj({"id": STR, "handle": nullable(STR)}),
                         "created_at": STR, "backfilled": BOOL}),
    "KnownAiPage": obj({"items": {"type": "array", "items": ref("KnownAiEntry")}, "next_cursor": CURSOR}),
    "Appeal": {"allOf": [ref("ModerationOutcome"), obj({"statement": nullable(STR), "evidence_urls": STRS})]},
    "AppealCreated": obj({"appeal": ref("Appeal")}),
    "Appeals": obj({"items": {"type": "array", "items": ref("Appeal")}, "post": ref("PostState")}),
    "ReportReceived": obj({"report": obj({"post_id": STR, "reason": {"enum": REPORT_REASONS},
                                          "status": {"const": "received"}, "counted": BOOL})}),
    # -- founders: costs, budget, guard, prices, donations
    "CostReport": obj({"from": STR, "to": STR, "total_usd": NUM, "mau": INT, "cost_per_mau_usd": nullable(NUM),
                       "groups": {"type": "array", "items": obj({"key": STR, "usd": NUM, "units": NUMS})},
                       "top_users": {"type": "array", "items": obj({"handle": nullable(STR), "user_id": STR,
                                                                     "usd": NUM})},
                       "month_to_date_usd": NUM, "forecast_month_usd": NUM,
                       "prices": obj({"version": STR, "region": STR})}),
    "CostDaily": obj({"month": STR, "from": STR, "to": STR, "currency": {"const": "USD"}, "services": STRS,
                      "days": {"type": "array", "items": obj({"day": STR, "total_usd": NUM, "services": NUMS})},
                      "total_usd": NUM, "service_totals": NUMS, "month_to_date_usd": NUM,
                      "forecast_month_usd": NUM, "budget_usd": NUM,
                      "thresholds": obj({"saver": NUM, "survival": NUM}), "current": BOOL}),
    "CostMonthly": obj({"currency": {"const": "USD"}, "months": {"type": "array", "items": obj({
        "month": STR, "total_usd": NUM, "mau": INT, "cost_per_mau_usd": nullable(NUM), "current": BOOL})}}),
    "Budget": obj({"monthly_usd": NUM, "thresholds": obj({"saver": NUM, "survival": NUM}), "balance_usd": NUM,
                   "updated_at": nullable(STR)}),
    "PriceVersion": obj({"version": STR, "effective_from": STR, "region": STR, "source": STR, "currency": STR,
                         "prices": NUMS, "cloudfront_flat_plans": {"type": "array"}, "fx_usd": NUMS}),
    "PriceTable": obj({"versions": {"type": "array", "items": ref("PriceVersion")}}),
    "GuardState": obj(GUARD_STATE, {"evaluated_at": nullable(STR), "forecast_month_usd": nullable(NUM),
                                    "history": {"type": "array", "items": obj({
                                        "from": {"enum": GUARD_LEVELS}, "to": {"enum": GUARD_LEVELS},
                                        "reason": STR, "at": STR})},
                                    "levers": {"type": "array", "items": obj({
                                        "level": {"enum": GUARD_LEVELS},
                                        "upload_limits": obj({"per_hour": INT, "per_day": INT}),
                                        "uploads_queued": BOOL, "cdn_cache_factor": NUM,
                                        "max_derivative_px": nullable(INT), "jobs_paused": BOOL,
                                        "summary": STRS})}}),
    "GuardEvaluation": obj({**GUARD_STATE, "evaluated_at": nullable(STR), "forecast_month_usd": nullable(NUM),
                            "month_to_date_usd": NUM, "budget_usd": NUM, "resumed_uploads": INT}),
    "Donation": obj({"id": STR, "source": {"enum": ["kofi", "manual"]}, "amount": STR, "currency": STR,
                     "usd": nullable(NUM), "received_at": STR, "from_name": nullable(STR)}),
    "DonationLedger": obj({"items": {"type": "array", "items": ref("Donation")}, "total_usd": NUM,
                           "balance_usd": NUM, "burn_usd_per_day": NUM, "runway_days": nullable(NUM)}),
    "DonationAdded": obj({"donation": ref("Donation"), "duplicate": BOOL}),
    "WebhookReceived": obj({"ok": BOOL, "duplicate": BOOL}),
    "FollowResult": obj({"following": BOOL, "user": ref("Profile")}),
    "DiscoverPage": obj({"items": {"type": "array", "items": ref("ListedPost")}, "next_cursor": CURSOR}),
    "TagPage": obj({"tag": STR, "items": {"type": "array", "items": ref("ListedPost")}, "next_cursor": CURSOR}),
    "TagSuggestions": obj({"prefix": STR, "items": {"type": "array", "items": obj({"tag": STR, "count": INT})}}),
    "Conversation": obj({"id": STR, "with": ref("UserRef"), "request": BOOL, "unread": BOOL,
                         "last_message": nullable(obj({"id": STR, "sender_id": STR, "preview": STR})),
                         "last_activity_at": nullable(STR)}),
    "ConversationPage": obj({"items": {"type": "array", "items": ref("Conversation")}, "next_cursor": CURSOR}),
    "Message": obj({"id": STR, "conversation_id": STR, "sender_id": STR, "text": STR, "created_at": STR}),
    "MessagePage": obj({"items": {"type": "array", "items": ref("Message")}, "next_cursor": CURSOR}),
    "Job": obj({"id": STR, "owner": ref("UserRef"), "title": STR, "organisation": STR, "location": nullable(STR),
                "remote": BOOL, "employment_type": STR, "description": STR, "apply_url": nullable(STR),
                "apply_email": nullable(STR), "tags": STRS, "closes_at": STR,
                "status": {"enum": ["open", "closed", "expired"]}, "created_at": STR,
                "updated_at": nullable(STR)}),
    "JobPage": obj({"items": {"type": "array", "items": ref("Job")}, "next_cursor": CURSOR}),
    "Deleted": obj({"id": STR, "deleted": BOOL}),
    "ErasureScheduled": obj({"status": {"enum": ["erasure_scheduled"]}, "requested_at": STR,
                             "handle_released_at": STR}),
    "SessionList": obj({"items": {"type": "array", "items": obj(
        {"id": STR, "created_at": STR, "last_used_at": STR, "user_agent": nullable(STR), "current": BOOL})}}),
    "SessionsEnded": obj({"sessions_ended": INT}),
    "Status": obj({"status": STR}, {"email_verified": BOOL, "sessions_ended": INT}),
    "RoleChanges": obj({"items": {"type": "array", "items": {"type": "object"}}}),
    "Outbox": obj({"items": {"type": "array", "items": obj({"to": STR, "subject": STR, "body": STR,
                                                              "sent_at": STR})}}),
    "Health": obj({"status": STR}),
    "Jwks": obj({"keys": {"type": "array", "items": {"type": "object"}}}),
    "TdmRep": {"type": "array", "items": obj({"location": STR, "tdm-reservation": INT})},
    "OpenApi": obj({"openapi": STR, "paths": {"type": "object"}}),
    # -- portability (issue 18, docs/portability.md)
    "Import": obj({"id": STR, "source": {"enum": ["instagram", "easel"]}, "state": {"enum": IMPORT_STATES},
                   "total": COUNT, "counts": obj({k: COUNT for k in IMPORT_OUTCOMES + ["pending"]}),
                   "error": nullable(obj({"code": STR, "message": STR})), "notes": STRS, "created_at": STR,
                   "updated_at": nullable(STR), "finished_at": nullable(STR)}),
    "ImportEntry": obj({"seq": COUNT, "path": STR, "media": STRS, "title": nullable(STR),
                        "first_posted_at": nullable(STR), "status": {"enum": IMPORT_OUTCOMES + [
                            "pending", "waiting", "importing"]}, "reason": nullable(STR), "post_id": nullable(STR)}),
    "ImportDetail": {"allOf": [ref("Import"), obj({"items": {"type": "array", "items": ref("ImportEntry")},
                                                   "next_cursor": CURSOR})]},
    "ImportCreated": obj({"import": ref("Import"), "upload": ref("Upload")}),
    "ImportPage": obj({"items": {"type": "array", "items": ref("Import")}, "next_cursor": CURSOR}),
    "Archive": obj({"id": nullable(STR), "state": {"enum": ["none", "queued", "building", "ready", "failed",
                                                            "expired"]},
                    "requested_at": nullable(STR), "ready_at": nullable(STR), "size": nullable(INT),
                    "download_url": nullable(STR), "expires_at": nullable(STR),
                    "counts": nullable({"type": "object", "additionalProperties": INT}), "error": nullable(STR)}),
}

EMPLOYMENT_TYPES = ["full_time", "part_time", "contract", "freelance", "internship", "temporary"]
JOB_FIELDS: dict[str, dict] = {
    "title": {"type": "string", "minLength": 1, "maxLength": 200},
    "organisation": {"type": "string", "minLength": 1, "maxLength": 200},
    "location": nullable({"type": "string", "maxLength": 200}),
    "remote": BOOL,
    "employment_type": {"enum": EMPLOYMENT_TYPES},
    "description": {"type": "string", "minLength": 1, "maxLength": 5000},
    "apply_url": nullable({"type": "string", "format": "uri", "maxLength": 2000}),
    "apply_email": nullable({"type": "string", "format": "email"}),
    "tags": {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 10},
    "closes_at": {"type": "string", "description": "ISO 8601 date (closes at the end of that day, UTC) or "
                                                   "date-time with offset; future, at most 180 days ahead."},
}
CONTENT_TYPE = {"enum": ["image/jpeg", "image/png", "image/webp", "image/avif", "image/gif"]}
POST_TITLE = {"type": "string", "minLength": 1, "maxLength": 200}
LINK = obj({"label": {"type": "string", "minLength": 1, "maxLength": 40},
            "url": {"type": "string", "minLength": 1, "maxLength": 500, "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://"}})
NOTE = nullable({"type": "string", "maxLength": 2000})
PRICES = {"type": "object", "additionalProperties": {"type": "number", "minimum": 0}}


def _strict(schema: dict, min_properties: int = 0) -> dict:
    out = {**schema, "additionalProperties": False}
    if min_properties:
        out["minProperties"] = min_properties
    return out


REQUEST_BODIES: dict[str, dict] = {
    "signup": obj({"handle": {"type": "string", "pattern": "^[a-z0-9_]{3,30}$"}, "email": {"type": "string", "format": "email"},
                   "password": {"type": "string", "minLength": 1}}),
    "login": obj({"handle": STR, "password": STR}),
    "refresh": obj({"refresh_token": STR}),
    "create_post": {**obj({"title": {"type": "string", "minLength": 1, "maxLength": 200}},
                          {"description": {"type": "string", "maxLength": 5000},
                           "tags": {"type": "array", "items": STR, "maxItems": 20},
                           "content_type": CONTENT_TYPE, "content_length": {"type": "integer", "minimum": 1},
                           "images": {"type": "array", "minItems": 1, "maxItems": 10, "items": obj(
                               {"content_type": CONTENT_TYPE, "content_length": {"type": "integer", "minimum": 1}},
                               {"alt": {"type": "string", "maxLength": 1000,
                                        "description": "Alt text: the image described for people who cannot see it."}})},
                           "protected": {"type": "boolean", "description": "The artist applied Glaze/Nightshade."},
                           "labels": {"type": "array", "items": {"enum": ["mature"]}}}),
                    "description": "One image (`content_type`, `content_length`) or several (`images`, 1-10), "
                                   "not both.",
                    "oneOf": [{"required": ["content_type", "content_length"], "not": {"required": ["images"]}},
                              {"required": ["images"], "not": {"anyOf": [{"required": ["content_type"]},
                                                                         {"required": ["content_length"]}]}}]},
    "change_password": obj({"current_password": STR, "new_password": STR}),
    "token": obj({"token": STR}),
    "reset": obj({"email": STR}),
    "reset_confirm": obj({"token": STR, "password": STR}),
    "start_conversation": obj({"handle": STR}),
    "send_message": obj({"text": {"type": "string", "minLength": 1, "maxLength": 2000}}),
    "create_job": {**obj({k: v for k, v in JOB_FIELDS.items() if k not in ("location", "apply_url", "apply_email")},
                         {k: JOB_FIELDS[k] for k in ("location", "apply_url", "apply_email")})},
    "edit_job": {"type": "object", "properties": {**JOB_FIELDS, "status": {"enum": ["open", "closed"]}},
                 "additionalProperties": False},
    # -- community
    "update_me": _strict({"type": "object", "properties": {
        "display_name": nullable({"type": "string", "maxLength": 50}),
        "bio": nullable({"type": "string", "maxLength": 1000}),
        "links": nullable({"type": "array", "maxItems": 10, "items": {**LINK, "additionalProperties": False}}),
        "open_to_work": BOOL, "show_mature": BOOL, "hide_likes": BOOL}}),
    "delete_me": obj({"password": {"type": "string", "minLength": 1}}),
    "profile_image": _strict(obj({"content_type": CONTENT_TYPE, "content_length": {"type": "integer", "minimum": 1}})),
    "portfolio_order": obj({"post_ids": {"type": "array", "maxItems": 50, "uniqueItems": True,
                                         "items": {"type": "string", "minLength": 1, "maxLength": 40}}}),
    "edit_post": _strict({"type": "object", "properties": {
        "title": POST_TITLE, "description": nullable({"type": "string", "maxLength": 5000}),
        "tags": nullable({"type": "array", "items": STR, "maxItems": 20})}}, min_properties=1),
    "comment": obj({"text": {"type": "string", "minLength": 1, "maxLength": 2000}}),
    "create_collection": obj({"title": {"type": "string", "minLength": 1, "maxLength": 100}},
                             {"description": nullable({"type": "string", "maxLength": 2000})}),
    "edit_collection": _strict({"type": "object", "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 100},
        "description": nullable({"type": "string", "maxLength": 2000})}}, min_properties=1),
    "collection_post": obj({"post_id": {"type": "string", "minLength": 1, "maxLength": 40}}),
    "collection_order": obj({"post_ids": {"type": "array", "maxItems": 200, "items": STR,
                                          "description": "Exactly the collection's posts, in the new order."}}),
    "mark_read": {"type": "object", "properties": {"ids": {
        "type": "array", "maxItems": 100, "items": {"type": "string", "minLength": 1, "maxLength": 40}}},
        "description": "No body (or no `ids`): everything is read; `ids`: just those."},
    # -- moderation
    "decision": obj({"decision": {"enum": MOD_DECISIONS}}, {"note": NOTE, "known_ai": BOOL}),
    "known_ai": obj({"phash": {"type": "string", "pattern": "^[0-9a-fA-F]{16}$"}}, {"note": NOTE}),
    "appeal": obj({"statement": {"type": "string", "minLength": 1, "maxLength": 5000}},
                  {"evidence_urls": {"type": "array", "maxItems": 10, "items": {
                      "type": "string", "maxLength": 500, "pattern": "^https?://[^\\s]+$"}}}),
    "report": obj({"reason": {"enum": REPORT_REASONS}}, {"details": NOTE}),
    # -- founders
    "budget": {"type": "object", "description": "Omitted fields keep their values.", "properties": {
        "monthly_usd": {"type": "number", "exclusiveMinimum": 0, "maximum": 1e12},
        "balance_usd": {"type": "number", "minimum": 0, "maximum": 1e12},
        "thresholds": _strict({"type": "object", "properties": {
            "saver": {"type": "number", "exclusiveMinimum": 0, "maximum": 10},
            "survival": {"type": "number", "exclusiveMinimum": 0, "maximum": 10}}})}},
    "price_version": obj({"version": {"type": "string", "minLength": 1}, "region": {"type": "string", "minLength": 1},
                          "source": {"type": "string", "minLength": 1},
                          "effective_from": {"type": "string", "description": "YYYY-MM-DD"}},
                         {"prices": PRICES, "currency": STR, "cloudfront_flat_plans": {"type": "array",
                                                                                        "items": {"type": "object"}},
                          "fx_usd": {"type": "object", "additionalProperties": {"type": "number",
                                                                                 "exclusiveMinimum": 0}}}),
    "guard_pin": obj({"pin": nullable({"enum": GUARD_LEVELS})}),
    "create_import": obj({"source": {"enum": ["instagram", "easel"]},
                          "content_length": {"type": "integer", "minimum": 22, "maximum": 5 * 1024 ** 3,
                                             "description": "The ZIP's size in bytes (at most 5 GB)."}}),
    "donation": obj({"amount": {"type": ["string", "number"], "description": "A positive decimal amount."},
                     "currency": {"type": "string", "pattern": "^[A-Za-z]{3}$"}},
                    {"note": nullable({"type": "string", "maxLength": 500}),
                     "id": {"type": "string", "maxLength": 100, "description": "Makes retries idempotent."},
                     "received_at": {"type": "string", "description": "ISO 8601; default now."},
                     "from_name": nullable(STR)}),
}
# Ko-fi posts `application/x-www-form-urlencoded` with one field, `data` (a JSON object as text).
FORM_BODIES: dict[str, dict] = {
    "kofi": obj({"data": {"type": "string", "description": "JSON: verification_token, kofi_transaction_id, "
                                                        "amount, currency, timestamp, from_name, type."}}),
}


def _param(name: str, where: str, schema: dict, description: str = "", required: bool | None = None) -> dict:
    out = {"name": name, "in": where, "required": where == "path" if required is None else required, "schema": schema}
    if description:
        out["description"] = description
    return out


LIMIT = _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 50}, "Page size (default 20).")
CURSOR_P = _param("cursor", "query", STR, "Opaque signed cursor from the previous page's next_cursor.")
ID = {"type": "string", "maxLength": 60}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def op(summary: str, ok: tuple[int, str] | None, *, auth: str = "none", params: list[dict] | None = None,
       body: str | None = None, public: bool = False, content: dict | None = None, tag: str = "api",
       no_content: bool = False, body_required: bool = True, form: str | None = None) -> dict:
    """One operation: its success response, the Error shape for every other status
    (`default`), 401 when it needs a token, 304 when it is publicly cacheable."""
    responses: dict[str, Any] = {}
    if ok is not None:
        status, schema = ok
        responses[str(status)] = _json(ref(schema), "Success.")
    if content is not None:
        responses["200"] = {"description": "Success.", "content": content}
    if no_content:
        responses["204"] = {"description": "Done; no body."}
    if public:
        responses["304"] = {"description": "Not modified (If-None-Match matched the ETag)."}
    if auth == "required":
        responses["401"] = _json(ref("Error"), "Missing or invalid access token.")
    responses["default"] = _json(ref("Error"), "An error, always in this shape.")
    out: dict[str, Any] = {"summary": summary + (" " + PUBLIC_CACHE_NOTE if public else ""), "tags": [tag],
                           "responses": responses}
    if params:
        out["parameters"] = params
    if body:
        out["requestBody"] = {"required": body_required,
                              "content": {"application/json": {"schema": REQUEST_BODIES[body]}}}
    if form:
        out["requestBody"] = {"required": True, "content": {
            "application/x-www-form-urlencoded": {"schema": FORM_BODIES[form]}}}
    if auth == "required":
        out["security"] = [{"bearer": []}]
    elif auth == "optional":
        out["security"] = [{"bearer": []}, {}]
    return out


HANDLE = _param("handle", "path", {"type": "string", "maxLength": 40})
POST_ID = _param("post_id", "path", ID)
CONV_ID = _param("conversation_id", "path", {"type": "string", "maxLength": 80})
JOB_ID = _param("job_id", "path", ID)
TAG = _param("tag", "path", {"type": "string", "maxLength": 80})
COLLECTION_ID = _param("collection_id", "path", ID)
COMMENT_ID = _param("comment_id", "path", ID)
ITEM_ID = _param("item_id", "path", ID)
PAGE = [LIMIT, CURSOR_P]


def paths() -> dict[str, dict]:
    return {
        "/v1/health": {"get": op("Liveness.", (200, "Health"), tag="platform")},
        "/robots.txt": {"get": op("Crawler rules: AI crawlers disallowed.", None, tag="platform",
                                  content={"text/plain": {"schema": STR}}, public=True)},
        "/.well-known/tdmrep.json": {"get": op("TDMRep: text and data mining rights reserved.", (200, "TdmRep"),
                                               tag="platform", public=True)},
        "/.well-known/jwks.json": {"get": op("Public keys of the access-token signers.", (200, "Jwks"),
                                             tag="identity", public=True)},
        "/v1/openapi.json": {"get": op("This document.", (200, "OpenApi"), tag="platform", public=True)},
        "/v1/auth/signup": {"post": op("Create an account.", (201, "Signup"), body="signup", tag="identity")},
        "/v1/auth/login": {"post": op("Log in.", (200, "TokenPair"), body="login", tag="identity")},
        "/v1/auth/refresh": {"post": op("Rotate the refresh token.", (200, "TokenPair"), body="refresh",
                                        tag="identity")},
        "/v1/auth/sessions": {"get": op("Your live sessions.", (200, "SessionList"), auth="required",
                                        tag="identity")},
        "/v1/auth/sessions/{session_id}": {"delete": op(
            "End one of your sessions (204; someone else's or a missing one: 404).", None, auth="required",
            params=[_param("session_id", "path", {"type": "string", "maxLength": 64})], tag="identity",
            no_content=True)},
        "/v1/auth/logout": {"post": op("End the session of this access token (204).", None, auth="required",
                                       tag="identity", no_content=True)},
        "/v1/auth/logout-all": {"post": op("End all your sessions.", (200, "SessionsEnded"), auth="required",
                                           tag="identity")},
        "/v1/auth/password": {"post": op("Change your password; ends your other sessions.", (200, "Status"),
                                         auth="required", body="change_password", tag="identity")},
        "/v1/auth/verify": {"post": op("Verify your e-mail address with the mailed token.", (200, "Status"),
                                       body="token", tag="identity")},
        "/v1/auth/verify/resend": {"post": op("Send the verification mail again (202).", (202, "Status"),
                                              auth="required", tag="identity")},
        "/v1/auth/password-reset": {"post": op("Mail a reset token; always 202, whether or not the address "
                                               "exists.", (202, "Status"), body="reset", tag="identity")},
        "/v1/auth/password-reset/confirm": {"post": op("Set a new password with the mailed token; ends every "
                                                       "session.", (200, "Status"), body="reset_confirm",
                                                       tag="identity")},
        "/v1/admin/users/{handle}/role-changes": {"get": op("Audit trail of a user's role changes (founders).",
                                                            (200, "RoleChanges"), auth="required",
                                                            params=[HANDLE], tag="admin")},
        "/dev/outbox": {"get": op("Local platform only: mail sent through the local SES.", (200, "Outbox"),
                                  tag="platform")},
        "/v1/posts": {"post": op("Create a post and its presigned upload.", (201, "PostCreated"), auth="required",
                                 body="create_post", tag="posts")},
        "/v1/posts/{post_id}": {
            "get": op("A post (its author also sees `screening`).", (200, "Post"), auth="optional",
                      params=[POST_ID], public=True, tag="posts"),
            "patch": op("Edit the title, description or tags of your post.", (200, "Post"), auth="required",
                        params=[POST_ID], body="edit_post", tag="posts"),
            "delete": op("Delete your post and its media.", (200, "PostDeleted"), auth="required",
                         params=[POST_ID], tag="posts")},
        "/v1/users/{handle}": {"get": op("A profile with counters; a signed-in viewer also gets "
                                         "`followed_by_me` (private, no-store).", (200, "Profile"),
                                         auth="optional", params=[HANDLE], public=True, tag="people")},
        "/v1/users/{handle}/follow": {
            "post": op("Follow (idempotent).", (200, "FollowResult"), auth="required", params=[HANDLE], tag="people"),
            "delete": op("Unfollow (idempotent).", (200, "FollowResult"), auth="required", params=[HANDLE],
                         tag="people")},
        "/v1/users/{handle}/posts": {"get": op(
            "Portfolio: the artist's pinned posts first (`pinned`, first page only), then newest first.",
            (200, "PostPage"), auth="optional", params=[HANDLE, LIMIT, CURSOR_P], public=True, tag="people")},
        "/v1/feed": {"get": op("Home feed: posts of the artists you follow and their reposts (`reposted_by`).",
                               (200, "PostPage"), auth="required", params=[LIMIT, CURSOR_P], tag="people")},
        "/v1/discover": {"get": op("Everyone's published work: recent work blended with rising work. Mature "
                                   "work is hidden from anonymous viewers and `blurred` for viewers who have "
                                   "not opted in; signed-in pages carry `liked_by_me` and are private, "
                                   "no-store.", (200, "DiscoverPage"),
                                   auth="optional", params=[CURSOR_P], public=True, tag="discovery")},
        "/v1/tags": {"get": op("Tag suggestions for a prefix (at least 2 characters), most used first.",
                               (200, "TagSuggestions"), params=[_param("prefix", "query", STR, required=True)],
                               public=True, tag="discovery")},
        "/v1/tags/{tag}/posts": {"get": op("Posts under a (normalised) tag, newest first; signed-in pages "
                                           "carry `liked_by_me` and `blurred` and are private, no-store.",
                                           (200, "TagPage"),
                                           auth="optional", params=[TAG, LIMIT, CURSOR_P], public=True,
                                           tag="discovery")},
        "/v1/conversations": {
            "post": op("Start (or get) the conversation with a user.", (201, "Conversation"), auth="required",
                       body="start_conversation", tag="messages"),
            "get": op("Your conversations, newest activity first; `request` marks the requests folder.",
                      (200, "ConversationPage"), auth="required", params=[LIMIT, CURSOR_P], tag="messages")},
        "/v1/conversations/{conversation_id}/messages": {
            "get": op("Messages, newest first.", (200, "MessagePage"), auth="required",
                      params=[CONV_ID, LIMIT, CURSOR_P], tag="messages"),
            "post": op("Send a message.", (201, "Message"), auth="required", params=[CONV_ID],
                       body="send_message", tag="messages")},
        "/v1/conversations/{conversation_id}/read": {
            "post": op("Mark the conversation read.", (200, "Conversation"), auth="required", params=[CONV_ID],
                       tag="messages")},
        "/v1/conversations/{conversation_id}/accept": {
            "post": op("Accept a message request.", (200, "Conversation"), auth="required", params=[CONV_ID],
                       tag="messages")},
        "/v1/jobs": {
            "post": op("Post a job.", (201, "Job"), auth="required", body="create_job", tag="jobs"),
            "get": op("Open jobs, closing soonest first.", (200, "JobPage"), public=True, tag="jobs",
                      params=[_param("tag", "query", STR, required=False),
                              _param("type", "query", {"enum": EMPLOYMENT_TYPES}, required=False),
                              _param("remote", "query", {"type": "boolean"}, required=False), LIMIT, CURSOR_P])},
        "/v1/jobs/{job_id}": {
            "get": op("A job.", (200, "Job"), params=[JOB_ID], public=True, tag="jobs"),
            "patch": op("Edit or close (`{\"status\":\"closed\"}`) your job.", (200, "Job"), auth="required",
                        params=[JOB_ID], body="edit_job", tag="jobs"),
            "delete": op("Delete your job.", (200, "Deleted"), auth="required", params=[JOB_ID], tag="jobs")},
        # -- community: your profile, your posts, interactions, relations, collections, notifications
        "/v1/me": {
            "get": op("Your profile with your e-mail, settings and pinned posts.", (200, "Me"), auth="required",
                      tag="people"),
            "patch": op("Change profile fields and settings; only the fields sent change (an empty "
                        "display_name or bio clears it).", (200, "Me"), auth="required", body="update_me",
                        tag="people"),
            "delete": op("Delete your account (password required). Answers 202 at once: the account is "
                         "invisible and signed out everywhere immediately; its posts, media, likes, comments, "
                         "reposts, follows, collections, jobs, notifications and messages are erased in the "
                         "background; the handle stays reserved until `handle_released_at`.",
                         (202, "ErasureScheduled"), auth="required", body="delete_me", tag="people")},
        **{f"/v1/me/{kind}": {
            "post": op(f"Upload a new {kind}: a presigned POST exactly like a post's. It is screened like a post "
                       "and shown only once it passes (status in `profile_images` of GET /v1/me; a `screening` "
                       "notification tells the outcome); it never enters portfolios, feeds or discovery.",
                       (201, "ProfileImageCreated"), auth="required", body="profile_image", tag="people"),
            "delete": op(f"Remove your {kind} from your profile and delete its media (idempotent); a pending "
                         "upload is dropped too.", (200, "ProfileImageRemoved"), auth="required", tag="people")}
           for kind in PROFILE_IMAGE_KINDS},
        "/v1/me/portfolio-order": {"put": op(
            "Pin up to 50 of your published posts, in this order, before the rest of your portfolio.",
            (200, "PortfolioOrder"), auth="required", body="portfolio_order", tag="people")},
        "/v1/posts/{post_id}/like": {
            "post": op("Like a post (idempotent).", (200, "LikeResult"), auth="required", params=[POST_ID],
                       tag="interactions"),
            "delete": op("Unlike (idempotent).", (200, "LikeResult"), auth="required", params=[POST_ID],
                         tag="interactions")},
        "/v1/posts/{post_id}/repost": {
            "post": op("Repost to your followers' feeds (idempotent; not your own post).", (200, "RepostResult"),
                       auth="required", params=[POST_ID], tag="interactions"),
            "delete": op("Undo a repost (idempotent).", (200, "RepostResult"), auth="required", params=[POST_ID],
                         tag="interactions")},
        "/v1/posts/{post_id}/comments": {
            "get": op("Comments, oldest first.", (200, "CommentPage"), auth="optional", params=[POST_ID, *PAGE],
                      public=True, tag="interactions"),
            "post": op("Comment on a post.", (201, "Comment"), auth="required", params=[POST_ID], body="comment",
                       tag="interactions")},
        "/v1/posts/{post_id}/comments/{comment_id}": {"delete": op(
            "Delete your comment, or any comment on your post.", (200, "Deleted"), auth="required",
            params=[POST_ID, COMMENT_ID], tag="interactions")},
        "/v1/users/{handle}/likes": {"get": op(
            "The posts a user liked, newest like first (403 `likes_hidden` when they keep likes private).",
            (200, "PostPage"), auth="optional", params=[HANDLE, *PAGE], public=True, tag="interactions")},
        "/v1/users/{handle}/block": {
            "post": op("Block (removes follows both ways).", (200, "BlockResult"), auth="required", params=[HANDLE],
                       tag="people"),
            "delete": op("Unblock.", (200, "BlockResult"), auth="required", params=[HANDLE], tag="people")},
        "/v1/users/{handle}/mute": {
            "post": op("Mute (their posts and reposts leave your feed).", (200, "MuteResult"), auth="required",
                       params=[HANDLE], tag="people"),
            "delete": op("Unmute.", (200, "MuteResult"), auth="required", params=[HANDLE], tag="people")},
        "/v1/users/{handle}/collections": {"get": op("A user's collections.", (200, "CollectionPage"),
                                                     params=[HANDLE, *PAGE], public=True, tag="collections")},
        "/v1/collections": {"post": op("Create a collection.", (201, "Collection"), auth="required",
                                       body="create_collection", tag="collections")},
        "/v1/collections/{collection_id}": {
            "patch": op("Rename or describe your collection.", (200, "Collection"), auth="required",
                        params=[COLLECTION_ID], body="edit_collection", tag="collections"),
            "delete": op("Delete your collection (its posts stay).", (200, "Deleted"), auth="required",
                         params=[COLLECTION_ID], tag="collections")},
        "/v1/collections/{collection_id}/posts": {
            "get": op("A collection and a page of its posts, in order.", (200, "CollectionPosts"), auth="optional",
                      params=[COLLECTION_ID, *PAGE], public=True, tag="collections"),
            "post": op("Add one of your published posts (idempotent).", (200, "Collection"), auth="required",
                       params=[COLLECTION_ID], body="collection_post", tag="collections")},
        "/v1/collections/{collection_id}/posts/{post_id}": {"delete": op(
            "Take a post out of your collection (idempotent).", (200, "Collection"), auth="required",
            params=[COLLECTION_ID, POST_ID], tag="collections")},
        "/v1/collections/{collection_id}/order": {"put": op(
            "Reorder your collection.", (200, "Collection"), auth="required", params=[COLLECTION_ID],
            body="collection_order", tag="collections")},
        "/v1/notifications": {"get": op("Your notifications, newest first, with the unread count.",
                                        (200, "NotificationPage"), auth="required", params=PAGE,
                                        tag="notifications")},
        "/v1/notifications/read": {"post": op("Mark notifications read.", (200, "UnreadCount"), auth="required",
                                              body="mark_read", body_required=False, tag="notifications")},
        # -- moderation (moderators), appeals (authors), reports (anyone signed in)
        "/v1/moderation/queue": {"get": op(
            "Open review items, oldest first (moderators).", (200, "ModerationQueue"), auth="required",
            params=[_param("kind", "query", {"enum": MOD_KINDS}, required=False),
                    _param("reason", "query", {"type": "string", "pattern": "^[a-z_]{1,64}$"}, required=False),
                    _param("min_age_hours", "query", {"type": "number", "minimum": 0, "maximum": 8760},
                           "Only items opened at least this many hours ago.", required=False),
                    *PAGE], tag="moderation")},
        "/v1/moderation/items/{item_id}": {"get": op(
            "A review item with the post, presigned originals, the full screening record, its history and "
            "audit trail (moderators).", (200, "ModerationItem"), auth="required", params=[ITEM_ID],
            tag="moderation")},
        "/v1/moderation/items/{item_id}/decision": {"post": op(
            "Decide an open item (409 `already_decided` if someone else did).", (200, "ModerationDecision"),
            auth="required", params=[ITEM_ID], body="decision", tag="moderation")},
        "/v1/moderation/known-ai": {
            "post": op("Add a perceptual hash to the known-AI list (moderators).", (201, "KnownAi"),
                       auth="required", body="known_ai", tag="moderation"),
            "get": op("The known-AI list, newest first, with who added each entry and why (moderators).",
                      (200, "KnownAiPage"), auth="required", params=PAGE, tag="moderation")},
        "/v1/moderation/known-ai/{entry_id}": {"delete": op(
            "Remove a known-AI entry and its index items, so it stops matching (moderators; audited). An entry "
            "made before entry records existed and not yet backfilled is found with `phash`.", (200, "Deleted"),
            auth="required", params=[_param("entry_id", "path", {"type": "string", "maxLength": 40}),
                                     _param("phash", "query", {"type": "string", "pattern": "^[0-9a-fA-F]{16}$"},
                                            required=False)], tag="moderation")},
        "/v1/posts/{post_id}/appeal": {
            "post": op("Appeal a rejection, a hold or a mature label on your post.", (201, "AppealCreated"),
                       auth="required", params=[POST_ID], body="appeal", tag="moderation"),
            "get": op("Your appeals about your post.", (200, "Appeals"), auth="required", params=[POST_ID],
                      tag="moderation")},
        "/v1/posts/{post_id}/report": {"post": op("Report a published post.", (201, "ReportReceived"),
                                                  auth="required", params=[POST_ID], body="report",
                                                  tag="moderation")},
        # -- founders: costs, budget, prices, guard, donations; the Ko-fi webhook
        "/v1/admin/costs": {"get": op(
            "Costs for a range of days, grouped by service, feature or day (founders).", (200, "CostReport"),
            auth="required", tag="admin", params=[
                _param("from", "query", {"type": "string", "format": "date"}, "Default: the 1st of `to`'s month.",
                       required=False),
                _param("to", "query", {"type": "string", "format": "date"}, "Default: today (UTC).",
                       required=False),
                _param("group_by", "query", {"enum": ["service", "feature", "day"]}, required=False)])},
        "/v1/admin/costs/daily": {"get": op(
            "Spend per day stacked by service for one month, with month to date, forecast and budget (founders).",
            (200, "CostDaily"), auth="required", tag="admin", params=[
                _param("month", "query", {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
                       "YYYY-MM; default: this month (UTC).", required=False)])},
        "/v1/admin/costs/monthly": {"get": op(
            "Spend, MAU and cost per MAU for each of the last `months` months, oldest first (founders).",
            (200, "CostMonthly"), auth="required", tag="admin", params=[
                _param("months", "query", {"type": "integer", "minimum": 1, "maximum": 24}, "Default 6.",
                       required=False)])},
        "/v1/admin/budget": {
            "get": op("The monthly budget, guard thresholds and balance (founders).", (200, "Budget"),
                      auth="required", tag="admin"),
            "put": op("Change the budget (founders).", (200, "Budget"), auth="required", body="budget",
                      tag="admin")},
        "/v1/admin/prices": {
            "get": op("The versioned price table (founders).", (200, "PriceTable"), auth="required", tag="admin"),
            "put": op("Add a price version; omitted figures are inherited (founders).", (200, "PriceVersion"),
                      auth="required", body="price_version", tag="admin")},
        "/v1/admin/guard": {
            "get": op("The budget guard's level and recent transitions (founders).", (200, "GuardState"),
                      auth="required", tag="admin"),
            "put": op("Pin a level (or `null` to unpin), then re-evaluate (founders).", (200, "GuardEvaluation"),
                      auth="required", body="guard_pin", tag="admin")},
        "/v1/admin/guard/evaluate": {"post": op("Re-evaluate the guard now (founders).", (200, "GuardEvaluation"),
                                                auth="required", tag="admin")},
        "/v1/admin/donations": {
            "get": op("The donations ledger and runway (founders).", (200, "DonationLedger"), auth="required",
                      tag="admin"),
            "post": op("Record a donation by hand (founders).", (201, "DonationAdded"), auth="required",
                       body="donation", tag="admin")},
        "/v1/webhooks/donations": {"post": op(
            "Ko-fi's webhook (authenticated by the verification token inside `data`); duplicates are "
            "acknowledged.", (200, "WebhookReceived"), form="kofi", tag="admin")},
        # -- portability: imports and the archive (docs/portability.md)
        "/v1/imports": {
            "post": op("Start an import of an Instagram export or an Easel archive: the import and a presigned "
                       "POST for the ZIP (up to 5 GB).", (201, "ImportCreated"), auth="required",
                       body="create_import", tag="portability"),
            "get": op("Your imports, newest first.", (200, "ImportPage"), auth="required", params=PAGE,
                      tag="portability")},
        "/v1/imports/{import_id}": {"get": op(
            "An import: state, counts per outcome and its entries (path, post, status, reason), paginated.",
            (200, "ImportDetail"), auth="required", params=[_param("import_id", "path", ID), *PAGE],
            tag="portability")},
        "/v1/me/archive": {
            "post": op("Ask for an archive of your account (202; one a day, then 429).", (202, "Archive"),
                       auth="required", tag="portability"),
            "get": op("Your latest archive: its state and, when ready, a download link (at most 7 days).",
                      (200, "Archive"), auth="required", tag="portability")},
        "/media/p/{post_id}/{name}": {"get": op(
            "Local platform only: a derivative (CloudFront + S3 in production).", None, tag="platform",
            params=[POST_ID, _param("name", "path", {"type": "string", "maxLength": 60})], public=True,
            content={"image/webp": {"schema": {"type": "string", "format": "binary"}}})},
    }


@lru_cache(maxsize=1)
def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Easel API", "version": "1",
                 "description": "A community for human-made art. Errors are always "
                                "{\"error\":{\"code\",\"message\",\"field\"?}}."},
        "servers": [{"url": "/"}],
        "paths": paths(),
        "components": {"schemas": SCHEMAS,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
    }
