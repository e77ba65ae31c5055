"""/api/advisories on SQLite and PostgreSQL: the advisory search's filters as query parameters, the same
row shape as before, a 422 for a malformed value and a 400 for what the search itself rejects."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_seed import seed_status

from storage.advisories import current_advisories, upsert_advisory
from storage.repository import Store
from web.app import create_app


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    seed_status(store)  # KH: us-state 2 → 3, kr-mofa 3 (whole country), kr-mofa 4 (Bokor Mountain)
    upsert_advisory(store, {"issuer": "us-state", "country": "TH", "level": 1, "label": "Exercise Normal Precautions"})
    with TestClient(create_app(store.url), base_url="http://127.0.0.1") as test_client:
        yield test_client


def rows(client: TestClient, **params: Any) -> set[tuple[str, str, str, int]]:
    response = client.get("/api/advisories", params=params)
    assert response.status_code == 200, response.text
    return {(a["issuer"], a["country"], a["region"], a["level"]) for a in response.json()}


def test_filters_as_query_parameters(client: TestClient, store: Store) -> None:
    assert client.get("/api/advisories").json() == current_advisories(store)  # unchanged shape and order
    assert rows(client, min_level=4) == {("kr-mofa", "KH", "Bokor Mountain", 4)}
    assert rows(client, max_level=1) == {("us-state", "TH", "", 1)}
    assert rows(client, min_level=2, max_level=2) == set()  # us-state KH's level 2 is history
    assert rows(client, direction="up") == {("us-state", "KH", "", 3)}
    assert rows(client, direction="down") == set()
    assert rows(client, issuer=["kr-mofa", "us-state"], country=["th"]) == {("us-state", "TH", "", 1)}
    assert rows(client, q="BOKOR") == {("kr-mofa", "KH", "Bokor Mountain", 4)}
    assert rows(client, q="reconsider", country="kh") == {("us-state", "KH", "", 3)}
    assert len(rows(client, changed_since="2000-01-01", direction="any")) == 4
    assert rows(client, changed_since="2999-12-31") == set()


def test_bad_values_are_4xx_with_a_reason(client: TestClient) -> None:
    for params in ({"min_level": 7}, {"max_level": "high"}, {"direction": "sideways"},
                   {"changed_since": "yesterday"}, {"country": "KHM"}):
        response = client.get("/api/advisories", params=params)
        assert response.status_code == 422, (params, response.text)
        assert next(iter(params)) in " ".join(response.json()["errors"])
    rejected = client.get("/api/advisories", params={"min_level": 4, "max_level": 2})
    assert rejected.status_code == 400 and "level_min (4) is above level_max (2)" in rejected.json()["detail"]
    nul = client.get("/api/advisories", params={"q": "bokor\x00"})
    assert nul.status_code == 400 and "NUL" in nul.json()["detail"]


def test_openapi_documents_the_filters(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/advisories"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"issuer", "country", "min_level", "max_level", "changed_since", "direction", "q"} <= names
