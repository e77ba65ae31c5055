"""The WordPress REST spider: category by slug, X-WP-TotalPages paging, 400 past the last page, malformed JSON."""
from __future__ import annotations

from datetime import UTC, datetime

from crawler.replay import ReplayServer
from crawler.spiders.wordpress import wp_entry
from storage.documents import documents_to_extract
from storage.repository import Store
from tests.crawler.conftest import run_crawl


def test_post_object_to_entry() -> None:
    entry = wp_entry({"id": 501234567, "link": "https://www.khmertimeskh.com/501234567/a-slug/",
                      "date": "2025-10-13T09:15:00", "date_gmt": "2025-10-13T02:15:00",
                      "title": {"rendered": "Police &#8216;rescue&#8217; man"},
                      "excerpt": {"rendered": "<p>Short.</p>"}, "content": {"rendered": "<p>One.</p><p>Two.</p>"}})
    assert entry is not None and entry.native_id == "501234567" and entry.title == "Police ‘rescue’ man"
    assert entry.published == "2025-10-13T02:15:00Z" and entry.content == "One.\nTwo."
    assert wp_entry({"id": 1}) is None


def test_paging_until_the_last_page_then_stop(replay: ReplayServer, sqlite_url: str) -> None:
    (report,) = run_crawl("khmer-times-api", sqlite_url, url=replay.url_for("khmer-times-api"), check=True,
                          settings={"DESKWATCH_MAX_ARTICLES_PER_RUN": "50"})
    assert report["status"] == "ok" and report["items"] == 5 and report["errors"] == 0
    pages = sorted(p for p in replay.hits if "/wp/v2/posts" in p)
    assert [p.split("page=")[1][0] for p in pages] == ["1", "2"]  # TotalPages=2: page 3 never asked
    store = Store(sqlite_url)
    try:
        with store.read() as s:
            from sqlalchemy import select

            from storage.models import Document

            docs = {d.item_id: d for d in s.scalars(select(Document))}
        doc = docs["khmer-times/501781234"]
        assert doc.published_at.replace(tzinfo=UTC) == datetime(2025, 10, 13, 2, 15, tzinfo=UTC)
        assert "50 million won, about $38,500" in doc.body and doc.source_key == "khmer-times-api"
    finally:
        store.close()


def test_400_past_the_last_page_ends_quietly_and_malformed_json_is_counted(replay: ReplayServer, sqlite_url: str) -> None:
    # The server claims more pages than it has: page 3 answers WordPress's 400, which is the end, not an error.
    for n in (1, 2):
        route = replay.site_config("khmer-times-api")["routes"][f"/wp-json/wp/v2/posts?categories=7&page={n}"]
        body = (replay.root / "khmer-times-api" / route["file"]).read_text(encoding="utf-8").replace("{base}", replay.base_url)
        replay.set_reply(f"/wp-json/wp/v2/posts?categories=7&page={n}&per_page=50".replace("/wp-json", "/khmer-times-api/wp-json"),
                         body=body, headers={"X-WP-TotalPages": "9", "Content-Type": "application/json"})
    (report,) = run_crawl("khmer-times-api", sqlite_url, url=replay.url_for("khmer-times-api"), check=True)
    assert report["status"] == "ok" and report["items"] == 5
    assert replay.hits["/khmer-times-api/wp-json/wp/v2/posts?categories=7&page=3&per_page=50"] == 1
    replay.set_reply("/khmer-times-api/wp-json/wp/v2/categories?slug=national", body="[{\"id\": 7, ",
                     headers={"Content-Type": "application/json"})
    (broken,) = run_crawl("khmer-times-api", sqlite_url, url=replay.url_for("khmer-times-api"))
    assert broken["status"] == "failed" and "malformed JSON" in broken["error_summary"]


def test_a_post_the_api_says_changed_is_taken_again(replay: ReplayServer, sqlite_url: str) -> None:
    import json
    from datetime import timedelta

    (first,) = run_crawl("khmer-times-api", sqlite_url, url=replay.url_for("khmer-times-api"), check=True)
    assert first["new_items"] == 5
    route = "/wp-json/wp/v2/posts?categories=7&page=1"
    posts = json.loads((replay.root / "khmer-times-api" / replay.site_config("khmer-times-api")["routes"][route]["file"])
                       .read_text(encoding="utf-8").replace("{base}", replay.base_url))
    later = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    posts[0]["modified_gmt"] = later
    posts[0]["content"]["rendered"] += "<p>Update: the man arrived at Incheon on Thursday, police said.</p>"
    posts[1]["content"]["rendered"] += "<p>This edit is not announced by modified_gmt, so it is not taken.</p>"
    replay.set_reply(f"/khmer-times-api{route}&per_page=50", body=json.dumps(posts),
                     headers={"Content-Type": "application/json", "X-WP-TotalPages": "1"})
    (second,) = run_crawl("khmer-times-api", sqlite_url, url=replay.url_for("khmer-times-api"), check=True)
    assert second["items"] == 1 and second["new_items"] == 1
    store = Store(sqlite_url)
    try:
        (doc,) = [d for d in documents_to_extract(store, "none", limit=10) if d["item_id"] == f"khmer-times/{posts[0]['id']}"]
    finally:
        store.close()
    assert doc["body"].endswith("arrived at Incheon on Thursday, police said.")
