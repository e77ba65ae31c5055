"""The HTML listing spider: links by selector, deduplicated, a next page, article text and dates by selectors."""
from __future__ import annotations

from pathlib import Path

from crawler.replay import ReplayServer
from crawler.sources import registry_by_key
from storage.documents import documents_to_extract
from storage.repository import Store
from tests.crawler.conftest import run_crawl, write_registry


def test_listing_pages_and_selectors(fixture_sites: ReplayServer, sqlite_url: str, tmp_path: Path) -> None:
    kiripost = registry_by_key()["kiripost"].to_store_dict()
    registry = write_registry(tmp_path / "sources.toml", [{
        **kiripost, "next_selector": "a.next::attr(href)", "max_pages": 2,
        "date_selector": "time.pub::attr(datetime)", "title_selector": "h1.story-title::text",
    }])
    (report,) = run_crawl("kiripost", sqlite_url, url=fixture_sites.url_for("kiripost"), sources=registry, check=True)
    assert report["status"] == "ok" and report["items"] == 3
    assert fixture_sites.hits["/kiripost/stories/scam-survivors-speak/"] == 1  # listed twice, fetched once
    store = Store(sqlite_url)
    try:
        docs = {d["title"]: d for d in documents_to_extract(store, "none", limit=10)}
    finally:
        store.close()
    survivors = docs["Survivors of scam compounds describe months of forced work"]
    assert "24-year-old South Korean" in survivors["body"] and survivors["published_at"] == "2025-10-09T03:00:00+00:00"
