"""Victim ages: exact ages and decade ranges, kept apart; suspects' and officials' ages dropped."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache

from spacy.language import Language
from spacy.tokens import Doc, Span

from nlp.components.roles import mention_role
from nlp.context import compile_terms, doc_text, load_toml, nearest_cue, to_ascii_digits

if not Span.has_extension("age"):
    Span.set_extension("age", default=None)

_N = r"(\d{1,2})"
# (pattern, where the person noun is): "follows" = "a 22-year-old student", "precedes" = "Kim, 22,".
EXACT = {
    "en": [(rf"\b{_N}-year-old\b", "follows"), (rf"\baged {_N}\b(?! ?(?:to|and|-|–) ?\d)", "precedes"),
           (rf"(?<=[A-Za-z]), (?:then |now )?{_N},", "precedes"), (rf"(?<=[A-Za-z]) \({_N}\)", "precedes"),
           (rf"\bboth {_N}\b", "precedes"), (rf"\baged {_N} and {_N}\b", "precedes"),
           (rf"\b(?:are|were) {_N} and {_N}\b", "precedes"), (rf"\bis now {_N}\b", "precedes")],
    "ko": [(rf"(?<=[가-힣A-Za-z])\({_N}\)", "precedes"), (rf"\({_N}세[,·] ?{_N}세\)", "precedes"),
           (rf"(?<![\d~\-])(?<!\d세부터 ){_N} ?(?:세|살)(?!부터)", "follows")],
    "km": [(rf"អាយុ ?{_N} ?ឆ្នាំ", "precedes"), (rf"{_N} ?ឆ្នាំ និង", "precedes"), (rf"និង ?{_N} ?ឆ្នាំ", "precedes")],
}
RANGE_EN = [
    (rf"\bin (?:his|her|their) (early |mid-|late )?{_N}0s\b", "decade"),
    (r"\bin (?:his|her|their) (early |mid-|late )?(?:twenties|thirties|forties|fifties)\b", "word"),
    (rf"\baged between {_N} and {_N}\b", "pair"),
    (rf"\baged {_N} (?:to|-|–) ?{_N}\b", "pair"),
    (rf"\b(?:couple|men|women|group) in their {_N}0s\b", "decade0"),
]
RANGE_KO = [(r"(?<![\d~])(\d)0 ?대(?: ?(초반|중반|후반))?", "ko"), (rf"{_N}세부터 {_N}세", "pair")]
_PART = {"early ": (0, 3), "mid-": (4, 6), "late ": (5, 9), "초반": (0, 3), "중반": (4, 6), "후반": (7, 9)}


@dataclass(frozen=True)
class AgeHit:
    start: int
    end: int
    value: int | None = None
    low: int | None = None
    high: int | None = None


@cache
def _cues(lang: str) -> dict[str, re.Pattern[str]]:
    kw = load_toml("keywords.toml")["ages"]
    return {"neg": compile_terms(kw["neg"][lang], lang), "pos": compile_terms(kw["pos"][lang], lang)}


@cache
def _compiled(lang: str) -> list[tuple[re.Pattern[str], str]]:
    return [(re.compile(p), where) for p, where in EXACT[lang]]


def find_ages(text: str, lang: str) -> list[AgeHit]:
    """Exact ages and ranges of victims in `text` (Khmer digits accepted)."""
    norm = to_ascii_digits(text)
    ranges = _find_ranges(norm, lang)
    taken = [(r.start, r.end) for r in ranges]
    found: list[tuple[int, int, int, int, str]] = []  # match start/end, group start/end, where
    for pattern, where in _compiled(lang):
        for m in pattern.finditer(norm):
            for g in range(1, (m.lastindex or 0) + 1):
                s, e = m.span(g)
                if any(a <= s < b for a, b in taken) or any(f[2] == s for f in found):
                    continue
                if 1 <= int(m.group(g)) <= 99:
                    found.append((m.start(), m.end(), s, e, where))
    exact: list[AgeHit] = []
    previous: tuple[int, bool] | None = None  # end of the last age and whether it was a victim's
    for start, end, s, e, where in sorted(found, key=lambda f: f[2]):
        same_list = previous is not None and _LIST_JOIN[lang].fullmatch(norm, previous[0], start) is not None
        if lang == "en" and norm.startswith(",", start) and not _APPOSITION_HEAD.search(norm, 0, start):
            continue  # "in this case, 2, 600 hectares": a number between commas after no person
        victim = previous[1] if same_list and previous else _is_victim(norm, start, end, lang, where)
        if victim:
            exact.append(AgeHit(s, e, value=int(norm[s:e])))
        previous = (end, victim)
    return sorted(exact + ranges, key=lambda h: h.start)


# "Park, 22," needs a name or a person noun before the comma.
_APPOSITION_HEAD = re.compile(r"(?:\b[A-Z][\w'’.-]*|\b(?:man|woman|boy|girl|victim|student|tourist|worker|wife|"
                              r"husband|son|daughter|mother|father|suspect|broker|chief|officer|leader|owner|"
                              r"driver|guide|national|teacher|engineer|businessman|businesswoman))$")
# "A, 28, and B, 28," / "E씨(35)와 F씨(38)": people listed together share a role.
_LIST_JOIN = {"en": re.compile(r",?\s(?:and|or)\s[A-Z][\w'’-]*(?:\s[A-Z][\w'’-]*){0,3}"),
              "ko": re.compile(r"\)?\s?(?:씨|군|양)?\s?(?:와|과|,|·)\s?[가-힣A-Z]{1,4}"),
              "km": re.compile(r"\s?និង\s?")}


def _find_ranges(text: str, lang: str) -> list[AgeHit]:
    out: list[AgeHit] = []
    patterns = RANGE_KO if lang == "ko" else RANGE_EN if lang == "en" else []
    for pat, kind in patterns:
        for m in re.finditer(pat, text):
            low_high = _range_bounds(m, kind)
            if low_high and _is_victim(text, m.start(), m.end(), lang):
                out.append(AgeHit(m.start(), m.end(), low=low_high[0], high=low_high[1]))
    return out


def _range_bounds(m: re.Match[str], kind: str) -> tuple[int, int] | None:
    words = {"twenties": 20, "thirties": 30, "forties": 40, "fifties": 50}
    if kind == "pair":
        return int(m.group(1)), int(m.group(2))
    if kind == "word":
        base = next(v for k, v in words.items() if k in m.group())
        part = m.group(1) or ""
    elif kind == "decade":
        base, part = int(m.group(2)) * 10, m.group(1) or ""
    elif kind == "ko":
        base, part = int(m.group(1)) * 10, m.group(2) or ""
    else:
        base, part = int(m.group(1)) * 10, ""
    lo, hi = _PART.get(part, (0, 9))
    return base + lo, base + hi


@lru_cache(maxsize=1)
def _ko_topic_neg() -> re.Pattern[str]:
    neg = load_toml("keywords.toml")["ages"]["neg"]["ko"]
    return re.compile(f"(?:{'|'.join(neg)})(?:은|는|이|가) ?$")


class _LazyTopic:
    def search(self, text: str, pos: int, endpos: int) -> re.Match[str] | None:
        return _ko_topic_neg().search(text, pos, endpos)


_KO_TOPIC_NEG = _LazyTopic()


def _is_victim(text: str, start: int, end: int, lang: str, where: str = "plain") -> bool:
    """Decide by the person mention the age belongs to when it says, else by the nearest cue."""
    if where in ("follows", "precedes"):
        role = mention_role(text, start, end, lang, where)
        if role is not None:
            return role
    cues = _cues(lang)
    if where == "precedes":
        head = text[max(0, start - 25):start]
        return not (cues["neg"].search(head) or cues["neg"].match(text, end, min(len(text), end + 12)))
    if where == "follows":
        if lang == "ko" and _KO_TOPIC_NEG.search(text, max(0, start - 10), start):
            return False  # "총책은 38세": the role noun is the topic of the age
        tail = text[end:end + (12 if lang == "ko" else 30)]
        if cues["neg"].search(tail):
            return False
        if cues["pos"].search(tail):
            return True
    label, _ = nearest_cue(text, start, end, cues, before=60, after=45)
    return label != "neg"


class AgeRecognizer:
    """Writes doc.spans['victim_ages'] and doc.spans['victim_age_ranges'] (Span._.age = AgeHit)."""

    def __init__(self, nlp: Language, name: str, lang: str) -> None:
        if lang not in EXACT:
            raise ValueError(f"deskwatch_ages_v1: unsupported lang {lang!r}")
        self.name, self.lang = name, lang

    def __call__(self, doc: Doc) -> Doc:
        if doc._.relevant is False:  # the incident gate ran first and said no
            doc.spans['victim_ages'] = []
            return doc
        exact: list[Span] = []
        ranges: list[Span] = []
        for hit in find_ages(doc_text(doc), self.lang):
            span = doc.char_span(hit.start, hit.end, label="AGE", alignment_mode="expand")
            if span is None:
                continue
            span._.age = hit
            (exact if hit.value is not None else ranges).append(span)
        doc.spans["victim_ages"], doc.spans["victim_age_ranges"] = exact, ranges
        return doc


@Language.factory("deskwatch_ages_v1", default_config={"lang": "en"})
def make_age_recognizer(nlp: Language, name: str, lang: str) -> Callable[[Doc], Doc]:
    return AgeRecognizer(nlp, name, lang)
