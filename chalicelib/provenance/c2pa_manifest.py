"""C2PA manifest reading with c2pa-python 0.38, never touching the network.

A manifest can point at a remote URL chosen by the uploader; a reader with default settings
would fetch it from inside the upload handler. Every reader here gets a per-reader Context
whose settings disable remote fetching, and if that Context cannot be built no reader is
created at all: falling back to the default context would reopen the hole.
"""

from __future__ import annotations

import io
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from .result import source_type_term, trunc

NO_NETWORK_SETTINGS = '{"verify":{"remote_manifest_fetch":false,"ocsp_fetch":false}}'
MIME_BY_FORMAT = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "avif": "image/avif",
    "gif": "image/gif",
}
MAX_MANIFESTS = 64
MAX_ASSERTIONS = 256
MAX_ACTIONS = 256
MAX_WALK_NODES = 2000
MAX_CODES = 5

# Built once per process (a Lambda cold start) and shared: creating it costs a native call
# and the settings never change. Keyed on the module object so a re-import gets a fresh one.
_context_lock = threading.Lock()
_context_cache: tuple[object, Any] | None = None


class C2paUnavailable(Exception):
    pass


def _import_c2pa() -> Any:
    try:
        import c2pa
    except Exception as exc:  # ImportError, or a wheel whose native library fails to load
        raise C2paUnavailable(f"{type(exc).__name__}: {exc}") from exc
    return c2pa


def no_fetch_context(c2pa: Any) -> Any:
    global _context_cache
    with _context_lock:
        if _context_cache is None or _context_cache[0] is not c2pa:
            settings = c2pa.Settings.from_json(NO_NETWORK_SETTINGS)
            _context_cache = (c2pa, c2pa.Context(settings))
        return _context_cache[1]


@dataclass
class C2paDeclaration:
    manifest: str
    action: str | None
    term: str
    software_agent: str | None


@dataclass
class C2paScan:
    summary: dict[str, Any] | None
    declarations: list[C2paDeclaration] = field(default_factory=list)
    unavailable: str | None = None


def _agent_name(agent: Any) -> str | None:
    if isinstance(agent, str):
        return trunc(agent, 80)
    if isinstance(agent, dict) and isinstance(agent.get("name"), str):
        return trunc(agent["name"], 80)
    return None


def _walk_source_types(node: Any, found: list[str], budget: list[int]) -> None:
    """Digital source types anywhere in an assertion (e.g. stds.iptc metadata assertions)."""
    if budget[0] <= 0:
        return
    budget[0] -= 1
    if isinstance(node, dict):
        for key, value in list(node.items())[:MAX_ASSERTIONS]:
            if isinstance(key, str) and key.lower().endswith("digitalsourcetype") and isinstance(value, str):
                found.append(value)
            elif isinstance(value, (dict, list)):
                _walk_source_types(value, found, budget)
    elif isinstance(node, list):
        for value in node[:MAX_ASSERTIONS]:
            _walk_source_types(value, found, budget)


def _declarations(store: dict[str, Any]) -> list[C2paDeclaration]:
    out: list[C2paDeclaration] = []
    manifests = store.get("manifests")
    if not isinstance(manifests, dict):
        return out
    # Every manifest in the store, not only the active one: an AI-made ingredient stays an
    # AI-made ingredient after a later edit is signed on top of it.
    for label, manifest in list(manifests.items())[:MAX_MANIFESTS]:
        if not isinstance(manifest, dict):
            continue
        assertions = manifest.get("assertions")
        if not isinstance(assertions, list):
            continue
        for assertion in assertions[:MAX_ASSERTIONS]:
            if not isinstance(assertion, dict):
                continue
            name = assertion.get("label")
            data = assertion.get("data")
            if isinstance(name, str) and name.startswith("c2pa.actions") and isinstance(data, dict):
                actions = data.get("actions")
                for action in (actions if isinstance(actions, list) else [])[:MAX_ACTIONS]:
                    if not isinstance(action, dict):
                        continue
                    term = source_type_term(action.get("digitalSourceType"))
                    if term:
                        out.append(
                            C2paDeclaration(
                                trunc(label, 120),
                                trunc(action.get("action"), 80) if action.get("action") else None,
                                term,
                                _agent_name(action.get("softwareAgent")),
                            )
                        )
            elif data is not None:
                values: list[str] = []
                _walk_source_types(data, values, [MAX_WALK_NODES])
                for value in values:
                    term = source_type_term(value)
                    if term:
                        out.append(C2paDeclaration(trunc(label, 120), trunc(name, 80) if name else None, term, None))
    return out


def _failure_codes(store: dict[str, Any]) -> list[str]:
    status = store.get("validation_status")
    codes: list[str] = []
    if isinstance(status, list):
        for entry in status:
            if isinstance(entry, dict) and isinstance(entry.get("code"), str):
                codes.append(trunc(entry["code"], 80))
            if len(codes) >= MAX_CODES:
                break
    return codes


def scan_c2pa(data: bytes, fmt: str | None) -> C2paScan:
    try:
        c2pa = _import_c2pa()
    except C2paUnavailable as exc:
        return C2paScan(None, unavailable=str(exc))
    mime = MIME_BY_FORMAT.get(fmt or "")
    if mime is None:
        return C2paScan(None)
    summary: dict[str, Any] = {"present": False, "validation_state": None, "error": None}
    try:
        context = no_fetch_context(c2pa)
    except Exception as exc:
        summary["error"] = trunc(f"context: {type(exc).__name__}: {exc}")
        return C2paScan(summary)
    try:
        reader = c2pa.Reader.try_create(mime, io.BytesIO(data), context=context)
    except Exception as exc:  # C2paError subclasses and anything the binding lets through
        message = str(exc)
        remote = message.startswith("Remote") or isinstance(exc, getattr(c2pa.C2paError, "RemoteManifest", ()))
        summary["present"] = bool(remote)
        summary["remote"] = bool(remote)
        summary["error"] = trunc(f"{type(exc).__name__.lstrip('_')}: {message}")
        return C2paScan(summary)
    if reader is None:
        return C2paScan(summary)
    summary["present"] = True
    try:
        with reader:
            store = json.loads(reader.json())
    except Exception as exc:
        summary["error"] = trunc(f"read: {type(exc).__name__}: {exc}")
        return C2paScan(summary)
    if not isinstance(store, dict):
        summary["error"] = "manifest store is not an object"
        return C2paScan(summary)
    manifests = store.get("manifests")
    summary["validation_state"] = (
        trunc(store["validation_state"], 40) if isinstance(store.get("validation_state"), str) else None
    )
    summary["manifests"] = len(manifests) if isinstance(manifests, dict) else 0
    if isinstance(store.get("active_manifest"), str):
        summary["active_manifest"] = trunc(store["active_manifest"], 120)
    codes = _failure_codes(store)
    if codes:
        summary["validation_codes"] = codes
    declarations = _declarations(store)
    if declarations:
        summary["digital_source_types"] = sorted({d.term for d in declarations})[:8]
    return C2paScan(summary, declarations)
