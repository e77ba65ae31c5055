"""Search and stories: MinHash LSH bands, a has_ransom facet, FTS rows that end in a newline
(so a 2-character Korean word at the very end of a title still has a trigram), and PostgreSQL's
'simple' tsvector column plus pg_trgm GIN index.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 14:10:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every FTS row is (title || '\n', body || '\n'): the trailing newline gives a word that ends a column
# a trigram of its own ("납치\n"), which storage.search's 2-character expansion relies on.
SQLITE_FTS_TRIGGERS = [
    """CREATE TRIGGER documents_fts_ai AFTER INSERT ON documents BEGIN
        INSERT INTO documents_fts(rowid, title, body)
        VALUES (new.id, new.title || char(10), new.body || char(10)); END""",
    """CREATE TRIGGER documents_fts_ad AFTER DELETE ON documents BEGIN
        INSERT INTO documents_fts(documents_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title || char(10), old.body || char(10)); END""",
    """CREATE TRIGGER documents_fts_au AFTER UPDATE OF title, body ON documents BEGIN
        INSERT INTO documents_fts(documents_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title || char(10), old.body || char(10));
        INSERT INTO documents_fts(rowid, title, body)
        VALUES (new.id, new.title || char(10), new.body || char(10)); END""",
]
FTS_TRIGGER_NAMES = ("documents_fts_ai", "documents_fts_ad", "documents_fts_au")

POSTGRES_SEARCH = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """ALTER TABLE documents ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', coalesce(title, '')), 'A')
        || setweight(to_tsvector('simple', coalesce(body, '')), 'B')) STORED""",
    "CREATE INDEX ix_documents_search_tsv ON documents USING gin (search_tsv)",
    "CREATE INDEX ix_documents_search_trgm ON documents USING gin ((title || ' ' || body) gin_trgm_ops)",
]


def upgrade() -> None:
    op.create_table(
        "document_bands",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("band", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("document_id", "band"),
    )
    op.create_index("ix_document_bands_band", "document_bands", ["band", "document_id"], unique=False)
    op.execute(
        "INSERT INTO document_facets (document_id, facet, value) "
        "SELECT document_id, 'has_ransom', CASE WHEN has_ransom THEN 'true' ELSE 'false' END FROM extractions"
    )
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite_fts(SQLITE_FTS_TRIGGERS, newline=True)
    else:
        for ddl in POSTGRES_SEARCH:
            op.execute(ddl)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        from importlib import import_module

        baseline = import_module("storage.migrations.versions.0001_baseline")
        _rebuild_sqlite_fts(baseline.SQLITE_FTS[1:], newline=False)
    else:
        op.execute("DROP INDEX IF EXISTS ix_documents_search_trgm")
        op.execute("DROP INDEX IF EXISTS ix_documents_search_tsv")
        op.execute("ALTER TABLE documents DROP COLUMN IF EXISTS search_tsv")
    op.execute("DELETE FROM document_facets WHERE facet = 'has_ransom'")
    op.drop_index("ix_document_bands_band", table_name="document_bands")
    op.drop_table("document_bands")


def _rebuild_sqlite_fts(triggers: list[str], *, newline: bool) -> None:
    """Swap the sync triggers and re-index every document the way the new triggers will."""
    for name in FTS_TRIGGER_NAMES:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for ddl in triggers:
        op.execute(ddl)
    end = " || char(10)" if newline else ""
    op.execute("INSERT INTO documents_fts(documents_fts) VALUES ('delete-all')")
    op.execute(f"INSERT INTO documents_fts(rowid, title, body) SELECT id, title{end}, body{end} FROM documents")
