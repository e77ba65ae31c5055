"""Whatever an analyst or a script puts in the query string, the answer is a page or a 4xx, never a 500."""
from __future__ import annotations

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PARAMS = ["q", "sort", "page", "per_page", "date_from", "date_to", "source", "lang", "country", "admin1", "place",
          "incident_type", "has_ransom", "ransom_usd_min", "ransom_usd_max", "age_min", "age_max", "relevant",
          "story_id", "incidents_only"]
VALUES = st.one_of(
    st.text(alphabet=st.sampled_from(list('ab납치 "()-*:^ORAND0123456789.,-eE\\\'%<>&;\x00')), max_size=24),
    st.sampled_from(["", "0", "-1", "1e309", "nan", "inf", "true", "yes", "2026-02-30", "9999-12-31", "OR", "-x", '"',
                     "((", "99999999999999999999", "KH", "rescue"]),
)
QUERIES = st.lists(st.tuples(st.sampled_from(PARAMS), VALUES), max_size=5)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=QUERIES, path=st.sampled_from(["/search", "/api/search", "/search.csv", "/incidents.geojson"]))
def test_no_query_string_causes_a_server_error(client: TestClient, items: list[tuple[str, str]], path: str) -> None:
    response = client.get(path, params=items)
    assert response.status_code in (200, 400, 422), (path, items, response.status_code, response.text[:300])
    if response.status_code != 200 and path.startswith("/api"):
        assert response.json()["detail"]


def test_odd_path_and_list_parameters_are_4xx(client: TestClient) -> None:
    for path in ("/stories/99999999999999999999", "/documents/99999999999999999999", "/api/stories/-1",
                 "/digests/0000-00-00", "/digests/99999-01-01", "/api/digests/2026-1-1x"):
        assert client.get(path).status_code in (404, 422), path
    for path in ("/stories?since=9999-12-31", "/api/advisories/history?since=0001-01-01", "/alerts?limit=1e3",
                 "/api/runs?limit=0", "/sources?source=" + "x" * 300, "/api/stories?since=yesterday"):
        assert client.get(path).status_code in (200, 422), path
    assert client.get("/search", params={"story_id": "99999999999999999999"}).status_code == 422
