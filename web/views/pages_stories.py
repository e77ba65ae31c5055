"""Stories: the list of recent stories, and one story with every merged report, its evidence marked."""
from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, date, datetime, time
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.responses import Response

from storage.sources import list_sources
from storage.stories import get_story, list_stories
from web.evidence import highlight_document
from web.story_display import incident_types_by_support
from web.views.common import StoryId, render, store_of

log = logging.getLogger(__name__)

router = APIRouter()


@router.get("/stories", name="stories_page")
def stories_page(
    request: Request,
    incidents_only: Annotated[bool, Query()] = False,
    since: Annotated[date | None, Query(description="Updated on or after (YYYY-MM-DD).")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    """Stories most recently updated first."""
    since_dt = datetime.combine(since, time.min, tzinfo=UTC) if since else None
    stories = list_stories(store_of(request), incidents_only=incidents_only, since=since_dt, limit=limit)
    context = {"stories": stories, "incidents_only": incidents_only, "since": since or "", "limit": limit}
    return render(request, "stories.html", context)


@router.get("/stories/{story_id}", name="story_page")
def story_page(request: Request, story_id: StoryId) -> Response:
    """Every report merged into one story across outlets and languages, the extracted fields with their
    evidence highlighted in each text, why each report was merged, and a timeline."""
    store = store_of(request)
    story = get_story(store, story_id)
    if story is None:
        raise HTTPException(404, f"no story {story_id}")
    links = {link["document_id"]: link for link in story.get("links", [])}
    reports = [
        {"doc": doc, "marked": highlight_document(doc["title"], doc["body"], doc.get("extraction")),
         "link": links.get(doc["id"])}
        for doc in story.get("documents", [])
    ]  # fmt: skip
    languages = Counter(doc["lang"] for doc in story.get("documents", []))
    source_names = {s["key"]: s["name"] for s in list_sources(store)}
    outlets = Counter(source_names.get(d["source"], d["source"]) for d in story.get("documents", []))
    context = {
        "story": story, "facts": story.get("facts") or {}, "reports": reports, "languages": languages,
        "outlets": outlets, "source_names": source_names, "types": incident_types_by_support(story),
    }  # fmt: skip
    return render(request, "story.html", context)
