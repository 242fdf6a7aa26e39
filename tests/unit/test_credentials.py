"""Content Credentials on derivatives (chalicelib/images/credentials.py), with c2pa-python
itself reading back what was signed."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from chalicelib.images import make_derivatives
from chalicelib.images.credentials import (
    CREATIVE_WORK_LABEL, TRAINING_MINING_LABEL, TRAINING_MINING_USES, ContentCredentials, CredentialsUnavailable,
    new_test_chain, read_manifest,
)
from tests.fixtures.photos import jpeg_with_gps


@pytest.fixture(scope="module")
def credentials() -> ContentCredentials:
    chain = new_test_chain()
    return ContentCredentials(lambda: chain, public_base_url="https://easel.example")


def test_a_signed_derivative_says_not_for_training_names_the_author_and_keeps_its_pixels(credentials):
    derivative = make_derivatives(jpeg_with_gps(640, 400), creator="ada", widths=(320,))[0]
    signed = credentials.sign(derivative.data, "image/webp", title="0-320.webp", author_handle="ada")
    assert signed != derivative.data and len(signed) > len(derivative.data)
    with Image.open(io.BytesIO(signed)) as a, Image.open(io.BytesIO(derivative.data)) as b:
        assert a.size == b.size and a.tobytes() == b.tobytes()  # the image data was not re-encoded
    manifest = read_manifest(signed, "image/webp")
    assert manifest is not None
    assertions = {a["label"]: a["data"] for a in manifest["assertions"]}
    entries = assertions[TRAINING_MINING_LABEL]["entries"]
    assert {k: v["use"] for k, v in entries.items()} == {use: "notAllowed" for use in TRAINING_MINING_USES}
    work = assertions[CREATIVE_WORK_LABEL]
    assert work["author"] == [{"@type": "Person", "name": "ada", "url": "https://easel.example/v1/users/ada"}]
    assert work["publisher"]["name"] == "Easel"
    assert manifest["signature_info"]["alg"].lower() == "es256"
    # The only complaint a reader has is that the local test root is not on a trust list.
    assert {s["code"] for s in manifest["validation_status"]} <= {"signingCredential.untrusted"}


def test_an_unsigned_file_has_no_manifest():
    buf = io.BytesIO()
    Image.new("RGB", (16, 16)).save(buf, "WEBP")
    assert read_manifest(buf.getvalue(), "image/webp") is None


def test_a_missing_key_refuses_rather_than_publishing_unsigned():
    def broken() -> dict:
        raise RuntimeError("secret unreadable")

    with pytest.raises(CredentialsUnavailable):
        ContentCredentials(broken, public_base_url="https://easel.example").sign(
            b"RIFF", "image/webp", title="x", author_handle="ada")
