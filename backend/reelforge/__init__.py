"""Reelforge: a local-first AI video studio backend."""

__version__ = "0.1.0"
