"""How a story's facts read on its page: each place once ("Phnom Penh · KH", not "Phnom Penh, Phnom
Penh · KH"), one chip per distinct fact, the incident types most reports state apart from those only one
report mentions, and merge reasons without repeats ("1 day apart"). Pure functions used as filters."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

DAYS_APART = re.compile(r"\b1 days\b")
SEPARATOR = re.compile(r",\s*")


def place_label(place: dict[str, Any]) -> str:
    """'Bavet, Svay Rieng · KH'; the province is left out where it only repeats the place's name."""
    name = place.get("name") or place.get("text") or ""
    admin1 = place.get("admin1") or ""
    label = f"{name}, {admin1}" if admin1 and admin1.casefold() != name.casefold() else name
    return f"{label} · {place['country']}" if place.get("country") else label


def unique_places(places: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Places in text order, each named place once (a place the text names three times is one chip)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for place in places or []:
        key = (str(place.get("name") or place.get("text") or "").casefold(), str(place.get("country") or ""))
        if key not in seen:
            seen.add(key)
            out.append(place)
    return out


def unique_by(items: Iterable[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    """Items with a distinct value of `keys` (ages by value, ransoms by amount and currency), first kept."""
    seen: set[tuple[Any, ...]] = set()
    out = []
    for item in items or []:
        key = tuple(item.get(k) for k in keys)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def incident_types_by_support(story: dict[str, Any]) -> dict[str, list[str]]:
    """The story's incident types split into `main` (stated by at least half of its processed reports,
    most stated first) and `also` (mentioned by fewer): seven types in a row tell a reader nothing."""
    counts: Counter[str] = Counter()
    processed = 0
    for doc in story.get("documents") or []:
        types = (doc.get("extraction") or {}).get("incident_types") or []
        processed += bool(doc.get("extraction"))
        counts.update(set(types))
    types = list(story.get("incident_types") or [])
    if not processed:
        return {"main": types, "also": []}
    ranked = sorted(types, key=lambda t: (-counts[t], t))
    main = [t for t in ranked if counts[t] * 2 >= processed] or ranked[:2]
    return {"main": main, "also": [t for t in ranked if t not in main]}


def tidy_reason(reason: str | None) -> str:
    """A merge reason as people write it: '1 day apart', and a repeated name or phrase said once."""
    if not reason:
        return ""
    return ", ".join(_dedupe_runs(SEPARATOR.split(DAYS_APART.sub("1 day", reason))))


def _dedupe_runs(parts: list[str]) -> list[str]:
    """Drop a fragment equal to one already said ('same place Phnom Penh, Phnom Penh, Phnom Penh')."""
    out: list[str] = []
    said: set[str] = set()
    for part in parts:
        bare = part.casefold().removeprefix("same place ").strip()
        if bare in said:
            continue
        said.add(bare)
        out.append(part)
    return out
