"""Documents (one article each) and their extractions: upserts keyed on the stable item id or the
canonical URL hash (one at a time or a batch in one transaction), the crawler's seen-set, the batches
waiting for extraction, and the work a crash left half done."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from storage.models import Document, DocumentFacet, Extraction
from storage.repository import (
    Store,
    UpsertResult,
    as_utc,
    content_hash,
    iso_utc,
    retry_on_conflict,
    url_hash,
    utcnow,
)

log = logging.getLogger(__name__)

DOCUMENT_FIELDS = (
    "source_key", "url", "canonical_url", "title", "body", "summary", "lang", "country", "author",
    "published_at", "signature", "quality_flags",
)


def seen_documents(store: Store, hashes: Sequence[str]) -> dict[str, datetime | None]:
    """url_hash -> stored updated_at, for the hashes already in the store (the crawler's seen-set)."""
    found: dict[str, datetime | None] = {}
    with store.read() as s:
        for i in range(0, len(hashes), 500):
            chunk = list(hashes[i : i + 500])
            q = select(Document.url_hash, Document.updated_at).where(Document.url_hash.in_(chunk))
            found.update({h: as_utc(t) for h, t in s.execute(q)})
    return found


def upsert_document(store: Store, doc: dict[str, Any]) -> UpsertResult:
    """Insert or update one article, keyed on its stable item id or canonical URL hash.
    An unchanged article is left alone; a changed one is queued for re-extraction. Safe with
    concurrent writers: losing an insert race to another process retries as an update."""
    return retry_on_conflict(lambda: _upsert_document_once(store, doc))


def _upsert_document_once(store: Store, doc: dict[str, Any]) -> UpsertResult:
    with store.write() as s:
        return upsert_document_row(s, doc)


def get_document(store: Store, doc_id: int) -> dict[str, Any] | None:
    with store.read() as s:
        row = s.get(Document, doc_id)
        return document_dict(row, with_extraction=True) if row else None


def documents_to_extract(
    store: Store, version: str, *, reprocess: bool = False, limit: int = 200, after_id: int = 0,
    everything: bool = False,
) -> list[dict[str, Any]]:
    """Documents with no extraction, or (reprocess) one made by another pipeline version, or (everything)
    all of them, by id from `after_id` on (a cursor, so a caller can step past documents it failed on)."""
    with store.read() as s:
        cond = _to_extract(version, reprocess, everything)
        q = select(Document).where(cond, Document.id > after_id).order_by(Document.id).limit(limit)
        return [document_dict(r) for r in s.scalars(q)]


def count_documents_to_extract(store: Store, version: str, *, reprocess: bool = False, everything: bool = False) -> int:
    """How many documents documents_to_extract would walk through (for progress)."""
    with store.read() as s:
        q = select(func.count()).select_from(Document).where(_to_extract(version, reprocess, everything))
        return int(s.scalar(q) or 0)


def _to_extract(version: str, reprocess: bool, everything: bool) -> ColumnElement[bool]:
    if everything:
        return Document.id.is_not(None)
    cond: ColumnElement[bool] = Document.extraction_version.is_(None)
    return cond | (Document.extraction_version != version) if reprocess else cond


def save_extraction(store: Store, doc_id: int, data: dict[str, Any], version: str) -> None:
    """Store nlp's Extraction dict for one document and refresh its facet rows."""
    retry_on_conflict(lambda: _save_extraction_once(store, doc_id, data, version))


def _save_extraction_once(store: Store, doc_id: int, data: dict[str, Any], version: str) -> None:
    ransoms = [r.get("usd") for r in data.get("ransoms", []) if r.get("usd") is not None]
    ages = [a["value"] for a in data.get("victim_ages", [])]
    with store.write() as s:
        doc = s.get(Document, doc_id)
        if doc is None:
            raise KeyError(f"no document {doc_id}")
        row = s.get(Extraction, doc_id) or Extraction(document_id=doc_id)
        row.pipeline_version, row.relevant = version, bool(data.get("relevant"))
        row.incident_types = list(data.get("incident_types", []))
        row.victim_nationality, row.victim_count = data.get("victim_nationality"), data.get("victim_count")
        row.min_age, row.max_age = (min(ages), max(ages)) if ages else (None, None)
        row.max_ransom_usd = max(ransoms) if ransoms else None
        row.has_ransom = bool(data.get("ransoms"))
        row.data, row.extracted_at = data, utcnow()
        s.add(row)
        doc.extraction_version = version
        s.query(DocumentFacet).filter(DocumentFacet.document_id == doc_id).delete()
        # Sorted: concurrent writers touch facet rows in one order, so they cannot deadlock.
        s.add_all(DocumentFacet(document_id=doc_id, facet=f, value=v) for f, v in sorted(facet_values(data)))


def upsert_document_row(session: Session, doc: dict[str, Any]) -> UpsertResult:
    """Insert or update one article inside `session`, keyed on its stable item id, else its canonical URL
    hash; unchanged content is left alone, changed content is queued for re-extraction."""
    h = url_hash(doc["canonical_url"])
    chash = content_hash(doc.get("title"), doc.get("body"))
    now = utcnow()
    row = session.scalar(select(Document).where(Document.item_id == doc["item_id"]))
    if row is None:
        row = session.scalar(select(Document).where(Document.url_hash == h))
    if row is not None and row.content_hash == chash:
        return UpsertResult(row.id, created=False, changed=False)
    created = row is None
    if row is None:
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


def facet_values(data: dict[str, Any]) -> set[tuple[str, str]]:
    """The (facet, value) rows search filters and counts on: incident types, places, has_ransom."""
    values = {("incident_type", t) for t in data.get("incident_types", [])}
    values.add(("has_ransom", "true" if data.get("ransoms") else "false"))
    for place in data.get("places", []):
        if place.get("country"):
            values.add(("country", place["country"]))
        if place.get("admin1"):
            values.add(("admin1", place["admin1"][:200]))
        if place.get("name"):
            values.add(("place", place["name"][:200]))
    return values


def document_dict(r: Document, *, with_extraction: bool = False) -> dict[str, Any]:
    d = {
        "id": r.id, "item_id": r.item_id, "source": r.source_key, "url": r.url, "canonical_url": r.canonical_url,
        "title": r.title, "body": r.body, "summary": r.summary, "lang": r.lang, "country": r.country,
        "author": r.author, "published_at": iso_utc(r.published_at), "fetched_at": iso_utc(r.fetched_at),
        "updated_at": iso_utc(r.updated_at), "story_id": r.story_id, "quality_flags": r.quality_flags or [],
        "extraction_version": r.extraction_version,
    }
    if with_extraction:
        d["extraction"] = r.extraction.data if r.extraction else None
    return d


def upsert_documents(store: Store, docs: Sequence[dict[str, Any]]) -> list[UpsertResult]:
    """Upsert `docs` in one transaction (retried whole on a concurrent writer's conflict); results in order."""
    if not docs:
        return []

    def unit() -> list[UpsertResult]:
        with store.write() as session:
            return [upsert_document_row(session, doc) for doc in docs]

    return retry_on_conflict(unit)


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
