"""The JSON API on SQLite and PostgreSQL: the same search() as the pages, stories, advisories,
health, alerts, digests, stats, and an OpenAPI schema; bad input is a 4xx with a reason."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from web_seed import Seeded, seed_reports, seed_status

from storage.digests import save_digest
from storage.repository import Store
from web.app import create_app


@pytest.fixture
def api(store: Store) -> Iterator[tuple[TestClient, Seeded]]:
    seeded = seed_reports(store)
    seed_status(store)
    save_digest(store, date(2026, 10, 12), {"incidents_new": 1}, "<p>digest</p>", "# digest")
    with TestClient(create_app(store.url), base_url="http://127.0.0.1") as client:
        yield client, seeded


def test_search_json_has_hits_snippets_and_facets(api) -> None:
    client, seeded = api
    body = client.get("/api/search", params={"q": "Sihanoukville", "sort": "newest"}).json()
    ids = [hit["document"]["id"] for hit in body["hits"]]
    assert seeded.doc_ids["en"] in ids and seeded.doc_ids["other"] not in ids
    hit = body["hits"][ids.index(seeded.doc_ids["en"])]
    assert "<mark>" in hit["snippet_html"] and "body" not in hit["document"]
    assert hit["extraction"]["victim_ages"][0]["value"] == 24
    assert ["KH", body["facets"]["country"][0][1]] in body["facets"]["country"]


def test_search_json_filters_like_the_page(api) -> None:
    client, seeded = api
    body = client.get("/api/search", params={"has_ransom": "true", "age_min": "20", "age_max": "30"}).json()
    assert sorted(h["document"]["id"] for h in body["hits"]) == sorted([seeded.doc_ids["ko"], seeded.doc_ids["en"]])
    korean = client.get("/api/search", params={"q": "납치", "lang": "ko"}).json()
    assert [h["document"]["id"] for h in korean["hits"]] == [seeded.doc_ids["ko"]]


def test_bad_input_is_4xx_with_reason(api) -> None:
    client, _ = api
    syntax = client.get("/api/search", params={"q": "kidnapping OR"})
    assert syntax.status_code == 400 and "OR" in syntax.json()["detail"]
    typed = client.get("/api/search", params={"per_page": "1000", "date_to": "yesterday"})
    assert typed.status_code == 422
    assert {e.split(":")[0] for e in typed.json()["errors"]} == {"per_page", "date_to"}
    assert client.get("/api/stories/0").status_code == 422
    assert client.get("/api/stories/424242").json() == {"detail": "no story 424242"}
    assert client.get("/api/advisories", params={"country": "K1"}).status_code == 422
    assert client.get("/api/alerts", params={"status": "gone"}).status_code == 422


def test_story_with_documents_links_and_timeline(api) -> None:
    client, seeded = api
    story = client.get(f"/api/stories/{seeded.story_ids['ko']}").json()
    assert {d["lang"] for d in story["documents"]} == {"ko", "en", "km"}
    assert len(story["links"]) == 3 and len(story["timeline"]) == 3
    listed = client.get("/api/stories", params={"incidents_only": "true"}).json()
    assert seeded.story_ids["ko"] in [s["id"] for s in listed]
    doc = client.get(f"/api/documents/{seeded.doc_ids['hostile']}").json()
    assert doc["title"].startswith("<script>")  # JSON carries the text as stored; escaping is the page's job


def test_advisories_sources_runs_alerts_digests_stats(api) -> None:
    client, _ = api
    current = client.get("/api/advisories", params={"country": "kh"}).json()
    assert {(a["issuer"], a["region"], a["level"]) for a in current} == {
        ("us-state", "", 3), ("kr-mofa", "", 3), ("kr-mofa", "Bokor Mountain", 4)}
    history = client.get("/api/advisories/history", params={"country": "KH", "issuer": "us-state"}).json()
    assert [a["level"] for a in history] == [2, 3]
    sources = {s["key"]: s for s in client.get("/api/sources").json()}
    assert sources["kh-km"]["consecutive_failures"] == 1
    assert [r["status"] for r in client.get("/api/runs", params={"source": "kh-km"}).json()] == ["failed"]
    assert {a["rule"] for a in client.get("/api/alerts").json()} == {"kr-incidents", "source-down"}
    assert client.get("/api/digests").json()[0]["day"] == "2026-10-12"
    assert client.get("/api/digests/2026-10-12").json()["markdown"] == "# digest"
    stats = client.get("/api/stats").json()
    assert stats["documents"] == 5 and stats["alerts_by_status"] == {"pending": 2}


def test_openapi_schema_documents_the_api(api) -> None:
    client, _ = api
    schema = client.get("/openapi.json").json()
    for path in ("/api/search", "/api/stories/{story_id}", "/api/advisories", "/api/sources", "/api/alerts",
                 "/api/digests", "/api/stats"):
        assert path in schema["paths"], path
    params = {p["name"] for p in schema["paths"]["/api/search"]["get"]["parameters"]}
    assert {"q", "sort", "page", "incident_type", "has_ransom", "age_min", "date_from"} <= params
    assert not any(path.startswith("/search") for path in schema["paths"])  # pages stay out of the API schema
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
