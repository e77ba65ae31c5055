"""WordPress REST API sources (`/wp-json/wp/v2/posts`): categories by slug, paging by X-WP-TotalPages,
a 400 `rest_post_invalid_page_number` past the last page taken as the end. Posts carry their full
content, so article pages are not fetched unless the registry asks (`fetch_articles = true`)."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler.spiders.base import FeedEntry, SourceSpider
from crawler.text import html_to_text

PAST_LAST_PAGE = "rest_post_invalid_page_number"


def wp_entry(post: dict[str, Any]) -> FeedEntry | None:
    """A FeedEntry from one REST post object (dates from the *_gmt fields, which are UTC)."""
    link = post.get("link")
    if not link:
        return None
    rendered = lambda key: (post.get(key) or {}).get("rendered", "") if isinstance(post.get(key), dict) else ""
    gmt = post.get("date_gmt")
    modified = post.get("modified_gmt")
    return FeedEntry(
        url=link, title=html_to_text(rendered("title")), summary=html_to_text(rendered("excerpt")),
        content=html_to_text(rendered("content")), published=f"{gmt}Z" if gmt else post.get("date"),
        updated=f"{modified}Z" if modified else None, native_id=str(post["id"]) if post.get("id") else None,
    )


class WordPressSpider(SourceSpider):
    name = "wordpress"

    def configure(self, crawler: Crawler) -> None:
        super().configure(crawler)
        self.fetch_articles = bool(self.entry.option("fetch_articles", False))
        self.per_page = max(1, min(int(self.entry.option("per_page", 20)), 100))
        self.max_pages = int(self.entry.option("max_pages", 5))
        self.posts_url = self.start_url.split("?", 1)[0]

    def first_requests(self) -> Iterator[Any]:
        slug = self.entry.option("category_slug")
        if slug:
            url = self.posts_url.rsplit("/", 1)[0] + "/categories?" + urlencode({"slug": slug})
            yield self.listing_request(url, self.parse_categories, start=True, conditional=False)
        else:
            yield self.page_request(1, None, start=True)

    def page_request(self, page: int, category: int | None, *, start: bool = False) -> Any:
        params: dict[str, Any] = {"page": page, "per_page": self.per_page}
        if category is not None:
            params["categories"] = category
        url = f"{self.posts_url}?{urlencode(sorted(params.items()))}"
        return self.listing_request(url, self.parse_start, start=start, conditional=page == 1,
                                    meta={"wp_page": page, "wp_category": category,
                                          "handle_httpstatus_list": [304, 400]})

    def parse_categories(self, response: Response) -> Iterator[Any]:
        data = self._json(response)
        if not isinstance(data, list) or not data or "id" not in data[0]:
            self.start_failed = True
            self.record_error("parse", f"{response.url}: no category {self.entry.option('category_slug')!r}")
            return
        yield self.page_request(1, int(data[0]["id"]), start=True)

    def parse_start(self, response: Response) -> Iterator[Any]:
        page = response.meta.get("wp_page", 1)
        if self.not_modified(response):
            return
        if response.status == 400:
            if PAST_LAST_PAGE not in response.text:
                self.record_error("fetch", f"{response.url}: HTTP 400")
                self.start_failed = self.start_failed or page == 1
            return
        posts = self._json(response)
        if not isinstance(posts, list):
            self.start_failed = self.start_failed or page == 1
            if posts is not None:
                self.record_error("parse", f"{response.url}: expected a JSON array of posts")
            return
        entries = [e for e in (wp_entry(p) for p in posts if isinstance(p, dict)) if e is not None]
        self.crawler.stats.inc_value("deskwatch/listed", len(entries))
        yield from self.follow_entries(entries)
        total_pages = int(response.headers.get("X-WP-TotalPages", b"0") or 0)
        if posts and page < self.max_pages and (not total_pages or page < total_pages):
            yield self.page_request(page + 1, response.meta.get("wp_category"))
        if page == 1:
            self.commit_validators(response)

    def _json(self, response: Response) -> Any:
        try:
            return json.loads(response.text)
        except (ValueError, AttributeError) as exc:
            self.record_error("parse", f"{response.url}: malformed JSON ({exc})")
            return None
