"""Atomic file output: write under `<name>.part`, rename over the final name when whole.

A reader (FFmpeg, the media endpoint, a resumed job) therefore sees the old file or the complete
new one, never a half-written file under the final name; a crash leaves only a `.part` file,
which the pipeline runner deletes before it resumes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield the `.part` path to write; rename it to `path` on success, remove it on failure."""
    part = path.with_name(path.name + ".part")
    try:
        yield part
        os.replace(part, path)
    except BaseException:
        with contextlib.suppress(OSError):
            part.unlink()
        raise


def link_or_copy(source: Path, dest: Path) -> None:
    """Put `source` at `dest` as a hard link (a copy across file systems), atomically.

    Files made by jobs are never changed in place (every write is a new file renamed over the
    old name), so a link shares the bytes safely: rewriting either name leaves the other alone.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(dest) as part:
        try:
            os.link(source, part)
        except OSError:
            shutil.copyfile(source, part)
