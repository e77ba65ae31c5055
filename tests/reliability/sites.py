"""Crawls of the invented sites (crawler.invented_sites) for the reliability tests: a crawl in a
subprocess (Scrapy's reactor cannot restart), with fast retry and throttle settings."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FAST_CRAWL = {
    "LOG_LEVEL": "WARNING", "AUTOTHROTTLE_ENABLED": "0", "DOWNLOAD_DELAY": "0", "RETRY_TIMES": "2",
    "DESKWATCH_RETRY_BACKOFF_BASE_S": "0.05", "DOWNLOAD_TIMEOUT": "5", "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
}


def crawl_command(keys: list[str], db_url: str, sources: Path, settings: dict[str, Any] | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "crawler.runner", *keys, "--db", db_url, "--sources", str(sources), "--json"]
    for name, value in {**FAST_CRAWL, **(settings or {})}.items():
        cmd += ["--set", f"{name}={value}"]
    return cmd


def run_crawl(keys: list[str], db_url: str, sources: Path, settings: dict[str, Any] | None = None,
              timeout: float = 120) -> dict[str, dict[str, Any]]:
    """Crawl in a fresh process; returns the reports by source key (the run must finish within `timeout`)."""
    proc = subprocess.run(crawl_command(keys, db_url, sources, settings), capture_output=True, text=True,
                          check=False, timeout=timeout, cwd=PROJECT_ROOT, env=dict(os.environ))
    reports = {r["source"]: r for r in (json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{"))}
    assert set(reports) == set(keys), f"exit {proc.returncode}: {proc.stderr[-3000:]}"
    return reports
