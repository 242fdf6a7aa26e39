"""Recognisers for the text that image generators write into their output files.

Each recogniser looks for the generator's own structure (A1111's settings line, a ComfyUI
node graph, ...), not for a key name alone, so a human tool that happens to use a key such
as "prompt" or "Comment" is not mistaken for a generator. The exception is a text chunk too
large to read whole, where only a prefix can be checked.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from .containers import PILLOW_TEXT_LIMIT, TextItem

MAX_JSON_CHARS = 8 * 1024 * 1024
EXCERPT = 120

_A1111_STEPS = re.compile(r"Steps:\s*\d+")
_A1111_OTHERS = (
    re.compile(r"Sampler:\s*\S"),
    re.compile(r"CFG scale:\s*\d"),
    re.compile(r"Seed:\s*-?\d"),
)
_MJ_JOB_ID = re.compile(r"Job ID:\s*[0-9a-fA-F][0-9a-fA-F-]{7,}")
_DREAM = re.compile(r"\s-s\s*\d+")
_DREAM_SEED = re.compile(r"\s-(?:S|C|A)\s*\S")

# Software names that only generators write. Anchored at the start so that a description
# merely mentioning a generator does not count; painting software (Photoshop, Krita,
# Procreate, Clip Studio, ...) is deliberately absent: their users are the community.
_GENERATORS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("NovelAI", r"^\s*NovelAI\b"),
        ("Midjourney", r"^\s*(?:Midjourney|Niji\s*journey)\b"),
        ("DALL-E", r"^\s*(?:OpenAI\s+)?DALL[\s·.\-]?E\b"),
        ("Stable Diffusion", r"^\s*Stable\s*Diffusion\b"),
        ("AUTOMATIC1111", r"^\s*(?:AUTOMATIC1111|stable-diffusion-webui)\b"),
        ("SD.Next", r"^\s*SD\.Next\b"),
        ("ComfyUI", r"^\s*ComfyUI\b"),
        ("InvokeAI", r"^\s*InvokeAI\b"),
        ("Fooocus", r"^\s*Fooocus\b"),
        ("SwarmUI", r"^\s*(?:Stable)?SwarmUI\b"),
        ("Adobe Firefly", r"^\s*Adobe\s+Firefly\b"),
        ("DreamStudio", r"^\s*DreamStudio\b"),
        ("Leonardo.Ai", r"^\s*Leonardo\.?Ai\b"),
        ("Ideogram", r"^\s*Ideogram\b"),
        ("Bing Image Creator", r"^\s*Bing\s+Image\s+Creator\b"),
        ("NightCafe", r"^\s*NightCafe\b"),
        ("Craiyon", r"^\s*Craiyon\b"),
    )
)
SOFTWARE_KEYS = frozenset({"software", "source", "creatortool"})
COMFY_KEYS = frozenset({"prompt", "workflow"})
INVOKE_JSON_KEYS = frozenset({"invokeai_metadata", "invokeai_graph", "sd-metadata"})


@dataclass
class TextFinding:
    reason: str
    where: str
    detail: dict[str, Any] = field(default_factory=dict)
    generator: str | None = None


def generator_from_software(value: str) -> str | None:
    for name, pattern in _GENERATORS:
        if pattern.search(value[:200]):
            return name
    return None


def looks_like_a1111(text: str) -> bool:
    if not _A1111_STEPS.search(text):
        return False
    return sum(1 for pattern in _A1111_OTHERS if pattern.search(text)) >= 2


def _load_json(text: str) -> Any:
    stripped = text.strip()
    if not stripped.startswith(("{", "[")) or len(stripped) > MAX_JSON_CHARS:
        return None
    try:
        return json.loads(stripped)
    except (ValueError, RecursionError):
        return None


def is_comfy_graph(obj: Any) -> bool:
    if not isinstance(obj, dict):
        return False
    if isinstance(obj.get("nodes"), list) and "links" in obj:
        return True  # UI workflow
    for i, node in enumerate(obj.values()):
        if i >= 1000:
            break
        if isinstance(node, dict) and isinstance(node.get("class_type"), str):
            return True  # API prompt
    return False


def _comfy_prefix(text: str) -> bool:
    """For graphs too large to read whole: the opening of a JSON object with graph markers."""
    head = text.lstrip()
    return head.startswith("{") and ('"class_type"' in head or '"nodes"' in head)


def _excerpt(text: str) -> str:
    return text[:EXCERPT]


def scan_text_item(item: TextItem) -> list[TextFinding]:
    key = item.key.strip()
    lowered = key.lower()
    text = item.text
    where = f"{item.where}:{key}"
    found: list[TextFinding] = []
    parsed: Any = _load_json(text)

    if lowered in COMFY_KEYS and (
        is_comfy_graph(parsed) or (parsed is None and item.truncated and _comfy_prefix(text))
    ):
        found.append(TextFinding("comfyui_workflow", where, {"key": key, "truncated": item.truncated}, "ComfyUI"))
    # ComfyUI's WebP/JPEG output: "prompt:{...}" / "workflow:{...}" in EXIF Model/Make.
    for prefix in ("prompt:", "workflow:"):
        if text.startswith(prefix):
            graph_text = text[len(prefix) :]
            graph = _load_json(graph_text)
            if is_comfy_graph(graph) or (graph is None and item.truncated and _comfy_prefix(graph_text)):
                found.append(TextFinding("comfyui_workflow", where, {"key": prefix.rstrip(":")}, "ComfyUI"))

    if looks_like_a1111(text):
        found.append(TextFinding("a1111_parameters", where, {"excerpt": _excerpt(text)}, "AUTOMATIC1111-compatible"))
    elif lowered == "parameters" and item.truncated and item.size_hint > PILLOW_TEXT_LIMIT and parsed is None:
        # Too large to read to its settings line; no painting tool writes this key at that size.
        found.append(TextFinding("a1111_parameters", where, {"truncated": True}, "AUTOMATIC1111-compatible"))

    if isinstance(parsed, dict):
        if "sui_image_params" in parsed:
            found.append(TextFinding("swarmui_params", where, {"key": key}, "SwarmUI"))
        version = parsed.get("version", parsed.get("Version"))
        if lowered == "parameters" and isinstance(version, str) and version.lower().startswith("fooocus"):
            found.append(TextFinding("fooocus_scheme", where, {"version": version}, "Fooocus"))
        if (
            lowered == "comment"
            and "prompt" in parsed
            and "steps" in parsed
            and ({"sampler", "seed", "scale", "uc", "n_samples"} & parsed.keys())
        ):
            found.append(
                TextFinding("novelai_comment", where, {"excerpt": _excerpt(str(parsed.get("prompt")))}, "NovelAI")
            )
    elif parsed is None and item.truncated and text.lstrip().startswith("{") and '"sui_image_params"' in text:
        found.append(TextFinding("swarmui_params", where, {"truncated": True}, "SwarmUI"))

    if lowered in INVOKE_JSON_KEYS and (
        isinstance(parsed, dict) or (parsed is None and item.truncated and text.lstrip().startswith("{"))
    ):
        found.append(TextFinding("invokeai_metadata", where, {"key": key}, "InvokeAI"))
    if lowered == "dream" and _DREAM.search(text) and _DREAM_SEED.search(text):
        found.append(TextFinding("invokeai_metadata", where, {"key": key, "excerpt": _excerpt(text)}, "InvokeAI"))

    if lowered == "fooocus_scheme" and text.strip():
        found.append(TextFinding("fooocus_scheme", where, {"scheme": text.strip()}, "Fooocus"))

    if lowered in ("description", "imagedescription") and _MJ_JOB_ID.search(text):
        match = _MJ_JOB_ID.search(text)
        found.append(
            TextFinding("midjourney_description", where, {"job": match.group(0) if match else ""}, "Midjourney")
        )

    if lowered in SOFTWARE_KEYS:
        generator = generator_from_software(text)
        if generator is not None:
            reason = "novelai_software" if generator == "NovelAI" else "generator_software"
            found.append(TextFinding(reason, where, {"software": text.strip()}, generator))
    return found
