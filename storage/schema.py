"""Schema creation: every table, index and full-text object comes from the Alembic migrations in
storage/migrations, so a fresh database and an upgraded one end up identical."""
from __future__ import annotations

import logging

from sqlalchemy import Engine

from storage.migrate import upgrade_to_head

log = logging.getLogger(__name__)


def ensure_schema(engine: Engine, read_engine: Engine | None = None) -> None:
    """Bring the database to the newest migration; a cheap version read when it is already there."""
    upgrade_to_head(engine, read_engine=read_engine)
