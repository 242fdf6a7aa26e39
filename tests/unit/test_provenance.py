"""chalicelib.provenance: declared AI origin in uploaded images, and robustness to hostile files."""

from __future__ import annotations

import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the import layout of tests/ is not ours to fix; be independent of it
    sys.path.insert(0, str(ROOT))

from chalicelib import provenance  # noqa: E402
from chalicelib.provenance import (  # noqa: E402
    AI_REASONS,
    AI_SOURCE_TYPES,
    NON_AI_SOURCE_TYPES,
    ProvenanceResult,
    c2pa_manifest,
    is_ai_source_type,
    scan_provenance,
    source_type_term,
)
from tests.fixtures import ai_images as A  # noqa: E402

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
SIGNALS_LIMIT = 4096

# Hostile inputs below make Pillow warn about corrupt EXIF/APNG data while opening: expected.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:PIL")

needs_corpus = pytest.mark.skipif(
    not (CORPUS / "c2pa").is_dir() or not (CORPUS / "pillow").is_dir(),
    reason=f"shared corpus not found at {CORPUS} (it lives beside the repository as shared/corpus)",
)


def signals_size(result: ProvenanceResult) -> int:
    return len(json.dumps(result.signals))


def assert_well_formed(result: ProvenanceResult) -> None:
    assert isinstance(result, ProvenanceResult)
    assert result.verdict in ("ai", "unknown")
    assert result.verdict == ("ai" if set(result.reasons) & AI_REASONS else "unknown")
    json.dumps(result.to_dict())
    assert signals_size(result) < SIGNALS_LIMIT
    assert len(result.declared_source_types) <= 16
    assert all(isinstance(t, str) and len(t) <= 100 for t in result.declared_source_types)
    if result.c2pa is not None:
        assert isinstance(result.c2pa["present"], bool)
        assert len(json.dumps(result.c2pa)) < 1500


# --- generators -> verdicts ------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(A.ALL_AI_GENERATORS))
def test_ai_generator_outputs_are_ai(name: str) -> None:
    generator, reason = A.ALL_AI_GENERATORS[name]
    result = scan_provenance(generator())
    assert_well_formed(result)
    assert result.verdict == "ai", result
    assert reason in result.reasons
    finding = next(f for f in result.signals["findings"] if f["reason"] == reason)
    assert finding["where"]


@pytest.mark.parametrize("name", sorted(A.HUMAN_GENERATORS))
def test_files_without_ai_declaration_are_unknown(name: str) -> None:
    result = scan_provenance(A.HUMAN_GENERATORS[name]())
    assert_well_formed(result)
    assert result.verdict == "unknown"
    assert result.reasons == []
    assert result.declared_source_types == []


def test_a1111_png_reports_where_and_generator() -> None:
    result = scan_provenance(A.a1111_png())
    assert result.reasons == ["a1111_parameters"]
    assert result.signals["findings"][0]["where"] == "png:tEXt:parameters"
    assert result.signals["generator"] == "AUTOMATIC1111-compatible"


@pytest.mark.parametrize("kind", ["tEXt", "zTXt", "iTXt", "iTXt-z"])
def test_a1111_png_in_every_text_chunk_type(kind: str) -> None:
    assert scan_provenance(A.a1111_png(kind=kind)).reasons == ["a1111_parameters"]


@pytest.mark.parametrize("utf16", ["be", "le"])
@pytest.mark.parametrize("tiff_order", ["MM", "II"])
def test_a1111_usercomment_either_utf16_order_in_either_tiff_order(utf16: str, tiff_order: str) -> None:
    for data in (
        A.a1111_jpeg_usercomment(utf16=utf16, tiff_order=tiff_order),
        A.a1111_webp_usercomment(utf16=utf16, tiff_order=tiff_order),
    ):
        result = scan_provenance(data)
        assert result.verdict == "ai"
        assert any(f["where"].endswith("exif:UserComment") for f in result.signals["findings"])


@pytest.mark.parametrize("prefix", [b"ASCII\0\0\0", b"\0" * 8])
def test_a1111_usercomment_ascii_and_undefined_prefix(prefix: bytes) -> None:
    comment = prefix + A.a1111_parameters().encode("ascii")
    data = A.jpeg_bytes(exif=A.tiff_exif(exif_ifd={0x9286: (7, comment)}))
    assert scan_provenance(data).reasons == ["a1111_parameters"]


def test_a1111_usercomment_utf8_mislabelled_unicode() -> None:
    comment = b"UNICODE\0" + A.a1111_parameters("renard à l'aquarelle").encode("utf-8")
    data = A.jpeg_bytes(exif=A.tiff_exif(exif_ifd={0x9286: (7, comment)}, order="II"))
    assert scan_provenance(data).verdict == "ai"


def test_a1111_in_jpeg_comment_and_gif_comment() -> None:
    text = A.a1111_parameters().encode("utf-8")
    assert scan_provenance(A.jpeg_bytes(comment=text)).verdict == "ai"
    assert scan_provenance(A.gif_bytes(comment=text)).verdict == "ai"


def test_comfyui_png_reads_both_graphs() -> None:
    result = scan_provenance(A.comfyui_png())
    assert result.reasons == ["comfyui_workflow"]
    assert result.signals["generator"] == "ComfyUI"


def test_comfyui_webp_exif_model_and_make() -> None:
    result = scan_provenance(A.comfyui_webp_exif())
    assert result.verdict == "ai"
    assert "webp" in result.signals["findings"][0]["where"]


@pytest.mark.parametrize("kind", ["zTXt", "iTXt-z"])
def test_comfyui_huge_compressed_workflow_pillow_refuses_walker_reads(kind: str) -> None:
    data = A.comfyui_png_huge_workflow(kind=kind)
    import io

    from PIL import Image

    with pytest.raises(ValueError, match="MAX_TEXT_CHUNK"):
        Image.open(io.BytesIO(data))
    result = scan_provenance(data)
    assert_well_formed(result)
    assert result.verdict == "ai"
    assert "png_text_too_large" in result.reasons and "comfyui_workflow" in result.reasons
    assert result.signals["png_text_too_large"][0]["key"] == "workflow"


def test_comfyui_workflow_beyond_read_cap_is_recognised_from_its_prefix() -> None:
    result = scan_provenance(A.comfyui_png_huge_workflow(min_bytes=6_000_000))
    assert result.verdict == "ai"
    finding = next(f for f in result.signals["findings"] if f["reason"] == "comfyui_workflow")
    assert finding["truncated"] is True


def test_huge_text_chunk_with_unknown_key_is_only_a_signal_and_bounded() -> None:
    data = A.png_text_bomb(inflated_mib=64)
    start = time.monotonic()
    result = scan_provenance(data)
    elapsed = time.monotonic() - start
    assert_well_formed(result)
    assert result.verdict == "unknown"
    assert result.reasons == ["png_text_too_large"]
    assert result.signals["png_text_too_large"][0]["key"] == "notes"
    assert elapsed < 5, "inflation must stop at the cap, not run through 64 MiB"


@pytest.mark.parametrize("kind", ["tEXt", "zTXt"])
def test_a1111_parameters_too_large_to_read_to_the_settings_line(kind: str) -> None:
    result = scan_provenance(A.a1111_png(prompt="a fox, " * 450_000, kind=kind))  # ~3 MiB of prompt
    assert result.verdict == "ai"
    assert {"a1111_parameters", "png_text_too_large"} <= set(result.reasons)
    assert signals_size(result) < SIGNALS_LIMIT


def test_many_large_text_chunks_stay_within_the_per_file_budget() -> None:
    big = "lorem ipsum " * 180_000  # ~2 MiB each, uncompressed
    chunks = [A.text_chunk(f"notes{i}", big) for i in range(12)] + [A.text_chunk("parameters", A.a1111_parameters())]
    start = time.monotonic()
    result = scan_provenance(A.png_with_chunks(chunks))
    assert time.monotonic() - start < 5
    assert_well_formed(result)
    assert result.verdict == "ai"  # the small generator chunk after the budget is still read
    assert "png_text_too_large" in result.reasons


def test_prompt_or_workflow_key_without_a_graph_is_not_ai() -> None:
    data = A.png_with_text([("prompt", "sketch of my cat, pencil"), ("workflow", "thumbnail -> inks -> colour")])
    assert scan_provenance(data).verdict == "unknown"


def test_novelai_png() -> None:
    result = scan_provenance(A.novelai_png())
    assert {"novelai_software", "novelai_comment"} <= set(result.reasons)
    assert result.signals["generator"] == "NovelAI"


def test_midjourney_needs_a_job_id() -> None:
    assert scan_provenance(A.midjourney_png()).reasons == ["midjourney_description"]
    plain = A.png_with_text([("Description", "my oil painting of a fox, 2024")])
    assert scan_provenance(plain).verdict == "unknown"


def test_dig_image_guid_alone_is_only_a_hint() -> None:
    body = (
        f'  <rdf:Description rdf:about="" xmlns:Iptc4xmpExt="{A.IPTC_EXT_NS}" '
        'Iptc4xmpExt:DigImageGUID="0b9f0a7e-0000-4000-8000-000000000001"/>'
    )
    data = A.png_with_chunks([A.text_chunk("XML:com.adobe.xmp", A.xmp_packet(body), "iTXt")])
    result = scan_provenance(data)
    assert result.verdict == "unknown"
    assert result.signals["xmp_dig_image_guid"].startswith("0b9f0a7e")


# --- EXIF Software / XMP CreatorTool ----------------------------------------------------------


@pytest.mark.parametrize(
    "software",
    [
        "Adobe Photoshop 25.4 (Windows)",
        "Krita",
        "Procreate",
        "GIMP 2.10.36",
        "CLIP STUDIO PAINT",
        "Affinity Photo 2",
        "Paint.NET 5.0",
        "ibisPaint",
        "Aseprite",
        "Made with Stable Diffusion? No, with Krita",
    ],
)
def test_painting_software_is_not_ai(software: str) -> None:
    result = scan_provenance(A.software_jpeg(software, creator_tool=software))
    assert result.verdict == "unknown", result


@pytest.mark.parametrize(
    "software", ["NovelAI", "Midjourney", "DALL·E 3", "Stable Diffusion XL", "ComfyUI", "Adobe Firefly"]
)
def test_generator_software_is_ai(software: str) -> None:
    for data in (A.software_jpeg(software), A.software_jpeg("Krita", creator_tool=software)):
        result = scan_provenance(data)
        assert result.verdict == "ai"
        assert result.reasons[0] in ("novelai_software", "generator_software")


# --- IPTC digital source type ---------------------------------------------------------------


XMP_CONTAINERS: dict[str, Callable[[str, str], bytes]] = {
    "png": A.xmp_digital_source_type_png,
    "jpeg": A.xmp_digital_source_type_jpeg,
}


@pytest.mark.parametrize("term", sorted(NON_AI_SOURCE_TYPES))
@pytest.mark.parametrize("container", sorted(XMP_CONTAINERS))
@pytest.mark.parametrize("form", ["element", "attribute"])
def test_non_ai_source_types_never_give_ai(term: str, container: str, form: str) -> None:
    result = scan_provenance(XMP_CONTAINERS[container](term, form))
    assert_well_formed(result)
    assert result.verdict == "unknown"
    assert result.declared_source_types == [term]
    assert result.reasons == []


@pytest.mark.parametrize("term", sorted(AI_SOURCE_TYPES))
@pytest.mark.parametrize("container", sorted(XMP_CONTAINERS))
@pytest.mark.parametrize("form", ["element", "attribute", "resource"])
def test_ai_source_types_give_ai(term: str, container: str, form: str) -> None:
    result = scan_provenance(XMP_CONTAINERS[container](term, form))
    assert result.verdict == "ai"
    assert result.reasons == ["iptc_digital_source_type"]
    assert result.declared_source_types == [term]
    assert result.signals["findings"][0]["term"] == term


@pytest.mark.parametrize(
    "make", [A.xmp_digital_source_type_webp, A.xmp_digital_source_type_avif, A.xmp_digital_source_type_gif]
)
def test_xmp_in_webp_avif_gif(make: Callable[[str, str], bytes]) -> None:
    assert scan_provenance(make("trainedAlgorithmicMedia", "attribute")).verdict == "ai"
    human = scan_provenance(make("digitalArt", "element"))
    assert human.verdict == "unknown" and human.declared_source_types == ["digitalArt"]


def test_term_matching_is_exact() -> None:
    assert source_type_term("http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia") == "algorithmicMedia"
    assert source_type_term(" http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture") == "digitalCapture"
    assert source_type_term("trainedAlgorithmicMedia") == "trainedAlgorithmicMedia"
    assert not is_ai_source_type("algorithmicMedia")
    for near_miss in (
        "TrainedAlgorithmicMedia",
        "trainedAlgorithmicMediaX",
        "untrainedAlgorithmicMedia",
        "http://example.com/notTrainedAlgorithmicMedia",
        "compositeSyntheticish",
    ):
        result = scan_provenance(A.xmp_digital_source_type_png(near_miss.rsplit("/", 1)[-1], "attribute"))
        assert result.verdict == "unknown", near_miss
    bare = A.xmp_packet(
        f'  <rdf:Description rdf:about="" xmlns:Iptc4xmpExt="{A.IPTC_EXT_NS}" '
        'Iptc4xmpExt:DigitalSourceType="compositeWithTrainedAlgorithmicMedia"/>'
    )
    assert scan_provenance(A.jpeg_bytes(xmp=bare)).verdict == "ai"


def test_source_type_in_another_namespace_is_ignored() -> None:
    body = (
        '  <rdf:Description rdf:about="" xmlns:other="http://example.com/ns/" '
        f'other:DigitalSourceType="{A.DST_URI}trainedAlgorithmicMedia"/>'
    )
    assert scan_provenance(A.jpeg_bytes(xmp=A.xmp_packet(body))).verdict == "unknown"


# --- hostile XMP ------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [A.xmp_billion_laughs_jpeg, A.xmp_external_entity_png])
def test_hostile_xmp_is_refused_without_crash(make: Callable[[], bytes]) -> None:
    start = time.monotonic()
    result = scan_provenance(make())
    assert time.monotonic() - start < 2
    assert_well_formed(result)
    assert result.verdict == "unknown"  # nothing inside a refused packet counts, not even an AI term
    assert result.declared_source_types == []
    assert any("refused" in e for e in result.signals["errors"])


@pytest.mark.parametrize(
    "packet",
    [
        b"<x:xmpmeta",
        b"\xff\xfe<\x00",
        b"not xml at all",
        b"<a>" * 100_000,
        b"<?xml version='1.0' encoding='bogus'?><a/>",
    ],
)
def test_malformed_xmp_is_unparseable_not_fatal(packet: bytes) -> None:
    result = scan_provenance(A.jpeg_bytes(xmp=packet[:60000]))
    assert_well_formed(result)
    assert result.verdict == "unknown"


# --- bounds and garbage ------------------------------------------------------------------------


def test_signals_bounded_with_a_1mb_prompt() -> None:
    data = A.a1111_png(prompt="a fox, " * 150_000)
    assert len(data) > 1_000_000
    result = scan_provenance(data)
    assert result.verdict == "ai"
    assert signals_size(result) < SIGNALS_LIMIT


def test_signals_bounded_with_many_hostile_sources() -> None:
    long = "é" * 5000
    chunks = [A.text_chunk(f"k{i}" * 30, long, "iTXt") for i in range(300)]
    chunks += [A.text_chunk("Software", f"NovelAI {long}"), A.text_chunk("parameters", A.a1111_parameters(long))]
    description = f'<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="{A.IPTC_EXT_NS}"'
    many_terms = "".join(f'{description} Iptc4xmpExt:DigitalSourceType="{A.DST_URI}{long}{i}"/>' for i in range(40))
    chunks.append(A.text_chunk("XML:com.adobe.xmp", A.xmp_packet(many_terms), "iTXt"))
    chunks += [A.text_chunk("XML:com.adobe.xmp", b"<broken " + str(i).encode() * 300, "iTXt") for i in range(30)]
    result = scan_provenance(A.png_with_chunks(chunks))
    assert_well_formed(result)
    assert result.verdict == "ai"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00",
        b"\xff\xd8",
        b"\x89PNG\r\n\x1a\n",
        b"RIFF\0\0\0\0WEBP",
        b"GIF89a",
        b"\0\0\0\x1cftypavif",
        b"hello world",
        bytes(range(256)) * 4,
    ],
)
def test_garbage_is_unknown(data: bytes) -> None:
    result = scan_provenance(data)
    assert_well_formed(result)
    assert result.verdict == "unknown"


def test_random_bytes_are_unknown() -> None:
    rng = random.Random(1234)
    for _ in range(50):
        data = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 4000)))
        result = scan_provenance(data)
        assert result.verdict == "unknown"


def test_non_bytes_input_never_raises() -> None:
    assert scan_provenance(None).verdict == "unknown"  # type: ignore[arg-type]
    assert scan_provenance("not bytes").verdict == "unknown"  # type: ignore[arg-type]
    assert scan_provenance(bytearray(A.a1111_png())).verdict == "ai"  # type: ignore[arg-type]
    assert scan_provenance(memoryview(A.a1111_png())).verdict == "ai"  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(set(A.ALL_AI_GENERATORS) | set(A.HUMAN_GENERATORS)))
def test_truncations_and_bit_flips_never_raise(name: str) -> None:
    generator = A.ALL_AI_GENERATORS[name][0] if name in A.ALL_AI_GENERATORS else A.HUMAN_GENERATORS[name]
    data = generator()
    rng = random.Random(name)
    cuts = sorted(
        {1, 2, 8, 12, 16, 33, len(data) // 3, len(data) // 2, len(data) - 1}
        | {rng.randrange(len(data)) for _ in range(6)}
    )
    for cut in cuts:
        assert_well_formed(scan_provenance(data[:cut], c2pa_enabled=False))
    for _ in range(20):
        flipped = bytearray(data[:300_000])
        for _ in range(rng.randint(1, 8)):
            flipped[rng.randrange(len(flipped))] = rng.getrandbits(8)
        assert_well_formed(scan_provenance(bytes(flipped), c2pa_enabled=False))


def test_truncated_clean_files_are_unknown() -> None:
    for data in (A.clean_png(), A.clean_jpeg(), A.photoshop_software_jpeg()):
        for cut in range(0, len(data), max(1, len(data) // 25)):
            assert scan_provenance(data[:cut]).verdict == "unknown"


def _tiff(order: str, entries: list[tuple[int, int, int, int]], next_ifd: int = 0, tail: bytes = b"") -> bytes:
    import struct

    e = ">" if order == "MM" else "<"
    head = (b"MM\0*" if order == "MM" else b"II*\0") + struct.pack(e + "I", 8)
    body = struct.pack(e + "H", len(entries)) + b"".join(struct.pack(e + "HHII", *x) for x in entries)
    return head + body + struct.pack(e + "I", next_ifd) + tail


@pytest.mark.parametrize(
    "blob",
    [
        _tiff("MM", [(0x8769, 4, 1, 8)]),  # Exif IFD pointing back at IFD0
        _tiff("II", [(0x9286, 7, 0xFFFFFFFF, 26), (0x0131, 2, 0x7FFFFFFF, 1 << 30)]),  # counts/offsets past the end
        _tiff("MM", [(0x0110, 2, 4, 0x41414141)] * 3000),  # more entries than the cap
        _tiff("II", [(0x8769, 4, 1, 0xFFFFFF00)]),
        b"MM\0*\xff\xff\xff\xff",
        b"II*\0\x08\0\0\0\xff\xff",
        b"Exif\0\0",
    ],
)
def test_malformed_exif_never_raises(blob: bytes) -> None:
    for data in (A.jpeg_bytes(exif=blob[:60000]), A.webp_bytes(exif=blob)):
        result = scan_provenance(data)
        assert_well_formed(result)
        assert result.verdict == "unknown"


def test_malformed_containers_never_raise() -> None:
    import struct

    png_magic = b"\x89PNG\r\n\x1a\n"
    samples = [
        png_magic + struct.pack(">I", 0xFFFFFFFF) + b"zTXt" + b"workflow\0\0" + b"\x78\x9c" + b"\xff" * 100,
        png_magic + A.png_chunk(b"iTXt", b"parameters\0\1\0" + b"x" * 10_000),  # no NULs where required
        png_magic + A.png_chunk(b"zTXt", b"prompt\0\0not zlib at all"),
        png_magic + A.png_chunk(b"tEXt", b"\0no keyword"),
        png_magic + b"".join(A.png_chunk(b"tEXt", b"k\0v") for _ in range(30_000)),
        b"\xff\xd8\xff\xe1\x00\x00\xff\xe1\x00\x01\xff\xfe\xff\xff",
        b"\xff\xd8\xff\xe1\xff\xffhttp://ns.adobe.com/xmp/extension/\0"
        + b"G" * 32
        + b"\xff\xff\xff\xff\0\0\0\0"
        + b"<x/>",
        b"\xff\xd8" + b"\xff\xe0\x00\x02" * 5000,
        b"RIFF\xff\xff\xff\xffWEBPEXIF\xff\xff\xff\xffMM\0*",
        b"GIF89a\x01\0\x01\0\x80\0\0" + b"\0" * 6 + b"\x21\xff\x0bXMP DataXMP<x:xmpmeta" + b"\x21\xfe\xff",
        b"GIF89a\x01\0\x01\0\0\0\0" + b"\x2c" + b"\0" * 8 + b"\x87",
    ]
    for data in samples:
        result = scan_provenance(data)
        assert_well_formed(result)
        assert result.verdict == "unknown"


def test_decompression_bomb_header_still_scanned_without_decoding() -> None:
    result = scan_provenance(A.a1111_png_bomb_header())
    assert result.verdict == "ai"
    assert result.signals["decompression_bomb_header"] is True


def test_no_global_pillow_state_changed() -> None:
    from PIL import Image

    before = Image.MAX_IMAGE_PIXELS
    scan_provenance(A.a1111_png_bomb_header())
    scan_provenance(A.comfyui_png_huge_workflow())
    assert before == Image.MAX_IMAGE_PIXELS


# --- C2PA --------------------------------------------------------------------------------------


def test_c2pa_self_made_manifest_declaring_ai_is_ai() -> None:
    pytest.importorskip("c2pa")
    pytest.importorskip("cryptography")
    for fmt in ("jpeg", "png"):
        result = scan_provenance(A.c2pa_signed_image("trainedAlgorithmicMedia", fmt=fmt))
        assert_well_formed(result)
        assert result.verdict == "ai"
        assert result.reasons == ["c2pa_trained_algorithmic_media"]
        assert result.c2pa is not None and result.c2pa["present"] is True
        assert result.c2pa["validation_state"] in ("Valid", "Trusted", "Invalid")
        assert "signingCredential.untrusted" in result.c2pa.get("validation_codes", [])
        assert result.declared_source_types == ["trainedAlgorithmicMedia"]
        assert result.signals["generator"] == "Test Generator 1.0"
        assert scan_provenance(A.c2pa_signed_image(fmt=fmt), c2pa_enabled=False).verdict == "unknown"


@pytest.mark.parametrize("term", ["compositeWithTrainedAlgorithmicMedia", "compositeSynthetic"])
def test_c2pa_ai_term_on_a_later_action_counts(term: str) -> None:
    """Human-declared creation, then an AI fill: any action declaring an AI origin is decisive."""
    pytest.importorskip("c2pa")
    actions = [
        {"action": "c2pa.created", "digitalSourceType": f"{A.DST_URI}digitalArt"},
        {"action": "c2pa.edited", "digitalSourceType": f"{A.DST_URI}{term}", "softwareAgent": "Generative Fill"},
    ]
    result = scan_provenance(A.c2pa_signed_image(actions=actions))
    assert result.verdict == "ai"
    assert result.declared_source_types == ["digitalArt", term]
    finding = result.signals["findings"][0]
    assert finding["term"] == term and finding["form"] == "c2pa.edited"


@pytest.mark.parametrize("term", ["digitalArt", "algorithmicMedia", "digitalCapture", "humanEdits"])
def test_c2pa_human_declaration_is_not_proof(term: str) -> None:
    pytest.importorskip("c2pa")
    result = scan_provenance(A.c2pa_signed_image(term))
    assert result.verdict == "unknown"
    assert result.declared_source_types == [term]
    assert result.c2pa is not None and result.c2pa["present"] is True


def test_c2pa_disabled_and_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    disabled = scan_provenance(A.clean_jpeg(), c2pa_enabled=False)
    assert disabled.c2pa is None and disabled.signals["c2pa"] == "disabled"
    monkeypatch.setitem(sys.modules, "c2pa", None)  # makes `import c2pa` raise ImportError
    result = scan_provenance(A.a1111_jpeg_usercomment())
    assert result.verdict == "ai"  # the other sources are still read
    assert result.c2pa is None
    assert result.signals["c2pa"] == "c2pa unavailable"


def test_c2pa_reader_always_gets_the_cached_no_fetch_context(monkeypatch: pytest.MonkeyPatch) -> None:
    c2pa = pytest.importorskip("c2pa")
    context = c2pa_manifest.no_fetch_context(c2pa)
    assert c2pa_manifest.no_fetch_context(c2pa) is context
    seen: list[Any] = []
    original = c2pa.Reader.try_create

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get("context"))
        return original(*args, **kwargs)

    monkeypatch.setattr(c2pa.Reader, "try_create", spy)
    scan_provenance(A.clean_jpeg())
    assert seen == [context]


def test_no_reader_without_the_no_fetch_context(monkeypatch: pytest.MonkeyPatch) -> None:
    c2pa = pytest.importorskip("c2pa")

    def broken(_json: str) -> Any:
        raise RuntimeError("settings unavailable")

    monkeypatch.setattr(c2pa_manifest, "_context_cache", None)
    monkeypatch.setattr(c2pa.Settings, "from_json", staticmethod(broken))
    monkeypatch.setattr(c2pa.Reader, "try_create", lambda *a, **k: pytest.fail("reader created without context"))
    result = scan_provenance(A.clean_jpeg())
    assert result.c2pa is not None and "settings unavailable" in result.c2pa["error"]
    monkeypatch.setattr(c2pa_manifest, "_context_cache", None)


# --- corpus ----------------------------------------------------------------------------------


def _corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for folder in ("c2pa", "pillow") for p in (CORPUS / folder).glob("*") if p.suffix != ".md")


@needs_corpus
@pytest.mark.parametrize("path", _corpus_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_file_scans_without_raising(path: Path) -> None:
    result = scan_provenance(path.read_bytes())
    assert_well_formed(result)
    assert result.verdict == "unknown"  # no corpus file declares generative AI


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


@needs_corpus
def test_corpus_c_jpg_algorithmic_media_is_not_ai() -> None:
    result = scan_provenance(corpus("c2pa/C.jpg"))
    assert result.verdict == "unknown"
    assert "algorithmicMedia" in result.declared_source_types
    assert result.c2pa is not None and result.c2pa["present"] is True and result.c2pa["validation_state"] == "Valid"


@needs_corpus
def test_corpus_cawg_digital_capture_is_not_ai() -> None:
    result = scan_provenance(corpus("c2pa/C_with_CAWG_data.jpg"))
    assert result.verdict == "unknown"
    assert "digitalCapture" in result.declared_source_types


@needs_corpus
def test_corpus_ingredient_chain_walks_every_manifest() -> None:
    result = scan_provenance(corpus("c2pa/CACA.jpg"))
    assert result.c2pa is not None and result.c2pa["manifests"] == 2


@needs_corpus
@pytest.mark.parametrize("name", ["XCA.jpg", "E-sig-CA.jpg"])
def test_corpus_invalid_manifests_recorded(name: str) -> None:
    result = scan_provenance(corpus(f"c2pa/{name}"))
    assert result.verdict == "unknown"
    assert result.c2pa is not None and result.c2pa["present"] is True
    assert result.c2pa["validation_state"] == "Invalid"
    assert result.c2pa["validation_codes"]


@needs_corpus
@pytest.mark.parametrize("name", ["no_alg.jpg", "prerelease.jpg"])
def test_corpus_refused_manifests_record_error(name: str) -> None:
    result = scan_provenance(corpus(f"c2pa/{name}"))
    assert result.verdict == "unknown"
    assert result.c2pa is not None and result.c2pa["error"]


@needs_corpus
@pytest.mark.parametrize("name", ["no_manifest.jpg", "sample1.png", "sample1.webp", "sample1.avif"])
def test_corpus_without_manifest(name: str) -> None:
    result = scan_provenance(corpus(f"c2pa/{name}"))
    assert result.c2pa == {"present": False, "validation_state": None, "error": None}


@needs_corpus
def test_corpus_decompression_bomb_gif() -> None:
    result = scan_provenance(corpus("pillow/decompression_bomb.gif"))
    assert result.verdict == "unknown"
    assert result.signals["decompression_bomb_header"] is True


@needs_corpus
def test_corpus_cloud_manifest_makes_no_network_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guard on the test (not a behaviour mock): any Python-level connection attempt fails it."""
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args[1:] or kwargs)
        raise AssertionError(f"network call attempted: {args[1:]!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: refuse(None, *a))
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: refuse(None, *a))
    start = time.monotonic()
    result = scan_provenance(corpus("c2pa/cloud.jpg"))
    assert attempts == []
    assert time.monotonic() - start < 5
    assert result.verdict == "unknown"
    assert result.c2pa is not None and result.c2pa["remote"] is True
    assert "must fetch remote manifests" in result.c2pa["error"]


# The native c2pa library does its own networking, below Python's socket module, so the test
# above cannot see it. Here a seccomp filter in a child process kills it (SIGSYS) the moment
# anything creates an AF_INET/AF_INET6 socket: if the child survives, no network was touched.
_SECCOMP_CHILD = textwrap.dedent(
    """
    import ctypes, socket, struct, sys
    ARCH = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}[sys.argv[1]]
    def ins(code, jt, jf, k):
        return struct.pack("HBBI", code, jt, jf, k)
    LD, JEQ, RET = 0x20, 0x15, 0x06
    ALLOW, KILL = 0x7FFF0000, 0x80000000
    prog = b"".join([
        ins(LD, 0, 0, 4), ins(JEQ, 1, 0, ARCH[0]), ins(RET, 0, 0, ALLOW),
        ins(LD, 0, 0, 0), ins(JEQ, 0, 3, ARCH[1]),
        ins(LD, 0, 0, 16), ins(JEQ, 2, 0, socket.AF_INET), ins(JEQ, 1, 0, socket.AF_INET6),
        ins(RET, 0, 0, ALLOW), ins(RET, 0, 0, KILL),
    ])
    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
    buf = ctypes.create_string_buffer(prog)
    fprog = Prog(len(prog) // 8, ctypes.cast(buf, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:
        print("SECCOMP-UNAVAILABLE"); sys.exit(0)
    if sys.argv[2] == "control":
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        print("SURVIVED"); sys.exit(0)
    from chalicelib.provenance import scan_provenance
    result = scan_provenance(open(sys.argv[2], "rb").read())
    print("RESULT " + __import__("json").dumps(result.c2pa))
    """
)


def _run_seccomp_child(target: str) -> subprocess.CompletedProcess[str]:
    arch = platform.machine()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", _SECCOMP_CHILD, arch, target],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@needs_corpus
@pytest.mark.skipif(
    sys.platform != "linux" or platform.machine() not in ("x86_64", "aarch64"),
    reason="seccomp network guard needs Linux on x86_64/aarch64",
)
def test_corpus_cloud_manifest_no_socket_even_from_native_code() -> None:
    control = _run_seccomp_child("control")
    if "SECCOMP-UNAVAILABLE" in control.stdout:
        pytest.skip("seccomp filters are not permitted in this sandbox")
    assert control.returncode == -signal.SIGSYS, "the guard must kill a process that opens an inet socket"
    child = _run_seccomp_child(str(CORPUS / "c2pa" / "cloud.jpg"))
    assert child.returncode == 0, (
        f"scan opened a network socket or failed: rc={child.returncode} {child.stderr[-2000:]}"
    )
    summary = json.loads(child.stdout.split("RESULT ", 1)[1])
    assert summary["remote"] is True and "must fetch remote manifests" in summary["error"]


def test_public_api_is_reexported() -> None:
    assert provenance.scan_provenance is scan_provenance
    assert set(AI_SOURCE_TYPES) == {
        "trainedAlgorithmicMedia",
        "compositeWithTrainedAlgorithmicMedia",
        "compositeSynthetic",
    }
    assert not AI_SOURCE_TYPES & NON_AI_SOURCE_TYPES
