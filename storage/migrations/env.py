"""Alembic environment: runs on a connection handed over by storage.migrate (one transaction, locked),
or on the URL from DESKWATCH_DB when the `alembic` command is used directly."""
from __future__ import annotations

import logging

from alembic import context
from sqlalchemy import Connection

from storage.db import make_engine, resolve_db_url
from storage.models import Base

log = logging.getLogger(__name__)
config = context.config


def run_on(connection: Connection) -> None:
    """Migrate on `connection`; batch mode so SQLite can alter tables by copy-and-move."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transactional_ddl=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    engine = make_engine(resolve_db_url(config.get_main_option("sqlalchemy.url") or None))
    with engine.begin() as conn:
        run_on(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: the FTS objects differ per backend")
run_online()
