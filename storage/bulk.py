"""Bulk loading for benchmarks and imports, and the whole-store read that benchmarks and reliability
checks count with.

A bulk load takes the documents table's secondary indexes (and those of extractions and document_facets)
out of the way while it inserts, and puts them back afterwards, whatever happens:
* SQLite: the non-unique indexes and the full-text sync triggers are dropped (read from sqlite_master,
  so the list is always the migrations' own), each batch is inserted with executemany and its FTS5 rows
  added with one INSERT … SELECT over the batch's id range (the expression the insert trigger uses),
  and a `finally` re-creates the indexes and triggers from the exact SQL they were dropped with.
  Batches commit one by one: a failure keeps the batches before it, whole and indexed.
* PostgreSQL: one transaction; the secondary indexes (tsvector and trigram GIN included) and unique
  constraints are dropped, rows are sent with COPY, the indexes and constraints are rebuilt with a
  large maintenance_work_mem, the documents id sequence is moved past the loaded ids, then VACUUM
  (ANALYZE) sets the visibility map and the planner's statistics.
  A failure rolls everything back (PostgreSQL's DDL is transactional)."""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

from sqlalchemy import Connection, func, insert, select, text

from storage.documents import extraction_columns, facet_values
from storage.models import Document, DocumentFacet, Extraction
from storage.repository import Store, content_hash, url_hash, utcnow

log = logging.getLogger(__name__)

BULK_CACHE_KIB = 512 * 1024  # SQLite page cache per loading connection
BULK_TABLES = ("documents", "extractions", "document_facets")
PG_MAINTENANCE_WORK_MEM = "2GB"  # index builds after a PostgreSQL bulk load

Progress = Callable[[int], None]


def bulk_insert_documents(
    store: Store, items: Iterable[dict[str, Any]], *, batch: int = 20_000, progress: Progress | None = None
) -> int:
    """Insert new documents (dicts of upsert_document's fields, plus an optional 'extraction' dict in
    nlp's contract and 'extraction_version'); ids are assigned here, after the current maximum.
    `progress` is called with the running total after each batch. Returns how many were inserted."""
    with store.read() as s:
        next_id = (s.scalar(select(func.max(Document.id))) or 0) + 1
    batches = _batches(items, batch, next_id)
    if store.is_sqlite:
        return _load_sqlite(store, batches, progress)
    return _load_postgres(store, batches, progress)


Batch = tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]  # documents, extractions, facets


def _batches(items: Iterable[dict[str, Any]], size: int, next_id: int) -> Iterator[Batch]:
    for chunk in _chunks(items, size):
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
        yield docs, extractions, facets


# ---- SQLite --------------------------------------------------------------------------------------
def sqlite_load_schema(conn: Connection) -> list[tuple[str, str, str]]:
    """(type, name, sql) of what a SQLite bulk load drops: the bulk tables' non-unique indexes and every
    trigger on them, in creation order. Unique indexes stay (they enforce item_id/url_hash uniqueness),
    as do the automatic ones behind UNIQUE constraints, which cannot be dropped."""
    names = ", ".join(f"'{t}'" for t in BULK_TABLES)
    rows = conn.execute(text(
        f"SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN ({names}) AND sql IS NOT NULL "
        "AND (type = 'trigger' OR (type = 'index' AND upper(sql) NOT LIKE 'CREATE UNIQUE%')) ORDER BY rowid"))
    return [(r[0], r[1], r[2]) for r in rows]


_FTS_INSERT = re.compile(
    r"INSERT\s+INTO\s+(\w+)\s*\(([^)]*)\)\s*VALUES\s*\((.*)\)\s*;\s*END\s*$", re.IGNORECASE | re.DOTALL)


def _fts_fill_statement(triggers: list[tuple[str, str, str]]) -> str | None:
    """The insert trigger's own statement turned into INSERT … SELECT over an id range, so bulk-loaded
    rows are indexed exactly as the trigger indexes a single insert (e.g. title || char(10))."""
    for _kind, _name, sql in triggers:
        if not re.search(r"AFTER\s+INSERT\s+ON\s+documents\b", sql, re.IGNORECASE):
            continue
        m = _FTS_INSERT.search(sql)
        if m is None or "new." not in m.group(3):
            raise RuntimeError(f"cannot read the full-text insert of trigger {_name!r}; refusing to bulk load")
        select_list = re.sub(r"\bnew\.", "", m.group(3))
        return f"INSERT INTO {m.group(1)}({m.group(2)}) SELECT {select_list} FROM documents WHERE id BETWEEN :lo AND :hi"
    return None


def _load_sqlite(store: Store, batches: Iterator[Batch], progress: Progress | None) -> int:
    total = 0
    with store.engine.connect() as conn:
        conn.execute(text(f"PRAGMA cache_size = -{BULK_CACHE_KIB}"))  # random url_hash keys: keep pages in memory
        conn.execute(text("PRAGMA temp_store = MEMORY"))  # index builds sort in memory
        conn.commit()
        with conn.begin():
            dropped = sqlite_load_schema(conn)
            triggers = [d for d in dropped if d[0] == "trigger"]
            fill = _fts_fill_statement(triggers)
            for kind, name, _sql in reversed(dropped):
                conn.execute(text(f'DROP {kind.upper()} IF EXISTS "{name}"'))
        try:
            for docs, extractions, facets in batches:
                with conn.begin():
                    conn.execute(insert(Document), docs)
                    if extractions:
                        conn.execute(insert(Extraction), extractions)
                        conn.execute(insert(DocumentFacet), facets)
                    if fill is not None:
                        conn.execute(text(fill), {"lo": docs[0]["id"], "hi": docs[-1]["id"]})
                total += len(docs)
                log.info("bulk-inserted %d documents", total)
                if progress is not None:
                    progress(total)
        finally:
            if conn.in_transaction():
                conn.rollback()
            with conn.begin():
                for _kind, _name, sql in dropped:
                    conn.execute(text(sql))
    return total


# ---- PostgreSQL ----------------------------------------------------------------------------------
def pg_load_schema(conn: Any) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """What a PostgreSQL bulk load drops and rebuilds: (table, constraint, definition) of the bulk tables'
    unique constraints, and (index, definition) of their other indexes except the primary keys."""
    tables = list(BULK_TABLES)
    constraints = conn.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = ANY(%s::regclass[]) AND contype = 'u' ORDER BY conrelid::regclass::text, conname",
        (tables,)).fetchall()
    indexes = conn.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
        "ORDER BY i.indexrelid::regclass::text", (tables,)).fetchall()
    return [tuple(r) for r in constraints], [tuple(r) for r in indexes]


def _load_postgres(store: Store, batches: Iterator[Batch], progress: Progress | None) -> int:
    total = 0
    raw = store.engine.raw_connection()
    try:
        conn: Any = raw.driver_connection  # psycopg 3
        constraints, indexes = pg_load_schema(conn)
        conn.execute(f"SET LOCAL maintenance_work_mem = '{PG_MAINTENANCE_WORK_MEM}'")
        for name, _definition in indexes:
            conn.execute(f"DROP INDEX {name}")
        for table, name, _definition in constraints:
            conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        with conn.cursor() as cur:
            for docs, extractions, facets in batches:
                _copy(cur, "documents", docs)
                _copy(cur, "extractions", extractions)
                _copy(cur, "document_facets", facets)
                total += len(docs)
                log.info("bulk-copied %d documents", total)
                if progress is not None:
                    progress(total)
        for table, name, definition in constraints:
            conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for _name, definition in indexes:
            conn.execute(definition)
        # COPY with explicit ids never advances the serial: without this the next insert collides.
        conn.execute("SELECT setval(pg_get_serial_sequence('documents', 'id'), "
                     "GREATEST((SELECT max(id) FROM documents), 1), (SELECT max(id) FROM documents) IS NOT NULL)")
        conn.commit()
        # VACUUM sets the visibility map, without which index-only scans (the covering candidate index,
        # count(*)) visit every heap page of the freshly loaded rows; ANALYZE gives the planner statistics.
        conn.autocommit = True
        try:
            for table in BULK_TABLES:
                conn.execute(f"VACUUM (ANALYZE) {table}")
        finally:
            conn.autocommit = False
    except BaseException:
        raw.rollback()
        raise
    finally:
        raw.close()
    return total


def _copy(cur: Any, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([_pg_value(row[c]) for c in columns])


def _pg_value(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, (dict, list)) else value


# ---- rows ----------------------------------------------------------------------------------------
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
    extraction = {"document_id": doc_id, **extraction_columns(data, item.get("extraction_version") or "bulk")}
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
