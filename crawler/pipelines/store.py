"""The item pipeline: it writes a crawl's items through the CrawlStore the runner handed over (crawler/
crawl_store.py): ArticleItems in batches (one transaction per batch, on the door's writer thread, so
fetching goes on while a batch is written), AdvisoryItems one by one. It also opens and closes the run's
health row (crawl_runs) for the source, once every batch is written."""
from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from concurrent.futures import Future
from typing import Any

from scrapy.crawler import Crawler
from sqlalchemy.exc import SQLAlchemyError

from crawler.crawl_store import CrawlStore
from crawler.items import AdvisoryItem, ArticleItem

log = logging.getLogger(__name__)

MAX_SUMMARY_ERRORS = 20
MAX_BATCHES_IN_FLIGHT = 4


class StorePipeline:
    """Upserts items through the crawl's CrawlStore and records the run: pages, items, new items, errors,
    status. Articles wait in a buffer until DESKWATCH_STORE_BATCH of them (or DESKWATCH_STORE_FLUSH_S seconds),
    then go to the door's writer thread as one batch; at most MAX_BATCHES_IN_FLIGHT wait there before
    process_item waits too (so a slow database holds the crawl back instead of filling memory)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.batch_size = max(1, crawler.settings.getint("DESKWATCH_STORE_BATCH"))
        self.flush_after_s = crawler.settings.getfloat("DESKWATCH_STORE_FLUSH_S")
        self.pending: list[dict[str, Any]] = []
        self.oldest_pending: float | None = None
        self.in_flight: deque[tuple[Future[list[Any]], int]] = deque()
        self.door: CrawlStore | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    @property
    def spider(self) -> Any:
        return self.crawler.spider

    def open_spider(self) -> None:
        spider = self.spider
        self.door = getattr(spider, "crawl_store", None)
        if self.door is None:
            log.warning("spider %s has no store: items will not be kept", spider.name)
            return
        spider.run_id = self.door.start_run(spider.entry.key)

    async def process_item(self, item: Any) -> Any:
        if self.door is None:
            return item
        if isinstance(item, ArticleItem):
            self.pending.append(item.to_dict())
            self.oldest_pending = self.oldest_pending or time.monotonic()
            if len(self.pending) >= self.batch_size or time.monotonic() - self.oldest_pending >= self.flush_after_s:
                self.flush()
            self.collect_written()
            while len(self.in_flight) > MAX_BATCHES_IN_FLIGHT:
                await self.wait_written(1)
        elif isinstance(item, AdvisoryItem):
            self._count([self.door.upsert_advisory(item.to_dict())])
        return item

    def flush(self) -> None:
        """Hand the buffered articles to the writer thread as one batch (one transaction)."""
        if not self.pending or self.door is None:
            return
        batch, self.pending, self.oldest_pending = self.pending, [], None
        self.in_flight.append((self.door.write_later(batch), len(batch)))

    def collect_written(self) -> None:
        """Count the batches the writer has finished, in order (their errors become the run's errors)."""
        while self.in_flight and self.in_flight[0][0].done():
            self._settle(*self.in_flight.popleft())

    async def wait_written(self, batches: int | None = None) -> None:
        """Wait for the oldest `batches` batches (None: all) to be written, and count them."""
        left = len(self.in_flight) if batches is None else batches
        while self.in_flight and left > 0:
            future, size = self.in_flight.popleft()
            await asyncio.wait([asyncio.wrap_future(future)])
            self._settle(future, size)
            left -= 1

    def _settle(self, future: Future[list[Any]], size: int) -> None:
        error = future.exception()
        if error is None:
            self._count(future.result())
            return
        # The run goes on; these articles stay unseen, so the next run takes them.
        if not isinstance(error, SQLAlchemyError):
            log.error("storing %d articles failed", size, exc_info=error)
        self.spider.record_error("store", f"{size} articles not stored ({type(error).__name__}: {error})"[:500])

    def _count(self, results: list[Any]) -> None:
        stats = self.crawler.stats
        for result in results:
            stats.inc_value("deskwatch/items")
            if result.created or result.changed:
                stats.inc_value("deskwatch/new_items")
            if result.created:
                stats.inc_value("deskwatch/created_items")

    async def close_spider(self) -> None:
        spider = self.spider
        if self.door is None:
            return
        self.flush()
        await self.wait_written()
        if getattr(spider, "run_id", None) is None:
            return
        health = run_health(self.crawler.stats.get_stats(), spider.errors, spider.start_failed)
        self.door.finish_run(spider.run_id, health)
        spider.run_health = health


def run_health(stats: dict[str, Any], errors: list[str], start_failed: bool) -> dict[str, Any]:
    """Pages, items, new items, errors, status (ok | partial | failed) and an error summary from a run's stats.
    failed: the start listing could not be fetched or parsed; partial: some pages or items failed."""
    pages = int(stats.get("downloader/response_count", 0)) - int(stats.get("robotstxt/response_count", 0))
    count = int(stats.get("deskwatch/errors", 0))
    if start_failed:
        status = "failed"
    elif count:
        status = "partial"
    else:
        status = "ok"
    summary = None
    if errors:
        shown = errors[:MAX_SUMMARY_ERRORS]
        more = len(errors) - len(shown)
        summary = "; ".join(shown) + (f"; … {more} more" if more else "")
    return {
        "pages": max(pages, 0), "items": int(stats.get("deskwatch/items", 0)),
        "new_items": int(stats.get("deskwatch/new_items", 0)), "errors": count, "status": status,
        "error_summary": summary,
    }
