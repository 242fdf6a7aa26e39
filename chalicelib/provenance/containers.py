"""Format sniffing and bounded raw walkers for the metadata containers we read.

We walk the containers ourselves instead of relying only on Pillow because Pillow refuses
whole files for reasons that are themselves evidence (a >1 MiB compressed PNG text chunk,
a decompression-bomb header) and skips places that matter (text chunks after IDAT, every
EXIF segment but the first, GIF XMP). Every loop and every decompression here is capped so
a hostile file costs bounded time and memory.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from dataclasses import dataclass, field

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# Pillow refuses a compressed PNG text chunk that inflates beyond this (ImageFile.SAFEBLOCK).
PILLOW_TEXT_LIMIT = 1024 * 1024
# Enough to see past Pillow's limit and to read a big ComfyUI graph whole.
MAX_TEXT_BYTES = 2 * 1024 * 1024
# All text chunks of one file together never inflate beyond this.
MAX_TOTAL_INFLATE = 8 * 1024 * 1024
MAX_XMP_BYTES = 4 * 1024 * 1024
MAX_EXIF_BYTES = 4 * 1024 * 1024
MAX_PNG_CHUNKS = 20_000
MAX_JPEG_SEGMENTS = 4_096
MAX_WEBP_CHUNKS = 10_000
MAX_GIF_STEPS = 2_000_000
MAX_ITEMS = 256  # text items / XMP packets / EXIF blobs kept per file
# Per-file totals, so that many chunks each just under a cap cannot add up to a lot of memory
# or parse time: past a budget, further items are cut to a short prefix or skipped.
MAX_TOTAL_TEXT = 16 * 1024 * 1024
MAX_TOTAL_XMP = 8 * 1024 * 1024
MAX_TOTAL_EXIF = 8 * 1024 * 1024
SMALL_PREFIX = 64 * 1024
INFLATE_STEP = 64 * 1024

XMP_TEXT_KEYS = frozenset({"XML:com.adobe.xmp"})
JPEG_EXIF_PREFIX = b"Exif\x00\x00"
JPEG_XMP_PREFIX = b"http://ns.adobe.com/xap/1.0/\x00"
JPEG_EXT_XMP_PREFIX = b"http://ns.adobe.com/xmp/extension/\x00"


def sniff_format(data: bytes) -> str | None:
    """The container format from magic bytes only; the declared type is never trusted."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(PNG_MAGIC):
        return "png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if len(data) >= 12 and data[4:8] == b"ftyp":
        box_size = int.from_bytes(data[0:4], "big")
        end = min(len(data), box_size if 16 <= box_size <= 4096 else 64)
        brands = {data[8:12]} | {data[i : i + 4] for i in range(16, end - 3, 4)}
        if brands & {b"avif", b"avis"}:
            return "avif"
    return None


@dataclass
class TextItem:
    where: str  # e.g. "png:tEXt", "jpeg:exif:UserComment"
    key: str  # chunk keyword / EXIF tag name / "comment"
    text: str
    truncated: bool = False  # we stopped reading before its end
    size_hint: int = 0  # bytes seen (after inflation), for the report


@dataclass
class MetadataBag:
    texts: list[TextItem] = field(default_factory=list)
    xmp: list[tuple[str, bytes]] = field(default_factory=list)
    exif: list[tuple[str, bytes]] = field(default_factory=list)
    oversize_text: list[dict[str, object]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    inflated_total: int = 0
    text_total: int = 0
    xmp_total: int = 0
    exif_total: int = 0
    _seen: set[bytes] = field(default_factory=set)

    def _first_time(self, kind: str, payload: bytes) -> bool:
        digest = hashlib.sha1(kind.encode() + b"\0" + payload).digest()
        if digest in self._seen:
            return False
        self._seen.add(digest)
        return True

    def text_room(self) -> int:
        """How many bytes the next text item may keep."""
        return max(min(MAX_TEXT_BYTES, MAX_TOTAL_TEXT - self.text_total), SMALL_PREFIX)

    def add_text(self, item: TextItem) -> None:
        if len(self.texts) >= MAX_ITEMS:
            return
        room = self.text_room()
        if len(item.text) > room:
            item = TextItem(item.where, item.key, item.text[:room], True, item.size_hint)
        self.text_total += len(item.text)
        payload = item.key.encode("utf-8", "replace") + b"\0" + item.text.encode("utf-8", "replace")
        if self._first_time("text", payload):
            self.texts.append(item)

    def add_xmp(self, where: str, packet: bytes | memoryview) -> None:
        if self.xmp_total >= MAX_TOTAL_XMP or len(self.xmp) >= MAX_ITEMS:
            self.note("xmp: per-file budget reached, packet skipped")
            return
        packet = bytes(packet[:MAX_XMP_BYTES]).strip(b"\x00 \t\r\n")
        if packet and self._first_time("xmp", packet):
            self.xmp_total += len(packet)
            self.xmp.append((where, packet))

    def add_exif(self, where: str, blob: bytes | memoryview) -> None:
        if self.exif_total >= MAX_TOTAL_EXIF or len(self.exif) >= MAX_ITEMS:
            self.note("exif: per-file budget reached, block skipped")
            return
        blob = bytes(blob[:MAX_EXIF_BYTES])
        if blob.startswith(JPEG_EXIF_PREFIX):
            blob = blob[len(JPEG_EXIF_PREFIX) :]
        if blob and self._first_time("exif", blob):
            self.exif_total += len(blob)
            self.exif.append((where, blob))

    def note(self, message: str) -> None:
        if len(self.notes) < 16:
            self.notes.append(message)


def decode_text(raw: bytes, *, utf8_first: bool = True) -> str:
    if utf8_first:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return raw.decode("latin-1")


def _inflate(bag: MetadataBag, compressed: memoryview) -> tuple[bytes, bool, bool]:
    """Inflate at most MAX_TEXT_BYTES (and what is left of the per-file budget).

    Returns (output, truncated, error). Fed in slices so a huge compressed chunk is never
    copied whole, and max_length stops a zlib bomb at the cap.
    """
    budget = min(MAX_TEXT_BYTES, MAX_TOTAL_INFLATE - bag.inflated_total)
    if budget <= 0:
        return b"", True, False
    inflater = zlib.decompressobj()
    out = bytearray()
    truncated = False
    error = False
    try:
        for start in range(0, len(compressed), INFLATE_STEP):
            room = budget - len(out)
            out += inflater.decompress(bytes(compressed[start : start + INFLATE_STEP]), room)
            if inflater.unconsumed_tail or (len(out) >= budget and not inflater.eof):
                truncated = True
                break
            if inflater.eof:
                break
    except zlib.error:
        error = True
    bag.inflated_total += len(out)
    return bytes(out), truncated, error


def _split_keyword(body: memoryview) -> tuple[str, int] | None:
    nul = bytes(body[:80]).find(b"\x00")
    if nul <= 0:
        return None
    return bytes(body[:nul]).decode("latin-1"), nul + 1


def _parse_raw_profile(text: str) -> bytes | None:
    """ImageMagick's 'Raw profile type xmp/exif': "\\nname\\n   <len>\\n<hex lines>"."""
    parts = text.strip().split("\n", 2)
    if len(parts) < 3:
        return None
    try:
        length = int(parts[1].strip())
        raw = bytes.fromhex("".join(parts[2].split())[: 2 * min(length, MAX_XMP_BYTES)])
    except ValueError:
        return None
    return raw


def walk_png(data: bytes, bag: MetadataBag) -> None:
    view = memoryview(data)
    pos = len(PNG_MAGIC)
    for _ in range(MAX_PNG_CHUNKS):
        if pos + 8 > len(data):
            return
        length, ctype = struct.unpack(">I4s", data[pos : pos + 8])
        start = pos + 8
        end = start + length
        if end > len(data):
            bag.note("png: chunk runs past end of file")
            end = len(data)
        body = view[start:end]
        if ctype in (b"tEXt", b"zTXt", b"iTXt"):
            _png_text_chunk(ctype.decode("ascii"), body, bag)
        elif ctype == b"eXIf":
            bag.add_exif("png:eXIf", body)
        elif ctype == b"IEND":
            return
        pos = end + 4
    bag.note("png: chunk limit reached")


def _png_text_chunk(ctype: str, body: memoryview, bag: MetadataBag) -> None:
    split = _split_keyword(body)
    if split is None:
        return
    key, offset = split
    compressed = False
    utf8 = False
    if ctype == "tEXt":
        payload: memoryview = body[offset:]
    elif ctype == "zTXt":
        compressed = True
        payload = body[offset + 1 :]
    else:
        utf8 = True
        if len(body) < offset + 2:
            return
        compressed = body[offset] == 1
        rest = body[offset + 2 :]
        # Language tag and translated keyword are short in practice; bounding the search keeps
        # a chunk of megabytes without NULs cheap.
        window = bytes(rest[:4096])
        lang_end = window.find(b"\x00")
        tkey_end = window.find(b"\x00", lang_end + 1) if lang_end >= 0 else -1
        if tkey_end < 0:
            return
        payload = rest[tkey_end + 1 :]
    truncated = False
    if compressed:
        raw, truncated, error = _inflate(bag, payload)
        if error:
            bag.note(f"png: {ctype} {key!r} inflate error")
        full_size = len(raw)
    else:
        full_size = len(payload)
        room = bag.text_room()
        truncated = full_size > room
        raw = bytes(payload[:room])
    if full_size > PILLOW_TEXT_LIMIT or truncated:
        bag.oversize_text.append({"chunk": ctype, "key": key, "compressed": compressed, "bytes_at_least": full_size})
    where = f"png:{ctype}"
    if key in XMP_TEXT_KEYS:
        bag.add_xmp(where, raw)
        return
    text = decode_text(raw, utf8_first=True) if utf8 else decode_text(raw)
    lowered = key.lower()
    if lowered.startswith("raw profile type "):
        profile = _parse_raw_profile(text)
        if profile is not None:
            if lowered.endswith("xmp"):
                bag.add_xmp(where, profile)
            elif lowered.endswith(("exif", "app1")):
                bag.add_exif(where, profile)
        return
    bag.add_text(TextItem(where, key, text, truncated, full_size))


def walk_jpeg(data: bytes, bag: MetadataBag) -> None:
    ext_xmp: dict[bytes, bytearray] = {}
    pos = 2
    n = len(data)
    for _ in range(MAX_JPEG_SEGMENTS):
        if pos >= n:
            break
        if data[pos] != 0xFF:
            # Resynchronise on the next marker instead of giving up on odd files.
            nxt = data.find(b"\xff", pos)
            if nxt < 0:
                break
            pos = nxt
        while pos < n and data[pos] == 0xFF:
            pos += 1
        if pos >= n:
            break
        marker = data[pos]
        pos += 1
        if marker in (0x00, 0x01, 0xD8) or 0xD0 <= marker <= 0xD7:
            continue
        if marker == 0xD9 or pos + 2 > n:
            break
        seg_len = int.from_bytes(data[pos : pos + 2], "big")
        if seg_len < 2:
            break
        body = data[pos + 2 : pos + seg_len]
        pos += seg_len
        if marker == 0xDA:
            break  # start of scan: metadata segments come before it
        if marker == 0xE1:
            if body.startswith(JPEG_EXIF_PREFIX):
                bag.add_exif("jpeg:APP1:exif", body)
            elif body.startswith(JPEG_XMP_PREFIX):
                bag.add_xmp("jpeg:APP1:xmp", body[len(JPEG_XMP_PREFIX) :])
            elif body.startswith(JPEG_EXT_XMP_PREFIX):
                _jpeg_extended_xmp(body[len(JPEG_EXT_XMP_PREFIX) :], ext_xmp)
        elif marker == 0xFE:
            bag.add_text(TextItem("jpeg:COM", "comment", decode_text(body), False, len(body)))
    for packet in ext_xmp.values():
        bag.add_xmp("jpeg:APP1:extended-xmp", bytes(packet))


def _jpeg_extended_xmp(body: bytes, parts: dict[bytes, bytearray]) -> None:
    if len(body) < 40:
        return
    guid = body[:32]
    total, offset = struct.unpack(">II", body[32:40])
    chunk = body[40:]
    if guid not in parts:
        if len(parts) >= 4 or total > MAX_XMP_BYTES:
            return
        parts[guid] = bytearray(total)
    buf = parts[guid]
    if offset + len(chunk) <= len(buf):
        buf[offset : offset + len(chunk)] = chunk


def walk_webp(data: bytes, bag: MetadataBag) -> None:
    view = memoryview(data)  # chunk bodies are sliced without copying a huge one whole
    pos = 12
    n = min(len(data), 8 + int.from_bytes(data[4:8], "little"))
    for _ in range(MAX_WEBP_CHUNKS):
        if pos + 8 > n:
            return
        fourcc = data[pos : pos + 4]
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        body = view[pos + 8 : pos + 8 + size]
        if fourcc == b"EXIF":
            bag.add_exif("webp:EXIF", body)
        elif fourcc == b"XMP ":
            bag.add_xmp("webp:XMP", body)
        pos += 8 + size + (size & 1)


def walk_gif(data: bytes, bag: MetadataBag) -> None:
    n = len(data)
    if n < 13:
        return
    steps = 0

    def skip_sub_blocks(p: int) -> int:
        nonlocal steps
        while p < n and steps < MAX_GIF_STEPS:
            steps += 1
            size = data[p]
            p += 1
            if size == 0:
                break
            p += size
        return p

    flags = data[10]
    pos = 13
    if flags & 0x80:
        pos += 3 * (2 ** ((flags & 7) + 1))
    while pos < n and steps < MAX_GIF_STEPS:
        steps += 1
        block = data[pos]
        pos += 1
        if block == 0x3B:
            return
        if block == 0x21 and pos < n:
            label = data[pos]
            pos += 1
            if label == 0xFF and pos < n and data[pos] == 11 and data[pos + 1 : pos + 12] == b"XMP DataXMP":
                start = pos + 12
                # XMP is stored raw, followed by a 258-byte "magic trailer" that lets ordinary
                # sub-block walkers skip it; the packet ends where that trailer begins.
                end = data.find(b"\x01\xff\xfe\xfd", start, start + MAX_XMP_BYTES)
                if end > start:
                    bag.add_xmp("gif:XMP", data[start:end])
            elif label == 0xFE:
                comment = bytearray()
                while pos < n and steps < MAX_GIF_STEPS:
                    steps += 1
                    size = data[pos]
                    pos += 1
                    if size == 0:
                        break
                    if len(comment) < MAX_TEXT_BYTES:
                        comment += data[pos : pos + size]
                    pos += size
                text = decode_text(bytes(comment))
                bag.add_text(TextItem("gif:comment", "comment", text, False, len(comment)))
                continue
            pos = skip_sub_blocks(pos)
        elif block == 0x2C:
            if pos + 9 > n:
                return
            local_flags = data[pos + 8]
            pos += 9
            if local_flags & 0x80:
                pos += 3 * (2 ** ((local_flags & 7) + 1))
            pos = skip_sub_blocks(pos + 1)
        else:
            return


WALKERS = {"png": walk_png, "jpeg": walk_jpeg, "webp": walk_webp, "gif": walk_gif}
