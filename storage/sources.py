"""The source registry as stored, with its health; crawl runs; and the HTTP validators (ETag,
Last-Modified) that make listing fetches conditional."""
from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from storage.models import CrawlRun, HttpValidator, Source
from storage.repository import Store, iso_utc, retry_on_conflict, url_hash, utcnow

log = logging.getLogger(__name__)

SOURCE_FIELDS = ("name", "kind", "country", "lang", "fetch", "url", "schedule", "enabled")
STALE_RUN_AFTER = timedelta(hours=2)  # well past the scheduler's crawl timeout (15 min by default)


def sync_sources(store: Store, entries: Iterable[dict[str, Any]]) -> None:
    """Insert or update registry entries; health columns are kept."""
    with store.write() as s:
        for entry in entries:
            row = s.get(Source, entry["key"]) or Source(key=entry["key"], consecutive_failures=0)
            for field in SOURCE_FIELDS:
                setattr(row, field, entry.get(field, getattr(row, field)))
            row.options = {k: v for k, v in entry.items() if k not in SOURCE_FIELDS and k != "key"}
            s.add(row)


def list_sources(store: Store) -> list[dict[str, Any]]:
    with store.read() as s:
        rows = s.scalars(select(Source).order_by(Source.kind, Source.key)).all()
        return [_source_dict(r) for r in rows]


def start_run(store: Store, source_key: str, *, stale_after: timedelta = STALE_RUN_AFTER) -> int:
    """Open a run. A run of this source still 'running' after `stale_after` belonged to a crawler that
    was killed: it is closed as failed (and counts in the source's health) instead of staying open."""
    now = utcnow()

    def unit() -> int:
        with store.write() as s:
            stale = s.scalars(select(CrawlRun).where(
                CrawlRun.source_key == source_key, CrawlRun.status == "running",
                CrawlRun.started_at < now - stale_after,
            )).all()
            for old in stale:
                old.status, old.finished_at, old.errors = "failed", now, max(old.errors or 0, 1)
                old.error_summary = "interrupted: the crawler stopped before finishing the run"
            source = s.get(Source, source_key) if stale else None
            if source is not None:
                source.consecutive_failures = (source.consecutive_failures or 0) + len(stale)
                source.last_error_at, source.last_error = now, stale[-1].error_summary
            run = CrawlRun(source_key=source_key, started_at=now, status="running")
            s.add(run)
            s.flush()
            return run.id

    return retry_on_conflict(unit)


def finish_run(
    store: Store, run_id: int, *, pages: int, items: int, new_items: int, errors: int, status: str,
    error_summary: str | None = None,
) -> None:
    """Close a run and fold it into the source's health."""
    now = utcnow()
    with store.write() as s:
        run = s.get(CrawlRun, run_id)
        if run is None:
            raise KeyError(f"no crawl run {run_id}")
        run.finished_at, run.pages, run.items, run.new_items = now, pages, items, new_items
        run.errors, run.status, run.error_summary = errors, status, error_summary
        source = s.get(Source, run.source_key)
        if source is None:
            return
        source.last_run_at = now
        if status == "failed":
            source.last_error_at, source.last_error = now, error_summary
            source.consecutive_failures = (source.consecutive_failures or 0) + 1
        else:
            source.last_success_at, source.consecutive_failures = now, 0
            if errors:
                source.last_error_at, source.last_error = now, error_summary


def recent_runs(store: Store, source_key: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    with store.read() as s:
        q = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)
        if source_key:
            q = q.where(CrawlRun.source_key == source_key)
        return [_run_dict(r) for r in s.scalars(q)]


def get_validators(store: Store, url: str) -> tuple[str | None, str | None]:
    with store.read() as s:
        row = s.get(HttpValidator, url_hash(url))
        return (row.etag, row.last_modified) if row else (None, None)


def set_validators(store: Store, url: str, etag: str | None, last_modified: str | None) -> None:
    with store.write() as s:
        key = url_hash(url)
        row = s.get(HttpValidator, key) or HttpValidator(url_hash=key, url=url)
        row.etag, row.last_modified, row.checked_at = etag, last_modified, utcnow()
        s.add(row)


def _source_dict(r: Source) -> dict[str, Any]:
    return {
        "key": r.key, "name": r.name, "kind": r.kind, "country": r.country, "lang": r.lang, "fetch": r.fetch,
        "url": r.url, "schedule": r.schedule, "enabled": r.enabled,
        "last_run_at": iso_utc(r.last_run_at), "last_success_at": iso_utc(r.last_success_at),
        "last_error_at": iso_utc(r.last_error_at), "last_error": r.last_error,
        "consecutive_failures": r.consecutive_failures or 0,
    }


def _run_dict(r: CrawlRun) -> dict[str, Any]:
    return {
        "id": r.id, "source": r.source_key, "started_at": iso_utc(r.started_at), "finished_at": iso_utc(r.finished_at),
        "pages": r.pages, "items": r.items, "new_items": r.new_items, "errors": r.errors, "status": r.status,
        "error_summary": r.error_summary,
    }
