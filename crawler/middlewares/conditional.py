"""Conditional GET for listings (feeds, APIs): send the stored ETag / Last-Modified, expose the new ones.
The spider commits them to the store only after a successful parse (SourceSpider.commit_validators)."""
from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.http import Request, Response

log = logging.getLogger(__name__)

CONDITIONAL_META = "deskwatch_conditional"
VALIDATORS_META = "deskwatch_validators"


class ConditionalGetMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalGetMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        door = getattr(self.crawler.spider, "crawl_store", None)
        if not request.meta.get(CONDITIONAL_META) or door is None:
            return
        etag, last_modified = door.validators(request.url)
        if etag:
            request.headers.setdefault("If-None-Match", etag)
        if last_modified:
            request.headers.setdefault("If-Modified-Since", last_modified)
        return

    def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get(CONDITIONAL_META) and response.status == 200:
            etag = response.headers.get("ETag")
            last_modified = response.headers.get("Last-Modified")
            request.meta[VALIDATORS_META] = (
                etag.decode("latin-1") if etag else None,
                last_modified.decode("latin-1") if last_modified else None,
            )
        return response
