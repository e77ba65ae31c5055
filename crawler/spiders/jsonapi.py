"""Generic JSON APIs that list articles. The registry maps fields: `items_path` (dotted path to the list),
`url_field`, `title_field`, `date_field`, `summary_field`, `body_field`, `id_field` (dotted paths in an item).
With a body field the API's text is kept; without one the article pages are fetched."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler.spiders.base import FeedEntry, SourceSpider
from crawler.text import html_to_text


def dig(data: Any, path: str | None) -> Any:
    """The value at a dotted path ("data.items", "title.rendered", "0.id"); None when absent."""
    if not path:
        return data
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


class JsonApiSpider(SourceSpider):
    name = "jsonapi"

    def configure(self, crawler: Crawler) -> None:
        super().configure(crawler)
        self.fields = {f: self.entry.option(f"{f}_field") for f in ("url", "title", "date", "summary", "body", "id")}
        self.fields["url"] = self.fields["url"] or "url"
        self.fields["title"] = self.fields["title"] or "title"
        self.fetch_articles = bool(self.entry.option("fetch_articles", not self.fields["body"]))

    def parse_start(self, response: Response) -> Iterator[Any]:
        if self.not_modified(response):
            return
        try:
            data = json.loads(response.text)
        except (ValueError, AttributeError) as exc:
            self.start_failed = True
            self.record_error("parse", f"{response.url}: malformed JSON ({exc})")
            return
        items = dig(data, self.entry.option("items_path"))
        if not isinstance(items, list):
            self.start_failed = True
            self.record_error("parse", f"{response.url}: no list at {self.entry.option('items_path')!r}")
            return
        entries = [e for e in (self.entry_from(i, response) for i in items if isinstance(i, dict)) if e]
        self.crawler.stats.inc_value("deskwatch/listed", len(entries))
        yield from self.follow_entries(entries)
        self.commit_validators(response)

    def entry_from(self, item: dict[str, Any], response: Response) -> FeedEntry | None:
        url = dig(item, self.fields["url"])
        if not isinstance(url, str) or not url:
            return None
        text = lambda f: html_to_text(str(dig(item, self.fields[f]) or "")) if self.fields[f] else ""
        native = dig(item, self.fields["id"]) if self.fields["id"] else None
        return FeedEntry(url=response.urljoin(url), title=text("title"), summary=text("summary"), content=text("body"),
                         published=dig(item, self.fields["date"]) if self.fields["date"] else None,
                         native_id=str(native) if native not in (None, "") else None)
