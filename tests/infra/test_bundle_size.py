"""Lambda package size, measured: code bundle + layers per function, unzipped, against the
250 MB limit. The layers are built for the deployed platform (arm64, cp312, manylinux_2_28)
from requirements.txt with pip (needs the package index; cached by requirements hash in
infra/out/layers, so a re-run costs nothing)."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from infra import layers as L

ROOT = Path(__file__).resolve().parents[2]
MiB = 2**20
API_BUDGET = 100 * MiB  # the API function's own budget: cold start stays light


@pytest.fixture(scope="session")
def built_layers() -> dict[str, Path]:
    return L.build()


def code_bundle_size(synthesized: dict[str, Path]) -> int:
    (zip_path,) = [p for p in synthesized["dev"].parent.glob("asset.*.zip")]
    with zipfile.ZipFile(zip_path) as z:
        return sum(i.file_size for i in z.infolist())


def report(name: str, parts: dict[str, int]) -> int:
    total = sum(parts.values())
    print(f"\n{name}: {total / MiB:.1f} MiB unzipped = "
          + " + ".join(f"{k} {v / MiB:.1f}" for k, v in parts.items()))
    return total


def test_every_requirement_in_exactly_one_layer() -> None:
    split = L.split_requirements()
    lines = [ln.split("#")[0].strip() for ln in (ROOT / "requirements.txt").read_text().splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("-")]
    assert sorted(split["api"] + split["screening"]) == sorted(lines)


def test_api_imports_without_screening_packages() -> None:
    """The API function does not get the screening layer, so app.py must import without it."""
    blocked = sorted({"c2pa", "onnxruntime", "numpy"})
    code = ("import sys\n"
            "class Block:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            f"        if name.split('.')[0] in {blocked!r}: raise ImportError('screening-only: ' + name)\n"
            "sys.meta_path.insert(0, Block())\nimport app\n")
    env = {k: v for k, v in os.environ.items() if k not in ("SERVE_LOCAL_ROUTES", "AWS_ENDPOINT_URL")}
    env.update(AWS_DEFAULT_REGION="us-east-1", STAGE="dev")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_functions_fit_lambda_limit(built_layers: dict[str, Path], synthesized: dict[str, Path]) -> None:
    code = code_bundle_size(synthesized)
    api_layer, screening_layer = (L.tree_size(built_layers[n]) for n in ("api", "screening"))
    api = report("API function", {"code": code, "api layer": api_layer})
    screening = report("screening function", {"code": code, "api layer": api_layer,
                                              "screening layer": screening_layer})
    assert api < API_BUDGET
    assert screening < L.LAMBDA_UNZIPPED_LIMIT
    # c2pa's static library is stripped
    assert not list(built_layers["screening"].glob("python/c2pa/libs/*.rlib"))
