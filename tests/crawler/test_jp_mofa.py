"""Japan MOFA open data: risk-level counts, calling-code country ids, JST times, maintenance pages."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.countries import is_country_code
from crawler.replay import ReplayServer
from crawler.spiders.advisories.jp_mofa import parse_jp_country, parse_jp_time
from crawler.spiders.advisories.payloads import AdvisoryPayloadError
from storage.advisories import current_advisories
from storage.repository import Store
from tests.crawler.conftest import run_crawl

SITES = Path(__file__).resolve().parents[1] / "fixtures" / "sites"
FOLDER = SITES / "jp-mofa" / "opendata" / "country"
MAINTENANCE = "<!DOCTYPE html><html><head><title>メンテナンス中</title></head><body>只今メンテナンス中です</body></html>"


def test_highest_nonzero_risk_level_is_the_countrys() -> None:
    [cambodia] = parse_jp_country((FOLDER / "0855L.xml").read_bytes(), "0855").items
    assert (cambodia.country, cambodia.level_native, cambodia.level) == ("KH", "3", 4)
    assert cambodia.label.startswith("レベル3")
    assert cambodia.issued_at == datetime(2026, 9, 30, 8, 5, tzinfo=UTC)  # the T40 mail's leaveDate, JST
    assert "レベル1:1 レベル2:1 レベル3:1" in cambodia.summary
    [vietnam] = parse_jp_country((FOLDER / "0084L.xml").read_bytes(), "0084").items
    assert (vietnam.level, vietnam.level_native) == (1, "0")  # no danger information
    assert vietnam.issued_at == datetime(2026, 10, 1, 1, 5, tzinfo=UTC)  # falls back to lastModified


def test_country_from_code_or_name_and_scope() -> None:
    body = (FOLDER / "0066L.xml").read_bytes().replace(b'cd="0066"', b'cd="9999"')
    assert parse_jp_country(body).items[0].country == "TH"  # the Japanese name decides
    assert parse_jp_country((FOLDER / "0066L.xml").read_bytes(), scope={"KH"}).items == []


def test_maintenance_pages_and_broken_xml() -> None:
    with pytest.raises(AdvisoryPayloadError, match="maintenance"):
        parse_jp_country(MAINTENANCE.encode("utf-8"), "0855")
    with pytest.raises(AdvisoryPayloadError):
        parse_jp_country(b"<?xml version='1.0'?><other><opendata/></other>", "0855")
    cut = (FOLDER / "0855L.xml").read_bytes()[:700]
    parsed = parse_jp_country(cut, "0855")
    assert parsed.problems and all(i.level in {1, 2, 3, 4} for i in parsed.items)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026/09/30 17:05:00", datetime(2026, 9, 30, 8, 5, tzinfo=UTC)),
        ("2026/1/2", datetime(2026, 1, 1, 15, 0, tzinfo=UTC)),
        ("2026/02/30 10:00:00", None), ("", None), (None, None),
    ],
)
def test_jst_times(text: str | None, expected: datetime | None) -> None:
    assert parse_jp_time(text) == expected


def test_spider_one_file_per_country_and_maintenance_is_a_counted_error(sqlite_url: str) -> None:
    with ReplayServer(root=SITES) as replay:
        replay.set_reply(
            "/jp-mofa/opendata/country/0063L.xml", body=MAINTENANCE, headers={"Content-Type": "text/html"}
        )
        report = run_crawl("jp-mofa", sqlite_url, url=replay.url_for("jp-mofa"))[0]
        hits = {p for p in replay.hits if p.startswith("/jp-mofa/")}
    assert hits == {
        f"/jp-mofa/opendata/country/{c}L.xml" for c in ("0855", "0066", "0856", "0095", "0084", "0063")
    }
    assert (
        report["status"] == "partial" and report["errors"] == 1 and "maintenance" in report["error_summary"]
    )
    store = Store(sqlite_url)
    try:
        rows = {a["country"]: a["level"] for a in current_advisories(store, issuer="jp-mofa")}
    finally:
        store.close()
    assert rows == {"KH": 4, "TH": 3, "LA": 2, "MM": 4, "VN": 1}


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_mangled_files_never_crash(data: st.DataObject) -> None:
    text = (FOLDER / "0095L.xml").read_text(encoding="utf-8")
    for n in range(1, 5):
        value = data.draw(
            st.one_of(st.integers(-3, 30).map(str), st.text(max_size=4), st.sampled_from(["Y", "N", ""]))
        )
        text = text.replace(f"<riskLevel{n}>", f"<riskLevel{n}>{value}<!--", 1).replace(
            f"</riskLevel{n}>", f"--></riskLevel{n}>", 1
        )
    body = bytearray(text.encode("utf-8"))
    if data.draw(st.booleans()):
        del body[data.draw(st.integers(200, len(body) - 1)) :]
    try:
        parsed = parse_jp_country(bytes(body), "0095")
    except AdvisoryPayloadError:
        return
    for item in parsed.items:
        assert item.level in {1, 2, 3, 4} and is_country_code(item.country)
