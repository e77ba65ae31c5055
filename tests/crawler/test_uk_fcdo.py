"""UK FCDO via the GOV.UK content API: alert_status flags, regions from parts' <h2>, slugs → ISO."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.countries import is_country_code
from crawler.replay import ReplayServer
from crawler.spiders.advisories.payloads import AdvisoryPayloadError
from crawler.spiders.advisories.uk_fcdo import parse_uk_country, parse_uk_index, whole_country_level
from storage.advisories import current_advisories
from storage.repository import Store
from tests.crawler.conftest import run_crawl

SITES = Path(__file__).resolve().parents[1] / "fixtures" / "sites"
SITE = SITES / "uk-fcdo"


def test_real_capture_thailand(captures: Path) -> None:
    parsed = parse_uk_country((captures / "advisories" / "uk.json").read_bytes())
    found = {i.region: i for i in parsed.items}
    assert set(found) == {"", "Thailand-Malaysia border", "Thailand-Cambodia border"}
    whole = found[""]
    assert (whole.country, whole.level, whole.level_native) == (
        "TH",
        2,
        "avoid_all_but_essential_travel_to_parts",
    )
    assert whole.issued_at == datetime(2026, 9, 28, 5, 10, 2, tzinfo=UTC)  # +01:00 → UTC
    assert whole.url == "https://www.gov.uk/foreign-travel-advice/thailand"
    assert "Severe Flooding" in whole.summary
    border = found["Thailand-Cambodia border"]
    assert border.level == 3 and "20km" in border.summary


def test_index_maps_slugs_and_keeps_scope() -> None:
    countries, problems = parse_uk_index((SITE / "index.json").read_bytes(), scope={"KH", "PH", "KR"})
    assert {(c.slug, c.country) for c in countries} == {
        ("cambodia", "KH"),
        ("philippines", "PH"),
        ("south-korea", "KR"),
    }
    everything, problems = parse_uk_index((SITE / "index.json").read_bytes())
    assert ("st-helena-ascension-and-tristan-da-cunha", "SH") in {(c.slug, c.country) for c in everything}
    assert not problems


@pytest.mark.parametrize(
    ("statuses", "level"),
    [
        ([], 1), (["avoid_all_but_essential_travel_to_parts"], 2), (["avoid_all_travel_to_parts"], 2),
        (["avoid_all_but_essential_travel_to_whole_country"], 3),
        (["avoid_all_but_essential_travel_to_whole_country", "avoid_all_travel_to_parts"], 3),
        (["avoid_all_travel_to_whole_country", "avoid_all_travel_to_parts"], 4),
    ],
)
def test_whole_country_level(statuses: list[str], level: int) -> None:
    assert whole_country_level(statuses) == level


def test_fixture_regions_ignore_call_to_action_boxes_and_whole_country_flags() -> None:
    myanmar = {
        i.region: i for i in parse_uk_country((SITE / "countries" / "myanmar.json").read_bytes()).items
    }
    assert myanmar[""].level == 3 and myanmar["Sample State"].level == 4
    cambodia = {
        i.region: i.level for i in parse_uk_country((SITE / "countries" / "cambodia.json").read_bytes()).items
    }
    assert cambodia == {"": 2, "Cambodia-Thailand border": 3, "Sample Hills district": 3}
    laos = parse_uk_country((SITE / "countries" / "laos.json").read_bytes()).items
    assert [(i.region, i.level, i.level_native) for i in laos] == [("", 1, "none")]


def test_unusable_documents() -> None:
    with pytest.raises(AdvisoryPayloadError):
        parse_uk_country(b"<html>GOV.UK is down</html>")
    with pytest.raises(AdvisoryPayloadError):
        parse_uk_country(b'{"title": "not travel advice"}')
    with pytest.raises(AdvisoryPayloadError):
        parse_uk_index(b'{"links": {}}')
    doc = json.loads((SITE / "countries" / "laos.json").read_text())
    doc["details"]["country"] = {"name": "Atlantis", "slug": "atlantis"}
    assert parse_uk_country(json.dumps(doc).encode()).problems


def test_spider_crawls_index_and_countries_and_survives_withdrawn(sqlite_url: str) -> None:
    with ReplayServer(root=SITES) as replay:
        report = run_crawl("uk-fcdo", sqlite_url, url=replay.url_for("uk-fcdo"))[0]
        assert report["status"] == "ok", report  # Philippines answers 404 (withdrawn): logged, not an error
        assert replay.hits["/uk-fcdo/api/content/foreign-travel-advice/philippines"] == 1
        assert replay.hits["/uk-fcdo/api/content/foreign-travel-advice/south-korea"] == 0  # out of scope
        again = run_crawl("uk-fcdo", sqlite_url, url=replay.url_for("uk-fcdo"))[0]
    assert again["new_items"] == 0
    store = Store(sqlite_url)
    try:
        rows = {(a["country"], a["region"]): a for a in current_advisories(store, issuer="uk-fcdo")}
    finally:
        store.close()
    assert {c for c, r in rows if not r} == {"KH", "TH", "LA", "MM", "VN"}
    assert rows[("MM", "Sample State")]["level"] == 4
    assert all(a["issued_at"] for a in rows.values())


@settings(max_examples=50, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_mangled_documents_never_crash(data: st.DataObject) -> None:
    doc = json.loads((SITE / "countries" / "myanmar.json").read_text())
    junk = st.one_of(st.none(), st.integers(), st.text(max_size=20), st.lists(st.text(max_size=40), max_size=3),
                     st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2))
    for path in data.draw(st.lists(st.sampled_from([
        ("details", "alert_status"), ("details", "parts"), ("details", "country"), ("public_updated_at",),
        ("details", "change_description"), ("base_path",), ("withdrawn_notice",),
    ]), max_size=4)):
        target = doc
        for key in path[:-1]:
            target = target.setdefault(key, {}) if isinstance(target, dict) else {}
        if isinstance(target, dict):
            target[path[-1]] = data.draw(junk)
    try:
        parsed = parse_uk_country(json.dumps(doc).encode())
    except AdvisoryPayloadError:
        return
    for item in parsed.items:
        assert item.level in {1, 2, 3, 4} and is_country_code(item.country)
