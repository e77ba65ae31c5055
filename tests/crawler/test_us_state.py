"""US State Department RSS: titles, links and bold prose → country and region rows."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.advisory_levels import AdvisoryPayloadError, is_country_code
from crawler.spiders.advisories.us_state import parse_us_date, parse_us_feed

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
    assert (cambodia.level, cambodia.level_native, cambodia.label) == (2, "Level 2", "Exercise Increased Caution")
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
)  # fmt: skip
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
