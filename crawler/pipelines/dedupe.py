"""Drop a second item with the same stable id within one run (two listings naming one article)."""
from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.items import ArticleItem

log = logging.getLogger(__name__)


class RunDedupePipeline:
    """In-run only: across runs the store's item id / canonical URL keys do the work (seen-set in the store)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunDedupePipeline:
        return cls(crawler)

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            if item.item_id in self.seen:
                self.crawler.stats.inc_value("deskwatch/duplicates_in_run")
                raise DropItem(f"duplicate item {item.item_id} in this run")
            self.seen.add(item.item_id)
        return item
