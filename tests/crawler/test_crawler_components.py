"""Pipelines and middlewares built from a real crawler (scrapy.utils.test.get_crawler), on both databases."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.test import get_crawler

from crawler.crawl_store import CrawlStore
from crawler.items import AdvisoryItem, ArticleItem
from crawler.middlewares.conditional import VALIDATORS_META, ConditionalGetMiddleware
from crawler.middlewares.encoding import CharsetRepairMiddleware
from crawler.middlewares.retry import BackoffRetryMiddleware
from crawler.pipelines.dedupe import RunDedupePipeline
from crawler.pipelines.store import StorePipeline, run_health
from crawler.runner import crawl_settings
from crawler.sources import registry_by_key
from crawler.spiders.feed import FeedSpider
from storage.repository import table_counts
from storage.sources import list_sources, recent_runs, set_validators


def _crawler(store, **settings):  # type: ignore[no-untyped-def]
    """A crawler with deskwatch's own settings (crawler/settings.py), as the runner builds them."""
    project = {k: v for k, v in crawl_settings(None).copy_to_dict().items() if k.startswith("DESKWATCH_")}
    crawler = get_crawler(FeedSpider, settings_dict={**project, "DESKWATCH_RETRY_BACKOFF_BASE_S": 0.01, **settings})
    entry = registry_by_key()["yonhap-en"]
    door = CrawlStore(store)
    door.record_sources([entry])  # as the runner does before a crawl
    crawler.spider = crawler._create_spider(source=entry, crawl_store=door)
    crawler.stats.open_spider()
    return crawler


def _article(n: int, body: str = "Body text.") -> ArticleItem:
    return ArticleItem(item_id=f"yonhap-en/AEN2025101200030031{n}", source_key="yonhap-en",
                       url=f"https://en.yna.co.kr/view/AEN2025101200030031{n}",
                       canonical_url=f"https://en.yna.co.kr/view/AEN2025101200030031{n}", title=f"Title {n}",
                       body=body, lang="en", country="KR", published_at=datetime(2025, 10, 12, tzinfo=UTC))


def test_store_pipeline_upserts_and_records_the_run(store) -> None:  # type: ignore[no-untyped-def]
    crawler = _crawler(store)
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    for item in (_article(1), _article(2), _article(1), _article(2, "Corrected body.")):
        asyncio.run(pipeline.process_item(item))
    advisory = AdvisoryItem(issuer="us-state", country="KH", level=2, level_native="Level 2",
                            label="Exercise Increased Caution", issued_at=datetime(2025, 7, 25, tzinfo=UTC))
    asyncio.run(pipeline.process_item(advisory))
    asyncio.run(pipeline.process_item(advisory))
    crawler.spider.record_error("fetch", "https://en.yna.co.kr/view/x: HTTP 500")
    asyncio.run(pipeline.close_spider())
    run = recent_runs(store, "yonhap-en")[0]
    assert (run["items"], run["new_items"], run["errors"], run["status"]) == (6, 4, 1, "partial")
    assert "HTTP 500" in run["error_summary"]
    assert table_counts(store)["documents"] == 2 and table_counts(store)["advisories"] == 1
    source = next(s for s in list_sources(store) if s["key"] == "yonhap-en")
    assert source["last_success_at"] and source["last_error"]


def test_run_health_status_rules() -> None:
    stats = {"downloader/response_count": 5, "robotstxt/response_count": 1, "deskwatch/items": 3}
    assert run_health(stats, [], False)["status"] == "ok" and run_health(stats, [], False)["pages"] == 4
    assert run_health({**stats, "deskwatch/errors": 2}, ["a", "b"], False)["status"] == "partial"
    failed = run_health({"deskwatch/errors": 1}, ["fetch: x"] * 30, True)
    assert failed["status"] == "failed" and "10 more" in failed["error_summary"]


def test_dedupe_drops_a_second_item_with_the_same_id(store) -> None:  # type: ignore[no-untyped-def]
    from scrapy.exceptions import DropItem

    pipeline = RunDedupePipeline.from_crawler(_crawler(store))
    asyncio.run(pipeline.process_item(_article(1)))
    with pytest.raises(DropItem):
        asyncio.run(pipeline.process_item(_article(1)))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_conditional_get_sends_and_exposes_validators(store) -> None:  # type: ignore[no-untyped-def]
    crawler = _crawler(store)
    middleware = ConditionalGetMiddleware.from_crawler(crawler)
    url = "https://en.yna.co.kr/RSS/news.xml"
    set_validators(store, url, '"abc"', "Wed, 01 Oct 2025 00:00:00 GMT")
    request = Request(url, meta={"deskwatch_conditional": True})
    middleware.process_request(request)
    assert request.headers["If-None-Match"] == b'"abc"' and request.headers["If-Modified-Since"]
    plain = Request("https://en.yna.co.kr/view/AEN1")
    middleware.process_request(plain)
    assert b"If-None-Match" not in plain.headers
    response = Response(url, status=200, headers={"ETag": '"def"'}, request=request)
    middleware.process_response(request, response)
    assert request.meta[VALIDATORS_META] == ('"def"', None)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_charset_repair_and_backoff(store) -> None:  # type: ignore[no-untyped-def]
    crawler = _crawler(store)
    repair = CharsetRepairMiddleware.from_crawler(crawler)
    body = "<html><body><p>캄보디아 감금</p></body></html>".encode("cp949")
    lying = HtmlResponse("https://e.test/a", body=body, headers={"Content-Type": "text/html; charset=utf-8"})
    fixed = repair.process_response(Request(lying.url), lying)
    assert fixed.encoding == "cp949" and "캄보디아" in fixed.text
    retry = BackoffRetryMiddleware.from_crawler(crawler)
    request = Request("https://e.test/feed")
    result = asyncio.run(retry.process_response(request, Response(request.url, status=503, request=request)))
    assert isinstance(result, Request) and result.meta["retry_times"] == 1
    assert crawler.stats.get_value("retry/count") == 1
    gone = asyncio.run(retry.process_response(request, Response(request.url, status=404, request=request)))
    assert isinstance(gone, Response)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_walls_are_flagged_and_the_feed_text_kept_instead(store) -> None:  # type: ignore[no-untyped-def]
    from crawler.spiders.base import FeedEntry
    from crawler.text import PageText

    spider = _crawler(store).spider
    summary = "A 22-year-old student from Yecheon was confined in a compound in Bavet, police said. " * 3
    entry = FeedEntry(url="https://en.yna.co.kr/view/AEN20251012000300315?input=rss", title="Student held",
                      summary=summary, published="Sun, 12 Oct 2025 10:03:00 +0900")
    wall = PageText(body="We use cookies to give you the best experience. Accept all cookies to continue.")
    item = spider.build_item(entry, wall, entry.url)
    assert item.quality_flags == ["cookie_wall", "fragment"] and item.body == summary.strip()
    assert item.item_id == "yonhap-en/AEN20251012000300315" and item.url.endswith("AEN20251012000300315")
    assert item.published_at == datetime(2025, 10, 12, 1, 3, tzinfo=UTC)
    future = FeedEntry(url=entry.url, title="t", summary=summary, published="Sun, 12 Oct 2031 10:03:00 +0900")
    page = PageText(body="Real reporting. " * 40, dates=["2025-10-12T10:03:00+09:00"])
    assert spider.build_item(future, page, entry.url).published_at == datetime(2025, 10, 12, 1, 3, tzinfo=UTC)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_failed_batch_is_counted_and_the_run_goes_on(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import OperationalError

    from crawler import crawl_store

    crawler = _crawler(store, DESKWATCH_STORE_BATCH=2)
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    real = crawl_store.upsert_documents
    calls = iter([OperationalError("INSERT", {}, Exception("database is locked")), None, ValueError("bad row")])

    def flaky(target, docs):  # type: ignore[no-untyped-def]
        error = next(calls)
        if error:
            raise error
        return real(target, docs)

    monkeypatch.setattr(crawl_store, "upsert_documents", flaky)
    for n in (1, 2, 3, 4, 5, 6):
        asyncio.run(pipeline.process_item(_article(n)))
    asyncio.run(pipeline.close_spider())  # waits for the writer thread: every batch is counted or reported
    run = recent_runs(store, "yonhap-en")[0]
    assert (run["items"], run["errors"], run["status"]) == (2, 2, "partial")
    assert "2 articles not stored (OperationalError" in run["error_summary"]
    assert "2 articles not stored (ValueError: bad row)" in run["error_summary"]
    assert table_counts(store)["documents"] == 2
