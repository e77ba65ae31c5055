"""Money amounts in en/ko/km text: numerals with scale words and units, currencies, stated dollar figures.

Korean numerals are read in groups of four digits: 3천500만 is (3000 + 500) x 10,000 = 35,000,000 and
1억2천만 is 100,000,000 + 2000 x 10,000. Khmer units (ពាន់, ម៉ឺន, សែន, លាន) add up the same way. A sum
without digits (수천만 원, "millions of dollars") has no value and is not an amount. A second amount in
brackets or apposition right after the first ("50 million won ($38,500)", "2만 테더(약 3000만 원)") is the
same sum restated: it is absorbed, and kept as the stated `usd` when it is in dollars.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from nlp.context import MatchScan, parse_number, to_ascii_digits

# A number starts where no digit, comma or point precedes it (so a long digit run is read once, not at
# every offset); thousands groups of three, or a last group of two that lost a digit ('100,00').
_NUM = r"(?<![\d,.])(?:\d{1,3}(?:,\d{3})*,\d{2,3}(?![\d])|\d+)(?:\.\d+)?"
_KO_BIG = {"만": 1e4, "억": 1e8, "조": 1e12}
_KO_SMALL = {"천": 1e3, "백": 1e2, "십": 1e1}
_KM_UNITS = {"ពាន់លាន": 1e9, "លាន": 1e6, "សែន": 1e5, "ម៉ឺន": 1e4, "ពាន់": 1e3}
_SCALE_EN = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
             "k": 1e3, "m": 1e6, "mn": 1e6, "mln": 1e6, "b": 1e9, "bn": 1e9}
_SCALE = r"(?:\s?(?P<scale>thousand|million|billion|trillion)\b|(?P<abbr>mn|mln|bn|m|b|k)\b)?"
# Currency words after an English amount (an optional adjective before them: "Thai baht").
_CUR_EN = {"us dollars": "USD", "u.s. dollars": "USD", "dollars": "USD", "dollar": "USD", "won": "KRW",
           "riels": "KHR", "riel": "KHR", "baht": "THB", "pesos": "PHP", "peso": "PHP", "yuan": "CNY",
           "renminbi": "CNY", "usdt": "USDT", "tether": "USDT", "yen": "JPY", "euros": "EUR", "euro": "EUR",
           "dong": "VND", "ringgit": "MYR", "kyat": "MMK", "kip": "LAK", "rupees": "INR", "pounds": "GBP"}
_CODES = "USD|USDT|KRW|KHR|THB|PHP|CNY|RMB|JPY|EUR|VND|MYR|MMK|LAK|INR|GBP"
_SYMBOLS = {"US$": "USD", "U.S.$": "USD", "U.S. $": "USD", "$": "USD", "₩": "KRW", "฿": "THB", "₱": "PHP",
            "€": "EUR", "£": "GBP", "¥": "JPY"}
_ADJ = r"(?:(?:US|U\.S\.|American|Korean|South Korean|Thai|Philippine|Cambodian|Vietnamese|Chinese|Japanese)\s)?"
EN_SYMBOL = re.compile(rf"(?P<cur>U\.S\.\s?\$|US\$|\$|₩|฿|₱|€|£|¥)\s?(?P<num>{_NUM}){_SCALE}")
EN_CODE = re.compile(rf"\b(?P<cur>{_CODES})\s?(?P<num>{_NUM}){_SCALE}")
EN_WORD = re.compile(rf"(?P<num>{_NUM}){_SCALE}\s?(?:{_ADJ})(?P<cur>{'|'.join(re.escape(w) for w in _CUR_EN)}"
                     rf"|{_CODES})\b", re.IGNORECASE)
_KO_UNIT = "조|억|만|천|백|십"
_CUR_KO = {"원": "KRW", "달러": "USD", "불": "USD", "바트": "THB", "밧": "THB", "페소": "PHP", "위안": "CNY",
           "리엘": "KHR", "USDT": "USDT", "테더": "USDT", "엔": "JPY", "유로": "EUR", "동": "VND", "링깃": "MYR",
           "루피": "INR", "파운드": "GBP"}
KO_AMOUNT = re.compile(rf"(?<![\d.,])(?P<num>{_NUM}(?:\s?(?:{_KO_UNIT})+)?(?:\s?{_NUM}(?:\s?(?:{_KO_UNIT})+)?)*+)"
                       rf"\s?(?:여\s?)?(?:미화\s?)?(?P<cur>{'|'.join(_CUR_KO)})")
_KM_UNIT = "|".join(_KM_UNITS)
_CUR_KM = {"ដុល្លារ": "USD", "រៀល": "KHR", "បាត": "THB", "យ៉ួន": "CNY", "យ័ន": "CNY", "យ៉េន": "JPY", "វ៉ុន": "KRW"}
KM_AMOUNT = re.compile(rf"(?<![\d.,])(?P<num>{_NUM}(?:\s?(?:{_KM_UNIT}))?(?:\s?{_NUM}(?:\s?(?:{_KM_UNIT}))?)*+)"
                       rf"\s?(?P<cur>{'|'.join(_CUR_KM)})")
_HEDGE = r"(?:about|around|roughly|approximately|approx\.|some|nearly|almost|over|more than|an estimated|or|약|대략|ប្រមាណ)"
_RESTATED_OPEN = re.compile(rf"\s?[(（]\s?(?:{_HEDGE}\s?)?$|,\s(?:or\s)?{_HEDGE}\s$")
_RESTATED_CLOSE = re.compile(r"\s?[)）]|,|\s")


@dataclass(frozen=True)
class MoneyHit:
    start: int
    end: int
    amount: float
    currency: str
    usd: float | None = None  # the dollar figure the text states for this sum


def korean_number(raw: str) -> float | None:
    """'3천500만' → 35,000,000; '1억2천만' → 120,000,000; '2만7000' → 27,000; None without digits."""
    total = group = 0.0
    digits = False
    for m in re.finditer(rf"({_NUM})?\s?([{_KO_UNIT}])?", raw):
        number, unit = m.group(1), m.group(2)
        if not number and not unit:
            continue
        value = parse_number(number) if number else None
        if number and value is None:
            return None
        digits = digits or value is not None
        if unit in _KO_BIG:
            group += value if value is not None else (0.0 if group else 1.0)
            total, group = total + group * _KO_BIG[unit], 0.0
        elif unit:
            group += (1.0 if value is None else value) * _KO_SMALL[unit]
        else:
            group += value or 0.0
    return round(total + group, 2) if digits else None


def khmer_number(raw: str) -> float | None:
    """'1លាន 5សែន' → 1,500,000; '50ម៉ឺន' → 500,000 (Khmer digits already made ASCII)."""
    total, digits = 0.0, False
    for m in re.finditer(rf"({_NUM})?\s?({_KM_UNIT})?", raw):
        if not m.group(1):
            continue
        value = parse_number(m.group(1))
        if value is None:
            return None
        total += value * _KM_UNITS.get(m.group(2) or "", 1.0)
        digits = True
    return round(total, 2) if digits else None


def english_number(raw: str, scale: str | None) -> float | None:
    """'1.2' + 'm' → 1,200,000. A malformed last group of two digits ('100,00') lost a digit: 100,000."""
    if re.fullmatch(r"\d{1,3}(?:,\d{3})*,\d{2}", raw) and re.search(r"\d{3},\d{2}$", raw):
        raw += "0"
    value = parse_number(raw)
    return None if value is None else round(value * _SCALE_EN.get((scale or "").lower(), 1.0), 2)


# Where the amount patterns can start: a symbol, a currency code or a digit. One pass finds those places
# (the regex engine skips ahead to them) and each pattern is tried there, rather than at every character.
_EN_PATTERNS = (EN_SYMBOL, EN_CODE, EN_WORD)
_EN_SCAN = MatchScan(list(_EN_PATTERNS), [re.compile(rf"U\.S\.|US\$|[$₩฿₱€£¥]|{_CODES}|\d")])
_DIGIT_SCAN = {pattern: MatchScan([pattern], [re.compile(r"\d")]) for pattern in (KO_AMOUNT, KM_AMOUNT)}


def _en_hits(text: str) -> list[MoneyHit]:
    hits = []
    found: list[list[re.Match[str]]] = [[] for _ in _EN_PATTERNS]
    for i, m in _EN_SCAN.matches(text):
        found[i].append(m)
    for pattern, matches in zip(_EN_PATTERNS, found):
        for m in matches:
            value = english_number(m.group("num"), m.group("scale") or m.group("abbr"))
            cur = m.group("cur")
            code = _SYMBOLS.get(cur.replace(" ", ""), _SYMBOLS.get(cur)) if pattern is EN_SYMBOL else \
                _CUR_EN.get(cur.lower(), cur.upper())
            if value and code:
                hits.append(MoneyHit(m.start(), m.end(), value, "CNY" if code == "RMB" else code))
    return hits


def _unit_hits(text: str, pattern: re.Pattern[str], reader, currencies: dict[str, str]) -> list[MoneyHit]:  # type: ignore[no-untyped-def]
    hits = []
    for _, m in _DIGIT_SCAN[pattern].matches(text):
        value = reader(m.group("num"))
        if value:
            hits.append(MoneyHit(m.start("num"), m.end(), value, currencies[m.group("cur")]))
    return hits


def find_money(text: str, lang: str) -> list[MoneyHit]:
    """Every money amount in the text (offsets into `text`), restatements folded into the first."""
    norm = to_ascii_digits(text)
    hits = _en_hits(norm)
    if lang == "ko":
        hits += _unit_hits(norm, KO_AMOUNT, korean_number, _CUR_KO)
    elif lang == "km":
        hits += _unit_hits(norm, KM_AMOUNT, khmer_number, _CUR_KM)
    hits.sort(key=lambda h: (h.start, -h.end))
    out: list[MoneyHit] = []
    for hit in hits:
        if not out or hit.start >= out[-1].end:
            out.append(hit)
    return _fold_restatements(norm, out)


def _fold_restatements(text: str, hits: list[MoneyHit]) -> list[MoneyHit]:
    """'50 million won ($38,500)': the bracketed or apposed second sum becomes `usd`, not a new amount."""
    out: list[MoneyHit] = []
    for hit in hits:
        prev = out[-1] if out else None
        if prev and _restates(text, prev, hit):
            if hit.currency == "USD" and prev.currency != "USD" and prev.usd is None:
                out[-1] = replace(prev, usd=hit.amount)
            continue
        out.append(hit)
    return out


def _restates(text: str, first: MoneyHit, second: MoneyHit) -> bool:
    between = text[first.end:second.start]
    if len(between) > 24 or not _RESTATED_OPEN.search(between):
        return False
    return between.lstrip().startswith(("(", "（")) or bool(_RESTATED_CLOSE.match(text, second.end))
