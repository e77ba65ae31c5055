"""Small text helpers shared by the components: keyword tables, sentences, cue polarity, numbers."""
from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, cast

DATA_DIR = Path(__file__).parent / "data"
KHMER_DIGITS = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")
_KHMER_DIGIT = re.compile("[០-៩]")
_SENT_END = re.compile(r"(?<=[.!?។])[\"'”’)]*\s+|\n+")


@cache
def load_toml(name: str) -> dict[str, Any]:
    with (DATA_DIR / name).open("rb") as fh:
        return tomllib.load(fh)


def compile_terms(terms: Iterable[str], lang: str) -> re.Pattern[str]:
    """One alternation; English is case-insensitive with a word start, ko/km plain substrings."""
    body = "|".join(f"(?:{t})" for t in terms)
    if lang == "en":
        return re.compile(rf"(?<![A-Za-z])(?:{body})", re.IGNORECASE)
    return re.compile(body)


_LITERAL_START = re.compile(r"[^\\()\[\]{}|.*+?^$]")


class AnyTerm:
    """Whether a text holds any of `terms` (as ``compile_terms(terms, lang).search`` says), faster.

    Python's regex engine skips ahead to the possible first characters of an alternation only when
    every alternative starts with a literal; one term that starts with a group or a look-behind makes
    it try every position, so such terms are searched apart. English is case-insensitive, which gets
    no skipping at all: there the terms that start with a letter are grouped by that letter
    (kidnap|Korea → k(?:idnap|orea)), so each word start tries one group, not every term. Only a
    yes/no is asked, so neither split nor grouping can change the answer.
    """

    def __init__(self, terms: Iterable[str], lang: str) -> None:
        terms = list(terms)
        if lang == "en":
            groups: dict[str, list[str]] = {}
            for term in terms:
                if _first_letter_splits(term):
                    groups.setdefault(term[0].lower(), []).append(term[1:])
            rest = [t for t in terms if not _first_letter_splits(t)]
            grouped = [f"{letter}(?:{'|'.join(f'(?:{t})' for t in tails)})" for letter, tails in groups.items()]
            self.patterns = [compile_terms(group, lang) for group in (grouped, rest) if group]
        else:
            literal = [t for t in terms if _LITERAL_START.match(t)]
            rest = [t for t in terms if t not in literal]
            self.patterns = [compile_terms(group, lang) for group in (literal, rest) if group]

    def search(self, text: str) -> bool:
        return any(p.search(text) for p in self.patterns)


class MatchScan:
    """Each pattern's matches, as its own ``finditer`` gives them, from one pass over the text.

    `finders` together match wherever any of `patterns` does (an alternation of them all, or an
    AnyTerm's patterns). The pass visits each such position once and tries there, anchored, each
    pattern whose previous match has ended: a pattern's next match can start nowhere else. For patterns
    that never match the empty string. A caller may add a pattern's index to `done` to stop its matches.
    """

    def __init__(self, patterns: list[re.Pattern[str]], finders: list[re.Pattern[str]]) -> None:
        self.patterns, self.finders = patterns, finders

    def matches(self, text: str, done: set[int] | None = None) -> Iterator[tuple[int, re.Match[str]]]:
        done = set() if done is None else done
        resume = [0] * len(self.patterns)
        ahead: list[int | None] = [None] * len(self.finders)  # each finder's next match start (-1: none)
        pos = 0
        while len(done) < len(self.patterns):
            at = self._next_start(text, pos, ahead)
            if at < 0:
                return
            for i, pattern in enumerate(self.patterns):
                if i not in done and at >= resume[i] and (m := pattern.match(text, at)):
                    resume[i] = max(m.end(), at + 1)
                    yield i, m
            pos = at + 1

    def _next_start(self, text: str, pos: int, ahead: list[int | None]) -> int:
        best = -1
        for k, finder in enumerate(self.finders):
            start = ahead[k]
            if start is None or 0 <= start < pos:
                m = finder.search(text, pos)
                start = ahead[k] = m.start() if m else -1
            if start >= 0 and (best < 0 or start < best):
                best = start
        return best


def _first_letter_splits(term: str) -> bool:
    """Is `term` an ASCII letter followed by the rest of one sequence (no quantifier on the letter,
    no alternation at its top level), so that term == letter + term[1:]?"""
    if not (term[:1].isascii() and term[:1].isalpha()) or term[1:2] in ("?", "*", "+", "{"):
        return False
    depth, i, in_class = 0, 0, False
    while i < len(term):
        ch = term[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if term[i + 1:i + 2] == "]":  # a ']' first in a class is a literal
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            return False
        i += 1
    return True


@lru_cache(maxsize=16)
def to_ascii_digits(text: str) -> str:
    """Khmer digits → ASCII digits; same length, so offsets are unchanged."""
    if not _KHMER_DIGIT.search(text):
        return text
    return text.translate(KHMER_DIGITS)


def sentence_bounds(text: str, pos: int, lookback: int = 600) -> tuple[int, int]:
    """Start/end of the sentence around `pos` (cheap splitter on . ! ? ។ and newlines); looks back at
    most `lookback` characters, so asking for every number of a long text stays linear."""
    start = max(0, pos - lookback)
    for m in _SENT_END.finditer(text, start, pos):
        start = m.end()
    end = _SENT_END.search(text, pos)
    return start, (end.start() if end else len(text))


def nearest_cue(text: str, start: int, end: int, cues: dict[str, re.Pattern[str]],
                before: int = 90, after: int = 70) -> tuple[str | None, int]:
    """The label of the cue closest to text[start:end] within its sentence, and its distance."""
    s_start, s_end = sentence_bounds(text, start)
    lo, hi = max(s_start, start - before), min(s_end, end + after)
    best: tuple[str | None, int] = (None, 10**9)
    for label, pattern in cues.items():
        for m in pattern.finditer(text, lo, hi):
            if m.start() >= start and m.end() <= end:
                continue
            dist = start - m.end() if m.end() <= start else m.start() - end
            dist = max(dist, 0)
            if dist < best[1] or (dist == best[1] and label == "neg"):
                best = (label, dist)
    return best


def parse_number(raw: str) -> float | None:
    """'1,234.5' → 1234.5; Khmer digits accepted; None if not a number."""
    cleaned = to_ascii_digits(raw).replace(",", "").replace(" ", "")
    try:
        return float(cleaned)
    except ValueError:
        return None


def doc_text(doc: Any) -> str:
    """doc.text rebuilds the string from every token on each access; keep one copy per Doc."""
    text: str | None = doc.user_data.get("deskwatch_text")
    if text is None:
        text = doc.user_data["deskwatch_text"] = doc.text
    return cast(str, text)
