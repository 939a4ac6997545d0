"""The editing timeline: segments over assets, pure edits, and versions for undo/redo."""
