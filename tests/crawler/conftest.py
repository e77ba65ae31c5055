"""Crawler test helpers: replay servers on 127.0.0.1 and crawls in subprocesses (Scrapy's reactor cannot
restart in one process, so every crawl runs `python -m crawler.runner` in its own)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.replay import ReplayServer

FIXTURE_SITES = Path(__file__).resolve().parents[1] / "fixtures" / "sites"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
FAST_SETTINGS = {
    "LOG_LEVEL": "WARNING", "AUTOTHROTTLE_ENABLED": "0", "DOWNLOAD_DELAY": "0",
    "DESKWATCH_RETRY_BACKOFF_BASE_S": "0.05", "DOWNLOAD_TIMEOUT": "10",
}


@pytest.fixture
def replay() -> Iterator[ReplayServer]:
    """The bundled sample sites (crawler/replay_sites), as the demo serves them."""
    with ReplayServer() as server:
        yield server


@pytest.fixture
def fixture_sites() -> Iterator[ReplayServer]:
    """The test fixture sites (tests/fixtures/sites)."""
    with ReplayServer(root=FIXTURE_SITES) as server:
        yield server


def run_crawl(keys: list[str] | str, db_url: str, *, url: str | None = None, sources: Path | None = None,
              settings: dict[str, Any] | None = None, env: dict[str, str] | None = None,
              check: bool = False) -> list[dict[str, Any]]:
    """Run one crawl in a fresh process and return its reports (one dict per source)."""
    keys = [keys] if isinstance(keys, str) else keys
    cmd = [sys.executable, "-m", "crawler.runner", *keys, "--db", db_url, "--json"]
    if url:
        cmd += ["--url", url]
    if sources:
        cmd += ["--sources", str(sources)]
    for name, value in {**FAST_SETTINGS, **(settings or {})}.items():
        cmd += ["--set", f"{name}={value}"]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT,
                          env={**os.environ, **(env or {})})
    if check:
        assert proc.returncode == 0, proc.stderr[-3000:]
    reports = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert reports, f"no report (exit {proc.returncode}): {proc.stderr[-3000:]}"
    return reports


def write_registry(path: Path, entries: list[dict[str, Any]]) -> Path:
    """A registry TOML with the given entries (core fields defaulted) for fixture-only sources."""
    import tomli_w

    defaults = {"kind": "news", "country": "KR", "lang": "ko", "fetch": "rss", "schedule": "1h", "enabled": True}
    path.write_text(tomli_w.dumps({"sources": [{**defaults, **e} for e in entries]}), encoding="utf-8")
    return path
