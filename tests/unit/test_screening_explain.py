"""Screening records in plain words (chalicelib/screening/explain.py)."""
from chalicelib.screening.explain import explain_image, reason_words

THRESHOLDS = {"repost_max_distance": 7, "known_ai_max_distance": 7, "nsfw_label_threshold": 0.8,
              "ai_review_threshold": 0.5, "ai_reject_threshold": 0.95}


def test_a_declared_generator_is_named_with_where_it_was_found():
    record = {"decision": "rejected", "reasons": ["ai_generated"], "thresholds": THRESHOLDS, "signals": {
        "provenance": {"generator": "ComfyUI", "findings": [{"reason": "comfyui_workflow", "where": "PNG tEXt"}]}}}
    words = explain_image(record)
    assert words[0] == "Decision: rejected because the file's metadata declares it was made by an AI generator."
    assert words[1] == "Metadata: comfyui workflow found in PNG tEXt (generator: ComfyUI)."


def test_scores_are_placed_against_their_thresholds():
    record = {"decision": "held_for_review", "reasons": ["ai_uncertain"], "thresholds": THRESHOLDS, "signals": {
        "provenance": {}, "hashes": {"reliable": True}, "nsfw_score": 0.91, "protected": True,
        "vendor": {"ai_score": 0.72}}}
    words = explain_image(record)
    assert "Near-duplicates: no match on the known-AI list or in other artists' published work." in words
    assert "Nudity score 0.91 (labelled mature; the mature label starts at 0.80; never a refusal)." in words
    assert ("AI-detection vendor score 0.72: between the review and rejection thresholds (0.50 review, 0.95 reject)."
            in words)
    assert words[-1] == "The artist marked this image as protected with Glaze/Nightshade."


def test_matches_and_unreliable_hashes_are_explained():
    repost = {"signals": {"hashes": {"reliable": True}, "repost_match": {
        "post_id": "P1", "image_index": 0, "distance": 3, "mirrored": True}, "vendor_skipped": "no_api_key"}}
    words = explain_image(repost, THRESHOLDS)
    assert ("Near-duplicate: looks like mirrored image 1 of post P1 by another artist, 3 of 64 bits apart "
            "(flagged when at most 7).") in words
    assert words[-1] == "The AI-detection vendor was not asked: no vendor key is configured on this stage."
    assert not any("C2PA" in w for w in explain_image({"signals": {"c2pa": {"present": False}}}))
    assert explain_image({"signals": {"c2pa": {"present": True, "validation_state": "Valid"}}}) == [
        "A C2PA content credential is present (validation: Valid)."]
    flat = explain_image({"signals": {"hashes": {"reliable": False}}})
    assert flat == ["Near-duplicate check skipped: the picture has too little detail for a reliable hash."]
    assert explain_image({}) == [] and reason_words("odd_code") == "odd code"
