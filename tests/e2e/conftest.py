"""End-to-end fixtures: the platform `make run` starts, on free ports, once per module."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from local.moto_server import free_port
from local.platform import Platform


def running_platform(logs: Path, **extra_env: str) -> Iterator[Platform]:
    """Start moto, the API and the worker as processes; on a failed start show their logs.
    Every AWS call the API and the worker make is logged and, when the platform stops,
    checked against the deployed roles' policies (local/iam_audit.py)."""
    call_log = logs / "aws-calls.jsonl"
    extra_env = {"EASEL_AWS_CALL_LOG": str(call_log), **extra_env}
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
    from local import iam_audit
    from tests.iam_policy import dev_policies

    calls = iam_audit.read_log(str(call_log))
    if calls:
        problems = dev_policies().violations(calls)
        assert not problems, "AWS calls the deployed roles would refuse:\n  " + "\n  ".join(problems)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    yield from running_platform(Path(tmp_path_factory.mktemp("platform-logs")))
