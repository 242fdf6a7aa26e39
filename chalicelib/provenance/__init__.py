"""Declared-provenance screening of uploaded images (metadata only, never pixels).

    from chalicelib.provenance import scan_provenance
    result = scan_provenance(original_bytes)
    if result.verdict == "ai": refuse the upload (a declared AI origin is decisive)

"unknown" means nothing decisive was declared; metadata is trivially stripped, so it is
never evidence that a human made the image.
"""

from .result import (
    AI_REASONS,
    AI_SOURCE_TYPES,
    INFO_REASONS,
    IPTC_DIGITAL_SOURCE_TYPE_URI,
    IPTC_EXT_NS,
    NON_AI_SOURCE_TYPES,
    VERDICT_AI,
    VERDICT_UNKNOWN,
    ProvenanceResult,
    is_ai_source_type,
    source_type_term,
)
from .scanner import scan_provenance

__all__ = [
    "AI_REASONS",
    "AI_SOURCE_TYPES",
    "INFO_REASONS",
    "IPTC_DIGITAL_SOURCE_TYPE_URI",
    "IPTC_EXT_NS",
    "NON_AI_SOURCE_TYPES",
    "VERDICT_AI",
    "VERDICT_UNKNOWN",
    "ProvenanceResult",
    "is_ai_source_type",
    "scan_provenance",
    "source_type_term",
]
