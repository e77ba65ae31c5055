"""Engines and sessions: one place that knows SQLite from PostgreSQL."""
from __future__ import annotations

import logging
import os
from pathlib import Path

from platformdirs import user_data_dir
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

ENV_DB = "DESKWATCH_DB"
SERVER_GONE_PG_CODES = {"57P01", "57P02", "57P03"}  # admin/crash shutdown, cannot connect now (class 08 too)


def default_db_url() -> str:
    """The embedded default: an SQLite file in the user's data directory (created on first use)."""
    folder = Path(user_data_dir("deskwatch", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'deskwatch.sqlite'}"


def resolve_db_url(url: str | None = None) -> str:
    return url or os.environ.get(ENV_DB) or default_db_url()


def is_sqlite(engine_or_url: Engine | str) -> bool:
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()
    # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own BEGIN handling is bypassed).
    dbapi_conn.isolation_level = None


def make_engine(url: str | None = None, *, writer: bool = True) -> Engine:
    """An engine for `url`. On SQLite a writer engine opens every transaction with BEGIN IMMEDIATE,
    so two processes that read then write queue on busy_timeout instead of failing with SQLITE_BUSY;
    reader engines (search, web) use deferred transactions and never block writers under WAL."""
    url = resolve_db_url(url)
    if is_sqlite(url):
        db_path = make_url(url).database
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        # NullPool: every unit of work opens its own connection, so several processes
        # (crawler, processor, web) share the file through WAL and busy_timeout.
        engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        # BEGIN IMMEDIATE for writers avoids the SQLITE_BUSY upgrade deadlock between readers-turned-writers.
        begin = "BEGIN IMMEDIATE" if writer else "BEGIN"
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql(begin))
        return engine
    # jit=off: JIT compiling costs 50-200 ms on search statements whose estimated cost passes its threshold.
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, connect_args={"options": "-c jit=off"})


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def is_disconnect(exc: Exception) -> bool:
    """True when a PostgreSQL error means the server went away or is restarting (not a bad statement)."""
    if getattr(exc, "connection_invalidated", False):
        return True
    orig = getattr(exc, "orig", None)
    if not isinstance(exc, OperationalError) or not type(orig).__module__.startswith("psycopg"):
        return False
    code = getattr(orig, "sqlstate", None)
    return code is None or code.startswith("08") or code in SERVER_GONE_PG_CODES
