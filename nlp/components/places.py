"""Places: gazetteer look-up with per-language boundary rules, as a spaCy component.

`find_places` is pure (text in, hits out) so the cheap path for irrelevant news can use it
without tokenising; the component adds Korean POS evidence from kiwi when it has it.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span

from nlp.context import compile_terms, doc_text, load_toml
from nlp.gazetteer import Gazetteer, Place, fold_hangul, load_gazetteer
from nlp.vocabulary import LANGUAGES

logger = logging.getLogger(__name__)

_EN_CAP = re.compile(r"\b[A-Z][A-Za-z]*(?:['’.][A-Za-z]+)*\.?")
_POSSESSIVE = re.compile(r"['’]s$")
_KO_WORD = re.compile(r"[가-힣A-Za-z]+")
_MEMO_SIZE = 200_000  # words a per-word memo keeps before it starts afresh
_UNSEEN: list[str] = []  # a memo miss (None is a remembered "no candidates")

if not Span.has_extension("place"):
    Span.set_extension("place", default=None)


@dataclass(frozen=True)
class PlaceHit:
    start: int
    end: int
    place: Place


@lru_cache(maxsize=1)
def _rules() -> dict[str, Any]:
    kw = load_toml("keywords.toml")["places"]
    return {
        "block": compile_terms([re.escape(b) for b in kw["block"]["en"]], "ko"),
        "titles": re.compile(rf"(?:{'|'.join(kw['block']['person_titles'])})\.?\s+$"),
        "attributive": set(kw["block"]["attributive"]),
        "org_head": re.compile(rf"[ \t]+(?:{'|'.join(map(re.escape, kw['block']['org_heads']))})\.?(?![A-Za-z])"),
        "ko_adjective": re.compile(rf"[ \t]+(?:{'|'.join(kw['ko']['adjective_heads'])})"),
        "us_georgia": re.compile("|".join(kw["block"]["us_georgia"])),
        "ko_ok": tuple(sorted(kw["ko"]["allowed_suffixes"], key=len, reverse=True)),
        "ko_bad": tuple(sorted(kw["ko"]["blocked_suffixes"], key=len, reverse=True)),
        "km": kw["km"],
    }


def find_places(text: str, lang: str, ko_tags: dict[int, tuple[int, str]] | None = None,
                gaz: Gazetteer | None = None) -> list[PlaceHit]:
    """All place mentions in `text`. `ko_tags` maps a char offset to (token end, kiwi tag)."""
    gaz = gaz or load_gazetteer()
    if lang == "ko":
        hits = _find_ko(text, gaz, ko_tags) + _find_en(text, gaz)
    elif lang == "km":
        hits = _find_km(text, gaz) + _find_en(text, gaz)
    else:
        hits = _find_en(text, gaz)
    return _resolve(text, hits)


def _find_en(text: str, gaz: Gazetteer) -> list[PlaceHit]:
    blocked: list[tuple[int, int]] | None = None
    hits: list[PlaceHit] = []
    pos = 0
    firsts: dict[str, list[str] | None] = gaz.memo.setdefault("en_firsts", {})
    for m in _EN_CAP.finditer(text):
        word = m.group()
        candidates = firsts.get(word, _UNSEEN)
        if candidates is _UNSEEN:
            candidates = gaz.en_by_first.get(_POSSESSIVE.sub("", word).rstrip("."))
            if len(firsts) >= _MEMO_SIZE:
                firsts.clear()
            firsts[word] = candidates
        if not candidates or m.start() < pos:
            continue
        hit = _match_en(text, m.start(), candidates, gaz)
        if hit is None or _after_title(text, hit.start):
            continue
        if blocked is None:
            blocked = [(b.start(), b.end()) for b in _rules()["block"].finditer(text)]
        if any(b0 <= hit.start < b1 for b0, b1 in blocked):
            continue
        hits.append(hit)
        pos = hit.end
    return hits


def _match_en(text: str, start: int, candidates: list[str], gaz: Gazetteer) -> PlaceHit | None:
    """Longest alias starting at `start` that ends on a word boundary (possessive 's allowed)."""
    for alias in candidates:
        end = start + len(alias)
        if text.startswith(alias, start) and (end == len(text) or not _WORD_CHAR(text[end]) or alias.endswith(".")):
            if alias in _rules()["attributive"] and re.match(r"\s*[A-Za-z$]", text[end:end + 3]):
                return None  # "U.S. agents", "U.S. $100": an adjective or a currency, not a place mention
            if _rules()["org_head"].match(text, end) or _name_part(text, alias, end):
                return None
            return PlaceHit(start, end, gaz.lookup("en", alias)[0])
    return None


_NEXT_CAP = re.compile(r" [A-Z][a-z]*\b")
_PLACE_WORDS = frozenset(["City", "Province", "Provincial", "District", "Commune", "State", "Region", "Town",
                          "Municipality", "Municipal", "Police", "Airport", "Port", "Island", "River", "Border"])


def _name_part(text: str, alias: str, end: int) -> bool:
    """A short one-word name followed by another capitalised word is a syllable of a person's
    name ("Hue Wu Tong", "Chu Qi Long"), not the town."""
    if len(alias) > 4 or " " in alias:
        return False
    m = _NEXT_CAP.match(text, end)
    return bool(m and m.group().strip() not in _PLACE_WORDS)


def _WORD_CHAR(ch: str) -> bool:
    return ch.isalnum() or ch in "-"


def _after_title(text: str, start: int) -> bool:
    return bool(_rules()["titles"].search(text[max(0, start - 20):start]))


@dataclass(frozen=True)
class KoWordScan:
    """What the Korean scan finds in one word without kiwi's tags, kept per word (a spaCy-style cache:
    words recur). `tried`: for each offset the scan tries, the hit (offsets relative to the word) or None,
    and whether a kiwi tag could change it. `needs_tags`: see has_korean_place_candidate. `matters`:
    the word can yield a place (a hit, a tag that could make one, or the first word of a phrase alias)."""

    tried: tuple[tuple[int, PlaceHit | None, bool], ...]
    needs_tags: bool
    matters: bool


def _ko_word_scan(orig: str, gaz: Gazetteer) -> KoWordScan:
    memo: dict[str, KoWordScan] = gaz.memo.setdefault("ko_words", {})
    scan = memo.get(orig)
    if scan is None:
        scan = _scan_ko_word(orig, gaz)
        if len(memo) >= _MEMO_SIZE:
            memo.clear()
        memo[orig] = scan
    return scan


def _scan_ko_word(orig: str, gaz: Gazetteer) -> KoWordScan:
    word, heads = fold_hangul(orig), gaz.ko_heads
    tried = []
    offsets = (0, 1) if word.startswith("주") and len(word) > 2 else (0,)
    for off in offsets:
        if word[off:off + 2] not in heads and word[off:off + 1] not in heads:
            continue
        consulted: list[bool] = []
        tried.append((off, _ko_prefix_hit(word, orig, 0, off, gaz, None, consulted), any(consulted)))
    needs_tags = False
    if tried and tried[0][0] == 0:
        table = gaz.ko_folded
        candidate = any(word[:j] in table for j in range(1, min(len(word), gaz.max_ko_len) + 1))
        needs_tags = candidate and tried[0][1] is None
    matters = orig in gaz.ko_phrases or any(found or tag_dependent for _, found, tag_dependent in tried)
    return KoWordScan(tuple(tried), needs_tags, matters)


def _find_ko(text: str, gaz: Gazetteer, ko_tags: dict[int, tuple[int, str]] | None) -> list[PlaceHit]:
    """Korean aliases at word starts. Only the distinct words that can yield a place are looked for
    (their whole-word occurrences, in text order): the same words, in the same order, as a walk over
    every word (folding keeps letters letters, so the folded text has the same words)."""
    hits: list[PlaceHit] = []
    phrases = gaz.ko_phrases
    wanted = [w for w in set(_KO_WORD.findall(text)) if _ko_word_scan(w, gaz).matters]
    for base, orig in sorted((i, w) for w in wanted for i in _whole_word_starts(text, w)):
        stop = base + len(orig)
        if orig in phrases:
            phrase = _ko_phrase_hit(text, base, phrases[orig], gaz)
            if phrase:
                hits.append(phrase)
        for off, found, tag_dependent in _ko_word_scan(orig, gaz).tried:
            if tag_dependent and ko_tags:
                hit = _ko_prefix_hit(fold_hangul(orig), orig, base, off, gaz, ko_tags)
            else:
                hit = found and PlaceHit(base + found.start, base + found.end, found.place)
            if hit and hit.end == stop and hit.place.kind == "country" and _rules()["ko_adjective"].match(text, hit.end):
                break  # 중국 업체: a Chinese company, the country as an adjective
            if hit:
                hits.append(hit)
                break
    return hits


def _is_ko_word_char(ch: str) -> bool:
    """The letters of _KO_WORD: Hangul syllables and ASCII letters."""
    return "가" <= ch <= "힣" or "a" <= ch <= "z" or "A" <= ch <= "Z"


def _whole_word_starts(text: str, word: str) -> list[int]:
    """Where `word` occurs as a whole _KO_WORD word (no letter either side)."""
    starts = []
    i = text.find(word)
    while i >= 0:
        end = i + len(word)
        if (i == 0 or not _is_ko_word_char(text[i - 1])) and (end == len(text) or not _is_ko_word_char(text[end])):
            starts.append(i)
        i = text.find(word, end)
    return starts


def _ko_phrase_hit(text: str, start: int, phrases: list[str], gaz: Gazetteer) -> PlaceHit | None:
    """An alias of several words ("골든트라이앵글 경제특구") at `start`, ended by a particle or a word break."""
    for alias in phrases:
        end = start + len(alias)
        rest = text[end:end + 3]
        if text.startswith(alias, start) and (not rest or not _KO_WORD.match(rest) or rest.startswith(_rules()["ko_ok"])):
            return PlaceHit(start, end, gaz.lookup("ko", alias)[0])
    return None


def has_korean_place_candidate(text: str) -> bool:
    """True if some word starts with a Korean alias that the suffix rules alone cannot settle
    (an ambiguous name, or an unknown ending) — the words kiwi's POS tags are needed for."""
    gaz = load_gazetteer()
    memo: dict[str, KoWordScan] = gaz.memo.setdefault("ko_words", {})
    for word in _KO_WORD.findall(text):
        scan = memo.get(word) or _ko_word_scan(word, gaz)
        if scan.needs_tags:
            return True
    return False


def _ko_prefix_hit(word: str, orig: str, base: int, off: int, gaz: Gazetteer,
                   ko_tags: dict[int, tuple[int, str]] | None, consulted: list[bool] | None = None) -> PlaceHit | None:
    """The longest alias at word[off:] (spelling-folded) whose ending in the original word is allowed.
    `consulted` collects, for each ending judged, whether the judgement read kiwi's tag."""
    table = gaz.ko_folded
    for j in range(min(len(word), off + gaz.max_ko_len), off, -1):
        alias = word[off:j]
        if alias not in table:
            continue
        place = gaz.places[table[alias][0]]
        if _ko_boundary_ok(orig[j:], base + off, base + j, place, ko_tags, consulted):
            return PlaceHit(base + off, base + j, place)
    return None


def _ko_boundary_ok(rest: str, start: int, end: int, place: Place,
                    ko_tags: dict[int, tuple[int, str]] | None, consulted: list[bool] | None = None) -> bool:
    rules = _rules()
    tag = ko_tags.get(start) if ko_tags else None
    reads_tag = False
    if "ambiguous_ko" in place.flags and not rest.startswith(("시", "군")):
        reads_tag, ok = True, bool(tag and tag[1] == "NNP" and tag[0] == end)
    elif not rest:
        ok = True
    elif rest.startswith(rules["ko_ok"]):
        ok = not rest.startswith(rules["ko_bad"]) or rest.startswith(("인근", "이", "은"))
    elif rest.startswith(rules["ko_bad"]):
        ok = False
    else:
        reads_tag, ok = True, bool(tag and tag[1] == "NNP" and tag[0] == end)
    if consulted is not None:
        consulted.append(reads_tag)
    return ok


def _find_km(text: str, gaz: Gazetteer) -> list[PlaceHit]:
    pattern = _km_pattern(id(gaz))
    rules = _rules()["km"]
    hits = []
    for m in pattern.finditer(text):
        before = text[max(0, m.start() - 8):m.start()]
        if any(before.endswith(p) for p in rules["demonym_prefixes"]):
            continue
        if m.group() in rules["needs_prefix"] and not (any(before.endswith(p) for p in rules["admin_prefixes"])
                                                       or _km_standalone(text, m.start(), m.end())):
            continue
        hits.append(PlaceHit(m.start(), m.end(), gaz.lookup("km", m.group())[0]))
    return hits


_KM_LETTER = re.compile("[\u1780-\u17d3\u17dc\u17dd]")


def _km_standalone(text: str, start: int, end: int) -> bool:
    """A Khmer word set apart by spaces or punctuation on both sides (ថៃ alone is Thailand)."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not _KM_LETTER.match(before) and not _KM_LETTER.match(after)


@lru_cache(maxsize=4)
def _km_pattern(_gaz_id: int) -> re.Pattern[str]:
    aliases = sorted(load_gazetteer().aliases["km"], key=len, reverse=True)
    return re.compile("|".join(re.escape(a) for a in aliases))


def _resolve(text: str, hits: list[PlaceHit]) -> list[PlaceHit]:
    """Drop overlaps (first, longest wins) and settle Georgia the country vs the U.S. state."""
    out: list[PlaceHit] = []
    us = None
    for hit in sorted(hits, key=lambda h: (h.start, -h.end)):
        if out and hit.start < out[-1].end:
            continue
        if hit.place.name == "Georgia" and hit.place.country == "GE":
            if us is None:
                us = bool(_rules()["us_georgia"].search(text))
            if us:
                hit = PlaceHit(hit.start, hit.end, _us_georgia())
        out.append(hit)
    return out


@lru_cache(maxsize=1)
def _us_georgia() -> Place:
    gaz = load_gazetteer()
    return next(p for p in gaz.places if p.name == "Georgia" and p.country == "US")


def kiwi_tags(doc: Doc) -> dict[int, tuple[int, str]]:
    if "ko_tags" in doc.user_data:
        tags: dict[int, tuple[int, str]] = doc.user_data["ko_tags"]
        return tags
    return {t.idx: (t.idx + len(t.text), t.tag_) for t in doc if t.tag_}


class PlaceRecognizer:
    """Writes place mentions to doc.spans['places'] with Span._.place set."""

    def __init__(self, nlp: Language, name: str, lang: str) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"deskwatch_places_v1: unsupported lang {lang!r}")
        self.name, self.lang = name, lang

    def __call__(self, doc: Doc) -> Doc:
        tags = kiwi_tags(doc) if self.lang == "ko" else None
        spans = []
        for hit in find_places(doc_text(doc), self.lang, tags):
            span = doc.char_span(hit.start, hit.end, label="PLACE", alignment_mode="expand")
            if span is not None:
                span._.place = (hit.start, hit.end, hit.place)
                spans.append(span)
        doc.spans["places"] = spans
        return doc


@Language.factory("deskwatch_places_v1", default_config={"lang": "en"})
def make_place_recognizer(nlp: Language, name: str, lang: str) -> Callable[[Doc], Doc]:
    return PlaceRecognizer(nlp, name, lang)
