"""Every branch of the policy (pure): provenance and known-AI refuse, reposts and uncertain
scores go to people, NSFW only labels, Glaze/Nightshade-protected art is routed to review
instead of refused, a skipped vendor publishes (and the record says it was skipped)."""
from __future__ import annotations

import pytest

from chalicelib.screening.policy import PASS, REJECT, REVIEW, Signals, Verdict, combine, decide, vendor_needed
from chalicelib.screening.settings import ScreeningSettings

S = ScreeningSettings(nsfw_label_threshold=0.8, ai_reject_threshold=0.9, ai_review_threshold=0.5)


@pytest.mark.parametrize("signals, decision, reasons", [
    (Signals(provenance_ai=True, vendor_score=0.0), REJECT, ["ai_generated"]),
    (Signals(known_ai_match={"entry_id": "x", "distance": 2}), REJECT, ["known_ai_image"]),
    (Signals(repost_match={"post_id": "p", "distance": 1}), REVIEW, ["possible_repost"]),
    (Signals(vendor_score=0.95), REJECT, ["ai_detected"]),
    (Signals(vendor_score=0.9), REJECT, ["ai_detected"]),
    (Signals(vendor_score=0.95, protected=True), REVIEW, ["ai_suspected_protected_art"]),
    (Signals(vendor_score=0.7), REVIEW, ["ai_uncertain"]),
    (Signals(vendor_score=0.7, protected=True), REVIEW, ["ai_uncertain"]),
    (Signals(vendor_score=0.49), PASS, []),
    (Signals(vendor_skipped="no_api_key"), PASS, []),
    (Signals(nsfw_score=0.99), PASS, []),
])
def test_policy_branches(signals, decision, reasons):
    verdict = decide(signals, S)
    assert (verdict.decision, verdict.reasons) == (decision, reasons)


def test_repost_verdict_carries_the_earlier_post():
    verdict = decide(Signals(repost_match={"post_id": "01EARLIER", "distance": 3}), S)
    assert verdict.details["match"]["post_id"] == "01EARLIER"


@pytest.mark.parametrize("score, labelled", [(0.79, False), (0.8, True), (0.99, True), (None, False)])
def test_nsfw_labels_and_never_refuses(score, labelled):
    verdict = decide(Signals(nsfw_score=score), S)
    assert verdict.decision == PASS and (verdict.labels == ["mature"]) is labelled


def test_vendor_is_asked_only_when_cheap_steps_are_inconclusive():
    assert vendor_needed(Signals())
    assert vendor_needed(Signals(nsfw_score=0.99))
    assert not vendor_needed(Signals(provenance_ai=True))
    assert not vendor_needed(Signals(repost_match={"post_id": "p"}))
    assert not vendor_needed(Signals(known_ai_match={"entry_id": "e"}))


def test_a_post_takes_its_worst_image():
    assert combine([Verdict(PASS), Verdict(PASS)]) == PASS
    assert combine([Verdict(PASS), Verdict(REVIEW)]) == REVIEW
    assert combine([Verdict(REVIEW), Verdict(REJECT), Verdict(PASS)]) == REJECT


def test_thresholds_recorded_without_the_key():
    record = ScreeningSettings(hive_api_key="secret").thresholds()
    assert "hive_api_key" not in record and record["ai_reject_threshold"] == 0.95
    assert record["repost_max_distance"] == 7
