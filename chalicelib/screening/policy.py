"""The policy: turns the cascade's signals into a verdict for one image. Pure.

Order and meaning (docs/screening.md):
1. provenance declares AI                 -> reject  (decisive, self-declared by the file)
2. matches a known AI image               -> reject
   near-copy of another artist's work     -> review  (possible_repost, with the earlier post)
3. NSFW >= threshold                      -> label `mature` (never a refusal)
4. vendor AI score >= reject threshold    -> reject, or review when the artist declared
                                             Glaze/Nightshade protection (detectors are weaker there)
   review <= score < reject               -> review
   vendor skipped (no key)                -> publish, and the record says the step was skipped;
                                             a deployed stage (vendor required) holds for review
5. otherwise                              -> publish
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.screening.settings import ScreeningSettings

PASS = "published"
REVIEW = "held_for_review"
REJECT = "rejected"
DEFER = "deferred"
_RANK = {PASS: 0, REVIEW: 1, REJECT: 2}


@dataclass
class Signals:
    provenance_ai: bool = False
    known_ai_match: dict | None = None
    repost_match: dict | None = None
    nsfw_score: float | None = None
    vendor_score: float | None = None
    vendor_skipped: str | None = None  # why the vendor was not asked
    protected: bool = False


@dataclass
class Verdict:
    decision: str
    reasons: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


def vendor_needed(signals: Signals) -> bool:
    """Only when the cheap, certain steps were inconclusive."""
    return not (signals.provenance_ai or signals.known_ai_match or signals.repost_match)


def decide(signals: Signals, s: ScreeningSettings) -> Verdict:
    labels = ["mature"] if signals.nsfw_score is not None and signals.nsfw_score >= s.nsfw_label_threshold else []
    if signals.provenance_ai:
        return Verdict(REJECT, ["ai_generated"], labels)
    if signals.known_ai_match:
        return Verdict(REJECT, ["known_ai_image"], labels, {"match": signals.known_ai_match})
    if signals.repost_match:
        return Verdict(REVIEW, ["possible_repost"], labels, {"match": signals.repost_match})
    score = signals.vendor_score
    if score is not None:
        if score >= s.ai_reject_threshold:
            if signals.protected:
                return Verdict(REVIEW, ["ai_suspected_protected_art"], labels)
            return Verdict(REJECT, ["ai_detected"], labels)
        if score >= s.ai_review_threshold:
            return Verdict(REVIEW, ["ai_uncertain"], labels)
    elif signals.vendor_skipped == "no_api_key" and s.vendor_required:
        # A deployed stage never publishes unseen what the vendor should have seen.
        return Verdict(REVIEW, ["vendor_not_configured"], labels)
    return Verdict(PASS, [], labels)


def combine(verdicts: list[Verdict]) -> str:
    """A post: rejected if any image is, else held if any image is, else published."""
    return max((v.decision for v in verdicts), key=lambda d: _RANK[d], default=PASS)
