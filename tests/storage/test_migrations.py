"""Migrations: build from empty, upgrade a pre-migration database, stay cheap at head, and survive
several processes opening one fresh database at the same moment."""
from __future__ import annotations

import multiprocessing as mp

from sqlalchemy import inspect, text

from storage.db import make_engine
from storage.documents import get_document
from storage.migrate import current_revision, head_revision, upgrade_to_head
from storage.repository import Store


def test_fresh_store_is_at_head_with_its_search_objects(store) -> None:  # type: ignore[no-untyped-def]
    assert current_revision(store.engine) == head_revision()
    tables = set(inspect(store.engine).get_table_names())
    assert {"documents", "stories", "story_links", "document_facets", "document_bands"} <= tables
    with store.engine.connect() as conn:
        if store.is_sqlite:
            assert conn.execute(text("SELECT count(*) FROM sqlite_master WHERE name = 'documents_fts'")).scalar() == 1
        else:
            cols = {c["name"] for c in inspect(conn).get_columns("documents")}
            assert "search_tsv" in cols
            ext = conn.execute(text("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")).scalar()
            assert ext == 1


def test_pre_migration_database_is_stamped_and_upgraded(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade_to_head(engine, "0001")  # the schema storage/schema.py used to create with create_all
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(text(
            "INSERT INTO documents (id, item_id, source_key, url, canonical_url, url_hash, title, body, summary, lang,"
            " country, fetched_at, updated_at, content_hash, quality_flags) VALUES (7, 'old/1', 'old', 'u', 'u', 'h',"
            " '캄보디아서 대학생 납치', 'body text', '', 'ko', 'KR', '2025-01-01', '2025-01-01', 'c', '[]')"
        ))
    engine.dispose()
    store = Store(db_url)
    try:
        assert current_revision(store.engine) == head_revision()
        assert get_document(store, 7)["title"] == "캄보디아서 대학생 납치"
        from storage.search import search

        assert [h.document["id"] for h in search(store, "납치").hits] == [7]  # word at the end of the title
    finally:
        store.close()


def _open_store(url: str) -> str | None:
    s = Store(url)
    try:
        return current_revision(s.engine)
    finally:
        s.close()


def test_concurrent_first_opens_are_safe(db_url: str) -> None:
    with mp.get_context("spawn").Pool(4) as pool:
        revisions = pool.map(_open_store, [db_url] * 4)
    assert revisions == [head_revision()] * 4


def test_migrations_at_head_match_the_models(store) -> None:  # type: ignore[no-untyped-def]
    """No drift: what the migrations build is what storage/models.py declares (search objects aside)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from storage.models import Base

    search_objects = ("documents_fts", "search_tsv", "ix_documents_search_")
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    drift = [d for d in diff if not any(name in repr(d) for name in search_objects)]
    assert drift == []
