"""Jobs board: validated postings, facet listings without Scan (tag, type, remote), owner
edits/close/delete, and expiry both by TTL and at read time."""
from __future__ import annotations

import secrets
from datetime import date, timedelta

import pytest

from chalicelib.adapters.tables_social import JobIndexItem, JobItem
from tests.helpers import call, signup


def _job(**overrides):
    body = {"title": "Background painter", "organisation": "Studio Kite", "location": "Lyon",
            "remote": False, "employment_type": "full_time", "description": "Paint skies.",
            "apply_url": "https://kite.example/jobs/1", "tags": ["Background"],
            "closes_at": (date.today() + timedelta(days=30)).isoformat()}
    body.update(overrides)
    return body


def _post(client, user, **overrides):
    status, job, _ = call(client, "POST", "/v1/jobs", _job(**overrides), token=user["access_token"])
    assert status == 201, job
    return job


def _list(client, query=""):
    status, body, headers = call(client, "GET", "/v1/jobs" + query)
    assert status == 200, body
    return [j["id"] for j in body["items"]], body, headers


def test_post_and_read_a_job(client):
    studio = signup(client)
    job = _post(client, studio)
    assert job["status"] == "open" and job["remote"] is False and job["tags"] == ["background"]
    assert job["closes_at"].endswith("T23:59:59.000Z")
    status, got, headers = call(client, "GET", f"/v1/jobs/{job['id']}")
    assert status == 200 and got == job
    assert "s-maxage=" in headers["cache-control"] and headers["etag"]
    assert call(client, "GET", f"/v1/jobs/{job['id']}", headers={"If-None-Match": headers["etag"]})[0] == 304


@pytest.mark.parametrize("overrides, field", [
    ({"remote": "yes"}, "remote"),
    ({"closes_at": "next week"}, "closes_at"),
    ({"closes_at": "2001-01-01"}, "closes_at"),
    ({"closes_at": (date.today() + timedelta(days=400)).isoformat()}, "closes_at"),
    ({"closes_at": "2030-01-01T10:00:00"}, "closes_at"),  # a date-time needs its offset
    ({"apply_url": "javascript:alert(1)"}, "apply_url"),
    ({"apply_url": None}, "apply_url"),
    ({"apply_url": None, "apply_email": "not-an-address"}, "apply_email"),
    ({"employment_type": "gig"}, "employment_type"),
    ({"title": ""}, "title"),
    ({"location": None}, "location"),
    ({"tags": [f"t{i}" for i in range(11)]}, "tags"),
])
def test_invalid_postings_name_the_field(client, overrides, field):
    user = signup(client)
    status, body, _ = call(client, "POST", "/v1/jobs", _job(**overrides), token=user["access_token"])
    assert status == 400 and body["error"]["field"] == field, body


def test_apply_by_email_and_remote_without_location(client):
    user = signup(client)
    job = _post(client, user, apply_url=None, apply_email="jobs@kite.example", remote=True, location=None,
                closes_at=(date.today() + timedelta(days=3)).isoformat())
    assert job["apply_email"] == "jobs@kite.example" and job["location"] is None
    assert call(client, "POST", "/v1/jobs", _job())[0] == 401


def test_listings_filter_by_tag_type_and_remote(client):
    user = signup(client)
    tag = "jt" + secrets.token_hex(3)
    soon = (date.today() + timedelta(days=5)).isoformat()
    later = (date.today() + timedelta(days=20)).isoformat()
    a = _post(client, user, tags=[tag], employment_type="freelance", remote=True, closes_at=later)["id"]
    b = _post(client, user, tags=[tag], employment_type="full_time", remote=False, closes_at=soon)["id"]
    c = _post(client, user, tags=[tag], employment_type="freelance", remote=False, closes_at=soon)["id"]
    ids, _, headers = _list(client, f"?tag={tag.upper()}")
    assert ids == [b, c, a] or ids == [c, b, a]  # closing soonest first
    assert headers["cache-control"].startswith("public")
    assert _list(client, f"?tag={tag}&type=freelance")[0] == [c, a]
    assert _list(client, f"?tag={tag}&remote=true")[0] == [a]
    assert _list(client, f"?tag={tag}&type=freelance&remote=false")[0] == [c]
    ids, _, _ = _list(client, "?type=freelance&remote=true&limit=50")
    assert a in ids and b not in ids and c not in ids
    ids, _, _ = _list(client, "?limit=50")
    assert {a, b, c} <= set(ids)
    for query, field in (("?remote=maybe", "remote"), ("?type=gig", "type"), ("?tag=%23%23", "tag")):
        status, body, _ = call(client, "GET", "/v1/jobs" + query)
        assert status == 400 and body["error"]["field"] == field


def test_listing_pages_with_a_cursor(client):
    user = signup(client)
    tag = "jp" + secrets.token_hex(3)
    made = [_post(client, user, tags=[tag], closes_at=(date.today() + timedelta(days=d)).isoformat())["id"]
            for d in (3, 4, 5)]
    ids, page, _ = _list(client, f"?tag={tag}&limit=2")
    assert ids == made[:2]
    ids2, page2, _ = _list(client, f"?tag={tag}&limit=2&cursor={page['next_cursor']}")
    assert ids2 == made[2:]


def test_owner_edits_closes_and_deletes(client):
    owner, other = signup(client), signup(client)
    tag, new_tag = "je" + secrets.token_hex(3), "jn" + secrets.token_hex(3)
    job = _post(client, owner, tags=[tag])
    path = f"/v1/jobs/{job['id']}"
    status, body, _ = call(client, "PATCH", path, {"title": "Stolen"}, token=other["access_token"])
    assert status == 403
    status, body, _ = call(client, "DELETE", path, token=other["access_token"])
    assert status == 403
    status, body, _ = call(client, "PATCH", path, {"owner_id": "x"}, token=owner["access_token"])
    assert status == 400 and body["error"]["field"] == "owner_id"

    status, edited, _ = call(client, "PATCH", path, {"title": "Lead background painter", "tags": [new_tag]},
                             token=owner["access_token"])
    assert status == 200 and edited["title"] == "Lead background painter" and edited["updated_at"]
    assert _list(client, f"?tag={tag}")[0] == []
    assert _list(client, f"?tag={new_tag}")[0] == [job["id"]]

    status, closed, _ = call(client, "PATCH", path, {"status": "closed"}, token=owner["access_token"])
    assert status == 200 and closed["status"] == "closed"
    assert _list(client, f"?tag={new_tag}")[0] == []
    assert call(client, "GET", path)[1]["status"] == "closed"

    status, body, _ = call(client, "DELETE", path, token=owner["access_token"])
    assert status == 200 and body == {"id": job["id"], "deleted": True}
    assert call(client, "GET", path)[0] == 404


def test_expired_jobs_vanish_at_read_time_before_ttl_runs(client):
    """DynamoDB deletes expired items lazily (and moto never does): the listing starts its
    key condition at 'now', and a job read after closing says 'expired'."""
    user = signup(client)
    tag = "jx" + secrets.token_hex(3)
    job = _post(client, user, tags=[tag])
    # Every listing entry expires (TTL) exactly when the job closes.
    entries = [e for e in JobIndexItem.query(JobIndexItem.facet(tag=tag)) if e.job_id == job["id"]]
    assert entries and all(e.expires_at.isoformat().startswith(job["closes_at"][:19]) for e in entries)
    # Simulate the clock passing closes_at: move the job and an entry into the past, as if
    # the TTL sweeper had not run yet.
    past = "2020-01-01T00:00:00.000Z"
    item = JobItem.get(*JobItem.key(job["id"]))
    item.closes_at = past
    item.save()
    JobIndexItem(*JobIndexItem.key(JobIndexItem.facet(tag=tag), past, job["id"]), job_id=job["id"],
                 employment_type="full_time", remote=False).save()
    assert job["id"] not in _list(client, f"?tag={tag}")[0]  # neither the past entry nor the stale future one
    assert call(client, "GET", f"/v1/jobs/{job['id']}")[1]["status"] == "expired"
