"""Country codes from the ways issuers and sites name countries: ISO names and slugs (with the aliases
ISO does not cover), alpha-3 codes, titles listing several countries, and Japan MOFA's numeric codes."""
from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

import pycountry

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
}

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
}

# Japanese names of the default scope and its neighbours, for payloads whose code is missing or shared.
JP_COUNTRY_NAMES: dict[str, str] = {
    "カンボジア": "KH", "タイ": "TH", "ラオス": "LA", "ミャンマー": "MM", "ベトナム": "VN",
    "フィリピン": "PH", "韓国": "KR", "大韓民国": "KR", "中国": "CN", "マレーシア": "MY",
    "インドネシア": "ID", "シンガポール": "SG", "北朝鮮": "KP", "台湾": "TW", "香港": "HK", "マカオ": "MO",
}


def country_from_jp_code(code: str | None, name: str | None = None) -> str | None:
    """ISO alpha-2 for a Japan MOFA country code ('0855') or, failing that, its Japanese name."""
    if code and code.strip().zfill(4) in JP_COUNTRY_CODES:
        return JP_COUNTRY_CODES[code.strip().zfill(4)]
    return JP_COUNTRY_NAMES.get((name or "").strip())
