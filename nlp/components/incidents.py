"""Relevance (cheap, first), incident types, victim nationality and victim count."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from nlp.components import places
from nlp.context import (
    AnyTerm,
    MatchScan,
    compile_terms,
    doc_text,
    load_toml,
    nearest_cue,
    sentence_bounds,
    to_ascii_digits,
)
from nlp.vocabulary import INCIDENT_TYPES, LANGUAGES

for _name in ("relevant", "incident_types", "victim_nationality", "victim_count"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)


@cache
def _tables(lang: str) -> dict[str, Any]:
    kw = load_toml("keywords.toml")
    count = kw["count"]
    nouns = count["en_nouns"] if lang == "en" else count["ko_nouns"] if lang == "ko" else "នាក់"
    tables: dict[str, Any] = {
        "core": compile_terms(kw["relevance"]["core"][lang], lang),
        "context": compile_terms(kw["relevance"]["context"][lang], lang),
        "core_test": AnyTerm(kw["relevance"]["core"][lang], lang),
        "context_test": AnyTerm(kw["relevance"]["context"][lang], lang),
        "types": {t: compile_terms(kw["types"][t][lang], lang) for t in INCIDENT_TYPES},
        "hedged": compile_terms(kw["types_hedged"][lang], lang),
        "negated": compile_terms(kw["types_negated"][lang], lang),
        "fiction": compile_terms(kw["types_fiction"][lang], lang),
        "paid_release": compile_terms(kw["types_paid_release"][lang], lang),
        "strong_rescue": compile_terms(kw["types_paid_release"]["strong_rescue"], "en"),
        "demand": compile_terms(kw["types_paid_release"]["demand"][lang], lang),
        "legal_custody": compile_terms(kw["types_legal_custody"][lang], lang),
        "unlawful": compile_terms(kw["types_legal_custody"]["unlawful"], "en"),
        "statistic": compile_terms(count["statistic"][lang], lang),
        "official": {"neg": compile_terms(count["official"][lang], lang)},
        "nat": compile_terms(kw["nationality"][lang], lang),
        "nat_neg": compile_terms(kw["nationality_negation"][lang], lang),
        "nat_implicit": compile_terms(kw["nationality_implicit"][lang], lang),
        "nat_person": compile_terms(kw["nationality_implicit_person"][lang], lang),
        "suspect": compile_terms(kw["nationality_implicit_person"]["suspect"], "ko"),
        "suspect_en": compile_terms(kw["nationality_implicit_person"]["suspect_en"], "en"),
        "foreign_victims": compile_terms(kw["nationality_foreign"][lang], lang),
        "count_cues": {"neg": compile_terms(count["neg"][lang], lang), "pos": compile_terms(count["pos"][lang], lang)},
        "count_re": _count_regex(lang, nouns, count["en_numbers"]),
        "singular": re.compile(count.get(f"singular_{lang}", r"(?!)")),
        "numbers": count["en_numbers"],
        "any_type": AnyTerm([t for v in kw["types"].values() for t in v[lang]], lang),
    }
    tables["type_scan"] = MatchScan(list(tables["types"].values()), tables["any_type"].patterns)
    return tables


def _count_regex(lang: str, nouns: str, numbers: dict[str, int]) -> re.Pattern[str]:
    if lang == "en":
        words = "|".join(sorted(numbers, key=len, reverse=True))
        return re.compile(rf"\b(?:more than |about |some |at least |nearly )?(\d(?:[\d,]*\d)?|(?i:{words}))\s+"
                          rf"(?:[A-Za-z-]+\s+){{0,2}}?(?:{nouns})\b")
    if lang == "ko":
        return re.compile(rf"(?:{nouns})\s?(?:[가-힣]+\s)?(\d[\d,]*)\s?(?:여\s?)?명")
    return re.compile(r"(\d[\d,]*)\s?នាក់")


def korean_sentence_cue(sentence: str) -> bool:
    """Does a Korean sentence deserve full morphological analysis? (see KoreanTokenizer)"""
    tables = _tables("ko")
    return bool(tables["core"].search(sentence) or places.has_korean_place_candidate(sentence)
                or tables["any_type"].search(sentence))


def is_relevant(text: str, lang: str, title: str | None = None) -> bool:
    """Cheap gate: an incident cue and a cross-border/compound context cue somewhere in the text."""
    tables = _tables(lang)
    full = f"{title}\n{text}" if title else text
    return bool(tables["core_test"].search(full) and tables["context_test"].search(full))


FICTION_MIN_CUES = 2  # distinct fiction words that make a text a review or synopsis of a story


def incident_types(text: str, lang: str, title: str | None = None) -> list[str]:
    """Types with a cue in a sentence that reports something that happened.

    Not reports: a film or drama's plot; a cue under a hedge, plan, wish or denial ("victims can be
    detained", "plans to repatriate", "hoping to rescue him", "denied anyone was held"). A detention
    cue about a criminal suspicion types as an arrest; a release that was paid for is not a rescue.
    """
    tables = _tables(lang)
    full = f"{title}\n{text}" if title else text
    if _is_fiction(full, tables):
        return []
    paid = bool(tables["paid_release"].search(full))
    found: set[str] = set()
    names = list(tables["types"])
    done: set[int] = set()  # types whose own cue has been reported: their later cues add nothing
    for i, m in tables["type_scan"].matches(full, done):  # each type's cues, as its finditer gives them
        s_start, s_end = sentence_bounds(full, m.start())
        cue = Cue(names[i], m.start() - s_start, m.end() - s_start, lang)
        label = _reported_type(cue, full[s_start:s_end], tables, paid)
        if label:
            found.add(label)
            if label == names[i]:
                done.add(i)
    return [t for t in INCIDENT_TYPES if t in found]


@dataclass(frozen=True)
class Cue:
    """An incident cue: its type and its offsets inside its sentence."""

    type: str
    start: int
    end: int
    lang: str


HEDGE_REACH = {"ko": 40, "other": 90}  # how far a hedge or denial carries (characters)


def _is_fiction(text: str, tables: dict[str, Any]) -> bool:
    cues = {m.group().casefold() for m in tables["fiction"].finditer(text)}
    return len(cues) >= FICTION_MIN_CUES


# Where a clause ends: a hedge on the far side governs another verb ("police will search the compound
# where the men were held"; "감금됐다가 풀려났고, 다음 주 귀국할 예정").
_CLAUSE_EN = re.compile(r"[;,]|\b(?:where|who|which|after|before|because|since|when|while|but|until)\b")
_CLAUSE_KO = re.compile(r"[,;]|(?:며|고|다가|지만|는데|으나|면서)\s")


def _under(pattern: re.Pattern[str], sentence: str, cue: Cue) -> bool:
    """Does `pattern` govern the cue within its clause? English and Khmer put the modal, plan or denial
    before the verb ("can be detained", "denied that … held"); Korean after it (감금될 수 있다, 송환할 예정)."""
    if cue.lang == "ko":
        stop = _CLAUSE_KO.search(sentence, cue.end, cue.end + HEDGE_REACH["ko"])
        return bool(pattern.search(sentence, cue.end, stop.start() if stop else cue.end + HEDGE_REACH["ko"]))
    lo = max(0, cue.start - HEDGE_REACH["other"])
    for m in _CLAUSE_EN.finditer(sentence, lo, cue.start):
        lo = m.end()
    return any(m.end() <= cue.start for m in pattern.finditer(sentence, lo, cue.start))


def _reported_type(cue: Cue, sentence: str, tables: dict[str, Any], paid: bool) -> str | None:
    """The type this cue reports in its sentence, or None when the sentence reports no event."""
    if cue.type == "kidnapping" and tables["demand"].search(sentence):
        return cue.type  # a ransom demanded or paid happened, even when told with a threat ("or he would be killed")
    if _under(tables["hedged"], sentence, cue) or _under(tables["negated"], sentence, cue):
        return None
    if cue.type == "detention" and _legal_custody(sentence, tables):
        return "arrest"
    if cue.type == "rescue" and paid and not tables["strong_rescue"].search(sentence, cue.start, cue.end + 4):
        return None  # released once the money arrived: a ransom paid, not a rescue
    return cue.type


def _legal_custody(sentence: str, tables: dict[str, Any]) -> bool:
    """Held by the authorities on a criminal suspicion, with nothing saying the confinement was unlawful."""
    return bool(tables["legal_custody"].search(sentence)) and not tables["unlawful"].search(sentence)


def victim_nationality(text: str, lang: str, korean_place: bool = False) -> str | None:
    """"KR" when the text says the victims are Korean (한국인, 우리 국민, South Korean, not about
    suspects), or implies it (a home town in Korea, the embassy or foreign ministry handling the
    case, a Korean-press "L씨") and names no victims of another nationality. Never from the
    language or the outlet alone."""
    tables = _tables(lang)
    negated = [(m.start(), m.end()) for m in tables["nat_neg"].finditer(text)]
    for m in tables["nat"].finditer(text):
        if any(a <= m.start() < b for a, b in negated) or _names_suspects(text, m.start(), m.end(), tables):
            continue
        return "KR"
    if negated or any(not _names_suspects(text, m.start(), m.end(), tables)
                      for m in tables["foreign_victims"].finditer(text)):
        return None
    if korean_place or _implicit_korean(text, tables) or _named_victim(text, tables):
        return "KR"
    return None


SUSPECT_WINDOW = 16  # characters between a nationality and the suspect noun it describes


def _names_suspects(text: str, start: int, end: int, tables: dict[str, Any]) -> bool:
    """Does this nationality mention describe suspects ("Chinese suspects", "한국인 조직원",
    "용의자들이 대부분 중국 국적자") rather than victims? Looks only a few words either side."""
    lo, hi = max(0, start - SUSPECT_WINDOW), min(len(text), end + SUSPECT_WINDOW)
    s_start, s_end = sentence_bounds(text, start)
    window = text[max(lo, s_start):min(hi, s_end)]
    return bool(tables["suspect"].search(window) or tables["suspect_en"].search(window))


def _implicit_korean(text: str, tables: dict[str, Any]) -> bool:
    """The embassy or ministry handling a case, a return to Korea -- but not the ministry issuing a
    travel advisory, which says nothing about whose nationals any victims were."""
    return any(not tables["types"]["advisory"].search(text, *sentence_bounds(text, m.start()))
               for m in tables["nat_implicit"].finditer(text))


def _named_victim(text: str, tables: dict[str, Any]) -> bool:
    """A person anonymised the Korean-press way ("L씨(25)") in a sentence that is not about suspects."""
    return any(not tables["suspect"].search(text, *sentence_bounds(text, m.start()))
               for m in tables["nat_person"].finditer(text))


def victim_count(text: str, lang: str, title: str | None = None) -> int | None:
    """The number of victims of the main incident: the first count of people the text (headline and
    lead first) says were held, freed, sent home…; later, larger figures are usually running totals
    ("over 250 rescued this year"). Else 1 for a lone victim."""
    tables = _tables(lang)
    for part in (title, text):
        if part:
            found = _first_count(to_ascii_digits(part), tables)
            if found:
                return found
    norm = to_ascii_digits(text)
    if any(nearest_cue(norm, m.start(), m.end(), tables["official"], 40, 10)[0] is None
           for m in tables["singular"].finditer(norm)):
        return 1  # a lone victim, not an official named with an age
    return None


def _first_count(norm: str, tables: dict[str, Any]) -> int | None:
    for m in tables["count_re"].finditer(norm):
        raw = m.group(1).replace(",", "")
        value = int(raw) if raw.isdigit() else tables["numbers"].get(raw.lower())
        if tables["statistic"].search(norm, m.start(), m.end()):
            continue  # "330 reports of Koreans": a tally over many cases, not one incident's victims
        if value and nearest_cue(norm, m.start(), m.end(), tables["count_cues"], 80, 80)[0] == "pos":
            return int(value)
    return None


class IncidentClassifier:
    """Sets Doc._.relevant, ._.incident_types, ._.victim_nationality, ._.victim_count.

    The title, when the caller has one, is read from ``doc.user_data['title']``; the gate's answer from
    ``doc.user_data['relevant']`` when the caller has asked it already.
    """

    def __init__(self, nlp: Language, name: str, lang: str) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"deskwatch_incidents_v1: unsupported lang {lang!r}")
        self.name, self.lang = name, lang

    def __call__(self, doc: Doc) -> Doc:
        title, text = doc.user_data.get("title"), doc_text(doc)
        known = doc.user_data.get("relevant")  # nlp.extract has run the gate already
        doc._.relevant = is_relevant(text, self.lang, title) if known is None else known
        if not doc._.relevant:
            doc._.incident_types, doc._.victim_nationality, doc._.victim_count = [], None, None
            return doc
        doc._.incident_types = incident_types(text, self.lang, title)
        korean_place = any(s._.place[2].country == "KR" and s._.place[2].kind != "country"
                           for s in doc.spans.get("places", []))
        doc._.victim_nationality = victim_nationality(text, self.lang, korean_place)
        doc._.victim_count = victim_count(text, self.lang, title) if doc._.incident_types else None
        return doc


@Language.factory("deskwatch_incidents_v1", default_config={"lang": "en"})
def make_incident_classifier(nlp: Language, name: str, lang: str) -> Callable[[Doc], Doc]:
    return IncidentClassifier(nlp, name, lang)
