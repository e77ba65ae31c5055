"""Name redirect loops as errors. Scrapy follows A → B → A and its duplicate filter then drops the second
visit to A without a word: the article is silently missing and the run looks healthy. A redirect back to
any URL of the request's own chain is refused here instead, so the errback records it in the run's health."""
from __future__ import annotations

import logging
from urllib.parse import urljoin

from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from w3lib.url import safe_url_string

log = logging.getLogger(__name__)

REDIRECT_STATUSES = {301, 302, 303, 307, 308}


class RedirectLoopMiddleware:
    """Sits before RedirectMiddleware on the response path (a higher order number than its 600)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectLoopMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in REDIRECT_STATUSES or b"Location" not in response.headers:
            return response
        if request.meta.get("dont_redirect"):
            return response
        target = urljoin(request.url, safe_url_string(response.headers.get("Location") or b""))
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target in chain:
            self.crawler.stats.inc_value("deskwatch/redirect_loops")
            raise IgnoreRequest(f"redirect loop: {' -> '.join([*chain, target])}")
        return response
