"""Where a line of text may break, for the slides' text boxes and the burned-in captions alike:
the kinsoku rules of Chinese and Japanese and which characters count as CJK."""

from __future__ import annotations

__all__ = ["NO_END", "NO_START", "is_cjk"]

# Kinsoku: characters that may not start a line, and that may not end one.
NO_START = frozenset(
    "、。，．,.!?！？)）]］}｝〕〉》」』】〙〗〟’”｠»ゝゞーァィゥェォッャュョヮヵヶぁぃぅぇぉっゃゅょゎゕゖ"  # noqa: RUF001
    "々〻‐゠–〜～：；:;・…‥"  # noqa: RUF001
)
NO_END = frozenset("([｛〔〈《「『【〘〖〝‘“｟«（［")  # noqa: RUF001


def is_cjk(char: str) -> bool:
    """Han, kana and CJK punctuation: a line may break before and after each of them.

    Hangul is not here: Korean puts spaces between words and breaks at them.
    """
    code = ord(char)
    if 0x3130 <= code <= 0x318F or 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF:
        return False
    return (
        0x2E80 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0xFE30 <= code <= 0xFE4F
        or 0xFF00 <= code <= 0xFFEF
        or 0x20000 <= code <= 0x3FFFF
    )
