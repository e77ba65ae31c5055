"""Ransoms: money demanded or paid for someone's release, attached to the payment phrase it belongs to.

A sum is a ransom when a ransom noun names it ("a ransom of X", 몸값 X, ប្រាក់លោះ X), or when a demand or
payment verb governs it (demanded X, X을 보내라, ទារ X) in a sentence about someone held or let go; a
nearer phrase of another kind (wages, job offers, fines, bail, loans, losses, seized sums, budgets)
says no. Frames are data: nlp/data/ransom_frames.toml. Amount parsing lives in nlp/numbers.py.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from spacy.language import Language
from spacy.tokens import Doc, Span

from nlp.context import doc_text, load_toml, sentence_bounds, to_ascii_digits
from nlp.numbers import MoneyHit, find_money, korean_number
from nlp.vocabulary import LANGUAGES

__all__ = ["MoneyHit", "RansomRecognizer", "find_money", "find_ransoms", "korean_number"]

if not Span.has_extension("ransom"):
    Span.set_extension("ransom", default=None)

_BRACKETED = re.compile(r"\s?[(（][^()（）]{0,60}[)）]")
_CLAUSE_BREAK = re.compile(r"[;:!?]|\.\s|\bbut\b|\bwhile\b|\bwhereas\b")
NEAR = {"en": 48, "ko": 16, "km": 40}


@cache
def _frames(lang: str) -> dict[str, re.Pattern[str]]:
    flags = re.IGNORECASE if lang == "en" else 0
    return {k: re.compile(v, flags) for k, v in load_toml("ransom_frames.toml")[lang].items()}


def _windows(text: str, hit: MoneyHit) -> tuple[str, str, str]:
    """Left of the sum (this clause), right of it (brackets dropped), and this plus the previous sentence."""
    s_start, s_end = sentence_bounds(text, hit.start)
    left = text[max(s_start, hit.start - 90):hit.start]
    breaks = list(_CLAUSE_BREAK.finditer(left))
    if breaks:
        left = left[breaks[-1].end():]
    right = _BRACKETED.sub("", text[hit.end:min(s_end, hit.end + 90)])
    prev_start = sentence_bounds(text, max(0, s_start - 2))[0] if s_start else 0
    return left, right, text[prev_start:s_end]


def _last(pattern: re.Pattern[str], text: str) -> int | None:
    """Distance from the end of `text` back to the end of the last match of `pattern`, or None."""
    ends = [m.end() for m in pattern.finditer(text)]
    return len(text) - ends[-1] if ends else None


def is_ransom(text: str, hit: MoneyHit, lang: str, previous: MoneyHit | None = None) -> bool:
    """Does the sum at `hit` belong to a payment for someone's release?"""
    frames = _frames(lang)
    left, right, context = _windows(text, hit)
    if previous is not None and 0 <= hit.start - previous.end <= 60:
        between = _BRACKETED.sub("", text[previous.end:hit.start])
        if frames["breakdown"].match(between):
            return False  # "24 million won, or 6 million won for each": the same ransom per head
    if frames["noun_before"].search(left[-40:]) or frames["noun_after"].match(right):
        return True
    if frames["neg_after"].match(right):
        return False
    near = left[-NEAR[lang]:]
    neg = _last(frames["neg_before"], near)
    demand = frames["demand"].match(right) if lang == "ko" else None
    demand_at = 0 if demand else _last(frames["demand"], near if lang != "ko" else "")
    if neg is not None and (demand_at is None or neg <= demand_at):
        return False
    return demand_at is not None and bool(frames["release"].search(context))


def find_ransoms(text: str, lang: str) -> list[MoneyHit]:
    """The money mentions of `text` that are ransoms."""
    norm = to_ascii_digits(text)
    out: list[MoneyHit] = []
    previous: MoneyHit | None = None
    for hit in find_money(text, lang):
        if is_ransom(norm, hit, lang, previous):
            out.append(hit)
            previous = hit
        else:
            previous = None
    return out


class RansomRecognizer:
    """Writes doc.spans['ransoms'] with Span._.ransom = MoneyHit."""

    def __init__(self, nlp: Language, name: str, lang: str) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"deskwatch_ransoms_v2: unsupported lang {lang!r}")
        self.name, self.lang = name, lang
        _frames(lang)  # fail at build time on a broken frames file

    def __call__(self, doc: Doc) -> Doc:
        if doc._.relevant is False:  # the incident gate ran first and said no
            doc.spans["ransoms"] = []
            return doc
        spans = []
        for hit in find_ransoms(doc_text(doc), self.lang):
            span = doc.char_span(hit.start, hit.end, label="RANSOM", alignment_mode="expand")
            if span is not None:
                span._.ransom = hit
                spans.append(span)
        doc.spans["ransoms"] = spans
        return doc


@Language.factory("deskwatch_ransoms_v2", default_config={"lang": "en"})
def make_ransom_recognizer(nlp: Language, name: str, lang: str) -> Callable[[Doc], Doc]:
    return RansomRecognizer(nlp, name, lang)
