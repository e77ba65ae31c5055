"""deskwatch NLP: text in, an `Extraction` out (places, victim ages, ransoms, incident types).

Pure: imports nothing from the rest of the project. See docs/ARCHITECTURE.md. The spaCy pipeline loads
on first use of `extract`, `build_nlp`, `Extraction` or `PIPELINE_VERSION`, so importing a light
module such as `nlp.vocabulary` does not load spaCy.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nlp.lang import detect_language
    from nlp.pipeline import PIPELINE_VERSION, Extraction, build_nlp, extract

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["PIPELINE_VERSION", "Extraction", "build_nlp", "detect_language", "extract"]


def __getattr__(name: str) -> Any:
    """The public names, imported on first use (PEP 562)."""
    if name == "detect_language":
        from nlp import lang

        value: Any = lang.detect_language
    elif name in __all__:
        from nlp import pipeline

        value = getattr(pipeline, name)
    else:
        raise AttributeError(f"module 'nlp' has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip this function
    return value
