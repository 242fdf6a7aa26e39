"""Result type, vocabularies and the size bounds applied to everything we report.

Everything in a ProvenanceResult may end up in a DynamoDB item and in logs, and most of it
is copied from attacker-controlled bytes, so every string is truncated and every container
is capped before it leaves this package.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

VERDICT_AI = "ai"
VERDICT_UNKNOWN = "unknown"

IPTC_EXT_NS = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
IPTC_DIGITAL_SOURCE_TYPE_URI = "http://cv.iptc.org/newscodes/digitalsourcetype/"

# Generative-AI origins per the IPTC NewsCodes vocabulary; compositeSynthetic is included
# because the community rule is "no AI in the upload", and that term declares synthetic parts.
AI_SOURCE_TYPES: frozenset[str] = frozenset(
    {"trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia", "compositeSynthetic"}
)
# Every other current (and retired) term. algorithmicMedia is procedural/fractal work with no
# training data: human-made generative art must never be refused because of it.
NON_AI_SOURCE_TYPES: frozenset[str] = frozenset(
    {
        "algorithmicMedia",
        "algorithmicallyEnhanced",
        "dataDrivenMedia",
        "digitalArt",
        "digitalCreation",
        "digitalCapture",
        "computationalCapture",
        "humanEdits",
        "minorHumanEdits",
        "composite",
        "compositeCapture",
        "screenCapture",
        "virtualRecording",
        "negativeFilm",
        "positiveFilm",
        "print",
        "softwareImage",
    }
)

# Reason codes that declare an AI origin: any one of them makes the verdict "ai".
AI_REASONS: frozenset[str] = frozenset(
    {
        "a1111_parameters",
        "comfyui_workflow",
        "novelai_software",
        "novelai_comment",
        "invokeai_metadata",
        "fooocus_scheme",
        "swarmui_params",
        "midjourney_description",
        "generator_software",
        "iptc_digital_source_type",
        "c2pa_trained_algorithmic_media",
    }
)
# Reason codes that are worth reporting but decide nothing on their own.
INFO_REASONS: frozenset[str] = frozenset({"png_text_too_large"})

MAX_STR = 200
MAX_LIST = 16
MAX_DICT_KEYS = 24
MAX_DEPTH = 4
SIGNALS_BUDGET = 3800  # bytes of json.dumps(...) (ASCII-escaped, the worst case)
C2PA_BUDGET = 1200
MAX_SOURCE_TYPES = 16
MAX_TERM_LEN = 100


def trunc(value: object, limit: int = MAX_STR) -> str:
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)] + "…"


def source_type_term(value: object) -> str | None:
    """The IPTC term of a digital source type URI (text after the last '/'), or the bare term.

    Exact token comparison elsewhere keeps algorithmicMedia and trainedAlgorithmicMedia apart;
    never match these by substring.
    """
    if not isinstance(value, str):
        return None
    term = value.strip().rstrip("/").rsplit("/", 1)[-1].strip()
    if not term:
        return None
    return trunc(term, MAX_TERM_LEN)


def is_ai_source_type(term: str | None) -> bool:
    return term in AI_SOURCE_TYPES


def _sanitize(value: Any, str_limit: int, list_limit: int, depth: int = 0) -> Any:
    """A JSON-safe copy with strings, lists, dicts and nesting all capped."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if -(2**53) < value < 2**53 else trunc(value, str_limit)
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, str):
        return trunc(value, str_limit)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return trunc(bytes(value[: str_limit * 4]).decode("utf-8", "replace"), str_limit)
    if depth >= MAX_DEPTH:
        return trunc(type(value).__name__, str_limit)
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for i, (k, v) in enumerate(value.items()):
            if i >= MAX_DICT_KEYS:
                out["_truncated"] = True
                break
            out[trunc(k, 64)] = _sanitize(v, str_limit, list_limit, depth + 1)
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
        out_list = [_sanitize(v, str_limit, list_limit, depth + 1) for v in items[:list_limit]]
        if len(items) > list_limit:
            out_list.append(f"+{len(items) - list_limit} more")
        return out_list
    return trunc(repr(value), str_limit)


def json_size(value: Any) -> int:
    return len(json.dumps(value))


def bound_json(value: dict[str, Any], budget: int) -> dict[str, Any]:
    """Shrink a dict until json.dumps of it fits the budget, losing detail before keys."""
    for str_limit, list_limit in ((MAX_STR, MAX_LIST), (120, 8), (60, 4), (32, 2), (16, 1)):
        candidate: dict[str, Any] = dict(_sanitize(value, str_limit, list_limit))
        if json_size(candidate) <= budget:
            return candidate
    # Still too big (pathological key counts): keep only scalar top-level entries.
    minimal = {
        trunc(k, 32): _sanitize(v, 32, 1, MAX_DEPTH - 1)
        for k, v in list(value.items())[:MAX_DICT_KEYS]
        if isinstance(v, (str, int, float, bool)) or v is None
    }
    minimal["_truncated"] = True
    if json_size(minimal) <= budget:
        return minimal
    return {"_truncated": True}


@dataclass(frozen=True)
class ProvenanceResult:
    """What the uploaded file declares about its own origin.

    verdict is "ai" when the file declares an AI origin (decisive) and "unknown" otherwise:
    missing metadata is trivially stripped, so it is never evidence of human work.
    """

    verdict: str
    reasons: list[str]
    signals: dict[str, Any]
    declared_source_types: list[str]
    c2pa: dict[str, Any] | None

    @property
    def is_ai(self) -> bool:
        return self.verdict == VERDICT_AI

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
