"""storage.bulk: a bulk load stores exactly what one-by-one upserts store (rows, full-text matches,
facets) on both backends; a failure in the middle leaves the schema (indexes, triggers, constraints)
exactly as it was; after a PostgreSQL load (COPY with explicit ids) a normal insert still works."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from storage.bulk import bulk_insert_documents
from storage.documents import save_extraction, upsert_document
from storage.models import Document, DocumentFacet, Extraction
from storage.repository import Store
from storage.search import search
from tests.conftest import scratch_pg_database

# Invented articles: a few Korean and English sentences combined into 48 documents.
KO = ["캄보디아 경찰이 감금된 대학생을 구출했다", "프놈펜 대사관은 납치 신고를 받았다", "보이스피싱 사기 단지에서 몸값 요구",
      "시아누크빌 현지 경찰 체포 소식", "정부는 송환 절차를 밝혔다", "납치 피해자 가족이 몸값을 보냈다"]
EN = ["Cambodian police rescued students from a scam compound", "The embassy said a kidnapping was reported",
      "A student was kidnapped near Bokor and held for ransom", "Police in Phnom Penh arrested suspects",
      "Exports rose while the government said nothing", "Workers were rescued and repatriated"]
PLACES = [("KH", "Kampot", "Bokor"), ("KH", "Preah Sihanouk", "Sihanoukville"), ("KH", "Phnom Penh", "Phnom Penh")]
TYPES = ["kidnapping", "rescue", "arrest", "detention"]
QUERIES: list[dict[str, Any]] = [
    {"query": "캄보디아"}, {"query": "경찰"}, {"query": "납치"}, {"query": "Cambodia police"}, {"query": "police"},
    {"query": '"scam compound"'}, {"query": "kidnapped"}, {"query": "kidnapping OR 납치"},
    {"query": "Cambodia -rescued"}, {"query": "Bokor"}, {"query": ""}, {"query": "", "sort": "oldest", "page": 2},
    {"query": "", "filters": {"incident_type": ["kidnapping"], "country": ["KH"]}},
    {"query": "ransom", "filters": {"has_ransom": True}}, {"query": "몸값", "filters": {"admin1": ["Kampot"]}},
]


def _items(n: int = 48, prefix: str = "bulk") -> list[dict[str, Any]]:
    items = []
    for i in range(n):
        korean = i % 2 == 0
        sentences = KO if korean else EN
        body = ". ".join(sentences[(i + k) % len(sentences)] for k in range(1 + i % 4)) + "."
        extraction = None
        if i % 3 != 2:
            place = PLACES[i % len(PLACES)]
            extraction = {
                "relevant": True, "incident_types": sorted({TYPES[i % 4], TYPES[(i // 4) % 4]}),
                "victim_ages": [{"value": 20 + i % 10}] if i % 2 else [],
                "ransoms": [{"amount": 1000 * i, "currency": "USD", "usd": 1000 * i}] if i % 5 == 0 else [],
                "places": [{"name": place[2], "country": place[0], "admin1": place[1]}], "victim_nationality": "KR",
            }
        items.append({
            "item_id": f"{prefix}/{i}", "source_key": f"{'ko' if korean else 'en'}-src", "url": f"https://e.invalid/{prefix}/{i}",
            "canonical_url": f"https://e.invalid/{prefix}/{i}", "title": sentences[i % len(sentences)][:30],
            "body": body, "lang": "ko" if korean else "en", "country": "KR",
            "published_at": datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=i),
            "extraction": extraction, "extraction_version": "v-test",
        })
    return items


def _one_by_one(store: Store, items: list[dict[str, Any]]) -> None:
    """Storage's normal path: upsert each document, then save its extraction."""
    for item in items:
        doc = {k: v for k, v in item.items() if k not in ("extraction", "extraction_version")}
        doc_id = upsert_document(store, doc).id
        if item["extraction"] is not None:
            save_extraction(store, doc_id, item["extraction"], item["extraction_version"])


def _rows(store: Store) -> dict[str, Any]:
    with store.read() as s:
        docs = [(d.id, d.item_id, d.source_key, d.url, d.canonical_url, d.url_hash, d.title, d.body, d.summary, d.lang,
                 d.country, d.author, d.published_at, d.content_hash, d.quality_flags, d.story_id, d.extraction_version)
                for d in s.scalars(select(Document).order_by(Document.id))]
        extractions = [(e.document_id, e.pipeline_version, e.relevant, e.incident_types, e.victim_nationality,
                        e.victim_count, e.min_age, e.max_age, e.max_ransom_usd, e.has_ransom, e.data)
                       for e in s.scalars(select(Extraction).order_by(Extraction.document_id))]
        facets = sorted(s.execute(select(DocumentFacet.document_id, DocumentFacet.facet, DocumentFacet.value)).tuples())
    return {"documents": docs, "extractions": extractions, "facets": facets}


def _searches(store: Store) -> list[Any]:
    out = []
    for spec in QUERIES:
        r = search(store, **spec)
        out.append((spec, r.total, r.total_exact, [h.document["item_id"] for h in r.hits], [h.score for h in r.hits],
                    [h.snippet_html for h in r.hits], r.facets))
    return out


def schema(store: Store) -> list[tuple[Any, ...]]:
    """Everything a bulk load takes apart: SQLite's sqlite_master (without root pages, which an index
    rebuild moves), PostgreSQL's indexes, constraints and triggers."""
    with store.engine.connect() as conn:
        if store.is_sqlite:
            sql = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        else:
            sql = ("SELECT 'index', indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = 'public' "
                   "UNION ALL SELECT 'constraint', conname, conrelid::regclass::text, pg_get_constraintdef(oid) "
                   "FROM pg_constraint WHERE connamespace = 'public'::regnamespace "
                   "UNION ALL SELECT 'trigger', tgname, tgrelid::regclass::text, pg_get_triggerdef(oid) "
                   "FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2, 3")
        return [tuple(r) for r in conn.execute(text(sql))]


@pytest.fixture
def second_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """Another empty database on the same backend as db_url."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'second.sqlite'}"
        return
    yield from scratch_pg_database()


def test_bulk_load_stores_what_one_by_one_upserts_store(store: Store, second_url: str) -> None:
    items = _items()
    loaded = Store(second_url)
    try:
        _one_by_one(store, items)
        before = schema(loaded)
        assert bulk_insert_documents(loaded, iter(items), batch=10) == len(items)  # several batches
        assert schema(loaded) == before
        assert _rows(loaded) == _rows(store)
        assert _searches(loaded) == _searches(store)
    finally:
        loaded.close()


def test_bulk_load_after_normal_inserts_and_normal_inserts_after_it(store: Store) -> None:
    """Ids continue after the stored ones; a normal insert after the load gets the next id (on PostgreSQL
    the serial must have been moved past the COPYed ids) and is indexed for search by the usual path."""
    items = _items(12)
    _one_by_one(store, items[:2])
    assert bulk_insert_documents(store, items[2:], batch=4) == 10
    _one_by_one(store, _items(3, prefix="late"))
    with store.read() as s:
        ids = [(d.id, d.item_id) for d in s.scalars(select(Document).order_by(Document.id))]
    assert [i for i, _ in ids] == list(range(1, 16))
    assert ids[-1][1] == "late/2"
    hits = {h.document["item_id"] for h in search(store, "캄보디아", per_page=50).hits}
    assert hits == {i["item_id"] for i in items + _items(3, prefix="late") if "캄보디아" in i["title"] + i["body"]}
    assert {"bulk/0", "bulk/6", "late/0"} <= hits  # normal, bulk-loaded and later rows alike


def _failing(items: list[dict[str, Any]], after: int) -> Iterator[dict[str, Any]]:
    for n, item in enumerate(items):
        if n == after:
            raise RuntimeError("source went away mid-load")
        yield item


def test_a_failure_mid_load_restores_the_schema(store: Store) -> None:
    before = schema(store)
    with pytest.raises(RuntimeError, match="mid-load"):
        bulk_insert_documents(store, _failing(_items(), 25), batch=10)
    assert schema(store) == before
    with store.read() as s:
        stored = s.scalar(select(Document.id).order_by(Document.id.desc()).limit(1)) or 0
    # SQLite commits batch by batch (the two whole batches stay, indexed); PostgreSQL loads in one transaction.
    assert stored == (20 if store.is_sqlite else 0)
    kept = _items()[:20] if store.is_sqlite else []
    assert {h.document["item_id"] for h in search(store, "캄보디아", per_page=50).hits} == {
        i["item_id"] for i in kept if "캄보디아" in i["title"] + i["body"]}
    # The store works as before: the normal path inserts and indexes through the restored triggers.
    _one_by_one(store, _items(2, prefix="after"))
    assert "after/0" in {h.document["item_id"] for h in search(store, "캄보디아 경찰", per_page=50).hits}


def test_a_database_error_mid_load_restores_the_schema(store: Store) -> None:
    """A duplicate item id: SQLite's unique index refuses the batch; PostgreSQL refuses to re-create the
    unique constraint at the end. Either way the error surfaces and the schema is whole."""
    items = _items(30)
    items[25] = {**items[25], "item_id": items[3]["item_id"]}
    before = schema(store)
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        bulk_insert_documents(store, items, batch=10)
    assert schema(store) == before
    _one_by_one(store, _items(1, prefix="after"))
    assert "after/0" in {h.document["item_id"] for h in search(store, "캄보디아 경찰", per_page=50).hits}
