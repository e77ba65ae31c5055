"""Scrapy's offsite handling, without its exemptions and with the drops in the run's health.

Each source names the domains its pages live on (`allowed_domains` in the registry; `crawl --url` adds
exactly that URL's host). A request to any other host is dropped when it is scheduled, whether a feed
listed it or a redirect led to it: Scrapy's own middleware lets `dont_filter` requests (start requests
and their redirects) through, this one does not. Every drop is counted as an "offsite" error of the run."""
from __future__ import annotations

import logging
from typing import Any

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached

log = logging.getLogger(__name__)


class SourceOffsiteMiddleware(OffsiteMiddleware):
    """Replaces scrapy.downloadermiddlewares.offsite.OffsiteMiddleware (same slot, same allowed_domains)."""

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        spider = self.crawler.spider
        assert spider is not None
        if self.should_follow(request, spider):
            return
        host = urlparse_cached(request).hostname or "?"
        self.stats.inc_value("offsite/filtered")
        self.stats.inc_value("deskwatch/offsite_dropped")
        if host not in self.domains_seen:
            self.domains_seen.add(host)
            self.stats.inc_value("offsite/domains")
        record: Any = getattr(spider, "record_error", None)
        message = f"{request.url[:300]}: host {host!r} is not among this source's allowed_domains, not fetched"
        if callable(record):
            record("offsite", message)
        else:
            log.warning("offsite: %s", message)
        raise IgnoreRequest(f"offsite request to {host!r} dropped")

    def should_follow(self, request: Request, spider: Spider) -> bool:
        if not getattr(spider, "allowed_domains", None):  # never "allow everything" by omission
            return False
        return super().should_follow(request, spider)
