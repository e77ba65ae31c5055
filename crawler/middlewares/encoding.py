"""Decode Korean pages right: when the declared charset (HTTP header, then meta) cannot decode the bytes,
re-decode with one that can (UTF-8 or CP949, the superset of EUC-KR)."""
from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.http import Request, Response, TextResponse

from crawler.text import best_encoding

log = logging.getLogger(__name__)


class CharsetRepairMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CharsetRepairMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse) or not response.body:
            return response
        declared = response.encoding
        try:
            response.body.decode(declared)
            return response
        except (UnicodeDecodeError, LookupError):
            pass
        better = best_encoding(response.body, [])
        if better is None or better == declared:
            return response
        self.crawler.stats.inc_value("deskwatch/charset_repaired")
        log.info("%s: declared charset %s does not decode the page; using %s", response.url, declared, better)
        return response.replace(encoding=better)
