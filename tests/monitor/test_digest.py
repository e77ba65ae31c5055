"""The daily digest: window by local digest time, stories grouped new/updated with evidence quotes,
every scraped text escaped, the 30-day chart, advisory changes, archive replaced on regeneration."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from monitor.config import Settings
from monitor.digest.build import build_digest, digest_context, digest_window, open_digest_day, send_digest
from storage.advisories import upsert_advisory
from storage.digests import chart_png_of, get_digest, list_digests
from storage.models import Story
from storage.repository import Store, table_counts
from storage.sources import finish_run, start_run, sync_sources
from tests.monitor.act_helpers import KIDNAP_BODY, T0, add_fact, add_story, extraction
from tests.monitor.test_alert_channels import Inbox, _free_port

DAY = date(2026, 11, 20)  # T0 is 2026-11-20 03:00 UTC = 12:00 KST, so it belongs to the 21st's digest
EVIL = 'Korean <script>alert(1)</script> held [click](javascript:alert(1)) *now*'


def _settings(tmp_path: Path, **kw: Any) -> Settings:
    return Settings(data_dir=tmp_path, **kw)


def test_an_old_event_collected_in_the_window_is_new_to_the_reader(store: Store, tmp_path: Path) -> None:
    """A report published months ago but collected today is new today, in the list, the count and the
    chart alike; its incident date (the first report's) is shown beside when deskwatch first saw it."""
    story_id = add_story(store, title="Korean freed after months in a compound", data=extraction(["detention"]),
                         when=T0 - timedelta(days=200), created=T0)
    result = build_digest(store, DAY + timedelta(days=1), _settings(tmp_path, base_url="https://desk.example/"))
    assert (result.counts["new_incidents"], result.counts["updated_incidents"]) == (1, 0)
    assert result.counts["new_incidents_30d"] == 1
    md = result.md_path.read_text(encoding="utf-8")
    assert "Happened **2026-05-04** (first report's publication date)" in md
    assert "first seen by deskwatch **2026-11-20**" in md
    assert f"(https://desk.example/stories/{story_id})" in md
    assert f'href="https://desk.example/stories/{story_id}"' in result.html_path.read_text(encoding="utf-8")


def test_the_date_the_text_gives_is_the_incident_date(store: Store, tmp_path: Path) -> None:
    story_id = add_story(store, title="Korean held since August", data=extraction(["kidnapping"]))
    with store.write() as s:
        story = s.get(Story, story_id)
        story.facts = {**story.facts, "incident_date": "2026-08-14"}
    md = build_digest(store, DAY + timedelta(days=1), _settings(tmp_path)).md_path.read_text(encoding="utf-8")
    assert "Happened **2026-08-14** (date given in the report)" in md


def test_counts_agree_across_digest_chart_archive_stats_and_api(store: Store, tmp_path: Path) -> None:
    """A store built with known dates: stories made (first seen) on known days, about events published
    long before. The digest's count, its chart, the archive list, `stats` and the API say the same."""
    made = {0: 2, 1: 1, 5: 3, 28: 1, 30: 4}  # days before T0 -> incident stories deskwatch made (30: outside)
    for days_ago, n in made.items():
        for i in range(n):
            add_story(store, title=f"K{days_ago}-{i}", data=extraction(["kidnapping"]),
                      when=T0 - timedelta(days=400), created=T0 - timedelta(days=days_ago))
    add_story(store, title="Not an incident", data=extraction([]), created=T0)
    result = build_digest(store, DAY + timedelta(days=1), _settings(tmp_path))  # window: the 24 h up to T0+
    assert result.counts["new_incidents"] == 2
    assert result.counts["new_incidents_30d"] == 2 + 1 + 3 + 1
    (row,) = list_digests(store)
    assert row["counts"] == result.counts
    html = result.html_path.read_text(encoding="utf-8")
    assert "7 new incidents in the last 30 days, 2 of them in this digest" in html
    png = chart_png_of(html)
    assert png is not None and png.startswith(b"\x89PNG\r\n\x1a\n")
    assert (result.html_path.parent / "digest-2026-11-21.png").read_bytes() == png
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        assert table_counts(store)["new_incidents_24h"] == 2
        from web.app import create_app

        client = TestClient(create_app(store.url), base_url="http://127.0.0.1")
        assert client.get("/api/stats").json()["new_incidents_24h"] == 2
    assert client.get("/api/digests").json()[0]["counts"]["new_incidents"] == 2
    page = client.get("/digests").text
    assert "<strong>2</strong> new" in page and "7 new in 30 days" in page
    chart = client.get("/digests/2026-11-21/chart.png")
    assert chart.status_code == 200 and chart.content == png


def test_chart_days_add_up_to_the_digest_counts(store: Store, tmp_path: Path) -> None:
    for days_ago, n in ((0, 2), (3, 1), (28, 1), (30, 5)):
        for _ in range(n):
            add_story(store, title="K", data=extraction(["kidnapping"]), when=T0 - timedelta(days=days_ago))
    context = digest_context(store, DAY + timedelta(days=1), _settings(tmp_path))
    per_day = dict(context["per_day"])
    assert len(per_day) == 30 and per_day[date(2026, 11, 20)] == 2 and per_day[date(2026, 11, 17)] == 1
    assert per_day[date(2026, 10, 23)] == 1 and min(per_day) == date(2026, 10, 23)  # 30 days ago is outside
    assert context["counts"]["new_incidents_30d"] == 4 == sum(per_day.values())
    assert per_day[date(2026, 11, 21)] == 0 and context["counts"]["new_incidents"] == 2


def test_window_is_the_24_hours_before_the_local_digest_time(tmp_path: Path) -> None:
    start, end = digest_window(DAY, _settings(tmp_path))
    assert end.isoformat() == "2026-11-19T23:00:00+00:00"  # 08:00 KST
    assert end - start == timedelta(days=1)


def test_digest_groups_new_and_updated_with_quotes(store: Store, tmp_path: Path) -> None:
    new_id = add_story(store, title="Korean held in Sihanoukville", docs=3,
                       data=extraction(["kidnapping"], ransom_usd=20000.0, age=24))
    old_id = add_story(store, title="Korean detained last week", data=extraction(["detention"]),
                       when=T0 - timedelta(days=6))
    add_fact(store, old_id, ransom_usd=20000.0, when=T0)
    add_story(store, title="Not an incident", data=extraction([]))
    result = build_digest(store, DAY + timedelta(days=1), _settings(tmp_path))
    assert result.counts["new_incidents"] == 1 and result.counts["updated_incidents"] == 1
    assert result.counts["new_incidents_30d"] == 2  # the updated one was made (new) six days before
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


def test_advisory_changes_and_source_health(store: Store, tmp_path: Path) -> None:
    base = {"issuer": "uk_fcdo", "country": "KH", "region": "", "label": "Advise against all but essential travel",
            "url": "https://www.gov.uk/foreign-travel-advice/cambodia"}
    sync_sources(store, [{"key": "yonhap-ko", "name": "Yonhap", "kind": "news", "country": "KR", "lang": "ko",
                         "fetch": "rss", "url": "https://www.yna.co.kr/rss/news.xml", "schedule": "30m",
                         "enabled": True}])
    with time_machine.travel(T0 - timedelta(days=3), tick=False):
        upsert_advisory(store, {**base, "level": 2})
    with time_machine.travel(T0, tick=False):
        upsert_advisory(store, {**base, "level": 3})
        run = start_run(store, "yonhap-ko")
        finish_run(store, run, pages=1, items=0, new_items=0, errors=1, status="failed", error_summary="HTTP 403 <x>")
    result = build_digest(store, DAY + timedelta(days=1), _settings(tmp_path))
    md = result.md_path.read_text(encoding="utf-8")
    assert result.counts["advisory_changes"] == 1 and "level 2 → **3**" in md
    assert result.counts["sources_failing"] == 1
    assert re.search(r"\| yonhap-ko \| failing \(1×: HTTP 403 &lt;x&gt;\) \| 1 \| 1 \|", md), md


def test_sources_that_ran_come_first_and_never_run_ones_are_one_line(store: Store, tmp_path: Path) -> None:
    entry = {"kind": "news", "country": "KR", "lang": "ko", "fetch": "rss", "schedule": "30m", "enabled": True}
    keys = ["aaa-never", "bbb-never", "zzz-ran", "mmm-ran-before"]
    sync_sources(store, [{**entry, "key": k, "name": k, "url": f"https://example.org/{k}"} for k in keys])
    with time_machine.travel(T0 - timedelta(days=5), tick=False):
        finish_run(store, start_run(store, "mmm-ran-before"), pages=1, items=1, new_items=1, errors=0, status="ok")
    with time_machine.travel(T0, tick=False):
        finish_run(store, start_run(store, "zzz-ran"), pages=1, items=2, new_items=2, errors=0, status="ok")
    md = build_digest(store, DAY + timedelta(days=1), _settings(tmp_path)).md_path.read_text(encoding="utf-8")
    health = md.split("## Source health")[1]
    rows = [line.split("|")[1].strip() for line in health.splitlines() if line.startswith("| ") and "---" not in line]
    assert rows == ["source", "zzz-ran", "mmm-ran-before"]  # ran in the window, then ran before
    assert "2 more sources never ran: aaa-never, bbb-never." in health


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
    assert {p.get_content_type() for p in msg.walk()} >= {"text/plain", "text/html", "image/png"}
    (html_part,) = [p for p in msg.walk() if p.get_content_type() == "text/html"]
    (png_part,) = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    cid = png_part["Content-ID"].strip("<>")
    html = html_part.get_payload(decode=True).decode("utf-8")
    assert f'src="cid:{cid}"' in html and "data:image" not in html
    assert png_part.get_payload(decode=True) == chart_png_of(result.html_path.read_text(encoding="utf-8"))
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
