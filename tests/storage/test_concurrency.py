"""Several processes upserting overlapping items into one store: no lost writes, no deadlocks,
exact counts, on SQLite (WAL + BEGIN IMMEDIATE) and PostgreSQL (retry on a lost insert race)."""
from __future__ import annotations

import multiprocessing as mp
import random
from datetime import UTC, datetime

from storage.documents import get_document, save_extraction, upsert_document
from storage.repository import Store, table_counts

ITEMS = 40
WORKERS = 4




def _item(n: int, version: int) -> dict:  # type: ignore[type-arg]
    return {
        "item_id": f"race/{n}", "source_key": "race", "url": f"https://example.com/{n}", "canonical_url": f"https://example.com/{n}",
        "title": f"Report {n}", "body": f"Body of report {n}, revision {version}.", "lang": "en",
        "published_at": datetime(2025, 9, 1, tzinfo=UTC),
    }


def _writer(args: tuple[str, int]) -> tuple[int, int]:
    """Upsert every item (in this worker's own order), then extract half of them; count creations."""
    url, seed = args
    rng = random.Random(seed)
    order = list(range(ITEMS))
    rng.shuffle(order)
    store = Store(url)
    created = 0
    try:
        for n in order:
            result = upsert_document(store, _item(n, version=0))
            created += result.created
            if n % 2 == 0:
                save_extraction(store, result.id, {"relevant": True, "incident_types": ["kidnapping", "rescue"],
                                                  "places": [{"name": "Bokor", "country": "KH"}]}, f"w{seed}")
        own = ITEMS + seed  # an item only this worker writes: created, then changed
        created += upsert_document(store, _item(own, version=0)).created
        final = upsert_document(store, _item(own, version=seed + 1))
    finally:
        store.close()
    return created, final.id


def test_concurrent_writers_lose_nothing(db_url: str) -> None:
    Store(db_url).close()  # schema first, so the race is about rows
    with mp.get_context("spawn").Pool(WORKERS) as pool:
        results = pool.map(_writer, [(db_url, seed) for seed in range(WORKERS)], chunksize=1)
    store = Store(db_url)
    try:
        assert sum(created for created, _ in results) == ITEMS + WORKERS  # each item created exactly once
        assert table_counts(store)["documents"] == ITEMS + WORKERS
        for seed in range(WORKERS):
            assert get_document(store, results[seed][1])["body"].endswith(f"revision {seed + 1}.")
        from storage.search import search

        result = search(store, "report", filters={"incident_type": ["rescue"]}, per_page=100)
        assert result.total == ITEMS // 2 and dict(result.facets["country"]) == {"KH": ITEMS // 2}
    finally:
        store.close()
