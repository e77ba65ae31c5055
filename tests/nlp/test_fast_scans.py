"""The speed-ups give the answers of the plain regex calls they replace: AnyTerm as a compiled
alternation's search, MatchScan as each pattern's finditer; the place memo changes no answer."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nlp.components import identity, incidents
from nlp.components.places import find_places
from nlp.context import AnyTerm, MatchScan, compile_terms, load_toml
from nlp.gazetteer import load_gazetteer
from nlp.numbers import _DIGIT_SCAN, _EN_SCAN, EN_CODE, EN_SYMBOL, EN_WORD, KO_AMOUNT

GOLD = Path(__file__).resolve().parents[1] / "gold"
EXTRA = [
    "", "Kidnapped.", "KIDNAPPED in CAMBODIA", "held for ransom in Poipet; 3 Koreans were held since May 5.",
    "귀국했다. 출입국 관리", "입국 심사", "돈을 송금하자 곧 풀려났다", "카지노에서 탈출한 A씨(25)",
    "the abductors (kidnappers) said", "Kelvin \u212a and long \u017f", "US$5,000 and 20 million won ($15,000)",
    "3천500만 원, 1억2천만원", "On May 3, 2025 and 5 June 2024; last Friday", "박모(32)씨와 김모씨",
]


def _texts() -> list[str]:
    texts = list(EXTRA)
    for path in sorted(GOLD.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                texts.append(row["text"])
                texts.extend(p for p in row["text"].split("\n") if p.strip())
    return texts


TEXTS = _texts()


def _term_tables() -> list[tuple[str, list[str]]]:
    kw = load_toml("keywords.toml")
    out = []
    for lang in ("en", "ko", "km"):
        out.append((lang, [t for v in kw["types"].values() for t in v[lang]]))
        out.append((lang, kw["relevance"]["core"][lang]))
        out.append((lang, kw["relevance"]["context"][lang]))
    return out


@pytest.mark.parametrize("lang,terms", _term_tables())
def test_any_term_answers_as_the_alternation(lang: str, terms: list[str]) -> None:
    plain, fast = compile_terms(terms, lang), AnyTerm(terms, lang)
    for text in TEXTS:
        assert fast.search(text) == bool(plain.search(text)), text[:80]


def test_any_term_groups_only_terms_that_split_at_their_first_letter() -> None:
    fast = AnyTerm(["kidnap", "Korea", "k|x", "(?:held|kept) hostage", "a+b", r"\bdied"], "en")
    for text in ["x", "aab", "kept hostage", "it died", "KOREA", "okidnap", "b"]:
        assert fast.search(text) == bool(compile_terms(["kidnap", "Korea", "k|x", "(?:held|kept) hostage", "a+b",
                                                        r"\bdied"], "en").search(text)), text


def _finditer_each(patterns: list[re.Pattern[str]], text: str) -> list[list[tuple[int, int]]]:
    return [[m.span() for m in p.finditer(text)] for p in patterns]


def _scan_each(scan: MatchScan, text: str) -> list[list[tuple[int, int]]]:
    out: list[list[tuple[int, int]]] = [[] for _ in scan.patterns]
    for i, m in scan.matches(text):
        out[i].append(m.span())
    return out


@pytest.mark.parametrize("lang", ["en", "ko", "km"])
def test_match_scans_give_each_patterns_finditer(lang: str) -> None:
    scans = [incidents._tables(lang)["type_scan"], _EN_SCAN] + ([identity._date_scan(lang)] if lang != "km" else [])
    scans += [_DIGIT_SCAN[KO_AMOUNT]] if lang == "ko" else []
    scans += [identity._en_name_scan()] if lang == "en" else []
    for text in TEXTS:
        for scan in scans:
            assert _scan_each(scan, text) == _finditer_each(scan.patterns, text), text[:80]
    assert _EN_SCAN.patterns == [EN_SYMBOL, EN_CODE, EN_WORD]


def test_match_scan_stops_a_pattern_the_caller_is_done_with() -> None:
    scan = MatchScan([re.compile("ab"), re.compile("b")], [re.compile("ab|b")])
    done: set[int] = set()
    seen = []
    for i, m in scan.matches("ab ab b", done):
        seen.append((i, m.start()))
        done.add(0)
    assert seen == [(0, 0), (1, 1), (1, 4), (1, 6)]


def test_place_memo_changes_no_answer() -> None:
    gaz = load_gazetteer()
    gaz.memo.clear()
    cold = [[(h.start, h.end, h.place) for h in find_places(t, "ko")] for t in TEXTS]
    warm = [[(h.start, h.end, h.place) for h in find_places(t, "ko")] for t in TEXTS]
    assert cold == warm and gaz.memo["ko_words"]
