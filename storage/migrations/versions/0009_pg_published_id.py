"""PostgreSQL: an index on (published_at, id), so the first id published since a date (the exact lower
bound a date-filtered search walks down to) is an index-only scan of the date range instead of a heap
visit per row (365,000 rows, ~190 ms at a million documents). SQLite's published_at index already
holds the rowid (= id). Named ix_documents_search_* as a search object that the models do not declare.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 17:20:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("CREATE INDEX IF NOT EXISTS ix_documents_search_published_id ON documents (published_at, id)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("DROP INDEX IF EXISTS ix_documents_search_published_id")
