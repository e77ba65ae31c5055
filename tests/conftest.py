"""Shared fixtures: stores on SQLite (always) and PostgreSQL (the real local server, skipped when absent)."""
from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_ADMIN_URL = os.environ.get("DESKWATCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("DESKWATCH_TEST_REDIS", "redis://127.0.0.1:6379/15")
SHARED_CAPTURES = Path(__file__).resolve().parents[2] / "shared" / "captures"


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _service_available(name: str, port: int) -> bool:
    """True when the local server listens. Under CI (.ci/run starts the servers) a missing server
    fails the test instead of skipping it, so CI can never pass by skipping the real-service tests."""
    if _port_open("127.0.0.1", port):
        return True
    if os.environ.get("CI"):
        pytest.fail(f"{name} is not running on 127.0.0.1:{port}, but CI must run its tests")
    return False


def postgres_available() -> bool:
    return _service_available("PostgreSQL", 5432)


def redis_available() -> bool:
    return _service_available("Redis", 6379)


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test writes into the real user data dir or reads a developer's deskwatch.toml / DESKWATCH_DB."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    for var in ("DESKWATCH_DB", "DESKWATCH_CONFIG", "DESKWATCH_REDIS_URL"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'deskwatch.sqlite'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    yield from scratch_pg_database()


def scratch_pg_database() -> Iterator[str]:
    """The URL of a new empty PostgreSQL database, dropped when the generator closes (skips without a server)."""
    if not postgres_available():
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    from sqlalchemy import create_engine, text

    name = f"deskwatch_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Run a test once on SQLite and once on PostgreSQL: the same code and suite on both."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url: str):  # type: ignore[no-untyped-def]
    from storage.repository import Store

    s = Store(db_url)
    yield s
    s.close()


@pytest.fixture
def captures() -> Path:
    """The real payloads in ../shared/captures, read in place (never copied into the repo)."""
    if not SHARED_CAPTURES.is_dir():
        pytest.skip("../shared/captures is not present")
    return SHARED_CAPTURES
