"""`python -m reelforge` is the same as the `reelforge` console script."""

from reelforge.cli import main

raise SystemExit(main())
