"""What identifies one incident in a report's text, beyond places, ages and ransoms: the dates it names
(unresolved: "지난 8월", "17일", "on July 17", "last Thursday"), the people (surnames, initials, names),
named sites and kinds of site, the numbers of people it counts, and whether it tells of something that
happened to people at all. Regular expressions over raw text; the title is read too. Pure."""
from __future__ import annotations

import re
from functools import cache
from typing import Any

from nlp.components.identity_names import given_skeleton, ko_given_skeleton
from nlp.context import AnyTerm, MatchScan, compile_terms, load_toml, to_ascii_digits

MONTHS = {m: i for i, ms in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")], start=1) for m in ms}
WEEKDAYS = {d: i for i, d in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))}
NUMBER_WORDS = {w: i for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"])}
NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "dozen": 12, "a dozen": 12})
MAX_COUNT = 100_000
# the lead: what a report is mainly about (title and first lines; English takes ~2.3 times Korean's characters
# to tell as much, and its wire copy often opens with a dateline and a headline of 100 characters)
LEAD_CHARS = {"ko": 220, "km": 260, "en": 500}

_MON = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
EN_DATES = [
    (re.compile(rf"\b{_MON} {_DAY},? (\d{{4}})\b", re.IGNORECASE), "mdy"),
    (re.compile(rf"\b{_DAY} {_MON},? (\d{{4}})\b", re.IGNORECASE), "dmy"),
    (re.compile(rf"\b{_MON} {_DAY}\b(?![:\d])", re.IGNORECASE), "md"),
    (re.compile(rf"\b{_DAY} {_MON}(?! \d)", re.IGNORECASE), "dm"),
    (re.compile(rf"\b(?:in|since|early|late|mid-?|until|by|from|last) {_MON}(?: (\d{{4}}))?\b", re.IGNORECASE), "my"),
    (re.compile(r"\bon the (\d{1,2})(?:st|nd|rd|th)\b", re.IGNORECASE), "d"),
    (re.compile(r"\b(?:last|on|this past|on last) (monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
                re.IGNORECASE), "wd"),
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), "iso"),
]
KO_DATES = [
    (re.compile(r"(\d{4})\s?년\s?(\d{1,2})\s?월\s?(\d{1,2})\s?일"), "ymd"),
    (re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})"), "ymd"),
    (re.compile(r"(\d{4})\s?년\s?(\d{1,2})\s?월(?!\s?\d)"), "ym"),
    (re.compile(r"(?<!\d)(\d{1,2})\s?월\s?(\d{1,2})\s?일"), "md"),
    (re.compile(r"지난달\s?(\d{1,2})\s?일"), "last_month_d"),
    (re.compile(r"(?<![\d.년월])(\d{1,2})\s?월(?!\s?\d)(?!\s?(?:간|동안|여|째|만|부터\s?\d))"), "m"),
    (re.compile(r"(?<![\d.월])(\d{1,2})\s?일(?!\s?(?:간|동안|째|만에|이내|안에|씩))"), "d"),
]
KM_MONTHS = {m: i for i, m in enumerate(("មករា", "កុម្ភៈ", "មីនា", "មេសា", "ឧសភា", "មិថុនា", "កក្កដា", "សីហា",
                                           "កញ្ញា", "តុលា", "វិច្ឆិកា", "ធ្នូ"), start=1)}
_KM_MON = "(" + "|".join(KM_MONTHS) + ")"
KM_DATES = [  # ថ្ងៃទី២១ ខែវិច្ឆិកា ឆ្នាំ២០១៩: the 21st of November 2019 (digits made ASCII first)
    (re.compile(rf"ថ្ងៃទី\s?(\d{{1,2}})\s?ខែ\s?{_KM_MON}\s?ឆ្នាំ\s?(\d{{4}})"), "dmy"),
    (re.compile(rf"ថ្ងៃទី\s?(\d{{1,2}})\s?ខែ\s?{_KM_MON}"), "dm"),
    (re.compile(rf"ខែ\s?{_KM_MON}\s?ឆ្នាំ\s?(\d{{4}})"), "my"),
    (re.compile(rf"ខែ\s?{_KM_MON}()"), "my"),
    (re.compile(r"ថ្ងៃទី\s?(\d{1,2})"), "d"),
]
_KO_SURNAME_AGE = re.compile(r"(?<![가-힣])([가-힣])\s?모\s?(?:씨|군|양)?\s?\((\d{1,2})")
_KO_SURNAME = re.compile(r"(?<![가-힣])([가-힣])(?:\s?모\s?(?:씨|군|양)|씨(?=[은는이가을를의와과도에께]|[^가-힣]|$))")
_KO_INITIAL = re.compile(r"(?<![A-Za-z])([A-Z])(?:\s?씨(?:\s?\((\d{1,2}))?|\s?\((\d{1,2})[)·,세])")  # A씨(22), B(26)씨
_KO_NAME_AGE = re.compile(r"(?<![가-힣])([가-힣]{3})\s?\((\d{1,2})[·,)세]")
_BRACKETED_AGE = re.compile(r"\(\d")  # in every _KO_SURNAME_AGE and _KO_NAME_AGE match, and _KO_INITIAL without 씨
_SURNAME_MARK = re.compile("모|씨")  # in every _KO_SURNAME and _KO_SURNAME_AGE match
_EN_TITLE_INITIAL = re.compile(r"\b(?:Mr|Ms|Mrs|Miss)\.? ([A-Z])\b(?![.'\w])")
_EN_AGE_INITIAL = re.compile(r"\b(\d{1,2})-year-old (?:[a-z]+ ){0,2}(?:surnamed |identified as |only as )?([A-Z])\b(?![.'\w])")
_EN_SURNAMED = re.compile(r"\bsurnamed ([A-Z][a-z]+)")
_NAMES_CACHE: dict[str, Any] = {}


@cache
def _data() -> dict[str, Any]:
    return load_toml("identity.toml")


@cache
def surname_keys() -> tuple[dict[str, str], dict[str, str]]:
    """(hangul surname -> key, romanized surname -> key); the key is the first romanization."""
    ko: dict[str, str] = {}
    en: dict[str, str] = {}
    for hangul, romans in _data()["surnames"].items():
        ko[hangul] = romans[0]
        for r in romans:
            en.setdefault(r, romans[0])
    return ko, en


@cache
def _site_patterns(lang: str) -> list[tuple[str, re.Pattern[str]]]:
    named = [(sid, [re.escape(a) for a in aliases]) for sid, aliases in _data()["sites"].items()]
    kinds = [(f"kind:{k}", [re.escape(a) for a in words]) for k, words in _data()["site_kinds"].items()]
    return [(site_id, compile_terms(terms, _site_lang(lang))) for site_id, terms in named + kinds]


@cache
def _any_site(lang: str) -> re.Pattern[str]:
    """Every site's terms in one alternation: it matches where, and only where, some site's pattern does."""
    terms = [re.escape(a) for table in (_data()["sites"], _data()["site_kinds"]) for names in table.values() for a in names]
    return compile_terms(terms, _site_lang(lang))


def _site_lang(lang: str) -> str:
    return "ko" if lang == "ko" else "en"


@cache
def _site_aliases() -> frozenset[str]:
    return frozenset(a.lower() for aliases in _data()["sites"].values() for a in aliases)


@cache
def _count_pattern(lang: str) -> re.Pattern[str]:
    nouns = "|".join(re.escape(n) for n in sorted(_data()["people"].get(lang, []), key=len, reverse=True))
    if lang == "en":
        words = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
        return re.compile(rf"\b(\d[\d,]*|{words})\s+(?:(?:more|additional|other|[A-Za-z-]+)\s+){{0,2}}?(?:{nouns})\b",
                          re.IGNORECASE)
    return re.compile(rf"(?<![\d,.])(\d[\d,]*)\s?(?:여\s?)?(?:{nouns})(?![예역조])")


@cache
def _en_names() -> str:
    _, en = surname_keys()
    return "|".join(sorted((n.capitalize() for n in en if len(n) > 1), key=len, reverse=True))


@cache
def _en_name_pattern() -> re.Pattern[str]:
    names = _en_names()
    return re.compile(rf"(?<![A-Z]{{2}} )\b({names})(?: \((\d{{1,2}})\)|, (\d{{1,2}}),| ([A-Z][a-z]+(?:-[a-z]+)?)\b)")


@cache
def _en_name_scan() -> MatchScan:
    """_en_name_pattern's matches; each starts with a surname, which a bare alternation of the names
    finds with the regex engine's first-letter skipping (the look-behind in front stops it)."""
    return MatchScan([_en_name_pattern()], [re.compile(_en_names())])


@cache
def _ko_role_name() -> re.Pattern[str]:
    roles = "|".join(sorted(_data()["ko_roles"], key=len, reverse=True))
    return re.compile(rf"(?<![가-힣])([가-힣]{{3}}) (?:[가-힣]{{1,8}} ){{0,2}}?[가-힣]{{0,3}}(?:{roles})(?![관실])")


@cache
def _ko_surname_role() -> re.Pattern[str]:
    roles = "|".join(sorted((r for r in _data()["ko_roles"] if len(r) > 1), key=len, reverse=True))
    return re.compile(rf"(?<![가-힣])([가-힣]) (?:{roles})")


def find_dates(text: str, lang: str) -> list[dict[str, Any]]:
    """Date mentions, unresolved: year/month/day (any may be None), month_offset (-1: 'last month'),
    weekday (0 = Monday, for 'last Thursday')."""
    text = to_ascii_digits(text)
    out: list[dict[str, Any]] = []
    taken: list[tuple[int, int]] = []
    table = KO_DATES if lang == "ko" else KM_DATES if lang == "km" else EN_DATES
    if lang == "km":
        found = [list(p.finditer(text)) for p, _ in table]
    else:
        found = [[] for _ in table]
        for i, m in _date_scan(lang).matches(text):
            found[i].append(m)
    for (_, shape), matches in zip(table, found):
        for m in matches:
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            mention = _date_parts(m.groups(), shape)
            if mention is None:
                continue
            taken.append((m.start(), m.end()))
            out.append({"text": m.group(0), "start": m.start(), "end": m.end(), **mention})
    return sorted(out, key=lambda d: d["start"])


@cache
def _date_scan(lang: str) -> MatchScan:
    """The Korean or English date patterns' matches from one pass. Every Korean date starts at a digit or
    at 지난달, so those are where to look; English ones are found by one alternation of them all."""
    table = KO_DATES if lang == "ko" else EN_DATES
    patterns = [p for p, _ in table]
    if lang == "ko":
        return MatchScan(patterns, [re.compile(r"\d"), re.compile("지난달")])
    # The ISO pattern has only digits and '-', which case cannot change: one case-insensitive finder serves.
    return MatchScan(patterns, [re.compile("|".join(f"(?:{p.pattern})" for p in patterns), re.IGNORECASE)])


def _date_parts(groups: tuple[str | None, ...], shape: str) -> dict[str, Any] | None:
    g = list(groups)
    y = mo = d = wd = None
    offset = 0
    if shape in ("ymd", "iso"):
        y, mo, d = int(g[0]), int(g[1]), int(g[2])  # type: ignore[arg-type]
    elif shape == "ym":
        y, mo = int(g[0]), int(g[1])  # type: ignore[arg-type]
    elif shape == "md" and g[0] and g[0].isdigit():
        mo, d = int(g[0]), int(g[1])  # type: ignore[arg-type]
    elif shape in ("md", "mdy"):
        mo, d, y = _month(g[0]), int(g[1]), int(g[2]) if len(g) > 2 and g[2] else None  # type: ignore[arg-type]
    elif shape in ("dm", "dmy"):
        d, mo, y = int(g[0]), _month(g[1]), int(g[2]) if len(g) > 2 and g[2] else None  # type: ignore[arg-type]
    elif shape == "my":
        mo, y = _month(g[0]), int(g[1]) if g[1] else None
    elif shape == "m":
        mo = int(g[0])  # type: ignore[arg-type]
    elif shape in ("d", "last_month_d"):
        d, offset = int(g[0]), -1 if shape == "last_month_d" else 0  # type: ignore[arg-type]
    elif shape == "wd":
        wd = WEEKDAYS[g[0].lower()]  # type: ignore[union-attr]
    if (mo is not None and not 1 <= mo <= 12) or (d is not None and not 1 <= d <= 31):
        return None
    if y is not None and not 1990 <= y <= 2100:
        return None
    return {"year": y, "month": mo, "day": d, "weekday": wd, "month_offset": offset}


def _month(name: str | None) -> int:
    return KM_MONTHS.get(name or "") or MONTHS[(name or "").lower()]


def find_people(text: str, lang: str) -> list[dict[str, Any]]:
    """People named in the report: {"kind": surname | initial | name, "key", "given", "age"}."""
    ko_keys, en_keys = surname_keys()
    out: list[dict[str, Any]] = []

    def add(m: re.Match[str], kind: str, key: str, age: str | None = None, given: str = "") -> None:
        out.append({"text": m.group(0), "start": m.start(), "end": m.end(), "kind": kind, "key": key,
                    "given": given, "age": int(age) if age else None})

    if lang == "ko":
        # Each pattern needs a literal the regex engine finds fast: look for it first (the same matches).
        bracketed_age, marked = bool(_BRACKETED_AGE.search(text)), bool(_SURNAME_MARK.search(text))
        for m in _KO_SURNAME_AGE.finditer(text) if bracketed_age and marked else ():
            if m.group(1) in ko_keys:
                add(m, "surname", ko_keys[m.group(1)], m.group(2))
        for m in _KO_SURNAME.finditer(text) if marked else ():
            if m.group(1) in ko_keys and not _overlaps(out, m):
                add(m, "surname", ko_keys[m.group(1)])
        for m in _ko_surname_role().finditer(text):
            if m.group(1) in ko_keys and not _overlaps(out, m):
                add(m, "surname", ko_keys[m.group(1)])
        for m in _KO_INITIAL.finditer(text) if "씨" in text or bracketed_age else ():
            add(m, "initial", m.group(1).lower(), m.group(2) or m.group(3))
        name_ages = list(_KO_NAME_AGE.finditer(text)) if bracketed_age else []
        for m in name_ages + list(_ko_role_name().finditer(text)):
            name = m.group(1)
            if name[0] in ko_keys and _may_be_name(name, m) and not _overlaps(out, m):
                age = m.group(2) if m.re is _KO_NAME_AGE else None
                add(m, "name", ko_keys[name[0]], age, ko_given_skeleton(name[1:]))
        return out
    for _, m in _en_name_scan().matches(text):
        key = en_keys[m.group(1).lower()]
        if m.group(4) and m.group(0).lower() in _site_aliases():  # Bang Lamung is a place, not Mr Bang
            continue
        if m.group(4):
            add(m, "name", key, None, given_skeleton(m.group(4)))
        else:
            add(m, "surname", key, m.group(2) or m.group(3))
    # The three patterns below need "surnamed ", "Mr"/"Ms"/"Miss" and "-year-old ": a substring test first.
    for m in _EN_SURNAMED.finditer(text) if "surnamed " in text else ():
        if m.group(1).lower() in en_keys and not _overlaps(out, m):
            add(m, "surname", en_keys[m.group(1).lower()])
    for m in _EN_TITLE_INITIAL.finditer(text) if "Mr" in text or "Ms" in text or "Miss" in text else ():
        add(m, "initial", m.group(1).lower())
    for m in _EN_AGE_INITIAL.finditer(text) if "-year-old " in text else ():
        if m.group(2) not in ("I",):
            add(m, "initial", m.group(2).lower(), m.group(1))
    return out


# Endings of Korean words no given name has: verb and adjective forms (정확한, 석방된, 기다린, 도착해),
# particles (이유로, 신문은), a team (전담팀). Some real names end in 한, 은, 인, 진 or 지: those endings are
# refused only when other words stand between the word and the role ("정확한 사망 경위").
_NEVER_NAME_END = frozenset("된던는을를로에서고게면며팀들당부청군")
_APART_NAME_END = frozenset("한은인진지린해의도만")


def _may_be_name(word: str, m: re.Match[str]) -> bool:
    if word[-1] in _NEVER_NAME_END:
        return False
    return not (m.group(0).count(" ") > 1 and word[-1] in _APART_NAME_END)


def _overlaps(found: list[dict[str, Any]], m: re.Match[str]) -> bool:
    return any(f["start"] < m.end() and m.start() < f["end"] for f in found)


def find_sites(text: str, lang: str) -> list[dict[str, Any]]:
    """Named sites ({"id": "kk-park"}) and kinds of site ({"id": "kind:hotel"}) the text mentions."""
    patterns = _site_patterns(lang)
    first: dict[str, re.Match[str]] = {}
    any_site, pos = _any_site(lang), 0
    # One scan for all sites: each position where some site matches is tried for every site not yet
    # found, so each site's first match is the one its own search would return.
    while len(first) < len(patterns) and (hit := any_site.search(text, pos)):
        for site_id, pattern in patterns:
            if site_id not in first and (m := pattern.match(text, hit.start())):
                first[site_id] = m
        pos = hit.start() + 1
    return [{"id": site_id, "text": m.group(0), "start": m.start(), "end": m.end()}
            for site_id, pattern in patterns if (m := first.get(site_id))]


def find_counts(text: str, lang: str) -> list[dict[str, Any]]:
    """The numbers of people the text counts ("33명", "ten South Koreans", "four bodies"), 2 or more."""
    found = []
    for m in _count_pattern(lang).finditer(to_ascii_digits(text)):
        raw = m.group(1).lower().replace(",", "")
        value = NUMBER_WORDS.get(raw) if not raw.isdigit() else int(raw)
        if value is not None and 2 <= value <= MAX_COUNT:
            found.append({"value": value, "text": m.group(0), "start": m.start(), "end": m.end()})
    return found


@cache
def _cue_patterns(lang: str) -> tuple[AnyTerm, AnyTerm]:
    cues = _data()["incident_cues"]
    code = lang if f"{lang}_people" in cues else "en"
    return (AnyTerm([re.escape(w) for w in cues[f"{code}_people"]], "en" if code == "en" else code),
            AnyTerm([re.escape(w) for w in cues[f"{code}_events"]], "en" if code == "en" else code))


def has_incident_cue(text: str, lang: str) -> bool:
    """True when the text names people of interest and something that happened to them."""
    people, events = _cue_patterns(lang)
    return bool(people.search(text) and events.search(text))


_SEX = {
    "ko": (re.compile(r"여성|女|여대생|여학생|주부|딸"), re.compile(r"남성|男|남자|남학생|아들|청년")),
    "en": (re.compile(r"\b(?:woman|women|female|girl|daughter|mother)\b", re.IGNORECASE),
           re.compile(r"\b(?:man|men|male|boy|son|father)\b", re.IGNORECASE)),
}


def find_sex(lead: str, lang: str) -> list[str]:
    """'female' / 'male' when the lead speaks of women / men."""
    female, male = _SEX.get(lang, _SEX["en"])
    return [label for label, pattern in (("female", female), ("male", male)) if pattern.search(lead)]


_KO_SUM = re.compile(r"(\d+(?:[.,]\d+)?)\s?(조|억|천만|백만|만)\s?(?:\d+(?:천|백)?만\s?)?원")
_EN_SUM = re.compile(r"(?:(\$|US\$|USD ?)(\d+(?:\.\d+)?)\s?(billion|million|bn|m|M)\b|"
                     r"(\d+(?:\.\d+)?)[- ](billion|million|trillion)[- ]won)", re.IGNORECASE)
_KO_UNIT = {"조": 1e12, "억": 1e8, "천만": 1e7, "백만": 1e6, "만": 1e4}
_EN_UNIT = {"trillion": 1e12, "billion": 1e9, "bn": 1e9, "million": 1e6, "m": 1e6}
WON_PER_USD = 1400.0  # only to compare a dollar sum with a won sum, with a wide tolerance


def find_sums(text: str, lang: str) -> list[dict[str, Any]]:
    """Large sums of money ("120억 원", "12 billion won", "$13 million"), in won: a scam's takings or
    damages identify a case across languages even when no ransom is named."""
    out = []
    pattern = _KO_SUM if lang == "ko" else _EN_SUM
    for m in pattern.finditer(to_ascii_digits(text)):
        if lang == "ko":
            krw = float(m.group(1).replace(",", "")) * _KO_UNIT[m.group(2)]
        elif m.group(2):
            krw = float(m.group(2)) * _EN_UNIT[m.group(3).lower()] * WON_PER_USD
        else:
            krw = float(m.group(4)) * _EN_UNIT[m.group(5).lower()]
        if krw >= 1e8:
            out.append({"krw": krw, "text": m.group(0), "start": m.start(), "end": m.end()})
    return out


def no_identity(lang: str) -> dict[str, Any]:
    """The identity of a report that can join no story (no incident cue, not relevant): no facts to look for."""
    return {"dates": [], "people": [], "sites": [], "counts": [], "sums": [], "incident_cue": False,
            "lead_chars": LEAD_CHARS.get(lang, LEAD_CHARS["en"]), "sex": []}


def find_identity(text: str, lang: str, title: str | None = None) -> dict[str, Any]:
    """Every identity fact of a report; title hits are marked "in_title" (offsets are into the title)."""
    parts = [("text", text)] + ([("title", title)] if title and title.strip() else [])
    out = no_identity(lang)
    finders = (("dates", find_dates), ("people", find_people), ("sites", find_sites), ("counts", find_counts),
               ("sums", find_sums))
    for where, chunk in parts:
        for key, finder in finders:
            hits = finder(chunk, lang)
            for hit in hits:
                hit["in_title"] = where == "title"
                hit["lead"] = where == "title" or hit["start"] < out["lead_chars"]
            out[key].extend(hits)
        out["incident_cue"] = out["incident_cue"] or has_incident_cue(chunk, lang)
    out["sex"] = find_sex(f"{title or ''}\n{text[: out['lead_chars']]}", lang)
    return out
