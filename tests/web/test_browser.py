"""End to end in a real headless Chromium (Debian's package, driven by Playwright): the app served by
uvicorn on 127.0.0.1, search, filter by a facet, open the story, see the evidence highlighted; hostile
article HTML must not run; the CSP must not block our own pages. Screenshots go to the test's tmp_path."""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Self

import pytest
import uvicorn
from web_seed import ADMIN_TOKEN, ANALYST_TOKEN, seed_reports, seed_status

from monitor.alerts.rules import load_rules
from storage.repository import Store
from web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (/usr/bin/chromium)"),
]


class LiveServer:
    """uvicorn serving `app` in a thread on a free loopback port."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture
def browser_page() -> Iterator:  # type: ignore[type-arg]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="ko-KR")
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


@pytest.fixture
def seeded_url(sqlite_url: str):  # type: ignore[no-untyped-def]
    store = Store(sqlite_url)
    seeded = seed_reports(store)
    seed_status(store)
    store.close()
    return sqlite_url, seeded


def _watch(page) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """Collect JavaScript dialogs (a hostile script running) and console errors (e.g. CSP refusals)."""
    seen: dict[str, list[str]] = {"dialogs": [], "errors": []}
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    return seen


def test_search_facet_story_and_evidence(browser_page, seeded_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url, seeded = seeded_url
    page = browser_page
    seen = _watch(page)
    with LiveServer(create_app(url, countries=["KH", "TH"])) as live:
        page.goto(f"{live.base_url}/search")
        page.fill("input[name=q]", "시아누크빌 OR Sihanoukville")
        page.click("button:has-text('Search')")
        page.wait_for_url("**/search?*")
        assert page.locator("ol.hits li.hit").count() == 2
        assert page.locator("ol.hits .snippet mark").first.is_visible()
        page.screenshot(path=str(tmp_path / "search.png"), full_page=True)

        page.check("input[name=lang][value=ko]")
        page.click("button:has-text('Apply filters')")
        page.wait_for_url("**lang=ko**")
        assert page.locator("ol.hits li.hit").count() == 1

        page.click("ol.hits li.hit .title a")
        page.wait_for_url(f"**/stories/{seeded.story_ids['ko']}**")
        assert page.locator("article.report").count() == 3
        for key, place in (("ko", "시아누크빌"), ("en", "Sihanoukville"), ("km", "ព្រះសីហនុ")):
            mark = page.locator(f"#doc-{seeded.doc_ids[key]} .body mark.ev-place").first
            assert mark.is_visible() and mark.inner_text() == place
        ransom = page.locator(f"#doc-{seeded.doc_ids['ko']} mark.ev-ransom").first
        assert ransom.get_attribute("title") == "ransom: 20,000 USD"
        background = ransom.evaluate("el => getComputedStyle(el).backgroundColor")
        assert background == "rgb(253, 226, 223)"  # our stylesheet loaded and applied under the CSP
        page.screenshot(path=str(tmp_path / "story.png"), full_page=True)

        page.goto(f"{live.base_url}/documents/{seeded.doc_ids['hostile']}")
        assert "<script>alert('title')</script>" in page.locator("article.report h3").inner_text()
        assert page.locator("article.report img").count() == 0 and page.locator("article.report script").count() == 0

        for path in ("/advisories?country=KH", "/sources", "/alerts"):
            page.goto(live.base_url + path)
            page.screenshot(path=str(tmp_path / f"{path.strip('/').split('?')[0]}.png"), full_page=True)
    assert seen["dialogs"] == []
    assert seen["errors"] == []
    assert (tmp_path / "story.png").stat().st_size > 10_000


def test_sign_in_then_admin_sees_rules_editor(browser_page, seeded_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url, _seeded = seeded_url
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rules]]\nname = "r1"\nsubject = "incident"\nchannels = ["jsonl"]\n', encoding="utf-8")
    page = browser_page
    app = create_app(url, token=ANALYST_TOKEN, admin_token=ADMIN_TOKEN, rules_path=rules, rules_loader=load_rules,
                     allowed_hosts=["127.0.0.1"])
    with LiveServer(app) as live:
        page.goto(f"{live.base_url}/rules")
        page.wait_for_url("**/login?next=%2Frules")
        page.fill("input[name=token]", ADMIN_TOKEN)
        with page.expect_navigation():
            page.click("button:has-text('Sign in')")
        page.screenshot(path=str(tmp_path / "after-login.png"), full_page=True)
        assert page.url == f"{live.base_url}/rules", page.content()[:2000]
        assert page.locator("textarea[name=rules]").is_visible()
        assert page.locator(".role-admin").inner_text() == "admin"
        page.screenshot(path=str(tmp_path / "rules.png"), full_page=True)


def test_daily_reading_pages_show_their_fixes(browser_page, seeded_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The digest (dates, story links, its PNG chart drawn), a story page (each fact once), search (reports
    per day, the incident-type filter offered for a word) and advisories (issuers' words, named levels)."""
    from monitor.config import Settings
    from monitor.digest.build import build_digest

    url, seeded = seeded_url
    store = Store(url)
    day = build_digest(store, None, Settings(data_dir=tmp_path, base_url="http://desk.example")).day  # stories made now
    store.close()
    page = browser_page
    seen = _watch(page)
    with LiveServer(create_app(url, countries=["KH", "TH"])) as live:
        page.goto(f"{live.base_url}/digests/{day.isoformat()}/html")
        chart = page.locator("img#incidents-chart")
        assert chart.evaluate("img => img.complete && img.naturalWidth") > 300  # the PNG is drawn
        assert page.locator("a:has-text('story page')").first.get_attribute("href").startswith("http://desk.example/stories/")
        assert "first seen by deskwatch" in page.content()
        page.screenshot(path=str(tmp_path / "digest.png"), full_page=True)

        page.goto(f"{live.base_url}/stories/{seeded.story_ids['en']}")
        places = page.locator(".story-head .chip-place").all_inner_texts()
        assert places and len(places) == len(set(places))
        assert not any(p.split(", ")[0] == p.split(", ")[-1].split(" ·")[0] for p in places if ", " in p)
        page.screenshot(path=str(tmp_path / "story-facts.png"), full_page=True)

        page.goto(f"{live.base_url}/search?q=kidnapped")
        hint = page.locator("p.type-hint a")
        assert hint.is_visible()
        page.screenshot(path=str(tmp_path / "search-kidnapped.png"), full_page=True)
        hint.click()
        page.wait_for_url("**incident_type=kidnapping**")
        assert page.locator("ol.hits li.hit").count() >= 1 and page.locator("svg.per-day rect").count() >= 1
        page.screenshot(path=str(tmp_path / "search-per-day.png"), full_page=True)

        page.goto(f"{live.base_url}/advisories?country=KH")
        assert page.locator("figure.chart text:has-text('4 do not travel')").count() == 1
        page.screenshot(path=str(tmp_path / "advisories-chart.png"), full_page=True)
    assert seen["dialogs"] == [] and seen["errors"] == []
