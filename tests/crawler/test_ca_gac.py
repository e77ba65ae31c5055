"""Global Affairs Canada: index states 0–3, subdivision keys, per-country regional HTML, dates."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.countries import is_country_code
from crawler.replay import ReplayServer
from crawler.spiders.advisories.ca_gac import parse_ca_country, parse_ca_index, parse_friendly_date
from crawler.spiders.advisories.payloads import AdvisoryPayloadError
from storage.advisories import current_advisories
from storage.repository import Store
from tests.crawler.conftest import run_crawl

SITES = Path(__file__).resolve().parents[1] / "fixtures" / "sites"
SITE = SITES / "ca-gac"


def test_real_index_capture(captures: Path) -> None:
    parsed, regional = parse_ca_index((captures / "advisories" / "ca-index.json").read_bytes())
    found = {(i.country, i.region): i for i in parsed.items}
    assert set(found) == {("AF", ""), ("PT", "Azores"), ("KH", ""), ("NG", ""), ("KR", ""), ("TH", "")}
    cambodia = found[("KH", "")]
    assert (cambodia.level, cambodia.level_native, cambodia.label) == (
        2,
        "1",
        "Exercise a high degree of caution",
    )
    assert cambodia.issued_at == datetime(2025, 1, 17, 19, 51, 48, tzinfo=UTC)  # from `asp`, not `date`
    assert cambodia.url == "https://travel.gc.ca/destinations/cambodia"
    assert found[("AF", "")].level == 4 and found[("NG", "")].level == 3 and found[("KR", "")].level == 1
    assert sorted(regional) == ["NG", "TH"]
    assert not parsed.problems


def test_real_country_capture_regions(captures: Path) -> None:
    parsed = parse_ca_country((captures / "advisories" / "ca-country.json").read_bytes())
    regions = {i.region: i for i in parsed.items}
    assert set(regions) == {
        "Thailand-Cambodia border",
        "Southern provinces of Narathiwat, Pattani, Yala and southern Songkhla province",
    }
    border = regions["Thailand-Cambodia border"]
    assert (border.country, border.level, border.label) == ("TH", 4, "Avoid all travel")
    assert border.issued_at == datetime(2026, 9, 24, 12, 53, tzinfo=UTC)  # "September 24, 2026 08:53 EDT"
    assert "50 kilometres" in border.summary


def test_scope_timestamp_fallback_and_bad_entries() -> None:
    data = json.loads((SITE / "index-alpha-eng.json").read_text())
    parsed, regional = parse_ca_index(json.dumps(data).encode(), scope={"KH", "MM"})
    assert {i.country for i in parsed.items} == {"KH", "MM"} and regional == ["KH"]
    data["data"]["KH"]["date-published"] = {"timestamp": 1790000000, "date": "garbage", "asp": "garbage"}
    data["data"]["LA"]["advisory-state"] = 7
    data["data"]["XX"] = {"country-iso": "XX", "advisory-state": 1}
    data["data"]["VN"] = "not an object"
    parsed, _ = parse_ca_index(json.dumps(data).encode())
    found = {i.country: i for i in parsed.items}
    assert found["KH"].issued_at == datetime.fromtimestamp(1790000000, UTC)
    assert "LA" not in found and "XX" not in found and "VN" not in found
    assert len(parsed.problems) == 3
    with pytest.raises(AdvisoryPayloadError):
        parse_ca_index(b'{"metadata": {}}')
    with pytest.raises(AdvisoryPayloadError):
        parse_ca_country(b"[]")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("September 24, 2026 08:53 EDT", datetime(2026, 9, 24, 12, 53, tzinfo=UTC)),
        ("January 9, 2025 09:34 EST", datetime(2025, 1, 9, 14, 34, tzinfo=UTC)),
        ("January 9, 2025 09:34", datetime(2025, 1, 9, 14, 34, tzinfo=UTC)),
        ("9 janvier 2025 09:34 HNE", None), ("", None), (None, None),
    ],
)
def test_friendly_dates(text: str | None, expected: datetime | None) -> None:
    assert parse_friendly_date(text) == expected


def test_spider_fetches_country_files_only_for_regional_advice(sqlite_url: str) -> None:
    with ReplayServer(root=SITES) as replay:
        report = run_crawl("ca-gac", sqlite_url, url=replay.url_for("ca-gac"))[0]
        fetched = {path for path in replay.hits if "cta-cap" in path}
    assert report["status"] == "ok", report
    assert fetched == {"/ca-gac/travel-voyage/cta-cap-KH.json", "/ca-gac/travel-voyage/cta-cap-TH.json",
                       "/ca-gac/travel-voyage/cta-cap-PH.json"}
    store = Store(sqlite_url)
    try:
        rows = {(a["country"], a["region"]): a["level"] for a in current_advisories(store, issuer="ca-gac")}
    finally:
        store.close()
    assert rows[("MM", "")] == 4 and rows[("KH", "Sample Hills compound area")] == 4
    assert rows[("KH", "Sample border provinces")] == 3 and ("KR", "") not in rows  # KR is out of scope


@settings(max_examples=50, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_mangled_index_entries_never_crash(data: st.DataObject) -> None:
    doc = json.loads((SITE / "index-alpha-eng.json").read_text())
    junk = st.one_of(
        st.none(),
        st.integers(-3, 9),
        st.text(max_size=12),
        st.booleans(),
        st.lists(st.integers(), max_size=2),
    )
    for _ in range(data.draw(st.integers(1, 6))):
        code = data.draw(st.sampled_from(sorted(doc["data"])))
        field = data.draw(
            st.sampled_from(
                ["advisory-state", "country-iso", "date-published", "eng", "has-regional-advisory"]
            )
        )
        doc["data"][code][field] = data.draw(junk)
    parsed, regional = parse_ca_index(json.dumps(doc).encode())
    for item in parsed.items:
        assert item.level in {1, 2, 3, 4} and is_country_code(item.country)
    assert set(regional) <= {i.country for i in parsed.items}
