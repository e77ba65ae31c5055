"""The JSON API spider: fields mapped by the registry, text kept from the API, items without URLs skipped."""
from __future__ import annotations

from pathlib import Path

from crawler.replay import ReplayServer
from crawler.spiders.jsonapi import dig
from storage.documents import documents_to_extract
from storage.repository import Store
from tests.crawler.conftest import run_crawl, write_registry


def test_dig() -> None:
    data = {"data": {"articles": [{"title": {"rendered": "x"}}]}}
    assert dig(data, "data.articles.0.title.rendered") == "x" and dig(data, "data.missing") is None


def test_crawl_maps_fields_and_keeps_api_text(fixture_sites: ReplayServer, sqlite_url: str, tmp_path: Path) -> None:
    registry = write_registry(tmp_path / "sources.toml", [{
        "key": "json-news", "name": "JSON News", "country": "KH", "lang": "en", "fetch": "json-api",
        "url": "https://json-news.example/api/v1/latest", "items_path": "data.articles", "title_field": "headline",
        "date_field": "published", "summary_field": "lead", "body_field": "body_html", "id_field": "id",
    }])
    (report,) = run_crawl("json-news", sqlite_url, url=fixture_sites.url_for("json-news"), sources=registry, check=True)
    assert report["status"] == "ok" and report["items"] == 2 and report["pages"] == 1  # no article pages fetched
    store = Store(sqlite_url)
    try:
        docs = {d["item_id"]: d for d in documents_to_extract(store, "none", limit=10)}
    finally:
        store.close()
    raid = docs["json-news/9001"]
    assert raid["body"].startswith("Police in Svay Rieng") and "\n" in raid["body"]
    assert raid["published_at"] == "2025-10-14T01:00:00+00:00" and raid["summary"].startswith("Police in Svay Rieng freed")
