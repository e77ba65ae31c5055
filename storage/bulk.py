"""Bulk loading for benchmarks and imports: documents with their extractions and facet rows inserted
with executemany in large transactions (the FTS triggers still index every row); and the whole-store
read that benchmarks and reliability checks count with."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

from sqlalchemy import insert, select, text

from storage.documents import facet_values
from storage.models import Document, DocumentFacet, Extraction
from storage.repository import Store, content_hash, url_hash, utcnow

log = logging.getLogger(__name__)

BULK_CACHE_KIB = 512 * 1024  # SQLite page cache per loading connection


def bulk_insert_documents(
    store: Store, items: Iterable[dict[str, Any]], *, batch: int = 20_000, progress: Callable[[int], None] | None = None
) -> int:
    """Insert new documents (dicts of upsert_document's fields, plus an optional 'extraction' dict in
    nlp's contract and 'extraction_version'); ids are assigned here, after the current maximum.
    `progress` is called with the running total after each committed batch."""
    from sqlalchemy import func, select

    with store.read() as s:
        next_id = (s.scalar(select(func.max(Document.id))) or 0) + 1
    total = 0
    for chunk in _chunks(items, batch):
        docs: list[dict[str, Any]] = []
        extractions: list[dict[str, Any]] = []
        facets: list[dict[str, Any]] = []
        for item in chunk:
            doc_row, extraction_row = _rows(next_id, item)
            docs.append(doc_row)
            if extraction_row is not None:
                extractions.append(extraction_row)
                facets.extend({"document_id": next_id, "facet": f, "value": v}
                              for f, v in sorted(facet_values(item["extraction"])))
            next_id += 1
        with store.write() as s:
            if store.is_sqlite:  # random url_hash keys: keep the indexes' pages in memory while loading
                s.execute(text(f"PRAGMA cache_size = -{BULK_CACHE_KIB}"))
            s.execute(insert(Document), docs)
            if extractions:
                s.execute(insert(Extraction), extractions)
                s.execute(insert(DocumentFacet), facets)
        total += len(docs)
        log.info("bulk-inserted %d documents", total)
        if progress is not None:
            progress(total)
    return total


def _rows(doc_id: int, item: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    now = utcnow()
    canonical = item.get("canonical_url") or item["url"]
    doc = {
        "id": doc_id, "item_id": item["item_id"], "source_key": item["source_key"], "url": item["url"],
        "canonical_url": canonical, "url_hash": url_hash(canonical), "title": item.get("title") or "",
        "body": item.get("body") or "", "summary": item.get("summary") or "", "lang": item.get("lang") or "",
        "country": item.get("country") or "", "author": item.get("author"), "published_at": item.get("published_at"),
        "fetched_at": now, "updated_at": now, "content_hash": content_hash(item.get("title"), item.get("body")),
        "signature": None, "quality_flags": [], "story_id": item.get("story_id"),
        "extraction_version": item.get("extraction_version") if item.get("extraction") else None,
    }
    data = item.get("extraction")
    if data is None:
        return doc, None
    ages = [a["value"] for a in data.get("victim_ages", [])]
    usd = [r["usd"] for r in data.get("ransoms", []) if r.get("usd") is not None]
    extraction = {
        "document_id": doc_id, "pipeline_version": item.get("extraction_version") or "bulk",
        "relevant": bool(data.get("relevant")), "incident_types": list(data.get("incident_types", [])),
        "victim_nationality": data.get("victim_nationality"), "victim_count": data.get("victim_count"),
        "min_age": min(ages) if ages else None, "max_age": max(ages) if ages else None,
        "max_ransom_usd": max(usd) if usd else None, "has_ransom": bool(data.get("ransoms")),
        "data": data, "extracted_at": now,
    }
    return doc, extraction


def _chunks(items: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def document_summaries(store: Store) -> list[dict[str, Any]]:
    """Every stored document as {item_id, title, body, story_id, extracted}, in id order."""
    with store.read() as s:
        return [
            {"item_id": d.item_id, "title": d.title, "body": d.body, "story_id": d.story_id,
             "extracted": d.extraction_version is not None}
            for d in s.scalars(select(Document).order_by(Document.id))
        ]
