"""stories.created_at: when deskwatch made the story, so a digest's "new" means new to its reader
(first_seen is the first report's publication time, which can be months before it was collected).
Existing stories get the earliest fetch time of their documents.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 15:40:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stories") as batch:
        batch.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_stories_created_at", ["created_at"], unique=False)
    op.execute(
        "UPDATE stories SET created_at = COALESCE("
        "(SELECT MIN(documents.fetched_at) FROM documents WHERE documents.story_id = stories.id), updated_at)"
    )


def downgrade() -> None:
    with op.batch_alter_table("stories") as batch:
        batch.drop_index("ix_stories_created_at")
        batch.drop_column("created_at")
