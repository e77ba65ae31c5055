"""Ransoms: money demanded or paid for someone's release, normalised to ISO currency and USD.

Every money mention is parsed; only those whose nearest context cue is a ransom cue are kept
(fines, bail, budgets, donations, scam losses and salaries have their own cues).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from spacy.language import Language
from spacy.tokens import Doc, Span

from nlp.context import compile_terms, doc_text, load_toml, nearest_cue, parse_number, to_ascii_digits
from nlp.vocabulary import LANGUAGES

if not Span.has_extension("ransom"):
    Span.set_extension("ransom", default=None)

_NUM = r"\d[\d,]*(?:\.\d+)?"
_SCALE_EN = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "m": 1e6, "mn": 1e6, "bn": 1e9, "k": 1e3}
_UNITS_KO = {"조": 1e12, "억": 1e8, "천만": 1e7, "백만": 1e6, "십만": 1e5, "만": 1e4, "천": 1e3, "백": 1e2}
_UNITS_KM = {"ពាន់លាន": 1e9, "លាន": 1e6, "ម៉ឺន": 1e4, "ពាន់": 1e3}
_CUR_EN = [(r"U\.?S\.? dollars?|US dollars?|dollars?", "USD"), (r"won", "KRW"), (r"riels?", "KHR"),
           (r"baht", "THB"), (r"pesos?", "PHP"), (r"yuan", "CNY"), (r"USDT|Tether", "USDT"), (r"yen", "JPY"),
           (r"euros?", "EUR"), (r"dong", "VND")]
_CUR_KO = {"원": "KRW", "달러": "USD", "불": "USD", "바트": "THB", "페소": "PHP", "위안": "CNY", "리엘": "KHR",
           "USDT": "USDT", "테더": "USDT", "엔": "JPY", "유로": "EUR", "동": "VND"}
_CUR_KM = {"ដុល្លារ": "USD", "រៀល": "KHR", "យ៉ួន": "CNY", "បាត": "THB", "វ៉ុន": "KRW"}

_EN_PREFIX = re.compile(rf"(?:US\$|U\.S\. ?\$|USD ?|\$)\s?({_NUM})(?:\s?(thousand|million|billion|mn|bn|m|k)\b)?")
_EN_SUFFIX = re.compile(rf"({_NUM})(?:\s?(thousand|million|billion))?\s(?:{'|'.join(p for p, _ in _CUR_EN)})\b")
_EN_CODE = re.compile(rf"\b(KRW|KHR|THB|PHP|CNY|USDT|USD)\s?({_NUM})(?:\s?(thousand|million|billion)\b)?")
_KO_AMOUNT = re.compile(rf"((?:{_NUM}\s?(?:조|억|천만|백만|십만|만|천|백)?\s?)+)\s?(?:여\s?)?({'|'.join(_CUR_KO)})")
_KM_AMOUNT = re.compile(rf"({_NUM})\s?({'|'.join(_UNITS_KM)})?\s?({'|'.join(_CUR_KM)})")
_APPROX = r"(?:about|around|roughly|approximately|some|nearly|almost)"
# '50 million won ($38,500)', '50 million won (about US$38,500)', '50 million won, about $38,500,' and
# '5천만원(약 3만8천 달러)': the dollars the writer gives for the same sum.
_STATED_USD = re.compile(rf"\s?\((?:{_APPROX} |약 ?)?(?:US)?\$\s?(?P<bracketed>{_NUM})(?:\s?(?P<bscale>thousand|million|billion))?\)"
                         rf"|,\s(?:or\s)?{_APPROX}\s(?:US)?\$\s?(?P<apposed>{_NUM})(?:\s?(?P<ascale>thousand|million|billion)\b)?"
                         rf"|\s?\(약 ?(?P<korean>(?:{_NUM}\s?(?:억|만|천)?\s?)+)\s?달러\)")
_CRYPTO_USD = re.compile(r"^\s+in (?:USDT|Tether)\b")


@dataclass(frozen=True)
class MoneyHit:
    start: int
    end: int
    amount: float
    currency: str
    usd: float | None = None  # stated in the text


@cache
def _cues(lang: str) -> dict[str, re.Pattern[str]]:
    kw = load_toml("keywords.toml")["ransoms"]
    return {"neg": compile_terms(kw["neg"][lang], lang), "pos": compile_terms(kw["pos"][lang], lang)}


def korean_number(raw: str) -> float | None:
    """'1억5000만' → 150000000, '2만5천' → 25000, '5천만' → 50000000, '6,500' → 6500."""
    total, found = 0.0, False
    for m in re.finditer(rf"({_NUM})\s?(조|억|천만|백만|십만|만|천|백)?", raw):
        value = parse_number(m.group(1))
        if value is None:
            return None
        total += value * _UNITS_KO.get(m.group(2) or "", 1.0)
        found = True
    return total if found else None


def find_money(text: str, lang: str) -> list[MoneyHit]:
    """Every money amount in the text, with a stated USD figure attached where one follows."""
    norm = to_ascii_digits(text)
    hits = _money_en(norm) if lang == "en" else _money_ko(norm) + _money_en(norm) if lang == "ko" else \
        _money_km(norm) + _money_en(norm)
    hits.sort(key=lambda h: (h.start, -h.end))
    out: list[MoneyHit] = []
    for hit in hits:
        if out and hit.start < out[-1].end:
            continue
        out.append(hit)
    return _attach_stated_usd(norm, out)


def _money_en(text: str) -> list[MoneyHit]:
    hits = []
    for m in _EN_PREFIX.finditer(text):
        value = parse_number(m.group(1))
        if value is not None:
            hits.append(MoneyHit(m.start(), m.end(), value * _SCALE_EN.get(m.group(2) or "", 1.0), "USD"))
    for m in _EN_SUFFIX.finditer(text):
        value = parse_number(m.group(1))
        cur = next(code for pat, code in _CUR_EN if re.fullmatch(pat, m.group().split()[-1]) or
                   re.search(rf"(?:{pat})$", m.group()))
        if value is not None:
            hits.append(MoneyHit(m.start(), m.end(), value * _SCALE_EN.get(m.group(2) or "", 1.0), cur))
    for m in _EN_CODE.finditer(text):
        value = parse_number(m.group(2))
        if value is not None:
            hits.append(MoneyHit(m.start(), m.end(), value * _SCALE_EN.get(m.group(3) or "", 1.0), m.group(1)))
    return hits


def _money_ko(text: str) -> list[MoneyHit]:
    hits = []
    for m in _KO_AMOUNT.finditer(text):
        value = korean_number(m.group(1))
        if value:
            start = m.start() + len(m.group(1)) - len(m.group(1).lstrip())
            hits.append(MoneyHit(start, m.end(), value, _CUR_KO[m.group(2)]))
    return hits


def _money_km(text: str) -> list[MoneyHit]:
    hits = []
    for m in _KM_AMOUNT.finditer(text):
        value = parse_number(m.group(1))
        if value:
            hits.append(MoneyHit(m.start(), m.end(), value * _UNITS_KM.get(m.group(2) or "", 1.0),
                                 _CUR_KM[m.group(3)]))
    return hits


def _attach_stated_usd(text: str, hits: list[MoneyHit]) -> list[MoneyHit]:
    """'50 million won ($36,000)': the bracketed dollars become `usd`, not a second amount."""
    out: list[MoneyHit] = []
    skip_until = -1
    for hit in hits:
        if hit.start < skip_until:
            continue
        if hit.currency == "USD" and _CRYPTO_USD.match(text[hit.end:hit.end + 12]):
            hit = MoneyHit(hit.start, hit.end, hit.amount, "USD", hit.amount)
        m = _STATED_USD.match(text, hit.end) if hit.currency != "USD" else None
        if m:
            usd = _stated_usd_value(m)
            hit = MoneyHit(hit.start, hit.end, hit.amount, hit.currency, usd)
            skip_until = m.end()
        out.append(hit)
    return out


def _stated_usd_value(m: re.Match[str]) -> float | None:
    if m.group("korean"):
        return korean_number(m.group("korean"))
    number, scale = (m.group("bracketed"), m.group("bscale")) if m.group("bracketed") else (m.group("apposed"), m.group("ascale"))
    return (parse_number(number) or 0) * _SCALE_EN.get(scale or "", 1.0)


def find_ransoms(text: str, lang: str) -> list[MoneyHit]:
    """Money mentions whose context says they were demanded or paid for a release."""
    norm = to_ascii_digits(text)
    return [h for h in find_money(text, lang)
            if nearest_cue(norm, h.start, h.end, _cues(lang), before=110, after=80)[0] == "pos"]


class RansomRecognizer:
    """Writes doc.spans['ransoms'] with Span._.ransom = MoneyHit."""

    def __init__(self, nlp: Language, name: str, lang: str) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"deskwatch_ransoms_v1: unsupported lang {lang!r}")
        self.name, self.lang = name, lang

    def __call__(self, doc: Doc) -> Doc:
        if doc._.relevant is False:  # the incident gate ran first and said no
            doc.spans['ransoms'] = []
            return doc
        spans = []
        for hit in find_ransoms(doc_text(doc), self.lang):
            span = doc.char_span(hit.start, hit.end, label="RANSOM", alignment_mode="expand")
            if span is not None:
                span._.ransom = hit
                spans.append(span)
        doc.spans["ransoms"] = spans
        return doc


@Language.factory("deskwatch_ransoms_v1", default_config={"lang": "en"})
def make_ransom_recognizer(nlp: Language, name: str, lang: str) -> Callable[[Doc], Doc]:
    return RansomRecognizer(nlp, name, lang)
