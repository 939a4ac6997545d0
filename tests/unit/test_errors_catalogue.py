"""Every catalogue code is documented, and documented codes exist."""

from __future__ import annotations

import re
from pathlib import Path

from reelforge.errors import CATALOGUE

DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


def test_catalogue_matches_docs() -> None:
    documented = dict(re.findall(r"^\| `([A-Z_]+)` \| (\d{3}) \|", DOC.read_text(), re.M))
    assert documented == {code: str(kind.status) for code, kind in CATALOGUE.items()}
