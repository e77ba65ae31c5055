"""CSV and GeoJSON of a search result: every hit of the current query (not only the page shown),
up to EXPORT_LIMIT rows, formatted from search hits and their extractions."""
from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from typing import Any

from storage.export import formula_safe
from storage.repository import Store
from storage.search import Hit, search
from web.params import SearchQuery

log = logging.getLogger(__name__)

EXPORT_LIMIT = 5000
EXPORT_PAGE = 100
CSV_COLUMNS = (
    "document_id", "story_id", "published_at", "source", "lang", "title", "url", "incident_types",
    "countries", "admin1", "places", "victim_ages", "ransoms", "max_ransom_usd", "relevant",
)


def iter_hits(store: Store, query: SearchQuery, limit: int = EXPORT_LIMIT) -> Iterator[Hit]:
    """All hits of `query` in its sort order, page by page, stopping at `limit`."""
    seen = 0
    page = 1
    while seen < limit:
        result = search(store, query.q, query.filters(), facets=(), sort=query.sort, page=page, per_page=EXPORT_PAGE)
        for hit in result.hits[: limit - seen]:
            seen += 1
            yield hit
        if not result.hits or page * EXPORT_PAGE >= result.total:
            return
        page += 1


def _cell(value: Any) -> str:
    return formula_safe("" if value is None else str(value))


def csv_row(hit: Hit) -> list[str]:
    doc, ext = hit.document, hit.extraction or {}
    places = ext.get("places") or []
    ransoms = ext.get("ransoms") or []
    usd = [r["usd"] for r in ransoms if isinstance(r.get("usd"), int | float)]
    values = {
        "document_id": doc.get("id"), "story_id": doc.get("story_id"), "published_at": doc.get("published_at"),
        "source": doc.get("source"), "lang": doc.get("lang"), "title": doc.get("title"), "url": doc.get("url"),
        "incident_types": ";".join(ext.get("incident_types") or []),
        "countries": ";".join(sorted({p["country"] for p in places if p.get("country")})),
        "admin1": ";".join(sorted({p["admin1"] for p in places if p.get("admin1")})),
        "places": ";".join(dict.fromkeys(p.get("name") or p.get("text") or "" for p in places)),
        "victim_ages": ";".join(str(a.get("value")) for a in ext.get("victim_ages") or []),
        "ransoms": ";".join(f"{r.get('amount')} {r.get('currency') or ''}".strip() for r in ransoms),
        "max_ransom_usd": max(usd) if usd else "", "relevant": ext.get("relevant", ""),
    }
    return [_cell(values[c]) for c in CSV_COLUMNS]


def hits_to_csv(hits: Iterator[Hit]) -> Iterator[str]:
    """CSV text in chunks (a header, then one line per hit), UTF-8 with a BOM so Excel reads Hangul."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    for hit in hits:
        writer.writerow(csv_row(hit))
        if buffer.tell() > 32_768:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def hits_to_geojson(hits: Iterator[Hit]) -> dict[str, Any]:
    """A FeatureCollection with one point per located place of each hit (places without coordinates skipped)."""
    features = []
    for hit in hits:
        doc, ext = hit.document, hit.extraction or {}
        for place in ext.get("places") or []:
            lat, lon = place.get("lat"), place.get("lon")
            if not isinstance(lat, int | float) or not isinstance(lon, int | float):
                continue
            features.append({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    "document_id": doc.get("id"), "story_id": doc.get("story_id"), "title": doc.get("title"),
                    "url": doc.get("url"), "published_at": doc.get("published_at"), "source": doc.get("source"),
                    "lang": doc.get("lang"), "place": place.get("name"), "place_text": place.get("text"),
                    "country": place.get("country"), "admin1": place.get("admin1"),
                    "geonameid": place.get("geonameid"), "incident_types": ext.get("incident_types") or [],
                    "victim_ages": [a.get("value") for a in ext.get("victim_ages") or []],
                    "ransoms_usd": [r.get("usd") for r in ext.get("ransoms") or [] if r.get("usd") is not None],
                },
            })
    return {"type": "FeatureCollection", "features": features}
