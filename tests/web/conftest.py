"""Web fixtures: a seeded SQLite store shared by a module's read-only page tests, app clients on it."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_seed import ADMIN_TOKEN, ANALYST_TOKEN, RULES_TEXT, Seeded, seed_reports, seed_status

from monitor.alerts.rules import load_rules
from storage.repository import Store
from web.app import create_app

BASE_URL = "http://127.0.0.1"


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Seeded]:
    """A SQLite store with the invented reports, advisories, runs and alerts (read-only for tests)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'seeded.sqlite'}"
    store = Store(url)
    seeded = seed_reports(store)
    seed_status(store)
    store.close()
    return url, seeded


@pytest.fixture
def rules_file(tmp_path: Path) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(RULES_TEXT, encoding="utf-8")
    return path


@pytest.fixture
def client(seeded_db: tuple[str, Seeded], rules_file: Path) -> Iterator[TestClient]:
    """An app without tokens (the loopback default) over the seeded store."""
    app = create_app(seeded_db[0], rules_path=rules_file, rules_loader=load_rules, countries=["KH", "TH"])
    with TestClient(app, base_url=BASE_URL, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def token_client(seeded_db: tuple[str, Seeded], rules_file: Path) -> Iterator[TestClient]:
    """An app that requires a token (analyst or admin), as when bound beyond loopback."""
    app = create_app(seeded_db[0], token=ANALYST_TOKEN, admin_token=ADMIN_TOKEN, rules_path=rules_file, rules_loader=load_rules)
    with TestClient(app, base_url="http://desk.example.org", follow_redirects=False) as test_client:
        yield test_client
