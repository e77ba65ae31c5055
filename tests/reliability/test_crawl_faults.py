"""Crawl faults on the local replay: many sources in ONE crawler process, each with its own fault. Every
broken source fails (or goes partial) alone, the run finishes, source health and crawl_runs say what
happened, no damaged page is stored, and the next clean run fills the gaps without doubling anything."""
from __future__ import annotations

from pathlib import Path

import pytest

from crawler.invented_sites import lost_and_doubled, stored_articles, whole_body, write_registry, write_site
from crawler.replay import ReplayServer
from storage.advisories import current_advisories
from storage.repository import Store
from storage.sources import list_sources, recent_runs
from tests.reliability.sites import run_crawl

pytestmark = pytest.mark.slow
SITES = [
    "healthy", "burst-ok", "burst-dead", "timeout", "reset", "slow", "truncated", "wrong-charset", "no-charset",
    "bad-xml", "garbage-feed", "oversize", "redirect-loop",
]
EXPECTED = {  # source -> (status, items stored, the error summary mentions)
    "healthy": ("ok", 3, None),
    "burst-ok": ("ok", 3, None),  # 503, 502, then 200: retried with backoff
    "burst-dead": ("failed", 0, "HTTP 500"),
    "timeout": ("failed", 0, "took longer than"),
    "reset": ("partial", 2, "ConnectionLost"),
    "slow": ("ok", 3, None),  # slower than usual, within DOWNLOAD_TIMEOUT
    "truncated": ("partial", 2, "ResponseDataLoss"),
    "wrong-charset": ("ok", 3, None),
    "no-charset": ("ok", 3, None),
    "bad-xml": ("ok", 2, None),  # a feed cut mid-item: the recovering parser keeps the whole items
    "garbage-feed": ("failed", 0, "unreadable XML"),
    "oversize": ("partial", 2, "larger than download max size"),
    "redirect-loop": ("partial", 2, "redirect loop"),
}


def _inject_faults(replay: ReplayServer, root: Path) -> None:
    replay.add_fault("/burst-ok/rss.xml", statuses=[503, 502])
    replay.add_fault("/burst-dead/rss.xml", statuses=[500] * 10)
    replay.add_fault("/timeout/rss.xml", delay=2.0)
    replay.add_fault("/reset/news/2", reset=True)
    replay.add_fault("/slow/news/1", delay=0.5)
    replay.add_fault("/truncated/news/2", truncate=300)
    replay.add_fault("/wrong-charset/news/1", charset="iso-8859-1")  # UTF-8 Korean labelled Latin-1
    bare = (root / "no-charset" / "news" / "1.html").read_bytes().replace(b'<meta charset="utf-8">', b"")
    replay.set_reply("/no-charset/news/1", body=bare.replace(b"{base}", replay.base_url.encode()),
                     headers={"Content-Type": "text/html"})
    feed = (root / "bad-xml" / "rss.xml").read_text(encoding="utf-8").replace("{base}", replay.base_url)
    cut = feed.index("<item>", feed.index("</item>", feed.index("</item>") + 1)) + 40
    replay.set_reply("/bad-xml/rss.xml", body=feed[:cut], headers={"Content-Type": "application/rss+xml"})
    replay.set_reply("/garbage-feed/rss.xml", body=bytes(range(256)) * 8, headers={"Content-Type": "application/xml"})
    replay.add_fault("/oversize/news/3", pad_bytes=10_500_000)  # over the default 8 MiB DOWNLOAD_MAXSIZE
    replay.add_fault("/redirect-loop/news/1", redirect_to=f"{replay.base_url}/redirect-loop/news/1b")
    replay.add_fault("/redirect-loop/news/1b", redirect_to=f"{replay.base_url}/redirect-loop/news/1")


def test_each_source_fails_alone_and_the_next_run_fills_the_gaps(tmp_path: Path, sqlite_url: str) -> None:
    root = tmp_path / "sites"
    articles = {site: write_site(root, site, 3) for site in SITES}
    with ReplayServer(root=root) as replay:
        _inject_faults(replay, root)
        registry = write_registry(tmp_path / "sources.toml", replay.base_url, dict.fromkeys(SITES, "ko"))
        reports = run_crawl(SITES, sqlite_url, registry, {"DOWNLOAD_TIMEOUT": "1.2"}, timeout=90)
        for site, (status, items, mention) in EXPECTED.items():
            report = reports[site]
            assert (report["status"], report["items"]) == (status, items), (site, report)
            if mention:
                assert mention in (report["error_summary"] or ""), (site, report)
            else:
                assert report["errors"] == 0, (site, report)
        _assert_health(sqlite_url)
        stored = stored_articles(sqlite_url)
        by_title = {d["title"]: d for d in stored}
        for site, arts in articles.items():
            for art in arts:
                if art.title in by_title:  # whatever was stored is whole and decoded right
                    assert whole_body(art, by_title[art.title]["body"]), (site, art.number)
                    assert "\ufffd" not in by_title[art.title]["body"] and "Ã" not in by_title[art.title]["body"]
        replay.faults.clear()
        replay.overrides.clear()
        again = run_crawl(SITES, sqlite_url, registry, {"DOWNLOAD_TIMEOUT": "1.2"}, timeout=90)
    assert {r["status"] for r in again.values()} == {"ok"}, again
    lost, doubled = lost_and_doubled([a for arts in articles.values() for a in arts], stored_articles(sqlite_url))
    assert (lost, doubled) == (set(), 0)
    store = Store(sqlite_url)
    try:
        assert all(s["consecutive_failures"] == 0 for s in list_sources(store))
    finally:
        store.close()


def _assert_health(db_url: str) -> None:
    store = Store(db_url)
    try:
        health = {s["key"]: s for s in list_sources(store)}
        runs = {r["source"]: r for r in recent_runs(store, limit=100)}
    finally:
        store.close()
    for site, (status, _items, mention) in EXPECTED.items():
        assert runs[site]["status"] == status and runs[site]["finished_at"], runs[site]
        failures = 1 if status == "failed" else 0
        assert health[site]["consecutive_failures"] == failures, health[site]
        assert (health[site]["last_success_at"] is None) == (status == "failed"), health[site]
        assert bool(health[site]["last_error"]) == bool(mention), health[site]


def test_robots_txt_change_stops_only_that_source(tmp_path: Path, sqlite_url: str) -> None:
    root = tmp_path / "sites"
    kept, banned = write_site(root, "kept", 2), write_site(root, "banned", 2)
    with ReplayServer(root=root) as replay:
        registry = write_registry(tmp_path / "sources.toml", replay.base_url, {"kept": "ko", "banned": "ko"})
        first = run_crawl(["kept", "banned"], sqlite_url, registry)
        assert first["kept"]["items"] == first["banned"]["items"] == 2
        kept += write_site(root, "kept", 4)[2:]  # both sites publish two more articles...
        write_site(root, "banned", 4)
        replay.robots_txt = "User-agent: *\nDisallow: /banned/\n"  # ...and one site now forbids crawling
        replay.hits.clear()
        second = run_crawl(["kept", "banned"], sqlite_url, registry)
        assert not any(path.startswith("/banned/") for path in replay.hits), replay.hits
    assert second["kept"]["status"] == "ok" and second["kept"]["items"] == 2
    assert second["banned"]["status"] == "failed" and "robots" in second["banned"]["error_summary"].lower()
    lost, doubled = lost_and_doubled(kept + banned, stored_articles(sqlite_url))
    assert (lost, doubled) == (set(), 0)


def test_malformed_json_fails_that_source_only(sqlite_url: str, tmp_path: Path) -> None:
    from crawler.sources import load_registry

    with ReplayServer() as replay:
        keys = ["uk-fcdo", "khmer-times-api", "us-state"]
        entries = [e for e in load_registry() if e.key in keys]
        lines = []
        for entry in entries:
            data = {**entry.to_store_dict(), "url": replay.url_for(entry.key)}
            lines.append("[[sources]]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in data.items()))
        registry = tmp_path / "sources.toml"
        registry.write_text("\n".join(lines), encoding="utf-8")
        replay.set_reply("/uk-fcdo/api/content/foreign-travel-advice", body='{"links": {"children": [{"base_path": ',
                         headers={"Content-Type": "application/json"})
        replay.set_reply("/khmer-times-api/wp-json/wp/v2/categories?slug=national", body="[{\"id\": 7,, }",
                         headers={"Content-Type": "application/json"})
        reports = run_crawl(keys, sqlite_url, registry)
    assert reports["uk-fcdo"]["status"] == "failed" and reports["khmer-times-api"]["status"] == "failed"
    assert reports["us-state"]["status"] == "ok" and reports["us-state"]["items"] > 0
    store = Store(sqlite_url)
    try:
        assert current_advisories(store, issuer="us-state") and not current_advisories(store, issuer="uk-fcdo")
        health = {s["key"]: s for s in list_sources(store)}
        assert health["uk-fcdo"]["consecutive_failures"] == 1 and health["us-state"]["consecutive_failures"] == 0
    finally:
        store.close()


def _toml(value: object) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        import tomli_w

        return tomli_w.dumps({"v": value}).split("=", 1)[1].strip()
    return json.dumps(value, ensure_ascii=False)
