"""The feed spider: tolerant RSS/Atom parsing (real captures) and whole crawls against the replay server."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.replay import ReplayServer
from crawler.spiders.feed import FeedParseError, clean_author, feed_entry, parse_feed
from storage.repository import Store
from storage.sources import list_sources
from tests.crawler.conftest import run_crawl, write_registry


def _docs(db_url: str) -> dict[str, dict]:  # type: ignore[type-arg]
    store = Store(db_url)
    try:
        with store.read() as s:
            from sqlalchemy import select

            from storage.models import Document

            return {d.item_id: {"title": d.title, "body": d.body, "published_at": d.published_at,
                                "flags": d.quality_flags, "canonical": d.canonical_url, "author": d.author}
                    for d in s.scalars(select(Document))}
    finally:
        store.close()


# ---- parsing real captures ---------------------------------------------------------------------------
def test_hankyoreh_feed_without_item_dates(captures: Path) -> None:
    items = parse_feed((captures / "feeds" / "hani.xml").read_bytes())
    entries = [feed_entry(i) for i in items]
    assert len(entries) == 6 and all(e and e.url.startswith("https://www.hani.co.kr/arti/") for e in entries)
    assert all(e.published is None for e in entries if e)  # the page decides
    assert any(e.title.endswith("]") for e in entries if e) or all(e.title for e in entries if e)


def test_yonhap_feed_with_utf8_declaration_expat_rejects(captures: Path) -> None:
    entries = [feed_entry(i) for i in parse_feed((captures / "feeds" / "yonhap-cn.derived.xml").read_bytes())]
    assert len(entries) == 6 and entries[0] and "韩国" in entries[0].title + entries[0].summary
    assert entries[0].published == "Wed, 12 Feb 2025 09:32:22 +0900"


def test_old_chosun_feed_dates_and_authors(captures: Path) -> None:
    entries = [feed_entry(i) for i in parse_feed((captures / "feeds" / "chosun-2016.xml").read_bytes())]
    assert entries[0] and entries[0].published.strip().endswith("+0900") and entries[0].author == "양지혜 기자"


def test_euc_kr_feed_and_garbage() -> None:
    feed = ('<?xml version="1.0" encoding="EUC-KR"?><rss><channel><item><title>캄보디아 감금</title>'
            "<link>https://e.test/a</link></item></channel></rss>").encode("cp949")
    assert feed_entry(parse_feed(feed)[0]).title == "캄보디아 감금"  # type: ignore[union-attr]
    with pytest.raises(FeedParseError):
        parse_feed(b"<html><body>Service unavailable</body></html>")
    with pytest.raises(FeedParseError):
        parse_feed(b"")


def _replay_registry(replay: ReplayServer, db_url: str) -> Path:
    """The live registry with start URLs pointed at the replay server (two sources in one crawl)."""
    from crawler.sources import load_registry

    path = Path(db_url.removeprefix("sqlite:///")).with_name("replay-sources.toml")
    entries = [{**e.to_store_dict(), "url": replay.url_for(e.key)} for e in load_registry() if e.key in {"yonhap", "camboja"}]
    return write_registry(path, entries)


# ---- crawls ----------------------------------------------------------------------------------------------
def test_crawl_stores_articles_then_second_run_is_not_modified(replay: ReplayServer, sqlite_url: str) -> None:
    (first,) = run_crawl("yonhap-en", sqlite_url, url=replay.url_for("yonhap-en"), check=True)
    assert first["status"] == "ok" and first["items"] == 6 and first["new_items"] == 6 and first["errors"] == 0
    docs = _docs(sqlite_url)
    doc = docs["yonhap-en/AEN20251012000300315"]
    assert doc["published_at"].replace(tzinfo=UTC) == datetime(2025, 10, 12, 1, 3, tzinfo=UTC)
    assert "50 million won ($38,500)" in doc["body"] and doc["flags"] == []
    assert "input=" not in doc["canonical"] and "Most viewed" not in doc["body"]
    (second,) = run_crawl("yonhap-en", sqlite_url, url=replay.url_for("yonhap-en"), check=True)
    assert second["status"] == "ok" and second["items"] == 0 and second["pages"] == 1  # a 304, nothing else
    assert replay.hits["/yonhap-en/RSS/news.xml"] == 2
    assert all(n == 1 for p, n in replay.hits.items() if p.startswith("/yonhap-en/view/"))


def test_seen_articles_are_not_fetched_again_when_the_feed_changes(replay: ReplayServer, sqlite_url: str) -> None:
    run_crawl("yonhap", sqlite_url, url=replay.url_for("yonhap"), check=True)
    feed = (replay.root / "yonhap" / "rss" / "news.xml").read_text(encoding="utf-8").replace("{base}", replay.base_url)
    replay.set_reply("/yonhap/rss/news.xml", body=feed.replace("연합뉴스 최신기사", "연합뉴스 최신 기사"),
                     headers={"Content-Type": "application/rss+xml; charset=utf-8"})
    (second,) = run_crawl("yonhap", sqlite_url, url=replay.url_for("yonhap"), check=True)
    assert second["pages"] == 1 and second["items"] == 0
    docs = _docs(sqlite_url)
    undated = docs["yonhap/AKR20251016090100005"]  # no pubDate in the feed: the page's metadata decides
    assert undated["published_at"].replace(tzinfo=UTC) == datetime(2025, 10, 16, 0, tzinfo=UTC)
    assert "몸값 5천만원" in docs["yonhap/AKR20251012031200053"]["body"]


def test_500_then_success_is_retried(replay: ReplayServer, sqlite_url: str) -> None:
    replay.add_fault("/camboja/feed/", statuses=[500, 503])
    (report,) = run_crawl("camboja", sqlite_url, url=replay.url_for("camboja"), check=True,
                          settings={"DESKWATCH_EXTRACT_POOL_MIN_PAGES": "1"})  # pages read in the worker pool
    assert report["status"] == "ok" and report["items"] == 3 and replay.hits["/camboja/feed/"] == 3


def test_a_timeout_is_retried(replay: ReplayServer, sqlite_url: str) -> None:
    replay.add_fault("/camboja/feed/", delays=[3.0])
    (report,) = run_crawl("camboja", sqlite_url, url=replay.url_for("camboja"), check=True,
                          settings={"DOWNLOAD_TIMEOUT": "1"})
    assert report["status"] == "ok" and report["items"] == 3 and replay.hits["/camboja/feed/"] == 2, (report, replay.hits)


def test_malformed_feed_fails_that_source_and_the_run_goes_on(replay: ReplayServer, sqlite_url: str) -> None:
    replay.set_reply("/yonhap/rss/news.xml", body="<html><body>Bad gateway page</body></html>",
                     headers={"Content-Type": "text/html"})
    bad, good = run_crawl(["yonhap", "camboja"], sqlite_url, settings={
        "DESKWATCH_SOURCES_FILE": str(_replay_registry(replay, sqlite_url))})
    assert bad["source"] == "yonhap" and good["source"] == "camboja"
    assert bad["status"] == "failed" and bad["errors"] == 1 and "not an RSS/Atom" in bad["error_summary"]
    assert good["status"] == "ok" and good["items"] == 3
    store = Store(sqlite_url)
    try:
        health = {s["key"]: s for s in list_sources(store)}
        assert health["yonhap"]["consecutive_failures"] == 1 and health["yonhap"]["last_error"]
        assert health["camboja"]["last_success_at"]
    finally:
        store.close()


def test_redirect_oversize_and_robots(replay: ReplayServer, sqlite_url: str) -> None:
    first, second = "/camboja/floods-hit-battambang-farmland/", "/camboja/garment-workers-call-for-higher-minimum-wage/"
    replay.add_fault(first, redirect_to=f"{replay.base_url}{first}?moved=1")
    replay.add_fault(second, pad_bytes=300_000)
    (report,) = run_crawl("camboja", sqlite_url, url=replay.url_for("camboja"), settings={"DOWNLOAD_MAXSIZE": "200000"})
    assert report["status"] == "partial" and report["items"] == 2 and report["errors"] == 1
    assert "garment-workers" in report["error_summary"]
    assert "camboja/41212" in _docs(sqlite_url)  # the redirected article, under its stable id
    replay.robots_txt = "User-agent: *\nDisallow: /yonhap-en/\n"
    (blocked,) = run_crawl("yonhap-en", sqlite_url, url=replay.url_for("yonhap-en"))
    assert blocked["status"] == "failed" and "robots" in blocked["error_summary"].lower()
    assert not any(p.startswith("/yonhap-en/") for p in replay.hits)


def test_euc_kr_feed_and_pages_with_a_lying_header(tmp_path: Path, sqlite_url: str) -> None:
    site = tmp_path / "sites" / "euckr-daily"
    (site / "news").mkdir(parents=True)
    (site / "site.toml").write_text(
        'start = "/rss.xml"\n[routes."/news/2"]\nfile = "news/2.html"\n'
        'headers = { "Content-Type" = "text/html; charset=utf-8" }\n', encoding="utf-8")
    body = "캄보디아 시아누크빌에서 한국인 남성이 감금됐다가 구출됐다고 경찰이 밝혔다. " * 12
    items = ""
    for n in (1, 2):
        items += f"<item><title>한국인 구출 {n}</title><link>{{base}}/euckr-daily/news/{n}</link></item>"
        page = (f'<html><head><meta charset="euc-kr"><title>한국인 구출 {n}</title></head><body><div id="article">'
                f"<h1>한국인 구출 {n}</h1><p>입력 : 2025.10.1{n} 18:59</p><p>{body}</p><p>{body}</p></div></body></html>")
        (site / "news" / f"{n}.html").write_bytes(page.encode("cp949"))
    (site / "rss.xml").write_bytes(f'<?xml version="1.0" encoding="euc-kr"?><rss><channel>{items}</channel></rss>'
                                   .encode("cp949"))
    registry = write_registry(tmp_path / "sources.toml", [{"key": "euckr-daily", "name": "EUC-KR Daily",
                                                           "url": "https://euckr.example/rss.xml"}])
    with ReplayServer(root=tmp_path / "sites") as server:
        (report,) = run_crawl("euckr-daily", sqlite_url, url=server.url_for("euckr-daily"), sources=registry, check=True)
    assert report["items"] == 2
    docs = _docs(sqlite_url)
    assert {d["title"] for d in docs.values()} == {"한국인 구출 1", "한국인 구출 2"}
    for doc in docs.values():
        assert "시아누크빌" in doc["body"] and "\ufffd" not in doc["body"]
    dates = sorted(d["published_at"].replace(tzinfo=UTC) for d in docs.values())
    assert dates == [datetime(2025, 10, 11, 9, 59, tzinfo=UTC), datetime(2025, 10, 12, 9, 59, tzinfo=UTC)]


def test_atom_and_arc_xp_shapes_and_authors() -> None:
    atom = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
      <entry><title type="html">Koreans &amp;amp; a ransom</title>
        <link rel="alternate" href="https://e.test/a"/><link rel="enclosure" href="https://e.test/a.jpg"/>
        <published>2025-10-12T10:00:00+09:00</published><updated>2025-10-13T10:00:00+09:00</updated>
        <author><name>Kim Soo-yeon</name></author><summary>Short.</summary></entry></feed>"""
    (entry,) = [feed_entry(i) for i in parse_feed(atom)]
    assert entry and entry.url == "https://e.test/a" and entry.author == "Kim Soo-yeon"
    assert entry.updated == "2025-10-13T10:00:00+09:00" and entry.published.startswith("2025-10-12")
    arc = b"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
      xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
      <item><title><![CDATA[ Koreans freed in Bavet ]]></title><link>https://e.test/b/</link>
      <dc:creator><![CDATA[ Lee Ji-hoon ]]></dc:creator><description/>
      <content:encoded><![CDATA[<img src="x.jpg"/><p>First paragraph of the report.</p><p>Second.</p>]]></content:encoded>
      <pubDate>Sun, 12 Oct 2025 01:00:00 +0000</pubDate></item></channel></rss>"""
    (item,) = [feed_entry(i) for i in parse_feed(arc)]
    assert item and item.title == "Koreans freed in Bavet" and item.author == "Lee Ji-hoon"
    assert item.summary == "" and item.content == "First paragraph of the report.\nSecond."
    assert clean_author("webmaster@koreatimes.co.kr(KoreaTimes)") == "KoreaTimes"
    assert clean_author("news@example.com") is None and clean_author("  ") is None
