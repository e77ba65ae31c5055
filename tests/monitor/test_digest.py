"""The daily digest: window by local digest time, stories grouped new/updated with evidence quotes,
every scraped text escaped, the 30-day chart, advisory changes, archive replaced on regeneration."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from aiosmtpd.controller import Controller

from monitor.config import Settings
from monitor.digest.build import build_digest, digest_window, open_digest_day, send_digest
from storage.digests import get_digest, list_digests
from storage.repository import Store
from tests.monitor.act_helpers import KIDNAP_BODY, T0, add_fact, add_story, extraction
from tests.monitor.test_alert_channels import Inbox, _free_port

DAY = date(2026, 11, 20)  # T0 is 2026-11-20 03:00 UTC = 12:00 KST, so it belongs to the 21st's digest
EVIL = 'Korean <script>alert(1)</script> held [click](javascript:alert(1)) *now*'


def _settings(tmp_path: Path, **kw: Any) -> Settings:
    return Settings(data_dir=tmp_path, **kw)


def test_an_old_event_collected_in_the_window_is_new_to_the_reader(store: Store, tmp_path: Path) -> None:
    """A report published months ago but collected today is new today; the chart still places it by date."""
    add_story(store, title="Korean freed after months in a compound", data=extraction(["detention"]),
              when=T0 - timedelta(days=200), created=T0)  # fmt: skip
    result = build_digest(store, DAY + timedelta(days=1), _settings(tmp_path))
    assert (result.counts["new_incidents"], result.counts["updated_incidents"]) == (1, 0)
    assert result.counts["incidents_30d"] == 0


def test_window_is_the_24_hours_before_the_local_digest_time(tmp_path: Path) -> None:
    start, end = digest_window(DAY, _settings(tmp_path))
    assert end.isoformat() == "2026-11-19T23:00:00+00:00"  # 08:00 KST
    assert end - start == timedelta(days=1)


def test_digest_groups_new_and_updated_with_quotes(store: Store, tmp_path: Path) -> None:
    new_id = add_story(store, title="Korean held in Sihanoukville", docs=3,
                       data=extraction(["kidnapping"], ransom_usd=20000.0, age=24))  # fmt: skip
    old_id = add_story(store, title="Korean detained last week", data=extraction(["detention"]),
                       when=T0 - timedelta(days=6))  # fmt: skip
    add_fact(store, old_id, ransom_usd=20000.0, when=T0)
    add_story(store, title="Not an incident", data=extraction([]))
    result = build_digest(store, DAY + timedelta(days=1), _settings(tmp_path))
    assert result.counts["new_incidents"] == 1 and result.counts["updated_incidents"] == 1
    assert result.counts["incidents_30d"] == 2
    html = result.html_path.read_text(encoding="utf-8")
    md = result.md_path.read_text(encoding="utf-8")
    new_section, updated_section = html.split("Updated incidents")
    assert "Korean held in Sihanoukville" in new_section and "Korean detained last week" in updated_section
    sentence = KIDNAP_BODY.split(" and his family")[0]
    assert sentence[:60] in html and "ransom up to $20,000" in md and "3 reports" in md
    assert "example.org/khmer-times/" in md and f"/{new_id}-0" in html
    assert "Not an incident" not in html


def test_scraped_text_is_escaped(store: Store, tmp_path: Path) -> None:
    add_story(store, title=EVIL, data=extraction(["kidnapping"]))
    result = build_digest(store, DAY + timedelta(days=1), _settings(tmp_path))
    html = result.html_path.read_text(encoding="utf-8")
    md = result.md_path.read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<script>" not in md and r"\[click\]" in md
    assert not re.search(r"(?<!\\)\]\(javascript:", md)  # the brackets are escaped: no link


def test_chart_counts_incidents_per_local_day(store: Store, tmp_path: Path) -> None:
    for days_ago, n in ((0, 2), (3, 1), (29, 1), (31, 5)):
        for _ in range(n):
            add_story(store, title="K", data=extraction(["kidnapping"]), when=T0 - timedelta(days=days_ago))
    result = build_digest(store, DAY, _settings(tmp_path))
    svg = (result.html_path.parent / "digest-2026-11-20.svg").read_text(encoding="utf-8")
    root = ElementTree.fromstring(svg)
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert len(titles) == 30 and titles[-1] == "2026-11-20: 2" and titles[-4] == "2026-11-17: 1"
    assert titles[0] == "2026-10-22: 1"  # 29 days ago; 31 days ago falls outside
    assert result.counts["incidents_30d"] == 4
    assert "<svg" in result.html_path.read_text(encoding="utf-8")


def test_advisory_changes_and_source_health(store: Store, tmp_path: Path) -> None:
    import time_machine

    base = {"issuer": "uk_fcdo", "country": "KH", "region": "", "label": "Advise against all but essential travel",
            "url": "https://www.gov.uk/foreign-travel-advice/cambodia"}  # fmt: skip
    store.sync_sources([{"key": "yonhap-ko", "name": "Yonhap", "kind": "news", "country": "KR", "lang": "ko",
                         "fetch": "rss", "url": "https://www.yna.co.kr/rss/news.xml", "schedule": "30m",
                         "enabled": True}])  # fmt: skip
    with time_machine.travel(T0 - timedelta(days=3), tick=False):
        store.upsert_advisory({**base, "level": 2})
    with time_machine.travel(T0, tick=False):
        store.upsert_advisory({**base, "level": 3})
        run = store.start_run("yonhap-ko")
        store.finish_run(run, pages=1, items=0, new_items=0, errors=1, status="failed", error_summary="HTTP 403 <x>")
    result = build_digest(store, DAY + timedelta(days=1), _settings(tmp_path))
    md = result.md_path.read_text(encoding="utf-8")
    assert result.counts["advisory_changes"] == 1 and "level 2 → **3**" in md
    assert result.counts["sources_failing"] == 1
    assert re.search(r"\| yonhap-ko \| failing \(1×: HTTP 403 &lt;x&gt;\) \| 1 \| 1 \|", md), md


def test_regenerating_replaces_the_archived_digest(store: Store, tmp_path: Path) -> None:
    build_digest(store, DAY, _settings(tmp_path))
    add_story(store, title="Late report", data=extraction(["kidnapping"]), when=T0 - timedelta(hours=10))
    build_digest(store, DAY, _settings(tmp_path))
    (row,) = list_digests(store)
    assert row["day"] == "2026-11-20" and row["counts"]["new_incidents"] == 1
    assert "Late report" in (get_digest(store, DAY) or {})["html"]


def test_send_digest_over_smtp(store: Store, tmp_path: Path) -> None:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        settings = _settings(tmp_path, smtp_host="127.0.0.1", smtp_port=controller.port, smtp_to=["desk@example.org"])
        add_story(store, title="Korean held", data=extraction(["kidnapping"]))
        result = build_digest(store, DAY + timedelta(days=1), settings)
        send_digest(store, result, settings)
    finally:
        controller.stop()
    (msg,) = inbox.messages
    assert "Daily digest 2026-11-21: 1 new" in msg["Subject"]
    assert {p.get_content_type() for p in msg.walk()} >= {"text/plain", "text/html"}
    assert (get_digest(store, DAY + timedelta(days=1)) or {})["sent_at"] is not None


@pytest.mark.parametrize("tz", ["Asia/Seoul", "Asia/Phnom_Penh"])
def test_empty_store_still_renders(store: Store, tmp_path: Path, tz: str) -> None:
    result = build_digest(store, DAY, _settings(tmp_path, timezone=tz))
    assert "None in this period." in result.html_path.read_text(encoding="utf-8")
    assert result.counts["new_incidents"] == 0


@pytest.mark.parametrize(
    ("utc_now", "expected"),
    [
        (datetime(2026, 11, 24, 22, 59, tzinfo=UTC), date(2026, 11, 25)),  # 07:59 in Seoul: today's is still open
        (datetime(2026, 11, 24, 23, 0, tzinfo=UTC), date(2026, 11, 26)),  # 08:00 in Seoul: today's has closed
        (datetime(2026, 11, 25, 14, 30, tzinfo=UTC), date(2026, 11, 26)),  # 23:30 in Seoul
    ],
)
def test_the_open_digest_is_the_one_whose_window_contains_now(utc_now: datetime, expected: date) -> None:
    settings = Settings(timezone="Asia/Seoul", digest_time="08:00")
    day = open_digest_day(settings, utc_now)
    assert day == expected
    start, end = digest_window(day, settings)
    assert start <= utc_now < end
