"""Hostile input that used to reach a 500 (the security review): each is now a 400 in the
error shape, and what must stay allowed stays allowed."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.helpers import call, signup


def _error(status: int, body: dict, field: str | None = None) -> None:
    assert status == 400, body
    assert set(body["error"]) >= {"code", "message"}
    if field:
        assert body["error"].get("field") == field, body


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deeply_nested_json_is_a_400_not_a_recursion_error(client, depth):
    nested = "[" * depth + "]" * depth
    status, body, _ = call(client, "POST", "/v1/auth/signup", nested)
    _error(status, body, "body")
    user = signup(client)
    status, body, _ = call(client, "PATCH", "/v1/me", '{"bio": ' + nested + "}", token=user["access_token"])
    _error(status, body, "body")


def test_modest_nesting_still_parses(client):
    user = signup(client)
    status, body, _ = call(client, "PATCH", "/v1/me", {"links": [{"label": "site", "url": "https://a.example"}]},
                           token=user["access_token"])
    assert status == 200, body


@pytest.mark.parametrize("url", ["http://[", "https://[::1", "http://a b.example", "http://x.example/\x01"])
def test_malformed_apply_urls_are_a_400(client, url):
    user = signup(client)
    job = {"title": "Background painter", "organisation": "Studio", "description": "Paint skies.",
           "employment_type": "contract", "remote": True, "apply_url": url,
           "closes_at": (datetime.now(timezone.utc) + timedelta(days=7)).isoformat()}
    status, body, _ = call(client, "POST", "/v1/jobs", job, token=user["access_token"])
    _error(status, body, "apply_url")


@pytest.mark.parametrize("field,value", [
    ("display_name", "ada\u202egnp.exe"),        # right-to-left override
    ("display_name", "a\u200bda"),                 # zero-width space
    ("display_name", "\u2066ada\u2069"),           # isolates
    ("display_name", "ada\ufeff"),                 # BOM / zero-width no-break space
    ("bio", "hello \u202e dlrow"),
    ("bio", "bell\x07"),
])
def test_bidi_and_invisible_characters_in_names_and_bios_are_refused(client, field, value):
    user = signup(client)
    status, body, _ = call(client, "PATCH", "/v1/me", {field: value}, token=user["access_token"])
    _error(status, body, field)
    assert body["error"]["code"] == "invalid_characters"


def test_scripts_and_emoji_that_need_joiners_are_kept(client):
    user = signup(client)
    name, bio = "آدا\u200cلاو 👩\u200d🎨", "first line\nsecond line\twith a tab"
    status, body, _ = call(client, "PATCH", "/v1/me", {"display_name": name, "bio": bio}, token=user["access_token"])
    assert status == 200, body
    assert body["display_name"] == name and body["bio"] == bio
