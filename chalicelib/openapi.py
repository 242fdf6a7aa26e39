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

SCHEMAS: dict[str, dict] = {
    "Error": obj({"error": obj({"code": STR, "message": STR}, {"field": STR})}),
    "Tokens": obj({"access_token": STR, "refresh_token": STR, "token_type": STR, "expires_in": INT}),
    "UserRef": obj({"id": STR, "handle": STR}),
    "Signup": obj({"user": ref("UserRef"), "tokens": ref("Tokens")}),
    "TokenPair": obj({"tokens": ref("Tokens")}),
    "Variant": obj({"width": INT, "height": INT, "url": STR, "content_type": STR}),
    "Image": obj({"width": INT, "height": INT, "url": nullable(STR), "content_type": nullable(STR),
                  "variants": {"type": "array", "items": ref("Variant")}}),
    "Post": obj({"id": STR, "author": ref("UserRef"), "title": STR, "description": nullable(STR), "tags": STRS,
                 "status": {"enum": ["awaiting_upload", "processing", "published", "held_for_review", "rejected"]},
                 "images": {"type": "array", "items": ref("Image")}, "labels": STRS, "created_at": STR},
                {"screening": {"type": "object"}}),
    "ListedPost": {"allOf": [ref("Post"), obj({"mature": BOOL, "blurred": BOOL})]},
    "PostCreated": obj({"post": ref("Post"),
                        "upload": obj({"url": STR, "fields": {"type": "object", "additionalProperties": STR},
                                       "expires_in": INT})}),
    "PostPage": obj({"items": {"type": "array", "items": ref("Post")}, "next_cursor": CURSOR}),
    "Profile": obj({"id": STR, "handle": STR, "display_name": STR, "bio": STR, "followers_count": INT,
                    "following_count": INT, "posts_count": INT}),
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
REQUEST_BODIES: dict[str, dict] = {
    "signup": obj({"handle": {"type": "string", "pattern": "^[a-z0-9_]{3,30}$"}, "email": {"type": "string", "format": "email"},
                   "password": {"type": "string", "minLength": 1}}),
    "login": obj({"handle": STR, "password": STR}),
    "refresh": obj({"refresh_token": STR}),
    "create_post": obj({"title": {"type": "string", "minLength": 1, "maxLength": 200},
                        "content_type": {"enum": ["image/jpeg", "image/png", "image/webp", "image/avif", "image/gif"]},
                        "content_length": {"type": "integer", "minimum": 1}},
                       {"description": {"type": "string", "maxLength": 5000},
                        "tags": {"type": "array", "items": STR, "maxItems": 20}}),
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
       no_content: bool = False) -> dict:
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
        out["requestBody"] = {"required": True,
                              "content": {"application/json": {"schema": REQUEST_BODIES[body]}}}
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
        "/v1/posts/{post_id}": {"get": op("A post (its author also sees `screening`).", (200, "Post"),
                                          auth="optional", params=[POST_ID], public=True, tag="posts")},
        "/v1/users/{handle}": {"get": op("A profile with counters.", (200, "Profile"), params=[HANDLE],
                                         public=True, tag="people")},
        "/v1/users/{handle}/follow": {
            "post": op("Follow (idempotent).", (200, "FollowResult"), auth="required", params=[HANDLE], tag="people"),
            "delete": op("Unfollow (idempotent).", (200, "FollowResult"), auth="required", params=[HANDLE],
                         tag="people")},
        "/v1/users/{handle}/posts": {"get": op("Portfolio, newest first.", (200, "PostPage"), auth="optional",
                                               params=[HANDLE, LIMIT, CURSOR_P], public=True, tag="people")},
        "/v1/feed": {"get": op("Home feed: posts of the artists you follow.", (200, "PostPage"), auth="required",
                               params=[LIMIT, CURSOR_P], tag="people")},
        "/v1/discover": {"get": op("Everyone's published work: recent work blended with rising work. Mature "
                                   "work is hidden from anonymous viewers and `blurred` for viewers who have "
                                   "not opted in (then the response is private).", (200, "DiscoverPage"),
                                   auth="optional", params=[CURSOR_P], public=True, tag="discovery")},
        "/v1/tags": {"get": op("Tag suggestions for a prefix (at least 2 characters), most used first.",
                               (200, "TagSuggestions"), params=[_param("prefix", "query", STR, required=True)],
                               public=True, tag="discovery")},
        "/v1/tags/{tag}/posts": {"get": op("Posts under a (normalised) tag, newest first.", (200, "TagPage"),
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
