"""What a "new incident" is, in one place: an incident story that deskwatch made in a time window.
The digest (its list, counts and chart), the digest archive, `stats` and the API all count with this,
so they cannot disagree. When the event happened is a separate fact (see incident_date)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_

from storage.models import Story


def new_incident_clause(start: datetime, end: datetime | None = None) -> ColumnElement[bool]:
    """Incident stories first seen by deskwatch (created) in [start, end)."""
    clause = and_(Story.is_incident.is_(True), Story.created_at >= start)
    return and_(clause, Story.created_at < end) if end is not None else clause


def incident_date(story: dict[str, Any]) -> str | None:
    """When the event happened: the date the text gives (an `incident_date` fact) where there is one,
    else the first report's publication date. An ISO date string, or None when neither is known."""
    facts = story.get("facts") or {}
    stated = facts.get("incident_date")
    if isinstance(stated, str) and stated:
        return stated[:10]
    first = story.get("first_seen")
    return first[:10] if isinstance(first, str) and first else None
