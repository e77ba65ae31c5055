"""The one door from the crawler to storage: ArticleItem → Store.upsert_document, AdvisoryItem →
Store.upsert_advisory; it also opens and closes the run's health row (crawl_runs) for the source."""
from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler

from crawler.items import AdvisoryItem, ArticleItem

log = logging.getLogger(__name__)

MAX_SUMMARY_ERRORS = 20


class StorePipeline:
    """Upserts items into the spider's store and records the run: pages, items, new items, errors, status."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    @property
    def spider(self) -> Any:
        return self.crawler.spider

    def open_spider(self) -> None:
        spider = self.spider
        if spider.store is None:
            return
        keys = [spider.entry.to_store_dict()]
        spider.store.sync_sources(keys)
        spider.run_id = spider.store.start_run(spider.entry.key)

    async def process_item(self, item: Any) -> Any:
        stats, store = self.crawler.stats, self.spider.store
        if isinstance(item, ArticleItem):
            result = store.upsert_document(item.to_dict())
        elif isinstance(item, AdvisoryItem):
            result = store.upsert_advisory(item.to_dict())
        else:
            return item
        stats.inc_value("deskwatch/items")
        if result.created or result.changed:
            stats.inc_value("deskwatch/new_items")
        if result.created:
            stats.inc_value("deskwatch/created_items")
        return item

    def close_spider(self) -> None:
        spider = self.spider
        if spider.store is None or spider.run_id is None:
            return
        health = run_health(self.crawler.stats.get_stats(), spider.errors, spider.start_failed)
        spider.store.finish_run(spider.run_id, **health)
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
    }  # fmt: skip
