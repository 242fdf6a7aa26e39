"""Image fuzz set through the real upload handler (issue 14): malformed EXIF, truncated files,
decompression bombs, a polyglot, huge metadata, 16-bit, CMYK, animated — each upload must end
in a final state (published, held_for_review or rejected) within its budget, and none may fail
its message (a failed message is a post stuck in `processing` until the DLQ).

`make test` sends the malformed-EXIF group and a few hostile files; `FUZZ_ALL_IMAGES=1` (set by
`make fuzz`) sends the whole shared corpus as well."""
from __future__ import annotations

import io
import os
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, PngImagePlugin

from local.worker import Worker
from tests.helpers import call, post_upload, signup

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
FINAL = {"published", "held_for_review", "rejected"}
TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp", ".gif": "image/gif", ".avif": "image/avif"}
ALWAYS = ["invalid-exif.jpg", "truncated_exif_dpi.jpg", "broken_exif_dpi.jpg", "hopper_bad_exif.jpg",
          "exif_gps_typeerror.jpg", "truncated_jpeg.jpg", "decompression_bomb.gif", "pil_sample_cmyk.jpg",
          "apng_mode_16bit.png", "duplicate_frame.gif"]
BUDGET_S = 60.0  # per upload, from its event to its decision, on a loaded CI machine


def _synthetic() -> dict[str, tuple[str, bytes]]:
    art = Image.new("RGB", (320, 240), (30, 90, 160))
    for x in range(0, 320, 16):
        art.paste((x % 255, 200, 40), (x, 0, x + 8, 240))
    jpeg = io.BytesIO()
    art.save(jpeg, format="JPEG", quality=85)
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("payload.txt", "not an image")
    huge = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "x" * 2_000_000)  # 2 MB of text metadata
    art.save(huge, format="PNG", pnginfo=info)
    sixteen = io.BytesIO()
    Image.new("I;16", (200, 150), 40000).save(sixteen, format="PNG")
    return {"polyglot.jpg": ("image/jpeg", jpeg.getvalue() + zipped.getvalue()),
            "huge_text_chunk.png": ("image/png", huge.getvalue()),
            "sixteen_bit_grey.png": ("image/png", sixteen.getvalue())}


def _files() -> dict[str, tuple[str, bytes]]:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    names = sorted(p.name for p in (CORPUS / "pillow").iterdir()) if os.environ.get("FUZZ_ALL_IMAGES") else ALWAYS
    files = {n: (TYPES[Path(n).suffix], (CORPUS / "pillow" / n).read_bytes()) for n in names}
    if os.environ.get("FUZZ_ALL_IMAGES"):
        files.update({f"c2pa/{p.name}": (TYPES[p.suffix], p.read_bytes()) for p in sorted((CORPUS / "c2pa").iterdir())})
    files.update(_synthetic())
    return files


def test_every_fuzz_file_ends_in_a_final_state(client: Any, easel_app: Any) -> None:
    artist = signup(client)
    posts: dict[str, str] = {}
    for name, (content_type, data) in _files().items():
        status, created, _ = call(client, "POST", "/v1/posts", {"title": name[:100], "content_type": content_type,
                                                                 "content_length": len(data)}, token=artist["access_token"])
        assert status == 201, (name, created)
        assert post_upload(created["upload"], data, filename=name).status_code in (200, 204), name
        posts[name] = created["post"]["id"]
    worker = Worker(os.environ["UPLOAD_QUEUE_URL"], easel_app.handle_uploads, wait_s=0, batch_size=5,
                    visibility_timeout_s=0)
    started = time.monotonic()
    deadline = started + BUDGET_S * max(1, len(posts) // 5)
    states: dict[str, str] = {}
    while time.monotonic() < deadline:
        worker.poll_once()
        states = {n: call(client, "GET", f"/v1/posts/{pid}", token=artist["access_token"])[1]["status"]
                  for n, pid in posts.items()}
        if all(s in FINAL for s in states.values()):
            break
    stuck = {n: s for n, s in states.items() if s not in FINAL}
    assert not stuck, f"not final after {time.monotonic() - started:.0f}s: {stuck}"
    dlq = worker.sqs.get_queue_attributes(QueueUrl=os.environ["UPLOAD_DLQ_URL"],
                                          AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert dlq["ApproximateNumberOfMessages"] == "0"  # no upload's message failed its way there
    print({n: s for n, s in sorted(states.items())})
