"""The words nlp's output is made of, defined once for the whole project: the incident types an
Extraction can carry and the languages the pipeline reads (alert rules, the CLI and search use these)."""
from __future__ import annotations

INCIDENT_TYPES = (
    "kidnapping", "detention", "torture", "death", "rescue", "repatriation", "scam_recruitment", "arrest", "advisory",
)
LANGUAGES = ("en", "ko", "km")
