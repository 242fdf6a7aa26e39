"""Every test talks to a real moto server over HTTP (botocore serialisation, signatures and
errors included). The server is started once per session, before app.py is imported, and the
stage's resources are bootstrapped from infra/resources.py exactly as `make run` does."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from local import iam_audit  # noqa: E402
from local.bootstrap import bootstrap  # noqa: E402
from local.moto_server import start_moto  # noqa: E402

_MOTO: dict[str, Any] = {}
CORPUS = ROOT.parent / "shared" / "corpus"


def _is_xdist_controller(config: pytest.Config) -> bool:
    """Under pytest-xdist the controller only distributes tests: each worker process starts
    its own moto endpoint (pytest_configure runs in every worker)."""
    return not hasattr(config, "workerinput") and bool(getattr(config.option, "numprocesses", None))


def pytest_configure(config: pytest.Config) -> None:
    if _is_xdist_controller(config):
        return
    iam_audit.install()  # before any AWS client exists: records what each function calls
    proc, endpoint = start_moto()
    _MOTO.update(proc=proc, endpoint=endpoint)
    os.environ.update({
        "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "STAGE": "dev",
        "SERVE_LOCAL_ROUTES": "1", "PUBLIC_BASE_URL": "http://127.0.0.1:8000",
        "POWERTOOLS_TRACE_DISABLED": "1", "POWERTOOLS_METRICS_NAMESPACE": "Easel",
        "UPLOAD_QUEUE_NAME": "easel-dev-uploads",
    })
    os.environ.update(bootstrap(endpoint, "dev"))


def pytest_unconfigure(config: pytest.Config) -> None:
    proc = _MOTO.get("proc")
    if proc is not None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a loaded machine: do not fail the run over cleanup
            proc.kill()
            proc.wait(timeout=10)


def _drop_process_caches() -> None:
    """Handles to the previous endpoint's resources cached in this process (services, the
    signing keys, the guard level, secrets) — dropped so the next module sees only its own."""
    for name, module in list(sys.modules.items()):
        if not name.startswith("chalicelib") or module is None:
            continue
        for attr, value in list(vars(module).items()):
            if callable(getattr(value, "cache_clear", None)) and not attr.endswith("pool"):
                value.cache_clear()
    for name, attr in (("chalicelib.adapters.secrets", "_cache"),):
        cache = getattr(sys.modules.get(name), attr, None)
        if isinstance(cache, dict):
            cache.clear()
    guard = sys.modules.get("chalicelib.services.guard")
    if guard is not None:
        guard._cache.update(level=None, at=0.0)


@pytest.fixture(scope="module", autouse=True)
def fresh_endpoint() -> Iterator[None]:
    """Every test module starts on a reset moto endpoint with the stage bootstrapped again.
    moto answers a Query on a global secondary index by walking every item of the table
    (moto/dynamodb/models/table.py, `Table.query`), so one table shared by the whole session
    made each gsi1 Query slower as the suite went on (quadratic overall: ~24 min, moto at
    6-8 GB). DynamoDB itself reads only the index partition; nothing in the code relies on
    this, and no test depends on another module's data."""
    import requests

    endpoint = str(_MOTO["endpoint"])
    requests.post(f"{endpoint}/moto-api/reset", timeout=60).raise_for_status()
    os.environ.update(bootstrap(endpoint, "dev"))
    _drop_process_caches()
    yield


@pytest.fixture(scope="module", autouse=True)
def iam_checked() -> Iterator[None]:
    """Every AWS call a function made during this module must be allowed by the role that
    function has in the synthesized dev template (local/iam_audit.py): a new call without a
    permission in infra/app.py fails here, at the module's teardown."""
    iam_audit.take()
    yield
    calls = iam_audit.take()
    if not calls:
        return
    from tests.iam_policy import dev_policies

    problems = dev_policies().violations(calls)
    assert not problems, "AWS calls the deployed roles would refuse:\n  " + "\n  ".join(problems)


@pytest.fixture(scope="session")
def endpoint() -> str:
    return str(_MOTO["endpoint"])


@pytest.fixture(scope="session")
def easel_app() -> Any:
    import app as easel_app

    return easel_app


@pytest.fixture
def client(easel_app: Any) -> Iterator[Any]:
    from chalice.test import Client

    with Client(easel_app.app) as c:
        yield c


def unique_handle(prefix: str = "u") -> str:
    return f"{prefix}_{secrets.token_hex(5)}"


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS} (it lives beside the checkout)")
    return CORPUS
