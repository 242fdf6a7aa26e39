"""The dev stage's synthesized template for the IAM audit (local/iam_audit.py), cached on disk
by a hash of what shapes it (infra/, app.py, chalicelib/routes/, .chalice/config.json):
the first module that makes AWS calls pays one offline synth (~10 s), later runs none until
one of those files changes."""
from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "infra" / "out" / ".iam-audit"


def _inputs_hash() -> str:
    h = hashlib.sha256()
    files = [ROOT / "app.py", ROOT / ".chalice" / "config.json"]
    for folder in ("infra", "chalicelib/routes"):  # what decides the template (routes declare functions)
        files += sorted(p for p in (ROOT / folder).rglob("*")
                        if p.is_file() and "out" not in p.relative_to(ROOT).parts
                        and "__pycache__" not in p.parts)
    for p in files:
        h.update(str(p.relative_to(ROOT)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:20]


@lru_cache(maxsize=1)
def dev_template() -> dict:
    from infra.synth import synth

    key = _inputs_hash()
    cached = CACHE / f"dev-{key}.template.json"
    if not cached.exists():
        out = CACHE / f"work-{key}-{os.getpid()}"
        path = synth(["dev"], out, placeholder_layers=True)["dev"]
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(path.read_text())
        tmp.replace(cached)
        import shutil

        shutil.rmtree(out, ignore_errors=True)
    return json.loads(cached.read_text())


@lru_cache(maxsize=1)
def dev_policies():  # type: ignore[no-untyped-def]
    from local import iam_audit

    return iam_audit.policies_for(dev_template(), "dev")
