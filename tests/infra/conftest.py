"""Shared fixtures for the infra tests: the synth runs once per session for every stage."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from infra import resources as R
from infra.synth import synth


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("synth")
    started = time.monotonic()
    paths = synth(list(R.STAGES), out, placeholder_layers=True)  # raises (test fails) if the synth fails
    print(f"\nsynth of {len(paths)} stages: {time.monotonic() - started:.1f}s")
    return paths


@pytest.fixture(scope="session")
def templates(synthesized: dict[str, Path]) -> dict[str, dict[str, Any]]:
    return {stage: json.loads(p.read_text()) for stage, p in synthesized.items()}


