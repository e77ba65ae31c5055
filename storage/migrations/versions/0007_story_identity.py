"""Story identity keys and hand corrections.

story_keys: the identity keys of each story's reports (a named site, a specific place, a person with an
age, a counted number of people, a day, a ransom), so that placing a report compares it with the
stories sharing a key instead of the whole store. story_corrections: analysts' merges and splits, with
who and when. documents.story_pinned: a report an analyst placed by hand; reprocessing never moves it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 09:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "story_keys",
        sa.Column("story_id", sa.Integer(), sa.ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("story_id", "key"),
    )
    op.create_index("ix_story_keys_key", "story_keys", ["key", "story_id"], unique=False)
    op.create_table(
        "story_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("other_story_id", sa.Integer(), nullable=True),
        sa.Column("document_ids", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_story_corrections_story_id", "story_corrections", ["story_id"], unique=False)
    op.create_index("ix_story_corrections_other", "story_corrections", ["other_story_id"], unique=False)
    # A plain ADD COLUMN: a batch rebuild of documents would drop the full-text triggers on SQLite.
    op.add_column("documents", sa.Column("story_pinned", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("documents", "story_pinned")
    op.drop_index("ix_story_corrections_other", table_name="story_corrections")
    op.drop_index("ix_story_corrections_story_id", table_name="story_corrections")
    op.drop_table("story_corrections")
    op.drop_index("ix_story_keys_key", table_name="story_keys")
    op.drop_table("story_keys")
