"""64-bit perceptual hashes with numpy only (no scipy): pHash (a 32x32 DCT via a cosine
matrix, top-left 8x8 against its median) and dHash (9x8 horizontal gradients), plus the
hashes of the mirrored image, the 16-bit bands used by the index, and Hamming distance.

Pure: bytes or a Pillow image in, ints out.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageOps

VERSION = "phash-dct32-v1"
BANDS = 4
BAND_BITS = 16
_MASK16 = 0xFFFF
# A hash is only as good as the picture's structure: when few of the 63 low-frequency AC
# coefficients carry energy (flat fields, two-tone splits, simple gradients), the bits compared
# against the median are decided by noise and unrelated simple pictures collide. Such hashes
# are stored for the record but never used to flag anyone.
MIN_DETAIL = 16
_MIN_AC_ENERGY = 50.0


@dataclass(frozen=True)
class ImageHashes:
    phash: int
    dhash: int
    phash_mirror: int
    dhash_mirror: int
    detail: int = 63  # low-frequency AC coefficients carrying energy (0-63)

    @property
    def reliable(self) -> bool:
        return self.detail >= MIN_DETAIL

    def record(self) -> dict:
        return {"phash": to_hex(self.phash), "dhash": to_hex(self.dhash),
                "phash_mirror": to_hex(self.phash_mirror), "dhash_mirror": to_hex(self.dhash_mirror),
                "detail": self.detail, "reliable": self.reliable, "version": VERSION}


@lru_cache(maxsize=1)
def _dct_matrix(n: int = 32) -> np.ndarray:
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    m = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    m[0, :] = np.sqrt(1.0 / n)
    return m


def _bits_to_int(bits: np.ndarray) -> int:
    value = 0
    for bit in bits.flatten():
        value = (value << 1) | int(bool(bit))
    return value


def _upright(image: Image.Image) -> Image.Image:
    """Orientation applied as the derivatives show it. Broken EXIF is common in real photos
    (Pillow raises SyntaxError or struct.error reading it): it costs the rotation, as in the
    image pipeline, never the upload. (Uncaught, it failed the message on every delivery and
    left `invalid-exif.jpg` and `truncated_exif_dpi.jpg` processing until the DLQ; issue 14.)"""
    try:
        return ImageOps.exif_transpose(image) or image
    except Exception:  # noqa: BLE001 - any EXIF parser failure means "no usable orientation"
        return image


def _grey(image: Image.Image) -> Image.Image:
    image = _upright(image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # Transparent areas hash as white, as they are shown on the site.
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image.convert("RGBA"))
    return image.convert("L")


def _low_dct(grey: Image.Image) -> np.ndarray:
    pixels = np.asarray(grey.resize((32, 32), Image.Resampling.LANCZOS), dtype=np.float64)
    c = _dct_matrix(32)
    return (c @ pixels @ c.T)[:8, :8]


def phash(grey: Image.Image) -> int:
    low = _low_dct(grey)
    return _bits_to_int(low > np.median(low))


def detail(grey: Image.Image) -> int:
    ac = np.abs(_low_dct(grey).flatten()[1:])
    peak = float(ac.max())
    if peak < _MIN_AC_ENERGY:
        return 0
    return int((ac > 0.01 * peak).sum())


def dhash(grey: Image.Image) -> int:
    pixels = np.asarray(grey.resize((9, 8), Image.Resampling.LANCZOS), dtype=np.int16)
    return _bits_to_int(pixels[:, 1:] > pixels[:, :-1])


def hash_image(image: Image.Image) -> ImageHashes:
    grey = _grey(image)
    mirror = ImageOps.mirror(grey)
    return ImageHashes(phash=phash(grey), dhash=dhash(grey), phash_mirror=phash(mirror), dhash_mirror=dhash(mirror),
                       detail=detail(grey))


def hash_bytes(data: bytes) -> ImageHashes:
    """Hashes the first frame. Call only on bytes the image pipeline has already validated
    (size limits, decompression bombs): this decodes them again, at reduced scale for JPEG."""
    with Image.open(io.BytesIO(data)) as im:
        im.draft("RGB", (256, 256))  # JPEG: decode at 1/2..1/8 scale; others ignore it
        im.seek(0)
        return hash_image(im.copy())


def distance(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def bands(value: int) -> list[int]:
    """The four 16-bit bands, most significant first. Two hashes within 3 bits share at least
    one band exactly; probing each band's 16 one-bit neighbours extends that to 7 bits."""
    return [(value >> (BAND_BITS * (BANDS - 1 - i))) & _MASK16 for i in range(BANDS)]


def probe_bands(value: int, radius: int = 1) -> list[tuple[int, int]]:
    """(band number, band value) to look up: each band exactly and, for radius 1, with each one
    of its 16 bits flipped — 4 x 17 = 68 lookups find every stored hash within 7 bits."""
    out: list[tuple[int, int]] = []
    for number, band in enumerate(bands(value)):
        out.append((number, band))
        if radius >= 1:
            out.extend((number, band ^ (1 << bit)) for bit in range(BAND_BITS))
    return out


def to_hex(value: int) -> str:
    return f"{value:016x}"


def from_hex(text: str) -> int:
    if len(text) != 16:
        raise ValueError("a hash is 16 hex digits")
    return int(text, 16)


def band_hex(band: int) -> str:
    return f"{band:04x}"
