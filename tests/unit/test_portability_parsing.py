"""Archive reading rules (chalicelib/domain/portability.py): layouts, text repair, caps."""
from __future__ import annotations

import zipfile

import pytest

from chalicelib.domain import portability as P
from tests.fixtures.instagram import mojibake


@pytest.mark.parametrize("name,root", [
    ("content/posts_1.json", ""),
    ("your_instagram_activity/content/posts_1.json", ""),
    ("your_instagram_activity/media/posts_3.json", ""),
    ("ig-export/content/posts_1.json", "ig-export/"),
    ("ig-export/your_instagram_activity/media/posts_1.json", "ig-export/"),
])
def test_posts_files_in_every_layout(name, root):
    found_root, files = P.instagram_posts_files([name, "media/posts/a.jpg"])
    assert (found_root, files) == (root, [name])


def test_large_accounts_have_several_posts_files_in_order():
    names = [f"content/posts_{n}.json" for n in (2, 10, 1)]
    assert P.instagram_posts_files(names)[1] == ["content/posts_1.json", "content/posts_2.json",
                                                 "content/posts_10.json"]


def test_text_repair_titles_and_tags():
    caption = mojibake("Crème brûlée 🍮\nsecond line #Pâtisserie #ink #ink")
    assert P.repair_text(caption) == "Crème brûlée 🍮\nsecond line #Pâtisserie #ink #ink"
    assert P.repair_text("déjà correct ✓") == "déjà correct ✓"  # real Unicode is left alone
    title, description = P.title_and_description(P.repair_text(caption))
    assert title == "Crème brûlée 🍮" and description.endswith("#ink")
    assert P.hashtags(P.repair_text(caption)) == ["pâtisserie", "ink"]
    assert P.title_and_description("   ") == ("Untitled", None)
    assert len(P.title_and_description("x" * 500)[0]) == 200


@pytest.mark.parametrize("name,why", [
    ("../etc/passwd", "'..'"), ("/abs/file.jpg", "absolute"), ("C:/x.jpg", "absolute"),
    ("media\\x.jpg", "backslash"), ("a/../../b", "'..'"),
])
def test_unsafe_names(name, why):
    assert why in (P.unsafe_name(name) or "")


def _info(name: str, size: int, compressed: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.file_size, info.compress_size = size, compressed
    return info


def test_caps_on_count_total_and_ratio():
    caps = {"max_entries": 3, "max_total": 10_000_000, "max_ratio": 100, "max_member": 1}
    with pytest.raises(P.ArchiveRefused) as exc:
        P.check_members([_info(f"f{i}", 1, 1) for i in range(4)], **caps)
    assert exc.value.code == "too_many_entries"
    with pytest.raises(P.ArchiveRefused) as exc:
        P.check_members([_info("big", 20_000_000, 20_000_000)], **caps)
    assert exc.value.code == "archive_too_large"
    with pytest.raises(P.ArchiveRefused) as exc:
        P.check_members([_info("bomb", 5_000_000, 1000)], **caps)
    assert exc.value.code == "zip_bomb"
    index = P.check_members([_info("ok.jpg", 10, 10), _info("../x", 1, 1)], **caps)
    assert list(index.names) == ["ok.jpg"] and "'..'" in index.notes[0]


def test_identity_is_stable_and_carousels_are_split():
    members = {f"m/{i}.jpg": _info(f"m/{i}.jpg", 1, 1) for i in range(23)}
    doc = [{"media": [{"uri": f"m/{i}.jpg", "creation_timestamp": 1} for i in range(23)], "title": "Big",
            "creation_timestamp": 1}]
    first = P.plan_instagram({"content/posts_1.json": doc}, "", members)
    again = P.plan_instagram({"content/posts_1.json": doc}, "", members)
    assert first[0].identity == again[0].identity
    posts, collections = P.split_long(first)
    assert [len(p.media) for p in posts] == [10, 10, 3]
    assert [p.title for p in posts] == ["Big", "Big (2/3)", "Big (3/3)"]
    assert collections == [{"title": "Big", "description": None, "positions": [0, 1, 2]}]
    duplicate = P.plan_instagram({"content/posts_1.json": doc + doc}, "", members)
    assert [p.status for p in duplicate] == ["pending", "skipped"]
