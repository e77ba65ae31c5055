"""An index for a story's members in id order: documents (story_id, id).

Placing a report reads, for each candidate story, its first report and its most recent ones. With this
index those are two limited range scans whatever the story's size; with documents.story_id alone,
PostgreSQL reads and sorts every report of the story (a long-running case holds thousands).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 17:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_documents_story_members", "documents", ["story_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_documents_story_members", table_name="documents")
