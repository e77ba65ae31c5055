"""Batched writes for the crawler: many articles upserted in one unit of work, with exactly the
semantics of Store.upsert_document (stable item id, else canonical URL hash; unchanged content is left
alone; changed content is queued for re-extraction). One transaction per batch instead of per article."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from storage.repository import Store, UpsertResult, retry_on_conflict, upsert_document_row

log = logging.getLogger(__name__)


def upsert_documents(store: Store, docs: Sequence[dict[str, Any]]) -> list[UpsertResult]:
    """Upsert `docs` in one transaction (retried whole on a concurrent writer's conflict); results in order."""
    if not docs:
        return []

    def unit() -> list[UpsertResult]:
        with store.write() as session:
            return [upsert_document_row(session, doc) for doc in docs]

    return retry_on_conflict(unit)


