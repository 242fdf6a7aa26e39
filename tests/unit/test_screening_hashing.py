"""Perceptual hashes (numpy only) on generated artworks: a repost after resize, re-encode,
small crop or mirror stays near; unrelated work is far; the band index finds every hash
within 7 bits; low-detail pictures are marked unreliable (never used to flag anyone)."""
from __future__ import annotations

import random

import pytest
from PIL import Image

from chalicelib.screening import hashing as h
from tests.fixtures.art import artwork, cropped, encode, mirrored, resized


@pytest.fixture(scope="module")
def original():
    im = artwork(seed=7)
    return im, h.hash_bytes(encode(im, quality=92))


@pytest.mark.parametrize("transform, limit", [
    (lambda im: encode(im, quality=55), 4),                         # re-encoded
    (lambda im: encode(resized(im, 0.4), quality=80), 4),           # resized
    (lambda im: encode(resized(im, 0.7), "PNG"), 4),                # resized, other format
    (lambda im: encode(im, "WEBP", quality=60), 4),                 # re-encoded as WebP
    (lambda im: encode(cropped(im, 0.02), quality=85), 7),          # 2% crop each side
])
def test_reposted_copies_stay_within_the_default_threshold(original, transform, limit):
    im, base = original
    copy = h.hash_bytes(transform(im))
    assert h.distance(base.phash, copy.phash) <= limit


def test_mirror_hash_matches_a_mirrored_copy(original):
    im, base = original
    flipped = h.hash_bytes(encode(mirrored(im), quality=85))
    assert h.distance(base.phash, flipped.phash) > 16           # the plain hash does not see it
    assert h.distance(base.phash_mirror, flipped.phash) <= 4   # the stored mirror hash does


def test_unrelated_artworks_are_far_apart():
    hashes = [h.hash_bytes(encode(artwork(seed=s))) for s in range(100, 112)]
    distances = [h.distance(a.phash, b.phash) for i, a in enumerate(hashes) for b in hashes[i + 1:]]
    assert min(distances) > 12 and 24 <= sum(distances) / len(distances) <= 40


def test_band_probes_find_every_hash_within_seven_bits():
    rng = random.Random(3)
    for _ in range(300):
        stored = rng.getrandbits(64)
        query = stored
        for bit in rng.sample(range(64), rng.randint(0, 7)):
            query ^= 1 << bit
        stored_bands = set(enumerate(h.bands(stored)))
        assert stored_bands & set(h.probe_bands(query)), (h.to_hex(stored), h.to_hex(query))
    assert len(h.probe_bands(0)) == 68


def test_hex_round_trip_and_bands():
    value = 0x0123456789ABCDEF
    assert h.from_hex(h.to_hex(value)) == value
    assert h.bands(value) == [0x0123, 0x4567, 0x89AB, 0xCDEF]
    with pytest.raises(ValueError):
        h.from_hex("abc")


def test_low_detail_pictures_are_unreliable_and_art_is_reliable():
    flat = Image.new("RGB", (300, 200), (40, 80, 120))
    two_tone = Image.new("RGB", (300, 200), (255, 0, 0))
    two_tone.paste((0, 0, 255), (150, 0, 300, 200))
    assert not h.hash_image(flat).reliable
    assert not h.hash_image(two_tone).reliable
    assert h.hash_image(artwork(seed=1)).reliable


def test_transparent_areas_hash_as_white():
    rgba = artwork(seed=2).convert("RGBA")
    rgba.putalpha(255)
    assert h.distance(h.hash_image(rgba).phash, h.hash_image(artwork(seed=2)).phash) == 0


@pytest.mark.parametrize("name", ["invalid-exif.jpg", "truncated_exif_dpi.jpg", "broken_exif_dpi.jpg",
                                  "hopper_bad_exif.jpg", "exif_gps_typeerror.jpg"])
def test_broken_exif_costs_the_rotation_never_the_hash(name: str) -> None:
    """Issue 14: Pillow raises reading these files' EXIF (SyntaxError 'not a TIFF file',
    struct.error); hashing applied the orientation unguarded, so the upload handler failed on
    every delivery and the post stayed `processing` until the message reached the DLQ."""
    from tests.unit.test_images import corpus_bytes

    hashes = h.hash_bytes(corpus_bytes(name))
    assert hashes.phash == h.hash_bytes(corpus_bytes(name)).phash  # deterministic, no exception
