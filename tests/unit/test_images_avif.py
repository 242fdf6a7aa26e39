"""AVIF beside WebP (issue 15): at the widths asked for, an AVIF at least as close to the
source as the WebP (SSIM on luma), and only when smaller; never for other widths."""
from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFilter

from chalicelib.images.pipeline import make_derivatives
from chalicelib.images.quality import ssim


def painting(width: int = 1400, height: int = 900) -> bytes:
    """Smooth gradients and soft shapes, like digital art (where AVIF is expected to win)."""
    im = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(im)
    for i in range(12):
        x, y = (i * 211) % width, (i * 137) % height
        draw.ellipse((x, y, x + 260, y + 200), fill=(40 + i * 15, 120, 200 - i * 10))
    im = im.filter(ImageFilter.GaussianBlur(6))
    out = io.BytesIO()
    im.save(out, format="PNG")
    return out.getvalue()


def test_ssim_is_one_for_identical_images_and_lower_for_damaged_ones():
    im = Image.open(io.BytesIO(painting(320, 200))).convert("RGB")
    assert ssim(im, im) == 1.0
    noisy = Image.blend(im, Image.effect_noise(im.size, 60).convert("RGB"), 0.3)
    assert ssim(im, noisy) < 0.9


def test_avif_matches_webp_quality_and_is_smaller():
    data = painting()
    out = make_derivatives(data, creator="Ada", widths=(320, 640, 1280), avif_widths=(640, 1280))
    by = {(d.width, d.content_type): d for d in out}
    assert {w for w, ct in by if ct == "image/avif"} == {640, 1280}
    source = Image.open(io.BytesIO(data)).convert("RGB")
    for width in (640, 1280):
        webp, avif = by[(width, "image/webp")], by[(width, "image/avif")]
        assert len(avif.data) < len(webp.data)
        reference = source.resize((width, webp.height), Image.Resampling.LANCZOS)
        with Image.open(io.BytesIO(avif.data)) as a, Image.open(io.BytesIO(webp.data)) as w:
            assert a.format == "AVIF" and b"DMI-PROHIBITED-AIMLTRAINING" in (a.info.get("xmp") or b"")
            # Measured against our own resize (not the pipeline's exact reference): a margin.
            assert ssim(reference, a.convert("RGB")) >= ssim(reference, w.convert("RGB")) - 0.01
    # WebP first at each width, so clients that take the first variant keep getting WebP.
    assert [d.content_type for d in out if d.width == 640] == ["image/webp", "image/avif"]


def test_no_avif_unless_asked():
    assert all(d.content_type == "image/webp" for d in make_derivatives(painting(700, 400), creator="Ada"))
