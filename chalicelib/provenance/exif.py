"""A small, bounded TIFF/EXIF reader for the few text tags generators write into.

Pillow's EXIF reader is built for correctness on well-formed files and warns or raises on
broken ones; here we only need a handful of text tags, must survive any input, and need the
TIFF byte order to decode UserComment, so a few dozen lines of struct are the safer choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .containers import MAX_TEXT_BYTES, decode_text

EXIF_IFD_POINTER = 0x8769
MAX_ENTRIES = 512
MAX_IFDS = 4

# Tags whose value is free text a generator might fill. ComfyUI writes its graphs into
# Model (0x0110) and Make (0x010F) and any further extra_pnginfo keys into the tags below
# 0x010F, so every ASCII tag of IFD0 is read, these names only label them.
TAG_NAMES = {
    0x010E: "ImageDescription",
    0x010F: "Make",
    0x0110: "Model",
    0x0131: "Software",
    0x013B: "Artist",
    0x02BC: "XMLPacket",
    0x8298: "Copyright",
    0x9286: "UserComment",
    0x9C9B: "XPTitle",
    0x9C9C: "XPComment",
    0x9C9D: "XPAuthor",
    0x9C9E: "XPKeywords",
    0x9C9F: "XPSubject",
}
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
ASCII, BYTE, UNDEFINED, LONG, IFD = 2, 1, 7, 4, 13
XP_TAGS = frozenset({0x9C9B, 0x9C9C, 0x9C9D, 0x9C9E, 0x9C9F})


@dataclass
class ExifText:
    name: str
    text: str
    truncated: bool


@dataclass
class ExifContent:
    texts: list[ExifText]
    xmp: bytes | None


def parse_exif(blob: bytes) -> ExifContent:
    """Text-like tags of IFD0 and the Exif IFD; raises ValueError on a non-TIFF blob."""
    order: Literal["little", "big"]
    if blob[:4] == b"II*\x00":
        order = "little"
    elif blob[:4] == b"MM\x00*":
        order = "big"
    else:
        raise ValueError("not a TIFF header")

    def u16(off: int) -> int:
        return int.from_bytes(blob[off : off + 2], order)

    def u32(off: int) -> int:
        return int.from_bytes(blob[off : off + 4], order)

    texts: list[ExifText] = []
    xmp: bytes | None = None
    visited: set[int] = set()
    queue: list[tuple[int, str]] = [(u32(4), "ifd0")]
    while queue and len(visited) < MAX_IFDS:
        offset, which = queue.pop(0)
        if offset in visited or offset < 8 or offset + 2 > len(blob):
            continue
        visited.add(offset)
        count = min(u16(offset), MAX_ENTRIES)
        for i in range(count):
            entry = offset + 2 + 12 * i
            if entry + 12 > len(blob):
                break
            tag, typ, n = u16(entry), u16(entry + 2), u32(entry + 4)
            size = TYPE_SIZES.get(typ, 0) * n
            if tag == EXIF_IFD_POINTER and which == "ifd0" and typ in (LONG, IFD):
                queue.append((u32(entry + 8), "exif"))
                continue
            if typ not in (ASCII, BYTE, UNDEFINED) or size == 0:
                continue
            if size <= 4:
                raw = blob[entry + 8 : entry + 8 + size]
            else:
                start = u32(entry + 8)
                raw = blob[start : start + min(size, MAX_TEXT_BYTES + 1)]
            truncated = len(raw) < size
            name = TAG_NAMES.get(tag, f"0x{tag:04X}")
            if tag == 0x02BC:
                xmp = raw
                continue
            if which == "exif" and tag != 0x9286:
                continue  # other Exif-IFD byte tags are binary (MakerNote, versions, ...)
            if tag == 0x9286:
                text = decode_user_comment(raw, order)
            elif tag in XP_TAGS:
                text = raw.decode("utf-16-le", "replace").rstrip("\x00")
            elif typ == ASCII:
                text = decode_text(raw.rstrip(b"\x00"))
            else:
                continue
            texts.append(ExifText(name, text, truncated))
    return ExifContent(texts, xmp)


def decode_user_comment(raw: bytes, tiff_order: str = "big") -> str:
    """Decode EXIF UserComment: an 8-byte charset code, then the text.

    A1111 (via piexif) writes "UNICODE\\0" + UTF-16 big-endian whatever the TIFF byte order;
    others follow the TIFF order, and some put UTF-8 after the UNICODE prefix. The byte order is
    therefore guessed from where the zero bytes of ASCII characters fall.
    """
    prefix, body = raw[:8], raw[8:]
    if prefix == b"UNICODE\x00":
        return _decode_utf16_guess(body, tiff_order)
    if prefix in (b"ASCII\x00\x00\x00", b"\x00" * 8):
        return decode_text(body.rstrip(b"\x00"))
    if prefix == b"JIS\x00\x00\x00\x00\x00":
        return body.decode("shift_jis", "replace").rstrip("\x00")
    return decode_text(raw.rstrip(b"\x00"))


def _decode_utf16_guess(body: bytes, tiff_order: str) -> str:
    if body[:2] == b"\xfe\xff":
        return body[2:].decode("utf-16-be", "replace").rstrip("\x00")
    if body[:2] == b"\xff\xfe":
        return body[2:].decode("utf-16-le", "replace").rstrip("\x00")
    sample = body[:4096]
    even_zeros = sample[0::2].count(0)
    odd_zeros = sample[1::2].count(0)
    if even_zeros + odd_zeros < len(sample) // 8:
        return decode_text(body.rstrip(b"\x00"))  # UTF-8 mislabelled as UNICODE
    if even_zeros > odd_zeros:
        encoding = "utf-16-be"
    elif odd_zeros > even_zeros:
        encoding = "utf-16-le"
    else:
        encoding = "utf-16-be" if tiff_order == "big" else "utf-16-le"
    if len(body) % 2:
        body = body[:-1]
    return body.decode(encoding, "replace").rstrip("\x00")
