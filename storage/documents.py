"""Documents (one article each) and their extractions: upserts keyed on the stable item id or the
canonical URL hash (a batch in one transaction, a few statements whatever its size), the crawler's
seen-set, the batches waiting for extraction, and the work a crash left half done."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, insert, or_, select, update
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
    """Insert or update one article (upsert_documents with a batch of one)."""
    return upsert_documents(store, [doc])[0]


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
        cond = to_extract(version, reprocess=reprocess, everything=everything)
        q = select(Document).where(cond, Document.id > after_id).order_by(Document.id).limit(limit)
        return [document_dict(r) for r in s.scalars(q)]


def count_documents_to_extract(store: Store, version: str, *, reprocess: bool = False, everything: bool = False) -> int:
    """How many documents documents_to_extract would walk through (for progress)."""
    with store.read() as s:
        q = select(func.count()).select_from(Document).where(to_extract(version, reprocess=reprocess, everything=everything))
        return int(s.scalar(q) or 0)


def to_extract(version: str, *, reprocess: bool, everything: bool) -> ColumnElement[bool]:
    """The documents due for extraction: never extracted, or (reprocess) by another pipeline version, or
    (everything) all; storage.story_rebuild takes the same documents out of their stories."""
    if everything:
        return Document.id.is_not(None)
    cond: ColumnElement[bool] = Document.extraction_version.is_(None)
    return cond | (Document.extraction_version != version) if reprocess else cond


def save_extraction(store: Store, doc_id: int, data: dict[str, Any], version: str) -> None:
    """Store nlp's Extraction dict for one document and refresh its facet rows."""
    retry_on_conflict(lambda: _save_extraction_once(store, doc_id, data, version))


def _save_extraction_once(store: Store, doc_id: int, data: dict[str, Any], version: str) -> None:
    with store.write() as s:
        doc = s.get(Document, doc_id)
        if doc is None:
            raise KeyError(f"no document {doc_id}")
        row = s.get(Extraction, doc_id) or Extraction(document_id=doc_id)
        for column, value in extraction_columns(data, version).items():
            setattr(row, column, value)
        s.add(row)
        doc.extraction_version = version
        s.query(DocumentFacet).filter(DocumentFacet.document_id == doc_id).delete()
        # Sorted: concurrent writers touch facet rows in one order, so they cannot deadlock.
        s.add_all(DocumentFacet(document_id=doc_id, facet=f, value=v) for f, v in sorted(facet_values(data)))


def extraction_columns(data: dict[str, Any], version: str) -> dict[str, Any]:
    """An extractions row's columns for nlp's Extraction dict `data` (the queryable fields beside the JSON)."""
    ransoms = [r["usd"] for r in data.get("ransoms", []) if r.get("usd") is not None]
    ages = [a["value"] for a in data.get("victim_ages", [])]
    return {
        "pipeline_version": version, "relevant": bool(data.get("relevant")),
        "incident_types": list(data.get("incident_types", [])),
        "victim_nationality": data.get("victim_nationality"), "victim_count": data.get("victim_count"),
        "min_age": min(ages) if ages else None, "max_age": max(ages) if ages else None,
        "max_ransom_usd": max(ransoms) if ransoms else None, "has_ransom": bool(data.get("ransoms")),
        "data": data, "extracted_at": utcnow(),
    }


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
    """Insert or update articles in one transaction, keyed on the stable item id, else the canonical URL
    hash: one query finds the stored rows, then one multi-row INSERT and one executemany UPDATE. Unchanged
    content (same content hash) is left alone; changed content is queued for re-extraction. The batch
    behaves as if its articles were upserted one after another (a later one sees an earlier one). Safe
    with concurrent writers: losing an insert race retries the whole batch, which then sees the other's
    rows. Results in the order of `docs`."""
    if not docs:
        return []
    keyed = [(doc, url_hash(doc["canonical_url"]), content_hash(doc.get("title"), doc.get("body"))) for doc in docs]

    def unit() -> list[UpsertResult]:
        with store.write() as session:
            return _upsert_batch(session, keyed)

    return retry_on_conflict(unit)


# A new row's value for a field its article does not carry (the model's defaults).
_NEW_ROW_DEFAULTS: dict[str, Any] = {"title": "", "body": "", "summary": "", "country": ""}
_LOOKUP_CHUNK = 400  # keys per IN (...) list, well under every backend's bound-parameter limit


@dataclass
class _Slot:
    """One documents row as the batch sees it: stored (id known) or about to be inserted (row)."""

    content_hash: str
    id: int | None = None
    insert: dict[str, Any] | None = None
    update: dict[str, Any] | None = None


def _upsert_batch(session: Session, keyed: Sequence[tuple[dict[str, Any], str, str]]) -> list[UpsertResult]:
    by_item, by_hash = _stored_slots(session, {doc["item_id"] for doc, _, _ in keyed}, {h for _, h, _ in keyed})
    planned, inserts, updates = _plan_batch(keyed, by_item, by_hash)
    if inserts:
        # Ids matched back by item id (unique): asking RETURNING for the rows' order makes SQLAlchemy insert
        # them one statement each on SQLite.
        stmt = insert(Document).returning(Document.item_id, Document.id)
        new_ids = dict(session.execute(stmt, [row for _, row in inserts]).tuples().all())
        for slot, row in inserts:
            slot.id = new_ids[row["item_id"]]
    if updates:
        session.execute(update(Document), updates)
    return [UpsertResult(_known_id(slot), created=created, changed=changed) for slot, created, changed in planned]


def _plan_batch(keyed: Sequence[tuple[dict[str, Any], str, str]], by_item: dict[str, _Slot], by_hash: dict[str, _Slot],
                ) -> tuple[list[tuple[_Slot, bool, bool]], list[tuple[_Slot, dict[str, Any]]], list[dict[str, Any]]]:
    """Walk the batch in order against the stored rows: per article (its row, created, changed), the rows
    to insert and the updates by primary key (a row changed twice in one batch is written once)."""
    now = utcnow()
    planned: list[tuple[_Slot, bool, bool]] = []
    inserts: list[tuple[_Slot, dict[str, Any]]] = []
    updates: list[dict[str, Any]] = []
    for doc, h, chash in keyed:
        slot = by_item.get(doc["item_id"]) or by_hash.get(h)
        if slot is not None and slot.content_hash == chash:
            planned.append((slot, False, False))
            continue
        changes = {field: doc[field] for field in DOCUMENT_FIELDS if field in doc}
        changes.update(quality_flags=list(doc.get("quality_flags") or []), content_hash=chash, updated_at=now,
                       fetched_at=now, extraction_version=None)
        created = slot is None
        if slot is None:
            row = {field: _NEW_ROW_DEFAULTS.get(field) for field in DOCUMENT_FIELDS}
            row.update(item_id=doc["item_id"], url_hash=h)
            slot = _Slot(chash, insert=row)
            by_item[doc["item_id"]], by_hash[h] = slot, slot
            inserts.append((slot, row))
        elif slot.insert is None and slot.update is None:
            slot.update = {"id": slot.id}
            updates.append(slot.update)
        slot.content_hash = chash
        (slot.insert if slot.insert is not None else slot.update or {}).update(changes)
        planned.append((slot, created, True))
    return planned, inserts, updates


def _known_id(slot: _Slot) -> int:
    assert slot.id is not None  # every inserted row's id came back from RETURNING
    return slot.id


def _stored_slots(session: Session, item_ids: set[str], hashes: set[str]) -> tuple[dict[str, _Slot], dict[str, _Slot]]:
    """The stored rows matching any of `item_ids` or `hashes`, indexed both ways (one row, one slot)."""
    by_item: dict[str, _Slot] = {}
    by_hash: dict[str, _Slot] = {}
    items, urls = sorted(item_ids), sorted(hashes)
    for i in range(0, max(len(items), len(urls)), _LOOKUP_CHUNK):
        q = select(Document.id, Document.item_id, Document.url_hash, Document.content_hash).where(
            or_(Document.item_id.in_(items[i : i + _LOOKUP_CHUNK]), Document.url_hash.in_(urls[i : i + _LOOKUP_CHUNK])))
        for row_id, item, h, chash in session.execute(q):
            slot = by_item.get(item) or by_hash.get(h) or _Slot(chash, id=row_id)
            by_item[item], by_hash[h] = slot, slot
    return by_item, by_hash


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
