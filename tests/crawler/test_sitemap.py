"""The news-sitemap spider: a sitemap index, news:publication_date, and a future date rejected."""
from __future__ import annotations

from datetime import UTC, datetime

from crawler.replay import ReplayServer
from crawler.spiders.sitemap import sitemap_entries
from storage.documents import documents_to_extract
from storage.repository import Store
from tests.crawler.conftest import FIXTURE_SITES, run_crawl


def test_sitemap_parsing() -> None:
    body = (FIXTURE_SITES / "newsis-sitemap" / "sitemap-news-1.xml").read_bytes()
    entries, children = sitemap_entries(body)
    assert not children and len(entries) == 2
    assert entries[0].published == "2025-10-13T09:41:00+09:00" and entries[0].title.startswith("캄보디아 감금")
    _, children = sitemap_entries((FIXTURE_SITES / "newsis-sitemap" / "newsis_news_google.xml").read_bytes())
    assert children == ["{base}/newsis-sitemap/sitemap-news-1.xml"]


def test_crawl_follows_the_index_and_rejects_a_future_date(fixture_sites: ReplayServer, sqlite_url: str) -> None:
    (report,) = run_crawl("newsis-sitemap", sqlite_url, url=fixture_sites.url_for("newsis-sitemap"), check=True)
    assert report["status"] == "ok" and report["items"] == 2
    store = Store(sqlite_url)
    try:
        docs = {d["item_id"]: d for d in documents_to_extract(store, "none", limit=10)}
    finally:
        store.close()
    returned = next(d for d in docs.values() if "감금" in d["title"])
    assert returned["published_at"] == datetime(2025, 10, 13, 0, 41, tzinfo=UTC).isoformat()
    subway = next(d for d in docs.values() if "지하철" in d["title"])
    assert subway["published_at"] is None  # 2031 in the sitemap is not believed, and the page has no date
