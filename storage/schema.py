"""Schema creation: the ORM tables plus the full-text index each backend needs."""
from __future__ import annotations

import logging

from sqlalchemy import Engine, text

from storage.models import Base

log = logging.getLogger(__name__)

SQLITE_FTS = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts USING fts5(
        title, body, content='documents', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER IF NOT EXISTS documents_fts_ai AFTER INSERT ON documents BEGIN
        INSERT INTO documents_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END""",
    """CREATE TRIGGER IF NOT EXISTS documents_fts_ad AFTER DELETE ON documents BEGIN
        INSERT INTO documents_fts(documents_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
        END""",
    """CREATE TRIGGER IF NOT EXISTS documents_fts_au AFTER UPDATE OF title, body ON documents BEGIN
        INSERT INTO documents_fts(documents_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO documents_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END""",
]


def ensure_schema(engine: Engine) -> None:
    """Create every table and index that is missing; safe to call on every start."""
    Base.metadata.create_all(engine)
    if engine.url.get_backend_name() == "sqlite":
        with engine.begin() as conn:
            for ddl in SQLITE_FTS:
                conn.execute(text(ddl))
