"""The one base every deskwatch spider stands on: a registry entry in, requests and items out.

A spider is created with `source` (a registry key or a SourceEntry), optionally `url` (another start URL:
replays, tests) and `crawl_store` (the runner's crawler.crawl_store.CrawlStore; without the runner the
spider opens one from DESKWATCH_DB_URL). The
instance takes the source key as its name, so logs, stats and Redis keys are per source. It gives:
stable item ids, source metadata, dates in UTC from the source's zone, conditional GET on feeds, the
store-backed seen-set, article pages through trafilatura with date fallbacks and quality flags, and
error accounting for the run's health row (see crawler.pipelines.store). Advisory spiders subclass it
too: set `name` to the registry key and yield AdvisoryItem from `parse_start`.
"""
from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.crawl_store import CrawlStore
from crawler.dates import first_plausible, parse_date, zone_for
from crawler.extraction import ExtractionFailed, PageExtractor
from crawler.items import ArticleItem
from crawler.sources import SourceEntry, registry_by_key
from crawler.text import PageText, extract_page, html_to_text, quality_flags
from crawler.urls import canonical_url, item_id, strip_tracking

log = logging.getLogger(__name__)

START_META = "deskwatch_start"
CONDITIONAL_META = "deskwatch_conditional"
VALIDATORS_META = "deskwatch_validators"


@dataclass
class FeedEntry:
    """One article as a listing (feed, API, sitemap, index page) announces it, before its page is read."""

    url: str
    title: str = ""
    summary: str = ""  # plain text
    content: str = ""  # plain text of a full body the listing carries (content:encoded, WP content)
    published: str | datetime | None = None
    updated: str | datetime | None = None
    guid: str | None = None
    native_id: str | None = None  # the outlet's id when the listing gives one (WordPress post id)
    author: str | None = None


def expire_shared_keys(settings: Any, spider_name: str) -> None:
    """Let this crawl's Redis queue and dupefilter expire (peers may still be using them, so no delete)."""
    import redis

    ttl = settings.getint("DESKWATCH_REDIS_KEY_TTL_S")
    try:
        client = redis.Redis.from_url(settings.get("REDIS_URL"))
        for setting in ("SCHEDULER_QUEUE_KEY", "SCHEDULER_DUPEFILTER_KEY"):
            client.expire(settings.get(setting) % {"spider": spider_name}, ttl)
        client.close()
    except redis.RedisError as exc:
        log.warning("could not set expiry on the shared crawl keys: %s", exc)


class SourceSpider(scrapy.Spider):
    """Base spider: subclasses implement `parse_start` (and may override `first_requests`)."""

    name = ""  # abstract: `scrapy list` shows only the strategy and issuer spiders

    def __init__(self, source: str | SourceEntry | None = None, url: str | None = None,
                 crawl_store: CrawlStore | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("name", type(self).name or "source")  # the registry key replaces it in configure()
        super().__init__(**kwargs)
        self._source_arg, self._url_arg, self._crawl_store_arg = source, url, crawl_store
        self._own_store = False
        self.errors: list[str] = []
        self._pending_validators: dict[str, tuple[str | None, str | None]] = {}
        self.start_failed = False
        self.run_id: int | None = None
        self._idle_since: float | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.configure(crawler)
        return spider

    # ---- set-up ---------------------------------------------------------------------------------------
    def configure(self, crawler: Crawler) -> None:
        """Resolve the registry entry, the store and the per-source options (read settings only here)."""
        settings = crawler.settings
        self.entry = self._resolve_entry(self._source_arg or getattr(self, "source_key", None), settings)
        self.name = self.entry.key
        self.start_url = self._url_arg or self.entry.url
        # Scrapy's offsite convention (crawler.middlewares.offsite): the registry's domains, plus exactly
        # the host of a start URL given for this run (a replay, a test).
        extra = [urlsplit(self._url_arg).hostname or ""] if self._url_arg else []
        self.allowed_domains = list(dict.fromkeys([*self.entry.allowed_domains, *filter(None, extra)]))
        if self._crawl_store_arg is not None:  # handed over by the runner; the item pipeline writes through it
            self.crawl_store = self._crawl_store_arg
        else:  # run without the runner (`scrapy crawl`): the same door, opened here
            self.crawl_store, self._own_store = CrawlStore.open(settings.get("DESKWATCH_DB_URL")), True
            self.crawl_store.record_sources([self.entry])
        self.zone = zone_for(self.entry.country, self.entry.option("timezone"))
        founded = self.entry.option("founded")
        self.founded = parse_date(str(founded), "UTC") if founded else None
        self.item_prefix = self.entry.option("item_prefix", self.entry.key)
        self.max_articles = int(self.entry.option("max_articles", settings.getint("DESKWATCH_MAX_ARTICLES_PER_RUN")))
        self.min_body_chars = settings.getint("DESKWATCH_MIN_BODY_CHARS")
        self.fetch_articles = bool(self.entry.option("fetch_articles", settings.getbool("DESKWATCH_FETCH_ARTICLES")))
        self.redis_idle_close_s = settings.getfloat("DESKWATCH_REDIS_IDLE_CLOSE_S")
        self.shared_queue = bool(settings.get("DESKWATCH_REDIS_URL"))
        self.extract_workers = settings.getint("DESKWATCH_EXTRACT_WORKERS")
        self.extract_pool_min = settings.getint("DESKWATCH_EXTRACT_POOL_MIN_PAGES")
        self.extractor: PageExtractor | None = None  # pages read in worker processes (a big crawl)
        crawler.signals.connect(self._on_idle, signal=signals.spider_idle)
        crawler.signals.connect(self._on_activity, signal=signals.response_received)
        crawler.signals.connect(self._on_closed, signal=signals.spider_closed)
        crawler.signals.connect(self._on_spider_error, signal=signals.spider_error)

    def _resolve_entry(self, source: str | SourceEntry | None, settings: Any) -> SourceEntry:
        if isinstance(source, SourceEntry):
            return source
        if not source:
            raise ValueError(f"spider {type(self).__name__} needs a source (registry key or SourceEntry)")
        registry = registry_by_key(settings.get("DESKWATCH_SOURCES_FILE"))
        if source not in registry:
            raise ValueError(f"unknown source {source!r} (not in the registry)")
        return registry[source]

    def _on_idle(self) -> None:
        """With a shared Redis queue, peers may still add requests: wait until it stayed empty a while."""
        if not self.shared_queue:
            return
        now = time.monotonic()
        self._idle_since = self._idle_since or now
        if now - self._idle_since < self.redis_idle_close_s:
            raise DontCloseSpider

    def _on_spider_error(self, failure: Failure, response: Response, spider: Any = None) -> None:
        """An exception in a callback is an error of the run (Scrapy only logs it)."""
        self.record_error("spider", f"{response.url}: {failure.type.__name__}: {failure.getErrorMessage()}"[:500])

    def _on_activity(self) -> None:
        self._idle_since = None

    def _on_closed(self, reason: str) -> None:
        if reason == "finished":
            self.save_validators_if_clean()
        if self.shared_queue:
            expire_shared_keys(self.settings, self.name)
        if self._own_store:
            self.crawl_store.close()

    # ---- requests -------------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        for request in self.first_requests():
            yield request

    def first_requests(self) -> Iterable[scrapy.Request]:
        yield self.listing_request(self.start_url, self.parse_start, start=True)

    def listing_request(self, url: str, callback: Any, *, start: bool = False, conditional: bool = True,
                        **kwargs: Any) -> scrapy.Request:
        """A request for a feed/API/listing: conditional GET, 304 passed through, errors counted."""
        meta = {CONDITIONAL_META: conditional, START_META: start, "handle_httpstatus_list": [304]}
        meta.update(kwargs.pop("meta", {}))
        return scrapy.Request(url, callback=callback, errback=self.on_request_error, meta=meta,
                              dont_filter=start and not self.shared_queue, **kwargs)

    def parse_start(self, response: Response) -> Iterator[Any]:
        raise NotImplementedError

    def on_request_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        response = getattr(failure.value, "response", None)
        reason = f"HTTP {response.status}" if response is not None else failure.getErrorMessage() or failure.type.__name__
        if request is not None and request.meta.get(START_META):
            self.start_failed = True
        self.record_error("fetch", f"{url}: {reason}")

    def record_error(self, kind: str, message: str) -> None:
        """Count and keep one error of this run (the run goes on; the summary lands in crawl_runs)."""
        self.crawler.stats.inc_value("deskwatch/errors")
        self.crawler.stats.inc_value(f"deskwatch/errors/{kind}")
        self.errors.append(f"{kind}: {message}")
        self.logger.warning("%s error: %s", kind, message)

    def not_modified(self, response: Response) -> bool:
        if response.status == 304:
            self.crawler.stats.inc_value("deskwatch/not_modified")
            self.logger.info("not modified since last run: %s", response.url)
            return True
        return False

    def commit_validators(self, response: Response) -> None:
        """Remember ETag/Last-Modified only once the listing was parsed, so a failed parse is retried; they
        are written when the run closes without errors (save_validators_if_clean), else an article that
        failed, or a run that was killed, would hide behind a 304 on every later run."""
        validators = response.meta.get(VALIDATORS_META)
        if validators and any(validators) and response.request is not None:
            self._pending_validators[response.request.url] = validators

    def save_validators_if_clean(self) -> None:
        pending = getattr(self, "_pending_validators", {})
        left_over = self.crawler.stats.get_value("deskwatch/skipped_budget", 0)
        if (self.errors or left_over) and pending:
            self.logger.info("not keeping validators of %d listing(s): errors or articles left for the next run",
                             len(pending))
            return
        for url, validators in pending.items():
            self.crawl_store.keep_validators(url, *validators)

    # ---- articles -------------------------------------------------------------------------------------
    def follow_entries(self, entries: list[FeedEntry]) -> Iterator[Any]:
        """Article requests (or items straight from the listing) for entries not yet in the store or
        changed since stored, at most `max_articles` per run."""
        entries = [e for e in entries if self.usable_entry(e)]
        seen = self.crawl_store.last_stored([e.url for e in entries])
        budget = self.max_articles
        if self.fetch_articles and self.extract_workers > 0 and len(entries) - len(seen) >= self.extract_pool_min:
            self.extractor = self.extractor or PageExtractor(self.extract_workers)
        for entry in entries:
            if entry.url in seen and not self._changed_since(entry, seen[entry.url]):
                self.crawler.stats.inc_value("deskwatch/skipped_seen")
                continue
            if budget <= 0:
                self.crawler.stats.inc_value("deskwatch/skipped_budget")
                continue
            budget -= 1
            if self.fetch_articles:
                yield scrapy.Request(entry.url, callback=self.parse_article, errback=self.on_request_error,
                                     cb_kwargs={"entry": entry})
            else:
                item = self.build_item(entry, None, entry.url)
                if item is not None:
                    yield item

    def usable_entry(self, entry: FeedEntry) -> bool:
        """An entry whose link is an http(s) URL with a host; any other (javascript:, data:, mailto:, empty,
        unparseable) is skipped and counted, and the rest of the listing goes on."""
        try:
            parts = urlsplit(entry.url or "")
            usable = parts.scheme in {"http", "https"} and bool(parts.hostname)
            parts.port  # noqa: B018 - raises ValueError on an invalid port
        except ValueError:
            usable = False
        if not usable:
            self.crawler.stats.inc_value("deskwatch/entries_skipped")
            self.record_error("entry", f"skipped an entry whose link is not an http(s) URL: {str(entry.url)[:200]!r}")
        return usable

    def _changed_since(self, entry: FeedEntry, stored_at: datetime | None) -> bool:
        updated = parse_date(entry.updated, self.zone) if entry.updated else None
        return bool(updated and stored_at and updated > stored_at)

    async def parse_article(self, response: Response, entry: FeedEntry) -> list[ArticleItem]:
        """The page's item (none when it cannot be read). A coroutine returning a list, not an async
        generator: Scrapy takes a list through its spider middlewares at a fraction of the cost."""
        if not hasattr(response, "text"):
            self.record_error("parse", f"{response.url}: not a text page")
            return []
        try:
            if self.extractor is not None:
                page = await self.extractor.extract(response.text, response.url)
            else:
                page = extract_page(response.text, response.url)
        except ExtractionFailed as exc:  # raised in a worker, or the worker was lost
            self.record_error("parse", f"{response.url}: extraction failed ({exc})")
            return []
        except Exception as exc:  # noqa: BLE001 (one unreadable page must not end the run)
            self.record_error("parse", f"{response.url}: extraction failed ({type(exc).__name__}: {exc})")
            return []
        item = self.build_item(entry, page, response.url)
        return [item] if item is not None else []

    def build_item(self, entry: FeedEntry, page: PageText | None, url: str) -> ArticleItem | None:
        """One ArticleItem from what the listing and the page said; flagged when the page is no article."""
        page = page or PageText(via="none")
        feed_text = entry.content or entry.summary
        flags = quality_flags(page.body, entry.summary, min_chars=self.min_body_chars) if self.fetch_articles else []
        body = page.body
        if flags or not body:
            body = max((page.body, entry.content, entry.summary), key=len)
            if not self.fetch_articles:
                flags = quality_flags(body, "", min_chars=self.min_body_chars) if not entry.content else []
        title = (entry.title or page.title).strip()
        if not title and not body:
            self.record_error("parse", f"{url}: neither title nor text")
            return None
        published = self.pick_date(entry, page, url)
        native = entry.native_id
        stable_id = f"{self.item_prefix}/{native}" if native else item_id(
            self.item_prefix, entry.url, guid=entry.guid, id_pattern=self.entry.option("id_pattern"))
        return ArticleItem(
            item_id=stable_id, source_key=self.entry.key, url=strip_tracking(url), canonical_url=canonical_url(entry.url),
            title=title, body=body.strip(), lang=self.entry.lang, country=self.entry.country,
            summary=(entry.summary or feed_text)[:2000],
            author=(entry.author or page.author or None), published_at=published,
            quality_flags=[f for f in flags if f != "empty"] or ([] if body else ["empty"]),
        )

    def pick_date(self, entry: FeedEntry, page: PageText, url: str) -> datetime | None:
        """Feed date, then the page's structured metadata, then htmldate's guess; implausible ones rejected."""
        # Parsed lazily: the page's dates are read only when the feed's is missing or implausible.
        candidates = (parse_date(d, self.zone) for d in (entry.published, *page.dates))
        chosen, rejected = first_plausible(candidates, founded=self.founded, now=datetime.now(UTC))
        for bad in rejected:
            self.crawler.stats.inc_value("deskwatch/dates_rejected")
            self.logger.info("rejected implausible date %s for %s", bad.isoformat(), url)
        return chosen

    @staticmethod
    def plain(fragment: str | None) -> str:
        return html_to_text(fragment or "")
