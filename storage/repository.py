"""The store: one database (SQLite by default, PostgreSQL at scale) with its engines, sessions and
schema, and what every storage module shares: UTC times, hashes, retried units of work, row counts.
Each table's reads and writes are functions over a Store in the module named after it (sources,
documents, advisories, stories, alerts, digests); search in search.py. Every SQL statement of the
project lives in storage/."""
from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar, overload

from sqlalchemy import ColumnElement, Engine, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from storage.db import is_disconnect, make_engine, make_session_factory, resolve_db_url
from storage.incidents import new_incident_clause
from storage.models import Advisory, Alert, Base, Digest, Document, Story

log = logging.getLogger(__name__)
T = TypeVar("T")


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


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
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
        """Bring the database to the newest migration (every table, index and full-text object comes
        from storage/migrations, so a fresh database and an upgraded one end up identical)."""
        from storage.migrate import upgrade_to_head

        upgrade_to_head(self.engine, read_engine=self.read_engine)

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


RETRYABLE_PG_CODES = {"40001", "40P01"}  # serialization failure, deadlock detected
CONFLICT_ATTEMPTS = 5
DISCONNECT_WAIT_S = 60.0  # how long a writer waits out a database server restart before giving up


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


def iso_utc(value: datetime | None) -> str | None:
    """An aware UTC ISO 8601 string (None stays None): how every dict the store returns spells times."""
    value = as_utc(value)
    return value.isoformat() if value else None


def table_counts(store: Store) -> dict[str, int]:
    """Row counts of the main tables (`deskwatch stats`); `new_incidents_24h` counts as the digest does
    (storage.incidents)."""
    day_ago = utcnow() - timedelta(days=1)
    with store.read() as s:

        def count(model: type[Base], *where: ColumnElement[bool]) -> int:
            return s.scalar(select(func.count()).select_from(model).where(*where)) or 0

        return {
            "documents": count(Document),
            "advisories": count(Advisory),
            "stories": count(Story),
            "incidents": count(Story, Story.is_incident.is_(True)),
            "new_incidents_24h": count(Story, new_incident_clause(day_ago)),
            "alerts": count(Alert),
            "digests": count(Digest),
        }
