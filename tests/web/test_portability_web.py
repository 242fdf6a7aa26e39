"""Issue 18 in the browser: an Instagram export imported from /import (upload progress, live
state, the works with their statuses and reasons, still there after a reload) and the archive
asked for from /settings, against the real platform (tests/web/conftest.py)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.fixtures.art import artwork, encode
from tests.fixtures.instagram import carousel, export_zip, single
from tests.web.conftest import screenshot
from tests.web.test_browser import sign_up, unique

pytestmark = pytest.mark.timeout(300)
TS = 1500000000  # 2017-07-14


def _art(seed: int) -> bytes:
    return encode(artwork(seed=seed, size=(420, 320)))


def test_import_an_instagram_export_then_ask_for_the_archive(new_context: Any, tmp_path: Path) -> None:
    page = new_context().new_page()
    sign_up(page, unique("importer"))
    posts = [
        single("media/posts/201707/missing.jpg", TS + 30, "Where did it go"),
        carousel(["media/posts/201707/a.jpg", "media/posts/201707/b.jpg"], TS + 20, "Diptych #diptyque"),
        single("media/posts/201707/n.jpg", TS + 10, "Noël à Zürich 🎄\nencre #noël"),
    ]
    files = {"media/posts/201707/a.jpg": _art(41), "media/posts/201707/b.jpg": _art(42),
             "media/posts/201707/n.jpg": _art(43)}
    archive = tmp_path / "instagram-export.zip"
    archive.write_bytes(export_zip(posts, files, "content"))

    page.goto("/settings")
    page.get_by_role("link", name="Import your work").click()
    expect(page.get_by_role("heading", name="Import your work", level=1)).to_be_visible()
    page.get_by_label("Instagram export").check()
    page.get_by_label("Archive", exact=True).set_input_files(str(archive))
    page.get_by_role("button", name="Import").click()
    bar = page.get_by_role("progressbar", name=archive.name)
    expect(bar).to_be_visible()
    expect(bar).to_have_attribute("value", "100", timeout=30_000)

    detail = page.get_by_role("region", name="Instagram export import")
    expect(detail.get_by_role("status")).to_contain_text("Done", timeout=120_000)
    expect(detail.get_by_role("status")).to_contain_text("3 works")
    rows = detail.get_by_role("row")

    def check_works() -> None:
        expect(rows).to_have_count(4)  # the header and three works
        missing = rows.filter(has_text="missing.jpg")
        expect(missing).to_contain_text("Failed")
        expect(missing).to_contain_text("missing from the archive")
        noel = rows.filter(has_text="Noël à Zürich")
        expect(noel).to_contain_text("Published")
        expect(noel.get_by_role("link", name=re.compile("Noël à Zürich"))).to_have_attribute("href", re.compile(r"^/p/"))
        expect(rows.filter(has_text="Diptych")).to_contain_text("Published")
        counts = detail.locator("dl")
        expect(counts.locator("div", has_text="Published")).to_contain_text("2")
        expect(counts.locator("div", has_text="Failed")).to_contain_text("1")

    check_works()
    screenshot(page, "import-done")

    page.reload()  # the import is listed by the API, not held in the page
    expect(page.get_by_role("list").get_by_role("button", name=re.compile("^Instagram export"))).to_be_visible()
    expect(detail.get_by_role("status")).to_contain_text("Done")
    check_works()

    page.goto("/settings")
    archive_card = page.locator("section.card", has=page.get_by_role("heading", name="Your archive"))
    expect(archive_card.get_by_role("status")).to_contain_text("No archive yet")
    archive_card.get_by_role("button", name="Download my archive").click()
    expect(archive_card.get_by_role("status")).to_contain_text(re.compile("Queued|Being built|Ready"))
    expect(archive_card.get_by_role("status")).to_contain_text("Ready", timeout=120_000)
    link = archive_card.get_by_role("link", name="Download the archive")
    expect(link).to_have_attribute("href", re.compile(r"^https?://"))
    archive_card.get_by_role("button", name="Download my archive").click()  # one a day: the 429 says when
    expect(archive_card.get_by_role("alert")).to_contain_text("You can ask again after")
    screenshot(page, "settings-archive")
