"""Batched writes for the crawler: many articles upserted in one unit of work, with exactly the
semantics of Store.upsert_document (stable item id, else canonical URL hash; unchanged content is left
alone; changed content is queued for re-extraction). One transaction per batch instead of per article."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Document
from storage.repository import (
    DOCUMENT_FIELDS,
    Store,
    UpsertResult,
    content_hash,
    retry_on_conflict,
    url_hash,
    utcnow,
)

log = logging.getLogger(__name__)


def upsert_documents(store: Store, docs: Sequence[dict[str, Any]]) -> list[UpsertResult]:
    """Upsert `docs` in one transaction (retried whole on a concurrent writer's conflict); results in order."""
    if not docs:
        return []

    def unit() -> list[UpsertResult]:
        with store.write() as session:
            return [_upsert_one(session, doc) for doc in docs]

    return retry_on_conflict(unit)


def _upsert_one(session: Session, doc: dict[str, Any]) -> UpsertResult:
    h = url_hash(doc["canonical_url"])
    chash = content_hash(doc.get("title"), doc.get("body"))
    now = utcnow()
    row = session.scalar(select(Document).where(Document.item_id == doc["item_id"]))
    if row is None:
        row = session.scalar(select(Document).where(Document.url_hash == h))
    if row is not None and row.content_hash == chash:
        return UpsertResult(row.id, created=False, changed=False)
    created = row is None
    if created:
        row = Document(item_id=doc["item_id"], url_hash=h, fetched_at=now)
        session.add(row)
    for field in DOCUMENT_FIELDS:
        if field in doc:
            setattr(row, field, doc[field])
    row.quality_flags = list(doc.get("quality_flags") or [])
    row.content_hash, row.updated_at, row.extraction_version = chash, now, None
    row.fetched_at = now
    session.flush()
    return UpsertResult(row.id, created=created, changed=True)
