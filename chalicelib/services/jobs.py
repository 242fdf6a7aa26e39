"""The jobs board: studios and artists post jobs; anyone lists them by tag, type and remote.

Each open job has one listing entry per facet, sorted by closing time and expiring (TTL) at
it; a listing is one Query from "now" on plus one BatchGetItem of the jobs, never a Scan."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable
from urllib.parse import urlsplit

from ulid import ULID

from chalicelib.adapters.social_store import JobRepository
from chalicelib.adapters.tables import iso, utcnow
from chalicelib.adapters.tables_social import JobIndexItem, JobItem
from chalicelib.config import Settings
from chalicelib.domain import validation as v
from chalicelib.domain.cursor import decode_cursor, encode_cursor
from chalicelib.errors import Forbidden, NotFound, ValidationError
from chalicelib.services.tokens import Principal

EMPLOYMENT_TYPES = ("full_time", "part_time", "contract", "freelance", "internship", "temporary")
MAX_OPEN_DAYS = 180
KEEP_CLOSED_DAYS = 30
MAX_JOB_TAGS = 10
MAX_URL = 2000
JOB_ID_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
EDITABLE = ("title", "organisation", "location", "remote", "employment_type", "description", "apply_url",
            "apply_email", "tags", "closes_at", "status")


def parse_closes_at(value: Any, now: datetime) -> str:
    """An ISO 8601 date (closes at the end of that day, UTC) or date-time with an offset;
    in the future and at most MAX_OPEN_DAYS ahead."""
    if not isinstance(value, str) or len(value) > 40:
        raise ValidationError("'closes_at' must be an ISO 8601 date, e.g. 2030-01-31.", field="closes_at")
    raw = value.strip()
    try:
        if len(raw) == 10:
            when = datetime.combine(date.fromisoformat(raw), time(23, 59, 59), tzinfo=timezone.utc)
        else:
            when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            if when.tzinfo is None:
                raise ValueError("naive")
    except ValueError:
        raise ValidationError("'closes_at' must be an ISO 8601 date, or a date-time with a time zone.",
                              field="closes_at") from None
    if when <= now:
        raise ValidationError("'closes_at' must be in the future.", field="closes_at")
    if when > now + timedelta(days=MAX_OPEN_DAYS):
        raise ValidationError(f"'closes_at' must be within {MAX_OPEN_DAYS} days.", field="closes_at")
    return iso(when)


def parse_apply_url(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_URL:
        raise ValidationError(f"'apply_url' must be an http(s) URL of at most {MAX_URL} characters.",
                              field="apply_url")
    try:
        parts = urlsplit(value.strip())
        hostname = parts.hostname
    except ValueError:  # e.g. "http://[": "Invalid IPv6 URL"
        parts, hostname = None, None
    if parts is None or parts.scheme not in ("http", "https") or not hostname or \
            any(c.isspace() or ord(c) < 32 for c in value.strip()):
        raise ValidationError("'apply_url' must be an http or https URL.", field="apply_url")
    return value.strip()


def job_status(job: JobItem, now: datetime) -> str:
    if job.status == "open" and job.closes_at <= iso(now):
        return "expired"
    return job.status


def job_view(job: JobItem, now: datetime) -> dict:
    return {"id": job.job_id, "owner": {"id": job.owner_id, "handle": job.owner_handle}, "title": job.title,
            "organisation": job.organisation, "location": job.location, "remote": bool(job.remote),
            "employment_type": job.employment_type, "description": job.description,
            "apply_url": job.apply_url, "apply_email": job.apply_email, "tags": list(job.tags or []),
            "closes_at": job.closes_at, "status": job_status(job, now), "created_at": job.created_at,
            "updated_at": job.updated_at}


def index_keys(job: JobItem) -> list[tuple[str, str]]:
    """The listing entries of an open job: all facets, or none when it is closed."""
    if job.status != "open":
        return []
    facets = [JobIndexItem.facet(), JobIndexItem.facet(employment_type=job.employment_type),
              JobIndexItem.facet(remote=bool(job.remote)),
              JobIndexItem.facet(employment_type=job.employment_type, remote=bool(job.remote))]
    facets += [JobIndexItem.facet(tag=t) for t in job.tags or []]
    return [JobIndexItem.key(f, job.closes_at, job.job_id) for f in facets]


def _bool_param(raw: str | None, field: str) -> bool | None:
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise ValidationError(f"'{field}' must be true or false.", field=field)


class JobService:
    def __init__(self, repo: JobRepository, settings: Settings, cursor_key: Callable[[], bytes]) -> None:
        self.repo = repo
        self.settings = settings
        self.cursor_key = cursor_key

    def _apply(self, job: JobItem, body: dict, now: datetime, *, creating: bool) -> None:
        def present(name: str) -> bool:
            return creating or name in body

        if present("title"):
            job.title = v.string(body, "title", max_length=200, min_length=1)
        if present("organisation"):
            job.organisation = v.string(body, "organisation", max_length=200, min_length=1)
        if present("location"):
            job.location = v.string(body, "location", required=False, max_length=200) or None
        if present("remote"):
            if not isinstance(body.get("remote"), bool):
                raise ValidationError("'remote' must be true or false.", field="remote")
            job.remote = body["remote"]
        if present("employment_type"):
            kind = body.get("employment_type")
            if kind not in EMPLOYMENT_TYPES:
                raise ValidationError("'employment_type' must be one of " + ", ".join(EMPLOYMENT_TYPES) + ".",
                                      field="employment_type")
            job.employment_type = kind
        if present("description"):
            job.description = v.string(body, "description", max_length=v.MAX_DESCRIPTION, min_length=1)
        if present("tags"):
            tags = v.tags(body.get("tags"))
            if len(tags) > MAX_JOB_TAGS:
                raise ValidationError(f"At most {MAX_JOB_TAGS} tags.", field="tags")
            job.tags = tags
        if present("closes_at"):
            if "closes_at" not in body:
                raise ValidationError("'closes_at' is required.", field="closes_at")
            job.closes_at = parse_closes_at(body["closes_at"], now)
        if "apply_url" in body:
            job.apply_url = parse_apply_url(body["apply_url"]) if body["apply_url"] is not None else None
        if "apply_email" in body:
            job.apply_email = v.email(body["apply_email"]) if body["apply_email"] is not None else None
        if not job.apply_url and not job.apply_email:
            raise ValidationError("Say how to apply: 'apply_url' or 'apply_email'.", field="apply_url")
        if not job.remote and not job.location:
            raise ValidationError("'location' is required unless the job is remote.", field="location")
        if "status" in body and not creating:
            if body["status"] not in ("open", "closed"):
                raise ValidationError("'status' must be 'open' or 'closed'.", field="status")
            job.status = body["status"]

    def create(self, principal: Principal, body: Any) -> dict:
        body = v.require_object(body)
        now = utcnow()
        job_id = str(ULID())
        job = JobItem(*JobItem.key(job_id), job_id=job_id, owner_id=principal.user_id,
                      owner_handle=principal.handle, status="open", created_at=iso(now))
        try:
            self._apply(job, body, now, creating=True)
        except ValidationError as exc:
            if exc.field == "email":
                exc.field, exc.message = "apply_email", "'apply_email' must be a valid e-mail address."
            raise
        job.expires_at = datetime.fromisoformat(job.closes_at.replace("Z", "+00:00")) + timedelta(days=KEEP_CLOSED_DAYS)
        self.repo.create(job, index_keys(job))
        return job_view(job, now)

    def _get(self, job_id: str) -> JobItem:
        job = self.repo.get(job_id) if JOB_ID_RE.match(job_id or "") else None
        if job is None:
            raise NotFound("No such job.")
        return job

    def get(self, job_id: str) -> dict:
        return job_view(self._get(job_id), utcnow())

    def _owned(self, principal: Principal, job_id: str) -> JobItem:
        job = self._get(job_id)
        if job.owner_id != principal.user_id:
            raise Forbidden("Only the job's owner can change it.", code="not_owner")
        return job

    def update(self, principal: Principal, job_id: str, body: Any) -> dict:
        body = v.require_object(body)
        unknown = [k for k in body if k not in EDITABLE]
        if unknown:
            raise ValidationError(f"'{unknown[0]}' cannot be edited.", field=unknown[0])
        job = self._owned(principal, job_id)
        before = index_keys(job)
        now = utcnow()
        try:
            self._apply(job, body, now, creating=False)
        except ValidationError as exc:
            if exc.field == "email":
                exc.field, exc.message = "apply_email", "'apply_email' must be a valid e-mail address."
            raise
        if job.status == "open" and job.closes_at <= iso(now):
            raise ValidationError("Move 'closes_at' into the future to reopen the job.", field="closes_at")
        job.updated_at = iso(now)
        job.expires_at = datetime.fromisoformat(job.closes_at.replace("Z", "+00:00")) + timedelta(days=KEEP_CLOSED_DAYS)
        self.repo.replace(job, before, index_keys(job))
        return job_view(job, now)

    def delete(self, principal: Principal, job_id: str) -> dict:
        job = self._owned(principal, job_id)
        self.repo.delete(job, index_keys(job))
        return {"id": job.job_id, "deleted": True}

    def list(self, *, tag: str | None, kind: str | None, remote_raw: str | None, limit_raw: str | None,
             cursor: str | None) -> dict:
        limit = v.page_limit(limit_raw, self.settings.page_limit_default, self.settings.page_limit_max)
        remote = _bool_param(remote_raw, "remote")
        if kind is not None and kind != "" and kind not in EMPLOYMENT_TYPES:
            raise ValidationError("'type' must be one of " + ", ".join(EMPLOYMENT_TYPES) + ".", field="type")
        kind = kind or None
        norm_tag = None
        if tag:
            norm_tag = v.normalise_tag(tag)
            if not norm_tag or len(norm_tag) > v.MAX_TAG_LENGTH:
                raise ValidationError("'tag' is not a valid tag.", field="tag")
        if norm_tag:
            facet, flt_type, flt_remote = JobIndexItem.facet(tag=norm_tag), kind, remote
        else:
            facet, flt_type, flt_remote = JobIndexItem.facet(employment_type=kind, remote=remote), None, None
        scope = f"jobs:{facet}:{flt_type}:{flt_remote}"
        position = decode_cursor(self.cursor_key(), scope, cursor)
        now = utcnow()
        ids, last = self.repo.list_open_ids(facet, now=iso(now), limit=limit,
                                            after=position.get("after") if position else None,
                                            employment_type=flt_type, remote=flt_remote)
        jobs = self.repo.batch_get(ids)
        items = [job_view(jobs[j], now) for j in ids
                 if j in jobs and job_status(jobs[j], now) == "open"]  # entries outlive edits/TTL lag
        next_cursor = encode_cursor(self.cursor_key(), scope, {"after": last}) if last else None
        return {"items": items, "next_cursor": next_cursor}
