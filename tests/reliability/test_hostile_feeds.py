"""A feed's publisher tries to make the crawler fetch other hosts (cloud metadata on another port, a
redirect off the site) and to mute the feed with one bad link. Requests off the source's domains are
dropped and counted in the run's health; a bad entry is skipped and counted; the rest is stored."""
from __future__ import annotations

from pathlib import Path

import pytest

from crawler.replay import ReplayServer
from crawler.sources import RegistryError, load_registry
from storage.repository import Store
from storage.sources import recent_runs
from tests.crawler.conftest import run_crawl, write_registry
from tests.reliability.hostile import HttpHost

ARTICLE = ("<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
           + "<p>An invented report about a compound near the border, told at length for the extractor. </p>" * 6
           + "</article></body></html>")


def _feed(links: list[str]) -> str:
    items = "".join(f"<item><title>Report {n}</title><link>{link}</link>"
                    f"<pubDate>Mon, 23 Nov 2026 0{n}:00:00 +0000</pubDate></item>" for n, link in enumerate(links))
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'


def _serve(replay: ReplayServer, links: list[str], articles: dict[str, str]) -> None:
    replay.set_reply("/feed.xml", body=_feed(links), headers={"Content-Type": "application/rss+xml"})
    for path, title in articles.items():
        replay.set_reply(path, body=ARTICLE.format(title=title), headers={"Content-Type": "text/html; charset=utf-8"})


def _registry(tmp_path: Path) -> Path:
    return write_registry(tmp_path / "sources.toml", [{"key": "hostile-feed", "name": "Hostile", "lang": "en",
                                                       "url": "https://news.example.org/feed.xml"}])


def _stored_titles(db_url: str) -> set[str]:
    from sqlalchemy import select

    from storage.models import Document

    store = Store(db_url)
    try:
        with store.read() as s:
            return {d.title for d in s.scalars(select(Document))}
    finally:
        store.close()


def test_feed_links_and_redirects_to_other_hosts_are_dropped_and_counted(tmp_path: Path, sqlite_url: str) -> None:
    with HttpHost(host="127.0.0.1") as other, ReplayServer(root=tmp_path) as replay:
        metadata = f"http://localhost:{other.port}/latest/meta-data/iam/security-credentials/"
        base = replay.base_url
        _serve(replay, [f"{base}/a1.html", metadata, f"{base}/a2.html", f"{base}/moved.html"],
               {"/a1.html": "First report", "/a2.html": "Second report"})
        replay.set_reply("/moved.html", status=302, headers={"Location": f"http://localhost:{other.port}/stolen"})
        (report,) = run_crawl("hostile-feed", sqlite_url, url=f"{base}/feed.xml", sources=_registry(tmp_path))
    assert other.requests == []  # the second host never heard from the crawler
    assert _stored_titles(sqlite_url) == {"Report 0", "Report 2"}
    assert report["status"] == "partial" and report["errors"] == 2
    (run,) = recent_runs(Store(sqlite_url), "hostile-feed")
    assert run["errors"] == 2 and run["error_summary"].count("offsite:") == 2
    assert "allowed_domains" in run["error_summary"] and "/stolen" in run["error_summary"]


def test_one_javascript_link_is_skipped_and_counted_and_the_feed_goes_on(tmp_path: Path, sqlite_url: str) -> None:
    with ReplayServer(root=tmp_path) as replay:
        base = replay.base_url
        _serve(replay, ["javascript:alert(1)", f"{base}/a1.html", "data:text/html,<b>x</b>", f"{base}/a2.html",
                        "http://[broken/x"], {"/a1.html": "First report", "/a2.html": "Second report"})
        (report,) = run_crawl("hostile-feed", sqlite_url, url=f"{base}/feed.xml", sources=_registry(tmp_path))
    assert _stored_titles(sqlite_url) == {"Report 1", "Report 3"}
    assert report["status"] == "partial" and report["items"] == 2 and report["errors"] == 3
    (run,) = recent_runs(Store(sqlite_url), "hostile-feed")
    assert run["errors"] == 3 and run["error_summary"].count("entry:") == 3 and "javascript:alert(1)" in run["error_summary"]


def test_allowed_domains_default_to_the_registrable_domain_and_are_validated(tmp_path: Path) -> None:
    live = {e.key: e for e in load_registry()}
    assert live["korea-times"].allowed_domains == ["koreatimes.co.kr"]  # feed.koreatimes.co.kr -> www.koreatimes.co.kr
    assert live["yonhap-en"].allowed_domains == ["yna.co.kr"]
    assert {"news.google.com", "koreajoongangdaily.joins.com", "koreajoongangdaily.com"} <= set(
        live["joongang-daily"].allowed_domains)  # Google News links redirect to the outlet
    for bad in (["https://x.org"], ["x.org:8080"], [], "x.org", ["*.x.org"]):
        path = write_registry(tmp_path / "bad.toml", [{"key": "x", "name": "X", "url": "https://x.org/feed",
                                                      "allowed_domains": bad}])
        with pytest.raises(RegistryError, match="allowed_domains"):
            load_registry(path)
