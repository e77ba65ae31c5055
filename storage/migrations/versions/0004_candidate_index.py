"""A covering index for search candidates: (id, published_at, source_key, lang, story_id), so ranking
and facet counts over thousands of matches never read the wide documents rows (bodies).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 15:10:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["id", "published_at", "source_key", "lang", "story_id"]


def upgrade() -> None:
    op.create_index("ix_documents_candidate", "documents", COLUMNS, unique=False)


def downgrade() -> None:
    op.drop_index("ix_documents_candidate", table_name="documents")
