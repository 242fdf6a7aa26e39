"""Property-based contract test: schemathesis generates requests (valid and invalid) from
/v1/openapi.json and sends them over HTTP to the platform `make run` starts (moto server,
Chalice's local server, the worker). Every response must be documented, match its schema and
content type, and none may be a 5xx. Examples per operation are bounded so the file stays fast
in `make test` (6 each); `make fuzz` (SCHEMATHESIS_MAX_EXAMPLES=25) runs the deep pass, which
must send at least 1,000 generated cases (issue 14; figures in docs/evidence.md)."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_schema_conformance, status_code_conformance,
)

from tests.e2e.conftest import running_platform
from tests.fixtures.photos import jpeg_with_gps
from tests.helpers import PASSWORD, unique_handle

pytestmark = pytest.mark.e2e

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "6"))
MIN_CASES = int(os.environ.get("SCHEMATHESIS_MIN_CASES", "0"))  # the deep pass asks for 1,000
SENT: dict[str, int] = {"cases": 0, "operations": 0}
_SEEN_OPERATIONS: set[str] = set()
API_GATEWAY_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    # Schedules every second, so the discovery snapshot follows an upload quickly.
    yield from running_platform(Path(tmp_path_factory.mktemp("schemathesis-logs")), LOCAL_SCHEDULE_SECONDS="1")


def _new_user_headers(platform) -> dict:
    handle = unique_handle("fuzz")
    r = requests.post(f"{platform.api_url}/v1/auth/signup", timeout=10,
                      json={"handle": handle, "email": f"{handle}@example.com", "password": PASSWORD})
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['tokens']['access_token']}"}


@pytest.fixture(scope="module")
def auth_headers(platform):
    return _new_user_headers(platform)


@pytest.fixture
def api_schema(platform):
    return schemathesis.openapi.from_url(f"{platform.api_url}/v1/openapi.json", timeout=10)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_the_api_honours_its_contract(case, platform, auth_headers):
    if case.method.upper() not in API_GATEWAY_METHODS:
        # API Gateway (REST) accepts only these; for others (TRACE, QUERY, ...) Python's
        # http.server behind `chalice local` answers 501 HTML itself, before the app is reached.
        return
    SENT["cases"] += 1
    _SEEN_OPERATIONS.add(f"{case.method} {case.path}")
    SENT["operations"] = len(_SEEN_OPERATIONS)
    case.call_and_validate(base_url=platform.api_url, headers=auth_headers, checks=CHECKS, timeout=15)


def test_enough_generated_cases_were_sent():
    """Runs after the contract test (file order): the deep pass must have sent >= MIN_CASES."""
    print(f"schemathesis: {SENT['cases']} generated cases over {SENT['operations']} operations "
          f"(max_examples={MAX_EXAMPLES})")
    assert SENT["cases"] >= MIN_CASES, SENT


def test_the_worker_rebuilds_discovery_on_its_timer_and_304s_work_over_http(platform):
    """The whole loop through separate processes: upload -> S3 -> SQS -> worker publishes and
    writes the recent/tag indexes -> the worker's schedule timer builds a snapshot -> discover."""
    base = platform.api_url
    # A fresh artist: the fuzzing user may legitimately have used up its hourly upload quota.
    auth_headers = _new_user_headers(platform)
    photo = jpeg_with_gps(300, 200)
    r = requests.post(f"{base}/v1/posts", headers=auth_headers, timeout=10,
                      json={"title": "Dunes", "content_type": "image/jpeg", "content_length": len(photo),
                            "tags": ["Desert"]})
    assert r.status_code == 201, r.text
    post_id, upload = r.json()["post"]["id"], r.json()["upload"]
    assert requests.post(upload["url"], data=upload["fields"], files={"file": ("d.jpg", photo)},
                         timeout=30).status_code in (200, 204)
    deadline, ids = time.monotonic() + 60, []
    while time.monotonic() < deadline:
        ids = [p["id"] for p in requests.get(f"{base}/v1/discover", timeout=10).json()["items"]]
        if post_id in ids:
            break
        time.sleep(0.5)
    assert post_id in ids
    tagged = requests.get(f"{base}/v1/tags/desert/posts", timeout=10)
    assert [p["id"] for p in tagged.json()["items"]] == [post_id]
    again = requests.get(f"{base}/v1/tags/desert/posts", headers={"If-None-Match": tagged.headers["ETag"]},
                         timeout=10)
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == tagged.headers["ETag"]
