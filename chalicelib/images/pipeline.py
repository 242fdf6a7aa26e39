"""Upload image validation and web derivatives: bytes in, bytes out.

No AWS and no I/O here, so every rule can be tested with in-memory fixtures.
Every input is treated as hostile: the only exception a caller ever sees for a
bad file is :class:`ImageRejected`.
"""
from __future__ import annotations

import functools
import io
import math
import re
import warnings
from dataclasses import dataclass
from typing import Callable, Final
from xml.sax.saxutils import escape

from PIL import Image, ImageCms, ImageFile

__all__ = [
    "Derivative",
    "ImageInfo",
    "ImageLimits",
    "ImageRejected",
    "DATA_MINING_PROHIBITED",
    "PLUS_NAMESPACE",
    "REJECTION_CODES",
    "inspect_image",
    "make_derivatives",
    "noai_xmp",
    "sniff_format",
]

PLUS_NAMESPACE: Final = "http://ns.useplus.org/ldf/xmp/1.0/"
DATA_MINING_PROHIBITED: Final = "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING"

REJECTION_CODES: Final = frozenset({
    "empty_file", "file_too_large", "unsupported_format", "corrupt_image",
    "too_many_pixels", "too_many_frames", "dimensions_too_large",
})

_MIME: Final = {
    "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp",
    "avif": "image/avif", "gif": "image/gif",
}
# A JPEG carrying an MPF index (phone photos with gain maps or previews) is
# opened by Pillow as "MPO"; it is still a JPEG to browsers.
_PILLOW_FORMATS: Final = {
    "jpeg": ("JPEG", "MPO"), "png": ("PNG",), "webp": ("WEBP",),
    "avif": ("AVIF",), "gif": ("GIF",),
}
_SIXTEEN_BIT_MODES: Final = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N", "F"})
_GREY_MODES: Final = frozenset({"1", "L", "LA", "La"}) | _SIXTEEN_BIT_MODES
# Same table as ImageOps.exif_transpose.
_ORIENTATION_TRANSPOSE: Final = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_WEBP_MAX_SIDE: Final = 16_383
# Pillow documents reducing_gap >= 3 as indistinguishable from plain Lanczos.
_REDUCING_GAP: Final = 3.0
_MAX_CREATOR_CHARS: Final = 512
# Characters XML 1.0 cannot carry even as character references, plus C1 controls
# and the other C0 controls that have no business in a name.
_XML_UNSAFE: Final = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class ImageLimits:
    max_bytes: int = 50 * 1024 * 1024
    max_pixels: int = 40_000_000          # per frame (width*height), from the header, before decoding
    max_dimension: int = 16_384           # either side
    max_frames: int = 300                 # animation frames
    max_total_pixels: int = 400_000_000   # sum over frames of decoded pixels


class ImageRejected(Exception):
    """A file we refuse. ``code`` (one of REJECTION_CODES) is stable, API clients switch
    on it; ``message`` is for people and never echoes file content."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)  # both in args, so the exception pickles
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass(frozen=True)
class ImageInfo:
    format: str        # from magic bytes, never from a declared type
    mime: str
    width: int         # displayed size, i.e. after EXIF orientation
    height: int
    frames: int
    has_alpha: bool


@dataclass(frozen=True)
class Derivative:
    width: int
    height: int
    data: bytes
    content_type: str
    label: str


@dataclass(frozen=True)
class _FirstFrame:
    image: Image.Image      # working mode: L, LA, RGB, RGBA or CMYK, not yet oriented
    icc_profile: bytes | None
    orientation: int


def sniff_format(data: bytes) -> str | None:
    """Name the format from its magic bytes; None for anything we do not accept."""
    head = bytes(data[:64])
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and _is_avif_ftyp(data):
        return "avif"
    return None


def _is_avif_ftyp(data: bytes) -> bool:
    # HEIC shares the ISO-BMFF container (and the generic "mif1" brand), so only an
    # explicit AVIF brand counts; Pillow itself would let "mif1" through.
    box_size = int.from_bytes(data[0:4], "big")
    if box_size < 16 or box_size > min(len(data), 4096) or box_size % 4:
        return False
    brands = {bytes(data[8:12])}
    brands.update(bytes(data[i:i + 4]) for i in range(16, box_size, 4))
    return bool(brands & {b"avif", b"avis"})


def inspect_image(data: bytes, limits: ImageLimits = ImageLimits()) -> ImageInfo:
    """Validate an upload completely (header limits, then a full decode of every frame)."""
    info, _ = _decode(data, limits, draft_width=None, keep_first=False)
    return info


def make_derivatives(
    data: bytes,
    *,
    creator: str,
    widths: tuple[int, ...] = (320, 640, 1280, 2048),
    quality: int = 80,
    limits: ImageLimits = ImageLimits(),
    avif_widths: tuple[int, ...] = (),
) -> list[Derivative]:
    """Static WebP renditions, metadata-free apart from a "do not train" XMP packet.

    The upload goes through exactly the checks of :func:`inspect_image` (the same
    code path, so both reject the same files with the same codes); the one
    difference is that a JPEG is decoded at a reduced DCT scale when the largest
    output allows it, which still reads every byte of entropy-coded data.

    Animated GIF, APNG, WebP and AVIF sequences give static derivatives of their
    first frame; every frame is still decoded for validation.

    Widths: each requested width not wider than the displayed source, plus the
    source width itself when the source is narrower than the largest request.
    Nothing is ever upscaled (a 500 px image gives 320 and 500). Results are
    sorted by width. EXIF orientation is applied; EXIF, IPTC, comments, original
    XMP and ICC profiles are dropped, pixels are converted to sRGB first.

    ``avif_widths``: beside the WebP of each of these widths, an AVIF at the lowest quality
    whose SSIM against the resized source is at least the WebP's (:func:`_avif_matching`),
    kept only when it is smaller than the WebP; it follows the WebP of the same width.
    """
    targets = sorted({int(w) for w in widths})
    if not targets or targets[0] <= 0:
        raise ValueError("widths must be a non-empty tuple of positive integers")
    if not 0 <= quality <= 100:
        raise ValueError("quality must be between 0 and 100")
    xmp = noai_xmp(creator)

    info, first = _decode(data, limits, draft_width=targets[-1], keep_first=True)
    assert first is not None
    sizes = _derivative_sizes(info.width, info.height, targets)

    try:
        base = first.image
        transpose = _ORIENTATION_TRANSPOSE.get(first.orientation)
        swap = first.orientation in (5, 6, 7, 8)
        to_srgb = _srgb_converter(base.mode, first.icc_profile)
        derivatives: list[Derivative] = []
        for width, height in sizes:
            # Resize in stored orientation and rotate the small result, and
            # colour-convert per derivative: both are far cheaper than doing it
            # on the full-size source, and the results are the same.
            stored = (height, width) if swap else (width, height)
            resized = base if base.size == stored else base.resize(
                stored, Image.Resampling.LANCZOS, reducing_gap=_REDUCING_GAP)
            if transpose is not None:
                resized = resized.transpose(transpose)
            final = to_srgb(resized)
            final.info = {}
            out = io.BytesIO()
            # exif/icc passed empty on purpose: nothing from the upload may leak.
            final.save(out, format="WEBP", quality=quality, method=4, exif=b"",
                       icc_profile=None, xmp=xmp)
            webp = out.getvalue()
            derivatives.append(Derivative(width=width, height=height, data=webp,
                                          content_type="image/webp", label=f"w{width}"))
            if width in avif_widths:
                smaller = _avif_matching(final, webp, xmp)
                if smaller is not None:
                    derivatives.append(Derivative(width=width, height=height, data=smaller,
                                                  content_type="image/avif", label=f"w{width}-avif"))
    except ImageRejected:
        raise
    except MemoryError as exc:
        raise ImageRejected("too_many_pixels", "The image is too large to process.") from exc
    except Exception as exc:  # the file passed validation; anything left is still its fault
        raise ImageRejected("corrupt_image", "The image could not be converted.") from exc
    return derivatives


# AVIF qualities tried, lowest first after the middle one (speed 8: ~4x faster than the
# default 6 for a few % more bytes). The chosen one is the lowest that matches the WebP's SSIM.
_AVIF_QUALITIES: Final = (40, 50, 60, 70, 80)
_AVIF_SPEED: Final = 8


def _avif_matching(final: Image.Image, webp: bytes, xmp: bytes) -> bytes | None:
    """The smallest AVIF (of the qualities tried) at least as close to `final` as the WebP is
    (SSIM on luma), if it is smaller than the WebP; else None. Binary search on quality."""
    from chalicelib.images.quality import ssim

    with Image.open(io.BytesIO(webp)) as decoded:
        target = ssim(final, decoded.convert(final.mode))
    lo, hi = 0, len(_AVIF_QUALITIES) - 1
    best: bytes | None = None
    while lo <= hi:
        mid = (lo + hi) // 2
        out = io.BytesIO()
        final.save(out, format="AVIF", quality=_AVIF_QUALITIES[mid], speed=_AVIF_SPEED, exif=b"",
                   icc_profile=None, xmp=xmp)
        data = out.getvalue()
        with Image.open(io.BytesIO(data)) as decoded:
            score = ssim(final, decoded.convert(final.mode))
        if score >= target:
            best, hi = data, mid - 1
        else:
            lo = mid + 1
    return best if best is not None and len(best) < len(webp) else None


def noai_xmp(creator: str) -> bytes:
    """XMP packet marking the file as not for AI/ML training, crediting ``creator``.

    ``creator`` is user input: XML-escaped, control characters dropped, and cut to
    512 characters so the packet stays far below the 65,504-byte JPEG segment limit.
    """
    name = _clean_creator(creator)
    rights = "Do not use for AI/ML training or text and data mining."
    if name:
        rights = f"\u00a9 {name}. All rights reserved. {rights}"
    creator_xml = (
        f"   <dc:creator><rdf:Seq><rdf:li>{_xml_text(name)}</rdf:li></rdf:Seq></dc:creator>\n"
        if name else ""
    )
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        '    xmlns:dc="http://purl.org/dc/elements/1.1/"\n'
        f'    xmlns:plus="{PLUS_NAMESPACE}"\n'
        '    xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/">\n'
        f"   <plus:DataMining>{DATA_MINING_PROHIBITED}</plus:DataMining>\n"
        "   <xmpRights:Marked>True</xmpRights:Marked>\n"
        f"{creator_xml}"
        "   <dc:rights><rdf:Alt>"
        f'<rdf:li xml:lang="x-default">{_xml_text(rights)}</rdf:li>'
        "</rdf:Alt></dc:rights>\n"
        "   <xmpRights:UsageTerms><rdf:Alt>"
        '<rdf:li xml:lang="x-default">Do not train: no AI/ML training or text and data mining.</rdf:li>'
        "</rdf:Alt></xmpRights:UsageTerms>\n"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="r"?>'
    )
    return packet.encode("utf-8")


def _clean_creator(creator: str) -> str:
    text = _XML_UNSAFE.sub(lambda m: " " if m.group() in "\t\n\r" else "", str(creator))
    return " ".join(text.split())[:_MAX_CREATOR_CHARS]


def _xml_text(text: str) -> str:
    return escape(text, {'"': "&quot;", "'": "&apos;"})


def _derivative_sizes(src_w: int, src_h: int, targets: list[int]) -> list[tuple[int, int]]:
    chosen = [w for w in targets if w <= src_w]
    if src_w < targets[-1] and src_w not in chosen:
        chosen.append(src_w)
    sizes: list[tuple[int, int]] = []
    for width in chosen:
        height = max(1, round(src_h * width / src_w))
        if height > _WEBP_MAX_SIDE:  # WebP cannot store a side over 16,383 px
            width = max(1, round(width * _WEBP_MAX_SIDE / height))
            height = _WEBP_MAX_SIDE
        if (width, height) not in sizes:
            sizes.append((width, height))
    return sorted(sizes)


def _decode(
    data: bytes, limits: ImageLimits, *, draft_width: int | None, keep_first: bool,
) -> tuple[ImageInfo, _FirstFrame | None]:
    if not data:
        raise ImageRejected("empty_file", "The file is empty.")
    if len(data) > limits.max_bytes:
        raise ImageRejected("file_too_large",
                            f"The file is larger than {limits.max_bytes} bytes.")
    fmt = sniff_format(data)
    if fmt is None:
        raise ImageRejected("unsupported_format",
                            "Only JPEG, PNG, WebP, AVIF and GIF images are accepted.")
    try:
        # A context manager keeps the filter change local to this call; it touches
        # the process-wide filter list, which is fine in a one-request-per-process Lambda.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow chatters about hostile metadata
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(_PILLOW_FORMATS[fmt][:1])) as im:
                return _decode_opened(im, fmt, limits, draft_width, keep_first)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected("too_many_pixels",
                            "The image has too many pixels (possible decompression bomb).") from exc
    except MemoryError as exc:
        raise ImageRejected("too_many_pixels", "The image is too large to decode.") from exc
    except ValueError as exc:
        # Pillow's guards against zip bombs in PNG text/ICC chunks (a huge ComfyUI
        # workflow trips them too); worth a message of their own.
        reason = str(exc).lower()
        if "decompressed data too large" in reason or "too much memory used in text" in reason:
            raise ImageRejected(
                "corrupt_image",
                "A compressed PNG text or profile chunk is larger than the safe limit "
                "(Decompressed Data Too Large).") from exc
        raise ImageRejected("corrupt_image", "The image data is corrupt.") from exc
    except Exception as exc:  # OSError, SyntaxError, struct.error, EOFError, ...: all the file's fault
        raise ImageRejected("corrupt_image", "The image data is corrupt or truncated.") from exc


def _decode_opened(
    im: ImageFile.ImageFile, fmt: str, limits: ImageLimits,
    draft_width: int | None, keep_first: bool,
) -> tuple[ImageInfo, _FirstFrame | None]:
    if im.format not in _PILLOW_FORMATS[fmt]:
        raise ImageRejected("unsupported_format", "The file content does not match its format.")
    stored_w, stored_h = im.size
    _check_frame_size(stored_w, stored_h, limits)

    # GIF has no frame count in its header and counting means walking the whole
    # file, so GIF frames are counted while decoding, capped by the limits below.
    # An MPO's extra images are previews/gain maps, never shown: the JPEG is frame 0.
    if fmt == "gif":
        declared = None
    elif fmt == "jpeg":
        declared = 1
    else:
        declared = int(getattr(im, "n_frames", 1))
        if declared > limits.max_frames:
            raise ImageRejected("too_many_frames",
                                f"The animation has more than {limits.max_frames} frames.")
        if declared * stored_w * stored_h > limits.max_total_pixels:
            raise ImageRejected("too_many_pixels", "The animation has too many pixels in total.")

    orientation = 1
    if draft_width is not None and fmt == "jpeg":
        orientation = _orientation(im)  # JPEG EXIF is parsed at open, before the pixels
        display_w = stored_h if orientation in (5, 6, 7, 8) else stored_w
        scale = min(draft_width, display_w) / display_w
        # Rounding up: libjpeg then never hands back fewer pixels than the largest output.
        im.draft(None, (max(1, math.ceil(stored_w * scale)), max(1, math.ceil(stored_h * scale))))

    first: _FirstFrame | None = None
    has_alpha = False
    total_pixels = 0
    frame = 0
    while True:
        if frame:
            if declared is not None and frame >= declared:
                break
            try:
                im.seek(frame)
            except EOFError:
                if declared is None:
                    break
                raise
        if frame >= limits.max_frames:
            raise ImageRejected("too_many_frames",
                                f"The animation has more than {limits.max_frames} frames.")
        # A GIF frame may grow the canvas past the header size.
        _check_frame_size(*im.size, limits)
        total_pixels += im.size[0] * im.size[1]
        if total_pixels > limits.max_total_pixels:
            raise ImageRejected("too_many_pixels", "The animation has too many pixels in total.")
        im.load()
        if frame == 0:
            orientation = _orientation(im)  # PNG eXIf may follow the pixel data
            has_alpha = _has_alpha(im)
            if keep_first:
                first = _FirstFrame(image=_working_copy(im, has_alpha),
                                    icc_profile=im.info.get("icc_profile") or None,
                                    orientation=orientation)
        frame += 1

    swap = orientation in (5, 6, 7, 8)
    info = ImageInfo(
        format=fmt, mime=_MIME[fmt],
        width=stored_h if swap else stored_w, height=stored_w if swap else stored_h,
        frames=frame, has_alpha=has_alpha,
    )
    return info, first


def _check_frame_size(width: int, height: int, limits: ImageLimits) -> None:
    if width <= 0 or height <= 0:
        raise ImageRejected("corrupt_image", "The image has no pixels.")
    # Pixels first: a bomb usually also breaks the side limit, and callers care
    # that it is a bomb.
    if width * height > limits.max_pixels:
        raise ImageRejected("too_many_pixels",
                            f"The image has more than {limits.max_pixels} pixels.")
    if width > limits.max_dimension or height > limits.max_dimension:
        raise ImageRejected("dimensions_too_large",
                            f"A side of the image is longer than {limits.max_dimension} px.")


def _orientation(im: Image.Image) -> int:
    # Broken EXIF is common in real photos; it costs the rotation, not the upload.
    try:
        value = im.getexif().get(0x0112, 1)
    except Exception:
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _has_alpha(im: Image.Image) -> bool:
    try:
        return bool(im.has_transparency_data)
    except Exception:
        return False


def _working_copy(im: Image.Image, has_alpha: bool) -> Image.Image:
    """Frame 0 in a mode that resizes and colour-manages cleanly (always a new image)."""
    if im.mode in _SIXTEEN_BIT_MODES:
        # Pillow's I;16 -> L conversion clips instead of scaling, which turns
        # 16-bit greys white.
        grey = im.convert("I").point(lambda v: v / 257).convert("L")
        grey.info = {}
        return grey.convert("LA") if has_alpha else grey
    grey = im.mode in _GREY_MODES
    if has_alpha:
        working = im.convert("LA" if grey else "RGBA")
    elif im.mode == "CMYK":
        working = im.copy()
    else:
        working = im.convert("L" if grey else "RGB")
    working.info = {}  # nothing from the upload's metadata travels further
    return working


def _srgb_converter(mode: str, icc: bytes | None) -> Callable[[Image.Image], Image.Image]:
    """Build once, per upload, a function taking working-mode images to RGB/RGBA sRGB.

    A profile we cannot use (malformed, or not matching the pixel mode) is ignored
    and the pixels are taken as sRGB, which is what browsers would do.
    """
    colour_mode = {"LA": "L", "RGBA": "RGB"}.get(mode, mode)
    transform: ImageCms.ImageCmsTransform | None = None
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            description = ImageCms.getProfileDescription(source) or ""
            # Most camera and phone files carry plain sRGB: skip the no-op transform.
            if not (colour_mode == "RGB" and "srgb" in description.lower()):
                transform = ImageCms.buildTransform(source, _srgb_profile(), colour_mode, "RGB")
        except Exception:
            transform = None

    def convert(image: Image.Image) -> Image.Image:
        alpha = image.getchannel("A") if image.mode in ("LA", "RGBA") else None
        colour = image.convert(colour_mode) if alpha is not None else image
        converted: Image.Image | None = None
        if transform is not None:
            try:
                converted = ImageCms.applyTransform(colour, transform)
            except Exception:
                converted = None
        if converted is None:
            converted = colour.convert("RGB")
        if alpha is not None:
            converted.putalpha(alpha)
        return converted

    return convert


@functools.cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
