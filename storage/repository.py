"""The store's write and lookup API. Every SQL statement of the project lives in storage/."""
from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Engine, Select, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from storage.db import is_disconnect, make_engine, make_session_factory, resolve_db_url
from storage.incidents import new_incident_clause
from storage.models import (
    Advisory,
    Alert,
    CrawlRun,
    Digest,
    Document,
    DocumentFacet,
    Extraction,
    HttpValidator,
    Source,
    Story,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

SOURCE_FIELDS = ("name", "kind", "country", "lang", "fetch", "url", "schedule", "enabled")
DOCUMENT_FIELDS = (
    "source_key", "url", "canonical_url", "title", "body", "summary", "lang", "country", "author",
    "published_at", "signature", "quality_flags",
)  # fmt: skip
ADVISORY_COMPARED = ("level_native", "level", "label", "summary")
STALE_RUN_AFTER = timedelta(hours=2)  # well past the scheduler's crawl timeout (15 min by default)


def utcnow() -> datetime:
    return datetime.now(UTC)


def url_hash(canonical_url: str) -> str:
    return hashlib.sha1(canonical_url.encode("utf-8")).hexdigest()


def content_hash(*parts: str | None) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update((part or "").encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything the store returns is aware UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class StoreUnavailable(RuntimeError):
    """The database cannot be reached or opened (server down, bad credentials, unwritable file)."""


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _first_line(exc: OperationalError) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@dataclass(frozen=True)
class UpsertResult:
    id: int
    created: bool
    changed: bool


class Store:
    """The project's one door to the database (SQLite by default, PostgreSQL at scale)."""

    def __init__(self, url: str | None = None, *, create: bool = True) -> None:
        self.url = resolve_db_url(url)
        self.engine: Engine = make_engine(self.url)
        self.read_engine: Engine = make_engine(self.url, writer=False) if self.is_sqlite else self.engine
        self._sessions = make_session_factory(self.engine)
        self._read_sessions = make_session_factory(self.read_engine)
        if create:
            try:
                self.create_schema()
            except OperationalError as exc:
                self.close()
                raise StoreUnavailable(f"cannot open the database {_safe_url(self.url)}: {_first_line(exc)}") from exc

    @property
    def display_url(self) -> str:
        """The URL without its password, for messages."""
        return _safe_url(self.url)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.url.get_backend_name() == "sqlite"

    def create_schema(self) -> None:
        from storage.schema import ensure_schema

        ensure_schema(self.engine, self.read_engine)

    def close(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A unit of work that commits on success and rolls back on error."""
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read_sessions() as session:
            yield session

    # ---- sources and health -------------------------------------------------------------
    def sync_sources(self, entries: Iterable[dict[str, Any]]) -> None:
        """Insert or update registry entries; health columns are kept."""
        with self.write() as s:
            for entry in entries:
                row = s.get(Source, entry["key"]) or Source(key=entry["key"], consecutive_failures=0)
                for field in SOURCE_FIELDS:
                    setattr(row, field, entry.get(field, getattr(row, field)))
                row.options = {k: v for k, v in entry.items() if k not in SOURCE_FIELDS and k != "key"}
                s.add(row)

    def list_sources(self) -> list[dict[str, Any]]:
        with self.read() as s:
            rows = s.scalars(select(Source).order_by(Source.kind, Source.key)).all()
            return [_source_dict(r) for r in rows]

    def start_run(self, source_key: str, *, stale_after: timedelta = STALE_RUN_AFTER) -> int:
        """Open a run. A run of this source still 'running' after `stale_after` belonged to a crawler that
        was killed: it is closed as failed (and counts in the source's health) instead of staying open."""
        now = utcnow()

        def unit() -> int:
            with self.write() as s:
                stale = s.scalars(select(CrawlRun).where(
                    CrawlRun.source_key == source_key, CrawlRun.status == "running",
                    CrawlRun.started_at < now - stale_after,
                )).all()  # fmt: skip
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
        self, run_id: int, *, pages: int, items: int, new_items: int, errors: int, status: str,
        error_summary: str | None = None,
    ) -> None:  # fmt: skip
        """Close a run and fold it into the source's health."""
        now = utcnow()
        with self.write() as s:
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

    def recent_runs(self, source_key: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        with self.read() as s:
            q = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)
            if source_key:
                q = q.where(CrawlRun.source_key == source_key)
            return [_run_dict(r) for r in s.scalars(q)]

    # ---- incremental crawling -----------------------------------------------------------
    def get_validators(self, url: str) -> tuple[str | None, str | None]:
        with self.read() as s:
            row = s.get(HttpValidator, url_hash(url))
            return (row.etag, row.last_modified) if row else (None, None)

    def set_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        with self.write() as s:
            key = url_hash(url)
            row = s.get(HttpValidator, key) or HttpValidator(url_hash=key, url=url)
            row.etag, row.last_modified, row.checked_at = etag, last_modified, utcnow()
            s.add(row)

    def seen_documents(self, hashes: Sequence[str]) -> dict[str, datetime | None]:
        """url_hash -> stored updated_at, for the hashes already in the store (the crawler's seen-set)."""
        found: dict[str, datetime | None] = {}
        with self.read() as s:
            for i in range(0, len(hashes), 500):
                chunk = list(hashes[i : i + 500])
                q = select(Document.url_hash, Document.updated_at).where(Document.url_hash.in_(chunk))
                found.update({h: as_utc(t) for h, t in s.execute(q)})
        return found

    # ---- documents ----------------------------------------------------------------------
    def upsert_document(self, doc: dict[str, Any]) -> UpsertResult:
        """Insert or update one article, keyed on its stable item id or canonical URL hash.
        An unchanged article is left alone; a changed one is queued for re-extraction. Safe with
        concurrent writers: losing an insert race to another process retries as an update."""
        return retry_on_conflict(lambda: self._upsert_document_once(doc))

    def _upsert_document_once(self, doc: dict[str, Any]) -> UpsertResult:
        with self.write() as s:
            return upsert_document_row(s, doc)

    def get_document(self, doc_id: int) -> dict[str, Any] | None:
        with self.read() as s:
            row = s.get(Document, doc_id)
            return document_dict(row, with_extraction=True) if row else None

    def documents_to_extract(
        self, version: str, *, reprocess: bool = False, limit: int = 200, after_id: int = 0, everything: bool = False
    ) -> list[dict[str, Any]]:
        """Documents with no extraction, or (reprocess) one made by another pipeline version, or (everything)
        all of them, by id from `after_id` on (a cursor, so a caller can step past documents it failed on)."""
        with self.read() as s:
            cond = _to_extract(version, reprocess, everything)
            q = select(Document).where(cond, Document.id > after_id).order_by(Document.id).limit(limit)
            return [document_dict(r) for r in s.scalars(q)]

    def count_documents_to_extract(self, version: str, *, reprocess: bool = False, everything: bool = False) -> int:
        """How many documents documents_to_extract would walk through (for progress)."""
        with self.read() as s:
            q = select(func.count()).select_from(Document).where(_to_extract(version, reprocess, everything))
            return int(s.scalar(q) or 0)

    def save_extraction(self, doc_id: int, data: dict[str, Any], version: str) -> None:
        """Store nlp's Extraction dict for one document and refresh its facet rows."""
        retry_on_conflict(lambda: self._save_extraction_once(doc_id, data, version))

    def _save_extraction_once(self, doc_id: int, data: dict[str, Any], version: str) -> None:
        ransoms = [r.get("usd") for r in data.get("ransoms", []) if r.get("usd") is not None]
        ages = [a["value"] for a in data.get("victim_ages", [])]
        with self.write() as s:
            doc = s.get(Document, doc_id)
            if doc is None:
                raise KeyError(f"no document {doc_id}")
            row = s.get(Extraction, doc_id) or Extraction(document_id=doc_id)
            row.pipeline_version, row.relevant = version, bool(data.get("relevant"))
            row.incident_types = list(data.get("incident_types", []))
            row.victim_nationality, row.victim_count = data.get("victim_nationality"), data.get("victim_count")
            row.min_age, row.max_age = (min(ages), max(ages)) if ages else (None, None)
            row.max_ransom_usd = max(ransoms) if ransoms else None
            row.has_ransom = bool(data.get("ransoms"))
            row.data, row.extracted_at = data, utcnow()
            s.add(row)
            doc.extraction_version = version
            s.query(DocumentFacet).filter(DocumentFacet.document_id == doc_id).delete()
            # Sorted: concurrent writers touch facet rows in one order, so they cannot deadlock.
            s.add_all(DocumentFacet(document_id=doc_id, facet=f, value=v) for f, v in sorted(facet_values(data)))

    # ---- advisories ---------------------------------------------------------------------
    def upsert_advisory(self, adv: dict[str, Any]) -> UpsertResult:
        """Add a row only when the issuer's advice for (country, region) changed: the table is the history."""
        return retry_on_conflict(lambda: self._upsert_advisory_once(adv))

    def _upsert_advisory_once(self, adv: dict[str, Any]) -> UpsertResult:
        region = adv.get("region") or ""
        chash = content_hash(*(str(adv.get(f) or "") for f in ADVISORY_COMPARED))
        with self.write() as s:
            last = s.scalar(
                select(Advisory)
                .where(Advisory.issuer == adv["issuer"], Advisory.country == adv["country"], Advisory.region == region)
                .order_by(Advisory.id.desc())
                .limit(1)
            )
            if last is not None and last.content_hash == chash:
                return UpsertResult(last.id, created=False, changed=False)
            row = Advisory(
                issuer=adv["issuer"], country=adv["country"], region=region,
                level_native=adv.get("level_native") or "", level=adv.get("level"), label=adv.get("label") or "",
                summary=adv.get("summary") or "", url=adv.get("url") or "", issued_at=adv.get("issued_at"),
                fetched_at=utcnow(), content_hash=chash, previous_level=last.level if last else None,
            )  # fmt: skip
            s.add(row)
            s.flush()
            return UpsertResult(row.id, created=last is None, changed=True)

    def current_advisories(self, country: str | None = None, issuer: str | None = None) -> list[dict[str, Any]]:
        """The newest row per (issuer, country, region)."""
        with self.read() as s:
            q = current_advisory_rows()
            if country:
                q = q.where(Advisory.country == country.upper())
            if issuer:
                q = q.where(Advisory.issuer == issuer)
            q = q.order_by(Advisory.country, Advisory.issuer, Advisory.region)
            return [advisory_dict(r) for r in s.scalars(q)]

    def advisory_history(
        self, country: str | None = None, issuer: str | None = None, since: datetime | None = None
    ) -> list[dict[str, Any]]:
        with self.read() as s:
            q = select(Advisory).order_by(Advisory.id)
            if country:
                q = q.where(Advisory.country == country.upper())
            if issuer:
                q = q.where(Advisory.issuer == issuer)
            if since:
                q = q.where(Advisory.fetched_at >= since)
            return [advisory_dict(r) for r in s.scalars(q)]

    # ---- counts -------------------------------------------------------------------------
    def stats(self) -> dict[str, int]:
        """Counts of each kind of row; `new_incidents_24h` counts as the digest does (storage.incidents)."""
        day_ago = utcnow() - timedelta(days=1)
        with self.read() as s:
            count = lambda model, *where: s.scalar(select(func.count()).select_from(model).where(*where)) or 0
            return {
                "documents": count(Document),
                "advisories": count(Advisory),
                "stories": count(Story),
                "incidents": count(Story, Story.is_incident.is_(True)),
                "new_incidents_24h": count(Story, new_incident_clause(day_ago)),
                "alerts": count(Alert),
                "digests": count(Digest),
            }


RETRYABLE_PG_CODES = {"40001", "40P01"}  # serialization failure, deadlock detected
CONFLICT_ATTEMPTS = 5
DISCONNECT_WAIT_S = 60.0  # how long a writer waits out a database server restart before giving up


def _to_extract(version: str, reprocess: bool, everything: bool) -> Any:
    if everything:
        return Document.id.is_not(None)
    cond = Document.extraction_version.is_(None)
    return cond | (Document.extraction_version != version) if reprocess else cond


def retry_on_conflict(unit: Callable[[], T]) -> T:
    """Run a unit of work again when a concurrent writer won a unique-key race (IntegrityError) or
    PostgreSQL aborted it as a deadlock or serialization victim; the retry sees the other's commit.
    A lost server connection (a PostgreSQL restart) is waited out with backoff for DISCONNECT_WAIT_S:
    the unit's transaction was rolled back or committed whole, and every unit retried here is
    idempotent, so the retry stores the work once."""
    attempt, waits, deadline = 0, 0, time.monotonic() + DISCONNECT_WAIT_S
    while True:
        try:
            return unit()
        except (IntegrityError, OperationalError) as exc:
            if is_disconnect(exc) and time.monotonic() < deadline:
                waits += 1
                log.warning("database connection lost (%s), retrying in a moment", str(exc.orig).splitlines()[0][:200])
                time.sleep(min(0.1 * 2 ** min(waits, 5), 2.0))
                continue
            attempt += 1
            code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
            retryable = isinstance(exc, IntegrityError) or code in RETRYABLE_PG_CODES
            if not retryable or attempt >= CONFLICT_ATTEMPTS:
                raise
            log.info("write conflict (%s), retrying %d/%d", type(exc.orig).__name__, attempt, CONFLICT_ATTEMPTS)
            time.sleep(0.01 * attempt)


def current_advisory_rows() -> Select[tuple[Advisory]]:
    """SELECT of the newest advisory row per (issuer, country, region): the advice in force."""
    latest = (
        select(func.max(Advisory.id).label("id"))
        .group_by(Advisory.issuer, Advisory.country, Advisory.region)
        .subquery()
    )
    return select(Advisory).join(latest, Advisory.id == latest.c.id)


def upsert_document_row(session: Session, doc: dict[str, Any]) -> UpsertResult:
    """Insert or update one article inside `session`, keyed on its stable item id, else its canonical URL
    hash; unchanged content is left alone, changed content is queued for re-extraction."""
    h = url_hash(doc["canonical_url"])
    chash = content_hash(doc.get("title"), doc.get("body"))
    now = utcnow()
    row = session.scalar(select(Document).where(Document.item_id == doc["item_id"]))
    if row is None:
        row = session.scalar(select(Document).where(Document.url_hash == h))
    if row is not None and row.content_hash == chash:
        return UpsertResult(row.id, created=False, changed=False)
    created = row is None
    if created:
        row = Document(item_id=doc["item_id"], url_hash=h, fetched_at=now)
        session.add(row)
    for field in DOCUMENT_FIELDS:
        if field in doc:
            setattr(row, field, doc[field])
    row.quality_flags = list(doc.get("quality_flags") or [])
    row.content_hash, row.updated_at, row.extraction_version = chash, now, None
    row.fetched_at = now
    session.flush()
    return UpsertResult(row.id, created=created, changed=True)


def facet_values(data: dict[str, Any]) -> set[tuple[str, str]]:
    """The (facet, value) rows search filters and counts on: incident types, places, has_ransom."""
    values = {("incident_type", t) for t in data.get("incident_types", [])}
    values.add(("has_ransom", "true" if data.get("ransoms") else "false"))
    for place in data.get("places", []):
        if place.get("country"):
            values.add(("country", place["country"]))
        if place.get("admin1"):
            values.add(("admin1", place["admin1"][:200]))
        if place.get("name"):
            values.add(("place", place["name"][:200]))
    return values


def _source_dict(r: Source) -> dict[str, Any]:
    return {
        "key": r.key, "name": r.name, "kind": r.kind, "country": r.country, "lang": r.lang, "fetch": r.fetch,
        "url": r.url, "schedule": r.schedule, "enabled": r.enabled,
        "last_run_at": _iso(r.last_run_at), "last_success_at": _iso(r.last_success_at),
        "last_error_at": _iso(r.last_error_at), "last_error": r.last_error,
        "consecutive_failures": r.consecutive_failures or 0,
    }  # fmt: skip


def _run_dict(r: CrawlRun) -> dict[str, Any]:
    return {
        "id": r.id, "source": r.source_key, "started_at": _iso(r.started_at), "finished_at": _iso(r.finished_at),
        "pages": r.pages, "items": r.items, "new_items": r.new_items, "errors": r.errors, "status": r.status,
        "error_summary": r.error_summary,
    }  # fmt: skip


def document_dict(r: Document, *, with_extraction: bool = False) -> dict[str, Any]:
    d = {
        "id": r.id, "item_id": r.item_id, "source": r.source_key, "url": r.url, "canonical_url": r.canonical_url,
        "title": r.title, "body": r.body, "summary": r.summary, "lang": r.lang, "country": r.country,
        "author": r.author, "published_at": _iso(r.published_at), "fetched_at": _iso(r.fetched_at),
        "updated_at": _iso(r.updated_at), "story_id": r.story_id, "quality_flags": r.quality_flags or [],
        "extraction_version": r.extraction_version,
    }  # fmt: skip
    if with_extraction:
        d["extraction"] = r.extraction.data if r.extraction else None
    return d


def advisory_dict(r: Advisory) -> dict[str, Any]:
    return {
        "id": r.id, "issuer": r.issuer, "country": r.country, "region": r.region, "level": r.level,
        "level_native": r.level_native, "label": r.label, "summary": r.summary, "url": r.url,
        "issued_at": _iso(r.issued_at), "fetched_at": _iso(r.fetched_at), "previous_level": r.previous_level,
    }  # fmt: skip


def _iso(value: datetime | None) -> str | None:
    value = as_utc(value)
    return value.isoformat() if value else None
