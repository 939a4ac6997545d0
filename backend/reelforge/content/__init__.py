"""Source material: documents parsed to text, and the writers that turn sources into scenes."""
