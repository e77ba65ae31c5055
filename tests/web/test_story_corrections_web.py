"""Correcting stories from the story page: admins merge and move reports out (CSRF-checked, recorded with
who and when, shown on the page); analysts see the corrections but cannot make them."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_seed import ADMIN_TOKEN, ANALYST_TOKEN, Seeded, seed_reports

from storage.documents import get_document
from storage.repository import Store
from web.app import create_app


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[tuple[TestClient, Seeded, Store]]:
    url = f"sqlite:///{tmp_path / 'corrections.sqlite'}"
    store = Store(url)
    seeded = seed_reports(store)
    app = create_app(url, token=ANALYST_TOKEN, admin_token=ADMIN_TOKEN)
    with TestClient(app, base_url="http://desk.example.org", follow_redirects=False) as client:
        yield client, seeded, store
    store.close()


def _csrf(client: TestClient, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def _login(client: TestClient, token: str) -> None:
    client.post("/login", data={"csrf_token": _csrf(client, "/login"), "token": token, "next": "/stories"})


def _two_stories(seeded: Seeded) -> tuple[int, int]:
    ids = sorted({s for s in seeded.story_ids.values() if s is not None})
    return ids[0], ids[1]


def test_an_admin_merges_two_stories_and_the_page_says_who(fresh) -> None:  # type: ignore[no-untyped-def]
    client, seeded, _store = fresh
    keep, other = _two_stories(seeded)
    _login(client, ADMIN_TOKEN)
    page = client.get(f"/stories/{keep}")
    assert f'action="/stories/{keep}/merge"' in page.text
    response = client.post(f"/stories/{keep}/merge", data={"csrf_token": _csrf(client, f"/stories/{keep}"),
                                                           "other_story_id": str(other), "by": "Min", "note": "same raid"})
    assert response.status_code == 303 and response.headers["location"] == f"/stories/{keep}"
    page = client.get(f"/stories/{keep}")
    assert "Min (web admin)" in page.text and f"merged story {other} into story {keep}" in page.text
    assert "placed by hand" in page.text and client.get(f"/stories/{other}").status_code == 404


def test_an_admin_moves_a_report_out(fresh) -> None:  # type: ignore[no-untyped-def]
    client, seeded, store = fresh
    keep, other = _two_stories(seeded)
    _login(client, ADMIN_TOKEN)
    client.post(f"/stories/{keep}/merge", data={"csrf_token": _csrf(client, f"/stories/{keep}"), "other_story_id": str(other)})
    doc_id = next(k for k in seeded.doc_ids.values() if get_document(store, k)["story_id"] == keep)
    response = client.post(f"/stories/{keep}/split", data={"csrf_token": _csrf(client, f"/stories/{keep}"), f"doc_{doc_id}": "1"})
    assert response.status_code == 303
    new_story = int(response.headers["location"].rsplit("/", 1)[1])
    assert get_document(store, doc_id)["story_id"] == new_story != keep


def test_analysts_and_forged_forms_cannot_correct(fresh) -> None:  # type: ignore[no-untyped-def]
    client, seeded, _ = fresh
    keep, other = _two_stories(seeded)
    _login(client, ANALYST_TOKEN)
    page = client.get(f"/stories/{keep}")
    assert page.status_code == 200 and "/merge" not in page.text
    denied = client.post(f"/stories/{keep}/merge", data={"csrf_token": _csrf(client, f"/stories/{keep}"), "other_story_id": str(other)})
    assert denied.status_code == 403
    _login(client, ADMIN_TOKEN)
    assert client.post(f"/stories/{keep}/merge", data={"other_story_id": str(other)}).status_code == 403
    bad = client.post(f"/stories/{keep}/merge", data={"csrf_token": _csrf(client, f"/stories/{keep}"), "other_story_id": "x"})
    assert bad.status_code == 400 and "by its number" in bad.text
