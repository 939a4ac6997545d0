"""AI region edits: a prompt, a time range and a box become rendered variants of that range."""
