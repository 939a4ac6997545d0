"""The NOTICE file and GET /api/about list the same bundled components, fonts included."""

from __future__ import annotations

from pathlib import Path

from reelforge.api.about import components, notice_text
from reelforge.media import music
from reelforge.media.fonts import BUNDLED_FONTS

NOTICE = Path(__file__).resolve().parents[3] / "NOTICE"


def test_notice_lists_every_component() -> None:
    assert notice_text() in NOTICE.read_text(encoding="utf-8")


def test_every_bundled_font_has_a_licence() -> None:
    listed = {c.name: c for c in components()}
    for font in BUNDLED_FONTS:
        entry = listed[font.name]
        assert entry.license == font.license and entry.license.startswith("OFL")
        assert entry.source == font.package and entry.copyright


def test_the_music_library_is_listed_with_its_licence() -> None:
    entry = next(c for c in components() if c.source == music.PACKAGE)
    assert entry.kind == "music" and entry.license == music.LICENSE == "MIT"
    assert str(len(music.library().tracks)) in entry.name
