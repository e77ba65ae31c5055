"""Queries that find work a crash left half done, so the next run finishes it instead of losing it."""
from __future__ import annotations

import logging

from sqlalchemy import select

from storage.models import Document, Extraction
from storage.repository import Store

log = logging.getLogger(__name__)


def unplaced_relevant_documents(store: Store, *, limit: int = 500, after_id: int = 0) -> list[int]:
    """Ids of documents whose extraction says relevant but that belong to no story: a processor killed
    between saving extractions and assigning stories leaves these, and nothing else would pick them up."""
    with store.read() as s:
        q = (
            select(Document.id)
            .join(Extraction, Extraction.document_id == Document.id)
            .where(Extraction.relevant.is_(True), Document.story_id.is_(None), Document.id > after_id)
            .order_by(Document.id)
            .limit(limit)
        )
        return list(s.scalars(q))
