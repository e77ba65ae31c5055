"""US State Department RSS: titles, links and bold prose → country and region rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli.main import cli
from crawler.countries import is_country_code
from crawler.replay import ReplayServer
from crawler.spiders.advisories.payloads import AdvisoryPayloadError
from crawler.spiders.advisories.us_state import parse_us_date, parse_us_feed
from storage.advisories import advisory_history, current_advisories
from storage.repository import Store
from tests.crawler.conftest import run_crawl

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sites" / "us-state" / "TAsTWs.xml"


def rows(parsed):  # type: ignore[no-untyped-def]
    return {(i.country, i.region): i for i in parsed.items}


def test_real_capture_levels_countries_and_border_region(captures: Path) -> None:
    parsed = parse_us_feed((captures / "advisories" / "us.xml").read_bytes())
    found = rows(parsed)
    assert not parsed.problems
    # never the FIPS-like Country-Tag: Morocco is tagged MO, Macau MC, Iraq IZ
    assert {c for c, r in found if not r} == {"KH", "MK", "MA", "MO", "IQ"}
    cambodia = found[("KH", "")]
    assert (cambodia.level, cambodia.level_native, cambodia.label) == (
        2,
        "Level 2",
        "Exercise Increased Caution",
    )
    assert cambodia.issued_at == datetime(2026, 9, 15, 4, tzinfo=UTC)  # a bare date, Washington's day
    assert cambodia.url.endswith("destination.khm.html")
    border = found[("KH", "Areas along the Cambodian and Thai border")]
    assert border.level == 4 and border.summary.startswith("Do Not Travel to Areas along")
    assert found[("IQ", "")].level == 4 and found[("MO", "")].level == 3
    assert not any(r for c, r in found if c in {"MO", "IQ", "MK", "MA"})  # whole-country prose is no region


def test_fixture_multi_country_titles_scope_and_worldwide_caution() -> None:
    body = FIXTURE.read_bytes()
    found = rows(parse_us_feed(body))
    assert {("CN", ""), ("HK", ""), ("MO", "")} <= set(found)
    assert found[("MM", "")].level == 4  # "Burma (Myanmar)", tagged BM
    assert found[("LA", "")].level == 2  # "Laos Travel Advisory - Level 2: …"
    assert found[("KH", "Sample Hills district and the western border crossings")].level == 4
    assert found[("KH", "Harbor Town")].level == 3
    scoped = parse_us_feed(body, scope={"KH", "TH", "LA", "MM", "VN", "PH"})
    assert {i.country for i in scoped.items} == {"KH", "TH", "LA", "MM", "VN", "PH"}
    assert all(i.issuer == "us-state" for i in scoped.items)


def test_item_without_level_or_country_is_skipped_and_bad_item_counted() -> None:
    body = b"""<rss><channel>
      <item><title>Worldwide Caution</title><link>x</link><pubDate>Tue, 01 Sep 2026</pubDate></item>
      <item><title>Atlantis - Level 3: Reconsider Travel</title><link>x</link></item>
      <item><title>Cambodia</title><link>https://e.test/destination.khm.html</link>
        <category domain="Threat-Level">Level 3: Reconsider Travel</category></item>
    </channel></rss>"""
    parsed = parse_us_feed(body)
    assert [(i.country, i.level) for i in parsed.items] == [("KH", 3)]


def test_broken_and_foreign_payloads() -> None:
    with pytest.raises(AdvisoryPayloadError):
        parse_us_feed(b"")
    with pytest.raises(AdvisoryPayloadError):
        parse_us_feed(b"<html><body>Service unavailable</body></html>")
    truncated = FIXTURE.read_bytes()[:2500]
    parsed = parse_us_feed(truncated)
    assert parsed.problems and parsed.problems[0].startswith("us-state RSS: malformed XML")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Tue, 15 Sep 2026", datetime(2026, 9, 15, 4, tzinfo=UTC)),
        ("15 Jan 2026", datetime(2026, 1, 15, 5, tzinfo=UTC)),
        ("Wed, 07 Oct 2026 21:02:01 GMT", datetime(2026, 10, 7, 21, 2, 1, tzinfo=UTC)),
        ("Wed, 07 Oct 2026 21:02:01 -0400", datetime(2026, 10, 8, 1, 2, 1, tzinfo=UTC)),
        ("31 Feb 2026", None), ("", None), (None, None), ("soon", None),
    ],
)
def test_dates(value: str | None, expected: datetime | None) -> None:
    assert parse_us_date(value) == expected


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_mangled_feeds_never_crash_and_keep_invariants(data: st.DataObject) -> None:
    body = bytearray(FIXTURE.read_bytes())
    for _ in range(data.draw(st.integers(1, 6))):
        op = data.draw(st.sampled_from(["cut", "flip", "insert"]))
        pos = data.draw(st.integers(0, max(len(body) - 1, 0)))
        if op == "cut":
            del body[pos : pos + data.draw(st.integers(1, 400))]
        elif op == "flip" and body:
            body[pos] = data.draw(st.integers(0, 255))
        else:
            body[pos:pos] = data.draw(st.binary(max_size=30))
    try:
        parsed = parse_us_feed(bytes(body))
    except AdvisoryPayloadError:
        return
    for item in parsed.items:
        assert item.level in {None, 1, 2, 3, 4}
        assert is_country_code(item.country)
        assert item.issued_at is None or item.issued_at.tzinfo is not None


SITES = FIXTURE.parents[1]


def test_spider_level_changes_are_events_and_lifted_regions_too(db_url: str) -> None:
    """First crawl stores the scope; an unchanged feed is a 304; a raised level and a dropped regional
    warning each add one row, and `deskwatch advisories` shows the result."""
    feed = FIXTURE.read_text(encoding="utf-8")
    with ReplayServer(root=SITES) as replay:
        url = replay.url_for("us-state")
        first = run_crawl("us-state", db_url, url=url)[0]
        assert (first["status"], first["items"], first["new_items"]) == ("ok", 11, 11)
        assert run_crawl("us-state", db_url, url=url)[0]["items"] == 0  # conditional GET: 304, nothing parsed
        changed = feed.replace(
            "Cambodia - Level 2: Exercise Increased Caution", "Cambodia - Level 3: Reconsider Travel"
        )
        changed = changed.replace(
            "<li><b>Reconsider Travel</b> to <b>Harbor Town</b> due to <b>kidnapping</b>.</li>", ""
        )
        replay.set_reply("/us-state/_res/rss/TAsTWs.xml", body=changed.replace("{base}", replay.base_url),
                         headers={"Content-Type": "application/xml"})
        third = run_crawl("us-state", db_url, url=url)[0]
    assert third["status"] == "ok" and third["new_items"] == 2, third
    store = Store(db_url)
    try:
        history = [
            a
            for a in advisory_history(store, country="KH", issuer="us-state")
            if a["region"] in ("", "Harbor Town")
        ]
        current = {a["region"]: a for a in current_advisories(store, country="KH", issuer="us-state")}
    finally:
        store.close()
    assert [(a["region"], a["level"], a["previous_level"]) for a in history] == [
        ("", 2, None),
        ("Harbor Town", 3, None),
        ("", 3, 2),
        ("Harbor Town", 3, 3),
    ]
    assert current["Harbor Town"]["level_native"] == "lifted"
    result = CliRunner().invoke(
        cli, ["--db", db_url, "advisories", "--country", "kh", "--issuer", "us-state", "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {"issuer", "country", "region", "level", "label", "issued_at", "url"} <= set(rows[0])
    assert {(r["region"], r["level"]) for r in rows} >= {
        ("", 3),
        ("Sample Hills district and the western border crossings", 4),
    }
    table = CliRunner().invoke(cli, ["--db", db_url, "advisories", "--history", "--issuer", "us-state"])
    assert table.exit_code == 0 and "Reconsider Travel" in table.output and "(whole country)" in table.output


def test_cli_rejects_a_bad_country_code(sqlite_url: str) -> None:
    result = CliRunner().invoke(cli, ["--db", sqlite_url, "advisories", "--country", "Cambodia"])
    assert result.exit_code == 2 and "alpha-2" in result.output
