"""Location removed from an original without touching its image data (exports keep the
originals "as uploaded, GPS removed", and whatever C2PA credentials the artist's tools wrote).

The EXIF GPS IFD is emptied in place (its entry count set to 0, its entries and out-of-line
values zeroed) and XMP `exif:GPS*` values are blanked with spaces: every length and offset
stays the same, so JPEG segments, PNG chunks (CRC recomputed) and WebP chunks keep their
layout and the compressed pixels are byte-for-byte the upload's. An EXIF block that cannot be
parsed is zeroed whole rather than kept with a location in it.
"""
from __future__ import annotations

import re
import struct
import zlib

GPS_TAG = 0x8825
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
XMP_ATTR = re.compile(rb'(exif:GPS\w+)="([^"]*)"')
XMP_ELEM = re.compile(rb"<(exif:GPS\w+)>([^<]*)</\1>")


def _zero_tiff_gps(buf: bytearray, start: int, end: int) -> bool:
    """Empties the GPS IFD of the TIFF block buf[start:end]. True if a location was there."""
    order = bytes(buf[start:start + 2])
    if order not in (b"II", b"MM"):
        raise ValueError("not a TIFF header")
    e = "<" if order == b"II" else ">"

    def u16(at: int) -> int:
        if not (start <= at and at + 2 <= end):
            raise ValueError("out of range")
        return struct.unpack_from(e + "H", buf, at)[0]

    def u32(at: int) -> int:
        if not (start <= at and at + 4 <= end):
            raise ValueError("out of range")
        return struct.unpack_from(e + "I", buf, at)[0]

    ifd0 = start + u32(start + 4)
    for i in range(u16(ifd0)):
        entry = ifd0 + 2 + 12 * i
        if u16(entry) != GPS_TAG:
            continue
        gps = start + u32(entry + 8)
        count = u16(gps)
        if gps + 2 + 12 * count + 4 > end:
            raise ValueError("GPS IFD out of range")
        for j in range(count):
            g = gps + 2 + 12 * j
            kind, n = u16(g + 2), u32(g + 4)
            size = TYPE_SIZES.get(kind, 1) * n
            if size > 4:
                at = start + u32(g + 8)
                if at + size <= end:
                    buf[at:at + size] = bytes(size)
        buf[gps:gps + 2 + 12 * count + 4] = bytes(2 + 12 * count + 4)
        return count > 0
    return False


def _blank_xmp(buf: bytearray, start: int, end: int) -> None:
    segment = bytes(buf[start:end])
    out = XMP_ATTR.sub(lambda m: m.group(1) + b'="' + b" " * len(m.group(2)) + b'"', segment)
    out = XMP_ELEM.sub(lambda m: b"<" + m.group(1) + b">" + b" " * len(m.group(2)) + b"</" + m.group(1) + b">", out)
    buf[start:end] = out


def _exif(buf: bytearray, start: int, end: int) -> None:
    try:
        _zero_tiff_gps(buf, start, end)
    except (ValueError, struct.error):
        buf[start:end] = bytes(end - start)  # unreadable: keep nothing that might be a location


def strip_gps(data: bytes) -> bytes:
    buf = bytearray(data)
    if buf[:2] == b"\xff\xd8":
        pos = 2
        while pos + 4 <= len(buf) and buf[pos] == 0xFF:
            marker = buf[pos + 1]
            if marker in (0xD9, 0xDA):  # end of image / start of scan: metadata is before it
                break
            if 0xD0 <= marker <= 0xD7 or marker == 0x01:
                pos += 2
                continue
            length = struct.unpack_from(">H", buf, pos + 2)[0]
            body, end = pos + 4, min(len(buf), pos + 2 + length)
            if marker == 0xE1 and buf[body:body + 6] == b"Exif\0\0":
                _exif(buf, body + 6, end)
            elif marker == 0xE1 and b"exif:GPS" in buf[body:end]:
                _blank_xmp(buf, body, end)
            pos = pos + 2 + length
    elif buf[:8] == b"\x89PNG\r\n\x1a\n":
        pos = 8
        while pos + 12 <= len(buf):
            length = struct.unpack_from(">I", buf, pos)[0]
            kind = bytes(buf[pos + 4:pos + 8])
            body, end = pos + 8, pos + 8 + length
            if end + 4 > len(buf):
                break
            if kind == b"eXIf" or (kind in (b"iTXt", b"tEXt") and b"exif:GPS" in buf[body:end]):
                if kind == b"eXIf":
                    _exif(buf, body, end)
                else:
                    _blank_xmp(buf, body, end)
                struct.pack_into(">I", buf, end, zlib.crc32(bytes(buf[pos + 4:end])) & 0xFFFFFFFF)
            pos = end + 4
    elif buf[:4] == b"RIFF" and buf[8:12] == b"WEBP":
        pos = 12
        while pos + 8 <= len(buf):
            kind = bytes(buf[pos:pos + 4])
            length = struct.unpack_from("<I", buf, pos + 4)[0]
            body, end = pos + 8, min(len(buf), pos + 8 + length)
            if kind == b"EXIF":
                _exif(buf, body + 6 if buf[body:body + 6] == b"Exif\0\0" else body, end)
            elif kind == b"XMP ":
                _blank_xmp(buf, body, end)
            pos = end + (length & 1)
    return bytes(buf)
