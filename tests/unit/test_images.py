"""chalicelib.images: validation limits, metadata stripping, colour, widths, "do not train" XMP."""
from __future__ import annotations

import io
import pickle
import random
import struct
import warnings
from pathlib import Path

import pytest
from defusedxml import ElementTree
from PIL import (
    Image,
    ImageChops,
    ImageCms,
    ImageFile,
    ImageOps,
    ImageStat,
    JpegImagePlugin,
)

from chalicelib.images import (
    DATA_MINING_PROHIBITED,
    Derivative,
    ImageInfo,
    ImageLimits,
    REJECTION_CODES,
    ImageRejected,
    inspect_image,
    make_derivatives,
    noai_xmp,
    sniff_format,
)
from tests.fixtures import photos

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "pillow"

NS = {
    "plus": "http://ns.useplus.org/ldf/xmp/1.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
}
ALLOWED_WEBP_CHUNKS = {b"VP8X", b"VP8 ", b"VP8L", b"ALPH", b"XMP "}


# --- helpers -----------------------------------------------------------------------------

def rejected(data: bytes, limits: ImageLimits = ImageLimits()) -> ImageRejected:
    with pytest.raises(ImageRejected) as caught:
        inspect_image(data, limits)
    return caught.value


def open_webp(d: Derivative) -> Image.Image:
    im = Image.open(io.BytesIO(d.data))
    assert im.format == "WEBP"
    im.load()
    return im


def webp_chunks(data: bytes) -> list[bytes]:
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    chunks, pos = [], 12
    while pos + 8 <= len(data):
        kind, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        chunks.append(kind)
        pos += 8 + size + (size & 1)
    return chunks


def xmp_fields(xmp: bytes) -> dict[str, list[str]]:
    root = ElementTree.fromstring(xmp)
    return {
        "mining": [e.text or "" for e in root.iterfind(".//plus:DataMining", NS)],
        "creator": [e.text or "" for e in root.iterfind(".//dc:creator/rdf:Seq/rdf:li", NS)],
        "marked": [e.text or "" for e in root.iterfind(".//xmpRights:Marked", NS)],
        "rights": [e.text or "" for e in root.iterfind(".//dc:rights/rdf:Alt/rdf:li", NS)],
    }


def assert_clean_derivative(d: Derivative, creator: str) -> Image.Image:
    """No EXIF, GPS, ICC or original XMP; exactly our "do not train" packet."""
    assert d.content_type == "image/webp"
    assert d.label == f"w{d.width}"
    im = open_webp(d)
    assert im.size == (d.width, d.height)
    assert im.mode in ("RGB", "RGBA")
    assert len(im.getexif()) == 0
    assert 0x8825 not in im.getexif()
    assert "exif" not in im.info and "icc_profile" not in im.info
    chunks = webp_chunks(d.data)
    assert set(chunks) <= ALLOWED_WEBP_CHUNKS, chunks
    assert b"EXIF" not in chunks and b"ICCP" not in chunks
    assert b"Exif\x00\x00" not in d.data and b"GPS" not in d.data
    assert im.info["xmp"] == noai_xmp(creator)
    fields = xmp_fields(im.info["xmp"])
    assert fields["mining"] == [DATA_MINING_PROHIBITED]
    return im


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    a, b = a.convert("RGB"), b.convert("RGB").resize(a.size, Image.Resampling.LANCZOS)
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def close(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 6) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(actual, expected))


# --- sniffing ----------------------------------------------------------------------------

@pytest.mark.parametrize(("build", "expected"), [
    (photos.jpeg_bytes, "jpeg"),
    (photos.png_bytes, "png"),
    (photos.webp_bytes, "webp"),
    (photos.avif_bytes, "avif"),
    (photos.gif_bytes, "gif"),
    (photos.mpo_bytes, "jpeg"),
])
def test_sniff_and_inspect_use_magic_bytes(build, expected: str) -> None:
    data = build()
    assert sniff_format(data) == expected
    info = inspect_image(data)
    assert info.format == expected
    assert info.mime == f"image/{expected}"


@pytest.mark.parametrize(("data", "expected"), [
    (photos.ftyp(b"avif", b"mif1", b"miaf"), "avif"),
    (photos.ftyp(b"mif1", b"avif", b"miaf"), "avif"),   # AVIF only as a compatible brand
    (photos.ftyp(b"heic", b"mif1", b"heic"), None),      # HEIC shares the container
    (photos.ftyp(b"mif1", b"heic"), None),
    (b"GIF87a" + b"\0" * 10, "gif"),
    (b"RIFF\0\0\0\0WAVEfmt ", None),
    (b"\xff\xd8", None),
    (b"", None),
])
def test_sniff_edge_cases(data: bytes, expected: str | None) -> None:
    assert sniff_format(data) == expected


def test_declared_type_is_irrelevant_png_is_png() -> None:
    # There is no way to pass a declared type: whatever a client claimed, the bytes decide.
    data = photos.png_bytes()
    assert inspect_image(data) == ImageInfo(format="png", mime="image/png", width=64,
                                            height=48, frames=1, has_alpha=False)


@pytest.mark.parametrize("data", [
    photos.tiff_bytes(), photos.bmp_bytes(), photos.SVG_BYTES, b"just some text",
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", photos.ftyp(b"heic", b"mif1", b"heic"),
    b"\x00\x00\x01\x00\x01\x00",  # ICO
], ids=["tiff", "bmp", "svg", "text", "pdf", "heic", "ico"])
def test_unsupported_formats_are_refused(data: bytes) -> None:
    assert rejected(data).code == "unsupported_format"
    with pytest.raises(ImageRejected):
        make_derivatives(data, creator="x")


# --- limits ------------------------------------------------------------------------------

def test_empty_file() -> None:
    assert rejected(b"").code == "empty_file"


def test_file_too_large_checked_before_anything_else() -> None:
    data = photos.png_bytes()
    assert rejected(data, ImageLimits(max_bytes=len(data) - 1)).code == "file_too_large"
    assert inspect_image(data, ImageLimits(max_bytes=len(data))).format == "png"


@pytest.mark.parametrize(("width", "height"), [
    (100_000, 100_000),   # Pillow's own DecompressionBombError fires at open()
    (10_000, 9_000),      # 90 MP: only Pillow's warning, which must act as an error
    (7_000, 7_000),       # 49 MP: under Pillow's threshold, over ours
])
def test_bomb_header_rejected_without_decoding(monkeypatch: pytest.MonkeyPatch,
                                               width: int, height: int) -> None:
    def no_decoding(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixel data must not be decoded for a bomb")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    error = rejected(photos.png_header_only(width, height))
    assert error.code == "too_many_pixels", error


def test_pillow_bomb_warning_is_an_error_even_with_generous_limits() -> None:
    # 90 MP passes these limits, so only Pillow's DecompressionBombWarning (turned
    # into an error) stops it; otherwise the tiny IDAT would read as "corrupt".
    generous = ImageLimits(max_pixels=10**9, max_total_pixels=10**10)
    assert rejected(photos.png_header_only(10_000, 9_000), generous).code == "too_many_pixels"
    assert rejected(photos.png_header_only(8_000, 8_000), generous).code == "corrupt_image"


def test_pixel_limit_is_configurable() -> None:
    data = photos.png_bytes(20, 10)
    assert rejected(data, ImageLimits(max_pixels=199)).code == "too_many_pixels"
    assert inspect_image(data, ImageLimits(max_pixels=200)).width == 20


def test_dimension_limit() -> None:
    assert rejected(photos.png_header_only(20_000, 10)).code == "dimensions_too_large"
    data = photos.png_bytes(40, 10)
    assert rejected(data, ImageLimits(max_dimension=39)).code == "dimensions_too_large"


@pytest.mark.parametrize("build", [photos.gif_animated, photos.apng_animated,
                                   photos.webp_animated])
def test_frame_limit(build) -> None:
    data = build(5)
    assert inspect_image(data).frames == 5
    assert inspect_image(data, ImageLimits(max_frames=5)).frames == 5
    assert rejected(data, ImageLimits(max_frames=4)).code == "too_many_frames"
    with pytest.raises(ImageRejected) as caught:
        make_derivatives(data, creator="x", limits=ImageLimits(max_frames=4))
    assert caught.value.code == "too_many_frames"


@pytest.mark.parametrize("build", [photos.gif_animated, photos.apng_animated,
                                   photos.webp_animated])
def test_total_decoded_pixel_limit(build) -> None:
    data = build(5, 10, 10)  # 500 decoded pixels in all
    assert inspect_image(data, ImageLimits(max_total_pixels=500)).frames == 5
    assert rejected(data, ImageLimits(max_total_pixels=499)).code == "too_many_pixels"


def test_gif_frame_growing_past_the_canvas_is_checked() -> None:
    data = photos.gif_with_growing_frame(grown=7000)
    assert inspect_image(photos.gif_with_growing_frame(grown=10)).frames == 2
    assert rejected(data).code == "too_many_pixels"


@pytest.mark.parametrize("build", [
    lambda: photos.jpeg_bytes(300, 200, quality=90),
    lambda: photos.jpeg_bytes(300, 200, quality=90, progressive=True),
    lambda: photos.png_bytes(300, 200),
    lambda: photos.webp_bytes(300, 200),
    lambda: photos.gif_animated(3, 60, 60),
    lambda: photos.apng_animated(3, 60, 60),
], ids=["jpeg", "progressive-jpeg", "png", "webp", "gif", "apng"])
def test_truncated_files_are_corrupt(build) -> None:
    data = photos.truncated(build())
    assert rejected(data).code == "corrupt_image"
    with pytest.raises(ImageRejected) as caught:
        make_derivatives(data, creator="x")
    assert caught.value.code == "corrupt_image"


def test_truncated_large_jpeg_is_corrupt_even_when_drafted() -> None:
    # make_derivatives decodes a big JPEG at 1/8 scale; truncation must still be caught.
    data = photos.truncated(photos.detailed_jpeg(2400, 1600), 0.7)
    with pytest.raises(ImageRejected) as caught:
        make_derivatives(data, creator="x", widths=(200,))
    assert caught.value.code == "corrupt_image"


def test_huge_png_text_chunk_is_corrupt_with_clear_message() -> None:
    error = rejected(photos.png_with_huge_text())
    assert error.code == "corrupt_image"
    assert "Decompressed Data Too Large" in error.message


def test_png_magic_with_garbage_is_corrupt_not_unsupported() -> None:
    assert rejected(b"\x89PNG\r\n\x1a\n" + b"garbage" * 20).code == "corrupt_image"


def test_mutated_files_only_ever_raise_image_rejected() -> None:
    seeds = [photos.jpeg_with_gps(60, 40, orientation=6), photos.png_palette_with_transparency(),
             photos.gif_animated(3), photos.apng_animated(3), photos.webp_animated(3),
             photos.webp_bytes(30, 20), photos.avif_bytes()]
    rng = random.Random(1234)
    outcomes: set[str] = set()
    for seed in seeds:
        for _ in range(25):
            data = bytearray(seed)
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            try:
                make_derivatives(bytes(data), creator="x", widths=(16,))
                outcomes.add("ok")
            except ImageRejected as error:
                outcomes.add(error.code)
    assert outcomes <= REJECTION_CODES | {"ok"}
    assert "corrupt_image" in outcomes


def test_rejection_pickles_and_reads_well() -> None:
    error = pickle.loads(pickle.dumps(ImageRejected("corrupt_image", "Bad data.")))
    assert (error.code, error.message, str(error)) == ("corrupt_image", "Bad data.",
                                                       "corrupt_image: Bad data.")


def test_global_pillow_state_untouched() -> None:
    filters_before = list(warnings.filters)
    max_pixels_before = Image.MAX_IMAGE_PIXELS
    for data in (photos.png_header_only(10_000, 9_000), photos.jpeg_with_gps(),
                 photos.truncated(photos.png_bytes(300, 200))):
        try:
            make_derivatives(data, creator="x")
        except ImageRejected:
            pass
    assert warnings.filters == filters_before
    assert Image.MAX_IMAGE_PIXELS == max_pixels_before
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


# --- metadata, orientation, "do not train" ------------------------------------------------

def test_gps_jpeg_derivatives_carry_no_metadata_and_are_rotated() -> None:
    data = photos.jpeg_with_gps(120, 80, orientation=6)
    source = Image.open(io.BytesIO(data))
    assert source.getexif().get_ifd(0x8825), "fixture must really carry GPS"
    assert photos.SECRET_COMMENT in data and photos.SECRET_XMP_MARKER.encode() in data

    info = inspect_image(data)
    assert (info.width, info.height) == (80, 120)   # displayed size, orientation 6

    derivatives = make_derivatives(data, creator="Ada Lovelace")
    assert [(d.width, d.height) for d in derivatives] == [(80, 120)]
    for d in derivatives:
        im = assert_clean_derivative(d, "Ada Lovelace")
        assert photos.SECRET_COMMENT not in d.data
        assert photos.SECRET_XMP_MARKER.encode() not in d.data
        assert xmp_fields(im.info["xmp"])["creator"] == ["Ada Lovelace"]
        # Orientation 6 = rotate 90 degrees clockwise: the stored left half
        # (red) becomes the top, the right half (blue) the bottom.
        assert close(im.getpixel((40, 20)), photos.RED, 12)
        assert close(im.getpixel((40, 100)), photos.BLUE, 12)


@pytest.mark.parametrize(("orientation", "size"), [
    (1, (120, 80)), (3, (120, 80)), (5, (80, 120)), (8, (80, 120)),
])
def test_orientation_matches_pillow_exif_transpose(orientation: int,
                                                   size: tuple[int, int]) -> None:
    data = photos.jpeg_with_gps(120, 80, orientation=orientation)
    expected = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    (d,) = make_derivatives(data, creator="x")
    assert (d.width, d.height) == size == expected.size
    assert mean_difference(open_webp(d), expected) < 4


def test_hostile_creator_is_escaped_and_xmp_still_parses() -> None:
    hostile = "<x>&\"'\x00"
    (d,) = make_derivatives(photos.png_bytes(), creator=hostile)
    im = assert_clean_derivative(d, hostile)
    fields = xmp_fields(im.info["xmp"])
    assert fields["creator"] == ["<x>&\"'"]   # NUL cannot exist in XML: dropped
    assert fields["mining"] == [DATA_MINING_PROHIBITED]


@pytest.mark.parametrize("creator", [
    "</rdf:li></rdf:Seq></dc:creator><plus:DataMining>ALLOWED</plus:DataMining>",
    "]]><!ENTITY x SYSTEM 'file:///etc/passwd'>&x;",
    "Zoë \u7d75\u5e2b \U0001f3a8\tnew\nline\r\x1b[31m\x7f\x85\ud800\ufffe",
    "A" * 100_000,
    "&" * 100_000,
    "\U0001f3a8" * 100_000,
], ids=["close-and-inject", "entity", "controls-and-unicode", "long", "long-ampersands",
        "long-astral"])
def test_noai_xmp_survives_hostile_creators(creator: str) -> None:
    packet = noai_xmp(creator)
    assert len(packet) < 16_000   # JPEG XMP segments cap at 65,504 bytes
    fields = xmp_fields(packet)
    assert fields["mining"] == [DATA_MINING_PROHIBITED]
    assert fields["marked"] == ["True"]
    (name,) = fields["creator"]
    assert name and len(name) <= 512
    assert all(ord(c) >= 0x20 and not 0x7F <= ord(c) <= 0x9F for c in name)
    assert name in fields["rights"][0]


def test_noai_xmp_structure() -> None:
    packet = noai_xmp("Ada Lovelace")
    assert packet.startswith(b"<?xpacket begin=") and packet.endswith(b"<?xpacket end=\"r\"?>")
    fields = xmp_fields(packet)
    assert fields["creator"] == ["Ada Lovelace"]
    assert fields["mining"] == ["http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING"]
    assert "Do not use for AI/ML training" in fields["rights"][0]
    assert noai_xmp("") and xmp_fields(noai_xmp(""))["creator"] == []


def test_output_is_deterministic() -> None:
    data = photos.jpeg_with_gps(700, 500, orientation=6)
    first = make_derivatives(data, creator="Ada")
    assert first == make_derivatives(data, creator="Ada")
    assert first != make_derivatives(data, creator="Bob")


def test_quality_parameter_is_used() -> None:
    data = photos.detailed_jpeg(700, 500, quality=95)
    low = make_derivatives(data, creator="x", widths=(640,), quality=10)
    high = make_derivatives(data, creator="x", widths=(640,), quality=95)
    assert len(low[0].data) < len(high[0].data)


@pytest.mark.parametrize("kwargs", [{"widths": ()}, {"widths": (0, 320)}, {"quality": 101}])
def test_programming_errors_are_value_errors(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        make_derivatives(photos.png_bytes(), creator="x", **kwargs)


# --- widths -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("source", "widths", "expected"), [
    ((500, 300), (320, 640, 1280, 2048), [320, 500]),
    ((640, 480), (320, 640, 1280, 2048), [320, 640]),
    ((700, 350), (320, 640, 1280, 2048), [320, 640, 700]),
    ((2048, 1024), (320, 640, 1280, 2048), [320, 640, 1280, 2048]),
    ((2500, 1000), (320, 640, 1280, 2048), [320, 640, 1280, 2048]),
    ((100, 400), (320, 640, 1280, 2048), [100]),
    ((500, 300), (400, 100, 200, 100, 800), [100, 200, 400, 500]),  # unsorted, duplicated
    ((500, 300), (400, 100, 200), [100, 200, 400]),   # source wider than every request
])
def test_widths_never_upscale_and_keep_aspect(source: tuple[int, int], widths: tuple[int, ...],
                                              expected: list[int]) -> None:
    data = photos.png_bytes(*source)
    derivatives = make_derivatives(data, creator="x", widths=widths)
    assert [d.width for d in derivatives] == expected
    for d in derivatives:
        assert d.width <= source[0]
        assert abs(d.height - source[1] * d.width / source[0]) <= 1
        assert open_webp(d).size == (d.width, d.height)


def test_widths_use_displayed_orientation() -> None:
    # Stored 400x200 with orientation 6 is displayed 200x400.
    data = photos.jpeg_with_gps(400, 200, orientation=6)
    derivatives = make_derivatives(data, creator="x", widths=(100, 300))
    assert [(d.width, d.height) for d in derivatives] == [(100, 200), (200, 400)]


def test_very_tall_image_fits_webp_side_limit() -> None:
    tall = photos.png_bytes(20, 16_384, mode="L", color=128)
    (d,) = make_derivatives(tall, creator="x")
    assert d.height == 16_383 and d.width == 20
    assert open_webp(d).size == (20, 16_383)


def test_large_jpeg_is_drafted(monkeypatch: pytest.MonkeyPatch) -> None:
    requested: list[tuple[int, int]] = []
    original = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):  # type: ignore[no-untyped-def]
        requested.append(size)
        return original(self, mode, size)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    data = photos.jpeg_with_gps(2400, 1600, orientation=1)
    inspect_image(data)
    assert requested == []   # validation alone decodes at full scale
    derivatives = make_derivatives(data, creator="x", widths=(320, 640))
    assert requested and requested[0][0] >= 640 and requested[0][0] < 2400
    assert [(d.width, d.height) for d in derivatives] == [(320, 213), (640, 427)]
    assert mean_difference(open_webp(derivatives[1]), photos.two_tone(2400, 1600)) < 4


# --- colour ------------------------------------------------------------------------------

def test_cmyk_jpeg_becomes_rgb() -> None:
    data = photos.cmyk_jpeg()
    assert Image.open(io.BytesIO(data)).mode == "CMYK"
    (d,) = make_derivatives(data, creator="x")
    im = assert_clean_derivative(d, "x")
    assert im.mode == "RGB"
    r, g, b = im.getpixel((10, 10))
    assert r > 200 and g < 60 and b < 60


def test_wide_gamut_profile_is_converted_to_srgb() -> None:
    icc = photos.wide_gamut_icc()
    source_colour = (200, 100, 50)
    expected = ImageCms.profileToProfile(
        Image.new("RGB", (1, 1), source_colour), ImageCms.ImageCmsProfile(io.BytesIO(icc)),
        ImageCms.createProfile("sRGB")).getpixel((0, 0))
    assert not close(expected, source_colour, 20), "profile must be wide enough to matter"

    (d,) = make_derivatives(photos.png_with_icc(source_colour, icc), creator="x")
    im = assert_clean_derivative(d, "x")   # also: no ICC profile in the output
    assert close(im.getpixel((24, 16)), expected, 6)


def test_srgb_tagged_and_untagged_pixels_are_kept() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    for data in (photos.png_with_icc((200, 100, 50), srgb), photos.png_bytes(color=(200, 100, 50))):
        (d,) = make_derivatives(data, creator="x")
        assert close(open_webp(d).getpixel((20, 10)), (200, 100, 50), 4)


def test_garbage_icc_profile_is_ignored_not_fatal() -> None:
    data = photos.png_with_icc((200, 100, 50), b"not an icc profile" * 10)
    (d,) = make_derivatives(data, creator="x")
    assert close(open_webp(d).getpixel((20, 10)), (200, 100, 50), 4)


def test_sixteen_bit_grey_is_scaled_not_clipped() -> None:
    data = photos.png_sixteen_bit_grey(32768)
    assert Image.open(io.BytesIO(data)).mode.startswith("I")
    (d,) = make_derivatives(data, creator="x")
    assert close(open_webp(d).getpixel((5, 5)), (128, 128, 128), 3)


def test_palette_transparency_becomes_alpha() -> None:
    data = photos.png_palette_with_transparency()
    assert inspect_image(data).has_alpha
    (d,) = make_derivatives(data, creator="x")
    im = open_webp(d)
    assert im.mode == "RGBA"
    assert im.getpixel((2, 5))[3] == 0
    assert im.getpixel((17, 5))[3] == 255 and close(im.getpixel((17, 5))[:3], photos.RED, 8)


@pytest.mark.parametrize(("mode", "colour", "alpha"), [
    ("LA", (90, 128), True), ("RGBA", (10, 200, 30, 100), True), ("L", 77, False),
    ("1", 1, False), ("P", 3, False),
])
def test_modes_end_as_rgb_or_rgba(mode: str, colour: object, alpha: bool) -> None:
    data = photos.png_bytes(16, 16, mode=mode, color=colour)
    assert inspect_image(data).has_alpha is alpha
    (d,) = make_derivatives(data, creator="x")
    assert open_webp(d).mode == ("RGBA" if alpha else "RGB")


@pytest.mark.parametrize("build", [photos.gif_animated, photos.apng_animated,
                                   photos.webp_animated])
def test_animations_give_static_first_frame(build) -> None:
    data = build(4)
    assert inspect_image(data).frames == 4
    (d,) = make_derivatives(data, creator="x")
    im = open_webp(d)
    assert getattr(im, "n_frames", 1) == 1
    assert close(im.getpixel((5, 5)), photos.first_frame_color(4), 4)


def test_mpo_is_a_single_frame_jpeg() -> None:
    info = inspect_image(photos.mpo_bytes())
    assert (info.format, info.frames, info.width) == ("jpeg", 1, 40)


def test_avif_with_alpha() -> None:
    data = photos.avif_bytes(mode="RGBA", color=(10, 200, 30, 0))
    info = inspect_image(data)
    assert (info.format, info.has_alpha) == ("avif", True)
    (d,) = make_derivatives(data, creator="x")
    assert open_webp(d).getpixel((3, 3))[3] == 0


# --- real-world corpus (python-pillow/Pillow Tests/images) --------------------------------

CORPUS_GOOD = [
    "hopper.jpg", "hopper.png", "hopper.webp", "hopper.gif", "hopper_gray.jpg",
    "flower.jpg", "flower2.webp", "pil_sample_rgb.jpg", "pil_sample_cmyk.jpg",
    "hopper_orientation_3.jpg", "hopper_orientation_6.jpg", "hopper_orientation_8.jpg",
    "hopper_orientation_5.webp",
    "avif_exif.avif", "avif_rot1mir1.avif", "avif_transparency.avif",
    "avif_xmp_tags_orientation.avif",
    "icc_profile.png", "exif.png", "itxt_chunks.png", "l_trns.png", "tiny.png",
    "palette_negative.png",
    "photoshop-200dpi.jpg", "photoshop-200dpi-broken.jpg", "jpeg_ff00_header.jpg",
    "icc-after-SOF.jpg",  # its ICC profile does not parse: ignored, pixels kept
    "iptc.jpg", "xmp_padded.jpg", "xmp_no_prefix.jpg", "multiple_exif.jpg",
    "exif_gps.jpg", "exif_gps_typeerror.jpg", "invalid-exif.jpg", "hopper_bad_exif.jpg",
    "broken_exif_dpi.jpg", "truncated_exif_dpi.jpg", "hopper_16bit_qtables.jpg",
    "apng_mode_16bit.png", "apng_dispose_op_previous.png",
    "dispose_bgnd.gif", "comment_after_last_frame.gif", "duplicate_frame.gif",
    # Despite its name only an APP14 segment is short; Pillow 13 decodes every pixel.
    "truncated_app14.jpg",
]
CORPUS_BAD = {
    "broken.png": "corrupt_image",                # PNG signature, then noise
    "broken_data_stream.png": "corrupt_image",    # IDAT is not a valid zlib stream
    "truncated_image.png": "corrupt_image",
    "truncated_end_chunk.png": "corrupt_image",
    "truncated_jpeg.jpg": "corrupt_image",
    "decompression_bomb.gif": "too_many_pixels",  # header claims ~4.4 gigapixels
    "decompression_bomb_extents.gif": "too_many_pixels",  # 2nd frame grows the canvas
    "apng_syntax_num_frames_zero.png": "corrupt_image",   # acTL with 0 frames and no IDAT
    "apng_sequence_gap.png": "corrupt_image",     # fcTL/fdAT sequence numbers skip
}
ORIENTED = ["hopper_orientation_3.jpg", "hopper_orientation_6.jpg", "hopper_orientation_8.jpg",
            "hopper_orientation_5.webp", "avif_rot1mir1.avif", "avif_xmp_tags_orientation.avif"]


def corpus_bytes(name: str) -> bytes:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"image corpus not found at {CORPUS} (shared/corpus is outside the repo)")
    return path.read_bytes()


def expected_widths(source_width: int, widths: tuple[int, ...] = (320, 640, 1280, 2048)) -> list[int]:
    chosen = [w for w in widths if w <= source_width]
    if source_width < max(widths) and source_width not in chosen:
        chosen.append(source_width)
    return sorted(chosen)


@pytest.mark.parametrize("name", CORPUS_GOOD)
def test_corpus_good_files_produce_clean_derivatives(name: str) -> None:
    data = corpus_bytes(name)
    info = inspect_image(data)
    assert info.format == sniff_format(data)
    derivatives = make_derivatives(data, creator="Corpus Artist")
    assert [d.width for d in derivatives] == expected_widths(info.width)
    for d in derivatives:
        im = assert_clean_derivative(d, "Corpus Artist")
        assert abs(d.height - info.height * d.width / info.width) <= 1
        if not info.has_alpha:
            assert im.mode == "RGB"


@pytest.mark.parametrize(("name", "code"), sorted(CORPUS_BAD.items()))
def test_corpus_bad_files_are_rejected(name: str, code: str) -> None:
    data = corpus_bytes(name)
    assert rejected(data).code == code
    with pytest.raises(ImageRejected) as caught:
        make_derivatives(data, creator="x")
    assert caught.value.code == code


def test_corpus_gps_never_survives() -> None:
    data = corpus_bytes("exif_gps.jpg")
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825), "corpus file lost its GPS?"
    for d in make_derivatives(data, creator="x"):
        assert_clean_derivative(d, "x")


@pytest.mark.parametrize("name", ORIENTED)
def test_corpus_orientation_matches_exif_transpose(name: str) -> None:
    data = corpus_bytes(name)
    source = Image.open(io.BytesIO(data))
    expected = ImageOps.exif_transpose(source).convert("RGB")
    if icc := source.info.get("icc_profile"):
        # avif_xmp_tags_orientation.avif is tagged ColorMatch RGB (gamma 1.8): the
        # derivative is colour-managed to sRGB, so the oracle must be too.
        expected = ImageCms.profileToProfile(expected, ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                             ImageCms.createProfile("sRGB"))
    derivative = make_derivatives(data, creator="x")[-1]
    im = open_webp(derivative)
    assert im.size == expected.size
    assert mean_difference(im, expected) < 6
    # And the rotation really happened (hopper is not symmetric).
    if source.size == expected.size:
        assert mean_difference(im, source) > 15


def test_corpus_cmyk_sample_matches_rgb_sample() -> None:
    cmyk = make_derivatives(corpus_bytes("pil_sample_cmyk.jpg"), creator="x")[0]
    rgb = make_derivatives(corpus_bytes("pil_sample_rgb.jpg"), creator="x")[0]
    assert open_webp(cmyk).mode == "RGB"
    assert mean_difference(open_webp(cmyk), open_webp(rgb)) < 20
