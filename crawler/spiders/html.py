"""Sites with no feed: an HTML listing page, article links by a registry selector (`link_selector`, CSS,
e.g. "a[href*='/article/']::attr(href)"), optional paging (`next_selector`, `max_pages`), and article
pages through trafilatura, or the registry's `body_selector` / `title_selector` / `date_selector`."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler.items import ArticleItem
from crawler.spiders.base import FeedEntry, SourceSpider
from crawler.text import PageText, extract_page


class HtmlListingSpider(SourceSpider):
    name = "html"

    def configure(self, crawler: Crawler) -> None:
        super().configure(crawler)
        self.link_selector = self.entry.option("link_selector")
        if not self.link_selector:
            raise ValueError(f"{self.entry.key}: an html source needs a link_selector in the registry")
        self.next_selector = self.entry.option("next_selector")
        self.max_pages = int(self.entry.option("max_pages", 1))

    def parse_start(self, response: Response) -> Iterator[Any]:
        if self.not_modified(response):
            return
        page = int(response.meta.get("listing_page", 1))
        if not hasattr(response, "css"):
            self.start_failed = page == 1
            self.record_error("parse", f"{response.url}: listing is not HTML")
            return
        links = dict.fromkeys(response.urljoin(h.strip()) for h in response.css(self.link_selector).getall() if h.strip())
        if not links and page == 1:
            self.record_error("parse", f"{response.url}: selector {self.link_selector!r} found no links")
        self.crawler.stats.inc_value("deskwatch/listed", len(links))
        yield from self.follow_entries([FeedEntry(url=link) for link in links])
        next_href = response.css(self.next_selector).get() if self.next_selector else None
        if next_href and page < self.max_pages:
            yield self.listing_request(response.urljoin(next_href), self.parse_start, meta={"listing_page": page + 1})
        if page == 1:
            self.commit_validators(response)

    def parse_article(  # type: ignore[override]  # a plain generator: Scrapy takes sync and async callbacks
        self, response: Response, entry: FeedEntry
    ) -> Iterator[ArticleItem]:
        page = extract_page(response.text, response.url)
        selected = self._selected(response)
        if selected.body:
            page.body = selected.body
        page.title = selected.title or page.title
        page.dates = selected.dates + page.dates
        item = self.build_item(entry, page, response.url)
        if item is not None:
            yield item

    def _selected(self, response: Response) -> PageText:
        pick = lambda name: self.entry.option(name)
        body = "\n".join(t.strip() for t in response.css(pick("body_selector")).getall() if t.strip()) if pick("body_selector") else ""
        title = (response.css(pick("title_selector")).get() or "").strip() if pick("title_selector") else ""
        date = (response.css(pick("date_selector")).get() or "").strip() if pick("date_selector") else ""
        return PageText(title=title, body=body, dates=[date] if date else [], via="selectors")
