"""Screening records in plain words, for the moderators' console (pure: dict in, sentences out).

An image's record (docs/screening.md) holds `signals`, `checks`, `thresholds` and `reasons`;
moderators should not have to read JSON to learn why an upload was held. Each sentence says
what was checked, what was found, and the threshold it was compared with.
"""
from __future__ import annotations

from typing import Any

REASONS = {
    "ai_generated": "the file's metadata declares it was made by an AI generator",
    "known_ai_image": "it matches a picture on the moderators' known-AI list",
    "possible_repost": "it looks like another artist's published work",
    "ai_detected": "the AI-detection vendor is confident it is AI-generated",
    "ai_uncertain": "the AI-detection vendor is unsure whether it is AI-generated",
    "ai_suspected_protected_art": "the vendor scores it as AI, but the artist marked it as Glaze/Nightshade-protected "
                                  "(detectors are weaker on protected art)",
    "mature_profile_image": "a profile image scored as mature (profiles are never blurred)",
    "file_too_large": "the file is larger than allowed",
    "upload_missing": "the uploaded file could not be found",
}

VENDOR_SKIPPED = {
    "no_api_key": "the AI-detection vendor was not asked: no vendor key is configured on this stage",
    "decided_by_earlier_step": "the AI-detection vendor was not asked: an earlier, certain step decided",
}


def reason_words(code: str) -> str:
    return REASONS.get(code, code.replace("_", " "))


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def explain_image(record: dict, thresholds: dict | None = None) -> list[str]:
    """Sentences about one image's record, in cascade order."""
    signals = record.get("signals") or {}
    t = {**(thresholds or {}), **(record.get("thresholds") or {})}
    out: list[str] = []
    decision = record.get("decision")
    reasons = [r for r in record.get("reasons") or [] if isinstance(r, str)]
    if decision:
        why = "; ".join(reason_words(r) for r in reasons)
        out.append(f"Decision: {str(decision).replace('_', ' ')}" + (f" because {why}." if why else "."))

    # 1. Provenance metadata
    provenance = signals.get("provenance") or {}
    findings = provenance.get("findings") or [] if isinstance(provenance, dict) else []
    declared = [d for d in signals.get("declared_source_types") or [] if isinstance(d, str)]
    if findings:
        for f in findings[:5]:
            if not isinstance(f, dict):
                continue
            gen = f.get("generator") or (provenance.get("generator") if isinstance(provenance, dict) else None)
            where = f.get("where") or "metadata"
            out.append(f"Metadata: {str(f.get('reason', 'finding')).replace('_', ' ')} found in {where}"
                       + (f" (generator: {gen})." if gen else "."))
    elif declared:
        out.append("Metadata declares the source type: " + ", ".join(declared) + ".")
    elif "provenance" in signals:
        out.append("Metadata: no AI generator declared (absence proves nothing: metadata is easily stripped).")
    c2pa = signals.get("c2pa")
    if isinstance(c2pa, dict) and c2pa.get("present"):
        state = c2pa.get("validation_state")
        out.append("A C2PA content credential is present" + (f" (validation: {state})." if state else "."))

    # 2. Near-duplicates
    hashes = signals.get("hashes") or {}
    if isinstance(hashes, dict) and hashes and hashes.get("reliable") is False:
        out.append("Near-duplicate check skipped: the picture has too little detail for a reliable hash.")
    known = signals.get("known_ai_match")
    if isinstance(known, dict):
        out.append(f"Known-AI list: matches entry {known.get('entry_id')} at {known.get('distance')} of 64 bits "
                   f"(match when at most {t.get('known_ai_max_distance', 7)}).")
    repost = signals.get("repost_match")
    if isinstance(repost, dict):
        mirrored = " mirrored" if repost.get("mirrored") else ""
        out.append(f"Near-duplicate: looks like{mirrored} image {int(repost.get('image_index') or 0) + 1} of post "
                   f"{repost.get('post_id')} by another artist, {repost.get('distance')} of 64 bits apart "
                   f"(flagged when at most {t.get('repost_max_distance', 7)}).")
    elif isinstance(hashes, dict) and hashes.get("reliable") and not known:
        out.append("Near-duplicates: no match on the known-AI list or in other artists' published work.")

    # 3. NSFW
    nsfw = _num(signals.get("nsfw_score"))
    if nsfw is not None:
        limit = _num(t.get("nsfw_label_threshold")) or 0.8
        verdict = "labelled mature" if nsfw >= limit else "not labelled"
        out.append(f"Nudity score {nsfw:.2f} ({verdict}; the mature label starts at {limit:.2f}; never a refusal).")

    # 4. Vendor
    vendor = signals.get("vendor")
    if isinstance(vendor, dict) and _num(vendor.get("ai_score")) is not None:
        score = float(vendor["ai_score"])
        review, reject = _num(t.get("ai_review_threshold")) or 0.5, _num(t.get("ai_reject_threshold")) or 0.95
        band = ("at or above the rejection threshold" if score >= reject
                else "between the review and rejection thresholds" if score >= review else "below the review threshold")
        out.append(f"AI-detection vendor score {score:.2f}: {band} ({review:.2f} review, {reject:.2f} reject).")
    elif signals.get("vendor_skipped") in VENDOR_SKIPPED:
        text = VENDOR_SKIPPED[signals["vendor_skipped"]]
        out.append(text[0].upper() + text[1:] + ".")
    if signals.get("protected"):
        out.append("The artist marked this image as protected with Glaze/Nightshade.")
    return out
