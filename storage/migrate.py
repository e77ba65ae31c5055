"""Schema migrations (Alembic, shipped in storage/migrations): bring any database to head on open,
cheaply when it is already there, and safely when several processes open a fresh database at once."""
from __future__ import annotations

import functools
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BASELINE_REVISION = "0001"
# Any constant: the key of the PostgreSQL advisory lock that serializes concurrent migrations.
PG_MIGRATION_LOCK = 0x6465736B  # "desk"


class MigrationError(RuntimeError):
    """The database cannot be brought to the schema this code needs (e.g. it is newer than the code)."""


def alembic_config(connection: Connection | None = None) -> Config:
    """The packaged alembic.ini, optionally bound to an open connection (env.py then uses it)."""
    cfg = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@functools.cache
def head_revision() -> str:
    """The newest revision in storage/migrations/versions (read once per process)."""
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise MigrationError(f"migrations have {len(heads)} heads ({', '.join(heads)}); merge them")
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty (or pre-migration) database."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def known_revisions() -> set[str]:
    return {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def upgrade_to_head(engine: Engine, revision: str = "head", *, read_engine: Engine | None = None) -> str | None:
    """Migrate to `revision` inside one locked transaction; returns the revision reached.
    Fast path: a plain read of alembic_version (on `read_engine`, which takes no write lock)."""
    if revision == "head" and _read_version(read_engine or engine) == head_revision():
        return head_revision()
    with engine.begin() as conn:  # SQLite writer engines open this with BEGIN IMMEDIATE: one migrator
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK})
        current = MigrationContext.configure(conn).get_current_revision()
        if current is not None and current not in known_revisions():
            raise MigrationError(f"database is at revision {current}, which this deskwatch does not know (newer?)")
        if current is None and inspect(conn).has_table("documents"):
            log.info("stamping a pre-migration database at the baseline revision %s", BASELINE_REVISION)
            command.stamp(alembic_config(conn), BASELINE_REVISION)
            current = BASELINE_REVISION
        target = head_revision() if revision == "head" else revision
        if current != target:
            log.info("migrating database from %s to %s", current, target)
            command.upgrade(alembic_config(conn), target)
        return MigrationContext.configure(conn).get_current_revision()


def _read_version(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:  # no alembic_version table yet (fresh database): take the locked path
        return None
