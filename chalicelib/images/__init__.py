"""Image validation and derivative generation (pure: bytes in, bytes out)."""
from chalicelib.images.pipeline import (
    DATA_MINING_PROHIBITED,
    PLUS_NAMESPACE,
    REJECTION_CODES,
    Derivative,
    ImageInfo,
    ImageLimits,
    ImageRejected,
    inspect_image,
    make_derivatives,
    noai_xmp,
    sniff_format,
)

__all__ = [
    "DATA_MINING_PROHIBITED",
    "PLUS_NAMESPACE",
    "REJECTION_CODES",
    "Derivative",
    "ImageInfo",
    "ImageLimits",
    "ImageRejected",
    "inspect_image",
    "make_derivatives",
    "noai_xmp",
    "sniff_format",
]
