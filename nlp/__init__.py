"""deskwatch NLP: text in, an `Extraction` out (places, victim ages, ransoms, incident types).

Pure: imports nothing from the rest of the project. See DESIGN.md, "Extraction contract".
"""
from __future__ import annotations

import logging

from nlp.lang import detect_language
from nlp.pipeline import PIPELINE_VERSION, Extraction, build_nlp, extract

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["PIPELINE_VERSION", "Extraction", "build_nlp", "detect_language", "extract"]
