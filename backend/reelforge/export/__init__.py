"""Exports: a timeline snapshot rendered incrementally from cached, normalised segment clips."""
