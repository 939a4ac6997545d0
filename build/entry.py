"""Entry point of the PyInstaller bundle: the same `reelforge` command as the console script.

Kept outside the package so PyInstaller analyses `reelforge` as an ordinary package (its
modules go into the archive and `reelforge.__file__` points inside the bundle, next to the data
files collected for it).
"""

from reelforge.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
