"""An automatic split shows on the story page like an analyst's correction, saying deskwatch made it and why."""
from __future__ import annotations

import re
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from web_seed import ANALYST_TOKEN

from storage.repository import Store
from web.app import create_app

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "storage"))
from test_story_recheck import KIM, PARK, SOMEONE, _place, _story


def test_the_story_page_shows_a_split_by_the_system(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'split.sqlite'}"
    store = Store(url)
    try:
        kim = _place(store, 1, KIM, 4)
        _place(store, 2, SOMEONE, 4)
        park = _place(store, 3, PARK, 5)
        kept, made = _story(store, kim), _story(store, park)
    finally:
        store.close()
    with TestClient(create_app(url, token=ANALYST_TOKEN), base_url="http://desk.example.org") as client:
        page = client.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        client.post("/login", data={"csrf_token": csrf, "token": ANALYST_TOKEN, "next": "/stories"})
        for story_id in (kept, made):
            html = client.get(f"/stories/{story_id}").text
            assert "deskwatch, automatically" in html
            assert f"from story {kept} to story {made}" in html and "contradicts the story&#39;s first report" in html
