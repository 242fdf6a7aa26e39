"""End-to-end fixtures: the platform `make run` starts, on free ports, once per module."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from local.moto_server import free_port
from local.platform import Platform


def running_platform(logs: Path, **extra_env: str) -> Iterator[Platform]:
    """Start moto, the API and the worker as processes; on a failed start show their logs."""
    p = Platform(api_port=free_port(), moto_port=free_port(), log_dir=logs, extra_env=extra_env)
    try:
        p.start()
    except Exception:
        p.stop()
        for log in logs.glob("*.log"):
            print(log.name, log.read_text()[-3000:])
        raise
    yield p
    p.stop()
    api_log = logs / "api.log"
    if api_log.exists() and "Traceback" in api_log.read_text():
        print(api_log.read_text()[-5000:])


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    yield from running_platform(Path(tmp_path_factory.mktemp("platform-logs")))
