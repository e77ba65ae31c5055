"""The evidence stories are built from: MinHash signatures for near-duplicates, and the facts of an
extraction (ages, places, ransoms, types) that identify one incident across languages. Pure functions."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

NUM_PERM = 64
BANDS, ROWS = 16, 4  # LSH: documents sharing any band of 4 hash values are compared
SHINGLE = 5
MIN_TEXT_CHARS = 60  # shorter texts get no signature: too little text to call two of them duplicates
NEAR_DUPLICATE_JACCARD = 0.5
MIN_SPECIFIC_GROUP = 3  # one or two victims is too common a count to tell two cases apart
RANSOM_TOLERANCE = 0.15  # two USD figures within 15% are one ransom (stated vs converted figures differ)
STRONG_MATCHES_NEEDED = 2

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def minhash_signature(text: str) -> np.ndarray | None:
    """MinHash over character 5-grams of the normalized text (works for Korean, English and Khmer)."""
    from datasketch import MinHash  # loaded on first use: commands that only read the store start faster

    norm = _NON_WORD.sub(" ", text.lower()).strip()
    if len(norm) < MIN_TEXT_CHARS:
        return None
    shingles = {norm[i : i + SHINGLE].encode("utf-8") for i in range(len(norm) - SHINGLE + 1)}
    mh = MinHash(num_perm=NUM_PERM, seed=1)
    mh.update_batch(list(shingles))
    return np.asarray(mh.hashvalues, dtype=np.uint64)


def signature_to_text(sig: np.ndarray) -> str:
    return sig.astype("<u8").tobytes().hex()


def signature_from_text(value: str | None) -> np.ndarray | None:
    if not value:
        return None
    try:
        sig = np.frombuffer(bytes.fromhex(value), dtype="<u8")
    except ValueError:
        return None
    return sig if sig.size == NUM_PERM else None


def band_keys(sig: np.ndarray) -> list[str]:
    """One key per LSH band: '<band>:<hash of its rows>'."""
    keys = []
    for b in range(BANDS):
        chunk = sig[b * ROWS : (b + 1) * ROWS].astype("<u8").tobytes()
        keys.append(f"{b}:{hashlib.blake2b(chunk, digest_size=8).hexdigest()}")
    return keys


def estimated_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a == b)) / NUM_PERM


def empty_facts() -> dict[str, Any]:
    return {"types": [], "ages": [], "ransoms_usd": [], "deaths": 0, "places": [], "victim_counts": []}


def place_key(place: dict[str, Any]) -> str:
    if place.get("geonameid"):
        return f"g{place['geonameid']}"
    return "/".join(str(place.get(k) or "") for k in ("country", "admin1", "name")).lower()


def document_facts(extraction: dict[str, Any]) -> dict[str, Any]:
    """The facts one extraction contributes to a story."""
    types = sorted(set(extraction.get("incident_types") or []))
    ransoms = sorted({round(float(r["usd"]), 2) for r in extraction.get("ransoms") or [] if r.get("usd")})
    places: dict[str, dict[str, Any]] = {}
    for p in extraction.get("places") or []:
        slim = {k: p.get(k) for k in ("name", "country", "admin1", "geonameid", "lat", "lon")}
        places.setdefault(place_key(slim), slim)
    deaths = (extraction.get("victim_count") or 1) if "death" in types else 0
    count = extraction.get("victim_count")
    return {
        "types": types,
        "ages": sorted({int(a["value"]) for a in extraction.get("victim_ages") or [] if a.get("value") is not None}),
        "ransoms_usd": _cluster_ransoms([], ransoms),
        "deaths": int(deaths),
        "places": [places[k] for k in sorted(places)],
        "victim_counts": [int(count)] if count else [],
    }


def merge_facts(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The union of two fact sets. Existing facts never change, so the key changes only on a new fact."""
    old = {**empty_facts(), **(old or {})}
    known = {place_key(p) for p in old["places"]}
    extra = [p for p in new["places"] if place_key(p) not in known]
    return {
        "types": sorted(set(old["types"]) | set(new["types"])),
        "ages": sorted(set(old["ages"]) | set(new["ages"])),
        "ransoms_usd": _cluster_ransoms(old["ransoms_usd"], new["ransoms_usd"]),
        "deaths": max(int(old["deaths"]), int(new["deaths"])),
        "places": sorted(old["places"] + extra, key=place_key),
        "victim_counts": sorted(set(old["victim_counts"]) | set(new.get("victim_counts", []))),
    }


def facts_key(facts: dict[str, Any]) -> str:
    """A hash of the facts: changes exactly when a new fact appears (alerts re-fire as 'update')."""
    canon = {**facts, "places": sorted(place_key(p) for p in facts.get("places", []))}
    return hashlib.sha256(json.dumps(canon, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def same_ransom(a: float, b: float) -> bool:
    return abs(a - b) <= RANSOM_TOLERANCE * max(a, b)


def _cluster_ransoms(kept: list[float], new: list[float]) -> list[float]:
    out = list(kept)
    for value in new:
        if not any(same_ransom(value, v) for v in out):
            out.append(value)
    return sorted(out)


@dataclass
class FactMatch:
    """How a document's facts compare with a story's: strong evidence, weak evidence, conflicts."""

    strong: list[str] = field(default_factory=list)
    weak: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    @property
    def merges(self) -> bool:
        return not self.conflicts and len(self.strong) >= STRONG_MATCHES_NEEDED

    @property
    def score(self) -> float:
        return len(self.strong) + 0.25 * len(self.weak)

    def reason(self) -> str:
        return ", ".join(self.strong + self.weak)


def compare_facts(doc: dict[str, Any], story: dict[str, Any], days_apart: float | None) -> FactMatch:
    """Compare one document's facts with a story's; ages and ransoms that disagree are conflicts."""
    m = FactMatch()
    _compare_ages(doc["ages"], story.get("ages", []), m)
    _compare_places(doc["places"], story.get("places", []), m)
    _compare_ransoms(doc["ransoms_usd"], story.get("ransoms_usd", []), m)
    _compare_group_sizes(doc.get("victim_counts", []), story.get("victim_counts", []), m)
    shared_types = sorted(set(doc["types"]) & set(story.get("types", [])) - {"advisory"})
    if shared_types:
        m.weak.append(f"both {'/'.join(shared_types)}")
    if days_apart is not None:
        m.weak.append(f"{days_apart:.0f} days apart" if days_apart >= 1 else "same day")
    return m


def _compare_ages(doc_ages: list[int], story_ages: list[int], m: FactMatch) -> None:
    if doc_ages and story_ages:
        shared = sorted(set(doc_ages) & set(story_ages))
        if shared:
            m.strong.append("same age " + "/".join(map(str, shared)))
        else:
            m.conflicts.append(f"ages {doc_ages} vs {story_ages}")


def _compare_places(
    doc_places: list[dict[str, Any]], story_places: list[dict[str, Any]], m: FactMatch
) -> None:
    ids = {p["geonameid"] for p in story_places if p.get("geonameid")}
    admin1s = {(p.get("country"), p.get("admin1")) for p in story_places if p.get("admin1")}
    for p in doc_places:
        if p.get("admin1") and p.get("geonameid") in ids:  # sub-national only: a country proves nothing
            m.strong.append(f"same place {p.get('name') or p['geonameid']}, {p['admin1']}")
            return
        if p.get("admin1") and (p.get("country"), p["admin1"]) in admin1s:
            m.strong.append(f"same admin1 {p['admin1']}")
            return
    shared = {p.get("country") for p in doc_places} & {p.get("country") for p in story_places} - {None, ""}
    countries: set[str] = {c for c in shared if c is not None}  # None is gone already; this tells mypy
    if countries:
        m.weak.append("same country " + "/".join(sorted(countries)))


def _compare_group_sizes(doc_counts: list[int], story_counts: list[int], m: FactMatch) -> None:
    """The same number of victims is strong evidence when the group is large enough to be specific
    ("64 Koreans"); a differing count is no conflict, since reports revise counts as a case unfolds."""
    shared = sorted(c for c in set(doc_counts) & set(story_counts) if c >= MIN_SPECIFIC_GROUP)
    if shared:
        m.strong.append(f"same number of victims {shared[-1]}")


def _compare_ransoms(doc_usd: list[float], story_usd: list[float], m: FactMatch) -> None:
    if doc_usd and story_usd:
        pairs = [(a, b) for a in doc_usd for b in story_usd if same_ransom(a, b)]
        if pairs:
            m.strong.append(f"ransom {pairs[0][0]:.0f} USD")
        else:
            m.conflicts.append(f"ransoms {doc_usd} vs {story_usd} USD")


def days_between(a: datetime | None, b: datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return abs((a - b).total_seconds()) / 86400
