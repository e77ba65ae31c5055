"""Retries on 5xx, 429 and timeouts with exponential backoff (Scrapy's RetryMiddleware retries at once)."""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response

log = logging.getLogger(__name__)


class BackoffRetryMiddleware(RetryMiddleware):
    """Waits base * 2**(n-1) seconds (capped; a Retry-After header wins) before retry n."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("DESKWATCH_RETRY_BACKOFF_BASE_S")
        self.backoff_max = settings.getfloat("DESKWATCH_RETRY_BACKOFF_MAX_S")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        middleware = cls(crawler.settings)
        middleware.crawler = crawler
        return middleware

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await self._wait(result, response.headers.get("Retry-After"))
        return result

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:  # type: ignore[override]
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await self._wait(result, None)
        return result

    async def _wait(self, retry: Request, retry_after: bytes | None) -> None:
        attempt = int(retry.meta.get("retry_times", 1))
        delay = min(self.backoff_base * 2 ** (attempt - 1), self.backoff_max)
        if retry_after and retry_after.strip().isdigit():
            delay = min(float(retry_after), self.backoff_max)
        if delay > 0:
            self.crawler.stats.inc_value("deskwatch/retry_backoff_s", int(delay))
            await asyncio.sleep(delay)
