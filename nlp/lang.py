"""Language detection by script: Hangul → ko, Khmer → km, otherwise en."""
from __future__ import annotations

import re

from nlp.vocabulary import LANGUAGES

_HANGUL = re.compile("[\uac00-\ud7a3\u3131-\u318e]+")
_KHMER = re.compile("[\u1780-\u17ff]+")
_LATIN = re.compile("[A-Za-z]+")
_SAMPLE = 1500


def detect_language(text: str) -> str:
    """Return 'ko', 'km' or 'en' from the share of each script in the first few KB.

    A Korean or Khmer article quoting English names still has far more native letters, so a
    script majority among letters is enough; anything without Hangul/Khmer is treated as English.
    """
    sample = text[:_SAMPLE]
    counts = {"ko": _count(_HANGUL, sample), "km": _count(_KHMER, sample)}
    native = max(("ko", "km"), key=counts.__getitem__)
    # The scripts do not overlap, so Latin letters are at most the rest of the sample: often no need to count.
    if counts[native] and (counts[native] * 4 >= len(sample) or counts[native] * 3 >= _count(_LATIN, sample)):
        return native
    return "en"


def _count(letters: re.Pattern[str], sample: str) -> int:
    """How many characters of `sample` the runs of `letters` cover (without a list of them)."""
    return len(sample) - len(letters.sub("", sample))


def normalize_lang(lang: str | None, text: str) -> str:
    """Validate a forced language or detect one."""
    if lang is None or lang == "":
        return detect_language(text)
    code = lang.lower().split("-")[0].split("_")[0]
    if code not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    return code
