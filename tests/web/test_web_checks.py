"""The web app's own checks inside `make test`: type check (tsc --noEmit), lint (eslint), the
session module's unit tests (Vitest, fake timers), and the generated API types against the
app's OpenAPI document (chalicelib/openapi.py): stale types fail here."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from local.webbuild import WEB, ensure_deps

pytestmark = pytest.mark.timeout(600)


def npm(*args: str) -> subprocess.CompletedProcess[str]:
    ensure_deps()  # npm ci only when the lockfile changed
    return subprocess.run([shutil.which("npm") or "npm", "run", *args], cwd=WEB, text=True,
                          capture_output=True, env={**os.environ, "EASEL_PYTHON": sys.executable})


def test_typecheck_lint_and_unit_tests_pass() -> None:
    result = npm("check")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert "Tests" in result.stdout and "passed" in result.stdout


def test_generated_api_types_match_the_openapi_document() -> None:
    result = npm("check:api")
    assert result.returncode == 0, (result.stdout + result.stderr)[-2000:]
