"""Korea MOFA travel alarms: both envelopes, single objects, empty answers, error codes, the service key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.countries import is_country_code
from crawler.replay import ReplayServer
from crawler.spiders.advisories.kr_mofa import KrMofaApiError, parse_kr_alarms
from crawler.spiders.advisories.payloads import AdvisoryPayloadError
from storage.advisories import current_advisories
from storage.repository import Store

SITES = Path(__file__).resolve().parents[1] / "fixtures" / "sites"
SITE = SITES / "kr-mofa"
REGISTRY = Path(__file__).resolve().parents[2] / "config" / "sources.toml"
SECRET = "S3cr3t+Key/Value=="


def crawl(
    url: str | None, db_url: str, *, key: str | None = None, log_level: str = "WARNING"
) -> tuple[dict, str]:  # type: ignore[type-arg]
    """Run the spider as the scheduler does (its own process); returns the report and the log."""
    env = {k: v for k, v in os.environ.items() if k != "DESKWATCH_KR_MOFA_KEY"}
    if key:
        env["DESKWATCH_KR_MOFA_KEY"] = key
    command = [sys.executable, "-m", "crawler.runner", "kr-mofa", "--db", db_url, "--sources", str(REGISTRY), "--json",
               "--set", f"LOG_LEVEL={log_level}", "--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=False",
               "--set", "DESKWATCH_RETRY_BACKOFF_BASE_S=0"]
    if url:
        command += ["--url", url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, env=env)
    assert done.stdout.strip(), done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def wrapped(items: object, code: str = "0", total: int = 1) -> bytes:
    body = {"dataType": "JSON", "items": items, "numOfRows": 10, "pageNo": 1, "totalCount": total}
    return json.dumps(
        {"response": {"header": {"resultCode": code, "resultMsg": "msg"}, "body": body}}
    ).encode()


ROW = {"alarm_lvl": "2", "region_ty": "일부", "remark": "국경 &lt;샘플&gt;&nbsp;지역", "country_iso_alp2": "KH",
       "country_nm": "캄보디아", "country_eng_nm": "Cambodia", "org_country_idx": "116", "written_dt": None}


def test_fixture_rows_regions_and_levels() -> None:
    parsed = parse_kr_alarms((SITE / "alarms-KH.json").read_bytes(), "KH")
    found = {i.region: i for i in parsed.items}
    assert found[""].level == 2 and found[""].label == "여행유의"  # 1단계 여행유의 → caution
    ban = found["샘플주 <보꼬산> 지역 (가상의 예시)"]
    assert (ban.level, ban.level_native, ban.label) == (4, "4", "여행금지")
    assert ban.url == "https://www.0404.go.kr/dev/country_view.mofa?idx=116"
    assert ban.issued_at is not None and ban.issued_at.hour == 15  # a Seoul date at 00:00 → 15:00 UTC


def test_single_object_flat_shape_and_partial_only_countries() -> None:
    single = parse_kr_alarms(wrapped({"item": ROW}), "KH").items
    assert [(i.region, i.level) for i in single] == [("", 1), ("국경 <샘플> 지역", 3)]
    assert single[0].summary == "일부 지역에만 여행경보"
    flat = json.dumps(
        {"resultCode": "0", "resultMsg": "OK", "totalCount": 1, "currentCount": 1, "data": [ROW]}
    )
    assert parse_kr_alarms(flat.encode(), "KH").items == single


def test_no_alarm_is_a_level_one_row_for_the_country_asked_for() -> None:
    parsed = parse_kr_alarms(wrapped("", total=0), "VN")
    assert [(i.country, i.region, i.level, i.level_native) for i in parsed.items] == [("VN", "", 1, "0")]
    assert parse_kr_alarms(wrapped("", total=0)).items == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (wrapped("", code="-4"), "not registered"),
        (wrapped("", code="-10"), "traffic limit"),
        (json.dumps({"resultCode": -1, "resultMsg": "ERROR", "data": []}).encode(), "system error"),
        ((b"<OpenAPI_ServiceResponse><cmmMsgHeader><errMsg>SERVICE ERROR</errMsg><returnAuthMsg>"
          b"SERVICE_KEY_IS_NOT_REGISTERED_ERROR</returnAuthMsg><returnReasonCode>30</returnReasonCode>"
          b"</cmmMsgHeader></OpenAPI_ServiceResponse>"), "SERVICE_KEY_IS_NOT_REGISTERED_ERROR"),
    ],
)
def test_error_codes_are_clear_errors(body: bytes, message: str) -> None:
    with pytest.raises(KrMofaApiError, match=message):
        parse_kr_alarms(body, "KH")


def test_xml_answers_and_bad_rows() -> None:
    xml = ("<response><header><resultCode>0</resultCode><resultMsg>OK</resultMsg></header><body><items>"
           "<item><alarm_lvl>3</alarm_lvl><region_ty>전체</region_ty><country_iso_alp2>MM</country_iso_alp2></item>"
           "<item><alarm_lvl>9</alarm_lvl><region_ty>일부</region_ty><country_iso_alp2>MM</country_iso_alp2></item>"
           "<item><alarm_lvl>1</alarm_lvl><country_iso_alp2>ZZ</country_iso_alp2><country_eng_nm>Nowhere</country_eng_nm></item>"
           "</items><totalCount>3</totalCount></body></response>")
    parsed = parse_kr_alarms(xml.encode("utf-8"), "MM")
    assert [(i.country, i.region, i.level) for i in parsed.items] == [("MM", "", 4)]
    assert len(parsed.problems) == 2
    with pytest.raises(AdvisoryPayloadError):
        parse_kr_alarms(b'{"something": "else"}')


def test_spider_reads_each_country_of_the_scope(sqlite_url: str) -> None:
    with ReplayServer(root=SITES) as replay:
        report, _log = crawl(replay.url_for("kr-mofa"), sqlite_url)
    assert report["status"] == "ok" and report["errors"] == 0, report
    store = Store(sqlite_url)
    try:
        rows = {(a["country"], a["region"]): a["level"] for a in current_advisories(store, issuer="kr-mofa")}
    finally:
        store.close()
    assert {c for c, r in rows if not r} == {"KH", "TH", "LA", "MM", "VN", "PH"}
    assert rows[("VN", "")] == 1 and rows[("MM", "샘플주 전역 (예시)")] == 4


def test_without_a_key_nothing_is_sent_and_the_log_says_why(sqlite_url: str) -> None:
    report, log = crawl(None, sqlite_url)  # the real data.go.kr URL: must not be contacted without a key
    assert report["pages"] == 0 and report["items"] == 0
    assert "DESKWATCH_KR_MOFA_KEY" in log and "not configured" in log


def test_the_service_key_never_reaches_logs_or_the_store(sqlite_url: str) -> None:
    with ReplayServer(root=SITES) as replay:
        query = urlencode({"serviceKey": SECRET, "returnType": "JSON", "pageNo": "1", "numOfRows": "500",
                           "cond[country_iso_alp2::EQ]": "KH"})
        replay.add_fault(
            f"/kr-mofa/1262000/TravelAlarmService2/getTravelAlarmList2?{query}", statuses=[500] * 40
        )
        report, log = crawl(replay.url_for("kr-mofa"), sqlite_url, key=SECRET, log_level="DEBUG")
    assert report["errors"] > 0 and report["status"] == "partial"
    assert "serviceKey=***" in (report["error_summary"] or "") and "serviceKey=***" in log
    for text in (log, json.dumps(report)):
        assert SECRET not in text and "S3cr3t" not in text


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.dictionaries(
    st.sampled_from(["alarm_lvl", "region_ty", "remark", "country_iso_alp2", "country_eng_nm", "written_dt"]),
    st.one_of(st.none(), st.integers(-2, 6), st.text(max_size=12), st.sampled_from(["KH", "1", "4", "전체", "일부"])),
), max_size=5))
def test_mangled_rows_never_crash(rows: list[dict]) -> None:  # type: ignore[type-arg]
    parsed = parse_kr_alarms(wrapped({"item": rows}), "KH")
    for item in parsed.items:
        assert item.level in {1, 2, 3, 4} and is_country_code(item.country)
