"""The founders' cost dashboard and the moderators' console (issue 13) in a real browser against
the real platform (the web app's fixtures: moto, the API pool and the worker on free ports).

Usage comes from a small generator equivalent to the cost benchmark's small run (sign-ups,
follows, an upload through presigned POST -> S3 -> SQS -> the screening handler, feed, post,
portfolio and profile reads) driven over HTTP, so every meter path writes real rows.
Roles are granted the way `make grant` does (local.admin.change_role) on the platform's tables."""
from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import time
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.fixtures.art import artwork, encode, resized
from tests.web.conftest import ROOT, SHOTS

pytestmark = pytest.mark.timeout(300)
PASSWORD = "a long passphrase for tests"
HEADINGS = ["Spend this month", "Cost per MAU", "Where the money goes", "Budget guard", "Donations and runway"]
_seq = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{int(time.time() * 1000) % 10_000_000}{next(_seq)}"


class Api:
    def __init__(self, base: str) -> None:
        self.base = base
        self.s = requests.Session()

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        resp = self.s.request(method, self.base + path, json=body, headers=headers, timeout=60)
        return resp.status_code, resp.json() if resp.content else None

    def signup(self, prefix: str) -> dict:
        handle = unique(prefix)
        status, body = self.call("POST", "/v1/auth/signup",
                                 {"handle": handle, "email": f"{handle}@example.com", "password": PASSWORD})
        assert status == 201, body
        return {"handle": handle, "id": body["user"]["id"], **body["tokens"]}

    def login(self, user: dict) -> dict:
        status, body = self.call("POST", "/v1/auth/login", {"handle": user["handle"], "password": PASSWORD})
        assert status == 200, body
        return {**user, **body["tokens"]}

    def upload(self, user: dict, data: bytes, title: str) -> str:
        status, created = self.call("POST", "/v1/posts", {"title": title, "content_type": "image/jpeg",
                                                          "content_length": len(data)}, token=user["access_token"])
        assert status == 201, created
        up = created["upload"]
        resp = requests.post(up["url"], data=up["fields"], files={"file": ("art.jpg", data)}, timeout=60)
        assert resp.status_code in (200, 204), resp.text
        return created["post"]["id"]

    def wait_status(self, user: dict, post_id: str, wanted: set[str], timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        status = ""
        while time.monotonic() < deadline:
            _, post = self.call("GET", f"/v1/posts/{post_id}", token=user["access_token"])
            status = (post or {}).get("status", "")
            if status in wanted:
                return status
            time.sleep(0.5)
        raise AssertionError(f"post {post_id} still {status!r}")


def grant(platform: Any, handle: str, group: str) -> None:
    """`make grant` on the test platform's tables (a subprocess with the platform's environment)."""
    code = ("from local.admin import change_role; import json, sys; "
            "print(json.dumps(change_role(sys.argv[1], sys.argv[2], grant=True)))")
    proc = subprocess.run([sys.executable, "-c", code, handle, group], cwd=ROOT, env=platform.env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]


def generate_usage(api: Api) -> None:
    artist = api.signup("artist")
    fans = [api.signup("fan") for _ in range(3)]
    for fan in fans:
        api.call("POST", f"/v1/users/{artist['handle']}/follow", token=fan["access_token"])
    post_id = api.upload(artist, encode(artwork(seed=1301, size=(1400, 1000))), "Usage study")
    api.wait_status(artist, post_id, {"published"})
    for fan in fans:
        for _ in range(2):
            api.call("GET", "/v1/feed?limit=20", token=fan["access_token"])
            api.call("GET", f"/v1/posts/{post_id}", token=fan["access_token"])
            api.call("GET", f"/v1/users/{artist['handle']}/posts?limit=20", token=fan["access_token"])
            api.call("GET", f"/v1/users/{artist['handle']}")
        api.call("POST", "/v1/auth/refresh", {"refresh_token": fan["refresh_token"]})


def sign_in(page: Page, user: dict) -> None:
    page.goto("/login")
    page.get_by_label("Handle").fill(user["handle"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Home", level=1)).to_be_visible()


def desktop_shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.wait_for_timeout(200)
    page.screenshot(path=str(SHOTS / f"{name}-desktop.png"), full_page=True)


def tab_to(page: Page, name: str, limit: int = 200) -> None:
    """Press Tab until the focused element's accessible text is `name` (keyboard-only use)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("(document.activeElement && (document.activeElement.getAttribute('aria-label')"
                                " || document.activeElement.textContent || '')).trim()")
        if focused == name:
            return
    raise AssertionError(f"{name!r} is not reachable with Tab")


def usd_of(page: Page, test_id: str) -> float:
    return float(page.get_by_test_id(test_id).get_attribute("data-usd") or "nan")


def test_founders_dashboard_charts_agree_with_the_api_and_pinning_survival_works(
        new_context: Any, web_platform: Any) -> None:
    api = Api(web_platform.api_url)
    generate_usage(api)
    boss = api.signup("founder")
    grant(web_platform, boss["handle"], "founders")
    boss = api.login(boss)  # the access token carries the roles
    outsider = api.signup("nobody")

    ctx = new_context()
    page = ctx.new_page()
    sign_in(page, outsider)
    page.goto("/admin")
    expect(page.get_by_role("heading", name="403 — not allowed")).to_be_visible()
    expect(page.get_by_text("founder role", exact=False)).to_be_visible()
    ctx.close()

    ctx = new_context()
    page = ctx.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, boss)
    try:
        page.goto("/admin")
        for name in HEADINGS:
            expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
        spend = page.get_by_role("img", name=re.compile("^Spend per day in .* by service"))
        expect(spend.locator("canvas")).to_have_count(1, timeout=20_000)  # the lazy uPlot chunk rendered
        for label in ("^Spend so far in", "^Cost per monthly active user", "^The ten features"):
            expect(page.get_by_role("img", name=re.compile(label))).to_be_visible()
        donations = page.get_by_role("form", name="Add a donation by hand")
        donations.get_by_label("Amount").fill("25")
        donations.get_by_label("Note").fill("a coffee from a fan")
        donations.get_by_role("button", name="Add donation").click()
        expect(page.get_by_role("img", name=re.compile("^Donations received over time")).locator("canvas")).to_have_count(1)
        expect(page.get_by_test_id("runway")).to_have_text(re.compile(r"^\d+(\.\d+)? days$"))
        # Non-empty: the table fallback has today's spend, by several services.
        page.get_by_text("Spend per day as a table").click()
        expect(page.get_by_test_id("daily-total")).to_be_visible()
        daily_total = usd_of(page, "daily-total")
        page_total = usd_of(page, "spend-total")
        status, report = api.call("GET", "/v1/admin/costs", token=boss["access_token"])
        assert status == 200
        services = {g["key"] for g in report["groups"] if g["usd"] > 0}
        assert {"api_gateway", "lambda", "dynamodb", "meter", "s3"} <= services, services
        # Equal up to what the page's own requests (metered like any other, a few micro-dollars
        # each) added between its reads and this one.
        assert 0 < page_total <= report["total_usd"] and report["total_usd"] - page_total < 0.0005
        assert abs(daily_total - page_total) < 0.0005
        expect(page.get_by_text("USD", exact=False).first).to_be_visible()
        desktop_shot(page, "admin-dashboard")

        # Keyboard only: Tab to "Pin survival", Enter; the confirmation takes focus; Enter confirms.
        tab_to(page, "Pin survival")
        page.keyboard.press("Enter")
        dialog = page.get_by_role("alertdialog", name="Pin the guard to survival?")
        expect(dialog).to_be_visible()
        expect(dialog.get_by_text("New uploads are accepted but queued", exact=False)).to_be_visible()
        expect(dialog.get_by_role("button", name="Confirm")).to_be_focused()
        desktop_shot(page, "admin-guard-confirm")
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("guard-level")).to_have_text("survival")
        status, guard = api.call("GET", "/v1/admin/guard", token=boss["access_token"])
        assert status == 200 and guard["pinned"] == "survival" and guard["level"] == "survival"
        assert guard["history"][0]["to"] == "survival"
        expect(page.get_by_role("list", name=re.compile("Budget guard history")).get_by_text(
            re.compile("→ survival"))).to_be_visible()

        page.get_by_role("button", name="Unpin").click()
        page.get_by_role("alertdialog", name="Unpin the guard?").get_by_role("button", name="Confirm").click()
        expect(page.get_by_text("chosen automatically", exact=False)).to_be_visible()
    finally:  # never leave the shared platform in survival for the other browser tests
        api.call("PUT", "/v1/admin/guard", {"pin": "normal"}, token=boss["access_token"])
        api.call("PUT", "/v1/admin/guard", {"pin": None}, token=boss["access_token"])
        ctx.close()
    status, guard = api.call("GET", "/v1/admin/guard", token=boss["access_token"])
    assert guard["pinned"] is None


def test_a_moderator_approves_a_held_upload_by_keyboard_and_the_author_sees_the_note(
        new_context: Any, web_platform: Any) -> None:
    api = Api(web_platform.api_url)
    first, copier = api.signup("painter"), api.signup("copier")
    art = artwork(seed=4242, size=(1200, 900))
    original = api.upload(first, encode(art), "The original heron")
    api.wait_status(first, original, {"published"})
    title = unique("Resized heron ")
    copy = api.upload(copier, encode(resized(art, 0.5)), title)
    assert api.wait_status(copier, copy, {"published", "held_for_review", "rejected"}) == "held_for_review"
    mod = api.signup("moderator")
    grant(web_platform, mod["handle"], "moderators")
    mod = api.login(mod)

    ctx = new_context()
    page = ctx.new_page()
    sign_in(page, mod)
    page.goto("/moderation")
    expect(page.get_by_test_id("queue-length")).to_contain_text("open item")
    heading = page.get_by_role("heading", level=2, name=re.compile("^(Held upload|Appeal|Report): "))
    expect(heading).to_be_visible(timeout=20_000)  # the oldest item opened by itself
    for _ in range(40):  # keyboard only: J moves to the next item until ours is open
        if title in (heading.text_content() or ""):
            break
        page.keyboard.press("j")
        page.wait_for_timeout(300)
    expect(heading).to_contain_text(title)
    expect(page.get_by_text("looks like another artist's published work", exact=False).first).to_be_visible()
    expect(page.get_by_role("img", name="This upload, image 1")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("^Matching earlier post"))).to_be_visible()
    for img in ("This upload, image 1", "Matching earlier post, image 1"):  # the presigned originals load
        loaded = page.get_by_role("img", name=img).evaluate("i => i.complete && i.naturalWidth > 0")
        assert loaded, img
    expect(page.get_by_role("heading", name="The author")).to_be_visible()
    desktop_shot(page, "moderation-item")

    before = page.get_by_test_id("queue-length").text_content() or ""
    for _ in range(80):  # Tab to the Note field
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == "decision-note":
            break
    else:
        raise AssertionError("the Note field is not reachable by Tab")
    note = "Licensed: the painter confirmed by e-mail."
    page.keyboard.type(note)
    page.keyboard.press("Tab")  # leave the field (onto Approve), then its shortcut
    page.keyboard.press("a")
    # Decided: the item left the page and the next one (if any) opened by itself.
    expect(page.get_by_role("heading", level=2, name=re.compile(re.escape(title)))).to_have_count(0, timeout=20_000)
    assert (page.get_by_test_id("queue-length").text_content() or "") != before
    ctx.close()

    api.wait_status(copier, copy, {"published"}, timeout=90)
    author_ctx = new_context()
    author = author_ctx.new_page()
    sign_in(author, copier)
    author.goto(f"/p/{copy}")
    expect(author.get_by_text("Published", exact=True)).to_be_visible(timeout=30_000)
    expect(author.get_by_text(note, exact=False)).to_be_visible()
    desktop_shot(author, "moderation-approved-post")
    author_ctx.close()


def test_known_ai_list_add_and_delete_and_a_403_for_non_moderators(new_context: Any, web_platform: Any) -> None:
    api = Api(web_platform.api_url)
    mod = api.signup("keeper")
    grant(web_platform, mod["handle"], "moderators")
    mod = api.login(mod)
    ctx = new_context()
    page = ctx.new_page()
    sign_in(page, mod)
    page.goto("/moderation")
    phash = f"{int(time.time() * 1000) & 0xFFFFFFFFFFFF:016x}"
    page.get_by_label("pHash (16 hex digits)").fill(phash)
    page.get_by_label("Why").fill("seen on a generator's gallery")
    page.get_by_role("button", name="Add hash").click()
    entries = page.get_by_role("table", name="Known-AI entries, newest first")
    expect(entries.get_by_text(phash)).to_be_visible()
    page.get_by_role("button", name=f"Delete {phash}").click()
    expect(entries.get_by_text(phash)).to_have_count(0)
    status, listed = api.call("GET", "/v1/moderation/known-ai?limit=50", token=mod["access_token"])
    assert phash not in json.dumps(listed)
    ctx.close()

    ctx = new_context()
    page = ctx.new_page()
    sign_in(page, api.signup("plain"))
    page.goto("/moderation")
    expect(page.get_by_role("heading", name="403 — not allowed")).to_be_visible()
    ctx.close()
