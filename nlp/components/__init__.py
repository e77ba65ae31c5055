"""spaCy components of the deskwatch pipeline (registered on import)."""
