"""The web app in a real browser against the real platform (issue 12's scenarios).
Accessible names are the test API: what these tests cannot find by name, a screen reader
cannot either."""
from __future__ import annotations

import itertools
import re
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.fixtures.art import artwork, encode
from tests.web.conftest import screenshot

pytestmark = pytest.mark.timeout(300)
_seq = itertools.count(1)
PASSWORD = "a long passphrase for tests"


def unique(prefix: str) -> str:
    return f"{prefix}{int(time.time() * 1000) % 10_000_000}{next(_seq)}"


def art_file(tmp_path: Path, name: str, seed: int, size: tuple[int, int] = (1200, 900)) -> Path:
    path = tmp_path / name
    path.write_bytes(encode(artwork(seed=seed, size=size), "JPEG", quality=90))
    return path


def sign_up(page: Page, handle: str) -> None:
    page.goto("/signup")
    page.get_by_label("Handle").fill(handle)
    page.get_by_label("Email").fill(f"{handle}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Home", level=1)).to_be_visible()


def publish(page: Page, files: list[Path], title: str, mature: bool = False) -> str:
    """Post through /new; returns the post id once the status reads Published."""
    page.goto("/new")
    page.get_by_label("Images").set_input_files([str(f) for f in files])
    for i, _ in enumerate(files):
        page.get_by_label("Alt text").nth(i).fill(f"Alt text for image {i + 1}")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill("Ink and gouache on paper.")
    page.get_by_label("Tags").fill("ink, study")
    if mature:
        page.get_by_label("Mature").check()
    page.get_by_role("button", name="Publish").click()
    for f in files:  # one progress bar per file, named after it, filled when its upload ends
        bar = page.get_by_role("progressbar", name=f.name)
        expect(bar).to_be_visible()
        expect(bar).to_have_attribute("value", "100", timeout=30_000)
    expect(page.get_by_text("Published", exact=True)).to_be_visible(timeout=90_000)
    href = page.get_by_role("link", name="Open the post").get_attribute("href")
    assert href and href.startswith("/p/")
    return href.removeprefix("/p/")


def test_sign_up_post_two_images_and_a_follower_sees_them(new_context: Any, tmp_path: Path) -> None:
    artist_ctx, fan_ctx = new_context(), new_context()
    artist, fan = artist_ctx.new_page(), fan_ctx.new_page()
    artist_handle, fan_handle = unique("artist"), unique("fan")
    sign_up(artist, artist_handle)
    sign_up(fan, fan_handle)
    screenshot(fan, "home-empty")

    fan.goto(f"/@{artist_handle}")
    follow = fan.get_by_role("button", name="Follow")
    expect(follow).to_have_attribute("aria-pressed", "false")
    with fan.expect_response(lambda r: r.url.endswith("/follow") and r.request.method == "POST"):
        follow.click()
    expect(follow).to_have_attribute("aria-pressed", "true")
    fan.reload()  # the server remembers it (followed_by_me)
    expect(fan.get_by_role("button", name="Follow")).to_have_attribute("aria-pressed", "true")

    files = [art_file(tmp_path, "heron.jpg", 101), art_file(tmp_path, "harbour.jpg", 102, (900, 1200))]
    post_id = publish(artist, files, "Herons at dusk")
    screenshot(artist, "new-post-published")

    fan.goto("/")
    card = fan.get_by_role("article").filter(has=fan.get_by_role("heading", name="Herons at dusk"))
    expect(card).to_be_visible(timeout=30_000)
    img = card.get_by_role("img").first if card.get_by_role("img").count() else card.locator("img").first
    expect(img).to_be_visible()
    # Derivatives only, never the original: srcset from the variants, intrinsic size set.
    srcset = img.get_attribute("srcset") or ""
    assert "/media/" in srcset and re.search(r" \d+w", srcset), srcset
    assert img.get_attribute("width") and img.get_attribute("height") and img.get_attribute("sizes")
    assert "/media/" in (img.get_attribute("src") or "")
    screenshot(fan, "home-feed")

    fan.get_by_role("link", name="Herons at dusk").click()
    expect(fan).to_have_url(re.compile(f"/p/{post_id}$"))
    expect(fan.get_by_role("heading", name="Herons at dusk", level=1)).to_be_visible()
    expect(fan.get_by_alt_text("Alt text for image 1")).to_be_visible()
    like = fan.get_by_role("button", name="Like")
    expect(like).to_have_attribute("aria-pressed", "false")
    with fan.expect_response(lambda r: r.url.endswith("/like") and r.request.method == "POST"):
        like.click()  # optimistic: pressed at once, confirmed by the response
    expect(like).to_have_attribute("aria-pressed", "true")
    fan.reload()
    expect(fan.get_by_role("button", name="Like")).to_have_attribute("aria-pressed", "true")
    fan.get_by_label("Add a comment").fill("The light on the water!")
    fan.get_by_role("button", name="Post comment").click()
    expect(fan.get_by_role("region", name="Comments").get_by_role("listitem")
           .filter(has_text="The light on the water!")).to_be_visible()
    expect(fan.get_by_role("button", name="Repost")).to_be_visible()
    expect(fan.get_by_role("button", name="Report")).to_be_visible()
    screenshot(fan, "post-page")

    fan.goto(f"/@{artist_handle}")
    expect(fan.get_by_role("article").filter(has=fan.get_by_role("heading", name="Herons at dusk"))).to_be_visible()
    screenshot(fan, "profile")

    # A collection of the artist's own work: created on the profile, filled from the post page.
    artist.goto(f"/@{artist_handle}")
    artist.get_by_role("tab", name="Collections").click()
    artist.get_by_label("New collection").fill("Birds")
    artist.get_by_role("button", name="Create collection").click()
    expect(artist.get_by_role("button", name=re.compile("^Birds"))).to_be_visible()
    artist.goto(f"/p/{post_id}")
    artist.get_by_label("Add to collection").select_option(label="Birds")
    artist.get_by_role("button", name="Add", exact=True).click()
    expect(artist.get_by_role("status").filter(has_text="Added to Birds")).to_be_visible()
    artist.goto(f"/@{artist_handle}")
    artist.get_by_role("tab", name="Collections").click()
    artist.get_by_role("button", name=re.compile("^Birds")).click()
    expect(artist.get_by_role("link", name="Herons at dusk")).to_be_visible()

    artist.goto("/notifications")
    expect(artist.get_by_text(re.compile(f"@{fan_handle}"))).to_have_count(3)  # follow, like, comment
    screenshot(artist, "notifications")
    artist_ctx.close()
    fan_ctx.close()


def test_mature_work_is_hidden_until_the_viewer_asks(new_context: Any, tmp_path: Path) -> None:
    artist_ctx, viewer_ctx = new_context(), new_context()
    artist, viewer = artist_ctx.new_page(), viewer_ctx.new_page()
    sign_up(artist, unique("painter"))
    publish(artist, [art_file(tmp_path, "nude.jpg", 201)], "Figure study", mature=True)
    sign_up(viewer, unique("viewer"))

    viewer.goto("/discover")
    card = viewer.get_by_role("article").filter(has=viewer.get_by_role("heading", name="Figure study"))
    deadline = time.monotonic() + 45  # discover is a snapshot the scheduled job rebuilds
    while not card.count() and time.monotonic() < deadline:
        viewer.wait_for_timeout(1000)
        viewer.reload()
        viewer.get_by_role("heading", name="Discover").wait_for()
        viewer.wait_for_load_state("networkidle")
    expect(card).to_be_visible()
    expect(card.locator("img")).to_have_count(0)  # nothing of the image is downloaded
    screenshot(viewer, "discover-mature-hidden")
    card.get_by_role("button", name="Show mature work").click()
    expect(card.locator("img")).to_have_count(1)
    expect(card.locator("img")).to_be_visible()
    screenshot(viewer, "discover")
    artist_ctx.close()
    viewer_ctx.close()


def test_session_survives_reload_and_a_forced_access_token_expiry(page: Page) -> None:
    sign_up(page, unique("keeper"))
    page.reload()
    expect(page.get_by_role("heading", name="Home", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    # An access token the server no longer accepts (as after expiry or key rotation): the first
    # request gets 401, the session refreshes once and retries; the person stays signed in.
    page.evaluate("""() => {
        const s = JSON.parse(localStorage.getItem('easel.session'));
        s.access = s.access.slice(0, -6) + 'AAAAAA';
        localStorage.setItem('easel.session', JSON.stringify(s));
    }""")
    with page.expect_response(lambda r: r.url.endswith("/v1/auth/refresh") and r.status == 200):
        page.goto("/settings")
    expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()
    expect(page).to_have_url(re.compile("/settings$"))

    # An access token past its expiry time: refreshed before the request is sent.
    page.evaluate("""() => {
        const s = JSON.parse(localStorage.getItem('easel.session'));
        s.expiresAt = Date.now() - 1000;
        localStorage.setItem('easel.session', JSON.stringify(s));
    }""")
    with page.expect_response(lambda r: r.url.endswith("/v1/auth/refresh") and r.status == 200):
        page.reload()
    expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()
    expect(page.get_by_text("Where you are signed in")).to_be_visible()
    screenshot(page, "settings")


def test_throttling_shows_reconnecting_and_never_signs_out(page: Page, throttle_flag: Path) -> None:
    sign_up(page, unique("patient"))
    throttle_flag.touch()
    try:
        page.evaluate("""() => {  // make the next request need a refresh too: it is throttled as well
            const s = JSON.parse(localStorage.getItem('easel.session'));
            s.expiresAt = Date.now() - 1000;
            localStorage.setItem('easel.session', JSON.stringify(s));
        }""")
        page.get_by_role("link", name="Discover").first.click()
        expect(page.get_by_role("status").filter(has_text="Reconnecting…")).to_be_visible(timeout=15_000)
        screenshot(page, "reconnecting")
    finally:
        throttle_flag.unlink(missing_ok=True)
    expect(page.get_by_text("Reconnecting…")).to_have_count(0, timeout=20_000)
    expect(page).to_have_url(re.compile("/discover$"))
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto("/settings")
    expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()


def test_unknown_routes_show_a_not_found_page(page: Page) -> None:
    page.goto("/no/such/page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    screenshot(page, "not-found")
    page.goto("/@nobody_at_all_here")
    expect(page.get_by_role("heading", name="No such artist")).to_be_visible()
    page.goto("/p/01JZZZZZZZZZZZZZZZZZZZZZZZ")
    expect(page.get_by_role("heading", name="No such post")).to_be_visible()


def test_every_page_renders_at_phone_and_desktop_widths(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", name="Art made by people.")).to_be_visible()
    screenshot(page, "welcome")
    page.goto("/login")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    screenshot(page, "login")
    page.goto("/signup")
    screenshot(page, "signup")
    handle = unique("visitor")
    sign_up(page, handle)
    for path, heading in (("/new", "New post"), ("/messages", "Messages"), ("/jobs", "Jobs"),
                          ("/notifications", "Notifications"), (f"/@{handle}", handle),
                          ("/settings/profile", "Edit profile")):
        page.goto(path)
        expect(page.get_by_role("heading", level=1).first).to_contain_text(heading)
        screenshot(page, "own-profile" if path.startswith("/@") else path.strip("/").replace("/", "-"))
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile("/login$"))


def test_messages_and_the_jobs_board(new_context: Any) -> None:
    a_ctx, b_ctx = new_context(), new_context()
    ann, ben = a_ctx.new_page(), b_ctx.new_page()
    ann_handle, ben_handle = unique("ann"), unique("ben")
    sign_up(ann, ann_handle)
    sign_up(ben, ben_handle)

    ben.goto(f"/@{ann_handle}")
    ben.get_by_role("link", name="Message", exact=True).click()
    expect(ben).to_have_url(re.compile(r"/messages/[^/?]+$"))
    ben.get_by_label("Message", exact=True).fill("Hello! Are you open for a commission?")
    ben.get_by_role("button", name="Send").click()
    thread = ben.get_by_role("region", name=re.compile("Conversation with"))
    expect(thread.get_by_role("listitem").filter(has_text="open for a commission")).to_be_visible()

    # Ann does not follow Ben: his first message waits in her requests folder.
    ann.goto("/messages")
    ann.get_by_role("tab", name="Requests").click()
    ann.get_by_role("link", name=re.compile(f"@{ben_handle}")).click()
    thread = ann.get_by_role("region", name=f"Conversation with @{ben_handle}")
    expect(thread.get_by_role("listitem").filter(has_text="open for a commission")).to_be_visible()
    ann.get_by_role("button", name="Accept").click()
    expect(ann.get_by_role("button", name="Accept")).to_have_count(0)
    screenshot(ann, "messages")

    ann.goto("/jobs")
    ann.get_by_role("button", name="Post a job").click()
    ann.get_by_label("Job title").fill("Cover illustration")
    ann.get_by_label("Organisation").fill("Small Press")
    ann.get_by_label("Job description").fill("A painted cover for a poetry book.")
    ann.get_by_label("Apply e-mail").fill("jobs@smallpress.example")
    ann.get_by_role("button", name="Post job").click()
    job = ann.get_by_role("article").filter(has=ann.get_by_role("heading", name="Cover illustration"))
    expect(job).to_be_visible()
    screenshot(ann, "jobs")
    ben.goto("/jobs")
    expect(ben.get_by_role("heading", name="Cover illustration")).to_be_visible()
    job.get_by_role("button", name="Close job").click()
    expect(job).to_have_count(0)
    a_ctx.close()
    b_ctx.close()
