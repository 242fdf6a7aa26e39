"""XMP reading with defusedxml only: XML inside uploads is hostile input.

A packet with a DTD, entity declarations or external references is refused outright (XMP
never needs them) and treated as unparseable: nothing inside it counts as evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from .result import IPTC_EXT_NS

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XMP_NS = "http://ns.adobe.com/xap/1.0/"
DST_TAG = f"{{{IPTC_EXT_NS}}}DigitalSourceType"
GUID_TAG = f"{{{IPTC_EXT_NS}}}DigImageGUID"
CREATOR_TOOL_TAG = f"{{{XMP_NS}}}CreatorTool"
RDF_RESOURCE = f"{{{RDF_NS}}}resource"
RDF_LI = f"{{{RDF_NS}}}li"
MAX_VALUES = 32


@dataclass
class XmpFindings:
    source_types: list[tuple[str, str]] = field(default_factory=list)  # (value, form)
    creator_tools: list[str] = field(default_factory=list)
    dig_image_guids: list[str] = field(default_factory=list)
    error: str | None = None  # "refused: <why>" or "unparseable: <why>"


def _trim_packet(packet: bytes) -> bytes:
    """Cut wrapper padding/garbage around the XML so a valid packet in a sloppy file parses."""
    if packet[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return packet  # UTF-16 packet: leave it to the parser
    # A prolog (XML declaration, DOCTYPE) is kept so that defusedxml sees, and refuses, a DTD.
    markers = (b"<?xml", b"<!DOCTYPE", b"<?xpacket", b"<x:xmpmeta", b"<rdf:RDF")
    starts = [i for i in (packet.find(marker) for marker in markers) if i >= 0]
    if starts:
        packet = packet[min(starts) :]
    elif b"<" in packet[:64]:
        packet = packet[packet.index(b"<") :]
    end = packet.rfind(b"<?xpacket end")
    if end >= 0:
        close = packet.find(b"?>", end)
        if close >= 0:
            packet = packet[: close + 2]
    return packet.strip(b"\x00 \t\r\n")


def _element_value(element: object) -> str | None:
    text = (getattr(element, "text", None) or "").strip()
    if text:
        return text
    resource = element.get(RDF_RESOURCE)  # type: ignore[attr-defined]
    if resource:
        return str(resource)
    for li in element.iter(RDF_LI):  # type: ignore[attr-defined]
        li_text = (li.text or "").strip()
        if li_text:
            return li_text
    return None


def parse_xmp(packet: bytes) -> XmpFindings:
    found = XmpFindings()
    try:
        root = fromstring(_trim_packet(packet), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        found.error = f"refused: {type(exc).__name__}"
        return found
    except Exception as exc:  # malformed XML of any kind is just unreadable, never fatal
        found.error = f"unparseable: {type(exc).__name__}: {exc}"
        return found

    def take(bucket: list[Any], value: Any) -> None:
        if len(bucket) < MAX_VALUES:
            bucket.append(value)

    for element in root.iter():
        tag = element.tag
        if tag == DST_TAG:
            value = _element_value(element)
            if value:
                take(found.source_types, (value, "element"))
        elif tag == CREATOR_TOOL_TAG:
            value = _element_value(element)
            if value:
                take(found.creator_tools, value)
        elif tag == GUID_TAG:
            value = _element_value(element)
            if value:
                take(found.dig_image_guids, value)
        attrib = element.attrib
        if DST_TAG in attrib:
            take(found.source_types, (attrib[DST_TAG], "attribute"))
        if CREATOR_TOOL_TAG in attrib:
            take(found.creator_tools, attrib[CREATOR_TOOL_TAG])
        if GUID_TAG in attrib:
            take(found.dig_image_guids, attrib[GUID_TAG])
    return found
