"""scan_provenance: what an uploaded file declares about being AI-generated.

Only metadata is read (PNG text chunks, EXIF, XMP, C2PA); pixels are never decoded. Each
source is read in its own guard, so a malformed one only adds an error to the signals and
the others are still read: a hostile file always gets a ProvenanceResult, never an exception.
"""

from __future__ import annotations

import io
import re
from typing import Any

from .c2pa_manifest import scan_c2pa
from .containers import WALKERS, MetadataBag, TextItem, sniff_format
from .exif import parse_exif
from .result import (
    AI_REASONS,
    C2PA_BUDGET,
    MAX_LIST,
    MAX_SOURCE_TYPES,
    SIGNALS_BUDGET,
    VERDICT_AI,
    VERDICT_UNKNOWN,
    ProvenanceResult,
    bound_json,
    is_ai_source_type,
    source_type_term,
    trunc,
)
from .text_signals import TextFinding, generator_from_software, scan_text_item
from .xmp import parse_xmp

PIL_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF", "avif": "AVIF"}
MAX_ERRORS = 8
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


class _Collector:
    def __init__(self) -> None:
        self.reasons: list[str] = []
        self.findings: list[dict[str, Any]] = []
        self.source_types: list[dict[str, str]] = []
        self.declared: list[str] = []
        self.errors: list[str] = []
        self.generators: list[str] = []
        self.extra: dict[str, Any] = {}

    def reason(self, code: str) -> None:
        if code not in self.reasons:
            self.reasons.append(code)

    def finding(
        self, reason: str, where: str, detail: dict[str, Any] | None = None, generator: str | None = None
    ) -> None:
        self.reason(reason)
        if generator and generator not in self.generators:
            self.generators.append(generator)
        # One piece of evidence per reason is enough to explain a verdict; more only bloats.
        if any(f["reason"] == reason for f in self.findings) or len(self.findings) >= MAX_LIST:
            return
        entry: dict[str, Any] = {"reason": reason, "where": trunc(where, 80)}
        for key, value in (detail or {}).items():
            entry[key] = trunc(value) if isinstance(value, str) else value
        self.findings.append(entry)

    def declare(self, value: str, where: str, form: str) -> None:
        term = source_type_term(value)
        if term is None:
            return
        if term not in self.declared and len(self.declared) < MAX_SOURCE_TYPES:
            self.declared.append(term)
        if len(self.source_types) < MAX_LIST and not any(
            s["term"] == term and s["where"] == where for s in self.source_types
        ):
            self.source_types.append({"term": term, "where": trunc(where, 80), "form": form})
        if is_ai_source_type(term):
            reason = "c2pa_trained_algorithmic_media" if where.startswith("c2pa") else "iptc_digital_source_type"
            self.finding(reason, where, {"term": term, "form": form})

    def error(self, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            # Object reprs carry memory addresses: noise that makes equal files differ.
            self.errors.append(trunc(_ADDRESS.sub("", message)))

    def text(self, item: TextItem) -> None:
        finding: TextFinding
        for finding in scan_text_item(item):
            self.finding(finding.reason, finding.where, finding.detail, finding.generator)


def _pillow_probe(data: bytes, fmt: str, bag: MetadataBag, col: _Collector) -> None:
    """Let Pillow parse the header too: a second reader for odd files, and its refusals are signals.

    Image.open only reads headers; nothing here loads pixels, and no Pillow global
    (MAX_IMAGE_PIXELS, warning filters) is touched.
    """
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data), formats=[PIL_FORMATS[fmt]]) as im:
            info = dict(im.info)
    except Image.DecompressionBombError as exc:
        col.extra["decompression_bomb_header"] = True
        col.error(f"pillow: DecompressionBombError: {exc}")
        return
    except ValueError as exc:
        message = str(exc)
        if fmt == "png" and ("MAX_TEXT_CHUNK" in message or "MAX_TEXT_MEMORY" in message):
            col.reason("png_text_too_large")
            col.extra["pillow_refused_text"] = trunc(message, 120)
        else:
            col.error(f"pillow: ValueError: {message}")
        return
    except Exception as exc:  # UnidentifiedImageError, truncated headers, a warning raised as error, ...
        col.error(f"pillow: {type(exc).__name__}: {exc}")
        return
    where = f"pillow:{fmt}"
    for key, value in info.items():
        if not isinstance(key, str):
            continue
        if key == "xmp" and isinstance(value, (bytes, bytearray)):
            bag.add_xmp(where, bytes(value))
        elif key == "exif" and isinstance(value, (bytes, bytearray)):
            bag.add_exif(where, bytes(value))
        elif key == "comment" and isinstance(value, (bytes, bytearray)):
            bag.add_text(TextItem(where, "comment", bytes(value).decode("utf-8", "replace")))
        # PNG text is left to our chunk walker, which sees every chunk (also past IDAT).
        elif isinstance(value, str) and fmt != "png" and key != "XML:com.adobe.xmp":
            bag.add_text(TextItem(where, key, value))


def _read_exif(where: str, blob: bytes, bag: MetadataBag, col: _Collector) -> None:
    try:
        content = parse_exif(blob)
    except Exception as exc:
        col.error(f"exif ({where}): {type(exc).__name__}: {exc}")
        return
    for tag in content.texts:
        bag.add_text(TextItem(f"{where}:exif", tag.name, tag.text, tag.truncated))
    if content.xmp:
        bag.add_xmp(f"{where}:exif", content.xmp)


def _read_xmp(where: str, packet: bytes, col: _Collector) -> None:
    found = parse_xmp(packet)
    if found.error:
        # A refused or broken packet contributes nothing, not even its literal text.
        col.error(f"xmp ({where}) {found.error}")
        col.extra.setdefault("xmp_errors", 0)
        col.extra["xmp_errors"] += 1
        return
    for value, form in found.source_types:
        col.declare(value, f"xmp:{where}", form)
    for tool in found.creator_tools:
        generator = generator_from_software(tool)
        if generator is not None:
            reason = "novelai_software" if generator == "NovelAI" else "generator_software"
            col.finding(reason, f"xmp:{where}:CreatorTool", {"software": tool}, generator)
    if found.dig_image_guids:
        # A generic IPTC field (any DAM can write it): recorded as a Midjourney hint only.
        col.extra["xmp_dig_image_guid"] = trunc(found.dig_image_guids[0], 80)


def _read_c2pa(data: bytes, fmt: str | None, col: _Collector) -> dict[str, Any] | None:
    scan = scan_c2pa(data, fmt)
    if scan.unavailable is not None:
        col.extra["c2pa"] = "c2pa unavailable"
        col.error(f"c2pa unavailable: {scan.unavailable}")
        return None
    for declaration in scan.declarations:
        col.declare(declaration.term, f"c2pa:{declaration.manifest}", declaration.action or "assertion")
        agent = declaration.software_agent
        if is_ai_source_type(declaration.term) and agent and agent not in col.generators:
            col.generators.append(agent)
    return bound_json(scan.summary, C2PA_BUDGET) if scan.summary is not None else None


def _scan(data: bytes, c2pa_enabled: bool, col: _Collector) -> dict[str, Any] | None:
    fmt = sniff_format(data)
    col.extra["format"] = fmt or "unknown"
    col.extra["bytes"] = len(data)
    bag = MetadataBag()
    if fmt in WALKERS:
        try:
            WALKERS[fmt](data, bag)
        except Exception as exc:
            col.error(f"walk {fmt}: {type(exc).__name__}: {exc}")
    if fmt is not None:
        _pillow_probe(data, fmt, bag, col)
    for where, blob in list(bag.exif):
        _read_exif(where, blob, bag, col)
    for item in bag.texts:
        try:
            col.text(item)
        except Exception as exc:
            col.error(f"text {item.where}:{item.key}: {type(exc).__name__}: {exc}")
    for where, packet in bag.xmp:
        try:
            _read_xmp(where, packet, col)
        except Exception as exc:
            col.error(f"xmp ({where}): {type(exc).__name__}: {exc}")
    if bag.oversize_text:
        col.reason("png_text_too_large")
        col.extra["png_text_too_large"] = bag.oversize_text[:4]
    for note in bag.notes:
        col.error(note)
    if not c2pa_enabled:
        col.extra["c2pa"] = "disabled"
        return None
    try:
        return _read_c2pa(data, fmt, col)
    except Exception as exc:
        col.error(f"c2pa: {type(exc).__name__}: {exc}")
        return {"present": False, "validation_state": None, "error": trunc(f"{type(exc).__name__}: {exc}")}


def scan_provenance(data: bytes, *, c2pa_enabled: bool = True) -> ProvenanceResult:
    """Scan the ORIGINAL uploaded bytes for declared provenance; never raises."""
    col = _Collector()
    c2pa_summary: dict[str, Any] | None = None
    try:
        if isinstance(data, (bytearray, memoryview)):
            data = bytes(data)
        if not isinstance(data, bytes):
            col.error(f"input is {type(data).__name__}, not bytes")
            data = b""
        c2pa_summary = _scan(data, c2pa_enabled, col)
    except Exception as exc:  # last line of defence: a bug here must not fail an upload
        col.error(f"scan: {type(exc).__name__}: {exc}")
    verdict = VERDICT_AI if any(r in AI_REASONS for r in col.reasons) else VERDICT_UNKNOWN
    signals: dict[str, Any] = dict(col.extra)
    if col.generators:
        signals["generator"] = col.generators[0]
    if col.findings:
        signals["findings"] = col.findings
    if col.source_types:
        signals["source_types"] = col.source_types
    if col.errors:
        signals["errors"] = col.errors
    return ProvenanceResult(
        verdict=verdict,
        reasons=list(col.reasons),
        signals=bound_json(signals, SIGNALS_BUDGET),
        declared_source_types=list(col.declared),
        c2pa=c2pa_summary,
    )
