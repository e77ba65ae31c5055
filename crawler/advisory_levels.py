"""The one table that normalizes every issuer's travel-advice levels to 1–4, plus country and time
resolution for the advisory spiders: issuers name countries and times in their own ways.

Normalized scale (what `AdvisoryItem.level` means, for every issuer):
  1  normal precautions
  2  increased / high degree of caution
  3  reconsider travel / avoid non-essential travel
  4  do not travel / avoid all travel / travel ban (or leave)
  None  the issuer gives no level (e.g. Smartraveller "No travel advice")

Mapping choices (the "why" behind ISSUER_LEVELS):
- us-state, ca-gac and au-smartraveller have the same four steps: one to one.
- uk-fcdo has no graded scale, only `alert_status` flags. No flag → 1; advice against all but essential
  travel → 3, against all travel → 4. A flag that covers only *parts* of a country goes on region rows;
  the whole country then gets 2 ("some areas carry more risk"), the way the US and Canada grade a
  country with restricted zones.
- kr-mofa and jp-mofa start their four steps at "be careful": a country without any alarm is the normal
  state (1). So Korea 여행유의 / Japan レベル1 (caution) → 2, 여행자제 / レベル2 (avoid non-essential) → 3,
  출국권고 (leave) / 여행금지 (travel ban) and レベル3 (do not travel) / レベル4 (evacuate) → 4.
  The issuer's own step stays in `level_native`, so nothing is lost.
"""

from __future__ import annotations

import html
import json
import logging
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import pycountry
from lxml import etree

from crawler.items import AdvisoryItem

log = logging.getLogger(__name__)

NORMALIZED_LABELS: dict[int, str] = {
    1: "Exercise normal precautions",
    2: "Exercise increased caution",
    3: "Reconsider travel / avoid non-essential travel",
    4: "Do not travel / avoid all travel",
}

ISSUERS = ("us-state", "uk-fcdo", "ca-gac", "au-smartraveller", "kr-mofa", "jp-mofa")

# Each issuer's native level (its code or label, compared case-insensitively) → normalized level.
ISSUER_LEVELS: dict[str, dict[str, int | None]] = {
    "us-state": {
        "1": 1,
        "exercise normal precautions": 1,
        "2": 2,
        "exercise increased caution": 2,
        "3": 3,
        "reconsider travel": 3,
        "4": 4,
        "do not travel": 4,
    },
    "uk-fcdo": {
        "none": 1,
        "avoid_all_but_essential_travel_to_parts": 2,  # whole country; the parts get region rows at 3
        "avoid_all_travel_to_parts": 2,  # whole country; the parts get region rows at 4
        "avoid_all_but_essential_travel_to_whole_country": 3,
        "avoid_all_travel_to_whole_country": 4,
        "advises against all but essential travel": 3,  # region wording in parts[].body
        "advises against all travel": 4,
    },
    "ca-gac": {
        "0": 1,
        "exercise normal security precautions": 1,
        "1": 2,
        "exercise a high degree of caution": 2,
        "2": 3,
        "avoid non-essential travel": 3,
        "3": 4,
        "avoid all travel": 4,
    },
    "au-smartraveller": {
        "exercise normal safety precautions": 1,
        "exercise a high degree of caution": 2,
        "reconsider your need to travel": 3,
        "do not travel": 4,
        "no travel advice": None,
    },
    "kr-mofa": {
        "0": 1,
        "없음": 1,  # no alarm for the country
        "1": 2,
        "여행유의": 2,
        "2": 3,
        "여행자제": 3,
        "3": 4,
        "출국권고": 4,
        "4": 4,
        "여행금지": 4,
        "특별여행주의보": 3,  # special advisory, between 여행자제 and 출국권고
    },
    "jp-mofa": {
        "0": 1,  # no danger information
        "1": 2,
        "十分注意してください": 2,
        "2": 3,
        "不要不急の渡航は止めてください": 3,
        "3": 4,
        "渡航は止めてください（渡航中止勧告）": 4,
        "4": 4,
        "退避してください。渡航は止めてください。（退避勧告）": 4,
    },
}

# The issuer's own words for its numbered steps (labels for rows whose payload carries only a number).
ISSUER_LABELS: dict[str, dict[str, str]] = {
    "us-state": {"1": "Exercise Normal Precautions", "2": "Exercise Increased Caution",
                 "3": "Reconsider Travel", "4": "Do Not Travel"},
    "ca-gac": {"0": "Exercise normal security precautions", "1": "Exercise a high degree of caution",
               "2": "Avoid non-essential travel", "3": "Avoid all travel"},
    "kr-mofa": {"0": "여행경보 없음", "1": "여행유의", "2": "여행자제", "3": "출국권고", "4": "여행금지"},
    "jp-mofa": {"0": "危険情報なし", "1": "レベル1：十分注意してください", "2": "レベル2：不要不急の渡航は止めてください",
                "3": "レベル3：渡航は止めてください（渡航中止勧告）", "4": "レベル4：退避してください（退避勧告）"},
    "uk-fcdo": {"none": "No FCDO advice against travel",
                "avoid_all_but_essential_travel_to_parts": "Advice against all but essential travel to parts",
                "avoid_all_travel_to_parts": "Advice against all travel to parts",
                "avoid_all_but_essential_travel_to_whole_country": "Advice against all but essential travel",
                "avoid_all_travel_to_whole_country": "Advice against all travel"},
}  # fmt: skip

# Where each issuer's naive local times live (a date or time with no zone is read in this zone).
ISSUER_ZONES: dict[str, str] = {
    "us-state": "America/New_York",
    "uk-fcdo": "Europe/London",
    "ca-gac": "America/Toronto",
    "au-smartraveller": "Australia/Sydney",
    "kr-mofa": "Asia/Seoul",
    "jp-mofa": "Asia/Tokyo",
}


class AdvisoryPayloadError(ValueError):
    """A payload that cannot be read at all (not JSON/XML, an error envelope, a maintenance page)."""


def normalize_advisory_level(issuer: str, native: str | int | None) -> int | None:
    """Map an issuer's native level code or label to 1–4 (None when it gives no level or is unknown)."""
    if native is None:
        return None
    table = ISSUER_LEVELS.get(issuer)
    if table is None:
        raise KeyError(f"unknown advisory issuer {issuer!r}")
    key = " ".join(str(native).split()).casefold()
    if key in table:
        return table[key]
    log.debug("%s: unknown native level %r", issuer, native)
    return None


def native_label(issuer: str, code: str | int) -> str:
    """The issuer's own wording for a numbered step, or the code itself when there is none."""
    return ISSUER_LABELS.get(issuer, {}).get(str(code), str(code))


def level_from_text(issuer: str, text: str) -> tuple[int | None, str]:
    """Find the strongest of an issuer's level phrases inside free text: (level, the phrase found)."""
    folded = " ".join(text.split()).casefold()
    best: tuple[int | None, str] = (None, "")
    for phrase, level in ISSUER_LEVELS.get(issuer, {}).items():
        if phrase.isdigit() or level is None or phrase not in folded:
            continue
        if best[0] is None or level > best[0] or (level == best[0] and len(phrase) > len(best[1])):
            best = (level, phrase)
    return best


# ---- countries -------------------------------------------------------------------------------
# Names and slugs that ISO's names do not cover (compared after `_name_key`).
COUNTRY_ALIASES: dict[str, str] = {
    "burma": "MM", "burma myanmar": "MM", "myanmar burma": "MM", "macau": "MO", "macau sar": "MO",
    "mainland china": "CN", "china": "CN", "hong kong sar": "HK", "russia": "RU", "turkey": "TR",
    "brunei": "BN", "cote d ivoire": "CI", "ivory coast": "CI", "kosovo": "XK", "cape verde": "CV",
    "micronesia": "FM", "federated states of micronesia": "FM", "palestine": "PS",
    "occupied palestinian territories": "PS", "palestinian territories": "PS", "west bank and gaza": "PS",
    "curacao": "CW", "vatican city": "VA", "holy see": "VA", "vatican": "VA", "bahamas": "BS",
    "gambia": "GM", "democratic republic of the congo": "CD", "drc": "CD", "congo kinshasa": "CD",
    "republic of the congo": "CG", "congo brazzaville": "CG", "congo": "CG", "east timor": "TL",
    "south korea": "KR", "republic of korea": "KR", "korea south": "KR", "north korea": "KP",
    "democratic people s republic of korea": "KP", "korea north": "KP", "laos": "LA", "lao pdr": "LA",
    "vietnam": "VN", "viet nam": "VN", "usa": "US", "united states": "US", "uk": "GB",
    "united kingdom": "GB", "czech republic": "CZ", "swaziland": "SZ", "macedonia": "MK",
    "st kitts and nevis": "KN", "st lucia": "LC", "st vincent and the grenadines": "VC",
    "st helena ascension and tristan da cunha": "SH", "st maarten": "SX", "sint maarten": "SX",
    "st martin": "MF", "st pierre and miquelon": "PM", "st barthelemy": "BL",
    "bonaire st eustatius and saba": "BQ", "bonaire st eustatius saba": "BQ",
    "british virgin islands": "VG", "us virgin islands": "VI", "pitcairn island": "PN",
    "pitcairn islands": "PN", "south georgia and south sandwich islands": "GS", "syria": "SY",
    "iran": "IR", "moldova": "MD", "bolivia": "BO", "venezuela": "VE", "tanzania": "TZ", "taiwan": "TW",
    "falkland islands": "FK", "reunion": "RE", "netherlands the": "NL", "philippines the": "PH",
}  # fmt: skip

# Codes accepted as country codes although ISO 3166-1 has not assigned them (used by every issuer).
EXTRA_COUNTRY_CODES = frozenset({"XK"})


def _name_key(name: str) -> str:
    """Fold a country name or slug for comparison: accents, case, punctuation, 'the', 'saint'."""
    text = unicodedata.normalize("NFKD", html.unescape(name))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("&", " and ").replace("’", "'")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    text = re.sub(r"\bsaint\b|\bste?\b", "st", text)
    text = re.sub(r"^the\s+", "", text.strip())
    return " ".join(text.split())


@lru_cache(maxsize=1)
def _iso_name_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(country, attr, None)
            if value:
                index.setdefault(_name_key(value), country.alpha_2)
    index.update(COUNTRY_ALIASES)
    return index


def is_country_code(code: str | None) -> bool:
    """True for an ISO 3166-1 alpha-2 code (or one of the few user-assigned codes issuers use)."""
    if not code or len(code) != 2 or not code.isascii() or not code.isupper():
        return False
    return code in EXTRA_COUNTRY_CODES or pycountry.countries.get(alpha_2=code) is not None


def country_from_name(name: str | None) -> str | None:
    """ISO alpha-2 for an English country name, title or slug ('South Korea (Republic of Korea)',
    'cote-d-ivoire', 'Macau SAR'); None when it names no single country."""
    if not name:
        return None
    key = _name_key(name)
    index = _iso_name_index()
    if key in index:
        return index[key]
    outside, _, inside = name.partition("(")
    for part in (outside, inside.rstrip(") ")):
        part_key = _name_key(part)
        if part_key and part_key != key and part_key in index:
            return index[part_key]
    return None


def country_from_alpha3(code: str | None) -> str | None:
    """ISO alpha-2 for an alpha-3 code such as the US advisory pages' `destination.khm.html`."""
    if not code or len(code) != 3:
        return None
    country = pycountry.countries.get(alpha_3=code.upper())
    return country.alpha_2 if country else ("XK" if code.upper() in {"XKX", "XKS", "KOS"} else None)


def split_country_names(title: str) -> list[str]:
    """'Mainland China, Hong Kong & Macau' → ['Mainland China', 'Hong Kong', 'Macau']."""
    parts = re.split(r"\s*,\s*|\s+&\s+|\s+and\s+", title)
    return [p.strip() for p in parts if p.strip()]


# Japan MOFA's 4-digit country codes are mostly the international calling codes, zero-padded; the shared
# +1 and +7 get codes of their own (USA 1000, Canada 9001, Kazakhstan 0007, Russia 9007).
JP_COUNTRY_CODES: dict[str, str] = {
    "0855": "KH", "0066": "TH", "0856": "LA", "0095": "MM", "0084": "VN", "0063": "PH",
    "0082": "KR", "0086": "CN", "0852": "HK", "0853": "MO", "0886": "TW", "0060": "MY",
    "0065": "SG", "0062": "ID", "0673": "BN", "0670": "TL", "0091": "IN", "0092": "PK",
    "0880": "BD", "0094": "LK", "0977": "NP", "0975": "BT", "0960": "MV", "0976": "MN",
    "0093": "AF", "0098": "IR", "0964": "IQ", "0963": "SY", "0961": "LB", "0962": "JO",
    "0972": "IL", "0966": "SA", "0967": "YE", "0968": "OM", "0971": "AE", "0974": "QA",
    "0973": "BH", "0965": "KW", "0090": "TR", "0020": "EG", "0044": "GB", "0033": "FR",
    "0049": "DE", "0039": "IT", "0034": "ES", "0061": "AU", "0064": "NZ", "0055": "BR",
    "0052": "MX", "0057": "CO", "0051": "PE", "0054": "AR", "0056": "CL", "0027": "ZA",
    "0234": "NG", "0254": "KE", "0380": "UA", "0850": "KP", "1000": "US", "9001": "CA",
    "0007": "KZ", "9007": "RU", "0212": "MA", "0675": "PG",
}  # fmt: skip

# Japanese names of the default scope and its neighbours, for payloads whose code is missing or shared.
JP_COUNTRY_NAMES: dict[str, str] = {
    "カンボジア": "KH", "タイ": "TH", "ラオス": "LA", "ミャンマー": "MM", "ベトナム": "VN",
    "フィリピン": "PH", "韓国": "KR", "大韓民国": "KR", "中国": "CN", "マレーシア": "MY",
    "インドネシア": "ID", "シンガポール": "SG", "北朝鮮": "KP", "台湾": "TW", "香港": "HK", "マカオ": "MO",
}  # fmt: skip


def country_from_jp_code(code: str | None, name: str | None = None) -> str | None:
    """ISO alpha-2 for a Japan MOFA country code ('0855') or, failing that, its Japanese name."""
    if code and code.strip().zfill(4) in JP_COUNTRY_CODES:
        return JP_COUNTRY_CODES[code.strip().zfill(4)]
    return JP_COUNTRY_NAMES.get((name or "").strip())


# ---- text and time ---------------------------------------------------------------------------
def html_to_text(fragment: str | None) -> str:
    """Plain text of an HTML fragment: tags dropped, entities (even double-escaped) decoded, spaces folded."""
    if not fragment:
        return ""
    text = re.sub(
        r"<\s*/?\s*(br|p|li|ul|ol|h\d|div|section|tr|td|th|table)\b[^>]*>", " ", fragment, flags=re.IGNORECASE
    )
    text = re.sub(r"<[^>]*>", "", text)
    for _ in range(2):  # '&amp;nbsp;' is '&nbsp;' escaped twice
        text = html.unescape(text)
    text = text.replace("&**", "").replace("\u00a0", " ")
    return " ".join(text.split())


def local_to_utc(value: datetime | date, issuer: str) -> datetime:
    """An issuer's naive local date or time as aware UTC (a bare date means 00:00 local)."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(ISSUER_ZONES[issuer]))
    return value.astimezone(UTC)


@dataclass
class ParsedAdvisories:
    """What a parser read from one payload: the items, and a line per entry it had to skip."""

    items: list[AdvisoryItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def skip(self, reason: str) -> None:
        log.warning("advisory entry skipped: %s", reason)
        self.problems.append(reason)


def in_scope(country: str, scope: Collection[str] | None) -> bool:
    """True when no scope is set or the country is in it."""
    return scope is None or country in scope


# ---- payloads --------------------------------------------------------------------------------
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_XML_RECOVER = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)


def read_xml_payload(body: bytes, what: str) -> tuple[etree._Element, str | None]:
    """Parse an XML payload; a broken one is recovered where lxml can (the second value then says so)."""
    if not body or not body.strip():
        raise AdvisoryPayloadError(f"{what}: empty payload")
    try:
        return etree.fromstring(body, _XML_PARSER), None
    except etree.XMLSyntaxError as exc:
        try:
            root = etree.fromstring(body, _XML_RECOVER)
        except etree.XMLSyntaxError:
            root = None
        if root is None:
            raise AdvisoryPayloadError(f"{what}: not XML ({exc})") from exc
        return root, f"{what}: malformed XML, read what could be recovered ({exc})"


def read_json_payload(body: bytes, what: str) -> Any:
    """Parse a JSON payload (UTF-8, with or without BOM) or say clearly why it is not one."""
    if not body or not body.strip():
        raise AdvisoryPayloadError(f"{what}: empty payload")
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        start = body.lstrip()[:40]
        raise AdvisoryPayloadError(f"{what}: not JSON ({exc}); starts with {start!r}") from exc
