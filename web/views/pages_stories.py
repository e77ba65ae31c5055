"""Stories: the list of recent stories, and one story with every merged report, its evidence marked."""
from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, date, datetime, time
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.responses import RedirectResponse, Response

from storage.sources import list_sources
from storage.stories import get_story, list_stories
from storage.story_corrections import CorrectionError, merge_stories, split_story
from web.evidence import highlight_document
from web.security import ADMIN, AccessDenied, check_csrf
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
def story_page(request: Request, story_id: StoryId, error: str = "", status: int = 200) -> Response:
    """Every report merged into one story across outlets and languages, the extracted fields with their
    evidence highlighted in each text, why each report was merged, a timeline and the corrections made
    by hand; admins get the merge and split forms."""
    store = store_of(request)
    story = get_story(store, story_id)
    if story is None:
        raise HTTPException(404, f"no story {story_id}")
    links = {link["document_id"]: link for link in story.get("links", [])}
    reports = [
        {"doc": doc, "marked": highlight_document(doc["title"], doc["body"], doc.get("extraction")),
         "link": links.get(doc["id"])}
        for doc in story.get("documents", [])
    ]
    languages = Counter(doc["lang"] for doc in story.get("documents", []))
    source_names = {s["key"]: s["name"] for s in list_sources(store)}
    outlets = Counter(source_names.get(d["source"], d["source"]) for d in story.get("documents", []))
    context = {
        "story": story, "facts": story.get("facts") or {}, "reports": reports, "languages": languages,
        "outlets": outlets, "source_names": source_names, "types": incident_types_by_support(story),
        "pinned": set(story.get("pinned") or []), "correction_error": error,
    }
    return render(request, "story.html", context, status)


def _require_admin(request: Request) -> None:
    if request.state.role != ADMIN:
        raise AccessDenied(403, "only an admin may correct stories; sign in with the admin token")


def _actor(fields: dict[str, str]) -> str:
    name = " ".join(fields.get("by", "").split())[:80]
    return f"{name} (web admin)" if name else "web admin"


@router.post("/stories/{story_id}/merge", name="merge_story")
async def merge_story(request: Request, story_id: StoryId) -> Response:
    """Merge another story into this one (admins only, CSRF-checked); recorded with who and when."""
    fields = await check_csrf(request)
    _require_admin(request)
    other = fields.get("other_story_id", "").strip().lstrip("#")
    if not other.isdigit():
        return story_page(request, story_id, "name the story to merge in by its number", 400)
    try:
        merge_stories(store_of(request), story_id, int(other), actor=_actor(fields), note=fields.get("note", ""))
    except CorrectionError as exc:
        return story_page(request, story_id, str(exc), 400)
    return RedirectResponse(f"/stories/{story_id}", status_code=303)


@router.post("/stories/{story_id}/split", name="split_story")
async def split_story_page(request: Request, story_id: StoryId) -> Response:
    """Move the ticked reports out into a new story, or into story `into` (admins only, CSRF-checked)."""
    fields = await check_csrf(request)
    _require_admin(request)
    doc_ids = sorted(int(k[4:]) for k, v in fields.items() if k.startswith("doc_") and k[4:].isdigit() and v)
    into = fields.get("into", "").strip().lstrip("#")
    if into and not into.isdigit():
        return story_page(request, story_id, "the story to move into must be a number", 400)
    try:
        result = split_story(store_of(request), story_id, doc_ids, actor=_actor(fields), note=fields.get("note", ""),
                             into=int(into) if into else None)
    except CorrectionError as exc:
        return story_page(request, story_id, str(exc), 400)
    return RedirectResponse(f"/stories/{result.story_id}", status_code=303)
