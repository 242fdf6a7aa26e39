"""Build the web app when its sources changed: `npm ci` when the lockfile changed (or
node_modules is missing), then `npm run build` (vite build + the JS budget check) when any
source changed. Stamps hold the hashes, so `make run` costs nothing when nothing changed.
Run: python -m local.webbuild [--force]"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "web"
SOURCES = ["src", "public", "scripts", "index.html", "package.json", "package-lock.json",
           "vite.config.ts", "tsconfig.json"]
DEPS_STAMP = WEB / "node_modules" / ".easel-lock-sha256"
BUILD_STAMP = WEB / "dist" / ".easel-sources-sha256"


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            h.update(str(f.relative_to(WEB)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def _read(stamp: Path) -> str:
    return stamp.read_text().strip() if stamp.exists() else ""


@contextlib.contextmanager
def _exclusive():
    """One install/build at a time (test workers may ask for it at once)."""
    with open(WEB / ".build-lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_deps() -> None:
    with _exclusive():
        _ensure_deps()


def _ensure_deps() -> None:
    lock = _digest([WEB / "package-lock.json"])
    if _read(DEPS_STAMP) == lock:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed to build the web app (Debian: apt-get install -y nodejs npm)")
    print("web: npm ci (the lockfile changed or node_modules is missing)", flush=True)
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=WEB, check=True)
    DEPS_STAMP.write_text(lock)


def ensure_built(force: bool = False) -> Path:
    """web/dist, rebuilt only when a source or the lockfile changed."""
    with _exclusive():
        _ensure_deps()
        sources = _digest([WEB / s for s in SOURCES if (WEB / s).exists()])
        if force or _read(BUILD_STAMP) != sources or not (WEB / "dist" / "index.html").exists():
            print("web: building the app (vite build)", flush=True)
            subprocess.run([shutil.which("npm") or "npm", "run", "build"], cwd=WEB, check=True)
            BUILD_STAMP.write_text(sources)
    return WEB / "dist"


if __name__ == "__main__":
    ensure_built(force="--force" in sys.argv)
