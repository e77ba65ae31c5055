"""Server-rendered pages over a seeded store: search, story with evidence, advisories, health, alerts,
digests; hostile scraped HTML stays text; bad parameters are 4xx pages, never 500."""
from __future__ import annotations

import re
from datetime import date

from fastapi.testclient import TestClient
from web_seed import HOSTILE_BODY, HOSTILE_TITLE

from storage.digests import save_digest
from storage.repository import Store


def test_search_page_highlights_and_links_to_the_story(client: TestClient, seeded_db) -> None:
    _url, seeded = seeded_db
    page = client.get("/search", params={"q": "시아누크빌"})
    assert page.status_code == 200
    assert "<mark>" in page.text
    assert f'href="/stories/{seeded.story_ids["ko"]}#doc-{seeded.doc_ids["ko"]}"' in page.text
    assert "Cambodia" in page.text  # the country facet, by name


def test_two_character_korean_word_matches(client: TestClient) -> None:
    page = client.get("/search", params={"q": "감금"})
    assert page.status_code == 200
    assert "캄보디아서 20대 한국인 대학생 감금" in page.text


def test_facet_filters_narrow_the_result(client: TestClient, seeded_db) -> None:
    _url, seeded = seeded_db
    page = client.get("/search", params={"incident_type": "rescue", "sort": "newest"})
    hits = re.findall(r'href="/documents/(\d+)">evidence', page.text)
    assert sorted(int(h) for h in hits) == sorted([seeded.doc_ids["km"], seeded.doc_ids["hostile"]])
    assert 'name="incident_type" value="rescue" checked' in page.text


def test_pagination_keeps_the_query(client: TestClient) -> None:
    page = client.get("/search", params={"relevant": "true", "per_page": "1", "sort": "oldest"})
    assert 'rel="next"' in page.text
    next_href = re.search(r'<a href="([^"]+)" rel="next"', page.text).group(1)
    assert "relevant=true" in next_href and "page=2" in next_href and "per_page=1" in next_href


def test_hostile_html_is_shown_as_text_everywhere(client: TestClient, seeded_db) -> None:
    _url, seeded = seeded_db
    pages = [
        client.get("/search", params={"q": "Kampot"}),
        client.get(f"/stories/{seeded.story_ids['hostile']}"),
        client.get(f"/documents/{seeded.doc_ids['hostile']}"),
        client.get("/stories"),
    ]
    for page in pages:
        assert page.status_code == 200
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
        assert "onerror=" not in page.text.replace("onerror=&#34;", "").replace("onerror=&quot;", "")
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in pages[1].text
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in pages[2].text
    assert HOSTILE_TITLE not in pages[1].text and HOSTILE_BODY not in pages[2].text
    for page in pages[:3]:  # a javascript: URL from a feed is shown, never linked
        assert 'href="javascript:' not in page.text


def test_story_page_shows_every_report_with_evidence(client: TestClient, seeded_db) -> None:
    _url, seeded = seeded_db
    page = client.get(f"/stories/{seeded.story_ids['ko']}")
    assert page.status_code == 200
    for key in ("ko", "en", "km"):
        assert f'id="doc-{seeded.doc_ids[key]}"' in page.text
    assert '<mark class="ev ev-place" title="place: Sihanoukville, Preah Sihanouk, KH">시아누크빌</mark>' in page.text
    assert '<mark class="ev ev-place" title="place: Sihanoukville, Preah Sihanouk, KH">ព្រះសីហនុ</mark>' in page.text
    assert '<mark class="ev ev-ransom" title="ransom: 20,000 USD">$20,000</mark>' in page.text
    assert "same age 24" in page.text  # a merge reason
    assert 'rel="noopener noreferrer nofollow"' in page.text and "https://news.example.org/herald-en/en" in page.text
    assert page.text.count('<li><time datetime=') == 3  # the timeline


def test_missing_and_malformed_ids_are_4xx(client: TestClient) -> None:
    assert client.get("/stories/999999").status_code == 404
    assert client.get("/documents/999999").status_code == 404
    bad = client.get("/stories/abc")
    assert bad.status_code == 422 and "story_id" in bad.text


def test_bad_search_parameters_are_explained(client: TestClient) -> None:
    page = client.get("/search", params={"age_min": "ten", "date_from": "2026-02-30"})
    assert page.status_code == 422
    assert "age_min" in page.text and "date_from" in page.text and "ten" in page.text
    reversed_range = client.get("/search", params={"age_min": "40", "age_max": "20"})
    assert reversed_range.status_code == 422 and "age_min (40) is after age_max (20)" in reversed_range.text


def test_blank_form_fields_are_ignored(client: TestClient) -> None:
    page = client.get("/search?q=&age_min=&age_max=&date_from=&has_ransom=&ransom_usd_min=&sort=newest")
    assert page.status_code == 200


def test_security_headers_on_every_page(client: TestClient) -> None:
    for path in ("/search", "/advisories", "/api/stats", "/login"):
        response = client.get(path)
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"


def test_advisories_board_history_and_last_change(client: TestClient) -> None:
    page = client.get("/advisories", params={"country": "KH"})
    assert page.status_code == 200
    assert 'class="lvl lvl-3"' in page.text and 'class="lvl lvl-4"' in page.text
    assert "Bokor Mountain" in page.text and "3단계 출국권고" in page.text
    assert "changed 2→3" in page.text
    assert "<svg" in page.text and "<polyline" in page.text  # the level history chart
    assert client.get("/advisories", params={"country": "<x>"}).status_code == 422


def test_source_health_and_runs(client: TestClient) -> None:
    page = client.get("/sources")
    assert page.status_code == 200
    assert '<tr class="bad">' in page.text
    assert "HTTP 503 &lt;b&gt;Service Unavailable&lt;/b&gt;" in page.text
    one = client.get("/sources", params={"source": "yna-ko"})
    assert "Recent runs of yna-ko" in one.text and "kh-km</a></td>" not in one.text.split("Recent runs")[1]


def test_alerts_log_lists_rule_subject_channel_status(client: TestClient) -> None:
    page = client.get("/alerts")
    assert page.status_code == 200
    assert "kr-incidents" in page.text and 'href="/stories/1"' in page.text
    assert "캄보디아 감금 &lt;i&gt;story&lt;/i&gt;" in page.text
    assert 'class="status status-pending"' in page.text
    assert "source-down" not in client.get("/alerts", params={"rule": "kr-incidents"}).text.split("<tbody>")[1]
    assert client.get("/alerts", params={"status": "bogus"}).status_code == 422


def test_digest_archive_and_sandboxed_html(client: TestClient, seeded_db) -> None:
    store = Store(seeded_db[0])
    counts = {"new_incidents": 2, "updated_incidents": 1, "new_incidents_30d": 9}
    save_digest(store, date(2026, 10, 12), counts, "<html><body><h1>Digest</h1></body></html>", "# Digest")
    store.close()
    listing = client.get("/digests")
    assert 'href="/digests/2026-10-12"' in listing.text and "<strong>2</strong> new · <strong>1</strong> updated" in listing.text
    assert "9 new in 30 days" in listing.text
    page = client.get("/digests/2026-10-12")
    assert '<iframe class="digest" src="/digests/2026-10-12/html" sandbox' in page.text
    raw = client.get("/digests/2026-10-12/html")
    assert raw.text.startswith("<html>") and "sandbox" in raw.headers["content-security-policy"]
    assert "script-src" not in raw.headers["content-security-policy"]  # default-src 'none' covers scripts
    assert client.get("/digests/2026-10-12/md").text == "# Digest"
    assert client.get("/digests/2026-13-01").status_code == 422
    assert client.get("/digests/2020-01-01").status_code == 404
    assert client.get("/digests/2026-10-12/chart.png").status_code == 404  # this one has no chart


def test_exports_of_the_current_result(client: TestClient, seeded_db) -> None:
    _url, seeded = seeded_db
    csv_response = client.get("/search.csv", params={"q": "Sihanoukville"})
    assert csv_response.status_code == 200 and csv_response.headers["content-type"].startswith("text/csv")
    lines = csv_response.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("document_id,story_id,published_at")
    assert any(line.startswith(f"{seeded.doc_ids['en']},") for line in lines[1:])
    geo = client.get("/search.geojson", params={"incident_type": "rescue"}).json()
    assert geo["type"] == "FeatureCollection"
    places = sorted(f["properties"]["place"] for f in geo["features"])
    assert places == ["Kampot", "Sihanoukville"]
    assert geo["features"][0]["geometry"]["coordinates"][0] > 100  # [lon, lat]


def test_api_index_page_lists_endpoints(client: TestClient) -> None:
    page = client.get("/api")
    assert page.status_code == 200 and "/api/search" in page.text and "/api/stories/{story_id}" in page.text


def test_rules_page_is_read_only_without_admin(client: TestClient) -> None:
    page = client.get("/rules")
    assert page.status_code == 200
    assert "korean-kidnapping" in page.text and "<textarea" not in page.text
    assert "Read-only" in page.text


def test_query_syntax_error_keeps_the_form(client: TestClient) -> None:
    page = client.get("/search", params={"q": '"unclosed phrase', "country": "KH"})
    assert page.status_code == 400
    assert "unclosed quote" in page.text
    assert 'value="&#34;unclosed phrase"' in page.text  # the query box keeps what was typed


def test_incident_exports_reuse_the_store_exporter(client: TestClient, seeded_db) -> None:
    _url, seeded = seeded_db
    geo = client.get("/incidents.geojson", params={"q": "시아누크빌"})
    assert geo.status_code == 200 and geo.headers["content-type"] == "application/geo+json"
    features = geo.json()["features"]
    assert [f["properties"]["story_id"] for f in features] == [seeded.story_ids["ko"]]
    lines = client.get("/incidents.jsonl").text.strip().splitlines()
    assert len(lines) == 2  # both incident stories, no query
    assert client.get("/incidents.csv", params={"q": "kidnapping OR"}).status_code == 400
    assert client.get("/incidents.xml").status_code in (404, 422)
