"""The crawler's one door to storage. The runner opens a CrawlStore, records the crawled sources once and
hands it to every crawl; the item pipeline writes through it (runs, articles, advisories), articles on the
door's one writer thread (`write_later`) so the reactor never waits on the database. Spiders and
middlewares only ask it what a crawl decides with — is this article stored, what were this listing's
validators, which advice is in force — and keep a listing's new validators. No other crawler module
holds a storage.Store.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

from crawler.sources import SourceEntry
from crawler.urls import canonical_url
from storage.advisories import MONITORED_COUNTRIES, current_advisories, upsert_advisory
from storage.documents import seen_documents, upsert_documents
from storage.repository import Store, UpsertResult, url_hash
from storage.sources import finish_run, get_validators, set_validators, start_run, sync_sources

log = logging.getLogger(__name__)

__all__ = ["MONITORED_COUNTRIES", "CrawlStore"]


class CrawlStore:
    """What a crawl reads from and writes to the store, over one Store (closed with `close`)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._writer: ThreadPoolExecutor | None = None

    @classmethod
    def open(cls, db_url: str | None) -> CrawlStore:
        """A door over the database at `db_url` (None: storage's default)."""
        return cls(Store(db_url))

    @property
    def url(self) -> str:
        return self._store.url

    def close(self) -> None:
        """Finish the batches still queued for the writer thread, then close the store."""
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None
        self._store.close()

    # ---- set-up and run health (the runner, the item pipeline) ------------------------------------
    def record_sources(self, entries: Iterable[SourceEntry]) -> None:
        """Insert or update the registry entries about to be crawled (their health columns are kept)."""
        sync_sources(self._store, [entry.to_store_dict() for entry in entries])

    def start_run(self, source_key: str) -> int:
        return start_run(self._store, source_key)

    def finish_run(self, run_id: int, health: dict[str, Any]) -> None:
        finish_run(self._store, run_id, **health)

    # ---- items (the item pipeline) ------------------------------------------------------------------
    def upsert_articles(self, articles: Sequence[dict[str, Any]]) -> list[UpsertResult]:
        """Upsert a batch of ArticleItem dicts in one transaction."""
        return upsert_documents(self._store, articles)

    def write_later(self, articles: Sequence[dict[str, Any]]) -> Future[list[UpsertResult]]:
        """Queue a batch for the writer thread (batches are written one at a time, in order); the future
        holds its results, or the exception that kept it from being stored, for the caller to report."""
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="deskwatch-store-writer")
        return self._writer.submit(self.upsert_articles, list(articles))

    def upsert_advisory(self, advisory: dict[str, Any]) -> UpsertResult:
        return upsert_advisory(self._store, advisory)

    # ---- what a crawl decides with (spiders, middlewares) -------------------------------------------
    def last_stored(self, urls: Sequence[str]) -> dict[str, datetime | None]:
        """For each of `urls` already stored (compared by canonical URL): when it was last updated."""
        hashes = {url: url_hash(canonical_url(url)) for url in urls}
        found = seen_documents(self._store, sorted(set(hashes.values())))
        return {url: found[h] for url, h in hashes.items() if h in found}

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """The (ETag, Last-Modified) a listing answered with last time, for a conditional GET."""
        return get_validators(self._store, url)

    def keep_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        set_validators(self._store, url, etag, last_modified)

    def advice_in_force(self, country: str, issuer: str) -> list[dict[str, Any]]:
        """The newest advisory row per region of `issuer` for `country`."""
        return current_advisories(self._store, country=country, issuer=issuer)
