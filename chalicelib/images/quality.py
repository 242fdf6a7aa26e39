"""Perceptual quality of a derivative: SSIM on luma (Wang et al. 2004, 8x8 uniform windows,
K1=0.01, K2=0.03, L=255), computed with numpy box sums. Pure: two same-size images in, a number
in [-1, 1] out. Used to encode AVIF at the quality that matches the WebP it stands beside."""
from __future__ import annotations

from PIL import Image

_C1 = (0.01 * 255) ** 2
_C2 = (0.03 * 255) ** 2
_WINDOW = 8


def _box_means(a: "object", w: int) -> "object":
    import numpy as np

    s = np.cumsum(np.cumsum(np.pad(a, ((1, 0), (1, 0))), axis=0), axis=1)
    return (s[w:, w:] - s[:-w, w:] - s[w:, :-w] + s[:-w, :-w]) / float(w * w)


def ssim(reference: Image.Image, candidate: Image.Image) -> float:
    """Mean SSIM of the luma planes (sRGB images of the same size)."""
    import numpy as np

    if reference.size != candidate.size:
        raise ValueError("images must have the same size")
    x = np.asarray(reference.convert("L"), dtype=np.float64)
    y = np.asarray(candidate.convert("L"), dtype=np.float64)
    w = min(_WINDOW, x.shape[0], x.shape[1])
    mx, my = _box_means(x, w), _box_means(y, w)
    vx = _box_means(x * x, w) - mx * mx
    vy = _box_means(y * y, w) - my * my
    cxy = _box_means(x * y, w) - mx * my
    s = ((2 * mx * my + _C1) * (2 * cxy + _C2)) / ((mx * mx + my * my + _C1) * (vx + vy + _C2))
    return float(s.mean())
