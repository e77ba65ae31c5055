"""Export of incidents (stories with incident types) as CSV, JSONL or GeoJSON, selected with the same
query and filters as search: an incident is exported when at least one of its reports matches."""
from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterable
from typing import IO, Any
from urllib.parse import urlsplit

from sqlalchemy import select

from storage.models import Document, Story
from storage.query_syntax import parse_query
from storage.repository import Store
from storage.search_sql import candidate_query, fts5_match, normalize_filters, trigram_prefix_query
from storage.stories import story_dict

log = logging.getLogger(__name__)

FORMATS = ("csv", "jsonl", "geojson")
CSV_COLUMNS = (
    "story_id", "title", "first_seen", "last_seen", "incident_types", "countries", "admin1", "places",
    "victim_nationality", "victim_ages", "ransoms_usd", "max_ransom_usd", "deaths", "doc_count", "lat", "lon",
    "urls",
)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run such a cell as a formula
MAX_MATCHING_DOCUMENTS = 5_000_000
URLS_PER_INCIDENT = 5


def incidents(store: Store, query: str = "", filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Incidents whose reports match `query` and `filters` (all incidents when both are empty),
    newest first, each with its main location and report URLs."""
    flt = normalize_filters(filters)
    node = parse_query(query or "")
    with store.read() as s:
        q = select(Story).where(Story.is_incident.is_(True)).order_by(Story.first_seen.desc(), Story.id.desc())
        if node is not None or flt:
            dialect = s.get_bind().dialect.name
            expand = lambda t: list(s.scalars(trigram_prefix_query(t, 400)))
            match = fts5_match(node, expand) if node is not None and dialect == "sqlite" else None
            docs = candidate_query(dialect, node, {**flt, "incidents_only": True}, oldest_first=False,
                                   cap=MAX_MATCHING_DOCUMENTS, match=match).subquery()
            matching = select(Document.story_id).where(Document.id.in_(select(docs.c.id)))
            q = q.where(Story.id.in_(matching))
        stories = [story_dict(r) for r in s.scalars(q)]
        urls: dict[int, list[str]] = {}
        ids = [st["id"] for st in stories]
        for i in range(0, len(ids), 500):
            rows = s.execute(select(Document.story_id, Document.url).where(Document.story_id.in_(ids[i : i + 500]))
                             .order_by(Document.published_at, Document.id))
            for story_id, url in rows:
                urls.setdefault(story_id, []).append(url)
    return [incident_record(st, urls.get(st["id"], [])) for st in stories]


def incident_record(story: dict[str, Any], urls: list[str]) -> dict[str, Any]:
    facts = story.get("facts") or {}
    places = facts.get("places") or []
    located = _main_location(places)
    return {
        "story_id": story["id"], "title": story["title"], "first_seen": story["first_seen"],
        "last_seen": story["last_seen"], "incident_types": story["incident_types"], "countries": story["countries"],
        "admin1": sorted({p["admin1"] for p in places if p.get("admin1")}),
        "places": [p.get("name") for p in places if p.get("name")],
        "victim_nationality": story["victim_nationality"], "victim_ages": facts.get("ages", []),
        "ransoms_usd": facts.get("ransoms_usd", []), "max_ransom_usd": story["max_ransom_usd"],
        "deaths": facts.get("deaths", 0), "doc_count": story["doc_count"],
        "lat": located.get("lat") if located else None, "lon": located.get("lon") if located else None,
        "location": located.get("name") if located else None, "urls": urls[:URLS_PER_INCIDENT],
    }


def _main_location(places: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Where it happened: the first place with coordinates outside Korea (victims' home towns are in
    Korea), else the first place with coordinates."""
    with_coords = [p for p in places if p.get("lat") is not None and p.get("lon") is not None]
    abroad = [p for p in with_coords if p.get("country") != "KR"]
    candidates = abroad or with_coords
    return candidates[0] if candidates else None


def write_incidents(records: Iterable[dict[str, Any]], fmt: str, out: IO[str]) -> int:
    """Write records in `fmt`; returns how many were written (GeoJSON skips those without coordinates)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    records = list(records)
    if fmt == "jsonl":
        for r in records:
            out.write(json.dumps(r, ensure_ascii=False) + "\n")
        return len(records)
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        writer.writerows([_cell(r.get(c)) for c in CSV_COLUMNS] for r in records)
        return len(records)
    features = [_feature(r) for r in records if r["lat"] is not None and r["lon"] is not None]
    json.dump({"type": "FeatureCollection", "features": features}, out, ensure_ascii=False)
    out.write("\n")
    return len(features)


def _feature(r: dict[str, Any]) -> dict[str, Any]:
    props = {k: v for k, v in r.items() if k not in ("lat", "lon")}
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]}, "properties": props}


def _cell(value: Any) -> str:
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    return formula_safe("" if value is None else str(value))


def http_link(url: object) -> str:
    """A scraped URL fit for an href in any output (web page, digest, e-mail): http(s) only, else ''
    (javascript:, data: and the like never become links)."""
    text = str(url or "").strip()
    return text if urlsplit(text).scheme.lower() in ("http", "https") else ""


def formula_safe(text: str) -> str:
    """A CSV cell's text that a spreadsheet will not run as a formula (scraped text may start with '=')."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text
