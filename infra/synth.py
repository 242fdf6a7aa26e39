"""Synthesize every stage's CloudFormation offline: no AWS credentials, no network.

    python -m infra.synth [--stage dev] [--out infra/out]

Writes infra/out/<stage>/ (a CDK cloud assembly; the stack template is
infra/out/<stage>/<stage>.template.json, with the Chalice SAM template inlined).
The CDK app runs in a child process with a scrubbed environment: dummy account/region, no
credentials, no AWS endpoint, and none of the local-platform switches (SERVE_LOCAL_ROUTES
would add the local /media route to the packaged API).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "infra" / "out"

_DROP = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
         "AWS_PROFILE", "SERVE_LOCAL_ROUTES", "PUBLIC_BASE_URL", "MEDIA_BASE_URL", "STAGE",
         "UPLOAD_QUEUE_NAME", "TABLE_NAME", "UPLOADS_BUCKET", "MEDIA_BUCKET", "SIGNING_KEYS_SECRET")


def synth_env() -> dict[str, str]:
    from infra import stages as S

    env = {k: v for k, v in os.environ.items() if k not in _DROP and not k.startswith("AWS_ENDPOINT_URL")}
    env.update({
        "CDK_DEFAULT_ACCOUNT": S.SYNTH_ACCOUNT, "CDK_DEFAULT_REGION": S.DEFAULT_REGION,
        "AWS_DEFAULT_REGION": S.DEFAULT_REGION, "AWS_REGION": S.DEFAULT_REGION,
        # Make any accidental AWS call fail fast instead of finding real credentials.
        "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",  # Node 20: EOL warning only
        "CDK_DISABLE_VERSION_CHECK": "1",
        "PYTHONPATH": str(ROOT),
    })
    return env


def template_path(out: Path, stage: str) -> Path:
    return out / stage / f"{stage}.template.json"


def synth(stages: list[str], out: Path = DEFAULT_OUT, *, placeholder_layers: bool = False) -> dict[str, Path]:
    """Run the synth in a child process; returns {stage: template path}.

    Layers: the built ones (infra/out/layers, `make layers`) if present, else empty placeholders
    (templates are identical except for asset hashes); placeholder_layers forces the latter."""
    out.mkdir(parents=True, exist_ok=True)
    for stage in stages:
        shutil.rmtree(out / stage, ignore_errors=True)
    work = out / ".work"
    shutil.rmtree(work / "chalice.out", ignore_errors=True)  # chalice.cdk leaves one per package
    work.mkdir(parents=True, exist_ok=True)
    code = ("import sys; from pathlib import Path; from infra.app import build_app; "
            f"build_app({stages!r}, Path({str(out)!r}), Path({str(work)!r}), synth_only=True, "
            f"placeholder_layers={placeholder_layers!r})")
    subprocess.run([sys.executable, "-c", code], cwd=work, env=synth_env(), check=True)
    paths = {stage: template_path(out, stage) for stage in stages}
    for stage, p in paths.items():
        if not p.exists():
            raise RuntimeError(f"synth wrote no template for {stage}: {p}")
        json.loads(p.read_text())
    return paths


def main() -> int:
    from infra.resources import STAGES

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stage", action="append", choices=STAGES)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    started = time.monotonic()
    paths = synth(args.stage or list(STAGES), args.out)
    for stage, p in paths.items():
        print(f"{stage}: {p.relative_to(ROOT) if p.is_relative_to(ROOT) else p}")
    print(f"synth: {len(paths)} stage(s) in {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
