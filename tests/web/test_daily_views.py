"""What daily readers see: a story's facts said once (places, chips, merge reasons, incident types), the
search page's reports per day and its incident-type filter offered for a word, and public JSON without
internal fields."""
from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from storage.advisories import upsert_advisory
from web.search_views import incident_types_named, per_day, published_days, query_without_type_words
from web.story_display import incident_types_by_support, place_label, tidy_reason, unique_by, unique_places

PHNOM_PENH = {"name": "Phnom Penh", "admin1": "Phnom Penh", "country": "KH", "geonameid": 1821306}
BAVET = {"name": "Bavet", "admin1": "Svay Rieng", "country": "KH", "geonameid": 1831166}


def test_a_place_named_like_its_province_is_said_once() -> None:
    assert place_label(PHNOM_PENH) == "Phnom Penh · KH"
    assert place_label(BAVET) == "Bavet, Svay Rieng · KH"
    assert place_label({"name": "Yecheon"}) == "Yecheon"


def test_repeated_facts_make_one_chip_each() -> None:
    yecheon = {"name": "Yecheon", "country": "KR", "geonameid": 1}
    assert unique_places([yecheon, BAVET, {**yecheon, "geonameid": 2}]) == [yecheon, BAVET]
    krw = {"amount": 50_000_000, "currency": "KRW", "usd": 36101}
    assert unique_by([krw, dict(krw), {**krw, "amount": 1}], "amount", "currency") == [krw, {**krw, "amount": 1}]


def test_merge_reasons_read_as_written() -> None:
    reason = "same age 22, same place Phnom Penh, Phnom Penh, Phnom Penh, ransom 36101 USD, 1 days apart"
    assert tidy_reason(reason) == "same age 22, same place Phnom Penh, ransom 36101 USD, 1 day apart"
    assert tidy_reason("11 days apart") == "11 days apart" and tidy_reason(None) == ""


def test_incident_types_most_reports_state_come_first_the_rest_apart() -> None:
    docs = [{"extraction": {"incident_types": types}} for types in
            (["kidnapping", "detention", "torture"], ["kidnapping", "detention"], ["kidnapping", "arrest", "rescue"])]
    story = {"incident_types": ["arrest", "detention", "kidnapping", "rescue", "torture"], "documents": docs}
    assert incident_types_by_support(story) == {"main": ["kidnapping", "detention"],
                                                "also": ["arrest", "rescue", "torture"]}


def test_story_page_shows_each_fact_once(client: TestClient, seeded_db) -> None:
    _url, seeded = seeded_db
    story = client.get(f"/api/stories/{seeded.story_ids['en']}").json()
    page = client.get(f"/stories/{seeded.story_ids['en']}").text
    assert not re.search(r"(\b[\w ]+), \1 ·", page)  # no "Sihanoukville, Sihanoukville · KH"
    assert "1 days apart" not in page
    types = incident_types_by_support(story)
    assert types["also"] and "also mentioned by fewer reports" in page
    assert "max-height" not in client.get("/static/style.css").text.split("article.report .body")[1].split("}")[0]


def test_words_that_name_an_incident_type() -> None:
    assert incident_types_named("kidnapped Sihanoukville") == ["kidnapping"]
    assert incident_types_named("납치 감금") == ["kidnapping", "detention"]
    assert incident_types_named("rice exports") == []
    assert query_without_type_words('abducted "Bavet city" OR kidnapping', "kidnapping") == '"Bavet city"'


def test_search_for_a_word_offers_the_incident_type_filter(client: TestClient) -> None:
    page = client.get("/search", params={"q": "kidnapped"}).text
    assert "Reports typed <strong>kidnapping</strong>" in page
    link = re.search(r'<a href="(/search\?[^"]*incident_type=kidnapping[^"]*)">(\d+) report', page)
    assert link is not None and int(link.group(2)) >= 1 and "q=" not in link.group(1)
    filtered = client.get(link.group(1).replace("&amp;", "&")).text
    assert f"<strong>{link.group(2)}</strong> report" in filtered


def test_search_shows_matching_reports_per_day(client: TestClient) -> None:
    page = client.get("/search", params={"q": "Sihanoukville"}).text
    bars = re.findall(r"<title>(\d{4}-\d\d-\d\d): (\d+)</title>", page)
    total = int(re.search(r"<strong>(\d+)</strong> report", page).group(1))  # type: ignore[union-attr]
    assert bars and sum(int(n) for _, n in bars) == total
    assert "Matching reports per day by publication date" in page


def test_per_day_fills_gaps_and_uses_local_days() -> None:
    days = published_days(["2026-01-01 16:00:00", "2026-01-03T01:00:00+00:00", None, "garbage"], ZoneInfo("Asia/Seoul"))
    series, cut = per_day(days)
    assert series == [(date(2026, 1, 2), 1), (date(2026, 1, 3), 1)] and not cut  # 16:00 UTC is the 2nd in Seoul
    long_series, cut = per_day(days | {date(2020, 1, 1): 1})
    assert cut and len(long_series) == 366 and long_series[-1][0] == date(2026, 1, 3)


def test_public_json_has_no_minhash_signature(client: TestClient, seeded_db) -> None:
    _url, seeded = seeded_db
    hits = client.get("/api/search", params={"q": "Sihanoukville"}).json()["hits"]
    assert hits and all("signature" not in h["document"] for h in hits)
    assert {"id", "url", "title", "published_at", "story_id"} <= set(hits[0]["document"])
    assert "signature" not in client.get(f"/api/documents/{seeded.doc_ids['en']}").json()
    story = client.get(f"/api/stories/{seeded.story_ids['en']}").json()
    assert all("signature" not in d for d in story["documents"])


def test_advisories_show_issuers_words_and_which_date(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from storage.repository import Store
    from web.app import create_app

    url = f"sqlite:///{tmp_path / 'adv.sqlite'}"
    store = Store(url)
    words = {"kr-mofa": ("1", "여행유의"), "jp-mofa": ("2", "レベル2：不要不急の渡航は止めてください"),
             "ca-gac": ("2", "Avoid non-essential travel")}
    for issuer, (code, label) in words.items():
        upsert_advisory(store, {"issuer": issuer, "country": "TH", "region": "", "level": 2, "level_native": code,
                               "label": label, "url": f"https://example.org/{issuer}"})
    upsert_advisory(store, {"issuer": "us-state", "country": "TH", "region": "", "level": 2, "level_native": "2",
                           "label": "Exercise Increased Caution", "url": "https://example.org/us",
                           "issued_at": datetime(2026, 9, 1, 3, tzinfo=UTC)})
    store.close()
    client = TestClient(create_app(url, countries=["TH"]), base_url="http://127.0.0.1")
    page = client.get("/advisories", params={"country": "TH"}).text
    board = page.split('<section class="history">')[0]
    for _code, label in words.values():
        assert label in board
    assert not re.search(r'</span>\s*<span class="native">\d</span>', board)  # no bare numbers
    assert "issued 2026-09-01" in board and "first seen " in board
    chart = page.split('<figure class="chart">')[1].split("</figure>")[0]
    assert "4 do not travel" in chart and "1 normal" in chart and ">level<" in chart
    dashes = re.findall(r'<polyline class="series" points="[^"]*" stroke-dasharray="([^"]*)"', chart)
    assert len(dashes) == 4 and len(set(dashes)) == 4  # four issuers at level 2: four different lines
    ys = {re.search(r'points="[\d.]+,([\d.]+)', line).group(1)  # type: ignore[union-attr]
          for line in re.findall(r'<polyline class="series" points="[^"]*"', chart)}
    assert len(ys) == 4  # and each at its own height


def test_since_is_checked_like_any_filter(client: TestClient) -> None:
    assert client.get("/search", params={"since": "notadate"}).status_code == 422
    assert client.get("/api/search", params={"since": "notadate"}).status_code == 422
    assert client.get("/api/stories", params={"since": "notadate"}).status_code == 422
    both = client.get("/api/search", params={"since": "2026-10-12"}).json()
    assert both["filters"]["date_from"] == "2026-10-12"
    assert both["total"] == client.get("/api/search", params={"date_from": "2026-10-12"}).json()["total"]
