"""The search page (GET form: query, facets, sort, pages), exports of its reports and incidents, one document."""
from __future__ import annotations

import io
import itertools
import json
import logging
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Path, Query, Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from storage.documents import get_document
from storage.export import incidents, write_incidents
from storage.search import DEFAULT_FACETS, SearchError, SearchResult, search
from storage.sources import list_sources
from web.evidence import highlight_document
from web.exports import hits_to_csv, hits_to_geojson, iter_hits
from web.params import SearchQuery
from web.render import url_with
from web.search_views import (
    incident_types_named,
    per_day,
    per_day_svg,
    published_days,
    query_without_type_words,
)
from web.views.common import DocumentId, render, store_of

log = logging.getLogger(__name__)

router = APIRouter()
FACET_TITLES = {
    "incident_type": "Incident type", "country": "Country", "admin1": "Province / region", "place": "Place",
    "source": "Source", "lang": "Language", "has_ransom": "Ransom",
}
FACET_LIMIT = 12
EXPORT_MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8", "geojson": "application/geo+json", "jsonl": "application/x-ndjson",
}
Params = Annotated[SearchQuery, Query()]
ExportFormat = Annotated[str, Path(pattern=r"^(csv|geojson|jsonl)$", description="csv, geojson or jsonl")]


@router.get("/", include_in_schema=False)
def home() -> Response:
    return RedirectResponse("/search", status_code=307)


def facet_groups(query: SearchQuery, facets: dict[str, list[tuple[str, int]]]) -> list[dict[str, Any]]:
    """Facet groups for the form: the top values with counts, plus any selected value not among them."""
    groups = []
    for name, title in FACET_TITLES.items():
        if name == "has_ransom" or name not in facets:
            continue
        selected = getattr(query, name, [])
        values = [(str(v), n) for v, n in facets[name]][:FACET_LIMIT]
        shown = {v for v, _n in values}
        values += [(v, 0) for v in selected if v not in shown]
        groups.append({"name": name, "title": title, "values": values, "selected": set(selected)})
    return groups


def ransom_counts(facets: dict[str, list[tuple[str, int]]]) -> dict[str, int]:
    """has_ransom facet as {"true": n, "false": m}, whatever spelling of booleans search returns."""
    counts: dict[str, int] = {}
    for value, n in facets.get("has_ransom", []):
        key = "true" if str(value).lower() in ("true", "1", "yes") else "false"
        counts[key] = counts.get(key, 0) + n
    return counts


@router.get("/search", name="search_page")
def search_page(request: Request, params: Params) -> Response:
    """Full-text search with facets; every control is a GET parameter, so any view is a shareable URL."""
    store = store_of(request)
    error, status = "", 200
    try:
        result = search(
            store, params.q, params.filters(), facets=DEFAULT_FACETS, sort=params.sort, page=params.page,
            per_page=params.per_page,
        )
    except SearchError as exc:  # the analyst's query syntax: say why, keep the form as typed
        error, status = str(exc), 400
        result = SearchResult(total=0, page=params.page, per_page=params.per_page, hits=[], facets={}, took_ms=0.0)
    last_page = max(1, -(-result.total // params.per_page))
    series, cut = per_day(published_days(result.published, ZoneInfo(request.app.state.timezone)))
    source_names = {s["key"]: s["name"] for s in list_sources(store)}
    context = {
        "query": params, "result": result, "groups": facet_groups(params, result.facets),
        "ransom_counts": ransom_counts(result.facets), "source_names": source_names, "last_page": last_page,
        "page_link": lambda n: url_with(request, "/search", params.query_items(page=n)),
        "csv_link": url_with(request, "/search.csv", params.query_items(page=1)),
        "geojson_link": url_with(request, "/search.geojson", params.query_items(page=1)),
        "api_link": url_with(request, "/api/search", params.query_items()), "error": error,
        "incident_links": {f: url_with(request, f"/incidents.{f}", params.query_items(page=1)) for f in EXPORT_MEDIA_TYPES},
        "per_day_svg": per_day_svg(series), "per_day_days": len(series), "per_day_cut": cut,
        "type_hints": type_hints(request, params),
    }
    return render(request, "search.html", context, status=status)


def type_hints(request: Request, params: SearchQuery) -> list[dict[str, Any]]:
    """For each incident type the query names in words and that is not already a filter: how many reports
    carry that type, and the link that filters by it instead of the word (keeping the other filters)."""
    named = [t for t in incident_types_named(params.q) if t not in params.incident_type]
    if not named:
        return []
    counts = dict(search(store_of(request), "", {}, facets=("incident_type",), per_page=1).facets["incident_type"])
    return [
        {"type": t, "count": counts.get(t, 0),
         "link": url_with(request, "/search", params.query_items(q=query_without_type_words(params.q, t), page=1,
                                                           incident_type=[*params.incident_type, t]))}
        for t in named
    ]


@router.get("/search.csv", name="search_csv")
def search_csv(request: Request, params: Params) -> Response:
    """The whole current result as CSV (one row per document)."""
    hits = iter_hits(store_of(request), params)
    first = next(hits, None)  # run the search now, so a bad query is a 400 and not a broken stream
    stream = hits_to_csv(itertools.chain([first] if first else [], hits))
    headers = {"Content-Disposition": 'attachment; filename="deskwatch-search.csv"'}
    return StreamingResponse(stream, media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/search.geojson", name="search_geojson")
def search_geojson(request: Request, params: Params) -> Response:
    """The whole current result as GeoJSON points, one per located place."""
    collection = hits_to_geojson(iter_hits(store_of(request), params))
    headers = {"Content-Disposition": 'attachment; filename="deskwatch-search.geojson"'}
    body = json.dumps(collection, ensure_ascii=False)
    return Response(body, media_type="application/geo+json", headers=headers)


@router.get("/incidents.{fmt}", name="incidents_export")
def incidents_export(request: Request, params: Params, fmt: ExportFormat) -> Response:
    """Incidents (stories) that have at least one report matching the current query and filters, as
    CSV, GeoJSON (one point per incident, at its main location) or JSONL, via storage.export."""
    records = incidents(store_of(request), params.q, params.filters())
    out = io.StringIO()
    write_incidents(records, fmt, out)
    headers = {"Content-Disposition": f'attachment; filename="deskwatch-incidents.{fmt}"'}
    return Response(out.getvalue(), media_type=EXPORT_MEDIA_TYPES[fmt], headers=headers)


@router.get("/documents/{doc_id}", name="document_page")
def document_page(request: Request, doc_id: DocumentId) -> Response:
    """One stored article with its extraction's evidence highlighted."""
    doc = get_document(store_of(request), doc_id)
    if doc is None:
        raise HTTPException(404, f"no document {doc_id}")
    marked = highlight_document(doc["title"], doc["body"], doc.get("extraction"))
    source_names = {s["key"]: s["name"] for s in list_sources(store_of(request))}
    return render(request, "document.html", {"doc": doc, "marked": marked, "source_names": source_names})
