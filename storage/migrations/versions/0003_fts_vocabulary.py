"""SQLite: an fts5vocab view of the trigram index, so a 2-character search term can be expanded to the
indexed trigrams that start with it (the trigram tokenizer cannot match fewer than 3 characters).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 14:40:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts_vocab USING fts5vocab(documents_fts, 'row')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS documents_fts_vocab")
