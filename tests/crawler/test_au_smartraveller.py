"""Smartraveller's destinations export: titles → ISO, overall level text, regional pairs, local times."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.countries import is_country_code
from crawler.replay import ReplayServer
from crawler.spiders.advisories.au_smartraveller import (
    parse_au_changed,
    parse_au_export,
    parse_au_pubdate,
    parse_au_rss,
    split_advice_levels,
)
from crawler.spiders.advisories.payloads import AdvisoryPayloadError
from storage.advisories import current_advisories
from storage.repository import Store
from tests.crawler.conftest import run_crawl

SITES = Path(__file__).resolve().parents[1] / "fixtures" / "sites"
EXPORT = SITES / "au-smartraveller" / "destinations-export.json"
REGISTRY = Path(__file__).resolve().parents[2] / "config" / "sources.toml"


def test_real_capture(captures: Path) -> None:
    parsed = parse_au_export((captures / "advisories" / "au.json").read_bytes())
    found = {(i.country, i.region): i for i in parsed.items}
    assert {c for c, r in found if not r} == {"AF", "BD", "KH", "KR", "TH"}  # no "No travel advice" row
    cambodia = found[("KH", "")]
    assert (cambodia.level, cambodia.label) == (2, "Exercise a high degree of caution")
    assert cambodia.issued_at == datetime(2026, 1, 16, 5, 0, tzinfo=UTC)  # 16:00 AEDT
    assert "&" not in cambodia.summary and "Safety" in cambodia.summary  # '&amp;**Safety&amp;**'
    border = [i for (c, r), i in found.items() if c == "KH" and r]
    assert (
        len(border) == 1
        and border[0].level == 4
        and border[0].region.startswith("areas within 50 kilometres")
    )
    assert found[("TH", "Yala province, Pattani province, and Narathiwat province")].level == 3
    assert found[("BD", "Chittagong Hill Tracts region")].level == 3
    assert not [r for c, r in found if c in {"AF", "KR"} and r]  # whole-country sentences are no regions
    assert not parsed.problems


def test_pairs_split_only_before_level_texts() -> None:
    text = ("Exercise a high degree of caution Exercise a high degree of caution in X overall, despite commas., "
            "Do not travel Do not travel to A, B and C due to D, E.")
    assert [level for level, _ in split_advice_levels(text)] == [
        "Exercise a high degree of caution",
        "Do not travel",
    ]
    assert split_advice_levels("") == []


def test_unmapped_titles_are_counted_and_bad_payloads_raise() -> None:
    rows = json.loads(EXPORT.read_text())
    rows.append(
        {"title": "Atlantis", "field_overall_advice_level": "Do not travel", "field_url": "x/atlantis"}
    )
    rows.append("not an object")
    parsed = parse_au_export(json.dumps(rows).encode(), scope={"KH"})
    assert [i.country for i in parsed.items if not i.region] == ["KH"] and len(parsed.problems) == 2
    with pytest.raises(AdvisoryPayloadError):
        parse_au_export(b'{"not": "a list"}')
    with pytest.raises(AdvisoryPayloadError):
        parse_au_export(b"<!DOCTYPE html><html>Access denied</html>")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fri, 2026-01-16 16:00", datetime(2026, 1, 16, 5, tzinfo=UTC)),  # AEDT +11
        ("Thu, 2026-07-16 10:30", datetime(2026, 7, 16, 0, 30, tzinfo=UTC)),  # AEST +10
        ("2026-13-01 10:00", None), ("yesterday", None), (None, None),
    ],
)
def test_changed_is_canberra_local_time(text: str | None, expected: datetime | None) -> None:
    assert parse_au_changed(text) == expected


def test_spider_stores_the_scope(sqlite_url: str) -> None:
    with ReplayServer(root=SITES) as replay:
        report = run_crawl("au-smartraveller", sqlite_url, url=replay.url_for("au-smartraveller"))[0]
    assert report["status"] == "ok" and report["items"] == 10, report
    store = Store(sqlite_url)
    try:
        rows = {(a["country"], a["region"]): a for a in current_advisories(store, issuer="au-smartraveller")}
    finally:
        store.close()
    assert {c for c, r in rows if not r} == {"KH", "TH", "LA", "MM", "VN", "PH"}
    assert rows[("KH", "Sample Hills district, and Harbor Town")]["level"] == 3
    assert rows[("PH", "")]["summary"] == "Invented update 'Philippines'."


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_mangled_destinations_never_crash(data: st.DataObject) -> None:
    rows = json.loads(EXPORT.read_text())
    junk = st.one_of(
        st.none(), st.integers(), st.text(max_size=80), st.lists(st.text(max_size=5), max_size=2)
    )
    for _ in range(data.draw(st.integers(1, 8))):
        row = data.draw(st.sampled_from(rows))
        field = data.draw(st.sampled_from(["title", "field_overall_advice_level", "field_advice_levels", "changed",
                                           "field_url", "field_last_update"]))
        row[field] = data.draw(junk)
    parsed = parse_au_export(json.dumps(rows).encode())
    for item in parsed.items:
        assert item.level in {None, 1, 2, 3, 4} and is_country_code(item.country)
        assert item.issued_at is None or item.issued_at.tzinfo is not None


def test_rss_fallback_parser() -> None:
    parsed = parse_au_rss((EXPORT.parent / "index.rss").read_bytes())
    found = {i.country: i for i in parsed.items}
    assert (found["KH"].level, found["KH"].label) == (2, "Exercise a high degree of caution")
    assert found["KH"].issued_at == datetime(2026, 9, 18, 6, tzinfo=UTC)  # AEST +10
    assert (found["MM"].level, found["MM"].level_native) == (4, "4")  # only the number
    assert parsed.problems == ["au-smartraveller RSS: no ISO country for 'Atlantis'"]
    assert parse_au_pubdate("Fri, 27 Mar 2025 23:00:00 AEDT") == datetime(2025, 3, 27, 12, tzinfo=UTC)
    with pytest.raises(AdvisoryPayloadError):
        parse_au_rss(b'[{"title": "not a feed"}]')


def test_spider_falls_back_to_the_rss_when_the_export_fails(sqlite_url: str, tmp_path: Path) -> None:
    registry = REGISTRY.read_text(encoding="utf-8").replace(
        'rss_url = "https://www.smartraveller.gov.au/countries/documents/index.rss"',
        'rss_url = "countries/documents/index.rss"',
    )
    assert 'rss_url = "countries/documents/index.rss"' in registry
    (tmp_path / "sources.toml").write_text(registry, encoding="utf-8")
    with ReplayServer(root=SITES) as replay:
        replay.set_reply("/au-smartraveller/destinations-export", body="<html>Access denied</html>")
        report = run_crawl(
            "au-smartraveller",
            sqlite_url,
            url=replay.url_for("au-smartraveller"),
            sources=tmp_path / "sources.toml",
        )[0]
        assert replay.hits["/au-smartraveller/countries/documents/index.rss"] == 1
    assert report["status"] == "partial" and report["errors"] >= 1, report
    store = Store(sqlite_url)
    try:
        rows = {a["country"]: a["level"] for a in current_advisories(store, issuer="au-smartraveller")}
    finally:
        store.close()
    assert rows == {"KH": 2, "MM": 4}
