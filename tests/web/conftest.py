"""Browser tests of the web app: Debian's chromium driven by Playwright for Python
(pytest-playwright) against a real platform (moto server, API pool, worker) on free ports,
serving the built app same-origin — what `make run` starts. Screenshots of every page at phone
(390 px) and desktop (1280 px) widths go to .artifacts/screenshots/ (not committed)."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest

from local.platform import Platform
from local.webbuild import ensure_built
from tests.e2e.conftest import running_platform

from playwright.sync_api import expect

# Sign-up hashes a password and screening runs real detectors: on a busy 2-core machine an
# action can take several seconds, so assertions wait up to 20 s (they return as soon as true).
expect.set_options(timeout=20_000)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / ".artifacts" / "screenshots"
WIDTHS = {"phone": (390, 844), "desktop": (1280, 860)}


def ensure_chromium() -> str:
    """CI is a fresh machine (root): install Debian's chromium when it is missing. Browser
    downloads from anywhere but the package registries are unreachable."""
    if not Path(CHROMIUM).exists():
        if shutil.which("apt-get") is None or os.geteuid() != 0:
            pytest.fail("chromium is missing: apt-get install -y chromium")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)
    return CHROMIUM


@pytest.fixture(scope="session")
def web_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    ensure_built()  # npm ci + vite build only when web/ changed (local/webbuild.py)
    flag_dir = tmp_path_factory.mktemp("throttle")
    yield from running_platform(tmp_path_factory.mktemp("web-platform-logs"),
                                EASEL_LOCAL_THROTTLE_FILE=str(flag_dir / "throttled"),
                                LOCAL_SCHEDULE_SECONDS="3")  # the discover snapshot, sooner


@pytest.fixture(scope="session")
def throttle_flag(web_platform: Platform) -> Path:
    return Path(web_platform.env["EASEL_LOCAL_THROTTLE_FILE"])


@pytest.fixture(scope="session")
def base_url(web_platform: Platform) -> str:
    return web_platform.api_url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": ensure_chromium(), "args": ["--no-sandbox"]}


def screenshot(page: Any, name: str) -> None:
    """The current page at phone and desktop widths (full page)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("networkidle")
    original = page.viewport_size
    for label, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(150)  # layout settles after the resize
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
    if original:
        page.set_viewport_size(original)
