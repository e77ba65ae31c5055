"""The walking skeleton end to end: `deskwatch demo` on the local replay, twice, in fresh processes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from storage.repository import Store, table_counts
from storage.search import search

pytestmark = pytest.mark.slow


def _demo(db_url: str, home: Path) -> dict:  # type: ignore[type-arg]
    env = {**os.environ, "XDG_DATA_HOME": str(home / "data"), "DESKWATCH_DATA_DIR": str(home / "out")}
    env.pop("DESKWATCH_DB", None)
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "--db", db_url, "demo", "--json"],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_demo_runs_the_whole_flow_and_is_idempotent(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    first = _demo(db_url, tmp_path)
    for key in ("documents", "advisories", "incidents", "alerts", "digests"):
        assert first[key] > 0, (key, first)
    assert Path(first["digest"]["html"]).is_file() and Path(first["digest"]["markdown"]).is_file()
    alerts_file = tmp_path / "out" / "alerts.jsonl"
    assert alerts_file.is_file()
    alerts_before = alerts_file.read_text(encoding="utf-8").splitlines()
    assert alerts_before

    store = Store(db_url)
    try:
        with_ransom = search(store, filters={"has_ransom": True, "incidents_only": True})
        assert with_ransom.total >= 1
        with_age = search(store, filters={"age_min": 1, "age_max": 120, "incidents_only": True})
        assert with_age.total >= 1
        korean = search(store, query="캄보디아")
        assert korean.total >= 1
    finally:
        store.close()

    second = _demo(db_url, tmp_path)
    for key in ("documents", "advisories", "stories", "incidents", "alerts", "digests"):
        assert second[key] == first[key], (key, first, second)
    assert second["alerts_new"] == 0
    assert alerts_file.read_text(encoding="utf-8").splitlines() == alerts_before


def test_the_demo_keeps_its_own_store_and_says_what_to_do_next(tmp_path: Path) -> None:
    """Without --db the demo writes to a store of its own: the default store stays untouched (not even
    created), and the last lines say how to open the web UI on the demo data and where the digest is."""
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    for key in ("DESKWATCH_DB", "DESKWATCH_DATA_DIR"):
        env.pop(key, None)
    proc = subprocess.run([sys.executable, "-m", "cli", "demo"], capture_output=True, text=True, env=env,
                          timeout=600, cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    home = tmp_path / "data" / "deskwatch"
    assert not (home / "deskwatch.sqlite").exists()  # the default store
    demo_db = home / "demo" / "deskwatch-demo.sqlite"
    store = Store(f"sqlite:///{demo_db}")
    try:
        assert table_counts(store)["documents"] > 0
    finally:
        store.close()
    last = proc.stdout.strip().splitlines()[-6:]
    assert last[1] == "Next, open the web UI on the demo data:"
    assert last[2].strip() == f"deskwatch --db sqlite:///{demo_db} serve"
    digests = home / "demo" / "digests"
    assert last[4].endswith(f"{digests}/:") and any(digests.glob("digest-*.png"))
    assert "your default store is untouched" in last[0]
