"""SQL for the daily digest: the incident stories and advisory changes of a window, incidents per
day, source health over the window, and the digest archive (one row per day; regenerating replaces)."""
from __future__ import annotations

import base64
import logging
import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select

from storage.advisories import advisory_dict
from storage.alerts import story_subjects
from storage.incidents import new_incident_clause
from storage.models import Advisory, CrawlRun, Digest, Story
from storage.repository import Store, as_utc, iso_utc, utcnow

log = logging.getLogger(__name__)

# An archived digest's HTML embeds its chart as a PNG data URI in this <img> (scraped text in the HTML is
# escaped, so it cannot forge the quotes); the web serves it from there, the e-mail swaps it for a CID.
CHART_IMG = re.compile(r'<img id="incidents-chart" src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def incident_stories_between(store: Store, start: datetime, end: datetime) -> dict[str, list[dict[str, Any]]]:
    """Incident stories that deskwatch made in [start, end) ("new", see storage.incidents) or made before
    and changed in it ("updated"), each with its documents and their extractions. New means new to the
    reader: a story about an old event collected today is new today (its incident date is shown with it)."""
    start, end = as_utc(start), as_utc(end)
    with store.read() as s:
        new_ids = set(s.scalars(select(Story.id).where(new_incident_clause(start, end))))
        rows = s.execute(
            select(Story.id)
            .where(Story.is_incident.is_(True), Story.updated_at >= start, Story.updated_at < end)
            .order_by(Story.updated_at.desc())
        ).all()
    ordered_ids = [*(r.id for r in rows if r.id in new_ids), *sorted(new_ids - {r.id for r in rows})]
    ordered_ids += [r.id for r in rows if r.id not in new_ids]
    subjects = {story["id"]: story for story in story_subjects(store, ordered_ids)}
    ordered = [subjects[i] for i in ordered_ids if i in subjects]
    return {
        "new": [st for st in ordered if st["id"] in new_ids],
        "updated": [st for st in ordered if st["id"] not in new_ids],
    }


def new_incident_times(store: Store, since: datetime, until: datetime | None = None) -> list[datetime]:
    """When deskwatch made each new incident story since `since` (the digest's chart buckets them by
    local day), by the same definition as the digest's "new incidents"."""
    with store.read() as s:
        q = select(Story.created_at).where(new_incident_clause(as_utc(since), as_utc(until)))
        return [as_utc(t) for t in s.scalars(q) if t is not None]


def count_new_incidents(store: Store, start: datetime, end: datetime | None = None) -> int:
    with store.read() as s:
        q = select(func.count()).select_from(Story).where(new_incident_clause(as_utc(start), as_utc(end)))
        return int(s.scalar(q) or 0)


def advisory_changes_between(store: Store, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Advisory rows recorded in [start, end) that are not an issuer's first row: a level or text change."""
    with store.read() as s:
        q = (
            select(Advisory)
            .where(Advisory.fetched_at >= as_utc(start), Advisory.fetched_at < as_utc(end))
            .order_by(Advisory.country, Advisory.issuer, Advisory.id)
        )
        rows = [advisory_dict(r) for r in s.scalars(q)]
        firsts = set(
            s.scalars(select(func.min(Advisory.id)).group_by(Advisory.issuer, Advisory.country, Advisory.region))
        )
    return [r for r in rows if r["id"] not in firsts]


def run_counts_between(store: Store, start: datetime, end: datetime) -> dict[str, dict[str, int]]:
    """source key -> {runs, failed, items, new_items} for crawl runs started in [start, end)."""
    with store.read() as s:
        q = (
            select(
                CrawlRun.source_key, func.count(), func.sum(case((CrawlRun.status == "failed", 1), else_=0)),
                func.coalesce(func.sum(CrawlRun.items), 0), func.coalesce(func.sum(CrawlRun.new_items), 0),
            )
            .where(CrawlRun.started_at >= as_utc(start), CrawlRun.started_at < as_utc(end))
            .group_by(CrawlRun.source_key)
        )
        return {
            key: {"runs": int(runs), "failed": int(failed or 0), "items": int(items), "new_items": int(new)}
            for key, runs, failed, items, new in s.execute(q)
        }


def save_digest(store: Store, day: date, counts: dict[str, Any], html: str, markdown: str) -> int:
    """Archive the digest of `day`, replacing an earlier one of the same day (sent_at is reset)."""
    with store.write() as s:
        row = s.scalar(select(Digest).where(Digest.day == day)) or Digest(day=day)
        row.generated_at, row.counts, row.html, row.markdown, row.sent_at = utcnow(), counts, html, markdown, None
        s.add(row)
        s.flush()
        return row.id


def mark_digest_sent(store: Store, day: date) -> None:
    with store.write() as s:
        row = s.scalar(select(Digest).where(Digest.day == day))
        if row is None:
            raise KeyError(f"no digest for {day}")
        row.sent_at = utcnow()


def get_digest(store: Store, day: date) -> dict[str, Any] | None:
    with store.read() as s:
        row = s.scalar(select(Digest).where(Digest.day == day))
        return _digest_dict(row, full=True) if row else None


def list_digests(store: Store, limit: int = 30) -> list[dict[str, Any]]:
    """Archived digests, newest day first, without their bodies."""
    with store.read() as s:
        return [_digest_dict(r) for r in s.scalars(select(Digest).order_by(Digest.day.desc()).limit(limit))]


def _digest_dict(r: Digest, full: bool = False) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": r.id, "day": r.day.isoformat(), "generated_at": iso_utc(r.generated_at), "counts": r.counts or {},
        "sent_at": iso_utc(r.sent_at),
    }
    if full:
        d.update(html=r.html, markdown=r.markdown)
    return d


def chart_png_of(html: str) -> bytes | None:
    """The chart's PNG embedded in a digest's HTML (the archive keeps no separate copy)."""
    match = CHART_IMG.search(html)
    return base64.b64decode(match.group(1)) if match else None
