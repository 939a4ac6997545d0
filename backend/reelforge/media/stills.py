"""Stills from elsewhere (an image provider's answer) made to fit a frame or a box."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageOps

from reelforge.files import atomic_output


class StillUnreadable(ValueError):
    """The bytes are not an image Pillow can decode."""


def save_fitted(data: bytes, path: Path, size: tuple[int, int]) -> None:
    """Decode an image, crop it to fill `size` (centre crop, never stretched), write it as PNG
    atomically. Raises StillUnreadable for bytes that are not an image."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            fitted = ImageOps.fit(image.convert("RGB"), size, Image.Resampling.LANCZOS)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise StillUnreadable(str(exc)) from exc
    with atomic_output(path) as part:
        fitted.save(part, format="PNG")
