"""The JSON API (/api/...): the same store calls and search() as the pages, documented in /openapi.json."""
from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.security import HTTPBearer
from pydantic import StringConstraints

from storage.advisories import advisory_history, list_advisories
from storage.alerts import alert_counts, list_alerts
from storage.digests import get_digest, list_digests
from storage.documents import get_document
from storage.repository import table_counts
from storage.search import DEFAULT_FACETS, search
from storage.sources import list_sources, recent_runs
from storage.stories import get_story, list_stories
from web.params import EARLIEST, LATEST, SearchQuery
from web.views.common import DocumentId, StoryId, store_of

log = logging.getLogger(__name__)

# Declares bearer auth in the OpenAPI schema; the app's middleware enforces it when a token is set.
router = APIRouter(dependencies=[Depends(HTTPBearer(auto_error=False, description="The server's API token"))])

Country = Annotated[str | None, Query(max_length=3, pattern=r"^[A-Za-z]{2,3}$", description="ISO country code")]
Issuer = Annotated[str | None, Query(max_length=40, description="e.g. us-state, uk-fcdo, kr-mofa")]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$", max_length=2)]
Countries = Annotated[list[CountryCode] | None, Query(description="ISO alpha-2 codes; repeat for several")]
Issuers = Annotated[
    list[Annotated[str, StringConstraints(max_length=40)]] | None,
    Query(description="Issuer keys, e.g. us-state, kr-mofa; repeat for several"),
]
Level = Annotated[int | None, Query(ge=1, le=4, description="1 normal precautions … 4 do not travel")]
ChangedSince = Annotated[
    date | None, Query(ge=EARLIEST, le=LATEST, description="Changed on or after YYYY-MM-DD")
]
Direction = Annotated[
    Literal["up", "down", "any"] | None, Query(description="Level raised (up) or lowered (down)")
]
AdvisoryText = Annotated[str, Query(max_length=500, description="Words found in region, label or summary")]


def _since(day: date | None) -> datetime | None:
    return datetime.combine(day, time.min, tzinfo=UTC) if day else None


@router.get("/search", summary="Search reports with filters and facets")
def api_search(request: Request, params: Annotated[SearchQuery, Query()]) -> dict[str, Any]:
    """Full-text search: words (AND), "quoted phrases", OR, -exclusion; Korean works. A malformed query is
    a 400 with the reason; a bad filter value a 422."""
    result = search(
        store_of(request), params.q, params.filters(), facets=DEFAULT_FACETS, sort=params.sort,
        page=params.page, per_page=params.per_page,
    )
    return result.to_dict()


@router.get("/stories", summary="Stories, most recently updated first")
def api_stories(
    request: Request,
    incidents_only: bool = False,
    since: Annotated[date | None, Query(description="Updated on or after (YYYY-MM-DD)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    return list_stories(store_of(request), incidents_only=incidents_only, since=_since(since), limit=limit)


@router.get("/stories/{story_id}", summary="One story: its reports with extractions, merge reasons, timeline")
def api_story(request: Request, story_id: StoryId) -> dict[str, Any]:
    story = get_story(store_of(request), story_id)
    if story is None:
        raise HTTPException(404, f"no story {story_id}")
    return story


@router.get("/documents/{doc_id}", summary="One stored report with its extraction")
def api_document(request: Request, doc_id: DocumentId) -> dict[str, Any]:
    doc = get_document(store_of(request), doc_id)
    if doc is None:
        raise HTTPException(404, f"no document {doc_id}")
    return doc


@router.get("/advisories", summary="Current advisory per issuer, country and region, filtered")
def api_advisories(
    request: Request,
    country: Countries = None,
    issuer: Issuers = None,
    min_level: Level = None,
    max_level: Level = None,
    changed_since: ChangedSince = None,
    direction: Direction = None,
    q: AdvisoryText = "",
) -> list[dict[str, Any]]:
    """The newest advice per (issuer, country, region) that matches every given filter. A bad value is a 422;
    a combination the search rejects (min_level above max_level, a NUL in q) a 400 with the reason."""
    filters = {
        "country": country, "issuer": issuer, "level_min": min_level, "level_max": max_level,
        "changed_since": changed_since, "direction": direction,
    }
    return list_advisories(store_of(request), query=q, filters=filters)


@router.get("/advisories/history", summary="Every recorded advisory change, oldest first")
def api_advisory_history(
    request: Request,
    country: Country = None,
    issuer: Issuer = None,
    since: Annotated[date | None, Query(description="Recorded on or after (YYYY-MM-DD)")] = None,
) -> list[dict[str, Any]]:
    return advisory_history(store_of(request), country=country, issuer=issuer, since=_since(since))


@router.get("/sources", summary="Registered sources with their health")
def api_sources(request: Request) -> list[dict[str, Any]]:
    return list_sources(store_of(request))


@router.get("/runs", summary="Recent crawl runs, newest first")
def api_runs(
    request: Request,
    source: Annotated[str | None, Query(max_length=80)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[dict[str, Any]]:
    return recent_runs(store_of(request), source_key=source, limit=limit)


@router.get("/alerts", summary="The alerts log, newest first")
def api_alerts(
    request: Request,
    status: Annotated[str | None, Query(pattern=r"^(pending|sent|failed)$")] = None,
    rule: Annotated[str | None, Query(max_length=120)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    return list_alerts(store_of(request), status=status, rule=rule, limit=limit)


@router.get("/digests", summary="Archived daily digests, newest first (without bodies)")
def api_digests(request: Request, limit: Annotated[int, Query(ge=1, le=366)] = 30) -> list[dict[str, Any]]:
    return list_digests(store_of(request), limit=limit)


@router.get("/digests/{day}", summary="One digest with its HTML and Markdown")
def api_digest(request: Request, day: Annotated[date, Path(description="YYYY-MM-DD")]) -> dict[str, Any]:
    digest = get_digest(store_of(request), day)
    if digest is None:
        raise HTTPException(404, f"no digest for {day.isoformat()}")
    return digest


@router.get("/stats", summary="Counts of documents, advisories, stories, incidents, alerts, digests")
def api_stats(request: Request) -> dict[str, Any]:
    store = store_of(request)
    return {**table_counts(store), "alerts_by_status": alert_counts(store)}
